// SQLite front end: the shared lexer splits the file (SQLite's own sqlite3_complete() keeps
// trigger bodies whole), SQLite's real parser (sqlite3_prepare on a scratch database) finds
// syntax errors, and a small token parser here turns each statement into IR.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "lexer.hpp"
#include "migsafe/ascii.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/parse.hpp"
#include "parse/sqlite_limits.hpp"
#include "row_scope.hpp"

namespace migsafe {
namespace {

enum class Tok { word, ident, string, number, punct };

struct Token {
  Tok kind;
  std::string_view text;
  uint32_t offset;  // in the file
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::vector<Token> tokenize(std::string_view s, uint32_t base) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? s.size() : e + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == close) {
          if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      size_t end = std::min(j + 1, s.size());
      out.push_back({c == '\'' ? Tok::string : Tok::ident, s.substr(i, end - i),
                     base + static_cast<uint32_t>(i)});
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (is_word_char(s[j]) || s[j] == '.')) ++j;
      out.push_back({Tok::number, s.substr(i, j - i), base + static_cast<uint32_t>(i)});
      i = j;
    } else if (is_word_char(c)) {
      size_t j = i;
      while (j < s.size() && is_word_char(s[j])) ++j;
      out.push_back({Tok::word, s.substr(i, j - i), base + static_cast<uint32_t>(i)});
      i = j;
    } else {
      out.push_back({Tok::punct, s.substr(i, 1), base + static_cast<uint32_t>(i)});
      ++i;
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string upper(std::string_view s) {
  std::string out;
  for (char c : s) out += ascii_upper(c);
  return out;
}

// SQLite compares names case-insensitively; quoted names keep their spelling without quotes.
std::string name_of(const Token& t) {
  if (t.kind == Tok::ident || t.kind == Tok::string) {
    std::string_view inner = t.text.substr(1, t.text.size() >= 2 ? t.text.size() - 2 : 0);
    char q = t.text[0];
    std::string out;
    for (size_t i = 0; i < inner.size(); ++i) {
      out += inner[i];
      if (q != '[' && inner[i] == q && i + 1 < inner.size() && inner[i + 1] == q) ++i;
    }
    return ascii_lower(out);
  }
  return ascii_lower(t.text);
}

// Column constraints and table-constraint keywords end a column's type.
bool ends_type(const Token& t) {
  static constexpr std::string_view kWords[] = {"constraint", "primary",   "not",     "null",
                                                "unique",     "check",     "default", "collate",
                                                "references", "generated", "as"};
  if (t.kind == Tok::punct) return t.text == "," || t.text == ")";
  if (t.kind != Tok::word) return false;
  for (auto w : kWords)
    if (iequals(t.text, w)) return true;
  return false;
}

class StmtParser {
 public:
  StmtParser(const std::vector<Token>& toks, const Statement& st) : t_(toks), st_(st) {}

  void parse(Statement& out) {
    if (t_.empty()) return;
    if (word("create")) return create(out);
    if (word("alter")) return alter(out);
    if (word("drop")) return drop(out);
    if (word("insert")) return insert(out, false);
    if (word("replace")) return insert(out, true);
    if (word("update")) return update(out);
    if (word("delete")) return del(out);
    if (word("pragma")) return pragma(out);
    if (word("begin")) return simple(out, OpKind::begin);
    if (word("commit") || word("end")) return simple(out, OpKind::commit);
    if (word("rollback")) {
      // ROLLBACK TO a savepoint keeps the transaction open.
      return simple(out, has_word("to") ? OpKind::savepoint : OpKind::rollback);
    }
    if (word("savepoint") || word("release")) return simple(out, OpKind::savepoint);
    if (word("vacuum")) return simple(out, OpKind::vacuum);
    if (word("reindex")) return simple(out, OpKind::reindex);
    if (word("analyze")) return simple(out, OpKind::analyze);
    if (is("with")) return with(out);
    if (word("select") || word("values")) return simple(out, OpKind::select);
    simple(out, OpKind::other);
  }

 private:
  bool at_end() const { return i_ >= t_.size(); }
  const Token& cur() const { return t_[std::min(i_, t_.size() - 1)]; }
  bool is(std::string_view w) const {
    return !at_end() && t_[i_].kind == Tok::word && iequals(t_[i_].text, w);
  }
  bool word(std::string_view w) {
    if (!is(w)) return false;
    ++i_;
    return true;
  }
  bool punct(std::string_view p) {
    if (at_end() || t_[i_].kind != Tok::punct || t_[i_].text != p) return false;
    ++i_;
    return true;
  }
  bool has_word(std::string_view w) const {
    return std::any_of(t_.begin(), t_.end(),
                       [&](const Token& t) { return t.kind == Tok::word && iequals(t.text, w); });
  }
  uint32_t here() const { return at_end() ? st_.span.begin : t_[i_].offset; }

  Operation op(OpKind k) const {
    Operation o;
    o.kind = k;
    o.location = st_.span.begin;
    return o;
  }

  // [schema.]name
  // main. names the database every unqualified name is in: the same table (temp. does not).
  QualifiedName qualified() {
    if (at_end()) return {};
    std::string first = name_of(t_[i_++]);
    if (punct(".") && !at_end()) {
      std::string second = name_of(t_[i_++]);
      if (iequals(first, "main")) return {"", second};
      return {first, second};
    }
    return {"", first};
  }

  // WITH ... INSERT / UPDATE / DELETE is a data change like its plain form; WITH ... SELECT a
  // query. The statement's own keyword is the first of them outside the CTEs' parentheses.
  void with(Statement& out) {
    int depth = 0;
    for (size_t k = i_ + 1; k < t_.size(); ++k) {
      const Token& t = t_[k];
      if (t.kind == Tok::punct && t.text == "(") ++depth;
      if (t.kind == Tok::punct && t.text == ")") --depth;
      if (depth != 0 || t.kind != Tok::word) continue;
      i_ = k;
      if (word("insert")) return insert(out, false);
      if (word("replace")) return insert(out, true);
      if (word("update")) return update(out);
      if (word("delete")) return del(out);
      if (is("select") || is("values")) break;
    }
    simple(out, OpKind::select);
  }

  // Whether the word comes after the current token (a WHERE of the statement itself, not of a
  // CTE before it).
  bool has_word_ahead(std::string_view w) const {
    for (size_t k = i_; k < t_.size(); ++k)
      if (t_[k].kind == Tok::word && iequals(t_[k].text, w)) return true;
    return false;
  }

  void skip_parens() {
    int depth = 0;
    while (!at_end()) {
      if (punct("(")) {
        ++depth;
        continue;
      }
      if (punct(")")) {
        if (--depth <= 0) return;
        continue;
      }
      ++i_;
    }
  }

  std::vector<std::string> name_list() {
    std::vector<std::string> out;
    if (!punct("(")) return out;
    int depth = 1;
    bool expect_name = true;
    while (!at_end() && depth > 0) {
      const Token& t = t_[i_];
      if (t.kind == Tok::punct && t.text == "(")
        ++depth;
      else if (t.kind == Tok::punct && t.text == ")")
        --depth;
      else if (t.kind == Tok::punct && t.text == ",")
        expect_name = depth == 1;
      else if (expect_name && depth == 1) {
        out.push_back(name_of(t));
        expect_name = false;
      }
      ++i_;
    }
    return out;
  }

  void if_not_exists(Operation& o) {
    if (word("if") && word("not") && word("exists")) o.if_not_exists = true;
  }
  void if_exists(Operation& o) {
    if (word("if") && word("exists")) o.if_exists = true;
  }

  ColumnSpec column_def() {
    ColumnSpec c;
    if (at_end()) return c;
    c.name = name_of(t_[i_++]);
    std::string type;
    while (!at_end() && !ends_type(cur())) {
      if (cur().kind == Tok::punct && cur().text == "(") {
        size_t b = i_;
        skip_parens();
        for (size_t k = b; k < i_; ++k) type += std::string(t_[k].text);
        continue;
      }
      if (!type.empty()) type += ' ';
      type += std::string(cur().text);
      ++i_;
    }
    c.type.name = ascii_lower(type);
    while (!at_end() && !(cur().kind == Tok::punct && (cur().text == "," || cur().text == ")"))) {
      if (word("constraint")) {
        if (!at_end()) ++i_;
      } else if (word("primary")) {
        word("key");
        c.primary_key = true;
      } else if (word("not")) {
        if (word("null")) c.not_null = true;
      } else if (word("unique")) {
        c.unique = true;
      } else if (word("check")) {
        c.has_check = true;
        skip_parens();
      } else if (word("default")) {
        c.default_expr.present = true;
        if (!at_end() && cur().kind == Tok::punct && cur().text == "(") {
          c.default_expr.functions.push_back("(expression)");  // parenthesised: not a constant
          skip_parens();
        } else if (!at_end()) {
          if (cur().kind == Tok::punct && (cur().text == "-" || cur().text == "+")) ++i_;
          if (!at_end()) {
            c.default_expr.is_null = iequals(cur().text, "null");
            std::string v = ascii_lower(cur().text);
            if (v == "current_time" || v == "current_date" || v == "current_timestamp")
              c.default_expr.functions.push_back(v);
            ++i_;
          }
        }
      } else if (word("references")) {
        ForeignKeyRef ref;
        ref.table = qualified();
        ref.columns = name_list();
        c.references = std::move(ref);
      } else if (word("generated")) {
        word("always");
      } else if (word("as")) {
        skip_parens();
        // VIRTUAL (the default) is computed on read; only STORED columns hold data.
        c.generated = word("stored") ? Generated::stored : Generated::none;
        word("virtual");
      } else if (!at_end() && cur().kind == Tok::punct && cur().text == "(") {
        skip_parens();
      } else {
        ++i_;
      }
    }
    return c;
  }

  void create(Statement& out) {
    bool unique = false;
    bool temporary = word("temp") || word("temporary");
    if (word("unique")) unique = true;
    if (word("table")) {
      create_table(out);
      if (!out.ops.empty()) out.ops.front().temporary = temporary;
      return;
    }
    if (word("index")) return create_index(out, unique);
    if (word("view")) {
      Operation o = op(OpKind::create_view);
      if_not_exists(o);
      o.table = qualified();
      out.ops.push_back(std::move(o));
      return;
    }
    if (word("trigger")) {
      // The body is the trigger's business: DDL-looking text inside it is not run now.
      Operation o = op(OpKind::create_trigger);
      if_not_exists(o);
      o.object = qualified().name;
      while (!at_end() && !word("on")) ++i_;
      o.table = qualified();
      out.ops.push_back(std::move(o));
      return;
    }
    if (word("virtual") && word("table")) {
      Operation o = op(OpKind::create_table);
      if_not_exists(o);
      o.table = qualified();
      out.ops.push_back(std::move(o));
      return;
    }
    simple(out, OpKind::other);
  }

  void create_table(Statement& out) {
    Operation o = op(OpKind::create_table);
    if_not_exists(o);
    o.table = qualified();
    if (word("as")) {
      o.kind = OpKind::create_table_as;
      out.ops.push_back(std::move(o));
      return;
    }
    if (!punct("(")) {
      out.ops.push_back(std::move(o));
      return;
    }
    while (!at_end() && !punct(")")) {
      if (punct(",")) continue;
      if (is("constraint") || is("primary") || is("unique") || is("check") || is("foreign")) {
        ConstraintSpec c;
        if (word("constraint") && !at_end()) c.name = name_of(t_[i_++]);
        if (word("primary")) {
          word("key");
          c.kind = ConstraintKind::primary_key;
          c.columns = name_list();
        } else if (word("unique")) {
          c.kind = ConstraintKind::unique;
          c.columns = name_list();
        } else if (word("check")) {
          c.kind = ConstraintKind::check;
          skip_parens();
        } else if (word("foreign")) {
          word("key");
          c.kind = ConstraintKind::foreign_key;
          c.columns = name_list();
          if (word("references")) {
            c.references.table = qualified();
            c.references.columns = name_list();
          }
        }
        // ON CONFLICT, ON DELETE ... up to the next element.
        int depth = 0;
        while (!at_end() && !(depth == 0 && cur().kind == Tok::punct &&
                              (cur().text == "," || cur().text == ")"))) {
          if (punct("("))
            ++depth;
          else if (punct(")"))
            --depth;
          else
            ++i_;
        }
        o.table_constraints.push_back(std::move(c));
        continue;
      }
      o.columns.push_back(column_def());
    }
    out.ops.push_back(std::move(o));
  }

  void create_index(Statement& out, bool unique) {
    Operation o = op(OpKind::create_index);
    if_not_exists(o);
    QualifiedName idx = qualified();
    IndexSpec spec;
    spec.name = idx.name;
    spec.unique = unique;
    word("on");
    o.table = qualified();
    o.table.schema = idx.schema;
    spec.columns = name_list();
    spec.partial = word("where");
    o.object = spec.name;
    o.index = std::move(spec);
    out.ops.push_back(std::move(o));
  }

  void alter(Statement& out) {
    word("table");
    QualifiedName table = qualified();
    Operation o = op(OpKind::other);
    o.table = table;
    o.location = here();
    if (word("rename")) {
      if (word("to")) {
        o.kind = OpKind::rename_table;
        o.new_name = at_end() ? "" : name_of(t_[i_++]);
      } else {
        word("column");
        o.kind = OpKind::rename_column;
        if (!at_end()) o.column = name_of(t_[i_++]);
        word("to");
        if (!at_end()) o.new_name = name_of(t_[i_++]);
      }
    } else if (word("add")) {
      if (is("constraint") || is("primary") || is("unique") || is("check") || is("foreign")) {
        o.detail = "ADD CONSTRAINT";
      } else {
        word("column");
        o.kind = OpKind::add_column;
        o.location = here();
        ColumnSpec c = column_def();
        o.column = c.name;
        o.column_spec = std::move(c);
      }
    } else if (word("drop")) {
      if (is("constraint") || is("primary") || is("foreign")) {
        o.detail = "DROP CONSTRAINT";
      } else {
        word("column");
        o.kind = OpKind::drop_column;
        if (!at_end()) o.column = name_of(t_[i_++]);
      }
    } else {
      // ALTER COLUMN, MODIFY, CHANGE, ...: not SQLite; kept with what was written.
      o.detail = at_end() ? std::string("that") : upper(cur().text);
      if (i_ + 1 < t_.size() &&
          (iequals(t_[i_ + 1].text, "column") || iequals(t_[i_ + 1].text, "constraint")))
        o.detail += " " + upper(t_[i_ + 1].text);
    }
    if (o.kind == OpKind::other) o.value = "unsupported";
    out.ops.push_back(std::move(o));
  }

  void drop(Statement& out) {
    OpKind k = OpKind::drop_other;
    if (word("table"))
      k = OpKind::drop_table;
    else if (word("index"))
      k = OpKind::drop_index;
    else if (word("view"))
      k = OpKind::drop_view;
    else if (word("trigger"))
      k = OpKind::drop_other;
    Operation o = op(k);
    if_exists(o);
    QualifiedName n = qualified();
    if (k == OpKind::drop_index || k == OpKind::drop_other) {
      o.object = n.name;
      o.table = {n.schema, ""};
    } else {
      o.table = n;
    }
    out.ops.push_back(std::move(o));
  }

  void insert(Statement& out, bool replace) {
    Operation o = op(OpKind::insert);
    // REPLACE, INSERT OR IGNORE / OR REPLACE and an upsert's ON CONFLICT leave no second copy.
    bool skips = replace;
    while (!at_end() && !word("into")) {
      skips = skips || is("ignore") || is("replace");
      ++i_;
    }
    o.table = qualified();
    if (!at_end() && cur().kind == Tok::punct && cur().text == "(") skip_parens();
    o.from_select = is("select") || is("with");
    o.skips_existing = skips || has_word_ahead("conflict");
    out.ops.push_back(std::move(o));
  }

  void update(Statement& out) {
    Operation o = op(OpKind::update);
    if (word("or") && !at_end()) ++i_;
    o.table = qualified();
    o.has_where = has_word_ahead("where");
    out.ops.push_back(std::move(o));
  }

  void del(Statement& out) {
    Operation o = op(OpKind::delete_rows);
    word("from");
    o.table = qualified();
    o.has_where = has_word_ahead("where");
    out.ops.push_back(std::move(o));
  }

  void pragma(Statement& out) {
    Operation o = op(OpKind::set_setting);
    QualifiedName n = qualified();
    o.object = n.name;
    if (punct("=") || punct("(")) {
      if (!at_end()) o.value = ascii_lower(name_of(t_[i_++]));
    } else {
      o.kind = OpKind::select;  // PRAGMA name: a query
    }
    out.ops.push_back(std::move(o));
  }

  void simple(Statement& out, OpKind k) { out.ops.push_back(op(k)); }

  const std::vector<Token>& t_;
  const Statement& st_;
  size_t i_ = 0;
};

// A scratch connection of SQLite's own, to ask its parser whether a statement is SQL at all.
class SyntaxChecker {
 public:
  SyntaxChecker() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
        SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_set_authorizer(db_, &SyntaxChecker::authorize, nullptr);
    sqlite::limit_connection(db_);
  }
  ~SyntaxChecker() { sqlite3_close(db_); }
  SyntaxChecker(const SyntaxChecker&) = delete;
  SyntaxChecker& operator=(const SyntaxChecker&) = delete;

  // The syntax error and its byte offset in sql, or nullopt when SQLite can parse it (errors
  // about missing tables or columns are not syntax errors).
  std::optional<std::pair<uint32_t, std::string>> check(const std::string& sql) {
    if (!db_) return std::nullopt;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_OK) return std::nullopt;
    std::string msg = sqlite3_errmsg(db_);
    bool syntax = msg.find("syntax error") != std::string::npos ||
                  msg.find("incomplete input") != std::string::npos ||
                  msg.find("unrecognized token") != std::string::npos;
    if (!syntax) return std::nullopt;
    int off = sqlite3_error_offset(db_);
    return std::make_pair(off >= 0 ? static_cast<uint32_t>(off) : 0u, msg);
  }

