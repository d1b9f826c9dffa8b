// A pull-request summary in Markdown: a table per file, then each finding's why and the safer
// alternative as SQL. Fits GitHub's job summary and merge-request comments.
#include <map>

#include "markdown_escape.hpp"
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

// Table cells: pipes would end the cell, newlines the row, and < > start HTML.
std::string cell(std::string_view s) {
  std::string out = markdown_text(s);
  for (char& c : out)
    if (c == '\n') c = ' ';
  return out;
}

// Inside a code span in a table cell only pipes and newlines need care.
std::string code_cell(std::string_view s) {
  std::string out;
  for (char c : s)
    out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string_view badge(Severity s) {
  switch (s) {
    case Severity::error:
      return "**error**";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "warning";
}

// A fence longer than any backtick run inside, so SQL with ``` cannot break out of it.
std::string fence_for(std::string_view body) {
  size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

}  // namespace

void report_markdown(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  bool blocked = is_blocked(r, ctx.fail_on);
  out << "## migsafe: " << (blocked ? "blocked" : "passed") << "\n\n"
      << summary_line(r, ctx) << "\n\n";
  if (!r.problems.empty()) {
    out << "### Input errors\n\n| File | Where | Problem |\n|---|---|---|\n";
    for (const auto& p : r.problems)
      out << "| `" << code_cell(p.path) << "` | "
          << (p.pos.line ? std::to_string(p.pos.line) + ":" + std::to_string(p.pos.col) : "")
          << " | " << cell(p.kind + ": " + p.message) << " |\n";
    out << '\n';
  }
  std::map<size_t, std::vector<const Finding*>> by_file;
  for (const auto& f : r.findings) by_file[f.file].push_back(&f);
  if (by_file.empty() && r.problems.empty()) out << "No findings.\n";
  for (const auto& [file, findings] : by_file) {
    out << "### `" << code_cell(r.files[file].path) << "`\n\n"
        << "| Severity | Line | Rule | Finding |\n|---|---|---|---|\n";
    for (const Finding* f : findings)
      out << "| " << badge(f->severity) << " | " << f->at.line << ":" << f->at.col << " | `"
          << f->rule_id << "` | " << cell(f->message) << " |\n";
    out << '\n';
    for (const Finding* f : findings) {
      out << "<details><summary>" << f->at.line << ":" << f->at.col << " <code>" << f->rule_id
          << "</code>: " << cell(f->title ? std::string_view(*f->title) : std::string_view())
          << "</summary>\n\n";
      for (const auto& n : f->lines()) out << "- " << markdown_text(n) << '\n';
      if (!f->instead.empty()) {
        std::string fence = fence_for(f->instead);
        out << "\nInstead:\n\n" << fence << "sql\n" << f->instead << '\n' << fence << '\n';
      }
      out << "\n</details>\n\n";
    }
  }
}

}  // namespace migsafe
