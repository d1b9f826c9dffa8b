// {placeholder} expansion for rule messages and safer alternatives.
#include <re2/re2.h>

#include <cctype>
#include <cstdio>

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
      for (char& c : what) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
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

std::string value_of(std::string_view key, const EvalInput& in) {
  if (key == "table") {
    const QualifiedName& t = in.effect.table.name.empty() ? in.op.table : in.effect.table;
    if (!t.name.empty()) return t.display();
    // An index the model does not know: its table is not named in the statement.
    const bool of_index = in.op.kind == OpKind::drop_index || in.op.kind == OpKind::rename_index ||
                          in.op.kind == OpKind::reindex;
    return of_index ? "the index's table" : "the table";
  }
  if (key == "column") return in.op.column_spec ? in.op.column_spec->name : in.op.column;
  if (key == "index") return in.op.index ? in.op.index->name : in.op.object;
  if (key == "index_columns") {
    std::string out;
    if (in.op.index)
      for (const auto& c : in.op.index->columns) out += (out.empty() ? "" : ", ") + c;
    return out;
  }
  if (key == "constraint") return constraint_name(in);
  if (key == "object") return in.op.object;
  if (key == "detail") return in.op.detail;
  if (key == "new_name") return in.op.new_name;
  if (key == "value") return in.op.value;
  if (key == "setting") return in.op.object;
  if (key == "lock") return std::string(lock_mode_name(in.effect.lock));
  if (key == "reason") return in.effect.reason;
  if (key == "refused") return in.effect.refused;
  if (key == "locked_tables") {  // every table the operation locks, each named once
    std::vector<std::string> names;
    for (const auto& l : table_locks(in.effect)) names.push_back(l.table.display());
    return join_names(names);
  }
  if (key == "unchecked_reason") return in.op.body_unchecked;
  if (key == "data_failure") return in.facts.data_failure;
  if (key == "row_versions") return std::to_string(in.facts.row_versions);
  if (key == "row_version_limit") return std::to_string(in.facts.row_version_limit);
  if (key == "transaction") return in.facts.transaction;
  if (key == "transaction_fix") return in.facts.transaction_fix;
  if (key == "held_lock") return std::string(lock_mode_name(in.facts.held_lock));
  if (key == "held_by") return in.facts.held_by;
  if (key == "other_held_lock") return std::string(lock_mode_name(in.facts.other_held_lock));
  if (key == "other_held_by") return in.facts.other_held_by;
  if (key == "statements")
    return std::to_string(in.facts.access_exclusive_statements + 1);  // already in SQL words
  if (key == "type") return in.op.new_type ? in.op.new_type->display() : std::string();
  if (key == "column_type")
    return in.op.column_spec ? in.op.column_spec->type.display() : std::string();
  if (key == "default")
    return in.op.column_spec && in.op.column_spec->default_expr.present
               ? in.op.column_spec->default_expr.text
               : std::string("NULL");
  if (key == "old_type_sql") {  // in SQL advice: the type, or what to write there
    const ColumnInfo* c = in.table ? in.table->column(in.op.column) : nullptr;
    return c ? c->type.display() : "<the type of " + in.op.column + ">";
  }
  if (key == "old_type") {
    const ColumnInfo* c = in.table ? in.table->column(in.op.column) : nullptr;
    return c ? c->type.display() : std::string("its current type");
  }
  if (key == "referenced_table") {
    if (in.op.constraint) return in.op.constraint->references.table.display();
    if (!in.effect.other_locks.empty()) return in.effect.other_locks.front().table.display();
    return "<referenced_table>";
  }
  if (key == "statement") return strip_semicolon(in.stmt.text) + ";";
  if (key == "statement_concurrently") return with_concurrently(in);
  if (key == "statement_not_valid") return strip_semicolon(in.stmt.text) + " NOT VALID;";
  if (key == "version") return in.version.display();
  if (key == "server")
    return std::string(in.dialect == Dialect::mariadb ? "MariaDB "
                       : in.dialect == Dialect::mysql ? "MySQL "
                                                      : "") +
           in.version.display();
  if (key == "algorithm") return std::string(algorithm_name(in.effect.algorithm));
  if (key == "min_lock") return std::string(ddl_lock_name(in.effect.min_lock));
  if (key == "statement_algorithm")
    return std::string(algorithm_name(in.facts.statement_ddl.algorithm));
  if (key == "suggested_clause") return suggested_clause(in.facts.statement_ddl, ", ");
  if (key == "lock_words") return in.op.lock_clause == "EXCLUSIVE" ? "reads and writes" : "writes";
  if (key == "statement_with_clause") {
    // CREATE / DROP INDEX take the clauses without a comma; ALTER TABLE lists them.
    std::string stmt = strip_semicolon(in.stmt.text);
    bool index_stmt = in.stmt.node == "create" || in.stmt.node == "drop";
    return stmt + (index_stmt ? " " : ", ") +
           suggested_clause(in.facts.statement_ddl, index_stmt ? " " : ", ") + ";";
  }
  if (key == "requested") {
    std::string r;
    if (!in.op.algorithm.empty()) r = "ALGORITHM=" + in.op.algorithm;
    if (!in.op.lock_clause.empty()) r += (r.empty() ? "" : ", ") + ("LOCK=" + in.op.lock_clause);
    return r;
  }
  if (key == "constraint_columns" || key == "constraint_columns_joined") {
    std::string out;
    if (in.op.constraint)
      for (const auto& c : in.op.constraint->columns)
        out += (out.empty() ? "" : (key == "constraint_columns" ? ", " : "_")) + c;
    return out;
  }
  if (key == "seq_scan_rows") {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", in.facts.seq_scan_rows);
    return buf;
  }
  if (key == "duplicate_of") {
    const IndexInfo* idx =
        in.table && in.op.index ? in.table->covering_index(*in.op.index) : nullptr;
    return idx ? idx->name : std::string("an existing index");
  }
  if (key == "kind") return std::string(op_sql_words(in.op.kind));
  if (key == "key_column") return key_column(in.table);
  if (key == "rerun_guard") return std::string(rerun_effect(in.dialect, in.op, in.version).guard);
  if (key == "rerun") return rerun_words(rerun_effect(in.dialect, in.op, in.version).outcome);
  if (key == "subject") return subject_words(in);
  if (key == "change_head")
    return in.op.kind == OpKind::delete_rows ? "DELETE FROM " + in.op.table.display()
                                             : "UPDATE " + in.op.table.display() + " SET ...";
  std::string unknown(1, '{');  // left as written, so a typo shows in the output
  unknown.append(key);
  unknown += '}';
  return unknown;
}

}  // namespace

std::string_view op_sql_words(OpKind k) {
  struct Words {
    OpKind kind;
    std::string_view sql;
  };
  static constexpr Words kWords[] = {
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
  for (const auto& w : kWords)
    if (w.kind == k) return w.sql;
  return op_kind_name(k);
}

std::string expand_template(std::string_view tmpl, const EvalInput& in) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) break;
    size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    std::string_view key = tmpl.substr(open + 1, close - open - 1);
    if (key.empty() || key.find_first_of(" \n{") != std::string_view::npos) {
      out.append(tmpl.substr(i, open + 1 - i));  // a brace that opens no placeholder
      i = open + 1;
      continue;
    }
    out.append(tmpl.substr(i, open - i));
    out += value_of(key, in);
    i = close + 1;
  }
  out.append(tmpl.substr(i));
  return out;
}

}  // namespace migsafe
