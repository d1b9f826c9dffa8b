// PostgreSQL snapshots against a real server (scripts/start-postgres.sh; scripts/test.sh starts
// it and sets MIGSAFE_TEST_PG_DSN). Skips with a message when no server was started.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <thread>

#include "helpers.hpp"
#include "migsafe/snapshot.hpp"
#include "pg_server.hpp"

namespace migsafe {
namespace {

using test::pg_dsn;
std::string dsn() {
  return pg_dsn();
}
void sql(const std::string& text) {
  test::pg_sql(text);
}
std::string one(const std::string& query) {
  return test::pg_one(query);
}
#define REQUIRE_SERVER() REQUIRE_PG_SERVER()

CheckResult check_with_snapshot(const std::vector<std::string>& files, bool version_given = true) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source("m" + std::to_string(i + 1) + ".sql", files[i]));
  // Through files on disk, as users run it, so check_paths does the connecting.
  std::string d = test::temp_dir();
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string p = d + "/m/" + std::to_string(i + 1) + ".sql";
    test::write_file(p, files[i]);
  }
  CheckOptions opt;
  opt.db = dsn();
  opt.version_given = version_given;
  return check_paths({d + "/m"}, test::shipped_postgres_packs(), opt);
}

using test::find_finding;

class Snapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (dsn().empty()) return;
    sql("DROP TABLE IF EXISTS s_cat, s_big, s_small, s_parent, s_child, s_child2 CASCADE;"
        "CREATE TABLE s_cat (id int PRIMARY KEY, note varchar(50), n numeric(10,2), c int,"
        "  CONSTRAINT s_cat_c_nn CHECK (c IS NOT NULL));"
        "CREATE TABLE s_big (id bigint PRIMARY KEY, parent_id int, kind int, payload text);"
        "INSERT INTO s_big SELECT g, g % 100, g % 7, 'x' FROM generate_series(1, 20000) g;"
        "CREATE TABLE s_small (id bigint PRIMARY KEY, kind int);"
        "INSERT INTO s_small SELECT g, g FROM generate_series(1, 100) g;"
        "CREATE TABLE s_parent (id int PRIMARY KEY);"
        "CREATE TABLE s_child (id int PRIMARY KEY, parent_id int);"
        "CREATE TABLE s_child2 (id int PRIMARY KEY, parent_id int);"
        "CREATE INDEX s_child2_parent_idx ON s_child2 (parent_id);"
        "ANALYZE s_cat, s_big, s_small, s_parent, s_child, s_child2;");
  }
};

TEST_F(Snapshot, CatalogFactsReplaceGuesses) {
  REQUIRE_SERVER();
  auto r =
      check_with_snapshot({"SET lock_timeout = '1s';\n"
                           "ALTER TABLE s_cat ALTER COLUMN note TYPE varchar(100);\n"
                           "ALTER TABLE s_cat ALTER COLUMN n TYPE numeric(12,2);\n"
                           "ALTER TABLE s_cat ALTER COLUMN c SET NOT NULL;\n"
                           "ALTER TABLE s_cat ALTER COLUMN id TYPE bigint;\n"});
  ASSERT_TRUE(r.database_error.empty()) << r.database_error;
  size_t rewrites = 0;
  for (const auto& f : r.findings) {
    EXPECT_NE(f.rule_id, "set-not-null-scan") << "the validated CHECK is in the snapshot";
    if (f.rule_id == "alter-column-type-rewrite") {
      ++rewrites;
      EXPECT_EQ(f.at.line, 5u)
          << "only int to bigint rewrites; the old types come from the catalog";
    }
  }
  EXPECT_EQ(rewrites, 1u);
  // Without --target-version the server's version decides.
  auto v = check_with_snapshot({"SELECT 1;"}, false);
  ASSERT_TRUE(v.version);
  EXPECT_EQ(v.version->major, std::stoi(one("SHOW server_version_num")) / 10000);
}

