// What a statement does when it runs a second time: a deploy that stopped part-way through a
// file runs the whole file again, and whatever the first run left behind meets the second.
// One row per operation kind: what goes wrong, which of its own clauses prevents it, and how
// each dialect writes the repeatable form (from the manuals; tests/rerun_verify_test.cpp runs
// both forms twice on PostgreSQL, MariaDB and SQLite).
#include <algorithm>

#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

// Which of the operation's own flags makes the second run harmless.
// IF NOT EXISTS and OR REPLACE both leave what is there alone on a second run (MariaDB has OR
// REPLACE for tables and indexes too).
enum class Clause { if_not_exists_or_replace, if_exists, skips_existing, none };

struct Guard {
  std::string_view text;  // empty: the dialect cannot say it
  TargetVersion since{0, 0, 0};
  // Below `since`: an earlier DROP ... IF EXISTS of the object does it instead.
  std::string_view before;
  bool drop_first = false;  // the guard is an earlier DROP ... IF EXISTS
};

struct Row {
  OpKind kind;
  Rerun outcome;
  Clause clause;
  Guard postgres, mysql, mariadb, sqlite;
};

constexpr Guard kNone{};
constexpr Guard g(std::string_view text) {
  return Guard{text, {0, 0, 0}, {}, false};
}
constexpr Guard drop_first(std::string_view text) {
  return Guard{text, {0, 0, 0}, {}, true};
}

constexpr std::string_view kDoBlock =
    "a DO block that checks the catalog first (or catches duplicate_object), so that a second "
    "run skips it";

