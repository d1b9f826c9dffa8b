// The MySQL / MariaDB sandbox of --trace, without a server: what it refuses, skips and maps into
// the scratch database. (mysql_trace_test.cpp proves on MariaDB that nothing refused runs and
// nothing reaches the snapshot.)
#include <gtest/gtest.h>

#include "migsafe/sandbox.hpp"

namespace migsafe {
namespace {

MysqlSandboxVerdict judge(const std::string& sql) {
  MysqlSandboxContext ctx;
  ctx.snapshot_db = "app";
  ctx.scratch_db = "migsafe_probe_1";
  ctx.databases = {"app", "billing", "information_schema", "mysql"};
  ctx.mariadb = true;
  ctx.version = 101119;
  return judge_mysql(sql, ctx);
}

TEST(MysqlSandbox, RefusesWhatReachesOutside) {
  for (const char* sql : {
           "SELECT * FROM t INTO OUTFILE '/tmp/x'",
           "SELECT * INTO DUMPFILE '/tmp/x' FROM t",
           "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
           "LOAD XML INFILE 'x' INTO TABLE t",
           "SELECT LOAD_FILE('/etc/passwd')",
           "SET GLOBAL max_connections = 1",
           "SET @@global.max_connections = 1",
           "SET PERSIST max_connections = 1",
           "KILL 42",
           "KILL QUERY 42",
           "GRANT ALL ON *.* TO x",
           "REVOKE ALL ON *.* FROM x",
           "CREATE USER x IDENTIFIED BY 'y'",
           "ALTER USER x IDENTIFIED BY 'y'",
           "DROP USER x",
           "RENAME USER x TO y",
           "SET PASSWORD FOR x = PASSWORD('y')",
           "CREATE DATABASE other",
           "DROP DATABASE app",
           "DROP SCHEMA app",
           "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h')",
           "CREATE EVENT e ON SCHEDULE EVERY 1 SECOND DO DELETE FROM t",
           "PREPARE s FROM @sql",
           "EXECUTE s",
           "CREATE FUNCTION f RETURNS STRING SONAME 'lib.so'",
           "INSTALL PLUGIN p SONAME 'p.so'",
           "FLUSH PRIVILEGES",
           "SHUTDOWN",
           "CHANGE MASTER TO MASTER_HOST = 'h'",
           "START SLAVE",
           "RESET MASTER",
           "PURGE BINARY LOGS BEFORE NOW()",
           "XA START 'x'",
           "SELECT * FROM mysql.user",
           "UPDATE billing.invoices SET paid = 1",
           "SELECT * FROM performance_schema.threads",
           "INSERT INTO sys.sys_config VALUES (1)",
           "SELECT a.b.c FROM t",
           "SELECT 1 FROM 9db.t",
           "CREATE TABLE t (id INT) ENGINE=CONNECT",
           "CREATE TABLE t (id INT) ENGINE = FEDERATED CONNECTION='mysql://u@h/d/t'",
           "CREATE TABLE t (id INT) DATA DIRECTORY = '/tmp'",
           "SET SESSION sql_mode = 'ANSI_QUOTES'",
           "SET sql_mode = CONCAT(@@sql_mode, ',ANSI')",
           "SELECT sys_exec('rm -rf /')",
           "CREATE PROCEDURE p() BEGIN GRANT ALL ON *.* TO x; END",
           "CREATE PROCEDURE p() BEGIN DROP TABLE billing.t; END",
           "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @@global.x = 1",
           "SELECT 1; SELECT 2",
           "HANDLER t OPEN",
           "USE billing",
       }) {
    auto v = judge(sql);
    EXPECT_EQ(v.action, SandboxAction::refuse) << sql << ": " << v.reason;
    EXPECT_FALSE(v.reason.empty()) << sql;
  }
}

// What a migration does runs, with the snapshot's database mapped to the scratch's.
TEST(MysqlSandbox, RunsMigrationsInTheScratchDatabase) {
  for (const char* sql : {
           "ALTER TABLE t ADD COLUMN c INT",
           "ALTER ONLINE TABLE t ADD INDEX i (c)",
           "CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB",
           "CREATE UNIQUE INDEX i ON t (c)",
           "DROP INDEX i ON t",
           "CREATE OR REPLACE VIEW v AS SELECT id FROM t",
           "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.c = 1",
           "CREATE PROCEDURE p() BEGIN UPDATE t SET c = 1; END",
           "CALL p()",
           "INSERT INTO t (id) SELECT id FROM u",
           "UPDATE t SET c = 1 WHERE id < 10",
           "DELETE FROM t WHERE id = 1",
           "RENAME TABLE t TO t_old",
           "TRUNCATE TABLE t",
           "SET foreign_key_checks = 0",
           "SET NAMES utf8mb4",
           "START TRANSACTION",
           "COMMIT",
           "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_NAME = 't'",
           "CREATE SEQUENCE s",
           "SELECT 1.5e3, 0x1F, .5",
       }) {
    auto v = judge(sql);
    EXPECT_EQ(v.action, SandboxAction::run) << sql << ": " << v.reason;
    EXPECT_EQ(v.sql, sql);
  }
  auto mapped = judge("UPDATE `app`.t JOIN app.u ON t.id = u.id SET t.c = 1");
  ASSERT_EQ(mapped.action, SandboxAction::run) << mapped.reason;
  EXPECT_EQ(mapped.sql,
            "UPDATE `migsafe_probe_1`.t JOIN `migsafe_probe_1`.u ON t.id = u.id SET t.c = 1");
  auto use = judge("USE app");
  ASSERT_EQ(use.action, SandboxAction::run);
  EXPECT_EQ(use.sql, "USE `migsafe_probe_1`");
}

TEST(MysqlSandbox, AlterFormsCanBeTried) {
  auto alter = judge("ALTER TABLE app.t ADD COLUMN c INT");
  ASSERT_EQ(alter.action, SandboxAction::run);
  EXPECT_EQ(alter.ddl, MysqlSandboxVerdict::Ddl::alter_table);
  EXPECT_EQ(alter.sql.substr(0, alter.clause_at), "ALTER TABLE `migsafe_probe_1`.t");
  EXPECT_FALSE(alter.own_clauses);
  EXPECT_TRUE(judge("ALTER TABLE t ADD c INT, ALGORITHM=INPLACE").own_clauses);
  EXPECT_EQ(judge("CREATE INDEX i ON t (c)").ddl, MysqlSandboxVerdict::Ddl::index);
  // Names the clone needs: the tables the statement may use.
  auto names = judge("INSERT INTO t (id) SELECT id FROM `u`").names;
  EXPECT_NE(std::find(names.begin(), names.end(), "u"), names.end());
}

// Texts on which migsafe's lexer and the server once disagreed (see mysql_trace_test.cpp's
// RedTeamRegressions): refused before anything is sent.
TEST(MysqlSandbox, RefusesWhatTheServerCouldReadDifferently) {
  for (const char* sql : {
           "CREATE TABLE /*!50700 ' */ app.t /*!50700 ' */ (a int)",
           "SELECT 1 /*!50000 # */",
           "CREATE PROCEDURE p() --\x7f '\nCREATE TABLE app.t (a int) -- '\n",
           "SELECT 1\x01",
           "CREATE VIEW app.1e1 AS SELECT 1",
           "SELECT app.2e2()",
           "SET @@sql_mode = 'ANSI_QUOTES'",
           "SET sql_mode = 'NO_BACKSLASH_ESCAPES'",
           "SET @@session.`sql_mode` = ''",
           "SET @@`max_statement_time` = 0; SELECT 1",
           "CREATE PROCEDURE p() SET `max_statement_time` = 0",
           "DO RELEASE_ALL_LOCKS()",
           "DO GET_LOCK('migsafe_probe_x', 0)",
           "SET default_storage_engine = CONNECT",
           "SET NAMES gbk",
           "SET CHARACTER SET big5",
           "SET CHARSET sjis",
           "SET @a = 1, NAMES 'cp932'",
           "ALTER TABLE t WAIT 9 ADD COLUMN b INT",
           "SELECT 1 /*!5 + 1 */",
           "CREATE TABLE big (id int) PARTITION BY HASH(id) PARTITIONS 3000",
           "ALTER TABLE t PARTITION BY KEY(id) PARTITIONS 65",
           "SET DEFAULT ROLE NONE",
           "SELECT * FROM information_schema.PROCESSLIST",
           "SHOW FULL PROCESSLIST",
       }) {
    auto v = judge(sql);
    EXPECT_EQ(v.action, SandboxAction::refuse) << sql << ": " << v.reason;
  }
  EXPECT_EQ(judge("SET @@`max_statement_time` = 0").action, SandboxAction::skip);
  EXPECT_EQ(judge("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci").action, SandboxAction::run);
  EXPECT_EQ(judge("CREATE TABLE p (id int) PARTITION BY HASH(id) PARTITIONS 8").action,
            SandboxAction::run);
  // Statistics on empty clones tell nothing, and ANALYZE writes the server's statistics tables.
  EXPECT_EQ(judge("ANALYZE TABLE t PERSISTENT FOR ALL").action, SandboxAction::refuse);
  EXPECT_EQ(judge("ANALYZE TABLE t").action, SandboxAction::skip);
  // A quoted user variable holding an escaped quote hides nothing: the limit behind it is seen.
  EXPECT_EQ(judge("SET @'a\\' = 1 #' = 2, @@session.max_statement_time = 0\n, @y = 3").action,
            SandboxAction::skip);
  EXPECT_EQ(judge("SET `lock_wait_timeout` = 86400").action, SandboxAction::skip);
  // MariaDB skips /*!50700 ... */ (MySQL 5.7 syntax): a CREATE DATABASE hidden behind one is
  // read as the server reads it.
  EXPECT_EQ(judge("CREATE /*!50700 TABLE */ DATABASE x").action, SandboxAction::refuse);
  EXPECT_EQ(judge("CREATE TABLE t (a int) ENGINE=/*!50700 InnoDB */ MRG_MyISAM").action,
            SandboxAction::refuse);
}

// Texts sent to the snapshot itself (an EXPLAIN, a count): locking reads are refused too.
TEST(MysqlSandbox, SnapshotReadsTakeNoRowLocks) {
  MysqlSandboxContext ctx;
  ctx.snapshot_db = ctx.scratch_db = "app";
  ctx.databases = {"app", "billing"};
  ctx.snapshot_reads = true;
  for (const char* sql : {
           "SELECT 1 FROM t WHERE (SELECT COUNT(*) FROM u LOCK IN SHARE MODE) > 0",
           "SELECT 1 FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)",
           "SELECT 1 FROM t FOR SHARE",
           "SELECT 1 FROM t WHERE id IN (SELECT g FROM (SELECT GET_LOCK('x', 0) AS g) d)",
           "SELECT COUNT(*) FROM t WHERE NOT ((SELECT COUNT(*) FROM billing.invoices) = 0)",
       }) {
    auto v = judge_mysql(sql, ctx);
    EXPECT_EQ(v.action, SandboxAction::refuse) << sql << ": " << v.reason;
  }
  EXPECT_EQ(judge_mysql("SELECT 1 FROM t WHERE id > 5 ORDER BY id LIMIT 10", ctx).action,
            SandboxAction::run);
}

// The trace's own limits are not lifted: a top-level SET of them is skipped, anything else
// that changes them refused.
TEST(MysqlSandbox, KeepsTheTracesLimits) {
  EXPECT_EQ(judge("SET SESSION max_statement_time = 0").action, SandboxAction::skip);
  EXPECT_EQ(judge("SET lock_wait_timeout = 100000").action, SandboxAction::skip);
  EXPECT_EQ(judge("SET @@session.max_statement_time = 0").action, SandboxAction::skip);
  EXPECT_EQ(judge("SET STATEMENT max_statement_time = 0 FOR UPDATE t SET c = 1").action,
            SandboxAction::refuse);
  EXPECT_EQ(judge("CREATE PROCEDURE p() BEGIN SET max_statement_time = 0; END").action,
            SandboxAction::refuse);
}

// Executable comments are read as the server reads them: active ones are judged.
TEST(MysqlSandbox, ExecutableCommentsAreJudged) {
  EXPECT_EQ(judge("SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */").action, SandboxAction::refuse);
  EXPECT_EQ(judge("SELECT 1 /*M! INTO OUTFILE '/tmp/x' */").action, SandboxAction::refuse);
  EXPECT_EQ(judge("ALTER TABLE t ADD c INT /*!99999 , DROP d */").action, SandboxAction::run);
}

}  // namespace
}  // namespace migsafe
