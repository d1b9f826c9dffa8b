// --trace and plan inspection on MariaDB (the server scripts/test.sh starts): the server's own
// answer for each ALTER (the least blocking ALGORITHM= / LOCK= it accepts on empty clones), the
// sandbox refusing what reaches outside the scratch database, the scratch database gone at the
// end (also after kill -9, and left over by a killed run), the snapshot unchanged, a server
// that goes away mid-run (exit 3), and plans before and after a migration that drops an index.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "mysql_fixture.hpp"

namespace migsafe {
namespace {

std::vector<const nlohmann::json*> findings(const nlohmann::json& doc, const std::string& rule) {
  std::vector<const nlohmann::json*> out;
  for (const auto& f : doc["findings"])
    if (f["rule"] == rule) out.push_back(&f);
  return out;
}

const nlohmann::json* at_line(const nlohmann::json& doc, const std::string& rule, int line) {
  for (const auto* f : findings(doc, rule))
    if ((*f)["start"]["line"] == line) return f;
  return nullptr;
}

std::string notes(const nlohmann::json& f) {
  std::string out;
  if (f.contains("notes"))
    for (const auto& n : f["notes"]) out += n.get<std::string>() + "\n";
  return out;
}

// Each ALTER's trace says what the server accepted, and where the effects table agrees, there is
// no mismatch; the snapshot is unchanged and the scratch database gone.
TEST(MysqlTrace, TheServersOwnAnswerPerAlter) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  auto r = check({"--db", dsn(p), "--trace"},
                 "SET SESSION lock_wait_timeout = 5;\n"                                     // 1
                 "ALTER TABLE snap_orders ADD COLUMN flag INT;\n"                           // 2
                 "ALTER TABLE snap_orders MODIFY note VARCHAR(100) NOT NULL DEFAULT '';\n"  // 3
                 "CREATE INDEX snap_orders_total ON snap_orders (total);\n"                 // 4
                 "ALTER TABLE migsafe_test.snap_orders DROP COLUMN flag;\n"                 // 5
                 "ALTER TABLE snap_orders ADD COLUMN customer_id INT;\n"                    // 6
                 "DROP TABLE snap_customers;\n");                                           // 7
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto* instant = at_line(doc, "trace", 2);
  ASSERT_NE(instant, nullptr) << r.out;
  EXPECT_NE((*instant)["message"].get<std::string>().find("accepted: ALGORITHM=INSTANT"),
            std::string::npos)
      << (*instant)["message"];
  const auto* copy = at_line(doc, "trace", 3);
  ASSERT_NE(copy, nullptr) << r.out;
  EXPECT_NE((*copy)["message"].get<std::string>().find("ALGORITHM=COPY, LOCK=SHARED"),
            std::string::npos)
      << (*copy)["message"];
  // The server's reasons for refusing the less blocking forms are kept.
  EXPECT_NE(notes(*copy).find("refused ALGORITHM=INSTANT"), std::string::npos) << copy->dump();
  EXPECT_NE(notes(*copy).find("Cannot change column type"), std::string::npos) << copy->dump();
  const auto* index = at_line(doc, "trace", 4);
  ASSERT_NE(index, nullptr) << r.out;
  EXPECT_NE((*index)["message"].get<std::string>().find("ALGORITHM=NOCOPY, LOCK=NONE"),
            std::string::npos)
      << (*index)["message"];
  // A name qualified with the snapshot's database runs on the clone: the column the scratch
  // added on line 2 is there to drop.
  ASSERT_NE(at_line(doc, "trace", 5), nullptr) << r.out;
  EXPECT_EQ(at_line(doc, "engine-rejects", 5), nullptr) << r.out;
  // The server's own refusal, from the clone's real definition.
  const auto* rejected = at_line(doc, "engine-rejects", 6);
  ASSERT_NE(rejected, nullptr) << r.out;
  EXPECT_NE((*rejected)["message"].get<std::string>().find("Duplicate column name"),
            std::string::npos);
  // Where the server agrees with the effects table, nothing is a mismatch.
  EXPECT_TRUE(findings(doc, "trace-mismatch").empty()) << r.out;
  // Dropping a table another references fails on the clones as on the snapshot.
  EXPECT_NE(at_line(doc, "engine-rejects", 7), nullptr) << r.out;

