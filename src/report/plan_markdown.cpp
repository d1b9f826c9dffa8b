// migsafe plan as a pull-request comment: a table of the queries whose plans changed, each
// one's two plans in a <details> block.
#include "plan_common.hpp"

namespace migsafe {
namespace {

using namespace plan_report;

std::string cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void tree(const PlanNode& plan, const PlanNode& other, std::ostream& out) {
  out << "```\n";
  for (const auto& l : tree_lines(plan, &other))
    out << (l.changed ? "* " : "  ") << l.text << "  (" << cost(l.cost) << ")\n";
  out << "```\n";
}

}  // namespace

void report_plan_markdown(const PlanRun& run, std::ostream& out) {
  out << "## migsafe plan: " << (run.regressed() ? "blocked" : "passed") << "\n\n";
  out << summary_line(run) << "\n\n";
  for (const auto& p : run.problems) out << "- **error**: " << cell(p.message) << "\n";
  if (run.stopped)
    out << "- **the migrations stopped** at `" << run.stopped->path << ":" << run.stopped->pos.line
        << "`: " << cell(run.stopped->message) << "\n\n";
  bool any = false;
  for (const auto& d : run.queries) {
    if (d.verdict == PlanVerdict::unchanged && !d.shape_changed) continue;
    if (!any) out << "| | query | cost before → after | why |\n|---|---|---|---|\n";
    any = true;
    std::string costs = d.before.planned && d.after.planned
                            ? cost(d.before.root.total_cost) + " → " +
                                  cost(d.after.root.total_cost) + " (" + ratio(d.cost_ratio) + ")"
                            : "";
    std::string why;
    for (const auto& r : d.reasons) why += (why.empty() ? "" : "; ") + r;
    out << "| " << plan_verdict_name(d.verdict) << " | `" << cell(one_line(d.query.text, 80))
        << "` | " << costs << " | " << cell(why) << " |\n";
  }
  if (!any) out << "No query's plan changed.\n";
  out << "\n";
  for (const auto& d : run.queries) {
    if (!d.before.planned || !d.after.planned) continue;
    if (d.verdict == PlanVerdict::unchanged && !d.shape_changed) continue;
    out << "<details><summary>" << plan_verdict_name(d.verdict) << ": <code>"
        << one_line(d.query.text, 80) << "</code> (" << d.query.label() << ")</summary>\n\n";
    out << "Before:\n\n";
    tree(d.before.root, d.after.root, out);
    out << "\nAfter (`*` marks what changed):\n\n";
    tree(d.after.root, d.before.root, out);
    out << "\n</details>\n\n";
  }
  size_t same = run.count(PlanVerdict::unchanged);
  if (same) out << same << (same == 1 ? " query" : " queries") << " unchanged.\n";
}

}  // namespace migsafe
