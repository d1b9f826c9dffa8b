#include "lexer.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "migsafe/ascii.hpp"

namespace migsafe {

LexOptions sqlite_lex_options() {
  LexOptions o;
  o.backtick_identifiers = true;
  o.bracket_identifiers = true;
  return o;
}

LexOptions postgres_lex_options() {
  LexOptions o;
  o.dollar_quotes = true;
  o.nested_block_comments = true;
  o.escape_strings = true;
  o.psql_meta_commands = true;
  o.cr_ends_line_comment = true;
  return o;
}

namespace {

// ASCII classes by hand: the locale-aware <cctype> calls cost more than the rest of the lexer.
constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Identifier bytes by table: the lexer runs over every byte of every file.
constexpr std::array<bool, 256> kIdentChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) || c == '_' ||
           c == '$' || c >= 0x80;
  return t;
}();

constexpr bool is_ident_char(char c) {
  return kIdentChar[static_cast<unsigned char>(c)];
}

constexpr bool is_ident_start(char c) {
  return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

bool iequals_at(std::string_view text, size_t pos, std::string_view word) {
  return pos + word.size() <= text.size() && iequals_lower(text.substr(pos, word.size()), word);
}

class Scanner {
 public:
  Scanner(std::string_view text, const LexOptions& opt) : t_(text), opt_(opt) {}

  LexResult run() {
    uint32_t stmt_begin = 0;
    while (i_ < t_.size() && !out_.error) {
      char c = t_[i_];
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
        ++i_;
        continue;
      }
      // Words are most of the bytes: straight through, unless an E'...' string starts here.
      if (is_ident_start(c) && !(opt_.escape_strings && (c == 'e' || c == 'E') &&
                                 i_ + 1 < t_.size() && t_[i_ + 1] == '\'')) {
        ++i_;
        while (i_ < t_.size() && is_ident_char(t_[i_])) ++i_;
        continue;
      }
      if (opt_.psql_meta_commands && c == '\\') {
        // psql takes a backslash outside quotes as a meta-command up to the end of the line;
        // \g and friends also send the query typed so far, like a ';'.
        if (blank_meta_line()) {
          edit(i_meta_, ';');
          out_.statements.push_back({stmt_begin, i_meta_ + 1});
          stmt_begin = i_meta_ + 1;
          parens_ = 0;
        }
        continue;
      }
      if (c == '(') ++parens_;
      if (c == ')' && parens_ > 0) --parens_;
      if (c == '[') ++brackets_;
      if (c == ']' && brackets_ > 0) --brackets_;
      if (opt_.psql_meta_commands && c == ':' && is_psql_variable()) {
        edit(i_, ' ');  // :name, :'name', :"name" -> a name or literal of equal length
        ++i_;
        continue;
      }
      // A ';' inside parentheses belongs to a CREATE RULE action list, not to the top level.
      if (c == ';' && parens_ == 0) {
        ++i_;
        out_.statements.push_back({stmt_begin, i_});
        if (opt_.psql_meta_commands && is_copy_from_stdin(stmt_begin, i_)) blank_copy_data();
        stmt_begin = i_;
        continue;
      }
      step(c);
    }
    if (!out_.error && skip_trivia(t_, stmt_begin, opt_) < t_.size())
      out_.statements.push_back({stmt_begin, static_cast<uint32_t>(t_.size())});
    return std::move(out_);
  }

  // Consumes one lexical element starting at i_ (never a bare ';' or newline).
  void step(char c) {
    char next = i_ + 1 < t_.size() ? t_[i_ + 1] : '\0';
    if (c == '-' && next == '-') return line_comment();
    if (opt_.hash_comments && c == '#') return line_comment();
    if (c == '/' && next == '*') return block_comment();
    if (c == '\'') return quoted('\'', false, "unterminated quoted string");
    if (c == '"') return quoted('"', false, "unterminated quoted identifier");
    if (opt_.backtick_identifiers && c == '`')
      return quoted('`', false, "unterminated quoted identifier");
    if (opt_.bracket_identifiers && c == '[') return bracketed();
    if (opt_.escape_strings && (c == 'e' || c == 'E') && next == '\'' &&
        (i_ == 0 || !is_ident_char(t_[i_ - 1]))) {
      ++i_;
      return quoted('\'', true, "unterminated quoted string");
    }
    if (opt_.dollar_quotes && c == '$' && (i_ == 0 || !is_ident_char(t_[i_ - 1])) &&
        dollar_quoted())
      return;
    if (is_ident_start(c)) {
      while (i_ < t_.size() && is_ident_char(t_[i_])) ++i_;
      return;
    }
    ++i_;
  }

 private:
  void line_comment() {
    uint32_t b = i_;
    while (i_ < t_.size() && t_[i_] != '\n' && !(opt_.cr_ends_line_comment && t_[i_] == '\r')) ++i_;
    out_.comments.push_back({b, i_, t_.substr(b, i_ - b)});
  }

  void block_comment() {
    uint32_t b = i_;
    int depth = 0;
    while (i_ < t_.size()) {
      if (t_[i_] == '/' && i_ + 1 < t_.size() && t_[i_ + 1] == '*') {
        if (depth == 0 || opt_.nested_block_comments) ++depth;
        i_ += 2;
      } else if (t_[i_] == '*' && i_ + 1 < t_.size() && t_[i_ + 1] == '/') {
        i_ += 2;
        if (--depth == 0) {
          out_.comments.push_back({b, i_, t_.substr(b, i_ - b)});
          return;
        }
      } else {
        ++i_;
      }
    }
    out_.error = LexError{b, "unterminated /* comment"};
  }

  void quoted(char q, bool backslash, const char* unterminated) {
    uint32_t b = i_;
    ++i_;
    bool escapes = backslash || (q == '\'' && opt_.backslash_in_strings);
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (escapes && c == '\\') {
        i_ += 2;
        continue;
      }
      if (c == q) {
        if (i_ + 1 < t_.size() && t_[i_ + 1] == q) {  // doubled quote is an escaped quote
          i_ += 2;
          continue;
        }
        ++i_;
        return;
      }
      ++i_;
    }
    out_.error = LexError{b, unterminated};
  }

  void bracketed() {
    uint32_t b = i_;
    while (i_ < t_.size() && t_[i_] != ']') ++i_;
    if (i_ >= t_.size()) {
      out_.error = LexError{b, "unterminated [identifier]"};
      return;
    }
    ++i_;
  }

  // $tag$ ... $tag$; returns false when '$' does not open a dollar quote ($1 parameters).
  bool dollar_quoted() {
    uint32_t b = i_;
    uint32_t j = i_ + 1;
    if (j < t_.size() && is_ident_start(t_[j]))
      while (j < t_.size() && is_ident_char(t_[j]) && t_[j] != '$') ++j;
    if (j >= t_.size() || t_[j] != '$') return false;
    std::string_view tag = t_.substr(b, j - b + 1);
    size_t close = t_.find(tag, j + 1);
    if (close == std::string_view::npos) {
      out_.error = LexError{b, "unterminated dollar-quoted string " + std::string(tag)};
      i_ = static_cast<uint32_t>(t_.size());
      return true;
    }
    i_ = static_cast<uint32_t>(close + tag.size());
    return true;
  }

  // The sanitized copy is made on the first edit: most files need none.
  void edit(uint32_t at, char c) {
    if (out_.sanitized.empty()) out_.sanitized.assign(t_.data(), t_.size());
    out_.sanitized[at] = c;
  }

  void blank(uint32_t b, uint32_t e) {
    for (uint32_t k = b; k < e; ++k)
      if (t_[k] != '\n') edit(k, ' ');
  }

  // Blanks a meta-command; returns true when it sends the query buffer (\g, \gexec, ...).
  bool blank_meta_line() {
    uint32_t b = i_;
    i_meta_ = b;
    while (i_ < t_.size() && t_[i_] != '\n') ++i_;
    uint32_t e = i_;
    while (e > b && (t_[e - 1] == '\r' || t_[e - 1] == ' ')) --e;
    out_.meta_commands.push_back({b, e});
    blank(b, i_);
    uint32_t w = b + 1;
    while (w < e && is_alpha(t_[w])) ++w;
    std::string_view cmd = t_.substr(b + 1, w - b - 1);
    static constexpr std::string_view kSends[] = {"g",     "gx",    "gset",        "gexec",
                                                  "gdesc", "watch", "crosstabview"};
    for (auto k : kSends)
      if (cmd == k) return true;
    return false;
  }

  bool is_psql_variable() const {
    if (brackets_ > 0) return false;  // array slices: a[1:n]
    if (i_ > 0 && t_[i_ - 1] == ':') return false;
    if (i_ + 1 >= t_.size()) return false;
    char n = t_[i_ + 1];
    return n == '\'' || n == '"' || is_ident_start(n);
  }

  bool is_copy_from_stdin(uint32_t b, uint32_t e) {
    uint32_t s = skip_trivia(t_, b, opt_);
    if (!iequals_at(t_, s, "copy") || (s + 4 < e && is_ident_char(t_[s + 4]))) return false;
    for (uint32_t k = s; k + 10 <= e; ++k) {
      if (!iequals_at(t_, k, "from")) continue;
      uint32_t m = k + 4;
      while (m < e && std::isspace(static_cast<unsigned char>(t_[m]))) ++m;
      if (m > k + 4 && iequals_at(t_, m, "stdin") && (m + 5 >= e || !is_ident_char(t_[m + 5])))
        return true;
    }
    return false;
  }

  // Data rows follow the COPY statement's line until a line holding only "\.".
  void blank_copy_data() {
    while (i_ < t_.size() && t_[i_] != '\n') ++i_;
    if (i_ < t_.size()) ++i_;
    uint32_t b = i_;
    while (i_ < t_.size()) {
      size_t eol = t_.find('\n', i_);
      if (eol == std::string_view::npos) eol = t_.size();
      std::string_view line = t_.substr(i_, eol - i_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      i_ = static_cast<uint32_t>(eol < t_.size() ? eol + 1 : eol);
      if (line == "\\.") break;
    }
    blank(b, i_);
  }

  std::string_view t_;
  const LexOptions& opt_;
  uint32_t i_ = 0;
  uint32_t i_meta_ = 0;
  int parens_ = 0;
  int brackets_ = 0;
  LexResult out_;
};

}  // namespace

LexResult lex_sql(std::string_view text, const LexOptions& opt) {
  return Scanner(text, opt).run();
}

uint32_t skip_trivia(std::string_view text, uint32_t pos, const LexOptions& opt) {
  while (pos < text.size()) {
    char c = text[pos];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++pos;
    } else if ((c == '-' && pos + 1 < text.size() && text[pos + 1] == '-') ||
               (opt.hash_comments && c == '#')) {
      while (pos < text.size() && text[pos] != '\n' &&
             !(opt.cr_ends_line_comment && text[pos] == '\r'))
        ++pos;
    } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '*') {
      int depth = 0;
      while (pos < text.size()) {
        if (text[pos] == '/' && pos + 1 < text.size() && text[pos + 1] == '*') {
          if (depth == 0 || opt.nested_block_comments) ++depth;
          pos += 2;
        } else if (text[pos] == '*' && pos + 1 < text.size() && text[pos + 1] == '/') {
          pos += 2;
          if (--depth == 0) break;
        } else {
          ++pos;
        }
      }
    } else {
      break;
    }
  }
  return std::min<uint32_t>(pos, static_cast<uint32_t>(text.size()));
}

}  // namespace migsafe
