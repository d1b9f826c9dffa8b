// not-repeatable on PostgreSQL: every case runs twice on the test server, in a schema of its
// own, and the second run's harm must be what migsafe reports (tests/rerun_cases.hpp).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "pg_server.hpp"
#include "rerun_cases.hpp"

namespace migsafe {
namespace {

std::string value(pqxx::connection& c, const std::string& query) {
  if (query.empty()) return {};
  pqxx::nontransaction tx(c);
  return tx.exec1(query)[0].as<std::string>();
}

bool runs(pqxx::connection& c, const std::string& sql) {
  try {
    pqxx::nontransaction tx(c);
    tx.exec(sql);
    return true;
  } catch (const pqxx::sql_error&) {
    return false;
  }
}

TEST(RerunVerify, PostgresAgreesWithTheServer) {
  REQUIRE_PG_SERVER();
  pqxx::connection c(test::pg_dsn());
  TargetVersion version{c.server_version() / 10000, 0};
  int n = 0;
  for (const auto& k : test::postgres_rerun_cases()) {
    SCOPED_TRACE(k.statement);
    std::string schema = "rerun_" + std::to_string(n++);
    ASSERT_TRUE(runs(c, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema +
                            "; SET search_path = " + schema));
    if (*k.setup) {
      ASSERT_TRUE(runs(c, k.setup));
    }
    ASSERT_TRUE(runs(c, k.statement)) << "the first run failed";
    const std::string watched = test::watched_query(k);
    std::string before = value(c, watched);
    bool second = runs(c, k.statement);
    bool harm = !second || value(c, watched) != before;
    EXPECT_EQ(harm, k.harmful) << "the server disagrees with the case";
    EXPECT_EQ(test::reported_not_repeatable(Dialect::postgres, version, k),
              k.harmful && !k.no_form);
    ASSERT_TRUE(runs(c, "SET search_path = public; DROP SCHEMA " + schema + " CASCADE"));
  }
}

// IF NOT EXISTS is no guard for a concurrent build: a build that failed leaves an INVALID index
// under the name, and the second run keeps it.
TEST(RerunVerify, ConcurrentBuildLeavesAnInvalidIndexThatIfNotExistsKeeps) {
  REQUIRE_PG_SERVER();
  pqxx::connection c(test::pg_dsn());
  ASSERT_TRUE(runs(c,
                   "DROP TABLE IF EXISTS rerun_dup; CREATE TABLE rerun_dup (a int); "
                   "INSERT INTO rerun_dup VALUES (1), (1)"));
  const std::string build =
      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS rerun_dup_a ON rerun_dup (a)";
  EXPECT_FALSE(runs(c, build));  // the duplicates stop it half-way
  EXPECT_TRUE(runs(c, build));   // the second run "succeeds" ...
  EXPECT_EQ(test::pg_one("SELECT indisvalid::text FROM pg_index WHERE indexrelid = "
                         "'rerun_dup_a'::regclass"),
            "false");  // ... and leaves the INVALID index in place
  test::RerunCase bad{"CREATE TABLE rerun_dup (a int)", build.c_str(), true};
  test::RerunCase good{"CREATE TABLE rerun_dup (a int)",
                       "DROP INDEX CONCURRENTLY IF EXISTS rerun_dup_a;\n"
                       "CREATE UNIQUE INDEX CONCURRENTLY rerun_dup_a ON rerun_dup (a)",
                       false};
  EXPECT_TRUE(test::reported_not_repeatable(Dialect::postgres, {15, 0}, bad));
  EXPECT_FALSE(test::reported_not_repeatable(Dialect::postgres, {15, 0}, good));
  ASSERT_TRUE(runs(c, "DROP TABLE rerun_dup"));
}

}  // namespace
}  // namespace migsafe
