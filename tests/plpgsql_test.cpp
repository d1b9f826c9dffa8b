// SQL inside DO blocks and PL/pgSQL functions run by the migration is checked like top-level
// SQL, at its own line:col.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace migsafe {
namespace {

using test::check_files;
using test::has_rule;

const std::string kSetup = "CREATE TABLE t (id int, a int);";

using test::find_finding;

TEST(Plpgsql, DoBlockStatementsAreCheckedAtTheirPosition) {
  auto r = check_files({kSetup,
                        "SET lock_timeout = '1s';\n"
                        "DO $$\n"
                        "BEGIN\n"
                        "  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 't_a') THEN\n"
                        "    CREATE INDEX t_a ON t (a);\n"
                        "  END IF;\n"
                        "END\n"
                        "$$;\n"});
  const Finding* f = find_finding(r, "create-index-not-concurrent");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 5u);
  EXPECT_EQ(f->at.col, 5u);
  EXPECT_EQ(f->statement.start.line, 5u);
}

TEST(Plpgsql, ExecuteOfAStringLiteralIsChecked) {
  auto r = check_files(
      {kSetup,
       "SET lock_timeout = '1s';\n"
       "DO $$ BEGIN\n"
       "  EXECUTE 'ALTER TABLE t ALTER COLUMN a TYPE bigint';\n"
       "  EXECUTE format('ALTER TABLE %I ADD COLUMN b uuid DEFAULT gen_random_uuid()', 't');\n"
       "END $$;\n"});
  const Finding* f = find_finding(r, "alter-column-type-rewrite");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 3u);
  // format() builds the SQL at run time: nothing to check statically, and no guess is made.
  EXPECT_FALSE(has_rule(r, "add-column-volatile-default"));
}

// The compiled body's JSON is read as a stream; a body nested as deep as the PL/pgSQL parser
// takes (3,000 IFs, some 9,000 JSON levels) still gives its statements, in order, where they are.
TEST(Plpgsql, DeeplyNestedBodyGivesItsStatementsInOrder) {
  constexpr int kDepth = 3000;
  std::string body = "SET lock_timeout = '1s';\nDO $$ BEGIN\n";
  for (int i = 0; i < kDepth; ++i) body += "IF true THEN ";
  body += "\nUPDATE t SET a = 1;\n";
  for (int i = 0; i < kDepth; ++i) body += "END IF; ";
  body += "\nEXECUTE 'ALTER TABLE t ALTER COLUMN a TYPE bigint';\nEND $$;\n";
  auto r = check_files({kSetup, body});
  const Finding* update = find_finding(r, "update-without-where");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->at.line, 4u);
  const Finding* alter = find_finding(r, "alter-column-type-rewrite");
  ASSERT_NE(alter, nullptr);
  EXPECT_EQ(alter->at.line, 6u);
  EXPECT_EQ(alter->at.col, 37u);  // the column, inside the quoted SQL
}

TEST(Plpgsql, DdlLookingTextInStringsAndCommentsIsNotSql) {
  auto r = check_files({kSetup,
                        "SET lock_timeout = '1s';\n"
                        "DO $$\n"
                        "BEGIN\n"
                        "  -- CREATE INDEX t_a ON t (a);\n"
                        "  RAISE NOTICE 'run DROP TABLE t; by hand';\n"
                        "END $$;\n"});
  EXPECT_TRUE(r.findings.empty()) << r.findings.front().rule_id;
}

TEST(Plpgsql, FunctionsRunWhenTheMigrationCallsThem) {
  std::string define =
      "CREATE FUNCTION backfill() RETURNS void LANGUAGE plpgsql AS $f$\n"
      "BEGIN\n"
      "  ALTER TABLE t DROP COLUMN a;\n"
      "END\n"
      "$f$;\n";
  auto not_called = check_files({kSetup, "SET lock_timeout = '1s';\n" + define});
  EXPECT_FALSE(has_rule(not_called, "drop-column"));
  auto called =
      check_files({kSetup, "SET lock_timeout = '1s';\n" + define + "SELECT backfill();\n"});
  const Finding* f = find_finding(called, "drop-column");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 4u);
  auto procedure = check_files(
      {kSetup,
       "SET lock_timeout = '1s';\n"
       "CREATE PROCEDURE p() LANGUAGE plpgsql AS $p$ BEGIN TRUNCATE t; END $p$;\nCALL p();\n"});
  EXPECT_TRUE(has_rule(procedure, "truncate-table"));
}

TEST(Plpgsql, ARoutineIsOneTransaction) {
  // CONCURRENTLY cannot run inside a function; locks are held to the end of the DO block.
  auto cic = check_files({kSetup, "DO $$ BEGIN CREATE INDEX CONCURRENTLY t_a ON t (a); END $$;"});
  EXPECT_TRUE(has_rule(cic, "concurrently-in-transaction"));
  auto held = check_files(
      {kSetup,
       "SET lock_timeout = '1s';\n"
       "DO $$ BEGIN ALTER TABLE t ADD COLUMN b int; UPDATE t SET b = 1 WHERE id > 0; END $$;\n"
       "UPDATE t SET a = 1 WHERE id > 0;\n"});
  size_t under_lock = 0;
  for (const auto& f : held.findings)
    if (f.rule_id == "data-change-under-lock") {
      ++under_lock;
      EXPECT_EQ(f.at.line, 2u);  // the UPDATE inside the block, not the one after it
    }
  EXPECT_EQ(under_lock, 1u);
}

TEST(Plpgsql, SuppressionAboveTheBlockCoversItsStatements) {
  auto r = check_files({kSetup,
                        "SET lock_timeout = '1s';\n"
                        "-- migsafe:ignore drop-column the column has been unused since 3.1\n"
                        "DO $$ BEGIN ALTER TABLE t DROP COLUMN a; END $$;\n"});
  EXPECT_FALSE(has_rule(r, "drop-column"));
  EXPECT_FALSE(has_rule(r, "suppression-unused"));
}

}  // namespace
}  // namespace migsafe