 private:
  // Some pragmas act while they are prepared, and some of those on the whole process
  // (hard_heap_limit, soft_heap_limit, temp_store_directory): a migration's pragmas are never
  // let past the authorizer here, which SQLite asks before it acts ("not authorized" is no
  // syntax error).
  static int authorize(void*, int action, const char*, const char*, const char*, const char*) {
    return action == SQLITE_PRAGMA || action == SQLITE_ATTACH || action == SQLITE_DETACH
               ? SQLITE_DENY
               : SQLITE_OK;
  }

  sqlite3* db_ = nullptr;
};

bool unsupported_alter(const Statement& st) {
  return std::any_of(st.ops.begin(), st.ops.end(),
                     [](const Operation& o) { return o.value == "unsupported"; });
}

Operation* first_op(Statement& st, OpKind k) {
  for (auto& op : st.ops)
    if (op.kind == k) return &op;
  return nullptr;
}

// The 12-step table rebuild, recognised across statements: CREATE TABLE new_X, copy, DROP TABLE
// X, ALTER TABLE new_X RENAME TO X. The DROP and the RENAME are marked "rebuild", the DROP also
// "checked" when PRAGMA foreign_key_check follows. Renaming the old table aside first and
// creating X anew is the documented wrong order: marked "rename-aside".
void annotate_rebuilds(std::vector<Statement>& stmts) {
  for (size_t i = 0; i < stmts.size(); ++i) {
    Operation* drop = first_op(stmts[i], OpKind::drop_table);
    if (drop) {
      for (size_t j = i + 1; j < stmts.size(); ++j) {
        Operation* rename = first_op(stmts[j], OpKind::rename_table);
        if (!rename || rename->new_name != drop->table.name) continue;
        drop->detail = rename->detail = "rebuild";
        drop->new_name = rename->table.name;
        for (size_t k = j + 1; k < stmts.size(); ++k) {
          Operation* pragma = first_op(stmts[k], OpKind::select);
          bool check = pragma && iequals(stmts[k].node, "pragma") &&
                       stmts[k].text.find("foreign_key_check") != std::string_view::npos;
          Operation* set = first_op(stmts[k], OpKind::set_setting);
          if (check || (set && set->object == "foreign_key_check")) drop->value = "checked";
        }
        break;
      }
    }
    Operation* aside = first_op(stmts[i], OpKind::rename_table);
    if (aside && aside->detail != "rebuild") {
      for (size_t j = i + 1; j < stmts.size(); ++j) {
        Operation* create = first_op(stmts[j], OpKind::create_table);
        if (create && create->table.name == aside->table.name) {
          aside->detail = "rename-aside";
          break;
        }
      }
    }
  }
}

}  // namespace

