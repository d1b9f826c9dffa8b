#include "suppress.hpp"

#include <algorithm>
#include <cctype>

namespace migsafe {
namespace {

struct Marker {
  std::string_view text;
  bool whole_file;
  bool foreign;
};
// Longer markers first: "migsafe:ignore-file" must not be read as "migsafe:ignore".
constexpr Marker kMarkers[] = {
    {"migsafe:ignore-file", true, false},
    {"migsafe:ignore", false, false},
    {"squawk-ignore-file", true, true},
    {"squawk-ignore", false, true},
};

std::optional<Suppression> parse(const Comment& c) {
  std::string_view body = c.text;
  if (body.starts_with("--"))
    body.remove_prefix(2);
  else if (body.starts_with("#"))  // MySQL
    body.remove_prefix(1);
  else if (body.starts_with("/*"))
    body = body.substr(2, body.size() >= 4 ? body.size() - 4 : 0);
  body = trim_space(body);
  const Marker* marker = nullptr;
  for (const auto& m : kMarkers) {
    if (!body.starts_with(m.text)) continue;
    std::string_view rest = body.substr(m.text.size());
    if (!rest.empty() && !std::isspace(static_cast<unsigned char>(rest.front()))) continue;
    marker = &m;
    body = trim_space(rest);
    break;
  }
  if (!marker) return std::nullopt;
  Suppression s;
  s.offset = c.begin;
  s.whole_file = marker->whole_file;
  s.foreign = marker->foreign;
  // squawk accepts "rule1, rule2" with spaces; migsafe ids end at the first space.
  size_t end = marker->foreign ? std::string_view::npos : body.find_first_of(" \t");
  std::string_view ids = body.substr(0, end);
  s.reason =
      end == std::string_view::npos ? std::string() : std::string(trim_space(body.substr(end)));
  while (!ids.empty()) {
    size_t comma = ids.find(',');
    std::string_view id = trim_space(ids.substr(0, comma));
    if (!id.empty()) s.rule_ids.emplace_back(id);
    if (comma == std::string_view::npos) break;
    ids.remove_prefix(comma + 1);
  }
  return s;
}

}  // namespace

std::vector<Suppression> find_suppressions(const SourceText& src,
                                           const std::vector<Comment>& comments,
                                           const std::vector<StatementPlace>& stmts) {
  std::vector<Suppression> out;
  for (const Comment& c : comments) {
    auto s = parse(c);
    if (!s) continue;
    uint32_t line = src.position(c.begin).line;
    // A comment inside a statement or trailing on its last line belongs to it; otherwise the
    // comment covers the next statement.
    auto next =
        std::lower_bound(stmts.begin(), stmts.end(), c.begin,
                         [](const StatementPlace& st, uint32_t off) { return st.begin < off; });
    if (next != stmts.begin()) {
      auto prev = std::prev(next);
      if (prev->end > c.begin || prev->last_line == line)
        s->statement = static_cast<int>(prev - stmts.begin());
    }
    if (s->statement < 0 && next != stmts.end())
      s->statement = static_cast<int>(next - stmts.begin());
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace migsafe
