#include "sql_words.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace migsafe::sandbox {
namespace {

bool ident_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool ident_char(unsigned char c) {
  return ident_start(c) || std::isdigit(c) || c == '$';
}

// The end of a '...' string starting at quote; backslashes escape only in E'...' strings.
size_t skip_string(std::string_view s, size_t quote, bool backslashes) {
  size_t i = quote + 1;
  while (i < s.size()) {
    if (backslashes && s[i] == '\\') {
      i += 2;
      continue;
    }
    if (s[i] == '\'') {
      if (i + 1 < s.size() && s[i + 1] == '\'') {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return s.size();
}

// $tag$ ... $tag$ starting at i, or npos when i does not open a dollar quote.
size_t skip_dollar(std::string_view s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && s[j] != '$') {
    unsigned char c = static_cast<unsigned char>(s[j]);
    if (!(j == i + 1 ? ident_start(c) : ident_char(c)) || c == '$') return std::string_view::npos;
    ++j;
  }
  if (j >= s.size()) return std::string_view::npos;
  std::string_view tag = s.substr(i, j - i + 1);
  size_t close = s.find(tag, j + 1);
  return close == std::string_view::npos ? s.size() : close + tag.size();
}

size_t skip_block_comment(std::string_view s, size_t i) {
  int depth = 0;
  while (i + 1 < s.size()) {
    if (s[i] == '/' && s[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (s[i] == '*' && s[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return s.size();
}

}  // namespace

std::vector<SqlToken> sql_tokens(std::string_view s) {
  std::vector<SqlToken> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i = skip_block_comment(s, i);
    } else if (c == '\'') {
      i = skip_string(s, i, false);
    } else if ((c == 'e' || c == 'E') && i + 1 < s.size() && s[i + 1] == '\'') {
      i = skip_string(s, i + 1, true);
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == '"') {
          if (j + 1 < s.size() && s[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      i = std::min(s.size(), j + 1);
    } else if (c == '$' && skip_dollar(s, i) != std::string_view::npos) {
      i = skip_dollar(s, i);
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < s.size() && ident_char(static_cast<unsigned char>(s[j]))) ++j;
      // U&'...' and B'...' / X'...' strings start with a letter.
      if (j < s.size() && s[j] == '\'') {
        i = skip_string(s, j, false);
        continue;
      }
      if (j + 1 < s.size() && s[j] == '&' && s[j + 1] == '\'' && j == i + 1) {
        i = skip_string(s, j + 1, false);
        continue;
      }
      out.push_back({SqlToken::word, static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      i = j;
    } else {
      size_t len = (c == ':' && i + 1 < s.size() && (s[i + 1] == '=' || s[i + 1] == ':')) ? 2 : 1;
      out.push_back({SqlToken::symbol, static_cast<uint32_t>(i), static_cast<uint32_t>(i + len)});
      i += len;
    }
  }
  return out;
}

}  // namespace migsafe::sandbox
