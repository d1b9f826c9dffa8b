// The hygiene pack: its twins per dialect, the header and down-part checks per runner, the
// batching reader, and not-repeatable against the embedded SQLite engine.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "../src/parse/lexer.hpp"
#include "../src/parse/row_scope.hpp"
#include "helpers.hpp"
#include "migsafe/config.hpp"
#include "migsafe/inputs.hpp"
#include "rerun_cases.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

std::vector<Pack> packs_for(Dialect d) {
  std::vector<Pack> packs = load_shipped_packs(d);
  packs.push_back(load_shipped_pack("hygiene"));
  return packs;
}

// The findings of the last file, with the hygiene pack on top of the dialect's.
CheckResult check_hygiene(Dialect d, const std::vector<std::string>& files, CheckOptions opt = {}) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source(std::to_string(i + 1) + "_m.sql", files[i]));
  opt.dialect = d;
  opt.version = default_target_version(d);
  if (d == Dialect::postgres) opt.version = {16, 0};
  return check_sets({set}, packs_for(d), opt);
}

bool fires(const CheckResult& r, std::string_view id) {
  auto ids = test::rule_ids_in_last_file(r);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

struct Twin {
  Dialect dialect;
  const char* rule;
  const char* setup;
  const char* bad;
  const char* good;
};

// Each rule's dangerous and safe statement in every dialect it applies to.
const Twin kTwins[] = {
    {Dialect::postgres, "not-repeatable", "CREATE TABLE t (a int);", "CREATE INDEX t_a ON t (a);",
     "CREATE INDEX IF NOT EXISTS t_a ON t (a);"},
    {Dialect::postgres, "not-repeatable", "CREATE TABLE t (a int);",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);",
     "DROP INDEX CONCURRENTLY IF EXISTS t_a;\nCREATE INDEX CONCURRENTLY t_a ON t (a);"},
    {Dialect::postgres, "not-repeatable", "CREATE TABLE t (id int PRIMARY KEY);",
     "INSERT INTO t VALUES (1);", "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;"},
    {Dialect::postgres, "not-repeatable", "", "CREATE TYPE mood AS ENUM ('a');",
     "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; "
     "END $$;"},
    {Dialect::postgres, "not-repeatable", "CREATE TABLE t (a int);",
     "ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0);",
     "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_pos;\n"
     "ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0);"},
    {Dialect::mysql, "not-repeatable", "", "CREATE TABLE t (id INT PRIMARY KEY);",
     "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);"},
    {Dialect::mysql, "not-repeatable", "CREATE TABLE t (id INT PRIMARY KEY);",
     "INSERT INTO t VALUES (1);", "INSERT IGNORE INTO t VALUES (1);"},
    {Dialect::mariadb, "not-repeatable", "CREATE TABLE t (a INT);",
     "ALTER TABLE t ADD COLUMN b INT;", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT;"},
    {Dialect::mariadb, "not-repeatable", "CREATE TABLE t (a INT);", "CREATE INDEX t_a ON t (a);",
     "CREATE INDEX IF NOT EXISTS t_a ON t (a);"},
    {Dialect::sqlite, "not-repeatable", "", "CREATE VIEW v AS SELECT 1;",
     "CREATE VIEW IF NOT EXISTS v AS SELECT 1;"},
    {Dialect::sqlite, "not-repeatable", "CREATE TABLE t (id INTEGER PRIMARY KEY);",
     "INSERT INTO t VALUES (1);", "INSERT OR IGNORE INTO t VALUES (1);"},
    {Dialect::postgres, "unbounded-backfill", "CREATE TABLE t (id bigint PRIMARY KEY, s text);",
     "UPDATE t SET s = 'x' WHERE s = 'y';",
     "UPDATE t SET s = 'x' WHERE s = 'y' AND id >= 1 AND id < 5000;"},
    {Dialect::postgres, "unbounded-backfill", "CREATE TABLE t (id bigint PRIMARY KEY, s text);",
     "DELETE FROM t WHERE s = 'y';",
     "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE s = 'y' LIMIT 1000);"},
    {Dialect::postgres, "unbounded-backfill", "CREATE TABLE t (id bigint PRIMARY KEY, s text);",
     "DO $$ BEGIN UPDATE t SET s = 'x' WHERE s = 'y'; END $$;",
     "DO $$ BEGIN FOR i IN 0..99 LOOP UPDATE t SET s = 'x' WHERE id / 1000 = i; END LOOP; "
     "END $$;"},
    {Dialect::mysql, "unbounded-backfill", "CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT);",
     "DELETE FROM t WHERE s = 'y';", "DELETE FROM t WHERE s = 'y' LIMIT 1000;"},
    {Dialect::mariadb, "unbounded-backfill", "CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT);",
     "UPDATE t SET s = 'x' WHERE s = 'y';",
     "UPDATE t SET s = 'x' WHERE s = 'y' AND id BETWEEN 1 AND 5000;"},
    {Dialect::sqlite, "unbounded-backfill", "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);",
     "UPDATE t SET s = 'x' WHERE s = 'y';",
     "UPDATE t SET s = 'x' WHERE s = 'y' AND id > 0 AND id <= 5000;"},
};

class HygieneTwins : public ::testing::TestWithParam<Twin> {};

TEST_P(HygieneTwins, DangerousIsFlaggedSafePasses) {
  const Twin& t = GetParam();
  std::vector<std::string> before;
  if (*t.setup) before.push_back(t.setup);
  auto with = [&](const char* sql) {
    std::vector<std::string> files = before;
    // not-repeatable needs a statement after it: a failure there makes the file run again.
    files.push_back(std::string(sql) + "\nSELECT 1;");
    return check_hygiene(t.dialect, files);
  };
  CheckResult bad = with(t.bad);
  EXPECT_TRUE(bad.problems.empty()) << bad.problems.front().message;
  EXPECT_TRUE(fires(bad, t.rule)) << t.rule << " did not flag:\n" << t.bad;
  CheckResult good = with(t.good);
  EXPECT_TRUE(good.problems.empty()) << good.problems.front().message;
  EXPECT_FALSE(fires(good, t.rule)) << t.rule << " flagged:\n" << t.good;
}

INSTANTIATE_TEST_SUITE_P(PerDialect, HygieneTwins, ::testing::ValuesIn(kTwins));

TEST(Hygiene, OnlyAFailureAfterTheCommitLeavesAStatementBehind) {
  const std::string setup = "CREATE TABLE t (a int);";
  auto flagged_lines = [](const CheckResult& r) {
    std::vector<uint32_t> lines;
    for (const auto& f : r.findings)
      if (f.rule_id == "not-repeatable" && f.file + 1 == r.files.size()) lines.push_back(f.at.line);
    return lines;
  };
  using Lines = std::vector<uint32_t>;
  // The last statement rolls back by itself when it fails.
  EXPECT_EQ(flagged_lines(check_hygiene(Dialect::postgres, {setup,
                                                            "CREATE TABLE u (a int);\n"
                                                            "CREATE TABLE v (a int);"})),
            Lines{1});
  // Two transactions: only the first can be left behind by a failure in the second.
  EXPECT_EQ(flagged_lines(check_hygiene(
                Dialect::postgres, {setup,
                                    "BEGIN;\nCREATE TABLE u (a int);\nCOMMIT;\n"
                                    "BEGIN;\nCREATE TABLE v (a int);\nINSERT INTO t VALUES (1);\n"
                                    "COMMIT;"})),
            Lines{2});
  // A ROLLBACK takes the changes with it.
  EXPECT_EQ(
      flagged_lines(check_hygiene(Dialect::postgres, {setup,
                                                      "BEGIN;\nCREATE TABLE u (a int);\nROLLBACK;\n"
                                                      "CREATE TABLE IF NOT EXISTS v (a int);"})),
      Lines{});
  // MySQL: data changes roll back with their transaction until a DDL statement commits it.
  EXPECT_EQ(flagged_lines(check_hygiene(Dialect::mysql,
                                        {"CREATE TABLE t (id INT PRIMARY KEY);",
                                         "BEGIN;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES "
                                         "(2);\nCOMMIT;"})),
            Lines{});
  EXPECT_EQ(flagged_lines(check_hygiene(Dialect::mysql,
                                        {"CREATE TABLE t (id INT PRIMARY KEY);",
                                         "BEGIN;\nINSERT INTO t VALUES (1);\nCREATE TABLE IF NOT "
                                         "EXISTS u (id INT);\nCOMMIT;"})),
            Lines{2});
}

TEST(Hygiene, StatementsThatRollBackWithTheirFileAreRepeatable) {
  const std::string setup = "CREATE TABLE t (a int);";
  const std::string change = "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b ON t (b);";
  EXPECT_TRUE(fires(check_hygiene(Dialect::postgres, {setup, change}), "not-repeatable"));
  CheckOptions per_file;
  per_file.transactions = TransactionMode::per_file;
  per_file.transactions_given = true;
  EXPECT_FALSE(
      fires(check_hygiene(Dialect::postgres, {setup, change}, per_file), "not-repeatable"));
  // The file's own BEGIN ... COMMIT.
  EXPECT_FALSE(fires(check_hygiene(Dialect::postgres, {setup, "BEGIN;\n" + change + "\nCOMMIT;"}),
                     "not-repeatable"));
  EXPECT_FALSE(fires(
      check_hygiene(Dialect::sqlite,
                    {"CREATE TABLE t (a INTEGER);", "BEGIN;\nCREATE INDEX t_a ON t (a);\nCOMMIT;"}),
      "not-repeatable"));
  // MySQL and MariaDB commit at each DDL statement: nothing rolls back with the file.
  EXPECT_TRUE(fires(check_hygiene(Dialect::mariadb,
                                  {"CREATE TABLE t (a INT);",
                                   "CREATE INDEX t_a ON t (a);\nINSERT INTO t VALUES (1);"},
                                  per_file),
                    "not-repeatable"));
  // A goose Up section is the runner's transaction.
  EXPECT_FALSE(fires(
      check_hygiene(Dialect::postgres, {setup, "-- +goose Up\nALTER TABLE t ADD COLUMN b int;\n"}),
      "not-repeatable"));
}

TEST(Hygiene, OneFindingPerStatementForEveryRowChanges) {
  // update-without-where (postgres pack) and unbounded-backfill share their cause.
  CheckResult r =
      check_hygiene(Dialect::postgres,
                    {"CREATE TABLE t (id bigint PRIMARY KEY, s text);", "UPDATE t SET s = 'x';"});
  EXPECT_EQ(test::count_rule(r, "unbounded-backfill") + test::count_rule(r, "update-without-where"),
            1u);
  // Both are errors: the dialect's own rule, earlier in the pack order, names the cause.
  EXPECT_TRUE(test::has_rule(r, "update-without-where"));
  CheckResult del = check_hygiene(Dialect::postgres,
                                  {"CREATE TABLE t (id bigint PRIMARY KEY);", "DELETE FROM t;"});
  EXPECT_EQ(
      test::count_rule(del, "unbounded-backfill") + test::count_rule(del, "delete-without-where"),
      1u);
}

TEST(Hygiene, ATableCreatedInTheFileIsNoBackfill) {
  EXPECT_FALSE(fires(check_hygiene(Dialect::postgres, {"CREATE TABLE t (id bigint, s text);\n"
                                                       "UPDATE t SET s = 'x' WHERE s = 'y';"}),
                     "unbounded-backfill"));
}

TEST(RowScope, ReadsBatchesFromTheWords) {
  LexOptions pg = postgres_lex_options();
  auto batched = [&](const char* sql) { return read_row_scope(sql, pg).batched; };
  EXPECT_TRUE(batched("UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 10"));
  EXPECT_FALSE(batched("UPDATE t SET a = 1 WHERE id NOT BETWEEN 1 AND 10"));
  EXPECT_TRUE(batched("UPDATE t SET a = 1 WHERE id >= $1 AND id < $2"));
  EXPECT_TRUE(batched("UPDATE t SET a = 1 WHERE 10 > t.id AND t.id > 0"));
  EXPECT_TRUE(batched("DELETE FROM t WHERE created_at >= '2020-01-01' AND created_at < now()"));
  EXPECT_FALSE(batched("DELETE FROM t WHERE created_at < now() - interval '1 day'"));
  EXPECT_FALSE(batched("UPDATE t SET a = b WHERE a > b AND b < a"));  // columns, no key range
  EXPECT_TRUE(batched("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t LIMIT 100)"));
  // A LIMIT in the SET list bounds nothing.
  EXPECT_FALSE(batched("UPDATE t SET a = (SELECT x FROM u ORDER BY x LIMIT 1) WHERE b = 2"));
  // Words in strings and comments are not SQL.
  EXPECT_FALSE(batched("UPDATE t SET a = 'BETWEEN' WHERE b = 'LIMIT 5' -- LIMIT 10"));
  EXPECT_FALSE(batched("UPDATE t SET a = $$ between $$ WHERE b = 1 /* id > 1 AND id < 2 */"));
  LexOptions my;
  my.backslash_in_strings = true;
  my.hash_comments = true;
  my.backtick_identifiers = true;
  EXPECT_TRUE(read_row_scope("UPDATE t SET a = 1 LIMIT 500", my).batched);
  EXPECT_FALSE(read_row_scope("UPDATE t SET a = 'x\\' LIMIT 5' WHERE b = 1 # LIMIT 5", my).batched);
  EXPECT_TRUE(
      read_row_scope("INSERT INTO t SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM t)", pg).not_exists);
  EXPECT_FALSE(read_row_scope("INSERT INTO t SELECT 1 FROM u", pg).not_exists);
  // OR beside a bound, and LIMITs that bound nothing.
  EXPECT_FALSE(batched("UPDATE t SET a = 1 WHERE id >= 1 OR id < 1000"));
  EXPECT_FALSE(batched("UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 9 OR s = 'x'"));
  EXPECT_FALSE(batched("DELETE FROM t WHERE EXISTS (SELECT 1 FROM r WHERE r.t = t.id LIMIT 1)"));
  EXPECT_FALSE(batched("DELETE FROM t WHERE id NOT IN (SELECT id FROM r LIMIT 10)"));
  EXPECT_TRUE(
      batched("WITH b AS (SELECT id FROM t WHERE s = 'x' LIMIT 1000) "
              "UPDATE t SET s = 'y' WHERE id IN (SELECT id FROM b)"));
  // SET n = n + 1 runs again unless the WHERE looks at n.
  EXPECT_TRUE(read_row_scope("UPDATE t SET n = n + 1 WHERE id = 4", pg).reapplies);
  EXPECT_TRUE(read_row_scope("UPDATE t SET a = 1, \"n\" = 2 * n WHERE id = 4", pg).reapplies);
  EXPECT_FALSE(read_row_scope("UPDATE t SET n = n + 1 WHERE id = 4 AND n = 7", pg).reapplies);
  EXPECT_FALSE(read_row_scope("UPDATE t SET n = m + 1 WHERE id = 4", pg).reapplies);
  EXPECT_FALSE(read_row_scope("UPDATE t SET n = lower(m) WHERE id = 4", pg).reapplies);
}

// --- migration-header ---

TEST(MigrationHeader, NamesTheMissingKeysAtLineOne) {
  CheckResult none = check_hygiene(Dialect::postgres, {"SELECT 1;"});
  const Finding* f = test::find_finding(none, "migration-header");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 1u);
  EXPECT_NE(f->message.find("'owner:', 'expected:', 'rollback:'"), std::string::npos) << f->message;
  CheckResult partial =
      check_hygiene(Dialect::postgres,
                    {"-- owner: data team\n-- expected:\n-- Rollback: none needed\nSELECT 1;"});
  f = test::find_finding(partial, "migration-header");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->message, "the header comment leaves 'expected:' empty");
  CheckResult full = check_hygiene(Dialect::postgres, {"/* owner: data team\n * expected: "
                                                       "nothing changes\n * rollback: none */\n"
                                                       "SELECT 1;"});
  EXPECT_FALSE(test::has_rule(full, "migration-header"));
}

