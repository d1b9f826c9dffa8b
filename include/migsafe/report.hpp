// Reporters: one per output format. Only this layer knows formats.
#pragma once

#include <ostream>
#include <string>

#include "migsafe/check.hpp"

namespace migsafe {

enum class FailOn { error, warning, never };
std::optional<FailOn> parse_fail_on(std::string_view s);
bool is_blocked(const CheckResult& r, FailOn f);

struct ReportContext {
  const CheckOptions& options;
  FailOn fail_on = FailOn::error;
  bool color = false;
};

void report_text(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_json(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
std::string summary_line(const CheckResult& r, const ReportContext& ctx);

}  // namespace migsafe
