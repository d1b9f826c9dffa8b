// SQLite: the front end, the dry run on the embedded engine, and the pack's twins.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "helpers.hpp"
#include "migsafe/snapshot.hpp"

namespace migsafe {
namespace {

using test::check_sqlite;

std::vector<std::string> ids_in_last_file(const CheckResult& r) {
  return test::rule_ids_in_last_file(r);
}
bool flags(const CheckResult& r, std::string_view id) {
  auto ids = ids_in_last_file(r);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

Migration parse_sqlite(const std::string& sql) {
  return parse_migration(Dialect::sqlite, make_source("s.sql", sql));
}

TEST(SqliteParse, StatementsBecomeOperations) {
  Migration m = parse_sqlite(
      "CREATE TABLE IF NOT EXISTS \"Users\" (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,\n"
      "  team_id INTEGER REFERENCES teams(id), CONSTRAINT ck CHECK (length(email) > 3)) WITHOUT "
      "ROWID;\n"
      "CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email) WHERE email IS NOT NULL;\n"
      "ALTER TABLE users ADD COLUMN note TEXT DEFAULT 'x';\n"
      "ALTER TABLE users RENAME COLUMN note TO remark;\n"
      "ALTER TABLE [users] RENAME TO accounts;\n"
      "ALTER TABLE accounts DROP COLUMN remark;\n"
      "UPDATE OR IGNORE accounts SET email = lower(email) WHERE id > 0;\n"
      "DELETE FROM accounts;\n"
      "INSERT INTO accounts (id) SELECT id FROM old;\n"
      "PRAGMA foreign_keys = OFF;\n"
      "BEGIN IMMEDIATE; COMMIT;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  std::vector<OpKind> kinds;
  for (const auto& s : m.statements) kinds.push_back(s.ops.at(0).kind);
  std::vector<OpKind> want{OpKind::create_table,  OpKind::create_index, OpKind::add_column,
                           OpKind::rename_column, OpKind::rename_table, OpKind::drop_column,
                           OpKind::update,        OpKind::delete_rows,  OpKind::insert,
                           OpKind::set_setting,   OpKind::begin,        OpKind::commit};
  EXPECT_EQ(kinds, want);
  const Operation& create = m.statements[0].ops[0];
  EXPECT_EQ(create.table.name, "users");
  ASSERT_EQ(create.columns.size(), 3u);
  EXPECT_TRUE(create.columns[0].primary_key);
  EXPECT_TRUE(create.columns[1].not_null && create.columns[1].unique);
  ASSERT_TRUE(create.columns[2].references);
  EXPECT_EQ(create.columns[2].references->table.name, "teams");
  EXPECT_EQ(create.table_constraints.size(), 1u);
  EXPECT_TRUE(m.statements[1].ops[0].index->unique && m.statements[1].ops[0].index->partial);
  EXPECT_EQ(m.statements[3].ops[0].new_name, "remark");
  EXPECT_EQ(m.statements[4].ops[0].new_name, "accounts");
  EXPECT_TRUE(m.statements[6].ops[0].has_where);
  EXPECT_FALSE(m.statements[7].ops[0].has_where);
  EXPECT_TRUE(m.statements[8].ops[0].from_select);
  EXPECT_EQ(m.statements[9].ops[0].value, "off");
  EXPECT_TRUE(m.statements[10].in_transaction);
}

TEST(SqliteParse, TriggerBodiesStayWholeAndTheirTextIsNotRun) {
  Migration m = parse_sqlite(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\n"
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
      "  UPDATE t SET n = 0; -- DROP TABLE t;\n"
      "  DELETE FROM t WHERE id < 0;\n"
      "END;\n"
      "SELECT 'ALTER TABLE t DROP COLUMN n; DROP TABLE t;';\n");
  ASSERT_TRUE(m.syntax_errors.empty());
  ASSERT_EQ(m.statements.size(), 3u);
  EXPECT_EQ(m.statements[1].ops[0].kind, OpKind::create_trigger);
  EXPECT_EQ(m.statements[1].span.stop.line, 5u);
  auto r = check_sqlite(
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);",
       "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = 0; DELETE FROM t; END;\n"
       "/* DROP TABLE t; */ SELECT 'ALTER TABLE t DROP COLUMN n';\n"});
  EXPECT_TRUE(r.findings.empty()) << r.findings.front().rule_id;
}

TEST(SqliteParse, SyntaxErrorsComeFromSqlitesParserAtTheirPosition) {
  Migration m = parse_sqlite(
      "CREATE TABLE t (id INTEGER);\nCREATE TABLE u (id INTEGER,);\nCREATE TABLE v (x);\n");
  ASSERT_EQ(m.syntax_errors.size(), 1u);
  EXPECT_EQ(m.syntax_errors[0].pos.line, 2u);
  EXPECT_EQ(m.syntax_errors[0].pos.col, 28u);
  EXPECT_NE(m.syntax_errors[0].message.find("syntax error"), std::string::npos);
  EXPECT_EQ(m.statements.size(), 2u) << "the statements around it are still analysed";
  // Other databases' ALTER forms are findings with the rebuild recipe, not syntax errors.
  Migration alter = parse_sqlite(
      "ALTER TABLE t ALTER COLUMN x SET NOT NULL;\nALTER TABLE t ADD CONSTRAINT c UNIQUE (x);\n");
  EXPECT_TRUE(alter.syntax_errors.empty());
  EXPECT_EQ(alter.statements[0].ops[0].detail, "ALTER COLUMN");
  EXPECT_EQ(alter.statements[1].ops[0].detail, "ADD CONSTRAINT");
}

TEST(DryRun, QuotesSqlitesOwnRejections) {
  std::string setup =
      "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);\n"
      "CREATE INDEX users_email ON users (email);\n";
  struct Case {
    std::string sql, message;
  } cases[] = {
      {"ALTER TABLE users ADD COLUMN verified INTEGER NOT NULL;",
       "Cannot add a NOT NULL column with default value NULL"},
      {"ALTER TABLE users ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP;",
       "Cannot add a column with non-constant default"},
      {"ALTER TABLE users ADD COLUMN handle TEXT UNIQUE;", "Cannot add a UNIQUE column"},
      {"ALTER TABLE users DROP COLUMN email;", "error in index users_email after drop column"},
      {"ALTER TABLE users DROP COLUMN id;", "cannot drop PRIMARY KEY column"},
      {"ALTER TABLE users ADD COLUMN g INTEGER AS (id * 2) STORED;", "cannot add a STORED column"},
  };
  for (const auto& c : cases) {
    auto r = check_sqlite({setup, c.sql});
    bool found = false;
    for (const auto& f : r.findings)
      if (f.rule_id == "engine-rejects" && f.message.find(c.message) != std::string::npos)
        found = true;
    EXPECT_TRUE(found) << c.sql;
  }
  // The safe forms run.
  for (const char* ok : {"ALTER TABLE users ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;",
                         "ALTER TABLE users ADD COLUMN at TEXT DEFAULT '2024-01-01';",
                         "ALTER TABLE users DROP COLUMN name;"}) {
    auto r = check_sqlite({setup, ok});
    EXPECT_FALSE(flags(r, "engine-rejects")) << ok;
  }
}

TEST(DryRun, EmptyNewTablesAndStubsAreTreatedFairly) {
  // A table created in the same file is empty: SQLite accepts NOT NULL without a default there.
  auto fresh = check_sqlite(
      {"CREATE TABLE t (id INTEGER PRIMARY KEY);\nALTER TABLE t ADD COLUMN n INTEGER NOT NULL;"});
  EXPECT_FALSE(flags(fresh, "engine-rejects"));
  // A table the migrations never created is stubbed with a row: the same ADD COLUMN fails.
  auto legacy = check_sqlite({"ALTER TABLE legacy ADD COLUMN n INTEGER NOT NULL;"});
  EXPECT_TRUE(flags(legacy, "engine-rejects"));
  // A column the model does not know is never blamed on the migration.
  auto unknown = check_sqlite({"UPDATE legacy SET flag = 1 WHERE other = 2;"});
  EXPECT_FALSE(flags(unknown, "engine-rejects"));
}

// Each statement runs in a scratch database holding only what it needs (a fresh one every few
// dozen entries): what SQLite checks across the schema must still be there. rejects: the
// message expected of the last file's statement, or "" when it must run.
TEST(DryRun, WhatAStatementReachesIsBroughtIn) {
  auto last_rejection = [](const std::vector<std::string>& files) {
    auto r = check_sqlite(files);
    for (const auto& f : r.findings)
      if (f.rule_id == "engine-rejects" && f.file + 1 == files.size()) return f.message;
    return std::string();
  };
  std::string filler;  // enough tables to make the dry run start fresh scratch databases
  for (int i = 0; i < 100; ++i)
    filler += "CREATE TABLE f" + std::to_string(i) + " (id INTEGER PRIMARY KEY, v TEXT);\n";
  std::string base =
      "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT, y TEXT);\n"
      "CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT, w TEXT);\n"
      "CREATE VIEW v AS SELECT b.x FROM b JOIN a ON a.id = b.id;\n"
      "CREATE INDEX a_y ON a (y);\n"
      "CREATE TABLE child (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\n"
      "CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN INSERT INTO child (a_id) VALUES (NEW.id); "
      "END;\n";
  // A view over a table that another file dropped breaks every later RENAME, of any table.
  EXPECT_NE(last_rejection({base, filler, "DROP TABLE b;", "ALTER TABLE f3 RENAME COLUMN v TO u;"})
                .find("error in view v: no such table: main.b"),
            std::string::npos);
  EXPECT_EQ(last_rejection({base, filler, "DROP VIEW v;\nDROP TABLE b;",
                            "ALTER TABLE f3 RENAME COLUMN v TO u;"}),
            "");
  // A view follows its table's rename, and then stops the drop of a column it reads.
  EXPECT_NE(
      last_rejection({base, "ALTER TABLE b RENAME TO bb;", filler, "ALTER TABLE bb DROP COLUMN x;"})
          .find("error in view v after drop column"),
      std::string::npos);
  EXPECT_EQ(last_rejection(
                {base, "ALTER TABLE b RENAME TO bb;", filler, "ALTER TABLE bb DROP COLUMN w;"}),
            "");
  // An index made a hundred tables earlier; a trigger whose body names a dropped table; names
  // already taken.
  EXPECT_NE(last_rejection({base, filler, "ALTER TABLE a DROP COLUMN y;"})
                .find("error in index a_y after drop column"),
            std::string::npos);
  EXPECT_NE(
      last_rejection({base, "DROP TABLE child;", filler, "ALTER TABLE f3 RENAME COLUMN v TO u;"})
          .find("error in trigger a_ins: no such table: main.child"),
      std::string::npos);
  EXPECT_NE(last_rejection({base, filler, "CREATE TABLE f7 (id INTEGER);"}).find("already exists"),
            std::string::npos);
  EXPECT_NE(last_rejection({base, filler, "CREATE INDEX a_y ON b (x);"}).find("already exists"),
            std::string::npos);
  EXPECT_NE(last_rejection({base, filler, "ALTER TABLE f1 RENAME TO a;"}).find("already another"),
            std::string::npos);
  // Rows: a table from an earlier file has one; one created and filled in the same file too.
  EXPECT_NE(last_rejection({base, filler, "ALTER TABLE f9 ADD COLUMN n INTEGER NOT NULL;"})
                .find("Cannot add a NOT NULL column"),
            std::string::npos);
  EXPECT_EQ(last_rejection({base, "CREATE TABLE e (id INTEGER PRIMARY KEY);\n" + filler +
                                      "ALTER TABLE e ADD COLUMN n INTEGER NOT NULL;"}),
            "");
  EXPECT_NE(last_rejection({base,
                            "CREATE TABLE e (id INTEGER PRIMARY KEY);\n"
                            "INSERT INTO e DEFAULT VALUES;\n" +
                                filler + "ALTER TABLE e ADD COLUMN n INTEGER NOT NULL;"})
                .find("Cannot add a NOT NULL column"),
            std::string::npos);
}

// The dry run runs hostile SQL too: fts3_tokenizer's raw pointer is refused (it crashed the
// process), and one long VM step after another is interrupted at the limit.
TEST(DryRun, HostileSqlIsContained) {
  auto r = check_sqlite(
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);\n"
       "UPDATE t SET s = fts3_tokenizer('evil', x'4141414141414141') WHERE id = 1;\n"
       "CREATE VIRTUAL TABLE f USING fts3(body, tokenize=evil);\n"
       "INSERT INTO t (s) SELECT sum(length(randomblob(100000000))) FROM (WITH RECURSIVE c(x) AS "
       "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x FROM c);\n"});
  std::map<uint32_t, std::string> rejected;
  for (const auto& f : r.findings)
    if (f.rule_id == "engine-rejects") rejected[f.at.line] = f.message;
  EXPECT_NE(rejected[2].find("not authorized"), std::string::npos) << rejected[2];
  EXPECT_NE(rejected[4].find("did not finish within the dry run's 2 s limit"), std::string::npos)
      << rejected[4];
}