const Row kRows[] = {
    {OpKind::create_table, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE TABLE IF NOT EXISTS"), g("CREATE TABLE IF NOT EXISTS"),
     g("CREATE TABLE IF NOT EXISTS"), g("CREATE TABLE IF NOT EXISTS")},
    {OpKind::create_table_as, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE TABLE (or MATERIALIZED VIEW) IF NOT EXISTS ... AS"),
     g("CREATE TABLE IF NOT EXISTS ... SELECT"), g("CREATE TABLE IF NOT EXISTS ... SELECT"),
     g("CREATE TABLE IF NOT EXISTS ... AS SELECT")},
    {OpKind::create_view, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE OR REPLACE VIEW"), g("CREATE OR REPLACE VIEW"), g("CREATE OR REPLACE VIEW"),
     g("CREATE VIEW IF NOT EXISTS")},
    {OpKind::create_index, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE INDEX IF NOT EXISTS"), kNone, g("CREATE INDEX IF NOT EXISTS"),
     g("CREATE INDEX IF NOT EXISTS")},
    {OpKind::create_sequence, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE SEQUENCE IF NOT EXISTS"), kNone, g("CREATE SEQUENCE IF NOT EXISTS"), kNone},
    {OpKind::create_schema, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE SCHEMA IF NOT EXISTS"), g("CREATE DATABASE IF NOT EXISTS"),
     g("CREATE DATABASE IF NOT EXISTS"), kNone},
    {OpKind::create_extension, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE EXTENSION IF NOT EXISTS"), kNone, kNone, kNone},
    {OpKind::create_type, Rerun::fails, Clause::none, g(kDoBlock), kNone, kNone, kNone},
    {OpKind::create_domain, Rerun::fails, Clause::none, g(kDoBlock), kNone, kNone, kNone},
    {OpKind::create_function, Rerun::fails, Clause::if_not_exists_or_replace,
     g("CREATE OR REPLACE FUNCTION / PROCEDURE"),
     Guard{"CREATE FUNCTION / PROCEDURE IF NOT EXISTS", {8, 0, 29}, {}, false},
     g("CREATE OR REPLACE FUNCTION / PROCEDURE"), kNone},
    {OpKind::create_trigger, Rerun::fails, Clause::if_not_exists_or_replace,
     Guard{"CREATE OR REPLACE TRIGGER",
           {14, 0, 0},
           "DROP TRIGGER IF EXISTS ... ON ... before it",
           false},
     Guard{
         "CREATE TRIGGER IF NOT EXISTS", {8, 0, 29}, "DROP TRIGGER IF EXISTS ... before it", false},
     g("CREATE OR REPLACE TRIGGER"), g("CREATE TRIGGER IF NOT EXISTS")},
    {OpKind::add_column, Rerun::fails, Clause::if_not_exists_or_replace,
     g("ADD COLUMN IF NOT EXISTS"), kNone, g("ADD COLUMN IF NOT EXISTS"), kNone},
    // MariaDB: ADD FOREIGN KEY IF NOT EXISTS; PostgreSQL has no such clause.
    {OpKind::add_constraint, Rerun::fails, Clause::if_not_exists_or_replace,
     drop_first("ALTER TABLE ... DROP CONSTRAINT IF EXISTS ... before it"), kNone,
     drop_first("ALTER TABLE ... DROP CONSTRAINT IF EXISTS ... before it (or ADD FOREIGN KEY IF "
                "NOT EXISTS)"),
     kNone},
    {OpKind::add_enum_value, Rerun::fails, Clause::if_not_exists_or_replace,
     g("ADD VALUE IF NOT EXISTS"), kNone, kNone, kNone},
    {OpKind::drop_table, Rerun::fails, Clause::if_exists, g("DROP TABLE IF EXISTS"),
     g("DROP TABLE IF EXISTS"), g("DROP TABLE IF EXISTS"), g("DROP TABLE IF EXISTS")},
    {OpKind::drop_view, Rerun::fails, Clause::if_exists, g("DROP VIEW IF EXISTS"),
     g("DROP VIEW IF EXISTS"), g("DROP VIEW IF EXISTS"), g("DROP VIEW IF EXISTS")},
    {OpKind::drop_index, Rerun::fails, Clause::if_exists, g("DROP INDEX IF EXISTS"), kNone,
     g("DROP INDEX IF EXISTS"), g("DROP INDEX IF EXISTS")},
    {OpKind::drop_column, Rerun::fails, Clause::if_exists, g("DROP COLUMN IF EXISTS"), kNone,
     g("DROP COLUMN IF EXISTS"), kNone},
    {OpKind::drop_constraint, Rerun::fails, Clause::if_exists, g("DROP CONSTRAINT IF EXISTS"),
     kNone, g("DROP CONSTRAINT IF EXISTS"), kNone},
    {OpKind::drop_schema, Rerun::fails, Clause::if_exists, g("DROP SCHEMA IF EXISTS"), kNone, kNone,
     kNone},
    {OpKind::drop_database, Rerun::fails, Clause::if_exists, g("DROP DATABASE IF EXISTS"),
     g("DROP DATABASE IF EXISTS"), g("DROP DATABASE IF EXISTS"), kNone},
    {OpKind::drop_other, Rerun::fails, Clause::if_exists, g("DROP ... IF EXISTS"),
     g("DROP ... IF EXISTS"), g("DROP ... IF EXISTS"), g("DROP ... IF EXISTS")},
    {OpKind::rename_table, Rerun::fails, Clause::if_exists,
     g("ALTER TABLE IF EXISTS ... RENAME TO"), kNone,
     Guard{"RENAME TABLE IF EXISTS", {10, 5, 2}, {}, false}, kNone},
    {OpKind::rename_index, Rerun::fails, Clause::if_exists,
     g("ALTER INDEX IF EXISTS ... RENAME TO"), kNone, kNone, kNone},
    {OpKind::rename_column, Rerun::fails, Clause::if_exists, g(kDoBlock), kNone,
     g("CHANGE COLUMN IF EXISTS old new ..."), kNone},
    {OpKind::rename_constraint, Rerun::fails, Clause::none, g(kDoBlock), kNone, kNone, kNone},
    {OpKind::insert, Rerun::duplicates, Clause::skips_existing,
     g("INSERT ... ON CONFLICT DO NOTHING (or INSERT ... SELECT ... WHERE NOT EXISTS)"),
     g("INSERT IGNORE, or INSERT ... ON DUPLICATE KEY UPDATE"),
     g("INSERT IGNORE, or INSERT ... ON DUPLICATE KEY UPDATE"),
     g("INSERT OR IGNORE, or INSERT ... ON CONFLICT DO NOTHING")},
};

bool at_least(TargetVersion v, TargetVersion since) {
  if (v.major != since.major) return v.major > since.major;
  if (v.minor != since.minor) return v.minor > since.minor;
  return v.patch_or_latest() >= since.patch;
}

const Guard& guard_for(const Row& r, Dialect d) {
  switch (d) {
    case Dialect::postgres:
      return r.postgres;
    case Dialect::mysql:
      return r.mysql;
    case Dialect::mariadb:
      return r.mariadb;
    case Dialect::sqlite:
      return r.sqlite;
  }
  return r.postgres;
}

bool guarded(Clause c, const Operation& op) {
  switch (c) {
    case Clause::if_not_exists_or_replace:
      return op.if_not_exists || op.or_replace;
    case Clause::if_exists:
      return op.if_exists;
    case Clause::skips_existing:
      return op.skips_existing;
    case Clause::none:
      return false;
  }
  return false;
}

}  // namespace

std::string_view rerun_name(Rerun r) {
  switch (r) {
    case Rerun::harmless:
      return "harmless";
    case Rerun::fails:
      return "fails";
    case Rerun::duplicates:
      return "duplicates";
    case Rerun::invalid_index:
      return "invalid_index";
    case Rerun::applies_twice:
      return "applies_twice";
  }
  return "harmless";
}

RerunEffect rerun_effect(Dialect d, const Operation& op, TargetVersion v) {
  // A concurrent build that failed leaves an INVALID index of that name: IF NOT EXISTS then
  // keeps the broken index, so only dropping it first makes the statement repeatable.
  if (op.kind == OpKind::create_index && op.concurrently && d == Dialect::postgres)
    return {Rerun::invalid_index, "DROP INDEX CONCURRENTLY IF EXISTS ... before it", true};
  // A temporary table goes with the session: the second run has a new one. An index written
  // inside CREATE TABLE (MySQL's KEY) is the table's: the CREATE TABLE row decides.
  bool temporary_table =
      op.temporary && (op.kind == OpKind::create_table || op.kind == OpKind::create_table_as);
  if (temporary_table || op.detail == "inline") return {};
  // Without a name the server makes up a new one each time: the second run adds a second copy
  // (orders_customer_id_idx1), and no IF NOT EXISTS can say which to skip.
  bool unnamed_index =
      op.kind == OpKind::create_index && op.object.empty() && (!op.index || op.index->name.empty());
  bool unnamed_constraint = op.kind == OpKind::add_constraint && op.constraint &&
                            op.constraint->name.empty() &&
                            op.constraint->kind != ConstraintKind::primary_key;
  if (unnamed_index || unnamed_constraint)
    return {Rerun::duplicates, "a name, with IF NOT EXISTS (or a DROP ... IF EXISTS of it before)",
            false};
  if (op.kind == OpKind::update && op.reapplies)
    return {Rerun::applies_twice,
            "the value the column should end with (SET balance = 110), or a WHERE that matches "
            "only the rows not changed yet",
            false};
  auto row = std::find_if(std::begin(kRows), std::end(kRows),
                          [&](const Row& r) { return r.kind == op.kind; });
  if (row == std::end(kRows) || guarded(row->clause, op)) return {};
  const Guard& gd = guard_for(*row, d);
  RerunEffect e{row->outcome, gd.text, gd.drop_first};
  if (!gd.text.empty() && !at_least(v, gd.since)) {
    e.guard = gd.before;
    e.guard_is_drop_first = true;
  }
  return e;
}

}  // namespace migsafe