TEST_F(Snapshot, UserFunctionVolatilityComesFromPgProc) {
  REQUIRE_SERVER();
  sql("CREATE OR REPLACE FUNCTION s_stable_default() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';"
      "CREATE OR REPLACE FUNCTION s_volatile_default() RETURNS int LANGUAGE sql AS 'SELECT 1';");
  auto r =
      check_with_snapshot({"SET lock_timeout = '1s';\n"
                           "ALTER TABLE s_small ADD COLUMN a int DEFAULT s_stable_default();\n"
                           "ALTER TABLE s_small ADD COLUMN b int DEFAULT s_volatile_default();\n"});
  std::vector<uint32_t> lines;
  for (const auto& f : r.findings)
    if (f.rule_id == "add-column-volatile-default") lines.push_back(f.at.line);
  EXPECT_EQ(lines, std::vector<uint32_t>{3}) << "STABLE in pg_proc: no rewrite";
}

TEST_F(Snapshot, SizeDecidesSeverityAndIsStated) {
  REQUIRE_SERVER();
  auto r =
      check_with_snapshot({"SET lock_timeout = '1s';\n"
                           "CREATE INDEX s_big_kind_idx ON s_big (kind);\n"
                           "CREATE INDEX s_small_kind_idx ON s_small (kind);\n"});
  ASSERT_TRUE(r.database_error.empty()) << r.database_error;
  const Finding* big = nullptr;
  const Finding* small = nullptr;
  for (const auto& f : r.findings)
    if (f.rule_id == "create-index-not-concurrent") (f.at.line == 2 ? big : small) = &f;
  ASSERT_NE(big, nullptr);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(big->severity, Severity::error);
  EXPECT_NE(big->message.find("(20000 rows"), std::string::npos) << big->message;
  EXPECT_EQ(small->severity, Severity::warning);
  EXPECT_NE(small->message.find("(100 rows"), std::string::npos) << small->message;
}

TEST_F(Snapshot, ConfigChangesAThreshold) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/.migsafe.yaml",
                   "rules:\n  create-index-not-concurrent: {threshold: {rows: 100000}}\n");
  test::write_file(d + "/m.sql",
                   "SET lock_timeout = '1s';\nCREATE INDEX s_big_kind_idx ON s_big (kind);\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "m.sql"}, "", d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("warning[create-index-not-concurrent]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("under the rule's threshold (100000 rows"), std::string::npos) << r.out;
}

TEST_F(Snapshot, ForeignKeyIndex) {
  REQUIRE_SERVER();
  sql("INSERT INTO s_child SELECT g, NULL FROM generate_series(1, 20000) g; ANALYZE s_child;");
  auto bad =
      check_with_snapshot({"SET lock_timeout = '1s';\n"
                           "ALTER TABLE s_child ADD CONSTRAINT s_child_fk FOREIGN KEY (parent_id)"
                           " REFERENCES s_parent (id) NOT VALID;\n"});
  const Finding* f = find_finding(bad, "foreign-key-without-index");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_NE(
      f->instead.find("CREATE INDEX CONCURRENTLY s_child_parent_id_idx ON s_child (parent_id);"),
      std::string::npos)
      << f->instead;
  auto good =
      check_with_snapshot({"SET lock_timeout = '1s';\n"
                           "ALTER TABLE s_child2 ADD CONSTRAINT s_child2_fk FOREIGN KEY (parent_id)"
                           " REFERENCES s_parent (id) NOT VALID;\n"});
  EXPECT_EQ(find_finding(good, "foreign-key-without-index"), nullptr);
}

TEST_F(Snapshot, UnindexedDataChange) {
  REQUIRE_SERVER();
  auto bad = check_with_snapshot({"UPDATE s_big SET payload = 'y' WHERE kind = 3;\n"});
  const Finding* f = find_finding(bad, "unindexed-data-change");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_NE(f->message.find("sequential scan"), std::string::npos);
  // The table's own rows and size, not the rows the filter returns; the effect agrees.
  EXPECT_NE(f->message.find(" rows, "), std::string::npos) << f->message;
  EXPECT_EQ(f->message.find("about"), std::string::npos) << f->message;
  ASSERT_TRUE(f->effect.has_value());
  EXPECT_TRUE(f->effect->scan);
  auto good = check_with_snapshot({"UPDATE s_big SET payload = 'y' WHERE id = 3;\n"});
  EXPECT_EQ(find_finding(good, "unindexed-data-change"), nullptr);
  // Small tables stay warnings: the scan is cheap there.
  auto small = check_with_snapshot({"UPDATE s_small SET kind = 0 WHERE kind = 3;\n"});
  const Finding* s = find_finding(small, "unindexed-data-change");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->severity, Severity::warning);
}