TEST(MigrationHeader, ValuesMayContinueOnTheLinesBelow) {
  CheckResult r = check_hygiene(Dialect::postgres, {"-- owner:\n-- owner: data team\n"
                                                    "-- expected: nothing changes\n"
                                                    "-- rollback:\n--   DROP TABLE a;\n"
                                                    "SELECT 1;"});
  EXPECT_FALSE(test::has_rule(r, "migration-header"));
}

TEST(MigrationHeader, OnlyTheCommentsBeforeTheFirstStatementCount) {
  CheckResult late = check_hygiene(Dialect::postgres,
                                   {"SELECT 1;\n-- owner: a\n-- expected: b\n-- rollback: c\n"});
  EXPECT_TRUE(test::has_rule(late, "migration-header"));
}

TEST(MigrationHeader, RunnerLinesComeFirst) {
  const char* header = "-- owner: a\n-- expected: b\n-- rollback: c\n";
  for (std::string file :
       {std::string("-- +goose Up\n") + header + "SELECT 1;\n-- +goose Down\nSELECT 1;\n",
        std::string("-- migrate:up\n") + header + "SELECT 1;\n-- migrate:down\n",
        std::string("--liquibase formatted sql\n--changeset ana:1\n") + header +
            "SELECT 1;\n--rollback SELECT 1;\n",
        std::string("-- no-transaction\n") + header + "SELECT 1;\n"}) {
    CheckResult r = check_hygiene(Dialect::postgres, {file});
    EXPECT_FALSE(test::has_rule(r, "migration-header")) << file;
  }
  CheckResult mysql =
      check_hygiene(Dialect::mysql, {"# owner: a\n# expected: b\n# rollback: c\nSELECT 1;"});
  EXPECT_FALSE(test::has_rule(mysql, "migration-header"));
}

