#include "markdown_escape.hpp"

namespace migsafe {

std::string markdown_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool code = false;
  for (char c : s) {
    if (c == '`') code = !code;
    if (code || (c != '<' && c != '>' && c != '|')) {
      out += c;
      continue;
    }
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : "\\|";
  }
  return out;
}

}  // namespace migsafe