TEST_F(Snapshot, DropIndex) {
  REQUIRE_SERVER();
  sql("CREATE INDEX IF NOT EXISTS s_big_parent_idx ON s_big (parent_id);"
      "SET enable_seqscan = off; SELECT count(*) FROM s_big WHERE parent_id = 5;"
      "SELECT pg_stat_force_next_flush();");
  sql("SELECT pg_sleep(0.1);");
  auto used = check_with_snapshot({"DROP INDEX CONCURRENTLY s_big_parent_idx;\n"});
  EXPECT_NE(find_finding(used, "drop-index-in-use"), nullptr);
  auto pkey = check_with_snapshot({"DROP INDEX CONCURRENTLY s_small_pkey;\n"});
  EXPECT_NE(find_finding(pkey, "drop-index-backing-constraint"), nullptr);
  sql("CREATE INDEX IF NOT EXISTS s_small_kind_unused ON s_small (kind);");
  auto unused = check_with_snapshot({"DROP INDEX CONCURRENTLY s_small_kind_unused;\n"});
  EXPECT_EQ(find_finding(unused, "drop-index-in-use"), nullptr);
  EXPECT_EQ(find_finding(unused, "drop-index-backing-constraint"), nullptr);
  auto dup =
      check_with_snapshot({"CREATE INDEX CONCURRENTLY s_big_parent_dup ON s_big (parent_id);\n"});
  EXPECT_NE(find_finding(dup, "duplicate-index"), nullptr);
}

// migsafe only reads: catalog and data are byte for byte the same after a run, whatever the
// migration says.
TEST_F(Snapshot, NeverChangesTheSnapshot) {
  REQUIRE_SERVER();
  const std::string checksum =
      "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
      " SELECT c.relname || ':' || c.relfilenode || ':' || c.relkind::text AS x FROM pg_class c"
      "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname "
      "LIKE 's\\_%'"
      " UNION ALL SELECT attrelid::regclass || '.' || attname || ':' || atttypid || ':' || "
      "attnotnull"
      "  FROM pg_attribute WHERE attrelid IN ('s_big'::regclass, 's_cat'::regclass) AND attnum > 0"
      " UNION ALL SELECT 'big:' || md5(string_agg(b::text, '' ORDER BY id)) FROM s_big b"
      " UNION ALL SELECT 'small:' || md5(string_agg(s::text, '' ORDER BY id)) FROM s_small s) t";
  std::string before = one(checksum);
  auto r = check_with_snapshot(
      {"BEGIN;\nALTER TABLE s_big ADD COLUMN z uuid DEFAULT gen_random_uuid();\n"
       "UPDATE s_big SET payload = 'changed' WHERE kind = 1;\nDELETE FROM s_small;\n"
       "DROP TABLE s_cat;\nCOMMIT;\nALTER TABLE s_small ADD COLUMN;\n"});
  EXPECT_TRUE(r.database_error.empty()) << r.database_error;
  EXPECT_FALSE(r.findings.empty());
  EXPECT_EQ(one(checksum), before);
}

const char* kChecksum =
    "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
    " SELECT c.relname || ':' || c.relfilenode || ':' || c.relkind::text AS x FROM pg_class c"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname LIKE "
    "'s\\_%'"
    " UNION ALL SELECT attrelid::regclass || '.' || attname || ':' || atttypid || ':' || attnotnull"
    "  FROM pg_attribute WHERE attrelid IN ('s_big'::regclass, 's_small'::regclass) AND attnum > 0"
    " UNION ALL SELECT 'big:' || md5(string_agg(b::text, '' ORDER BY id)) FROM s_big b"
    " UNION ALL SELECT 'small:' || md5(string_agg(s::text, '' ORDER BY id)) FROM s_small s) t";

