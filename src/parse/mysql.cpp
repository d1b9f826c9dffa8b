// MySQL / MariaDB front end: the splitter cuts the file into statements, and a recursive-descent
// parser here turns the statement kinds migrations use into IR. Everything else is kept as an
// `other` statement; a statement of a known kind that breaks the grammar is a syntax error.
#include <algorithm>
#include <cctype>

#include "migsafe/ascii.hpp"
#include "migsafe/effects.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/parse.hpp"
#include "mysql_lexer.hpp"
#include "row_scope.hpp"

namespace migsafe {
namespace {

using mysql::Tok;
using mysql::Token;

struct ParseFailure {
  uint32_t offset;
  std::string message;
};

std::string upper(std::string_view s) {
  return mysql::ascii_upper(s);
}

// Canonical type names, so "integer" and "int", "bool" and "tinyint(1)" compare equal.
std::string canonical_type(const std::string& t) {
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"integer", "int"},         {"int4", "int"},        {"int8", "bigint"},
      {"int2", "smallint"},       {"int1", "tinyint"},    {"int3", "mediumint"},
      {"middleint", "mediumint"}, {"bool", "tinyint"},    {"boolean", "tinyint"},
      {"dec", "decimal"},         {"numeric", "decimal"}, {"fixed", "decimal"},
      {"real", "double"},         {"float8", "double"},   {"float4", "float"},
      {"character", "char"},      {"nchar", "char"},      {"nvarchar", "varchar"},
  };
  for (const auto& [from, to] : kAliases)
    if (t == from) return std::string(to);
  return t;
}

ConstraintSpec constraint_of(ConstraintKind k, std::string name) {
  ConstraintSpec c;
  c.kind = k;
  c.name = std::move(name);
  return c;
}

bool is_integer_type(std::string_view t) {
  return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint";
}

// What a CREATE PROCEDURE needs to keep its body for later: the file and the server.
struct BodyContext {
  const SourceText* src;
  mysql::ServerTarget target;
};

std::vector<Statement> body_statements(const BodyContext& ctx, uint32_t begin, uint32_t end);

// The statements of a stored procedure, found when a later CALL runs it: the leaf statements
// of its BEGIN ... END block, inside IF / CASE / WHILE / LOOP / REPEAT. Parsed on first use.
class ProcedureBody : public RoutineBody {
 public:
  ProcedureBody(BodyContext ctx, uint32_t begin, uint32_t end)
      : ctx_(ctx), begin_(begin), end_(end) {}
  const std::vector<Statement>& statements() const override {
    if (!parsed_) parsed_ = body_statements(ctx_, begin_, end_);
    return *parsed_;
  }

 private:
  BodyContext ctx_;
  uint32_t begin_, end_;
  mutable std::optional<std::vector<Statement>> parsed_;
};