  EXPECT_EQ(state(p), before) << "the snapshot changed";
  EXPECT_EQ(scratch_databases(p), "") << "the scratch database was left behind";
}

// A FULLTEXT index on a table that has one already (snap_customers) is built in place; the
// first one (snap_orders) adds FTS_DOC_ID and rebuilds the table. The snapshot's own definition
// tells which, and the server agrees on the clones.
TEST(MysqlTrace, FulltextKnowsTheTablesExistingIndexes) {
  REQUIRE_MYSQL(p);
  auto r = check({"--db", dsn(p), "--trace"},
                 "ALTER TABLE snap_customers ADD FULLTEXT KEY snap_customers_code (legacy_code);\n"
                 "ALTER TABLE snap_orders ADD FULLTEXT KEY snap_orders_note (note);\n");
  auto doc = nlohmann::json::parse(r.out);
  const auto* second = at_line(doc, "fulltext-or-spatial-index", 1);
  const auto* first = at_line(doc, "fulltext-or-spatial-index", 2);
  ASSERT_NE(second, nullptr) << r.out;
  ASSERT_NE(first, nullptr) << r.out;
  EXPECT_EQ((*second)["message"].get<std::string>().find("first FULLTEXT"), std::string::npos)
      << (*second)["message"];
  EXPECT_NE((*first)["message"].get<std::string>().find("first FULLTEXT"), std::string::npos)
      << (*first)["message"];
  EXPECT_EQ((*first)["severity"], "error");
  EXPECT_NE((*at_line(doc, "trace", 1))["message"].get<std::string>().find("ALGORITHM=NOCOPY"),
            std::string::npos);
  EXPECT_NE((*at_line(doc, "trace", 2))["message"].get<std::string>().find("INPLACE (rebuild)"),
            std::string::npos);
  EXPECT_TRUE(findings(doc, "trace-mismatch").empty()) << r.out;
}

// A compressed table has no instant column changes: the snapshot's ROW_FORMAT says so, and the
// server agrees on the clone.
TEST(MysqlTrace, CompressedTablesRebuildForColumnChanges) {
  REQUIRE_MYSQL(p);
  auto r = check({"--db", dsn(p), "--trace"},
                 "ALTER TABLE snap_archive ADD COLUMN flag INT;\n"
                 "ALTER TABLE snap_orders ADD COLUMN flag INT;\n");
  auto doc = nlohmann::json::parse(r.out);
  const auto* rebuild = at_line(doc, "table-rebuild", 1);
  ASSERT_NE(rebuild, nullptr) << r.out;
  EXPECT_NE((*rebuild)["message"].get<std::string>().find("COMPRESSED"), std::string::npos)
      << (*rebuild)["message"];
  EXPECT_EQ(at_line(doc, "table-rebuild", 2), nullptr) << r.out;
  EXPECT_NE((*at_line(doc, "trace", 1))["message"].get<std::string>().find("INPLACE (rebuild)"),
            std::string::npos);
  EXPECT_TRUE(findings(doc, "trace-mismatch").empty()) << r.out;
}

// What reaches outside the scratch database is refused by the sandbox before it is sent, and
// the snapshot's database is never written, whatever name the migration gives it.
TEST(MysqlTrace, SandboxRefusesWhatReachesOutside) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  std::string connections = value(p, "SELECT @@global.max_connections");
  std::string outfile = test::temp_dir() + "/leak.txt";
  const std::vector<std::string> hostile = {
      "SET GLOBAL max_connections = 7",
      "SELECT id FROM snap_orders INTO OUTFILE '" + outfile + "'",
      "LOAD DATA INFILE '/etc/passwd' INTO TABLE snap_orders",
      "KILL 1",
      "GRANT ALL ON *.* TO 'migsafe_test'@'127.0.0.1'",
      "CREATE USER 'migsafe_evil'@'%' IDENTIFIED BY 'x'",
      "SELECT * FROM mysql.user",
      "DROP DATABASE migsafe_test",
      "PREPARE s FROM 'DROP TABLE migsafe_test.snap_orders'",
      "CREATE TABLE remote (id INT) ENGINE=CONNECT TABLE_TYPE=MYSQL "
      "CONNECTION='mysql://root@127.0.0.1/mysql/user'",
      "CREATE TABLE files (id INT) DATA DIRECTORY='/tmp'",
      "SET SESSION sql_mode = 'ANSI_QUOTES'",
      "UPDATE performance_schema.setup_instruments SET ENABLED = 'NO'",
      "SELECT 1 FROM 9db.t",
      "CREATE EVENT e ON SCHEDULE EVERY 1 SECOND DO DELETE FROM snap_orders",
  };
  std::string sql;
  for (const auto& h : hostile) sql += h + ";\n";
  auto r = check({"--db", dsn(p), "--trace"}, sql);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  for (size_t i = 0; i < hostile.size(); ++i) {
    const auto* f = at_line(doc, "snapshot-incomplete", static_cast<int>(i + 1));
    ASSERT_NE(f, nullptr) << "not refused: " << hostile[i] << "\n" << r.out;
    EXPECT_NE((*f)["message"].get<std::string>().find("sandbox refused"), std::string::npos)
        << hostile[i] << ": " << (*f)["message"];
    EXPECT_EQ(at_line(doc, "trace", static_cast<int>(i + 1)), nullptr) << hostile[i];
  }
  EXPECT_EQ(value(p, "SELECT @@global.max_connections"), connections);
  EXPECT_FALSE(std::ifstream(outfile).good()) << "INTO OUTFILE wrote a file";