CheckResult trace(const std::string& migration) {
  std::string d = test::temp_dir();
  test::write_file(d + "/m/1.sql", migration);
  CheckOptions opt;
  opt.db = dsn();
  opt.trace = true;
  return check_paths({d + "/m"}, test::shipped_postgres_packs(), opt);
}

std::vector<std::string> messages(const CheckResult& r, std::string_view id) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.rule_id == id) out.push_back(std::to_string(f.at.line) + ": " + f.message);
  return out;
}

TEST_F(Snapshot, TraceReportsWhatTheServerDidAndRollsItBack) {
  REQUIRE_SERVER();
  std::string before = one(kChecksum);
  auto r = trace(
      "ALTER TABLE s_small ADD COLUMN z int;\n"
      "ALTER TABLE s_small ALTER COLUMN kind TYPE bigint;\n"
      "CREATE INDEX CONCURRENTLY s_small_z_idx ON s_small (z);\n"
      "BEGIN;\nCOMMIT;\nALTER TABLE s_small ADD COLUMN;\n"
      "INSERT INTO s_small (id) VALUES (1);\n");
  ASSERT_TRUE(r.database_error.empty()) << r.database_error;
  auto traced = messages(r, "trace");
  ASSERT_GE(traced.size(), 4u);
  EXPECT_NE(traced[0].find("1: on the snapshot: "), std::string::npos) << traced[0];
  EXPECT_NE(traced[0].find("ACCESS EXCLUSIVE on s_small"), std::string::npos) << traced[0];
  EXPECT_NE(traced[1].find("rewrote s_small"), std::string::npos) << traced[1];
  EXPECT_NE(traced[3].find("not traced: transaction control"), std::string::npos) << traced[3];
  // The duplicate key is PostgreSQL's verdict on the real data.
  auto rejected = messages(r, "engine-rejects");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].find("duplicate key"), std::string::npos) << rejected[0];
  EXPECT_TRUE(messages(r, "trace-mismatch").empty()) << messages(r, "trace-mismatch")[0];
  EXPECT_EQ(one(kChecksum), before) << "the trace must leave the snapshot as it was";
}

TEST_F(Snapshot, TraceNeverRunsWhatARollbackCannotUndo) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  auto r = trace("COPY s_small TO '" + d +
                 "/leak.csv';\n"
                 "SELECT pg_reload_conf();\n"
                 "SELECT lo_export(1, '" +
                 d + "/lo.bin');\n");
  ASSERT_TRUE(r.database_error.empty()) << r.database_error;
  // Refused, not passed: each is a missing fact, an error.
  auto refused = messages(r, "snapshot-incomplete");
  ASSERT_EQ(refused.size(), 3u);
  for (const auto& m : refused) EXPECT_NE(m.find("not traced"), std::string::npos) << m;
  EXPECT_NE(refused[0].find("COPY reads or writes outside the database"), std::string::npos);
  EXPECT_NE(refused[1].find("reloads the server's configuration"), std::string::npos);
  EXPECT_NE(refused[2].find("large-object functions"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(d + "/leak.csv"));
}

TEST_F(Snapshot, TraceShowsWhereTheModelWasWrong) {
  REQUIRE_SERVER();
  // With TimeZone UTC, PostgreSQL 12+ turns timestamp into timestamptz without a rewrite;
  // statically migsafe cannot know the session's TimeZone and assumes one.
  sql("DROP TABLE IF EXISTS s_ts; CREATE TABLE s_ts (id int, at timestamp);"
      "ALTER ROLE migsafe_test SET timezone TO 'UTC';");
  auto r = trace("ALTER TABLE s_ts ALTER COLUMN at TYPE timestamptz;\n");
  auto mismatch = messages(r, "trace-mismatch");
  ASSERT_EQ(mismatch.size(), 1u);
  EXPECT_NE(
      mismatch[0].find("migsafe predicted a rewrite of public.s_ts, the server did not rewrite it"),
      std::string::npos)
      << mismatch[0];
  sql("DROP TABLE s_ts;");
}

