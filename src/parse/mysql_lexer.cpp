#include "mysql_lexer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "migsafe/ascii.hpp"
#include "migsafe/effects.hpp"

namespace migsafe::mysql {
namespace {

// Byte classes, one table lookup per byte: the splitter reads every byte of a large file.
enum : uint8_t { kSpace = 1, kWord = 2, kDigit = 4 };

constexpr auto kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (char c : {' ', '\t', '\n', '\r', '\f', '\v'}) t[static_cast<unsigned char>(c)] = kSpace;
  for (int c = 0; c < 256; ++c)
    if (is_ascii_alnum(static_cast<char>(c)) || c == '_' || c == '$' || c >= 0x80) t[c] |= kWord;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit;
  return t;
}();

bool is_space(char c) {
  return kByteClass[static_cast<unsigned char>(c)] & kSpace;
}
bool is_word_char(char c) {
  return kByteClass[static_cast<unsigned char>(c)] & kWord;
}
bool is_digit(char c) {
  return kByteClass[static_cast<unsigned char>(c)] & kDigit;
}

}  // namespace

std::string quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

ServerTarget server_target(Dialect d, const TargetVersion* v) {
  TargetVersion t = v ? *v : default_target_version(d);
  ServerTarget out;
  out.mariadb = d == Dialect::mariadb;
  out.version =
      static_cast<uint32_t>(t.major * 10000 + t.minor * 100 + std::min(t.patch_or_latest(), 99));
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = migsafe::ascii_upper(c);
  return out;
}

void Splitter::fail(uint32_t offset, std::string message) {
  if (!error_) error_ = LexFailure{offset, std::move(message)};
  pos_ = s_.size();
}

bool Splitter::skip_comment() {
  const size_t i = pos_;
  const char c = s_[i];
  size_t end = 0;
  if (c == '#') {
    end = s_.find('\n', i);
  } else if (c == '-' && i + 1 < s_.size() && s_[i + 1] == '-' &&
             (i + 2 == s_.size() || is_space(s_[i + 2]) ||
              static_cast<unsigned char>(s_[i + 2]) < 0x20 || s_[i + 2] == '\x7f')) {
    // MySQL needs a space or a control character (DEL is one) after "--".
    end = s_.find('\n', i);
  } else if (c == '/' && i + 1 < s_.size() && s_[i + 1] == '*') {
    size_t j = i + 2;
    bool mariadb_only = at(j, "M!");
    if (mariadb_only || (j < s_.size() && s_[j] == '!')) {
      j += mariadb_only ? 2 : 1;
      size_t digits = j;
      uint32_t version = 0;
      while (j < s_.size() && j - digits < 6 && is_digit(s_[j]))
        version = version * 10 + static_cast<uint32_t>(s_[j++] - '0');
      // MariaDB takes five-digit versions from 50700 to 99999 for MySQL 5.7 and later, whose
      // syntax it does not share, and skips them (its own releases have six digits).
      bool mysql_only = target_.mariadb && !mariadb_only && j - digits == 5 && version >= 50700;
      bool active = (j == digits || version <= target_.version) &&
                    (!mariadb_only || target_.mariadb) && !mysql_only;
      if (active) {
        // Its content is code for this server: lex on, and drop the closing "*/" later.
        ++executable_depth_;
        pos_ = j;
        return true;
      }
    }
    size_t close = s_.find("*/", i + 2);
    if (close == std::string_view::npos) {
      fail(static_cast<uint32_t>(i), "unterminated /* comment");
      return true;
    }
    end = close + 2;
  } else {
    return false;
  }
  if (end == std::string_view::npos) end = s_.size();
  comments_.push_back(
      {static_cast<uint32_t>(i), static_cast<uint32_t>(end), s_.substr(i, end - i)});
  pos_ = end;
  return true;
}

bool Splitter::read_delimiter_command(RawStatement& out) {
  size_t j = pos_ + 9;  // "delimiter"
  if (j >= s_.size() || (s_[j] != ' ' && s_[j] != '\t')) return false;
  while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
  size_t b = j;
  while (j < s_.size() && !is_space(s_[j])) ++j;
  if (j == b) {
    fail(static_cast<uint32_t>(pos_), "DELIMITER needs a delimiter string");
    return true;
  }
  delimiter_ = std::string(s_.substr(b, j - b));
  delimiter_in_words_ = is_word_char(delimiter_[0]) || delimiter_[0] == '.';
  out.tokens.push_back({Tok::word, static_cast<uint32_t>(pos_), 9});
  out.tokens.push_back({Tok::punct, static_cast<uint32_t>(b), static_cast<uint32_t>(j - b)});
  out.begin = static_cast<uint32_t>(pos_);
  out.end = out.end_with_delimiter = static_cast<uint32_t>(j);
  out.delimiter_command = true;
  size_t eol = s_.find('\n', j);
  pos_ = eol == std::string_view::npos ? s_.size() : eol + 1;
  return true;
}

// After the quoted text that starts at `open`, read as the server reads it: a doubled quote is
// one, and in '...' and "..." a backslash escapes the next character (also in @'name').
size_t Splitter::quoted_end(size_t open) const {
  const char q = s_[open];
  size_t j = open + 1;
  while (j < s_.size()) {
    if (s_[j] == '\\' && q != '`') {
      j += 2;
    } else if (s_[j] == q) {
      if (j + 1 < s_.size() && s_[j + 1] == q)
        j += 2;
      else
        return j + 1;
    } else {
      ++j;
    }
  }
  return s_.size();
}

