// {placeholder} expansion for rule messages and safer alternatives.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>

#include "migsafe/ascii.hpp"
#include "migsafe/effects.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {
namespace {

std::string strip_semicolon(std::string_view s) {
  while (!s.empty() && (s.back() == ';' || s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

// The statement as written, with CONCURRENTLY put where PostgreSQL's grammar wants it. The
// patterns are compiled once: compiling them on every call was 5% of a big file's run.
std::string with_concurrently(const EvalInput& in) {
  static const RE2 index_word(R"((?i)\b(INDEX)\b)");
  static const RE2 reindex_word(R"((?i)\b(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\b)");
  static const RE2 view_word(R"((?i)\b(VIEW)\b)");
  std::string s = strip_semicolon(in.stmt.text);
  switch (in.op.kind) {
    case OpKind::create_index:
    case OpKind::drop_index:
      RE2::Replace(&s, index_word, "\\1 CONCURRENTLY");
      break;
    case OpKind::reindex:
      RE2::Replace(&s, reindex_word, "\\1 CONCURRENTLY");
      break;
    case OpKind::refresh_matview:
      RE2::Replace(&s, view_word, "\\1 CONCURRENTLY");
      break;
    case OpKind::detach_partition:
      s += " CONCURRENTLY";
      break;
    default:
      break;
  }
  return s + ";";
}

std::string constraint_name(const EvalInput& in) {
  if (in.op.constraint && !in.op.constraint->name.empty()) return in.op.constraint->name;
  if (!in.op.object.empty()) return in.op.object;
  return "<constraint_name>";
}

// MySQL: the cheapest ALGORITHM= / LOCK= clause the statement can take, parts joined by sep.
std::string suggested_clause(const StatementDdl& d, std::string_view sep) {
  if (d.algorithm == Algorithm::instant) return "ALGORITHM=INSTANT";
  if (d.algorithm == Algorithm::copy || d.min_lock != DdlLock::none) return "LOCK=NONE";
  return "ALGORITHM=INPLACE" + std::string(sep) + "LOCK=NONE";
}

std::string rerun_words(Rerun r) {
  switch (r) {
    case Rerun::harmless:
      return "does no harm";
    case Rerun::fails:
      return "fails, since the first run already made the change";
    case Rerun::duplicates:
      return "inserts the rows a second time (or fails on a unique key)";
    case Rerun::invalid_index:
      return "meets the INVALID index a stopped build leaves behind";
    case Rerun::applies_twice:
      return "changes the rows a second time";
  }
  return "does no harm";
}

// The operation in a few SQL words with its object: "CREATE INDEX orders_idx", "ADD COLUMN note
// TO orders", "RENAME TABLE a TO b", "DROP TRIGGER audit".
std::string subject_words(const EvalInput& in) {
  const std::string table = in.op.table.display();
  const std::string words(op_sql_words(in.op.kind));
  const std::string column = in.op.column_spec ? in.op.column_spec->name : in.op.column;
  switch (in.op.kind) {
    case OpKind::insert:
      return "INSERT INTO " + table;
    case OpKind::update:
      return "UPDATE " + table;
    case OpKind::create_function:
      // MySQL's CREATE EVENT and CREATE PROCEDURE are routines too.
      return "CREATE " +
             std::string(in.op.detail == "event"       ? "EVENT"
                         : in.op.detail == "procedure" ? "PROCEDURE"
                                                       : "FUNCTION") +
             " " + in.op.object;
    case OpKind::add_column:
      return "ADD COLUMN " + column + " TO " + table;
    case OpKind::drop_column:
      return "DROP COLUMN " + column + " OF " + table;
    case OpKind::rename_column:
      return "RENAME COLUMN " + column + " TO " + in.op.new_name + " OF " + table;
    case OpKind::rename_table:
      return "RENAME TABLE " + table + " TO " + in.op.new_name;
    case OpKind::create_index:
    case OpKind::drop_index:
      return words + " " + (in.op.index ? in.op.index->name : in.op.object);
    case OpKind::add_constraint:
    case OpKind::drop_constraint:
      return words + " " + constraint_name(in) + " ON " + table;
    case OpKind::create_schema:
      return (in.dialect == Dialect::mysql || in.dialect == Dialect::mariadb ? "CREATE DATABASE "
                                                                             : "CREATE SCHEMA ") +
             in.op.object;
    case OpKind::drop_other: {
      // PostgreSQL names the kind OBJECT_TYPE, MySQL's front end "trigger".
      std::string what = in.op.detail;
      if (what.starts_with("OBJECT_")) what = what.substr(7);
      for (char& c : what) c = ascii_upper(c);
      return "DROP " + (what.empty() ? std::string() : what + " ") + in.op.object;
    }
    default:
      return words + " " + (in.op.object.empty() ? table : in.op.object);
  }
}

// The column batches walk: the primary key's first column (a single-column key keeps batches
// on the index), else "id" as a placeholder the reader adjusts.
std::string key_column(const TableInfo* t) {
  if (t)
    for (const auto& c : t->constraints)
      if (c.kind == ConstraintKind::primary_key && !c.columns.empty()) return c.columns.front();
  return "id";
}

void put_table(const EvalInput& in, std::string& out) {
  const QualifiedName& t = in.effect.table.name.empty() ? in.op.table : in.effect.table;
  if (!t.name.empty()) return t.append_display(out);
  // An index the model does not know: its table is not named in the statement.
  const bool of_index = in.op.kind == OpKind::drop_index || in.op.kind == OpKind::rename_index ||
                        in.op.kind == OpKind::reindex;
  out += of_index ? "the index's table" : "the table";
}

void put_joined(const std::vector<std::string>& items, std::string_view sep, std::string& out) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
}

void put_old_type(const EvalInput& in, bool sql, std::string& out) {
  const ColumnInfo* c = in.table ? in.table->column(in.op.column) : nullptr;
  if (c)
    out += c->type.display();
  else if (sql)
    out += "<the type of " + in.op.column + ">";
  else
    out += "its current type";
}

void put_statement_with_clause(const EvalInput& in, std::string& out) {
  // CREATE / DROP INDEX take the clauses without a comma; ALTER TABLE lists them.
  const bool index_stmt = in.stmt.node == "create" || in.stmt.node == "drop";
  out += strip_semicolon(in.stmt.text);
  out += index_stmt ? " " : ", ";
  out += suggested_clause(in.facts.statement_ddl, index_stmt ? " " : ", ");
  out += ';';
}

void put_requested(const EvalInput& in, std::string& out) {
  if (!in.op.algorithm.empty()) out += "ALGORITHM=" + in.op.algorithm;
  if (!in.op.lock_clause.empty()) {
    if (!in.op.algorithm.empty()) out += ", ";
    out += "LOCK=" + in.op.lock_clause;
  }
}

void put_constraint_columns(const EvalInput& in, std::string_view sep, std::string& out) {
  if (in.op.constraint) put_joined(in.op.constraint->columns, sep, out);
}

void put_seq_scan_rows(const EvalInput& in, std::string& out) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", in.facts.seq_scan_rows);
  out += buf;
}

void put_duplicate_of(const EvalInput& in, std::string& out) {
  const IndexInfo* idx = in.table && in.op.index ? in.table->covering_index(*in.op.index) : nullptr;
  out += idx ? std::string_view(idx->name) : std::string_view("an existing index");
}

void put_server(const EvalInput& in, std::string& out) {
  out += in.dialect == Dialect::mariadb ? "MariaDB " : in.dialect == Dialect::mysql ? "MySQL " : "";
  in.version.append_display(out);
}

void put_referenced_table(const EvalInput& in, std::string& out) {
  if (in.op.constraint)
    in.op.constraint->references.table.append_display(out);
  else if (!in.effect.other_locks.empty())
    in.effect.other_locks.front().table.append_display(out);
  else
    out += "<referenced_table>";
}

void put_locked_tables(const EvalInput& in, std::string& out) {
  std::vector<std::string> names;  // every table the operation locks, each named once
  for (const auto& l : table_locks(in.effect)) names.push_back(l.table.display());
  out += join_names(names);
}

void put_change_head(const EvalInput& in, std::string& out) {
  out += in.op.kind == OpKind::delete_rows ? "DELETE FROM " : "UPDATE ";
  in.op.table.append_display(out);
  if (in.op.kind != OpKind::delete_rows) out += " SET ...";
}

// What each {placeholder} stands for, sorted by name for a binary search: a template holds
// several and a large check expands tens of thousands of them.
struct Placeholder {
  std::string_view name;
  void (*put)(const EvalInput&, std::string&);
};

constexpr Placeholder kPlaceholders[] = {
    {"algorithm", [](const EvalInput& in, std::string& o) { o += algorithm_name(in.effect.algorithm); }},
    {"change_head", put_change_head},
    {"column",
     [](const EvalInput& in, std::string& o) {
       o += in.op.column_spec ? in.op.column_spec->name : in.op.column;
     }},
    {"column_type",
     [](const EvalInput& in, std::string& o) {
       if (in.op.column_spec) o += in.op.column_spec->type.display();
     }},
    {"constraint", [](const EvalInput& in, std::string& o) { o += constraint_name(in); }},
    {"constraint_columns",
     [](const EvalInput& in, std::string& o) { put_constraint_columns(in, ", ", o); }},
    {"constraint_columns_joined",
     [](const EvalInput& in, std::string& o) { put_constraint_columns(in, "_", o); }},
    {"data_failure", [](const EvalInput& in, std::string& o) { o += in.facts.data_failure; }},
    {"default",
     [](const EvalInput& in, std::string& o) {
       o += in.op.column_spec && in.op.column_spec->default_expr.present
                ? std::string_view(in.op.column_spec->default_expr.text)
                : std::string_view("NULL");
     }},
    {"detail", [](const EvalInput& in, std::string& o) { o += in.op.detail; }},
    {"duplicate_of", put_duplicate_of},
    {"held_by", [](const EvalInput& in, std::string& o) { o += in.facts.held_by; }},
    {"held_lock",
     [](const EvalInput& in, std::string& o) { o += lock_mode_name(in.facts.held_lock); }},
    {"index",
     [](const EvalInput& in, std::string& o) {
       o += in.op.index ? in.op.index->name : in.op.object;
     }},
    {"index_columns",
     [](const EvalInput& in, std::string& o) {
       if (in.op.index) put_joined(in.op.index->columns, ", ", o);
     }},
    {"key_column", [](const EvalInput& in, std::string& o) { o += key_column(in.table); }},
    {"kind", [](const EvalInput& in, std::string& o) { o += op_sql_words(in.op.kind); }},
    {"lock", [](const EvalInput& in, std::string& o) { o += lock_mode_name(in.effect.lock); }},
    {"lock_words",
     [](const EvalInput& in, std::string& o) {
       o += in.op.lock_clause == "EXCLUSIVE" ? "reads and writes" : "writes";
     }},
    {"locked_tables", put_locked_tables},
    {"min_lock", [](const EvalInput& in, std::string& o) { o += ddl_lock_name(in.effect.min_lock); }},
    {"new_name", [](const EvalInput& in, std::string& o) { o += in.op.new_name; }},
    {"object", [](const EvalInput& in, std::string& o) { o += in.op.object; }},
    {"old_type", [](const EvalInput& in, std::string& o) { put_old_type(in, false, o); }},
    {"old_type_sql", [](const EvalInput& in, std::string& o) { put_old_type(in, true, o); }},
    {"other_held_by", [](const EvalInput& in, std::string& o) { o += in.facts.other_held_by; }},
    {"other_held_lock",
     [](const EvalInput& in, std::string& o) { o += lock_mode_name(in.facts.other_held_lock); }},
    {"reason", [](const EvalInput& in, std::string& o) { o += in.effect.reason; }},
    {"referenced_table", put_referenced_table},
    {"refused", [](const EvalInput& in, std::string& o) { o += in.effect.refused; }},
    {"requested", put_requested},
    {"rerun",
     [](const EvalInput& in, std::string& o) {
       o += rerun_words(rerun_effect(in.dialect, in.op, in.version).outcome);
     }},
    {"rerun_guard",
     [](const EvalInput& in, std::string& o) {
       o += rerun_effect(in.dialect, in.op, in.version).guard;
     }},
    {"row_version_limit",
     [](const EvalInput& in, std::string& o) { o += std::to_string(in.facts.row_version_limit); }},
    {"row_versions",
     [](const EvalInput& in, std::string& o) { o += std::to_string(in.facts.row_versions); }},
    {"seq_scan_rows", put_seq_scan_rows},
    {"server", put_server},
    {"setting", [](const EvalInput& in, std::string& o) { o += in.op.object; }},
    {"statement",
     [](const EvalInput& in, std::string& o) {
       o += strip_semicolon(in.stmt.text);
       o += ';';
     }},
    {"statement_algorithm",
     [](const EvalInput& in, std::string& o) {
       o += algorithm_name(in.facts.statement_ddl.algorithm);
     }},
    {"statement_concurrently", [](const EvalInput& in, std::string& o) { o += with_concurrently(in); }},
    {"statement_not_valid",
     [](const EvalInput& in, std::string& o) {
       o += strip_semicolon(in.stmt.text);
       o += " NOT VALID;";
     }},
    {"statement_with_clause", put_statement_with_clause},
    {"statements",
     [](const EvalInput& in, std::string& o) {
       o += std::to_string(in.facts.access_exclusive_statements + 1);  // already in SQL words
     }},
    {"subject", [](const EvalInput& in, std::string& o) { o += subject_words(in); }},
    {"suggested_clause",
     [](const EvalInput& in, std::string& o) { o += suggested_clause(in.facts.statement_ddl, ", "); }},
    {"table", put_table},
    {"transaction", [](const EvalInput& in, std::string& o) { o += in.facts.transaction; }},
    {"transaction_fix", [](const EvalInput& in, std::string& o) { o += in.facts.transaction_fix; }},
    {"type",
     [](const EvalInput& in, std::string& o) {
       if (in.op.new_type) o += in.op.new_type->display();
     }},
    {"unchecked_reason", [](const EvalInput& in, std::string& o) { o += in.op.body_unchecked; }},
    {"value", [](const EvalInput& in, std::string& o) { o += in.op.value; }},
    {"version", [](const EvalInput& in, std::string& o) { o += in.version.display(); }},
};

constexpr bool sorted_by_name() {
  for (size_t i = 1; i < std::size(kPlaceholders); ++i)
    if (!(kPlaceholders[i - 1].name < kPlaceholders[i].name)) return false;
  return true;
}
static_assert(sorted_by_name(), "kPlaceholders must stay sorted by name");

// The writer of a placeholder, or null for a name no placeholder has.
void (*placeholder(std::string_view key))(const EvalInput&, std::string&) {
  // The first letters decide most steps without a call to memcmp.
  const auto* it = std::lower_bound(std::begin(kPlaceholders), std::end(kPlaceholders), key,
                                    [](const Placeholder& p, std::string_view k) {
                                      return p.name[0] != k[0] ? p.name[0] < k[0] : p.name < k;
                                    });
  return it != std::end(kPlaceholders) && it->name == key ? it->put : nullptr;
}

}  // namespace

namespace {

struct Words {
  OpKind kind;
  std::string_view sql;
};

constexpr Words kWords[] = {
    {OpKind::create_table, "CREATE TABLE"},
    {OpKind::create_table_as, "CREATE TABLE AS"},
    {OpKind::create_view, "CREATE VIEW"},
    {OpKind::create_sequence, "CREATE SEQUENCE"},
    {OpKind::create_schema, "CREATE SCHEMA"},
    {OpKind::create_extension, "CREATE EXTENSION"},
    {OpKind::create_type, "CREATE TYPE"},
    {OpKind::create_domain, "CREATE DOMAIN"},
    {OpKind::create_function, "CREATE FUNCTION"},
    {OpKind::add_enum_value, "ADD VALUE"},
    {OpKind::rename_enum_value, "RENAME VALUE"},
    {OpKind::rename_schema, "RENAME SCHEMA"},
    {OpKind::drop_view, "DROP VIEW"},
    {OpKind::drop_schema, "DROP SCHEMA"},
    {OpKind::drop_database, "DROP DATABASE"},
    {OpKind::drop_other, "DROP"},
    {OpKind::rename_index, "RENAME INDEX"},
    {OpKind::rename_constraint, "RENAME CONSTRAINT"},
    {OpKind::create_index, "CREATE INDEX"},
    {OpKind::drop_index, "DROP INDEX"},
    {OpKind::add_column, "ADD COLUMN"},
    {OpKind::drop_column, "DROP COLUMN"},
    {OpKind::alter_column_type, "ALTER COLUMN TYPE"},
    {OpKind::set_not_null, "SET NOT NULL"},
    {OpKind::drop_not_null, "DROP NOT NULL"},
    {OpKind::set_default, "SET DEFAULT"},
    {OpKind::drop_default, "DROP DEFAULT"},
    {OpKind::add_constraint, "ADD CONSTRAINT"},
    {OpKind::validate_constraint, "VALIDATE CONSTRAINT"},
    {OpKind::drop_constraint, "DROP CONSTRAINT"},
    {OpKind::rename_column, "RENAME COLUMN"},
    {OpKind::rename_table, "RENAME TO"},
    {OpKind::drop_table, "DROP TABLE"},
    {OpKind::truncate, "TRUNCATE"},
    {OpKind::update, "UPDATE"},
    {OpKind::delete_rows, "DELETE"},
    {OpKind::insert, "INSERT"},
    {OpKind::lock_table, "LOCK TABLE"},
    {OpKind::vacuum, "VACUUM"},
    {OpKind::cluster, "CLUSTER"},
    {OpKind::reindex, "REINDEX"},
    {OpKind::refresh_matview, "REFRESH MATERIALIZED VIEW"},
    {OpKind::detach_partition, "DETACH PARTITION"},
    {OpKind::attach_partition, "ATTACH PARTITION"},
    {OpKind::create_trigger, "CREATE TRIGGER"},
    {OpKind::enable_disable_trigger, "ENABLE / DISABLE TRIGGER"},
    {OpKind::set_logged, "SET LOGGED"},
    {OpKind::set_unlogged, "SET UNLOGGED"},
    {OpKind::set_tablespace, "SET TABLESPACE"},
    {OpKind::set_access_method, "SET ACCESS METHOD"},
    {OpKind::modify_column, "MODIFY COLUMN"},
    {OpKind::convert_charset, "CONVERT TO CHARACTER SET"},
    {OpKind::optimize_table, "OPTIMIZE TABLE"},
    {OpKind::table_options, "a table option change"},
    {OpKind::partition_op, "a partition change"},
    {OpKind::begin, "BEGIN"},
    {OpKind::commit, "COMMIT"},
    {OpKind::rollback, "ROLLBACK"},
};

// Indexed by kind: every finding's message and every recorded operation asks.
constexpr auto kWordsByKind = [] {
  std::array<std::string_view, static_cast<size_t>(OpKind::other) + 1> by_kind{};
  for (const auto& w : kWords) by_kind[static_cast<size_t>(w.kind)] = w.sql;
  return by_kind;
}();

}  // namespace

std::string_view op_sql_words(OpKind k) {
  const std::string_view sql = kWordsByKind[static_cast<size_t>(k)];
  return sql.empty() ? op_kind_name(k) : sql;
}

Template::Template(std::string_view text) : text_(text) {
  const std::string_view t = text_;
  size_t literal = 0;  // where the current literal began
  size_t i = 0;
  while (i < t.size()) {
    const size_t open = t.find('{', i);
    if (open == std::string_view::npos) break;
    // A placeholder is a name up to the next '}'; a brace followed by a space, a line break or
    // another brace before its '}' opens none and stays as written, and so does an unknown
    // name (a typo then shows in the output).
    size_t close = open + 1;
    while (close < t.size() && t[close] != '}' && t[close] != ' ' && t[close] != '\n' &&
           t[close] != '{')
      ++close;
    if (close == t.size()) break;
    auto put = t[close] == '}' && close > open + 1
                   ? placeholder(t.substr(open + 1, close - open - 1))
                   : nullptr;
    if (!put) {
      i = t[close] == '}' && close > open + 1 ? close + 1 : open + 1;
      continue;
    }
    parts_.push_back({static_cast<uint32_t>(literal), static_cast<uint32_t>(open - literal), put});
    literal = i = close + 1;
  }
  parts_.push_back(
      {static_cast<uint32_t>(literal), static_cast<uint32_t>(t.size() - literal), nullptr});
}

std::string Template::expand(const EvalInput& in) const {
  std::string out;
  out.reserve(text_.size() + 32);
  for (const Part& p : parts_) {
    out.append(text_, p.begin, p.size);
    if (p.put) p.put(in, out);
  }
  return out;
}

std::string expand_template(std::string_view tmpl, const EvalInput& in) {
  return Template(tmpl).expand(in);
}

}  // namespace migsafe
