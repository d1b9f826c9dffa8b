// Transaction modes, lock_timeout tracking and suppression forms, through the whole pipeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "helpers.hpp"

namespace migsafe {
namespace {

using test::check_files;
using test::count_rule;
using test::has_rule;

CheckResult check_mode(const std::vector<std::string>& files, TransactionMode mode,
                       int major = 16) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source("m" + std::to_string(i + 1) + ".sql", files[i]));
  CheckOptions opt;
  opt.version = TargetVersion{major, 0};
  opt.transactions = mode;
  return check_sets({set}, test::shipped_postgres_packs(), opt);
}

const std::string kSetup = "CREATE TABLE t (id int, a int);";

TEST(TransactionModes, ConcurrentlyFailsWhenTheRunnerWrapsTheFile) {
  std::string cic = "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY t_a ON t (a);";
  EXPECT_FALSE(has_rule(check_mode({kSetup, cic}, TransactionMode::autocommit),
                        "concurrently-in-transaction"));
  EXPECT_TRUE(has_rule(check_mode({kSetup, cic}, TransactionMode::per_file),
                       "concurrently-in-transaction"));
  EXPECT_TRUE(has_rule(check_mode({kSetup, cic}, TransactionMode::single_query),
                       "concurrently-in-transaction"));
}

TEST(TransactionModes, LocksAreHeldAcrossTheWrappedFile) {
  std::string file =
      "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN b int;\nUPDATE t SET b = 1 WHERE id > 0;";
  EXPECT_FALSE(
      has_rule(check_mode({kSetup, file}, TransactionMode::autocommit), "data-change-under-lock"));
  EXPECT_TRUE(
      has_rule(check_mode({kSetup, file}, TransactionMode::per_file), "data-change-under-lock"));
  // An explicit COMMIT in the file ends the runner's transaction, and its locks with it.
  std::string committed =
      "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\nUPDATE t SET b = 1 "
      "WHERE id > 0;";
  EXPECT_FALSE(has_rule(check_mode({kSetup, committed}, TransactionMode::per_file),
                        "data-change-under-lock"));
}

TEST(TransactionModes, BeginNestsInsideTheRunnersTransaction) {
  std::string file = "BEGIN;\nCREATE TABLE u (id int);\nCOMMIT;";
  EXPECT_FALSE(has_rule(check_mode({file}, TransactionMode::autocommit), "nested-begin"));
  EXPECT_TRUE(has_rule(check_mode({file}, TransactionMode::per_file), "nested-begin"));
  EXPECT_FALSE(has_rule(check_mode({file}, TransactionMode::single_query), "nested-begin"));
  auto nested =
      check_mode({"BEGIN; BEGIN; SELECT 1; COMMIT; COMMIT;"}, TransactionMode::autocommit);
  EXPECT_EQ(count_rule(nested, "nested-begin"), 1u);
}

TEST(TransactionModes, CommitEndsTheRunnersTransaction) {
  const std::string file = "CREATE TABLE u (id int);\nCOMMIT;\nCREATE TABLE v (id int);";
  auto wrapped = check_mode({file}, TransactionMode::per_file);
  const Finding* f = test::find_finding(wrapped, "commit-in-runner-transaction");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 2u);
  EXPECT_NE(f->message.find("COMMIT ends"), std::string::npos) << f->message;
  EXPECT_TRUE(
      has_rule(check_mode({"INSERT INTO t VALUES (1, 1);\nROLLBACK;"}, TransactionMode::per_file),
               "commit-in-runner-transaction"));
  // Only the first ends it; without the runner's transaction there is none to end.
  EXPECT_EQ(count_rule(check_mode({file + "\nCOMMIT;"}, TransactionMode::per_file),
                       "commit-in-runner-transaction"),
            1u);
  EXPECT_FALSE(
      has_rule(check_mode({file}, TransactionMode::autocommit), "commit-in-runner-transaction"));
  EXPECT_FALSE(
      has_rule(check_mode({file}, TransactionMode::single_query), "commit-in-runner-transaction"));
  // The COMMIT of a nested BEGIN is nested-begin's finding, not a second one.
  auto nested =
      check_mode({"BEGIN;\nCREATE TABLE u (id int);\nCOMMIT;"}, TransactionMode::per_file);
  EXPECT_TRUE(has_rule(nested, "nested-begin"));
  EXPECT_FALSE(has_rule(nested, "commit-in-runner-transaction"));
  // A savepoint's ROLLBACK TO stays inside the transaction.
  EXPECT_FALSE(has_rule(check_mode({"SAVEPOINT s;\nCREATE TABLE u (id int);\nROLLBACK TO s;"},
                                   TransactionMode::per_file),
                        "commit-in-runner-transaction"));
}

