// migsafe plan as text: each changed query with its two plans side by side (the nodes that
// differ marked), one line per unchanged query, then the summary line.
#include <algorithm>

#include "plan_common.hpp"

namespace migsafe {
namespace {

using namespace plan_report;

constexpr size_t kColumn = 58;

// Columns count characters, not bytes (node names and → are UTF-8).
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cell(const TreeLine* l) {
  if (!l) return "";
  return std::string(l->changed ? "* " : "  ") + l->text + "  (" + cost(l->cost) + ")";
}

void side_by_side(const QueryDiff& d, std::ostream& out) {
  auto left = tree_lines(d.before.root, &d.after.root);
  auto right = tree_lines(d.after.root, &d.before.root);
  out << "    "
      << "before" << std::string(kColumn - 6, ' ') << "after\n";
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    std::string l = cell(i < left.size() ? &left[i] : nullptr);
    std::string r = cell(i < right.size() ? &right[i] : nullptr);
    size_t w = width(l);
    std::string line =
        "  " + l + (w < kColumn ? std::string(kColumn - w, ' ') : std::string("  ")) + r;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace

void report_plan_text(const PlanRun& run, std::ostream& out) {
  for (const auto& p : run.problems)
    out << (p.path.empty() ? ""
                           : p.path +
                                 (p.pos.line ? ":" + std::to_string(p.pos.line) + ":" +
                                                   std::to_string(p.pos.col)
                                             : "") +
                                 ": ")
        << "error[" << p.kind << "]: " << p.message << "\n";
  if (run.stopped)
    out << run.stopped->path << ":" << run.stopped->pos.line << ":" << run.stopped->pos.col
        << ": error[migration-not-applied]: " << run.stopped->message
        << "\n  = the after-phase ends here: no query is planned after the migrations\n\n";
  for (const auto& d : run.queries) {
    std::string head = std::string(plan_verdict_name(d.verdict)) + "  " + d.query.label() + "  " +
                       one_line(d.query.text);
    if (d.verdict == PlanVerdict::unchanged && !d.shape_changed) {
      out << head << "  (cost " << cost(d.before.root.total_cost) << ")\n";
      continue;
    }
    out << head << "\n";
    if (d.query.observed)
      out << "  = ran " << static_cast<long long>(d.query.observed->calls) << " times, "
          << cost(d.query.observed->total_ms) << " ms in all\n";
    for (const auto& r : d.reasons) out << "  = " << r << "\n";
    if (d.verdict == PlanVerdict::unplanned) {
      out << "\n";
      continue;
    }
    out << "  = cost " << cost(d.before.root.total_cost) << " -> " << cost(d.after.root.total_cost)
        << " (" << ratio(d.cost_ratio) << ")" << (d.before.generic ? ", generic plan" : "") << "\n";
    side_by_side(d, out);
    out << "\n";
  }
  out << summary_line(run) << "\n";
}

}  // namespace migsafe