// How the shared row-scope reader must read MySQL text: backslash escapes in strings, # comments
// and backticked names.
LexOptions mysql_row_lex_options() {
  LexOptions o;
  o.backslash_in_strings = true;
  o.hash_comments = true;
  o.backtick_identifiers = true;
  return o;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<Token>& toks, Statement& st,
         const BodyContext* body = nullptr)
      : s_(text), t_(toks), st_(st), body_(body) {}

  void parse() {
    if (t_.empty()) return;
    if (word("alter")) return alter();
    if (word("create")) return create();
    if (word("drop")) return drop();
    if (word("rename")) return rename();
    if (word("truncate")) return truncate();
    if (word("optimize")) return optimize();
    if (word("update")) return update();
    if (word("delete")) return del();
    if (word("insert")) return insert(false);
    if (word("replace")) return insert(true);
    if (word("set")) return set();
    if (word("start")) return simple(is("transaction") ? OpKind::begin : OpKind::other);
    if (word("begin")) return simple(at_end() || is("work") ? OpKind::begin : OpKind::other);
    if (word("commit")) return simple(OpKind::commit);
    if (word("rollback")) return simple(has_word("to") ? OpKind::savepoint : OpKind::rollback);
    if (word("savepoint") || word("release")) return simple(OpKind::savepoint);
    if (word("lock")) return lock_tables();
    if (word("analyze")) return simple(OpKind::analyze);
    if (word("call")) return call();
    if (word("select") || word("with") || is_punct("(")) return simple(OpKind::select);
    simple(OpKind::other);
  }

 private:
  // ---- token access ----
  bool at_end() const { return i_ >= t_.size(); }
  std::string_view text(const Token& t) const { return mysql::token_text(s_, t); }
  std::string_view cur_text() const { return at_end() ? std::string_view() : text(t_[i_]); }
  // Inlined: the grammar asks hundreds of thousands of these on a large file, most of them
  // answered by the token's length alone.
  [[gnu::always_inline]] bool is(std::string_view w) const {
    return !at_end() && t_[i_].kind == Tok::word && t_[i_].length == w.size() &&
           iequals_lower(text(t_[i_]), w);
  }
  bool is_at(size_t k, std::string_view w) const {
    return k < t_.size() && t_[k].kind == Tok::word && iequals_lower(text(t_[k]), w);
  }
  [[gnu::always_inline]] bool word(std::string_view w) {
    if (!is(w)) return false;
    ++i_;
    return true;
  }
  [[gnu::always_inline]] bool is_punct(std::string_view p) const {
    return !at_end() && t_[i_].kind == Tok::punct && text(t_[i_]) == p;
  }
  [[gnu::always_inline]] bool punct(std::string_view p) {
    if (!is_punct(p)) return false;
    ++i_;
    return true;
  }
  bool has_word(std::string_view w) const {
    for (const auto& t : t_)
      if (t.kind == Tok::word && iequals_lower(text(t), w)) return true;
    return false;
  }
  uint32_t here() const {
    if (at_end()) return t_.back().offset + t_.back().length;
    return t_[i_].offset;
  }
  [[noreturn]] void error(const std::string& what) const {
    std::string got = at_end() ? "the end of the statement" : "'" + std::string(cur_text()) + "'";
    throw ParseFailure{here(), what + ", found " + got};
  }
  void expect(std::string_view w) {
    if (!word(w)) error("expected " + upper(w));
  }
  void expect_punct(std::string_view p) {
    if (!punct(p)) error("expected '" + std::string(p) + "'");
  }

  // A name: unquoted word, `quoted`, or "quoted" / 'quoted' where MySQL accepts it.
  bool is_name() const {
    return !at_end() &&
           (t_[i_].kind == Tok::word || t_[i_].kind == Tok::ident || t_[i_].kind == Tok::string);
  }
  std::string name() {
    if (!is_name()) error("expected a name");
    return unquote(t_[i_++]);
  }
  std::string unquote(const Token& t) const {
    std::string_view v = text(t);
    if (t.kind == Tok::word) return ascii_lower(v);
    char q = v[0];
    std::string out;
    for (size_t k = 1; k + 1 < v.size(); ++k) {
      if (v[k] == q && v[k + 1] == q) {
        out += q;
        ++k;
      } else if (v[k] == '\\' && q != '`' && k + 2 < v.size()) {
        out += v[++k];
      } else {
        out += v[k];
      }
    }
    // Table and column names compare case-insensitively on the common lower_case_table_names.
    return ascii_lower(out);
  }
  QualifiedName qualified() {
    std::string first = name();
    if (punct(".")) return {first, name()};
    return {"", first};
  }

  // The text inside the balanced (...) group at the current token, without moving.
  std::string group_text() const {
    if (!is_punct("(")) return {};
    int depth = 0;
    for (size_t k = i_; k < t_.size(); ++k) {
      if (t_[k].kind != Tok::punct) continue;
      std::string_view p = text(t_[k]);
      if (p == "(") ++depth;
      if (p == ")" && --depth == 0) {
        uint32_t from = t_[i_].offset + 1;
        return std::string(s_.substr(from, t_[k].offset - from));
      }
    }
    return {};
  }

  // Skips a balanced (...) group, the opening parenthesis being current.
  void skip_group() {
    if (!punct("(")) error("expected '('");
    int depth = 1;
    while (!at_end() && depth > 0) {
      if (is_punct("("))
        ++depth;
      else if (is_punct(")"))
        --depth;
      ++i_;
    }
    if (depth > 0) error("unbalanced parentheses: expected ')'");
  }
  // Skips to the next ',' at this nesting level (or the end).
  void skip_to_comma() {
    int depth = 0;
    while (!at_end()) {
      if (is_punct("(")) {
        ++depth;
      } else if (is_punct(")")) {
        if (depth == 0) return;
        --depth;
      } else if (depth == 0 && is_punct(",")) {
        return;
      }
      ++i_;
    }
    if (depth > 0) error("unbalanced parentheses: expected ')'");
  }

  Operation op(OpKind k, uint32_t at) const {
    Operation o;
    o.kind = k;
    o.location = at;
    return o;
  }
  void simple(OpKind k) { st_.ops.push_back(op(k, st_.span.begin)); }

  // ---- expressions ----
  // An expression up to a ',' or ')' at its level.
  ExprInfo expression() {
    ExprInfo e;
    e.present = true;
    size_t b = i_;
    int depth = 0;
    while (!at_end()) {
      if (depth == 0 && (is_punct(",") || is_punct(")"))) break;
      if (is_punct("(")) {
        if (i_ > b && t_[i_ - 1].kind == Tok::word)
          e.functions.push_back(ascii_lower(text(t_[i_ - 1])));
        ++depth;
      } else if (is_punct(")")) {
        --depth;
      } else if (is("select")) {
        e.has_subquery = true;
      }
      ++i_;
    }
    if (depth > 0) error("unbalanced parentheses: expected ')'");
    if (i_ == b) error("expected an expression");
    e.text =
        std::string(s_.substr(t_[b].offset, t_[i_ - 1].offset + t_[i_ - 1].length - t_[b].offset));
    e.is_null = i_ == b + 1 && iequals_lower(text(t_[b]), "null");
    return e;
  }

  std::vector<std::string> column_list() {
    std::vector<std::string> cols;
    expect_punct("(");
    for (;;) {
      if (is_punct("(")) {  // functional key part
        size_t b = i_;
        skip_group();
        cols.push_back(std::string(s_.substr(t_[b].offset, here() - t_[b].offset)));
      } else {
        cols.push_back(name());
        if (is_punct("(")) skip_group();  // prefix length
      }
      word("asc") || word("desc");
      if (punct(",")) continue;
      expect_punct(")");
      return cols;
    }
  }

  // ---- column definitions ----
  TypeRef data_type() {
    TypeRef t;
    if (!is_name() || t_[i_].kind != Tok::word) error("expected a data type");
    std::string n = ascii_lower(text(t_[i_++]));
    if (n == "national" && is_name()) n = ascii_lower(text(t_[i_++]));  // NATIONAL CHAR / VARCHAR
    if (n == "double")
      word("precision");
    else if (n == "character" && word("varying"))
      n = "varchar";
    else if (n == "long" && (is("varchar") || is("varbinary")))
      n = "medium" + ascii_lower(text(t_[i_++]));
    n = canonical_type(n);
    t.name = n;
    if (punct("(")) {
      bool members = n == "enum" || n == "set";
      // Members matter as a list (appending is in place, inserting is not): they are kept in
      // the type's name, spaced the same whatever the file's layout.
      std::string list;
      while (!at_end() && !is_punct(")")) {
        if (members && t_[i_].kind == Tok::string)
          list += (list.empty() ? "" : ",") + std::string(text(t_[i_++]));
        else if (t_[i_].kind == Tok::number)
          t.mods.push_back(std::strtoll(std::string(text(t_[i_++])).c_str(), nullptr, 10));
        else if (!punct(","))
          ++i_;
      }
      expect_punct(")");
      if (members) {
        t.mods.clear();
        t.name += "(" + list + ")";
      }
    }
    if (is_integer_type(t.name)) t.mods.clear();  // display width, not storage
    for (;;) {
      if (word("unsigned")) {
        t.name += " unsigned";
      } else if (word("signed") || word("zerofill")) {
      } else if (word("binary") || word("ascii") || word("unicode") || word("byte")) {
      } else {
        break;
      }
    }
    return t;
  }

  std::string charset_name() {
    punct("=");
    std::string c = name();
    if (c == "utf8") c = "utf8mb3";
    return c;
  }

  // col_name type [attributes...]
  ColumnSpec column_def() {
    ColumnSpec c;
    c.name = name();
    c.type = data_type();
    for (;;) {
      if (at_end() || is_punct(",") || is_punct(")")) break;
      if (word("not")) {
        expect("null");
        c.not_null = true;
      } else if (word("null")) {
        c.not_null = false;
        c.explicit_null = true;
      } else if (word("default")) {
        c.default_expr = default_value();
      } else if (word("auto_increment")) {
        c.serial = true;
      } else if (word("primary")) {
        expect("key");
        c.primary_key = c.not_null = true;
      } else if (word("unique")) {
        word("key");
        c.unique = true;
      } else if (word("key")) {
        c.primary_key = c.not_null = true;
      } else if (word("comment")) {
        if (!at_end()) ++i_;
      } else if (word("collate")) {
        c.collation = charset_name();
      } else if (word("character")) {
        expect("set");
        c.charset = charset_name();
      } else if (word("charset")) {
        c.charset = charset_name();
      } else if (word("column_format") || word("storage") || word("srid") ||
                 word("engine_attribute") || word("secondary_engine_attribute")) {
        punct("=");
        if (!at_end()) ++i_;
      } else if (word("generated")) {
        expect("always");
        expect("as");
        generated(c);
      } else if (word("as")) {
        generated(c);
      } else if (word("references")) {
        c.references = references();
      } else if (word("constraint")) {
        if (!is("check")) name();
      } else if (word("check")) {
        skip_group();
        c.has_check = true;
      } else if (word("on")) {
        expect("update");
        default_value();
      } else if (word("invisible") || word("visible") || word("enforced") || word("virtual") ||
                 word("stored") || word("persistent") || word("compressed")) {
      } else if (is("first") || is("after")) {
        break;
      } else if (word("serial")) {
        expect("default");
        expect("value");
        c.serial = c.not_null = c.unique = true;
      } else {
        error("unexpected word in the definition of column " + c.name);
      }
    }
    return c;
  }

  void generated(ColumnSpec& c) {
    skip_group();
    c.generated = Generated::virtual_column;
    if (word("stored") || word("persistent"))
      c.generated = Generated::stored;
    else
      word("virtual");
  }

  ExprInfo default_value() {
    ExprInfo e;
    e.present = true;
    if (at_end()) error("expected a default value");
    size_t b = i_;
    if (is_punct("(")) {
      e = expression();  // consumes nothing: '(' is the first token
    } else {
      punct("-") || punct("+");
      if (t_[i_].kind == Tok::word && !is("null")) {
        // CURRENT_TIMESTAMP, NOW(), b'0', x'00', a charset introducer before a string.
        ++i_;
        if (is_punct("(")) {
          e.functions.push_back(ascii_lower(text(t_[i_ - 1])));
          skip_group();
        } else if (!at_end() && t_[i_].kind == Tok::string) {
          ++i_;
        } else {
          std::string w = ascii_lower(text(t_[i_ - 1]));
          if (w == "current_timestamp" || w == "localtime" || w == "localtimestamp")
            e.functions.push_back(w);
        }
      } else {
        ++i_;
      }
      e.is_null = i_ == b + 1 && iequals_lower(text(t_[b]), "null");
    }
    e.text =
        std::string(s_.substr(t_[b].offset, t_[i_ - 1].offset + t_[i_ - 1].length - t_[b].offset));
    return e;
  }

  ForeignKeyRef references() {
    ForeignKeyRef r;
    r.table = qualified();
    if (is_punct("(")) r.columns = column_list();
    for (;;) {
      if (word("match")) {
        if (!at_end()) ++i_;
      } else if (word("on")) {
        if (!word("delete") && !word("update")) error("expected DELETE or UPDATE");
        if (word("set")) {
          if (!word("null") && !word("default")) error("expected NULL or DEFAULT");
        } else if (word("no")) {
          expect("action");
        } else if (!word("cascade") && !word("restrict")) {
          error("expected a referential action");
        }
      } else {
        return r;
      }
    }
  }

  void column_position(ColumnSpec& c) {
    if (word("first"))
      c.position = "first";
    else if (word("after"))
      c.position = name();
  }

  // ---- index / key definitions (CREATE TABLE elements and ALTER ADD) ----
  // After ADD or at a CREATE TABLE element: returns false when it is not a key definition.
  bool key_definition(Operation& o, uint32_t at) {
    std::string constraint_name;
    bool had_constraint = false;
    if (word("constraint")) {
      had_constraint = true;
      if (!is("primary") && !is("unique") && !is("foreign") && !is("check"))
        constraint_name = name();
    }
    if (word("primary")) {
      expect("key");
      index_options_before();
      ConstraintSpec c;
      c.kind = ConstraintKind::primary_key;
      c.name = "primary";
      c.columns = column_list();
      index_options();
      o = op(OpKind::add_constraint, at);
      o.constraint = c;
      return true;
    }
    if (word("unique")) {
      word("index") || word("key");
      ConstraintSpec c;
      c.kind = ConstraintKind::unique;
      if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
      if (is_name() && !is("using")) c.name = name();
      if (c.name.empty()) c.name = constraint_name;
      index_options_before();
      c.columns = column_list();
      index_options();
      bool ine = o.if_not_exists;
      o = op(OpKind::create_index, at);
      o.if_not_exists = ine;
      o.index = IndexSpec{c.name.empty() ? (c.columns.empty() ? "" : c.columns[0]) : c.name,
                          c.columns, "btree", true, false};
      return true;
    }
    if (word("foreign")) {
      expect("key");
      ConstraintSpec c;
      c.kind = ConstraintKind::foreign_key;
      if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
      if (is_name()) c.name = name();
      if (!constraint_name.empty()) c.name = constraint_name;
      c.columns = column_list();
      expect("references");
      c.references = references();
      bool ine = o.if_not_exists;
      o = op(OpKind::add_constraint, at);
      o.if_not_exists = ine;
      o.constraint = c;
      return true;
    }
    if (word("check")) {
      ConstraintSpec c;
      c.kind = ConstraintKind::check;
      c.name = constraint_name;
      c.check_expr = group_text();
      skip_group();
      word("not");
      word("enforced");
      o = op(OpKind::add_constraint, at);
      o.constraint = c;
      return true;
    }
    if (had_constraint) error("expected PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK");
    std::string method = "btree";
    if (word("fulltext"))
      method = "fulltext";
    else if (word("spatial"))
      method = "spatial";
    bool keyword = word("index") || word("key");
    if (!keyword && method == "btree") return false;
    IndexSpec idx;
    idx.method = method;
    if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
    if (is_name() && !is("using")) idx.name = name();
    index_options_before();
    idx.columns = column_list();
    index_options();
    if (idx.name.empty() && !idx.columns.empty()) idx.name = idx.columns[0];
    bool ine = o.if_not_exists;
    o = op(OpKind::create_index, at);
    o.if_not_exists = ine;
    o.index = idx;
    return true;
  }
  void index_options_before() {
    if (word("using") || word("type")) name();
  }
  void index_options() {
    for (;;) {
      if (word("using") || word("type")) {
        name();
      } else if (word("key_block_size") || word("with") || word("comment") ||
                 word("engine_attribute") || word("secondary_engine_attribute")) {
        word("parser");
        punct("=");
        if (!at_end()) ++i_;
      } else if (word("visible") || word("invisible") || word("clustering")) {
        punct("=");
        word("yes") || word("no");
      } else if (word("ignored") || word("not")) {
        word("ignored");
      } else {
        return;
      }
    }
  }

  // ---- ALTER TABLE ----
  void alter() {
    word("online");
    word("ignore");
    if (!word("table")) return simple(OpKind::other);  // ALTER DATABASE, VIEW, EVENT, ...
    bool if_exists = false;
    if (word("if")) {
      expect("exists");
      if_exists = true;
    }
    QualifiedName table = qualified();
    if (word("wait")) {
      if (!at_end()) ++i_;  // WAIT n (MariaDB)
    } else {
      word("nowait");
    }
    std::string algorithm, lock;
    size_t first = st_.ops.size();
    while (!at_end()) {
      alter_spec(table, algorithm, lock);
      if (!punct(",")) {
        if (at_end()) break;
        // Partition options follow the specifications without a comma.
        if (is("partition") || is("remove")) continue;
        error("expected ',' or the end of the ALTER TABLE statement");
      }
    }
    if (st_.ops.size() == first)
      st_.ops.push_back(op(OpKind::alter_table_other, st_.span.begin)),
          st_.ops.back().detail = "no change";
    bool adds_pk = false;
    for (size_t k = first; k < st_.ops.size(); ++k)
      adds_pk = adds_pk || (st_.ops[k].kind == OpKind::add_constraint && st_.ops[k].constraint &&
                            st_.ops[k].constraint->kind == ConstraintKind::primary_key);
    for (size_t k = first; k < st_.ops.size(); ++k) {
      Operation& o = st_.ops[k];
      if (adds_pk && o.kind == OpKind::drop_constraint && o.object == "primary")
        o.detail = "replaced";
      if (o.table.empty()) o.table = table;
      // ALTER TABLE IF EXISTS is about the table: only the table's own rename follows from it.
      if (o.kind == OpKind::rename_table) o.if_exists = o.if_exists || if_exists;
      o.algorithm = algorithm;
      o.lock_clause = lock;
    }
  }

  std::string option_value() {
    punct("=");
    if (at_end()) error("expected a value");
    return upper(text(t_[i_++]));
  }

  void alter_spec(const QualifiedName& table, std::string& algorithm, std::string& lock) {
    const uint32_t at = here();
    auto push = [&](Operation&& o) { st_.ops.push_back(std::move(o)); };
    if (word("algorithm")) {
      algorithm = option_value();
      return;
    }
    if (word("lock")) {
      lock = option_value();
      return;
    }
    if (word("add")) {
      if (is("partition")) return partition_spec(at, "ADD PARTITION");
      Operation o;
      if (key_definition(o, at)) return push(std::move(o));
      word("column");
      bool ine = false;
      if (word("if")) expect("not"), expect("exists"), ine = true;
      if (punct("(")) {
        for (;;) {
          Operation c = op(OpKind::add_column, here());
          if (!key_definition(c, here())) c.column_spec = column_def();
          c.if_not_exists = ine;
          push(std::move(c));
          if (punct(",")) continue;
          expect_punct(")");
          return;
        }
      }
      Operation c = op(OpKind::add_column, at);
      c.column_spec = column_def();
      column_position(*c.column_spec);
      c.if_not_exists = ine;
      return push(std::move(c));
    }
    if (word("drop")) {
      if (word("primary")) {
        expect("key");
        Operation o = op(OpKind::drop_constraint, at);
        o.object = "primary";
        o.constraint = constraint_of(ConstraintKind::primary_key, "primary");
        return push(std::move(o));
      }
      if (word("foreign")) {
        expect("key");
        Operation o = op(OpKind::drop_constraint, at);
        if (word("if")) expect("exists"), o.if_exists = true;
        o.object = name();
        o.constraint = constraint_of(ConstraintKind::foreign_key, o.object);
        return push(std::move(o));
      }
      if (word("index") || word("key")) {
        Operation o = op(OpKind::drop_index, at);
        if (word("if")) expect("exists"), o.if_exists = true;
        o.object = name();
        return push(std::move(o));
      }
      if (word("check") || word("constraint")) {
        Operation o = op(OpKind::drop_constraint, at);
        if (word("if")) expect("exists"), o.if_exists = true;
        o.object = name();
        return push(std::move(o));
      }
      if (is("partition")) return partition_spec(at, "DROP PARTITION");
      word("column");
      Operation o = op(OpKind::drop_column, at);
      if (word("if")) expect("exists"), o.if_exists = true;
      o.column = name();
      word("restrict") || word("cascade");
      return push(std::move(o));
    }
    if (word("modify")) {
      word("column");
      Operation o = op(OpKind::modify_column, at);
      if (word("if")) expect("exists"), o.if_exists = true;
      o.column_spec = column_def();
      column_position(*o.column_spec);
      o.column = o.column_spec->name;
      return push(std::move(o));
    }
    if (word("change")) {
      word("column");
      bool ie = false;
      if (word("if")) expect("exists"), ie = true;
      std::string old_name = name();
      ColumnSpec c = column_def();
      column_position(c);
      // The redefinition is judged against the old column, so it comes before the rename.
      std::string new_name = c.name;
      c.name = old_name;
      Operation o = op(OpKind::modify_column, at);
      o.column = old_name;
      o.if_exists = ie;
      o.column_spec = std::move(c);
      push(std::move(o));
      if (new_name != old_name) {
        Operation r = op(OpKind::rename_column, at);
        r.column = old_name;
        r.new_name = new_name;
        r.if_exists = ie;
        r.detail = "CHANGE";
        push(std::move(r));
      }
      return;
    }
    if (word("alter")) {
      if (word("index") || word("key")) {
        Operation o = op(OpKind::alter_table_other, at);
        o.object = name();
        o.detail = "ALTER INDEX";
        if (!word("visible") && !word("invisible") && !word("ignored") &&
            !(word("not") && word("ignored")))
          error("expected VISIBLE or INVISIBLE");
        return push(std::move(o));
      }
      if (word("check") || word("constraint")) {
        Operation o = op(OpKind::alter_table_other, at);
        o.object = name();
        o.detail = "ALTER CONSTRAINT";
        word("not");
        expect("enforced");
        return push(std::move(o));
      }
      word("column");
      Operation o = op(OpKind::set_default, at);
      o.column = name();
      if (word("set")) {
        if (word("default")) {
          o.using_expr = default_value();
        } else if (word("visible") || word("invisible")) {
          o.kind = OpKind::alter_table_other;
          o.detail = "column visibility";
        } else {
          error("expected DEFAULT, VISIBLE or INVISIBLE");
        }
      } else if (word("drop")) {
        expect("default");
        o.kind = OpKind::drop_default;
      } else {
        error("expected SET or DROP");
      }
      return push(std::move(o));
    }
    if (word("rename")) {
      if (word("column")) {
        Operation o = op(OpKind::rename_column, at);
        o.column = name();
        expect("to");
        o.new_name = name();
        return push(std::move(o));
      }
      if (word("index") || word("key")) {
        Operation o = op(OpKind::rename_index, at);
        o.object = name();
        expect("to");
        o.new_name = name();
        return push(std::move(o));
      }
      word("to") || word("as");
      Operation o = op(OpKind::rename_table, at);
      o.table = table;
      QualifiedName to = qualified();
      o.new_name = to.name;
      return push(std::move(o));
    }
    if (word("convert")) {
      expect("to");
      if (word("character"))
        expect("set");
      else
        expect("charset");
      Operation o = op(OpKind::convert_charset, at);
      o.value = charset_name();
      if (word("collate")) charset_name();
      return push(std::move(o));
    }
    if (word("force")) return push(table_option(at, "FORCE"));
    if (word("engine") || word("type")) return push(table_option(at, "ENGINE", option_value()));
    if (word("row_format")) return push(table_option(at, "ROW_FORMAT", option_value()));
    if (word("key_block_size")) return push(table_option(at, "KEY_BLOCK_SIZE", option_value()));
    if (word("encryption")) return push(table_option(at, "ENCRYPTION", option_value()));
    if (word("auto_increment")) return push(table_option(at, "AUTO_INCREMENT", option_value()));
    if (word("comment")) return push(table_option(at, "COMMENT", option_value()));
    if (word("default")) {
      if (word("character"))
        expect("set");
      else if (!word("charset") && !word("collate"))
        error("expected CHARACTER SET or COLLATE");
      return push(table_option(at, "CHARACTER SET", charset_name()));
    }
    if (word("character")) {
      expect("set");
      return push(table_option(at, "CHARACTER SET", charset_name()));
    }
    if (word("charset") || word("collate"))
      return push(table_option(at, "CHARACTER SET", charset_name()));
    if (is("stats_persistent") || is("stats_auto_recalc") || is("stats_sample_pages") ||
        is("pack_keys") || is("checksum") || is("delay_key_write") || is("min_rows") ||
        is("max_rows") || is("avg_row_length") || is("compression") || is("insert_method") ||
        is("page_checksum") || is("transactional") || is("tablespace") || is("union") ||
        is("data") || is("index") || is("connection") || is("password") || is("storage") ||
        is("secondary_engine") || is("engine_attribute") || is("autoextend_size") || is("with") ||
        is("without") || is("page_compressed") || is("page_compression_level") || is("sequence") ||
        is("start_transaction")) {
      std::string opt = upper(cur_text());
      ++i_;
      word("directory");
      word("validation");
      std::string v;
      if (punct("=") || (!at_end() && !is_punct(",")))
        if (!at_end() && !is_punct(",")) {
          if (is_punct("("))
            skip_group();
          else
            v = upper(text(t_[i_++]));
        }
      return push(table_option(at, opt, v));
    }
    if (word("enable") || word("disable")) {
      expect("keys");
      return push(table_option(at, "KEYS"));
    }
    if (word("discard") || word("import")) {
      if (is("partition")) return partition_spec(at, "DISCARD/IMPORT PARTITION");
      expect("tablespace");
      return push(table_option(at, "TABLESPACE"));
    }
    if (word("order")) {
      expect("by");
      skip_to_comma();
      return push(table_option(at, "ORDER BY"));
    }
    if (is("partition") || is("remove") || is("coalesce") || is("reorganize") || is("exchange") ||
        is("analyze") || is("check") || is("optimize") || is("rebuild") || is("repair") ||
        is("truncate") || is("split") || is("merge") || is("convert") || is("upgrade")) {
      std::string what = upper(cur_text());
      if (is("partition"))
        what = "PARTITION BY";
      else if (is("remove"))
        what = "REMOVE PARTITIONING";
      else
        what += " PARTITION";
      return partition_spec(at, what);
    }
    error("unknown ALTER TABLE specification");
  }

  Operation table_option(uint32_t at, std::string what, std::string value = {}) {
    Operation o = op(OpKind::table_options, at);
    o.detail = std::move(what);
    o.value = std::move(value);
    return o;
  }

  void partition_spec(uint32_t at, std::string what) {
    skip_to_comma();
    Operation o = op(OpKind::partition_op, at);
    o.detail = std::move(what);
    st_.ops.push_back(std::move(o));
  }

  // ---- CREATE ----
  void create() {
    const bool or_replace = word("or") && word("replace");
    const size_t first = st_.ops.size();
    create_what();
    // CREATE OR REPLACE (MariaDB's for tables and indexes too): every operation it makes replaces.
    for (size_t k = first; or_replace && k < st_.ops.size(); ++k) st_.ops[k].or_replace = true;
  }

  void create_what() {
    bool temporary = word("temporary");
    if (word("table")) return create_table(temporary);
    bool unique = word("unique");
    std::string method = "btree";
    if (word("fulltext"))
      method = "fulltext";
    else if (word("spatial"))
      method = "spatial";
    if (word("index")) return create_index(unique, method);
    if (unique || method != "btree") error("expected INDEX");
    // CREATE [ALGORITHM=..] [DEFINER=..] [SQL SECURITY ..] VIEW / TRIGGER / PROCEDURE ...
    for (size_t k = i_; k < t_.size() && k < i_ + 12; ++k) {
      if (is_at(k, "view")) return create_object(OpKind::create_view, k);
      if (is_at(k, "trigger")) return create_object(OpKind::create_trigger, k);
      if (is_at(k, "procedure")) {
        i_ = k + 1;
        return create_procedure();
      }
      if (is_at(k, "function") || is_at(k, "event")) {
        create_object(OpKind::create_function, k);
        st_.ops.back().detail = is_at(k, "event") ? "event" : "function";
        return;
      }
      if (is_at(k, "database") || is_at(k, "schema"))
        return create_object(OpKind::create_schema, k);
      if (is_at(k, "sequence")) return create_object(OpKind::create_sequence, k);
      if (is_at(k, "user") || is_at(k, "role") || is_at(k, "server") || is_at(k, "tablespace"))
        return simple(OpKind::other);
    }
    simple(OpKind::other);
  }

  // CREATE ... VIEW / TRIGGER / FUNCTION / DATABASE / SEQUENCE [IF NOT EXISTS] name: the object
  // word is at k.
  void create_object(OpKind kind, size_t k) {
    Operation o = op(kind, st_.span.begin);
    i_ = k + 1;
    if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
    if (!at_end() && (t_[i_].kind == Tok::word || t_[i_].kind == Tok::ident)) {
      QualifiedName name = qualified();
      if (kind == OpKind::create_view)
        o.table = name;
      else
        o.object = name.display();
    }
    st_.ops.push_back(std::move(o));
  }

  void create_procedure() {
    Operation o = op(OpKind::create_function, st_.span.begin);
    if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
    o.object = qualified().name;
    o.detail = "procedure";
    if (is_punct("(")) skip_group();
    for (;;) {  // characteristics
      if (word("comment")) {
        if (!at_end()) ++i_;
      } else if (word("language")) {
        word("sql");
      } else if (word("not")) {
        expect("deterministic");
      } else if (word("deterministic")) {
      } else if (word("contains") || word("no")) {
        expect("sql");
      } else if (word("reads") || word("modifies")) {
        expect("sql");
        expect("data");
      } else if (is("sql") && is_at(i_ + 1, "security")) {
        i_ += 2;
        if (!at_end()) ++i_;
      } else {
        break;
      }
    }
    if (at_end()) error("expected the procedure's body");
    if (body_) o.body = std::make_shared<ProcedureBody>(*body_, t_[i_].offset, st_.span.end);
    st_.ops.push_back(std::move(o));
  }

  void call() {
    Operation o = op(OpKind::other, st_.span.begin);
    o.detail = "CALL";
    o.calls.push_back(qualified().name);
    st_.ops.push_back(std::move(o));
  }

  void create_table(bool temporary) {
    Operation o = op(OpKind::create_table, st_.span.begin);
    if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
    o.table = qualified();
    o.temporary = temporary;
    std::vector<IndexSpec> indexes;  // plain KEY / INDEX elements: CREATE INDEX operations after it
    if (word("like") || (is_punct("(") && is_at(i_ + 1, "like"))) {
      if (punct("(")) word("like");
      qualified();
      punct(")");
      st_.ops.push_back(std::move(o));
      return;
    }
    if (punct("(")) {
      if (is("select") || is("with")) {
        --i_;
        skip_group();
        o.kind = OpKind::create_table_as;
      } else {
        for (;;) {
          Operation k;
          if (key_definition(k, here())) {
            if (k.constraint) o.table_constraints.push_back(*k.constraint);
            if (k.index && k.index->unique) {
              ConstraintSpec c;
              c.kind = ConstraintKind::unique;
              c.name = k.index->name;
              c.columns = k.index->columns;
              o.table_constraints.push_back(std::move(c));
            } else if (k.index) {
              indexes.push_back(*k.index);
            }
          } else {
            o.columns.push_back(column_def());
          }
          if (punct(",")) continue;
          expect_punct(")");
          break;
        }
      }
    }
    // Table options, partitioning, then an optional [IGNORE|REPLACE] [AS] SELECT.
    while (!at_end()) {
      if (is("select") || is("with") ||
          (is("as") && (is_at(i_ + 1, "select") || is_at(i_ + 1, "with"))) || is_punct("(")) {
        o.kind = OpKind::create_table_as;
        break;
      }
      if (is("partition")) {
        o.partitioned = true;
        break;
      }
      if (word("default")) continue;
      if (word("character") || word("charset")) {
        word("set");
        o.value = charset_name();
        continue;
      }
      if (word("row_format")) {
        punct("=");
        if (!at_end()) o.row_format = upper(std::string(cur_text()));
        ++i_;
        continue;
      }
      ++i_;
    }
    st_.ops.push_back(std::move(o));
    for (auto& idx : indexes) {
      Operation io = op(OpKind::create_index, st_.span.begin);
      io.table = st_.ops[0].table;
      io.index = idx;
      io.detail = "inline";
      st_.ops.push_back(std::move(io));
    }
  }

  void create_index(bool unique, const std::string& method) {
    Operation o = op(OpKind::create_index, st_.span.begin);
    if (word("if")) expect("not"), expect("exists"), o.if_not_exists = true;
    IndexSpec idx;
    idx.name = name();
    idx.unique = unique;
    idx.method = method;
    index_options_before();
    expect("on");
    o.table = qualified();
    idx.columns = column_list();
    o.index = idx;
    index_statement_clauses(o);
    st_.ops.push_back(std::move(o));
  }

  // CREATE / DROP INDEX end with ALGORITHM= and LOCK= (no commas), among other options.
  void index_statement_clauses(Operation& o) {
    while (!at_end()) {
      if (word("algorithm"))
        o.algorithm = option_value();
      else if (word("lock"))
        o.lock_clause = option_value();
      else
        ++i_;
    }
  }

  // ---- DROP / RENAME / TRUNCATE / OPTIMIZE ----
  void drop() {
    bool temporary = word("temporary");
    if (word("table") || word("tables")) {
      bool ie = false;
      if (word("if")) expect("exists"), ie = true;
      do {
        Operation o = op(OpKind::drop_table, here());
        o.table = qualified();
        o.if_exists = ie;
        o.temporary = temporary;
        st_.ops.push_back(std::move(o));
      } while (punct(","));
      bool cascade = word("cascade");
      for (auto& o : st_.ops) o.cascade = cascade;
      return;
    }
    if (word("index")) {
      Operation o = op(OpKind::drop_index, st_.span.begin);
      if (word("if")) expect("exists"), o.if_exists = true;
      o.object = name();
      expect("on");
      o.table = qualified();
      index_statement_clauses(o);
      st_.ops.push_back(std::move(o));
      return;
    }
    if (word("view")) {
      Operation o = op(OpKind::drop_view, st_.span.begin);
      if (word("if")) expect("exists"), o.if_exists = true;
      o.table = qualified();
      st_.ops.push_back(std::move(o));
      return;
    }
    if (word("database") || word("schema")) {
      Operation o = op(OpKind::drop_database, st_.span.begin);
      if (word("if")) expect("exists"), o.if_exists = true;
      o.object = name();
      st_.ops.push_back(std::move(o));
      return;
    }
    // DROP TRIGGER / PROCEDURE / FUNCTION / EVENT / SEQUENCE / USER ... [IF EXISTS] name
    Operation o = op(OpKind::drop_other, st_.span.begin);
    if (!at_end() && t_[i_].kind == Tok::word) o.detail = ascii_lower(text(t_[i_++]));
    if (word("if")) expect("exists"), o.if_exists = true;
    static constexpr std::string_view kNamed[] = {"trigger", "procedure", "function", "event",
                                                  "sequence"};
    bool named = std::find(std::begin(kNamed), std::end(kNamed), o.detail) != std::end(kNamed);
    if (named && !at_end() && (t_[i_].kind == Tok::word || t_[i_].kind == Tok::ident))
      o.object = qualified().display();
    st_.ops.push_back(std::move(o));
  }

  void rename() {
    if (!word("table") && !word("tables")) return simple(OpKind::other);  // RENAME USER
    do {
      Operation o = op(OpKind::rename_table, here());
      if (word("if")) expect("exists"), o.if_exists = true;  // MariaDB 10.5.2+
      o.table = qualified();
      expect("to");
      o.new_name = qualified().name;
      st_.ops.push_back(std::move(o));
    } while (punct(","));
  }

  void truncate() {
    word("table");
    Operation o = op(OpKind::truncate, st_.span.begin);
    o.table = qualified();
    st_.ops.push_back(std::move(o));
  }

  void optimize() {
    word("no_write_to_binlog") || word("local");
    if (!word("table") && !word("tables")) error("expected TABLE");
    do {
      Operation o = op(OpKind::optimize_table, here());
      o.table = qualified();
      st_.ops.push_back(std::move(o));
    } while (punct(","));
  }

  void lock_tables() {
    if (!word("tables") && !word("table")) return simple(OpKind::other);
    do {
      Operation o = op(OpKind::lock_table, here());
      o.table = qualified();
      word("as") && (name(), true);
      if (is_name() && !is("read") && !is("write") && !is("low_priority")) name();
      std::string mode;
      while (!at_end() && !is_punct(",")) mode += (mode.empty() ? "" : " ") + upper(text(t_[i_++]));
      o.value = mode;
      st_.ops.push_back(std::move(o));
    } while (punct(","));
  }

  // ---- data changes ----
  // Whether a word appears outside parentheses from the current token on.
  bool top_level_word(std::string_view w) const {
    int depth = 0;
    for (size_t k = i_; k < t_.size(); ++k) {
      if (t_[k].kind == Tok::punct) {
        std::string_view p = text(t_[k]);
        if (p == "(")
          ++depth;
        else if (p == ")")
          --depth;
      } else if (depth == 0 && t_[k].kind == Tok::word && iequals_lower(text(t_[k]), w)) {
        return true;
      }
    }
    return false;
  }

  void update() {
    word("low_priority");
    word("ignore");
    Operation o = op(OpKind::update, st_.span.begin);
    o.table = qualified();
    // A multi-table UPDATE restricts its rows with the join's ON as much as with WHERE.
    o.has_where = top_level_word("where") || (top_level_word("join") && top_level_word("on"));
    st_.ops.push_back(std::move(o));
    mark_row_scope(st_.text, mysql_row_lex_options(), st_);
  }

  void del() {
    word("low_priority");
    word("quick");
    word("ignore");
    Operation o = op(OpKind::delete_rows, st_.span.begin);
    if (!word("from")) {
      // DELETE t1 FROM t1 JOIN ...: the first table named is the one rows leave.
      o.table = qualified();
      if (punct(".")) expect_punct("*");
    } else {
      o.table = qualified();
    }
    o.has_where = top_level_word("where") || (top_level_word("join") && top_level_word("on"));
    st_.ops.push_back(std::move(o));
    mark_row_scope(st_.text, mysql_row_lex_options(), st_);
  }

  void insert(bool replace) {
    word("low_priority") || word("delayed") || word("high_priority");
    bool ignore = word("ignore");
    word("into");
    Operation o = op(OpKind::insert, st_.span.begin);
    // REPLACE, INSERT IGNORE and ON DUPLICATE KEY UPDATE all leave no second copy of a row.
    o.skips_existing = replace || ignore || top_level_word("duplicate");
    o.table = qualified();
    o.from_select = top_level_word("select") ||
                    (is_punct("(") && i_ + 1 < t_.size() && is_at(i_ + 1, "select"));
    if (!o.from_select) {
      // INSERT INTO t (a, b) SELECT ...: the SELECT follows the column list.
      size_t save = i_;
      if (is_punct("(") && !is_at(i_ + 1, "select")) {
        skip_group();
        o.from_select = is("select") || is("with") || (is_punct("(") && is_at(i_ + 1, "select"));
      }
      i_ = save;
    }
    st_.ops.push_back(std::move(o));
    mark_row_scope(st_.text, mysql_row_lex_options(), st_);
  }

  // SET [GLOBAL|SESSION|LOCAL|PERSIST] name = value [, ...]
  void set() {
    if (is("names") || (is("character") && is_at(i_ + 1, "set")) || is("charset") ||
        is("password") || is("role") || is("default") || is("transaction") || is("statement"))
      return simple(OpKind::other);
    for (;;) {
      const uint32_t at = here();
      bool global = false;
      if (word("global") || word("persist") || word("persist_only"))
        global = true;
      else
        word("session") || word("local");
      if (is("transaction")) return simple(OpKind::other);
      Operation o = op(OpKind::set_setting, at);
      if (!at_end() && t_[i_].kind == Tok::variable) {
        std::string v = ascii_lower(text(t_[i_++]));
        if (v.starts_with("@@")) {
          v = v.substr(2);
          for (std::string_view scope : {"session.", "local.", "global.", "persist."})
            if (v.starts_with(scope)) {
              global = global || scope == "global." || scope == "persist.";
              v = v.substr(scope.size());
            }
          if (v.empty() && punct(".")) v = name();
        }
        o.object = v;
      } else {
        o.object = name();
      }
      if (!punct("=")) {
        if (!(punct(":") && punct("="))) error("expected '='");
      }
      ExprInfo e = expression();
      o.value = ascii_lower(e.text);
      if (o.value.size() >= 2 && (o.value[0] == '\'' || o.value[0] == '"'))
        o.value = o.value.substr(1, o.value.size() - 2);
      o.detail = global ? "global" : "session";
      st_.ops.push_back(std::move(o));
      if (!punct(",")) break;
    }
    if (!at_end()) error("expected ',' or the end of the SET statement");
  }

  std::string_view s_;
  const std::vector<Token>& t_;
  Statement& st_;
  const BodyContext* body_;
  size_t i_ = 0;
};

