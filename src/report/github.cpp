// GitHub Actions workflow commands: each finding becomes an annotation on the pull request.
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

// Workflow-command escaping: data escapes %, CR and LF; properties also ':' and ','.
std::string escape_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string escape_property(std::string_view s) {
  std::string out;
  for (char c : escape_data(s)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

std::string_view command(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "notice";
  }
  return "warning";
}

}  // namespace

void report_github(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  for (const auto& p : r.problems) {
    out << "::error file=" << escape_property(p.path);
    if (p.pos.line) out << ",line=" << p.pos.line << ",col=" << p.pos.col;
    out << ",title=" << escape_property("migsafe " + p.kind) << "::" << escape_data(p.message)
        << '\n';
  }
  for (const auto& f : r.findings) {
    std::string body = f.message;
    for (const auto& n : f.lines()) body += "\n" + n;
    if (!f.instead.empty()) body += "\ninstead:\n" + f.instead;
    out << "::" << command(f.severity) << " file=" << escape_property(r.files[f.file].path)
        << ",line=" << f.at.line << ",col=" << f.at.col << ",endLine=" << f.statement.stop.line
        << ",title=" << escape_property("migsafe " + f.rule_id) << "::" << escape_data(body)
        << '\n';
  }
  out << summary_line(r, ctx) << '\n';
}

}  // namespace migsafe