TEST(DryRun, NeverTouchesFiles) {
  std::string d = test::temp_dir();
  std::string file = d + "/attached.db";
  auto r = check_sqlite({"ATTACH DATABASE '" + file +
                         "' AS other;\nCREATE TABLE other.t (id INTEGER);\n"
                         "VACUUM INTO '" +
                         d + "/copy.db';\n"});
  (void)r;
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(d + "/copy.db"));
}

TEST(SqliteCli, DialectVersionAndSummary) {
  std::string d = test::temp_dir();
  test::write_file(d + "/1.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n");
  test::write_file(d + "/2.sql", "ALTER TABLE t ALTER COLUMN id TYPE TEXT;\n");
  auto r = test::run_migsafe({"check", "--dialect", "sqlite", d});
  EXPECT_EQ(r.exit_code, 1);
  TargetVersion v = linked_sqlite_version();
  EXPECT_NE(r.out.find("migsafe · sqlite " + v.display() + " ·"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error[sqlite-unsupported-alter]"), std::string::npos);
  EXPECT_EQ(
      test::run_migsafe({"check", "--dialect", "sqlite", "--target-version", "3.20", d}).exit_code,
      2);
  EXPECT_EQ(
      test::run_migsafe({"check", "--dialect", "sqlite", "--target-version", "3.45", d}).exit_code,
      1);
  auto explain =
      test::run_migsafe({"explain", "--dialect", "sqlite", "rebuild-with-foreign-keys-on"});
  EXPECT_EQ(explain.exit_code, 0);
  EXPECT_NE(explain.out.find("PRAGMA foreign_keys = OFF;"), std::string::npos);
}

std::vector<std::string> sqlite_rule_ids() {
  std::vector<std::string> ids;
  for (const auto& r : test::sqlite_packs()[1].rules) ids.push_back(r.id);
  return ids;
}

class SqliteTwins : public ::testing::TestWithParam<std::string> {};

TEST_P(SqliteTwins, DangerousFlaggedSafePasses) {
  const Rule* r = find_rule(test::sqlite_packs(), GetParam());
  ASSERT_NE(r, nullptr);
  if (!r->twins_elsewhere.empty()) GTEST_SKIP() << "twins in " << r->twins_elsewhere;
  ASSERT_FALSE(r->examples.bad.empty());
  ASSERT_FALSE(r->examples.good.empty());
  std::vector<std::string> bad, good;
  if (!r->examples.setup.empty()) {
    bad.push_back(r->examples.setup);
    good.push_back(r->examples.setup);
  }
  bad.push_back(r->examples.bad);
  good.push_back(r->examples.good);
  auto rb = check_sqlite(bad);
  EXPECT_TRUE(rb.problems.empty()) << rb.problems.front().message;
  EXPECT_TRUE(flags(rb, r->id)) << r->id << " missed:\n" << r->examples.bad;
  auto rg = check_sqlite(good);
  EXPECT_TRUE(rg.problems.empty());
  EXPECT_FALSE(flags(rg, r->id)) << r->id << " flagged:\n" << r->examples.good;
  EXPECT_FALSE(flags(rg, "engine-rejects"))
      << "the safe example must run on SQLite: " << r->examples.good;
}

INSTANTIATE_TEST_SUITE_P(SqlitePack, SqliteTwins, ::testing::ValuesIn(sqlite_rule_ids()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(SqliteCorpus, EveryFileGoesThroughThePipeline) {
  if (!test::shared_dir_available())
    GTEST_SKIP() << "../shared/corpus is not beside this checkout; the corpus test runs in CI";
  namespace fs = std::filesystem;
  fs::path root = fs::path(test::shared_dir()) / "corpus" / "sqlite";
  size_t files = 0, statements = 0, other = 0, errors = 0;
  std::map<std::string, size_t> per_rule;
  std::map<std::string, size_t> error_kinds;
  CheckOptions opt;
  opt.dialect = Dialect::sqlite;
  opt.version = linked_sqlite_version();
  for (const auto& project : fs::directory_iterator(root)) {
    if (!project.is_directory()) continue;
    CheckResult r = check_paths({project.path().string()}, test::sqlite_packs(), opt);
    files += r.migration_files();
    statements += r.statements;
    for (const auto& p : r.problems) {
      ++errors;
      ++error_kinds[p.message.substr(0, 60)];
    }
    for (const auto& f : r.findings) {
      ++per_rule[f.rule_id];
      ASSERT_GT(f.at.line, 0u);
    }
    for (const auto& f : r.files) {
      if (!f.is_migration || !f.source) continue;
      Migration m = parse_migration(Dialect::sqlite, f.source);
      for (const auto& s : m.statements)
        if (!s.ops.empty() && s.ops[0].kind == OpKind::other) ++other;
    }
  }
  ASSERT_GT(files, 400u);
  double share = statements + errors ? 100.0 * static_cast<double>(statements) /
                                           static_cast<double>(statements + errors)
                                     : 0;
  std::cout << "[corpus] sqlite: " << files << " files, " << statements << " statements parsed ("
            << other << " kept as 'other'), " << errors << " with a syntax or input error; "
            << share << "% of statements parsed\n";
  for (const auto& [k, n] : error_kinds) std::cout << "[corpus]   " << n << "x " << k << "\n";
  for (const auto& [rule, n] : per_rule) std::cout << "[corpus]   " << rule << ": " << n << "\n";
}

}  // namespace
}  // namespace migsafe