// Where the leaf statement of a piece of a compound body starts: past labels and the control
// flow that leads to it (BEGIN, ELSE, LOOP, REPEAT, IF ... THEN, WHILE ... DO, WHEN ... THEN).
// A CASE or IF inside an expression is left alone: only words at a statement's start count.
size_t leaf_start(std::string_view text, const std::vector<Token>& t) {
  auto word_at = [&](size_t k, std::string_view w) {
    return k < t.size() && t[k].kind == Tok::word &&
           iequals_lower(mysql::token_text(text, t[k]), w);
  };
  auto past = [&](size_t k, std::string_view w) {  // past the first top-level w from k
    int depth = 0;
    for (size_t j = k; j < t.size(); ++j) {
      std::string_view x = mysql::token_text(text, t[j]);
      if (t[j].kind == Tok::punct && x == "(") ++depth;
      if (t[j].kind == Tok::punct && x == ")") --depth;
      if (depth == 0 && t[j].kind == Tok::word && iequals_lower(x, w)) return j + 1;
    }
    return t.size();
  };
  size_t k = 0;
  for (size_t guard = 0; guard < t.size() && k < t.size(); ++guard) {
    size_t before = k;
    if (k + 1 < t.size() && t[k + 1].kind == Tok::punct && mysql::token_text(text, t[k + 1]) == ":")
      k += 2;  // label:
    else if (word_at(k, "begin"))
      k += word_at(k + 1, "not") && word_at(k + 2, "atomic") ? 3 : 1;
    else if (word_at(k, "else") || word_at(k, "loop") || word_at(k, "repeat"))
      k += 1;
    else if (word_at(k, "if") || word_at(k, "elseif") || word_at(k, "when") || word_at(k, "case"))
      k = past(k, "then");
    else if (word_at(k, "while"))
      k = past(k, "do");
    if (k == before) break;
  }
  return k;
}