TEST(TransactionModes, BeginWithoutCommit) {
  auto open = check_files({"SELECT 1;\nBEGIN;\nCREATE TABLE u (id int);\n"});
  ASSERT_TRUE(has_rule(open, "begin-without-commit"));
  for (const auto& f : open.findings)
    if (f.rule_id == "begin-without-commit") {
      EXPECT_EQ(f.at.line, 2u);
    }
  EXPECT_FALSE(
      has_rule(check_files({"BEGIN; CREATE TABLE u (id int); ROLLBACK;"}), "begin-without-commit"));
}

// A transaction left open is found at the file's end but reported at its BEGIN: the findings
// come out in file and line order all the same, none lost or repeated.
TEST(TransactionModes, FindingsFoundLateAreReportedInLineOrder) {
  const std::string setup = "CREATE TABLE t (id int, a int);\nINSERT INTO t VALUES (1, 1);";
  const std::string open =
      "SELECT 1;\nBEGIN;\nCREATE INDEX ta ON t (a);\nALTER TABLE t DROP COLUMN a;\n"
      "UPDATE t SET id = 2;\nCREATE INDEX tb ON t (id);\n";
  auto r = check_files({setup, open, open});
  auto before = [](const Finding& x, const Finding& y) {
    return std::tie(x.file, x.at.line, x.at.col) < std::tie(y.file, y.at.line, y.at.col);
  };
  EXPECT_TRUE(std::is_sorted(r.findings.begin(), r.findings.end(), before));
  std::map<std::pair<size_t, std::string>, int> seen;
  for (const auto& f : r.findings) ++seen[{f.file, f.rule_id + ":" + std::to_string(f.at.line)}];
  for (size_t file : {1u, 2u}) {
    EXPECT_EQ((seen[{file, "begin-without-commit:2"}]), 1) << file;
    EXPECT_EQ((seen[{file, "drop-column:4"}]), 1) << file;
    EXPECT_EQ((seen[{file, "update-without-where:5"}]), 1) << file;
  }
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key.second;
  // The late finding sits first in its file.
  for (size_t i = 1; i < r.findings.size(); ++i) {
    if (r.findings[i].file != r.findings[i - 1].file) {
      EXPECT_EQ(r.findings[i].rule_id, "begin-without-commit");
    }
  }
}