  // The snapshot's own database, by USE and by qualified names: only the clones change.
  auto mapped = check({"--db", dsn(p), "--trace"},
                      "USE migsafe_test;\n"
                      "DELETE FROM migsafe_test.snap_orders;\n"
                      "CREATE TRIGGER snap_wipe BEFORE INSERT ON snap_customers FOR EACH ROW "
                      "DELETE FROM migsafe_test.snap_orders;\n"
                      "INSERT INTO snap_customers (id, email) VALUES (5000000, 'x@example.com');\n"
                      "DROP TABLE migsafe_test.snap_orders;\n");
  auto mapped_doc = nlohmann::json::parse(mapped.out);
  for (int line = 1; line <= 5; ++line)
    EXPECT_NE(at_line(mapped_doc, "trace", line), nullptr) << "line " << line << "\n" << mapped.out;
  EXPECT_EQ(state(p), before) << "the snapshot changed";
  EXPECT_EQ(value(p, "SELECT COUNT(*) FROM snap_orders"), "100000");
  EXPECT_EQ(value(p,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                  "DATABASE()"),
            "0");
  EXPECT_EQ(scratch_databases(p), "");
}

// What a red-team review got through an earlier sandbox, kept as regressions: executable
// comments MariaDB skips but the lexer ran, DEL after "--", names that lex as numbers, sql_mode
// changes that make quotes and backslashes read differently, quoted names of the trace's limits,
// a lock that kept the scratch database from being dropped, and the named-lock functions.
TEST(MysqlTrace, RedTeamRegressions) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  const std::vector<std::string> attacks = {
      "CREATE TABLE /*!50700 ' */ migsafe_test.rt2_a2 /*!50700 ' */ (a int);\n",
      "CREATE TRIGGER /*!50700 ' */ migsafe_test.rt2_tr BEFORE INSERT ON migsafe_test.snap_done "
      "/*!50700 ' */ FOR EACH ROW SET @rt2 = 1;\n",
      "CREATE /*!50700 TABLE */ DATABASE migsafe_probe_rt2evil;\n",
      "CREATE PROCEDURE rt2p() --\x7f '\nCREATE TABLE migsafe_test.rt2_a1 (a int) -- '\n;\n"
      "CALL rt2p();\n",
      "CREATE VIEW migsafe_test.1e1 AS SELECT 1 AS a;\n"
      "CREATE FUNCTION migsafe_test.2e2() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) "
      "FROM snap_orders);\nSELECT migsafe_test.2e2();\n",
      "SET sql_mode = 'NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES';\n"
      "CREATE PROCEDURE rt2p5() COMMENT 'x\\' CREATE TABLE migsafe_test.rt2_a5 (a int) # '\n"
      "ENGINE=InnoDB;\nCALL rt2p5();\n",
      "SET @@sql_mode = 'ANSI_QUOTES';\nCREATE TABLE `t\\` (a int);\n"
      "ALTER TABLE \"t\\\" RENAME TO migsafe_test.rt2_a11, # \"\nENGINE=InnoDB;\n",
      "CREATE TABLE t1 (a int) ENGINE=/*!50700 InnoDB */ MRG_MyISAM;\n",
      "CREATE TABLE t1 (a int);\nLOCK TABLES t1 WRITE;\n",
      "CREATE TABLE t1 (a int);\nDO RELEASE_ALL_LOCKS();\n",
      // Second round: a session character set whose second bytes can be a backslash, a quoted
      // user variable holding an escaped quote.
      "SET NAMES gbk;\nCREATE PROCEDURE rt4p() BEGIN SELECT '\xe4\xb8\xad\\'; CREATE TABLE "
      "migsafe_test.rt4_pwn (id int); #'\nSELECT 1; END;\nCALL rt4p();\n",
      "CREATE TABLE rt4t (id INT);\nSET NAMES gbk;\nALTER TABLE rt4t COMMENT = '\xe4\xb8\xad\\', "
      "RENAME TO migsafe_test.rt4_pwn3 #'\n, ENGINE=InnoDB;\n",
      "CREATE PROCEDURE rt4q() BEGIN SET @x = 1, @'a\\' = 2 #' = 3; CREATE TABLE "
      "migsafe_test.rt4_pwn2 (id int)\n; END;\nCALL rt4q();\n",
      // Third round: partitions the server creates without looking at KILL, a user change.
      "CREATE TABLE big (id int, c1 int, key(c1)) PARTITION BY HASH(id) PARTITIONS 3000;\n",
      "SET DEFAULT ROLE NONE;\n",
  };
  for (const auto& sql : attacks) {
    auto r = check({"--db", dsn(p), "--trace"}, sql);
    EXPECT_NE(r.exit_code, 3) << sql << r.out << r.err;
    EXPECT_EQ(state(p), before) << "the snapshot changed after:\n" << sql << r.out;
    EXPECT_EQ(scratch_databases(p), "") << "left behind after:\n" << sql;
    if (state(p) != before) break;
  }
  // The trace's limits, however the migration quotes their names.
  auto slow = check({"--db", dsn(p), "--trace", "--snapshot-statement-timeout", "1500"},
                    "SET @@`max_statement_time` = 0;\nSET `lock_wait_timeout` = 86400;\n"
                    "SET @@session.`max_statement_time` = 0;\nSELECT SLEEP(3);\n");
  auto doc = nlohmann::json::parse(slow.out);
  EXPECT_NE(at_line(doc, "trace-statement-timeout", 4), nullptr) << slow.out;

  // A stored program's loop goes on after max_statement_time interrupts its SLEEP: the trace's
  // watchdog ends the session, and the scratch database (whose table the loop holds) goes.
  auto start = std::chrono::steady_clock::now();
  auto loop =
      check({"--db", dsn(p), "--trace", "--snapshot-statement-timeout", "1500"},
            "CREATE TABLE rt4t (id INT);\n"
            "CREATE PROCEDURE rt4hold() BEGIN DECLARE i INT DEFAULT 0; START TRANSACTION; "
            "SELECT COUNT(*) INTO @c FROM rt4t; WHILE i < 30 DO DO SLEEP(1); SET i = i + 1; "
            "END WHILE; COMMIT; END;\n"
            "CALL rt4hold();\n"
            "ALTER TABLE rt4t ADD COLUMN b INT;\n");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(loop.exit_code == 0 || loop.exit_code == 1) << loop.out << loop.err;
  auto loop_doc = nlohmann::json::parse(loop.out);
  EXPECT_NE(at_line(loop_doc, "trace-statement-timeout", 3), nullptr) << loop.out;
  // KILL QUERY may end the loop (the session goes on, the next statement is traced) or not
  // (KILL CONNECTION ends the session, and the trace stops): either way the statement ended.
  const auto* stopped = at_line(loop_doc, "snapshot-incomplete", 4);
  if (stopped)
    EXPECT_NE((*stopped)["message"].get<std::string>().find("session was ended"),
              std::string::npos);
  else
    EXPECT_NE(at_line(loop_doc, "trace", 4), nullptr) << loop.out;
  EXPECT_LT(seconds, 20) << "the loop was not ended";
  EXPECT_EQ(scratch_databases(p), "");
  EXPECT_EQ(state(p), before);
}