void Splitter::lex_token(RawStatement& out) {
  const size_t i = pos_;
  const char c = s_[i];
  size_t j = i + 1;
  Tok kind = Tok::punct;
  if (c == '\'' || c == '"' || c == '`') {
    kind = c == '`' ? Tok::ident : Tok::string;
    for (;;) {
      if (j >= s_.size()) {
        fail(static_cast<uint32_t>(i),
             c == '`' ? "unterminated `quoted` name" : std::string("unterminated ") + c + "string");
        return;
      }
      if (s_[j] == '\\' && c != '`') {
        j += 2;
      } else if (s_[j] == c) {
        if (j + 1 < s_.size() && s_[j + 1] == c) {
          j += 2;
        } else {
          ++j;
          break;
        }
      } else {
        ++j;
      }
    }
  } else if (is_digit(c)) {
    kind = Tok::number;
    while (j < s_.size() && (is_word_char(s_[j]) || s_[j] == '.') &&
           !(delimiter_in_words_ && at_delimiter(j)))
      ++j;
  } else if (is_word_char(c)) {
    kind = Tok::word;
    while (j < s_.size() && is_word_char(s_[j]) && !(delimiter_in_words_ && at_delimiter(j))) ++j;
  } else if (c == '@') {
    kind = Tok::variable;
    if (j < s_.size() && s_[j] == '@') ++j;
    if (j < s_.size() && (s_[j] == '\'' || s_[j] == '"' || s_[j] == '`')) {
      j = quoted_end(j);
    } else {
      while (j < s_.size() && (is_word_char(s_[j]) || s_[j] == '.') && !at_delimiter(j)) ++j;
      // @@session.`name`: the scope, then a quoted name.
      if (j < s_.size() && s_[j - 1] == '.' && (s_[j] == '`' || s_[j] == '"')) j = quoted_end(j);
    }
  }
  Token t{kind, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i)};
  pos_ = j;
  if (out.tokens.empty()) out.begin = t.offset;
  out.tokens.push_back(t);
  if (delimiter_.size() == 1 && delimiter_[0] == ';') track_compound(out, t);
}

// Whether a ';' ends the statement: not inside the BEGIN ... END body of a stored program that
// was written without a DELIMITER change.
void Splitter::track_compound(const RawStatement& st, const Token& t) {
  std::string_view w = token_text(s_, t);
  const size_t n = st.tokens.size();
  if (!compound_) {
    if (t.kind != Tok::word || n > 12) return;
    std::string_view first = token_text(s_, st.tokens[0]);
    if (n >= 2 && iequals_lower(first, "create") &&
        (iequals_lower(w, "trigger") || iequals_lower(w, "procedure") ||
         iequals_lower(w, "function") || iequals_lower(w, "event"))) {
      compound_ = true;
      statement_start_ = false;
    } else if (n == 3 && iequals_lower(first, "begin") && iequals_lower(w, "atomic")) {
      compound_ = true;  // MariaDB: BEGIN NOT ATOMIC ... END at the top level
      depth_ = 1;
      statement_start_ = true;
    }
    return;
  }
  const bool start = statement_start_;
  statement_start_ = false;
  if (t.kind == Tok::punct) {
    statement_start_ = w == ";" || w == ":";
    return;
  }
  if (t.kind != Tok::word) return;
  bool after_end = n >= 2 && st.tokens[n - 2].kind == Tok::word &&
                   iequals_lower(token_text(s_, st.tokens[n - 2]), "end");
  if (iequals_lower(w, "begin")) {
    ++depth_;
    statement_start_ = true;
  } else if (iequals_lower(w, "end")) {
    --depth_;
  } else if (iequals_lower(w, "case")) {
    if (!after_end) ++depth_;
  } else if (start && (iequals_lower(w, "if") || iequals_lower(w, "loop") ||
                       iequals_lower(w, "while") || iequals_lower(w, "repeat"))) {
    ++depth_;
    statement_start_ = iequals_lower(w, "loop") || iequals_lower(w, "repeat");
  } else if (iequals_lower(w, "then") || iequals_lower(w, "else") || iequals_lower(w, "do") ||
             iequals_lower(w, "row")) {
    statement_start_ = true;
  }
}

bool Splitter::next(RawStatement& out) {
  out.tokens.clear();
  out.delimiter_command = false;
  compound_ = false;
  depth_ = 0;
  statement_start_ = true;
  while (!error_) {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    if (pos_ >= s_.size()) {
      if (executable_depth_ > 0 && !error_)
        fail(static_cast<uint32_t>(s_.size()), "unterminated /*! executable comment");
      if (out.tokens.empty() || error_) return false;
      const Token& last = out.tokens.back();
      out.end = out.end_with_delimiter = last.offset + last.length;
      return true;
    }
    if (executable_depth_ > 0 && at(pos_, "*/")) {
      --executable_depth_;
      pos_ += 2;
      continue;
    }
    const char c = s_[pos_];
    if ((c == '#' || c == '-' || c == '/') && skip_comment()) continue;
    if (out.tokens.empty() && (c == 'd' || c == 'D') &&
        iequals_lower(s_.substr(pos_, 9), "delimiter") && read_delimiter_command(out))
      return !error_;
    if (at_delimiter(pos_) && (!compound_ || depth_ <= 0)) {
      if (out.tokens.empty()) {
        pos_ += delimiter_.size();
        continue;
      }
      const Token& last = out.tokens.back();
      out.end = last.offset + last.length;
      pos_ += delimiter_.size();
      out.end_with_delimiter = static_cast<uint32_t>(pos_);
      return true;
    }
    lex_token(out);
  }
  return false;
}

}  // namespace migsafe::mysql