TEST(LockTimeout, FollowsSetResetLocalAndSetConfig) {
  std::string alter = "ALTER TABLE t ADD COLUMN b int;";
  auto flagged = [&](const std::string& prefix,
                     TransactionMode mode = TransactionMode::autocommit) {
    return has_rule(check_mode({kSetup, prefix + alter}, mode), "missing-lock-timeout");
  };
  EXPECT_TRUE(flagged(""));
  EXPECT_FALSE(flagged("SET lock_timeout = '2s';"));
  EXPECT_FALSE(flagged("SET lock_timeout TO 500;"));
  EXPECT_TRUE(flagged("SET lock_timeout = 0;"));
  EXPECT_TRUE(flagged("SET lock_timeout = '0s';"));
  EXPECT_TRUE(flagged("SET lock_timeout = '2s'; RESET lock_timeout;"));
  EXPECT_TRUE(flagged("SET lock_timeout = '2s'; RESET ALL;"));
  EXPECT_TRUE(flagged("SET lock_timeout = '2s'; SET lock_timeout TO DEFAULT;"));
  EXPECT_FALSE(flagged("SELECT set_config('lock_timeout', '3s', false);"));
  // SET LOCAL outside a transaction block does nothing (PostgreSQL only warns).
  EXPECT_TRUE(flagged("SET LOCAL lock_timeout = '2s';"));
  EXPECT_FALSE(flagged("SET LOCAL lock_timeout = '2s';", TransactionMode::per_file));
  // Inside a block SET LOCAL lasts until COMMIT.
  auto in_block =
      check_files({kSetup, "BEGIN; SET LOCAL lock_timeout = '2s'; " + alter + " COMMIT;"});
  EXPECT_FALSE(has_rule(in_block, "missing-lock-timeout"));
  auto after_block =
      check_files({kSetup, "BEGIN; SET LOCAL lock_timeout = '2s'; COMMIT; " + alter});
  EXPECT_TRUE(has_rule(after_block, "missing-lock-timeout"));
  auto local_config = check_files(
      {kSetup, "BEGIN; SELECT set_config('lock_timeout', '1s', true); " + alter + " COMMIT;"});
  EXPECT_FALSE(has_rule(local_config, "missing-lock-timeout"));
}

TEST(LockTimeout, OncePerFileAndOnlyForBlockingLocksOnExistingTables) {
  auto twice =
      check_files({kSetup, "ALTER TABLE t ADD COLUMN b int; ALTER TABLE t ADD COLUMN c int;"});
  EXPECT_EQ(count_rule(twice, "missing-lock-timeout"), 1u);
  auto per_file =
      check_files({kSetup, "ALTER TABLE t ADD COLUMN b int;", "ALTER TABLE t ADD COLUMN c int;"});
  EXPECT_EQ(count_rule(per_file, "missing-lock-timeout"), 2u);
  // SHARE UPDATE EXCLUSIVE blocks neither reads nor writes; new tables harm nobody.
  EXPECT_FALSE(has_rule(check_files({kSetup, "CREATE INDEX CONCURRENTLY t_a ON t (a);"}),
                        "missing-lock-timeout"));
  EXPECT_FALSE(has_rule(check_files({"CREATE TABLE u (id int); ALTER TABLE u ADD COLUMN b int;"}),
                        "missing-lock-timeout"));
}

TEST(Suppressions, FileFormCoversEveryStatement) {
  auto r = check_files({kSetup,
                        "-- migsafe:ignore-file missing-lock-timeout the runner sets lock_timeout\n"
                        "ALTER TABLE t ADD COLUMN b int;\nALTER TABLE t DROP COLUMN a;"});
  EXPECT_FALSE(has_rule(r, "missing-lock-timeout"));
  EXPECT_TRUE(has_rule(r, "drop-column"));
  EXPECT_FALSE(has_rule(r, "suppression-unused"));
}

TEST(Suppressions, SquawkCommentsKeepWorking) {
  auto r = check_files({kSetup,
                        "-- squawk-ignore-file require-lock-timeout\n"
                        "-- squawk-ignore ban-drop-column\n"
                        "ALTER TABLE t DROP COLUMN a;\n"
                        "-- squawk-ignore require-concurrent-index-creation, prefer-robust-stmts\n"
                        "CREATE INDEX t_id ON t (id);\n"});
  EXPECT_FALSE(has_rule(r, "drop-column"));
  EXPECT_FALSE(has_rule(r, "missing-lock-timeout"));
  EXPECT_FALSE(has_rule(r, "create-index-not-concurrent"));
  // squawk comments carry no reason by design; an id migsafe does not know is still reported.
  EXPECT_FALSE(has_rule(r, "suppression-without-reason"));
  EXPECT_EQ(count_rule(r, "suppression-unknown-rule"), 1u);
}