TEST_F(Snapshot, TraceLockTimeoutIsAFindingNotACrash) {
  REQUIRE_SERVER();
  pqxx::connection holder(dsn());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE s_small IN ACCESS SHARE MODE");
  auto r = trace("ALTER TABLE s_small ADD COLUMN blocked int;\nSELECT 1;\n");
  EXPECT_TRUE(r.database_error.empty()) << r.database_error;
  auto waited = messages(r, "trace-lock-timeout");
  ASSERT_EQ(waited.size(), 1u);
  EXPECT_EQ(waited[0].substr(0, 3), "1: ");
  hold.abort();
}

TEST_F(Snapshot, StatementTimeoutIsConfigurable) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", "SELECT pg_sleep(2);\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", "--snapshot-statement-timeout",
                              "200", "--snapshot-lock-timeout", "100", d + "/m.sql"});
  EXPECT_NE(r.out.find("warning[trace-statement-timeout]"), std::string::npos) << r.out << r.err;
}

TEST_F(Snapshot, KilledTraceConnectionIsExit3AndChangesNothing) {
  REQUIRE_SERVER();
  std::string before = one(kChecksum);
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "ALTER TABLE s_small ADD COLUMN killed int;\nSELECT pg_sleep(8);\n");
  test::CommandResult result;
  std::thread run([&] {
    result = test::run_migsafe({"check", "--db", dsn(), "--trace", d + "/m.sql"});
  });
  // Wait for the trace to reach the sleep, then kill its backend.
  bool killed = false;
  for (int i = 0; i < 100 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    killed = one("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE application_name = 'migsafe-trace' AND query LIKE '%pg_sleep%'") == "1";
  }
  run.join();
  ASSERT_TRUE(killed);
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.err.find("migsafe: database error:"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("migsafe-test-secret"), std::string::npos);
  EXPECT_EQ(one(kChecksum), before);
}