ParsedFile parse_sqlite_each(const SourceText& src, const StatementSink& sink) {
  ParsedFile out;
  LexOptions opt = sqlite_lex_options();
  LexResult lex = lex_sql(src.text(), opt);
  SyntaxChecker checker;
  TransactionTracker tx;
  const std::string_view text = src.text();
  const auto& pieces = lex.statements;
  std::vector<Statement> parsed;  // a file is annotated whole before its statements go on
  for (size_t i = 0; i < pieces.size(); ++i) {
    uint32_t begin = skip_trivia(text, pieces[i].begin, opt);
    uint32_t end = pieces[i].end;
    // A trigger body holds ';': SQLite says when the statement is complete.
    while (i + 1 < pieces.size() &&
           !sqlite3_complete(std::string(text.substr(begin, end - begin)).c_str()))
      end = pieces[++i].end;
    if (begin >= end) continue;
    uint32_t trimmed = end;
    while (trimmed > begin && std::isspace(static_cast<unsigned char>(text[trimmed - 1])))
      --trimmed;
    Statement st;
    st.span = src.span(begin, trimmed);
    st.text = text.substr(begin, trimmed - begin);
    std::vector<Token> toks = tokenize(st.text, begin);
    if (toks.empty()) continue;
    st.node = ascii_lower(toks.front().text);
    StmtParser(toks, st).parse(st);
    mark_row_scope(st.text, sqlite_lex_options(), st);
    if (!unsupported_alter(st)) {
      if (auto err = checker.check(std::string(st.text))) {
        out.syntax_errors.push_back({src.position(begin + err->first), err->second});
        continue;
      }
    }
    parsed.push_back(std::move(st));
  }
  annotate_rebuilds(parsed);
  for (Statement& st : parsed) {
    tx.assign(st);
    ++out.statements;
    sink(st);
  }
  if (lex.error) out.syntax_errors.push_back({src.position(lex.error->offset), lex.error->message});
  out.comments = std::move(lex.comments);
  return out;
}

}  // namespace migsafe
