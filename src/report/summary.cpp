#include "migsafe/report.hpp"

namespace migsafe {

std::optional<FailOn> parse_fail_on(std::string_view s) {
  if (s == "error") return FailOn::error;
  if (s == "warning") return FailOn::warning;
  if (s == "never") return FailOn::never;
  return std::nullopt;
}

bool is_blocked(const CheckResult& r, FailOn f) {
  switch (f) {
    case FailOn::never:
      return false;
    case FailOn::warning:
      return r.count(Severity::error) + r.count(Severity::warning) > 0;
    case FailOn::error:
      return r.count(Severity::error) > 0;
  }
  return false;
}

namespace {
std::string plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}
}  // namespace

std::string summary_line(const CheckResult& r, const ReportContext& ctx) {
  std::string s = "migsafe · " + std::string(dialect_name(ctx.options.dialect)) + " " +
                  ctx.options.version.display() + " · " +
                  std::string(transaction_mode_name(ctx.options.transactions)) + " · " +
                  plural(r.files.size(), "file") + ", " + plural(r.statements, "statement") +
                  " · " + plural(r.count(Severity::error), "error") + ", " +
                  plural(r.count(Severity::warning), "warning");
  if (size_t infos = r.count(Severity::info)) s += ", " + std::to_string(infos) + " info";
  if (!r.problems.empty()) s += " · " + plural(r.problems.size(), "input error");
  s += is_blocked(r, ctx.fail_on) ? " · blocked" : " · passed";
  return s;
}

}  // namespace migsafe