// Without --trace, what goes to the snapshot itself (the EXPLAIN of a data change, the count of
// a CHECK's violations) is judged as well: a named lock or a locking read is not sent.
TEST(MysqlSnapshot, ReadsOfTheSnapshotAreJudged) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  auto r = check({"--db", dsn(p)},
                 "UPDATE snap_orders SET note = 'x' WHERE id IN (SELECT g FROM (SELECT "
                 "GET_LOCK('rt8_lock', 0) AS g) d);\n"
                 "ALTER TABLE snap_customers ADD CONSTRAINT rt8_chk CHECK ((SELECT COUNT(*) FROM "
                 "snap_orders LOCK IN SHARE MODE) < 0);\n");
  auto doc = nlohmann::json::parse(r.out);
  for (int line = 1; line <= 2; ++line) {
    const auto* f = at_line(doc, "snapshot-incomplete", line);
    ASSERT_NE(f, nullptr) << "line " << line << "\n" << r.out;
    EXPECT_NE((*f)["message"].get<std::string>().find("sandbox"), std::string::npos)
        << (*f)["message"];
  }
  EXPECT_EQ(value(p, "SELECT COALESCE(IS_USED_LOCK('rt8_lock'), 'free')"), "free");
  EXPECT_EQ(state(p), before);
}