TEST(MigrationHeader, KeysComeFromTheConfig) {
  std::string dir = test::temp_dir();
  test::write_file(dir + "/.migsafe.yaml",
                   "packs: [hygiene]\nhygiene:\n  header: [owner, Ticket]\n");
  test::write_file(dir + "/001_a.sql", "-- owner: a\n-- ticket: OPS-1\nSELECT 1;\n");
  test::write_file(dir + "/002_b.sql", "-- owner: a\nSELECT 1;\n");
  auto r = test::run_migsafe({"check", "--format", "json", dir}, "", dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("has no 'ticket:' line"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("001_a.sql\",\"line\""), std::string::npos);
  Config bad;
  EXPECT_THROW(load_config_text("hygiene:\n  header: [\"owner key\"]\n", "c.yaml"), ConfigError);
  EXPECT_THROW(load_config_text("hygiene:\n  headers: [owner]\n", "c.yaml"), ConfigError);
}

TEST(HygienePack, SeveritiesAndSwitchesComeFromTheConfig) {
  std::string dir = test::temp_dir();
  test::write_file(
      dir + "/.migsafe.yaml",
      "packs: [hygiene]\nrules:\n  migration-header: off\n  not-repeatable: warning\n");
  test::write_file(dir + "/001_a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
  auto r = test::run_migsafe({"check", "--format", "json", dir}, "", dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // a warning does not block
  EXPECT_EQ(r.out.find("migration-header"), std::string::npos) << r.out;
  auto doc = nlohmann::json::parse(r.out);
  bool warned = false;
  for (const auto& f : doc["findings"])
    warned = warned || (f["rule"] == "not-repeatable" && f["severity"] == "warning");
  EXPECT_TRUE(warned) << r.out;
}

TEST(MigrationHeader, ASuppressionOfTheFileApplies) {
  CheckResult r =
      check_hygiene(Dialect::postgres,
                    {"-- migsafe:ignore-file migration-header written before the rule\nSELECT 1;"});
  EXPECT_FALSE(test::has_rule(r, "migration-header"));
  EXPECT_FALSE(test::has_rule(r, "suppression-unused"));
}

// --- missing-down ---

const char* kHeader = "-- owner: a\n-- expected: b\n-- rollback: c\n";

TEST(MissingDown, SameFileRunners) {
  struct Case {
    std::string file;
    bool missing;
  };
  const Case cases[] = {
      {"-- +goose Up\nCREATE TABLE IF NOT EXISTS a (id int);\n", true},
      {"-- +goose Up\nCREATE TABLE IF NOT EXISTS a (id int);\n-- +goose Down\n", true},
      {"-- +goose Up\nCREATE TABLE IF NOT EXISTS a (id int);\n-- +goose Down\nDROP TABLE IF EXISTS "
       "a;\n",
       false},
      {"-- +goose Up\nCREATE TABLE IF NOT EXISTS a (id int);\n-- +goose Down\n-- kept: the data "
       "cannot be rebuilt\n",
       false},
      {"-- migrate:up\nCREATE TABLE IF NOT EXISTS a (id int);\n", true},
      {"-- migrate:up\nCREATE TABLE IF NOT EXISTS a (id int);\n-- migrate:down\nDROP TABLE IF "
       "EXISTS a;\n",
       false},
      {"-- +migrate Up\nCREATE TABLE IF NOT EXISTS a (id int);\n", true},
      {"-- +migrate Up\nCREATE TABLE IF NOT EXISTS a (id int);\n-- +migrate Down\nDROP TABLE IF "
       "EXISTS a;\n",
       false},
      {"--liquibase formatted sql\n--changeset ana:1\nCREATE TABLE IF NOT EXISTS a (id int);\n"
       "--rollback DROP TABLE IF EXISTS a;\n--changeset ana:2\nCREATE TABLE IF NOT EXISTS b (id "
       "int);\n",
       true},
      {"--liquibase formatted sql\n--changeset ana:1\nCREATE TABLE IF NOT EXISTS a (id int);\n"
       "--rollback not required\n",
       false},
  };
  for (const auto& c : cases) {
    CheckResult r = check_hygiene(Dialect::postgres, {c.file});
    EXPECT_EQ(test::has_rule(r, "missing-down"), c.missing) << c.file;
  }
  // Liquibase: the changeset without --rollback, at its --changeset line.
  CheckResult lb = check_hygiene(Dialect::postgres, {cases[8].file});
  const Finding* f = test::find_finding(lb, "missing-down");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 5u);
  // Plain files have no down migrations to miss.
  EXPECT_FALSE(test::has_rule(check_hygiene(Dialect::postgres, {"SELECT 1;"}), "missing-down"));
}

TEST(MissingDown, DownFilesBesideTheUpFiles) {
  std::string dir = test::temp_dir();
  fs::create_directories(dir + "/gm");
  test::write_file(dir + "/gm/1_a.up.sql", std::string(kHeader) + "SELECT 1;\n");
  test::write_file(dir + "/gm/1_a.down.sql", "SELECT 1;\n");
  test::write_file(dir + "/gm/2_b.up.sql", std::string(kHeader) + "SELECT 1;\n");
  auto r = test::run_migsafe({"check", "--pack", "hygiene", "--layout", "golang-migrate",
                              "--format", "json", dir + "/gm"});
  EXPECT_NE(r.out.find("no down file of version 2 beside it"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("version 1 "), std::string::npos);
  // Paired by version, whatever the rest of the name says; an empty down file is no down part.
  test::write_file(dir + "/gm/2_undo_b.down.sql", "");
  test::write_file(dir + "/gm/0003_c.up.sql", std::string(kHeader) + "SELECT 1;\n");
  test::write_file(dir + "/gm/3_c.down.sql", "-- irreversible: the data is gone\n");
  auto paired = test::run_migsafe({"check", "--pack", "hygiene", "--layout", "golang-migrate",
                                   "--format", "json", dir + "/gm"});
  EXPECT_NE(paired.out.find("the down migration 2_undo_b.down.sql is empty"), std::string::npos)
      << paired.out;
  const auto doc = nlohmann::json::parse(paired.out);
  for (const auto& f : doc["findings"])
    EXPECT_FALSE(f["path"].get<std::string>().ends_with("0003_c.up.sql")) << f.dump();
  // Flyway: only a folder that already has undo migrations is expected to have them.
  fs::create_directories(dir + "/fw");
  test::write_file(dir + "/fw/V1__a.sql", std::string(kHeader) + "SELECT 1;\n");
  test::write_file(dir + "/fw/V2__b.sql", std::string(kHeader) + "SELECT 1;\n");
  auto without =
      test::run_migsafe({"check", "--pack", "hygiene", "--layout", "flyway", dir + "/fw"});
  EXPECT_EQ(without.out.find("missing-down"), std::string::npos) << without.out;
  test::write_file(dir + "/fw/U01__undo_a.sql", "SELECT 1;\n");  // version 1 all the same
  test::write_file(dir + "/fw/V1_1__c.sql", std::string(kHeader) + "SELECT 1;\n");
  test::write_file(dir + "/fw/U1.1__c.sql", "SELECT 1;\n");
  auto with = test::run_migsafe({"check", "--pack", "hygiene", "--layout", "flyway", dir + "/fw"});
  EXPECT_NE(with.out.find("no undo migration U2__*.sql"), std::string::npos) << with.out;
  EXPECT_EQ(with.out.find("U1__"), std::string::npos) << with.out;
  EXPECT_EQ(with.out.find("U1.1__"), std::string::npos) << with.out;
}

// --- the pack as users see it ---

TEST(HygienePack, ShipsAndExplainsEveryRule) {
  auto list = test::run_migsafe({"rules", "--pack", "hygiene"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  for (const char* id :
       {"migration-header", "not-repeatable", "missing-down", "unbounded-backfill"}) {
    EXPECT_NE(list.out.find(id), std::string::npos) << id;
    auto explain = test::run_migsafe({"explain", id});  // found in the opt-in pack too
    EXPECT_EQ(explain.exit_code, 0) << id << explain.err;
    EXPECT_NE(explain.out.find("Flagged (bad)"), std::string::npos) << explain.out;
    EXPECT_NE(explain.out.find("--pack hygiene"), std::string::npos) << explain.out;
  }
}

TEST(HygienePack, PackExamplesAreTwins) {
  Pack p = load_shipped_pack("hygiene");
  for (const auto& r : p.rules) {
    SCOPED_TRACE(r.id);
    ASSERT_FALSE(r.examples.bad.empty());
    ASSERT_FALSE(r.examples.good.empty());
    std::vector<std::string> files;
    if (!r.examples.setup.empty()) files.push_back(r.examples.setup);
    files.push_back(r.examples.bad);
    EXPECT_TRUE(fires(check_hygiene(Dialect::postgres, files), r.id));
    files.back() = r.examples.good;
    EXPECT_FALSE(fires(check_hygiene(Dialect::postgres, files), r.id));
  }
}

TEST(HygienePack, ReadmeHeaderExamplePasses) {
  std::string readme = test::read_file(std::string(MIGSAFE_SOURCE_DIR) + "/README.md");
  size_t at = readme.find("<!-- example: hygiene-header -->");
  ASSERT_NE(at, std::string::npos);
  size_t begin = readme.find("```sql\n", at) + 7;
  std::string sql = readme.substr(begin, readme.find("```", begin) - begin);
  CheckResult r = check_hygiene(Dialect::postgres, {"CREATE TABLE orders (id bigint);", sql});
  for (const char* id :
       {"migration-header", "not-repeatable", "missing-down", "unbounded-backfill"})
    EXPECT_FALSE(fires(r, id)) << id << "\n" << sql;
}

// --- not-repeatable against the embedded SQLite engine ---

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

TEST(RerunVerify, SqliteAgreesWithTheEngine) {
  TargetVersion version = default_target_version(Dialect::sqlite);
  for (const auto& k : test::sqlite_rerun_cases()) {
    SCOPED_TRACE(k.statement);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, DbCloser> db(raw);
    auto runs = [&](const char* sql) {
      return sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    };
    auto value = [&](const std::string& query) {
      std::string v;
      if (query.empty()) return v;
      sqlite3_exec(
          db.get(), query.c_str(),
          [](void* out, int, char** cols, char**) {
            *static_cast<std::string*>(out) = cols[0] ? cols[0] : "<null>";
            return 0;
          },
          &v, nullptr);
      return v;
    };
    if (*k.setup) {
      ASSERT_TRUE(runs(k.setup));
    }
    ASSERT_TRUE(runs(k.statement)) << "the first run failed";
    const std::string watched = test::watched_query(k);
    std::string before = value(watched);
    bool second = runs(k.statement);
    bool harm = !second || value(watched) != before;
    EXPECT_EQ(harm, k.harmful) << "the engine disagrees with the case";
    EXPECT_EQ(test::reported_not_repeatable(Dialect::sqlite, version, k), k.harmful && !k.no_form);
  }
}

}  // namespace
}  // namespace migsafe
