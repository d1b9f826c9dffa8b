#include "row_scope.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "migsafe/ascii.hpp"
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
  return t.kind == Tok::word && iequals_lower(t.text, w);
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

// A name (lower-case unless quoted), or empty for anything else.
std::string name_of(const Token& t) {
  if (t.kind == Tok::quoted_name) return std::string(t.text.substr(1, t.text.size() - 2));
  return t.kind == Tok::word ? ascii_lower(t.text) : std::string();
}

// A name that can be a column: not a value word (NULL, now's CURRENT_DATE, AND ...).
std::string column_name(const Token& t) {
  return t.kind == Tok::word && value_word(t.text) ? std::string() : name_of(t);
}

// The column named just before `at` (a.b.c: c), or empty when that is no column.
std::string column_before(const std::vector<Token>& t, size_t at) {
  return at == 0 ? std::string() : column_name(t[at - 1]);
}

// The column named just after `at` (skipping a qualifier), or empty.
std::string column_after(const std::vector<Token>& t, size_t at) {
  size_t k = at + 1;
  std::string name;
  while (k < t.size()) {
    name = column_name(t[k]);
    if (name.empty()) return {};
    if (k + 1 < t.size() && t[k + 1].kind == Tok::open) return {};  // a function call
    if (k + 2 < t.size() && t[k + 1].kind == Tok::other && t[k + 1].text == ".") {
      k += 2;
      continue;
    }
    return name;
  }
  return {};
}

// SET a = a + 1: the assignments of the statement's own SET list (depth 0, up to WHERE / FROM /
// RETURNING / LIMIT / ORDER), a column read on its own right-hand side, and that column absent
// from the WHERE clause.
bool reapplies(const std::vector<Token>& t) {
  size_t i = 0;
  int depth = 0;
  auto stop_word = [](const Token& k) {
    return is_word(k, "where") || is_word(k, "from") || is_word(k, "returning") ||
           is_word(k, "limit") || is_word(k, "order");
  };
  for (; i < t.size(); ++i) {
    if (t[i].kind == Tok::open) ++depth;
    if (t[i].kind == Tok::close) --depth;
    if (depth == 0 && is_word(t[i], "set")) break;
  }
  std::set<std::string> self;  // columns computed from themselves
  std::string target;
  bool in_value = false;
  for (++i; i < t.size(); ++i) {
    const Token& k = t[i];
    if (k.kind == Tok::open) ++depth;
    if (k.kind == Tok::close) --depth;
    if (depth == 0 && stop_word(k)) break;
    if (depth == 0 && k.kind == Tok::other && k.text == ",") {
      in_value = false;
      continue;
    }
    if (depth == 0 && !in_value && k.kind == Tok::op && k.text == "=") {
      target = name_of(t[i - 1]);
      in_value = true;
      continue;
    }
    if (in_value && !target.empty() && name_of(k) == target &&
        !(i + 1 < t.size() && t[i + 1].kind == Tok::open))
      self.insert(target);
  }
  if (self.empty()) return false;
  for (; i < t.size(); ++i)
    if (self.count(name_of(t[i])))
      return false;  // WHERE balance = 100: a second run matches nothing
  return true;
}