// A role that may not create the scratch database cannot trace: said, as a warning, and the
// rest of the check (catalog and sizes) still runs.
TEST(MysqlTrace, WithoutTheScratchDatabaseTheTraceIsIncomplete) {
  REQUIRE_MYSQL(p);
  Parts ro = p;
  ro.user = "migsafe_ro";
  ro.password = "migsafe-ro-secret";
  auto r = check({"--db", dsn(ro), "--trace"},
                 "SET SESSION lock_wait_timeout = 5;\n"
                 "ALTER TABLE snap_orders MODIFY note VARCHAR(100) NOT NULL DEFAULT '';\n");
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto* f = at_line(doc, "snapshot-incomplete", 2);
  ASSERT_NE(f, nullptr) << r.out;
  EXPECT_EQ((*f)["severity"], "warning");
  EXPECT_NE((*f)["message"].get<std::string>().find("may not create the trace's scratch database"),
            std::string::npos)
      << (*f)["message"];
  EXPECT_NE(at_line(doc, "change-column-type", 2), nullptr) << r.out;
  EXPECT_EQ(r.out.find("migsafe-ro-secret"), std::string::npos);
  EXPECT_EQ(scratch_databases(p), "");
}

// migsafe killed mid-trace: its guardian drops the scratch database; one a killed run left
// behind (no session holds its lock) is dropped by the next run.
TEST(MysqlTrace, ScratchDatabaseGoneAfterKillAndLeftovers) {
  REQUIRE_MYSQL(p);
  std::string d = test::temp_dir();
  test::write_file(d + "/1_slow.sql", "ALTER TABLE snap_orders ADD COLUMN z INT;\nDO SLEEP(20);\n");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(MIGSAFE_BINARY, MIGSAFE_BINARY, "check", "--db", dsn(p).c_str(), "--trace", d.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // The guardian waits out the killed replay's locks before its drop: under a loaded machine
  // that has taken longer than ten seconds, so the wait allows a minute (it ends as soon as the
  // state is reached).
  auto wait_for = [&](bool present) {
    for (int i = 0; i < 600; ++i) {
      if ((scratch_databases(p) != "") == present) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  EXPECT_TRUE(wait_for(true)) << "the trace made no scratch database";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_TRUE(wait_for(false)) << "left behind: " << scratch_databases(p);

  ASSERT_EQ(value(p, "CREATE DATABASE migsafe_probe_leftover0000001"), "");
  ASSERT_EQ(scratch_databases(p), "migsafe_probe_leftover0000001");
  auto r = check({"--db", dsn(p), "--trace"}, "ALTER TABLE snap_orders ADD COLUMN z INT;\n");
  EXPECT_EQ(scratch_databases(p), "") << r.out;
}

// The server goes away in the middle of the trace: a database error, exit 3, no password.
TEST(MysqlTrace, ServerGoingAwayMidRunIsExit3) {
  REQUIRE_MYSQL(p);
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    for (int i = 0; i < 100 && !killed; ++i) {
      std::string id = value(p,
                             "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                             "'DO SLEEP(7)%'");
      if (!id.empty() && id.find("failed") == std::string::npos) {
        value(p, "KILL CONNECTION " + id);
        killed = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto r = check({"--db", dsn(p), "--trace"},
                 "ALTER TABLE snap_orders ADD COLUMN z INT;\n"
                 "DO SLEEP(7);\n");
  killed = true;
  killer.join();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("connection was lost"), std::string::npos) << r.out << r.err;
  EXPECT_EQ((r.out + r.err).find(p.password), std::string::npos);
  for (int i = 0; i < 50 && scratch_databases(p) != ""; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(scratch_databases(p), "");
}

// plan on MariaDB: the workload's plans before and after a migration that drops the index a
// query uses (simulated with IGNORE INDEX); a change it cannot simulate is said so.
TEST(MysqlPlan, DroppedIndexRegressesTheQueryThatUsedIt) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  std::string d = test::temp_dir();
  test::write_file(d + "/queries.sql",
                   "SELECT o.id, o.total FROM snap_orders o WHERE o.customer_id = 42;\n"
                   "SELECT id FROM snap_orders WHERE id = 7;\n");
  test::write_file(d + "/m/1_drop.sql",
                   "ALTER TABLE snap_orders DROP INDEX snap_orders_customer;\n"
                   "ALTER TABLE snap_orders ADD COLUMN flag INT;\n");
  auto r = test::run_migsafe(
      {"plan", "--db", dsn(p), "--format", "json", "--queries", d + "/queries.sql", d + "/m"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["queries"].size(), 2u) << r.out;
  std::map<int, std::string> verdict;
  for (const auto& q : doc["queries"]) verdict[q["start"]["line"].get<int>()] = q["verdict"];
  EXPECT_EQ(verdict[1], "regressed") << r.out;
  EXPECT_EQ(verdict[2], "unchanged") << r.out;
  EXPECT_NE(r.out.find("snap_orders_customer"), std::string::npos);
  // The ADD COLUMN is not simulated, and said so.
  ASSERT_EQ(doc["not_simulated"].size(), 1u) << r.out;
  EXPECT_NE(doc["not_simulated"][0].get<std::string>().find("1_drop.sql:2"), std::string::npos);
  EXPECT_EQ(state(p), before);
}

// The workload from performance_schema's statement digests, planned with stand-ins for their
// constants.
TEST(MysqlPlan, WorkloadFromStatementDigests) {
  REQUIRE_MYSQL(p);
  if (value(p, "SELECT @@performance_schema") != "1")
    GTEST_SKIP() << "the test server runs without performance_schema";
  for (int i = 0; i < 3; ++i)
    value(p, "SELECT id, total FROM snap_orders WHERE customer_id = " + std::to_string(i + 3));
  std::string d = test::temp_dir();
  test::write_file(d + "/m/1_drop.sql", "DROP INDEX snap_orders_customer ON snap_orders;\n");
  auto r = test::run_migsafe(
      {"plan", "--db", dsn(p), "--format", "json", "--from-stats", "20", d + "/m"});
  ASSERT_NE(r.exit_code, 2) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& q : doc["queries"]) {
    std::string text = q["query"];
    if (text.find("FROM `snap_orders` WHERE `customer_id` = ?") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(q["verdict"], "regressed") << q.dump();
    EXPECT_EQ(q["source"], "performance_schema") << q.dump();
  }
  EXPECT_TRUE(found) << r.out;
}

}  // namespace
}  // namespace migsafe
