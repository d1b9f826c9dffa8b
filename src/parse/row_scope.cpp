#include "row_scope.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {
namespace {

enum class Tok { word, quoted_name, literal, op, open, close, other };

struct Token {
  Tok kind;
  std::string_view text;
};

constexpr bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// A token stream good enough to find keywords and comparisons: strings, quoted names and
// comments are single tokens (or skipped), so their contents never read as SQL.
class Tokenizer {
 public:
  Tokenizer(std::string_view s, const LexOptions& opt) : s_(s), opt_(opt) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (i_ < s_.size()) {
      char c = s_[i_];
      size_t start = i_;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++i_;
      } else if ((c == '-' && peek(1) == '-') || (c == '#' && opt_.hash_comments)) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '/' && peek(1) == '*') {
        block_comment();
      } else if (c == '\'') {
        quoted('\'', opt_.backslash_in_strings);
        out.push_back({Tok::literal, s_.substr(start, i_ - start)});
      } else if ((c == 'E' || c == 'e') && peek(1) == '\'' && opt_.escape_strings) {
        ++i_;
        quoted('\'', true);
        out.push_back({Tok::literal, s_.substr(start, i_ - start)});
      } else if (c == '"' || (c == '`' && opt_.backtick_identifiers)) {
        quoted(c, false);
        out.push_back({Tok::quoted_name, s_.substr(start, i_ - start)});
      } else if (c == '[' && opt_.bracket_identifiers) {
        while (i_ < s_.size() && s_[i_] != ']') ++i_;
        i_ = std::min(i_ + 1, s_.size());
        out.push_back({Tok::quoted_name, s_.substr(start, i_ - start)});
      } else if (c == '$' && opt_.dollar_quotes && dollar_quote()) {
        out.push_back({Tok::literal, s_.substr(start, i_ - start)});
      } else if (c >= '0' && c <= '9') {
        while (i_ < s_.size() && (ident_char(s_[i_]) || s_[i_] == '.')) ++i_;
        out.push_back({Tok::literal, s_.substr(start, i_ - start)});
      } else if (c == '?' || c == '$' || (c == ':' && peek(1) != ':' && ident_char(peek(1)))) {
        // A parameter ($1, ?, :name) is a value, as a literal is.
        ++i_;
        while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
        out.push_back({Tok::literal, s_.substr(start, i_ - start)});
      } else if (ident_char(c)) {
        while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
        out.push_back({Tok::word, s_.substr(start, i_ - start)});
      } else if (c == '(') {
        ++i_;
        out.push_back({Tok::open, s_.substr(start, 1)});
      } else if (c == ')') {
        ++i_;
        out.push_back({Tok::close, s_.substr(start, 1)});
      } else if (c == '<' || c == '>' || c == '=' || c == '!') {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '=' || s_[i_] == '>')) ++i_;
        out.push_back({Tok::op, s_.substr(start, i_ - start)});
      } else {
        ++i_;
        out.push_back({Tok::other, s_.substr(start, 1)});
      }
    }
    return out;
  }

 private:
  char peek(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  void block_comment() {
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
        if (!opt_.nested_block_comments && depth > 1) depth = 1;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) return;
      } else {
        ++i_;
      }
    }
  }

  void quoted(char q, bool backslash) {
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (backslash && c == '\\') {
        ++i_;
      } else if (c == q) {
        if (i_ < s_.size() && s_[i_] == q) {
          ++i_;
          continue;
        }
        return;
      }
    }
  }

  bool dollar_quote() {
    size_t end = i_ + 1;
    while (end < s_.size() && s_[end] != '$' && ident_char(s_[end])) ++end;
    if (end >= s_.size() || s_[end] != '$') return false;
    std::string_view tag = s_.substr(i_, end - i_ + 1);
    size_t close = s_.find(tag, end + 1);
    i_ = close == std::string_view::npos ? s_.size() : close + tag.size();
    return true;
  }

  std::string_view s_;
  const LexOptions& opt_;
  size_t i_ = 0;
};

bool is_word(const Token& t, std::string_view w) {
  return t.kind == Tok::word && ascii_lower(t.text) == w;
}