// Batching and the rows an INSERT ... SELECT leaves out, from the statement's tokens.
RowScope scope_of(const std::vector<Token>& t) {
  // One frame per open parenthesis: whether it holds a subquery, and how its rows are used.
  enum class Use {
    key_list,
    exists,
    excluded,
    other
  };  // IN / = / ANY; EXISTS; NOT IN / NOT EXISTS
  struct Frame {
    bool subquery = false;
    Use use = Use::other;
  };
  std::vector<Frame> frames;
  RowScope scope;
  bool in_where = false, where_or = false, where_bound = false, where_in = false;
  bool cte_limit = false;  // WITH batch AS (SELECT ... LIMIT n) UPDATE ... WHERE id IN (...)
  struct Bounds {
    bool lower = false;
    bool upper = false;
  };
  std::map<std::string, Bounds> bounds;
  // Rows of the WHERE clause's own level, or of a subquery that lists keys for it.
  auto keys_level = [&] {
    for (const Frame& f : frames)
      if (f.subquery && f.use != Use::key_list) return false;
    return true;
  };
  auto in_subquery = [&] {
    for (const Frame& f : frames)
      if (f.subquery) return true;
    return false;
  };
  auto excluded_level = [&] {
    for (const Frame& f : frames)
      if (f.use == Use::excluded) return true;
    return false;
  };
  bool after_except = false;
  for (size_t i = 0; i < t.size(); ++i) {
    const Token& tok = t[i];
    if (tok.kind == Tok::open) {
      Frame f;
      f.subquery = i + 1 < t.size() && (is_word(t[i + 1], "select") || is_word(t[i + 1], "with"));
      bool negated = i >= 2 && is_word(t[i - 2], "not");
      if (i > 0 && (is_word(t[i - 1], "in") || is_word(t[i - 1], "exists")))
        f.use = negated ? Use::excluded : is_word(t[i - 1], "in") ? Use::key_list : Use::exists;
      else if (i > 0 &&
               (is_word(t[i - 1], "any") || (t[i - 1].kind == Tok::op && t[i - 1].text == "=")))
        f.use = Use::key_list;
      if (in_where && f.subquery && f.use == Use::key_list) where_in = true;
      frames.push_back(f);
      continue;
    }
    if (tok.kind == Tok::close) {
      if (!frames.empty()) frames.pop_back();
      continue;
    }
    if (frames.empty() && is_word(tok, "where")) in_where = true;
    if (is_word(tok, "except")) after_except = true;
    if (excluded_level() || after_except) {
      if (tok.kind == Tok::word) scope.guard_words.insert(ascii_lower(tok.text));
      if (tok.kind == Tok::quoted_name)
        scope.guard_words.insert(std::string(tok.text.substr(1, tok.text.size() - 2)));
      scope.not_exists = true;
    }
    bool limit = is_word(tok, "limit") || is_word(tok, "fetch");
    if (limit && frames.empty()) scope.batched = true;  // the statement's own LIMIT
    if (limit && !in_where && in_subquery()) cte_limit = true;
    if (!in_where) continue;
    if (is_word(tok, "or") && !in_subquery()) where_or = true;
    if (!keys_level()) continue;
    if (limit && in_subquery()) where_bound = true;
    if (is_word(tok, "between") && !(i > 0 && is_word(t[i - 1], "not"))) where_bound = true;
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
    if (b.lower && b.upper) where_bound = true;
  }
  // An OR beside a bound lets the rows past it in.
  if (!where_or && (where_bound || (cte_limit && where_in))) scope.batched = true;
  return scope;
}

}  // namespace

RowScope read_row_scope(std::string_view statement, const LexOptions& opt) {
  std::vector<Token> t = Tokenizer(statement, opt).run();
  RowScope scope = scope_of(t);
  scope.reapplies = reapplies(t);
  return scope;
}

void mark_row_scope(std::string_view statement, const LexOptions& opt, Statement& st) {
  auto asks = [](const Operation& op) {
    return op.kind == OpKind::update || op.kind == OpKind::delete_rows ||
           (op.kind == OpKind::insert && op.from_select && !op.skips_existing);
  };
  if (std::none_of(st.ops.begin(), st.ops.end(), asks)) return;
  std::vector<Token> t = Tokenizer(statement, opt).run();
  RowScope scope = scope_of(t);
  // Only an UPDATE can apply its change twice.
  if (std::any_of(st.ops.begin(), st.ops.end(),
                  [](const Operation& op) { return op.kind == OpKind::update; }))
    scope.reapplies = reapplies(t);
  for (Operation& op : st.ops) {
    if (!asks(op)) continue;
    if (op.kind == OpKind::insert)
      // NOT EXISTS against the table the rows go into, not against any table.
      op.skips_existing =
          scope.not_exists && (scope.guard_words.count(ascii_lower(op.table.name)) > 0 ||
                               scope.guard_words.count(op.table.name) > 0);
    else
      op.batched = op.batched || scope.batched;
    if (op.kind == OpKind::update) op.reapplies = scope.reapplies;
  }
}

}  // namespace migsafe
