// Human-readable output for a terminal: one block per finding, a summary line at the end.
#include <algorithm>

#include "migsafe/report.hpp"

namespace migsafe {
namespace {

constexpr size_t kMaxShownLine = 200;

struct Style {
  bool on;
  std::string_view wrap(std::string_view code) const { return on ? code : std::string_view(); }
  std::string_view reset() const { return on ? "\033[0m" : ""; }
  std::string_view severity(Severity s) const {
    if (!on) return "";
    switch (s) {
      case Severity::error:
        return "\033[1;31m";
      case Severity::warning:
        return "\033[1;33m";
      case Severity::info:
        return "\033[1;36m";
    }
    return "";
  }
};

size_t char_count(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Byte offset of the n-th character (0-based) of s.
size_t char_offset(std::string_view s, size_t n) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == n) return i;
      ++chars;
    }
  }
  return s.size();
}

void source_excerpt(std::ostream& out, const SourceText& src, Position at, Position stop,
                    const Style& st) {
  std::string_view line = src.line(at.line);
  std::string num = std::to_string(at.line);
  std::string gutter(num.size(), ' ');
  std::string shown(line.substr(0, char_offset(line, kMaxShownLine)));
  for (char& c : shown)
    if (c == '\t') c = ' ';
  bool cut = shown.size() < line.size();
  size_t width = char_count(shown);
  size_t from = std::min<size_t>(at.col ? at.col - 1 : 0, width);
  size_t to = stop.line == at.line ? std::min<size_t>(stop.col, width) : width;
  if (to <= from) to = std::min(from + 1, std::max(width, from + 1));
  out << ' ' << gutter << st.wrap("\033[34m") << " |" << st.reset() << '\n';
  out << ' ' << st.wrap("\033[34m") << num << " |" << st.reset() << ' ' << shown << (cut ? "…" : "")
      << '\n';
  out << ' ' << gutter << st.wrap("\033[34m") << " |" << st.reset() << ' ' << std::string(from, ' ')
      << st.wrap("\033[1;31m") << std::string(to - from, '^') << st.reset() << '\n';
}

void indented(std::ostream& out, std::string_view text, std::string_view indent) {
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string_view::npos) e = text.size();
    out << indent << text.substr(b, e - b) << '\n';
    b = e + 1;
  }
}

}  // namespace

void report_text(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  Style st{ctx.color};
  for (const auto& p : r.problems) {
    out << st.wrap("\033[1m") << p.path;
    if (p.pos.line) out << ':' << p.pos.line << ':' << p.pos.col;
    out << ": " << st.reset() << st.severity(Severity::error) << "error[" << p.kind << "]"
        << st.reset() << st.wrap("\033[1m") << ": " << p.message << st.reset() << '\n';
    if (p.pos.line) {
      for (const auto& f : r.files)
        if (f.path == p.path && f.source) source_excerpt(out, *f.source, p.pos, p.pos, st);
      out << "   = "
          << (p.kind == "syntax-error" ? "this statement is not analysed: fix the SQL and run again"
                                       : "fix the input and run again")
          << "\n";
    }
    out << '\n';
  }
  for (const auto& f : r.findings) {
    const CheckedFile& file = r.files[f.file];
    out << st.wrap("\033[1m") << file.path << ':' << f.at.line << ':' << f.at.col << ": "
        << st.reset() << st.severity(f.severity) << severity_name(f.severity) << '[' << f.rule_id
        << ']' << st.reset() << st.wrap("\033[1m") << ": " << f.message << st.reset() << '\n';
    if (file.source) source_excerpt(out, *file.source, f.at, f.statement.stop, st);
    for (const auto& n : f.lines()) out << "   = " << n << '\n';
    if (!f.instead.empty()) {
      out << "   = instead:\n";
      indented(out, f.instead, "       ");
    }
    out << '\n';
  }
  out << summary_line(r, ctx) << '\n';
}

}  // namespace migsafe
