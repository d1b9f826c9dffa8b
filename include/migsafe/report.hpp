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
  const std::vector<Pack>* packs = nullptr;  // rule metadata for formats that carry it (SARIF)
  std::string docs_url;  // base of rule documentation links; empty: urn:migsafe:rule:<id>
};

enum class Format { text, json, sarif, github, markdown, junit, gitlab };
std::optional<Format> parse_format(std::string_view s);
void report(Format f, const CheckResult& r, const ReportContext& ctx, std::ostream& out);

void report_text(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_json(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_sarif(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_github(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_markdown(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
void report_junit(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
// GitLab Code Quality (artifacts:reports:codequality).
void report_gitlab(const CheckResult& r, const ReportContext& ctx, std::ostream& out);
// migsafe effects: every operation's locks per table, rewrite, full read and transaction needs,
// whatever the rules make of them.
enum class EffectsFormat { text, json };
void report_effects(EffectsFormat f, const CheckResult& r, std::ostream& out);
// docs/rules.md: every rule of the packs, with its reasons and examples.
void write_rules_markdown(const std::vector<Pack>& packs, std::ostream& out);
// The link to a rule's documentation for formats that carry one.
std::string rule_docs_uri(const ReportContext& ctx, std::string_view rule_id);
// The runners of the sets and how they send files, in words.
std::string runner_words(const CheckResult& r, const ReportContext& ctx);
std::string summary_line(const CheckResult& r, const ReportContext& ctx);

}  // namespace migsafe