// Words that are values or operators, not column names.
bool value_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {"and",
                                                "or",
                                                "not",
                                                "null",
                                                "true",
                                                "false",
                                                "is",
                                                "current_date",
                                                "current_timestamp",
                                                "current_time",
                                                "localtimestamp",
                                                "localtime",
                                                "interval",
                                                "date",
                                                "timestamp",
                                                "any",
                                                "all",
                                                "some",
                                                "select",
                                                "case",
                                                "when",
                                                "then",
                                                "else",
                                                "end",
                                                "cast"};
  std::string low = ascii_lower(w);
  for (auto k : kWords)
    if (low == k) return true;
  return false;
}

// The column named just before `at` (a.b.c: c), or empty when that is no column.
std::string column_before(const std::vector<Token>& t, size_t at) {
  if (at == 0) return {};
  const Token& p = t[at - 1];
  if (p.kind == Tok::quoted_name) return std::string(p.text.substr(1, p.text.size() - 2));
  if (p.kind != Tok::word || value_word(p.text)) return {};
  return ascii_lower(p.text);
}

// The column named just after `at` (skipping a qualifier), or empty.
std::string column_after(const std::vector<Token>& t, size_t at) {
  size_t k = at + 1;
  std::string name;
  while (k < t.size()) {
    const Token& n = t[k];
    if (n.kind == Tok::quoted_name)
      name = std::string(n.text.substr(1, n.text.size() - 2));
    else if (n.kind == Tok::word && !value_word(n.text))
      name = ascii_lower(n.text);
    else
      return {};
    if (k + 1 < t.size() && t[k + 1].kind == Tok::open) return {};  // a function call
    if (k + 2 < t.size() && t[k + 1].kind == Tok::other && t[k + 1].text == ".") {
      k += 2;
      continue;
    }
    return name;
  }
  return {};
}

}  // namespace

RowScope read_row_scope(std::string_view statement, const LexOptions& opt) {
  std::vector<Token> t = Tokenizer(statement, opt).run();
  RowScope scope;
  int depth = 0;
  bool in_where = false;
  struct Bounds {
    bool lower = false;
    bool upper = false;
  };
  std::map<std::string, Bounds> bounds;
  for (size_t i = 0; i < t.size(); ++i) {
    const Token& tok = t[i];
    if (tok.kind == Tok::open) ++depth;
    if (tok.kind == Tok::close && depth > 0) --depth;
    if (depth == 0 && is_word(tok, "where")) in_where = true;
    if (is_word(tok, "not") && i + 1 < t.size() &&
        (is_word(t[i + 1], "exists") || is_word(t[i + 1], "in")))
      scope.not_exists = true;
    if (is_word(tok, "except")) scope.not_exists = true;
    bool own_limit = depth == 0 && (is_word(tok, "limit") || is_word(tok, "fetch"));
    if (own_limit) scope.batched = true;
    if (!in_where) continue;
    if (is_word(tok, "limit") || is_word(tok, "fetch")) scope.batched = true;
    if (is_word(tok, "between") && !(i > 0 && is_word(t[i - 1], "not"))) scope.batched = true;
    if (tok.kind != Tok::op) continue;
    bool less = tok.text == "<" || tok.text == "<=";
    bool more = tok.text == ">" || tok.text == ">=";
    if (!less && !more) continue;
    std::string left = column_before(t, i);
    std::string right = column_after(t, i);
    if (!left.empty() == !right.empty()) continue;  // two columns, or none: no bound on a key
    // col < value bounds col from above; value < col from below.
    bool upper = left.empty() ? more : less;
    Bounds& b = bounds[left.empty() ? right : left];
    (upper ? b.upper : b.lower) = true;
    if (b.lower && b.upper) scope.batched = true;
  }
  return scope;
}

void mark_row_scope(std::string_view statement, const LexOptions& opt, Statement& st) {
  auto asks = [](const Operation& op) {
    return op.kind == OpKind::update || op.kind == OpKind::delete_rows ||
           (op.kind == OpKind::insert && op.from_select && !op.skips_existing);
  };
  if (std::none_of(st.ops.begin(), st.ops.end(), asks)) return;
  RowScope scope = read_row_scope(statement, opt);
  for (Operation& op : st.ops) {
    if (!asks(op)) continue;
    if (op.kind == OpKind::insert)
      op.skips_existing = scope.not_exists;
    else
      op.batched = op.batched || scope.batched;
  }
}

}  // namespace migsafe
