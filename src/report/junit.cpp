// JUnit XML: one testcase per file, failing when it has findings at or above the failure level.
// GitLab, Jenkins and most CI systems render it as a test report.
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

std::string xml(std::string_view s) {
  std::string out;
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
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

bool blocks(Severity s, FailOn f) {
  if (f == FailOn::never) return false;
  if (f == FailOn::warning) return s >= Severity::warning;
  return s == Severity::error;
}

}  // namespace

void report_junit(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  struct Case {
    std::vector<const Finding*> failing, other;
    std::vector<const InputProblem*> errors;
  };
  std::vector<Case> cases(r.files.size());
  for (const auto& f : r.findings)
    (blocks(f.severity, ctx.fail_on) ? cases[f.file].failing : cases[f.file].other).push_back(&f);
  std::vector<const InputProblem*> unattached;
  for (const auto& p : r.problems) {
    bool placed = false;
    for (size_t i = 0; i < r.files.size() && !placed; ++i)
      if (r.files[i].path == p.path) {
        cases[i].errors.push_back(&p);
        placed = true;
      }
    if (!placed) unattached.push_back(&p);
  }
  size_t failures = 0, errors = unattached.size();
  for (const auto& c : cases) {
    failures += !c.failing.empty();
    errors += !c.errors.empty();
  }
  size_t tests = r.files.size() + unattached.size();
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"migsafe\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\">\n"
      << "  <testsuite name=\"migsafe " << xml(std::string(dialect_name(ctx.options.dialect)))
      << " " << xml(ctx.options.version.display()) << "\" tests=\"" << tests << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\">\n";
  auto describe = [](const Finding& f) {
    std::string s = std::to_string(f.at.line) + ":" + std::to_string(f.at.col) + " " +
                    std::string(severity_name(f.severity)) + "[" + f.rule_id + "] " + f.message;
    for (const auto& n : f.lines()) s += "\n  " + n;
    if (!f.instead.empty()) s += "\n  instead:\n" + f.instead;
    return s;
  };
  for (size_t i = 0; i < r.files.size(); ++i) {
    const Case& c = cases[i];
    const std::string& path = r.files[i].path;
    out << "    <testcase classname=\"migsafe\" name=\"" << xml(path) << "\" file=\"" << xml(path)
        << "\">\n";
    for (const InputProblem* p : c.errors)
      out << "      <error type=\"" << xml(p->kind) << "\" message=\"" << xml(p->message) << "\">"
          << xml(p->path + ":" + std::to_string(p->pos.line) + ":" + std::to_string(p->pos.col) +
                 " " + p->message)
          << "</error>\n";
    if (!c.failing.empty()) {
      std::string body;
      for (const Finding* f : c.failing) body += describe(*f) + "\n\n";
      out << "      <failure type=\"migsafe\" message=\"" << c.failing.size()
          << " blocking finding(s), first: " << xml(c.failing.front()->rule_id) << "\">"
          << xml(body) << "</failure>\n";
    }
    if (!c.other.empty()) {
      std::string body;
      for (const Finding* f : c.other) body += describe(*f) + "\n\n";
      out << "      <system-out>" << xml(body) << "</system-out>\n";
    }
    out << "    </testcase>\n";
  }
  for (const InputProblem* p : unattached)
    out << "    <testcase classname=\"migsafe\" name=\"" << xml(p->path) << "\">\n"
        << "      <error type=\"" << xml(p->kind) << "\" message=\"" << xml(p->message)
        << "\"/>\n    </testcase>\n";
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace migsafe