std::vector<Statement> body_statements(const BodyContext& ctx, uint32_t begin, uint32_t end) {
  static constexpr std::string_view kNotStatements[] = {"end",    "declare",  "leave", "iterate",
                                                        "return", "open",     "close", "fetch",
                                                        "signal", "resignal", "until", "get"};
  std::vector<Statement> out;
  const std::string_view text = ctx.src->text();
  mysql::Splitter splitter(text, ctx.target, begin, end);
  mysql::RawStatement raw;
  while (splitter.next(raw)) {
    size_t k = leaf_start(text, raw.tokens);
    if (k >= raw.tokens.size()) continue;
    std::string first = ascii_lower(mysql::token_text(text, raw.tokens[k]));
    if (std::find(std::begin(kNotStatements), std::end(kNotStatements), first) !=
        std::end(kNotStatements))
      continue;
    std::vector<Token> leaf(raw.tokens.begin() + static_cast<long>(k), raw.tokens.end());
    Statement st;
    st.span = ctx.src->span(leaf.front().offset, raw.end);
    st.text = text.substr(leaf.front().offset, raw.end - leaf.front().offset);
    st.node = first;
    try {
      Parser(text, leaf, st, &ctx).parse();
    } catch (const ParseFailure&) {
      continue;  // the CREATE PROCEDURE itself parsed; a body piece we cannot read adds nothing
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace

ParsedFile parse_mysql_each(Dialect flavor, const SourceText& src, const StatementSink& sink,
                            const TargetVersion* version) {
  ParsedFile out;
  const std::string_view text = src.text();
  const mysql::ServerTarget target = mysql::server_target(flavor, version);
  mysql::Splitter splitter(text, target);
  const BodyContext body{&src, target};
  mysql::RawStatement raw;
  TransactionTracker tx;
  while (splitter.next(raw)) {
    Statement st;
    st.span = src.span(raw.begin, raw.end);
    st.text = text.substr(raw.begin, raw.end - raw.begin);
    if (raw.delimiter_command) {
      st.node = "delimiter";
      Operation o;
      o.kind = OpKind::meta_command;
      o.location = raw.begin;
      o.object = "delimiter";
      st.ops.push_back(std::move(o));
    } else {
      st.node = ascii_lower(mysql::token_text(text, raw.tokens.front()));
      try {
        Parser(text, raw.tokens, st, &body).parse();
      } catch (const ParseFailure& f) {
        out.syntax_errors.push_back({src.position(f.offset), f.message});
        continue;
      }
    }
    // DDL ends the open transaction before it runs: the statement itself is outside it.
    if (std::any_of(st.ops.begin(), st.ops.end(),
                    [](const Operation& o) { return commits_implicitly(o); }))
      tx.implicit_commit();
    tx.assign(st);
    ++out.statements;
    sink(st);
  }
  if (const auto& err = splitter.error())
    out.syntax_errors.push_back({src.position(err->offset), err->message});
  out.comments = std::move(splitter.comments());
  return out;
}

}  // namespace migsafe
