// migsafe plan as one self-contained HTML page (no script, no network): the queries whose plans
// changed first, regressed ones at the top, each with its two plan trees side by side and the
// nodes that differ highlighted; then a table of the unchanged ones.
#include "plan_common.hpp"

namespace migsafe {
namespace {

using namespace plan_report;

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #1f2328; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.summary { color: #57606a; margin: 0 0 1.5rem; }
.problem { background: #ffebe9; border: 1px solid #ff8182; padding: .5rem .75rem; border-radius: 6px; }
section.query { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 1.25rem; padding: .75rem 1rem; }
section.regressed { border-color: #cf222e; border-left-width: 6px; }
section.improved { border-color: #1a7f37; border-left-width: 6px; }
section.unplanned { border-color: #9a6700; border-left-width: 6px; }
section.query h2 { font-size: 1rem; margin: 0 0 .25rem; font-weight: 600; }
.verdict { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .8rem;
           text-transform: uppercase; letter-spacing: .03em; margin-right: .5rem; color: #fff; }
.regressed .verdict { background: #cf222e; } .improved .verdict { background: #1a7f37; }
.unchanged .verdict { background: #57606a; } .unplanned .verdict { background: #9a6700; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.source { color: #57606a; margin: 0 0 .5rem; }
ul.reasons { margin: .25rem 0 .5rem 1.25rem; padding: 0; }
.plans { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.plan h3 { font-size: .85rem; margin: .25rem 0; color: #57606a; }
.plan ol { list-style: none; margin: 0; padding: .5rem; background: #f6f8fa; border-radius: 6px; }
.plan li { white-space: pre; font: 12.5px/1.5 ui-monospace, monospace; }
.plan li.changed { background: #fff8c5; outline: 1px solid #d4a72c; }
.plan .cost { color: #57606a; }
table.unchanged { border-collapse: collapse; width: 100%; }
table.unchanged td, table.unchanged th { border-top: 1px solid #d0d7de; padding: .3rem .5rem;
                                         text-align: left; vertical-align: top; }
)";

void tree(const char* title, const PlanNode& plan, const PlanNode& other, std::ostream& out) {
  out << "<div class=\"plan\"><h3>" << title << "</h3><ol>";
  for (const auto& l : tree_lines(plan, &other))
    out << "<li" << (l.changed ? " class=\"changed\"" : "") << ">" << esc(l.text)
        << "  <span class=\"cost\">" << cost(l.cost) << "</span></li>";
  out << "</ol></div>\n";
}

void query_section(const QueryDiff& d, size_t n, std::ostream& out) {
  std::string verdict(plan_verdict_name(d.verdict));
  out << "<section class=\"query " << verdict << "\" id=\"q" << n
      << "\">\n<h2><span class=\"verdict\">" << verdict << "</span><code>"
      << esc(one_line(d.query.text, 160)) << "</code></h2>\n";
  out << "<p class=\"source\">" << esc(d.query.label());
  if (d.query.observed)
    out << " · ran " << static_cast<long long>(d.query.observed->calls) << " times, "
        << cost(d.query.observed->total_ms) << " ms in all";
  if (d.before.planned && d.after.planned)
    out << " · cost " << cost(d.before.root.total_cost) << " → " << cost(d.after.root.total_cost)
        << " (" << ratio(d.cost_ratio) << ")" << (d.before.generic ? " · generic plan" : "");
  out << "</p>\n";
  if (!d.reasons.empty()) {
    out << "<ul class=\"reasons\">";
    for (const auto& r : d.reasons) out << "<li>" << esc(r) << "</li>";
    out << "</ul>\n";
  }
  if (d.before.planned && d.after.planned) {
    out << "<div class=\"plans\">\n";
    tree("Before", d.before.root, d.after.root, out);
    tree("After", d.after.root, d.before.root, out);
    out << "</div>\n";
  }
  out << "</section>\n";
}

}  // namespace

void report_plan_html(const PlanRun& run, std::ostream& out) {
  std::string state = run.regressed() ? "blocked" : run.problems.empty() ? "passed" : "incomplete";
  out << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>migsafe plan: " << state << "</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n";
  out << "<h1>migsafe plan: " << state << "</h1>\n<p class=\"summary\">" << esc(summary_line(run))
      << "</p>\n";
  for (const auto& p : run.problems)
    out << "<p class=\"problem\">" << esc(p.path.empty() ? p.message : p.path + ": " + p.message)
        << "</p>\n";
  if (run.stopped)
    out << "<p class=\"problem\">The migrations stopped at <code>" << esc(run.stopped->path) << ":"
        << run.stopped->pos.line << ":" << run.stopped->pos.col
        << "</code>: " << esc(run.stopped->message) << "</p>\n";
  size_t n = 0;
  for (const auto& d : run.queries) {
    ++n;
    if (d.verdict == PlanVerdict::unchanged && !d.shape_changed) continue;
    query_section(d, n, out);
  }
  bool header = false;
  n = 0;
  for (const auto& d : run.queries) {
    ++n;
    if (d.verdict != PlanVerdict::unchanged || d.shape_changed) continue;
    if (!header)
      out << "<h2>Unchanged</h2>\n<table class=\"unchanged\"><tr><th>query</th><th>source</th>"
             "<th>cost</th></tr>\n";
    header = true;
    out << "<tr id=\"q" << n << "\"><td><code>" << esc(one_line(d.query.text, 160))
        << "</code></td><td>" << esc(d.query.label()) << "</td><td>"
        << cost(d.before.root.total_cost) << "</td></tr>\n";
  }
  if (header) out << "</table>\n";
  out << "</body>\n</html>\n";
}

}  // namespace migsafe