TEST(SnapshotErrors, DatabaseErrorsAreExit3WithoutThePassword) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", "SELECT 1;\n");
  std::string wrong = dsn();
  size_t colon = wrong.find(':', wrong.find("://") + 3);
  size_t at = wrong.find('@');
  wrong.replace(colon + 1, at - colon - 1, "Wr0ng-Secret-value");
  auto bad = test::run_migsafe({"check", "--db", wrong, d + "/m.sql"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("migsafe: database error:"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("Wr0ng-Secret-value"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out.find("Wr0ng-Secret-value"), std::string::npos);
  auto down = test::run_migsafe(
      {"check", "--db", "postgresql://u:Secret-123@127.0.0.1:1/none", d + "/m.sql"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_EQ(down.err.find("Secret-123"), std::string::npos) << down.err;
  auto kv = test::run_migsafe({"check", "--db",
                               "host=127.0.0.1 port=1 user=u password=Kv-Secret-9 dbname=x",
                               d + "/m.sql"});
  EXPECT_EQ(kv.exit_code, 3);
  EXPECT_EQ(kv.err.find("Kv-Secret-9"), std::string::npos) << kv.err;
  // MIGSAFE_DB works like --db.
  setenv("MIGSAFE_DB", wrong.c_str(), 1);
  auto env = test::run_migsafe({"check", d + "/m.sql"});
  unsetenv("MIGSAFE_DB");
  EXPECT_EQ(env.exit_code, 3);
}

std::string dsn_with(const std::string& user, const std::string& password, int port = 0) {
  return test::pg_dsn_with(user, password, port);
}

// Findings of one rule in JSON output: "line: severity: message".
std::vector<std::string> json_findings(const std::string& out, std::string_view rule) {
  std::vector<std::string> found;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  if (doc.is_discarded()) return {"(not JSON) " + out};
  for (const auto& f : doc["findings"])
    if (f["rule"] == rule)
      found.push_back(std::to_string(f["start"]["line"].get<int>()) + ": " +
                      f["severity"].get<std::string>() + ": " + f["message"].get<std::string>() +
                      (f["notes"].empty() ? "" : " | " + f["notes"].dump()));
  return found;
}

class FailClosed : public Snapshot {
 protected:
  void SetUp() override {
    Snapshot::SetUp();
    if (dsn().empty()) return;
    sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_reader') THEN "
        "CREATE ROLE sb_reader LOGIN PASSWORD 'reader-secret'; END IF; END $$;"
        "GRANT pg_read_all_data TO sb_reader;");
  }
  test::CommandResult check(const std::string& migration, std::vector<std::string> extra = {}) {
    std::string d = test::temp_dir();
    test::write_file(d + "/m.sql", migration);
    std::vector<std::string> args{"check", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "--db") == extra.end()) {
      args.push_back("--db");
      args.push_back(dsn());
    }
    args.push_back(d + "/m.sql");
    return test::run_migsafe(args);
  }
};

// A read-only role cannot EXPLAIN an UPDATE: the plan is a missing fact, said as such, an
// error on a big table and a warning on a small one.
TEST_F(FailClosed, PlanDeniedByPrivilegesIsAFinding) {
  REQUIRE_SERVER();
  std::string reader = dsn_with("sb_reader", "reader-secret");
  auto big = check("UPDATE s_big SET kind = 2 WHERE kind = 3;\n", {"--db", reader});
  auto found = json_findings(big.out, "snapshot-incomplete");
  ASSERT_EQ(found.size(), 1u) << big.out << big.err;
  EXPECT_NE(found[0].find("1: error: UPDATE on s_big could not be planned"), std::string::npos)
      << found[0];
  EXPECT_NE(found[0].find("privilege"), std::string::npos) << found[0];
  EXPECT_EQ(big.exit_code, 1);
  auto small = check("UPDATE s_small SET kind = 2 WHERE kind = 3;\n", {"--db", reader});
  found = json_findings(small.out, "snapshot-incomplete");
  ASSERT_EQ(found.size(), 1u) << small.out;
  EXPECT_NE(found[0].find("1: warning: "), std::string::npos) << found[0];
  // The table's owner can plan it: the fact is there, and it blocks.
  auto owner = check("UPDATE s_big SET kind = 2 WHERE kind = 3;\n");
  EXPECT_TRUE(json_findings(owner.out, "snapshot-incomplete").empty()) << owner.out;
  EXPECT_EQ(json_findings(owner.out, "unindexed-data-change").size(), 1u) << owner.out;
  // Without a WHERE every row changes whatever the plan: nothing is missing.
  auto all = check("UPDATE s_big SET kind = 2;\n", {"--db", reader});
  EXPECT_TRUE(json_findings(all.out, "snapshot-incomplete").empty()) << all.out;
}

// A plan that needs what earlier statements create cannot be had from the snapshot alone; the
// trace plans it after them, in its own transaction (which holds locks the read-only session
// would wait for).
TEST_F(FailClosed, TracePlansAfterTheEarlierStatements) {
  REQUIRE_SERVER();
  std::string migration =
      "ALTER TABLE s_big ADD COLUMN flag int;\n"
      "UPDATE s_big SET payload = 'y' WHERE flag = 1;\n";
  auto plain = check(migration);
  auto missing = json_findings(plain.out, "snapshot-incomplete");
  ASSERT_EQ(missing.size(), 1u) << plain.out;
  EXPECT_NE(missing[0].find("2: error: "), std::string::npos) << missing[0];
  EXPECT_NE(missing[0].find("--trace"), std::string::npos) << missing[0];
  auto traced = check(migration, {"--trace"});
  EXPECT_TRUE(json_findings(traced.out, "snapshot-incomplete").empty()) << traced.out;
  auto scans = json_findings(traced.out, "unindexed-data-change");
  ASSERT_EQ(scans.size(), 1u) << traced.out;
  EXPECT_EQ(scans[0].substr(0, 3), "2: ");
}

// The catalog read meets a lock another session holds: a finding, not a database error.
TEST_F(FailClosed, LockMetWhileReadingTheCatalogIsAFinding) {
  REQUIRE_SERVER();
  pqxx::connection holder(dsn());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE s_small IN ACCESS EXCLUSIVE MODE");
  auto r = check("ALTER TABLE s_small ADD COLUMN q int;\n");
  hold.abort();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto found = json_findings(r.out, "trace-lock-timeout");
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_NE(found[0].find("ACCESS EXCLUSIVE, held by session"), std::string::npos) << found[0];
}

TEST_F(FailClosed, LockTimeoutMustBeBelowTheStatementTimeout) {
  REQUIRE_SERVER();
  auto r = check("SELECT 1;\n", {"--trace", "--snapshot-lock-timeout", "5000",
                                 "--snapshot-statement-timeout", "5000"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("must be below --snapshot-statement-timeout"), std::string::npos) << r.err;
}

// A statement the snapshot role may not run is a missing fact, not PostgreSQL rejecting the
// migration; what PostgreSQL does reject is said to be PostgreSQL on the snapshot.
TEST_F(FailClosed, PrivilegeErrorsAreNotRejections) {
  REQUIRE_SERVER();
  auto r = check("ALTER TABLE s_small ADD COLUMN p int;\n",
                 {"--trace", "--db", dsn_with("sb_reader", "reader-secret")});
  EXPECT_TRUE(json_findings(r.out, "engine-rejects").empty()) << r.out;
  auto found = json_findings(r.out, "snapshot-incomplete");
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_NE(found[0].find("warning: not traced: the snapshot role may not run"), std::string::npos)
      << found[0];
  auto rejected = check("INSERT INTO s_small (id) VALUES (1);\n", {"--trace"});
  auto said = json_findings(rejected.out, "engine-rejects");
  ASSERT_EQ(said.size(), 1u) << rejected.out;
  EXPECT_NE(said[0].find("PostgreSQL on the snapshot rejects"), std::string::npos) << said[0];
}

// Locks an earlier statement of the trace already holds cannot be seen being taken; the report
// lists them as already held, from the model, instead of leaving them out.
TEST_F(FailClosed, LocksAlreadyHeldAreListed) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m/1.sql", "ALTER TABLE s_small ADD COLUMN h1 int;\n");
  test::write_file(d + "/m/2.sql",
                   "BEGIN;\nALTER TABLE s_small ADD COLUMN h2 int;\n"
                   "ALTER TABLE s_cat ADD COLUMN h3 int;\nALTER TABLE s_cat ADD COLUMN h4 int;\n"
                   "COMMIT;\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", "--format", "json", d + "/m"});
  auto traced = json_findings(r.out, "trace");
  std::string all;
  for (const auto& t : traced) all += t + "\n";
  EXPECT_NE(all.find("ACCESS EXCLUSIVE on s_small (already held since " + d + "/m/1.sql:1)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("ACCESS EXCLUSIVE on s_cat (already held since " + d + "/m/2.sql:3)"),
            std::string::npos)
      << all;
  EXPECT_TRUE(json_findings(r.out, "trace-mismatch").empty()) << r.out;
}

// A statement inside a routine that names the routine's variables cannot be planned alone: a
// warning to look at by hand, not a block (a batched backfill is the usual case).
TEST_F(FailClosed, RoutineStatementsWithVariablesAreWarnings) {
  REQUIRE_SERVER();
  auto r = check(
      "DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN SELECT id FROM s_big LOOP\n"
      "    UPDATE s_big SET kind = 1 WHERE id = r.id;\n  END LOOP;\nEND $$;\n");
  auto found = json_findings(r.out, "snapshot-incomplete");
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_NE(found[0].find("5: warning: "), std::string::npos) << found[0];
  EXPECT_NE(found[0].find("PL/pgSQL variables"), std::string::npos) << found[0];
}

// The role the README recommends: not a superuser, owner of the tables it migrates. It traces
// them, and the summary does not warn.
TEST_F(FailClosed, TheTableOwnerTracesWithoutSuperuser) {
  REQUIRE_SERVER();
  sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_owner') THEN "
      "CREATE ROLE sb_owner LOGIN PASSWORD 'owner-secret'; END IF; END $$;"
      "DROP TABLE IF EXISTS s_owned; CREATE TABLE s_owned (id int PRIMARY KEY, note text);"
      "ALTER TABLE s_owned OWNER TO sb_owner;");
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "ALTER TABLE s_owned ADD COLUMN extra int;\n"
                   "SELECT pg_terminate_backend(pg_backend_pid());\n");
  auto r = test::run_migsafe(
      {"check", "--db", dsn_with("sb_owner", "owner-secret"), "--trace", d + "/m.sql"});
  EXPECT_NE(r.out.find("m.sql:1:1: info[trace]: on the snapshot: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ACCESS EXCLUSIVE on s_owned"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("m.sql:2:1: error[snapshot-incomplete]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("superuser"), std::string::npos) << r.out;
  EXPECT_EQ(one("SELECT count(*) FROM information_schema.columns WHERE table_name = 's_owned'"),
            "2");
  sql("DROP TABLE s_owned;");
}

// A TCP proxy in front of the test server that stops forwarding, without closing anything, once
// the client sends a marker: a frozen server, as a client sees it.
class FreezingProxy {
 public:
  FreezingProxy(int upstream_port, std::string marker) : marker_(std::move(marker)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 8);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    upstream_port_ = upstream_port;
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FreezingProxy() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (auto& t : pumps_) t.join();
  }
  int port() const { return port_; }
  bool frozen() const { return frozen_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      pumps_.emplace_back([this, client] { pump(client); });
    }
  }
  void pump(int client) {
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      char buf[65536];
      bool frozen_here = false;
      while (!stop_) {
        pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (::poll(p, 2, 100) <= 0 || frozen_here) continue;
        if (p[0].revents & (POLLIN | POLLHUP)) {
          ssize_t n = ::read(client, buf, sizeof buf);
          if (n <= 0) break;
          if (std::string_view(buf, static_cast<size_t>(n)).find(marker_) != std::string::npos) {
            frozen_here = true;  // swallow it, and everything after it
            frozen_ = true;
            continue;
          }
          (void)!::write(server, buf, static_cast<size_t>(n));
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
          ssize_t n = ::read(server, buf, sizeof buf);
          if (n <= 0) break;
          (void)!::write(client, buf, static_cast<size_t>(n));
        }
      }
    }
    ::close(server);
    ::close(client);
  }

  std::string marker_;
  int listener_ = -1, port_ = 0, upstream_port_ = 0;
  std::atomic<bool> stop_{false}, frozen_{false};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
};

