// The plan reporters, by format.
#include "migsafe/plan.hpp"

namespace migsafe {

void report_plan_text(const PlanRun& run, std::ostream& out);
void report_plan_json(const PlanRun& run, std::ostream& out);
void report_plan_markdown(const PlanRun& run, std::ostream& out);
void report_plan_html(const PlanRun& run, std::ostream& out);

std::optional<PlanFormat> parse_plan_format(std::string_view s) {
  if (s == "text") return PlanFormat::text;
  if (s == "json") return PlanFormat::json;
  if (s == "markdown") return PlanFormat::markdown;
  if (s == "html") return PlanFormat::html;
  return std::nullopt;
}

void report_plan(PlanFormat f, const PlanRun& run, const PlanOptions&, std::ostream& out) {
  switch (f) {
    case PlanFormat::text:
      return report_plan_text(run, out);
    case PlanFormat::json:
      return report_plan_json(run, out);
    case PlanFormat::markdown:
      return report_plan_markdown(run, out);
    case PlanFormat::html:
      return report_plan_html(run, out);
  }
}

}  // namespace migsafe
