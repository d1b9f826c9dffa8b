#pragma once
// ASCII case and character classes for SQL keywords and names. Inline, and free of the C
// locale: std::tolower and std::isalnum are a library call per byte, which the MySQL front end
// made tens of millions of times on a large file.
#include <string_view>

namespace migsafe {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

constexpr bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// a equals lower, a word already in lower case, ignoring the case of a's ASCII letters.
constexpr bool iequals_lower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != lower[i]) return false;
  return true;
}

}  // namespace migsafe