int server_port() {
  return test::pg_port();
}

// A server or network that stops answering ends the run with exit 3 after the statement timeout
// and a margin, instead of waiting forever: both for the read-only session and for the trace.
TEST_F(FailClosed, FrozenServerEndsTheRun) {
  REQUIRE_SERVER();
  for (bool trace : {false, true}) {
    FreezingProxy proxy(server_port(), "migsafe_freeze_marker");
    std::string frozen_dsn = dsn_with("migsafe_test", "migsafe-test-secret", proxy.port());
    std::vector<std::string> extra{
        "--db", frozen_dsn, "--snapshot-statement-timeout", "1000", "--snapshot-lock-timeout",
        "500"};
    if (trace) extra.push_back("--trace");
    auto r = check("UPDATE s_big SET kind = 1 WHERE payload = 'migsafe_freeze_marker';\n", extra);
    EXPECT_TRUE(proxy.frozen()) << "the marker never reached the proxy";
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("did not answer"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("migsafe-test-secret"), std::string::npos) << r.err;
  }
}

TEST(SnapshotErrors, RedactMasksPasswords) {
  EXPECT_EQ(redact("failed for postgresql://bob:s3cret@db/x: s3cret rejected",
                   "postgresql://bob:s3cret@db/x"),
            "failed for postgresql://bob:***@db/x: *** rejected");
  EXPECT_EQ(redact("password=hunter2 failed", "host=db password=hunter2"), "password=*** failed");
}

}  // namespace
}  // namespace migsafe
