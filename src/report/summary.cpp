#include "migsafe/report.hpp"

#include <algorithm>

namespace migsafe {

std::optional<FailOn> parse_fail_on(std::string_view s) {
  if (s == "error") return FailOn::error;
  if (s == "warning") return FailOn::warning;
  if (s == "never") return FailOn::never;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view s) {
  if (s == "text") return Format::text;
  if (s == "json") return Format::json;
  if (s == "sarif") return Format::sarif;
  if (s == "github") return Format::github;
  if (s == "markdown") return Format::markdown;
  if (s == "junit") return Format::junit;
  if (s == "gitlab") return Format::gitlab;
  return std::nullopt;
}

void report(Format f, const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  switch (f) {
    case Format::text:
      return report_text(r, ctx, out);
    case Format::json:
      return report_json(r, ctx, out);
    case Format::sarif:
      return report_sarif(r, ctx, out);
    case Format::github:
      return report_github(r, ctx, out);
    case Format::markdown:
      return report_markdown(r, ctx, out);
    case Format::junit:
      return report_junit(r, ctx, out);
    case Format::gitlab:
      return report_gitlab(r, ctx, out);
  }
}

std::string rule_docs_uri(const ReportContext& ctx, std::string_view rule_id) {
  // No web site is assumed: without a configured base the link is a stable URN.
  if (ctx.docs_url.empty()) return "urn:migsafe:rule:" + std::string(rule_id);
  std::string base = ctx.docs_url;
  return base + (base.find('#') == std::string::npos ? "#" : "") + std::string(rule_id);
}

bool is_blocked(const CheckResult& r, FailOn f) {
  switch (f) {
    case FailOn::never:
      return false;
    case FailOn::warning: {
      const auto c = r.counts();
      return c.errors + c.warnings > 0;
    }
    case FailOn::error:
      return r.counts().errors > 0;
  }
  return false;
}

namespace {
std::string plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}
}  // namespace

// The runners of the sets and how they send files: "goose, a transaction per file"; a set
// without a runner shows the transaction mode alone, as --transactions names it.
std::string runner_words(const CheckResult& r, const ReportContext& ctx) {
  std::vector<std::string> parts;
  for (const auto& sr : r.runners) {
    std::string p = sr.runner == Layout::plain || sr.runner == Layout::automatic
                        ? sr.sending
                        : std::string(layout_name(sr.runner)) + ", " + sr.sending;
    // A set of another dialect or version than the run's (a config's paths:) says which.
    if (sr.dialect != ctx.options.dialect || sr.version.display() != ctx.options.version.display())
      p = std::string(dialect_name(sr.dialect)) + " " + sr.version.display() + " (" + sr.root +
          "): " + p;
    if (std::find(parts.begin(), parts.end(), p) == parts.end()) parts.push_back(p);
  }
  if (parts.empty()) return std::string(transaction_mode_name(ctx.options.transactions));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string summary_line(const CheckResult& r, const ReportContext& ctx) {
  const auto counts = r.counts();
  std::string s =
      "migsafe · " + std::string(dialect_name(ctx.options.dialect)) + " " +
      ctx.options.version.display() + " · " + runner_words(r, ctx) + " · " +
      plural(r.migration_files(), "file") + ", " + plural(r.statements, "statement") +
      (r.history_files
           ? " (" + std::to_string(r.history_files) + " applied before, in migsafe.sum, not judged)"
           : std::string()) +
      " · " + plural(counts.errors, "error") + ", " + plural(counts.warnings, "warning");
  if (counts.infos) s += ", " + std::to_string(counts.infos) + " info";
  if (!r.problems.empty()) s += " · " + plural(r.problems.size(), "input error");
  if (r.trace_superuser) s += " · traced as a superuser (a role that owns the tables is enough)";
  // What could not be read was not checked: never "passed" (the exit code is 2).
  s += is_blocked(r, ctx.fail_on) ? " · blocked"
       : r.problems.empty()       ? " · passed"
                                  : " · incomplete";
  return s;
}

}  // namespace migsafe