TEST(VersionGates, BothSidesOfEachGate) {
  std::string setup =
      "CREATE TABLE m (id bigint, at date) PARTITION BY RANGE (at);"
      "CREATE TABLE m_2020 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
      "CREATE TYPE s AS ENUM ('a'); CREATE TABLE x (id int);";
  std::string detach = "SET lock_timeout = '1s'; ALTER TABLE m DETACH PARTITION m_2020;";
  EXPECT_FALSE(has_rule(check_files({setup, detach}, 13), "detach-partition-not-concurrent"));
  EXPECT_TRUE(has_rule(check_files({setup, detach}, 14), "detach-partition-not-concurrent"));
  std::string am = "SET lock_timeout = '1s'; ALTER TABLE x SET ACCESS METHOD heap2;";
  EXPECT_FALSE(has_rule(check_files({setup, am}, 14), "set-access-method"));
  EXPECT_TRUE(has_rule(check_files({setup, am}, 15), "set-access-method"));
  std::string enum_tx = "BEGIN; ALTER TYPE s ADD VALUE 'b'; COMMIT;";
  EXPECT_TRUE(has_rule(check_files({setup, enum_tx}, 11), "add-enum-value-in-transaction"));
  EXPECT_FALSE(has_rule(check_files({setup, enum_tx}, 12), "add-enum-value-in-transaction"));
  // ALTER INDEX RENAME: ACCESS EXCLUSIVE on 11, SHARE UPDATE EXCLUSIVE from 12.
  std::string rename = "CREATE INDEX CONCURRENTLY x_id ON x (id);";
  auto r11 = check_files({setup + rename, "ALTER INDEX x_id RENAME TO x_id2;"}, 11);
  auto r12 = check_files({setup + rename, "ALTER INDEX x_id RENAME TO x_id2;"}, 12);
  EXPECT_TRUE(has_rule(r11, "missing-lock-timeout"));
  EXPECT_FALSE(has_rule(r12, "missing-lock-timeout"));
}

TEST(Precision, OneFindingPerCauseAcrossShippedRules) {
  // TRUNCATE ... CASCADE is one data-loss hazard, not two.
  auto r = check_files({kSetup, "SET lock_timeout = '1s'; TRUNCATE t CASCADE;"});
  EXPECT_TRUE(has_rule(r, "truncate-cascade"));
  EXPECT_FALSE(has_rule(r, "truncate-table"));
  // A data change under a held lock on the same table is reported once, by the stronger rule.
  auto held = check_files({kSetup,
                           "BEGIN; SET LOCAL lock_timeout = '1s'; ALTER TABLE t ADD COLUMN b int;"
                           " UPDATE t SET b = 1 WHERE id = 1; COMMIT;"});
  EXPECT_TRUE(has_rule(held, "data-change-under-lock"));
  EXPECT_FALSE(has_rule(held, "backfill-in-ddl-transaction"));
  // A nullable REFERENCES column is not checked row by row: no finding (squawk flags it).
  auto fk = check_files(
      {"CREATE TABLE p (id int primary key); CREATE TABLE c (id int);",
       "SET lock_timeout = '1s'; ALTER TABLE c ADD COLUMN p_id int REFERENCES p (id);"});
  EXPECT_TRUE(fk.findings.empty());
}

TEST(Precision, DomainsOnlyRewriteWhenTheyHaveConstraints) {
  std::string setup =
      "CREATE DOMAIN plain AS text; CREATE DOMAIN checked AS text CHECK (VALUE <> '');"
      "CREATE TABLE t (id int);";
  auto plain = check_files({setup, "SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN a plain;"});
  EXPECT_TRUE(plain.findings.empty());
  auto checked =
      check_files({setup, "SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN a checked;"});
  EXPECT_TRUE(has_rule(checked, "add-column-domain-with-constraints"));
  auto altered =
      check_files({setup + "ALTER DOMAIN plain ADD CONSTRAINT nonempty CHECK (VALUE <> '');",
                   "SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN a plain;"});
  EXPECT_TRUE(has_rule(altered, "add-column-domain-with-constraints"));
}

}  // namespace
}  // namespace migsafe
