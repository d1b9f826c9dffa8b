// Keeps the online-DDL effects table honest: for each ALTER specification, a real MariaDB
// server (scripts/start-mysql.sh) is asked to run it with ALGORITHM=INSTANT, then NOCOPY, then
// INPLACE with LOCK=NONE, on a scratch table, and what it accepts must match what migsafe
// predicts for that server's version. Skips with a message when no server was started.
#include <gtest/gtest.h>
#include <mysql.h>

#include <cstdlib>
#include <memory>
#include <sstream>

#include "helpers.hpp"
#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

struct Closer {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using Connection = std::unique_ptr<MYSQL, Closer>;

struct Server {
  Connection conn;
  TargetVersion version;
};

std::optional<Server> connect() {
  auto f = test::mysql_server();
  if (!f) return std::nullopt;
  Connection c(mysql_init(nullptr));
  if (!mysql_real_connect(c.get(), f->host.c_str(), f->user.c_str(), f->password.c_str(),
                          f->db.c_str(), static_cast<unsigned>(std::stoi(f->port)), nullptr, 0))
    return std::nullopt;
  unsigned long v = mysql_get_server_version(c.get());  // e.g. 101119
  TargetVersion tv{static_cast<int>(v / 10000), static_cast<int>(v / 100 % 100),
                   static_cast<int>(v % 100)};
  return Server{std::move(c), tv};
}

bool run(MYSQL* m, const std::string& sql) {
  return mysql_query(m, sql.c_str()) == 0;
}

const char* kParent = "CREATE TABLE verify_p (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
const char* kColumns =
    "id BIGINT NOT NULL, a INT, b INT NOT NULL DEFAULT 0,"
    " s VARCHAR(60), l VARCHAR(60) CHARACTER SET latin1, m VARCHAR(30) CHARACTER SET utf8mb3,"
    " e ENUM('x','y'), t TEXT, g POINT NOT NULL, u CHAR(40) NOT NULL DEFAULT '', p INT NULL,";
const char* kKeys =
    " PRIMARY KEY (id), KEY verify_a (a), UNIQUE KEY verify_u (u),"
    " CONSTRAINT verify_chk CHECK (b >= 0)";

// The scratch table a case runs on: the plain one, or one with generated columns or a foreign
// key as well (kept apart: they change what the server allows for other specifications).
enum class Variant { plain, generated, foreign_key, compressed };

std::string table_sql(Variant v) {
  std::string sql = std::string("CREATE TABLE verify_t (") + kColumns;
  if (v == Variant::generated) sql += " gv INT AS (b + 1) VIRTUAL, gs INT AS (b + 2) STORED,";
  sql += kKeys;
  if (v == Variant::foreign_key)
    sql += ", CONSTRAINT verify_fk0 FOREIGN KEY (p) REFERENCES verify_p (id)";
  sql += ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  if (v == Variant::compressed) sql += " ROW_FORMAT=COMPRESSED";
  return sql;
}

struct Case {
  const char* spec;  // as it follows "ALTER TABLE verify_t "
  Variant table = Variant::plain;
  bool foreign_key_checks = true;
};

const Case kCases[] = {
    {"ADD COLUMN c INT"},
    {"ADD COLUMN c INT FIRST"},
    {"ADD COLUMN c INT AFTER a"},
    {"ADD COLUMN c INT NOT NULL DEFAULT 5"},
    {"ADD COLUMN c INT AS (a + 1) VIRTUAL"},
    {"ADD COLUMN c INT AS (a + 1) STORED"},
    {"ADD COLUMN c BIGINT NOT NULL AUTO_INCREMENT, ADD KEY verify_c (c)"},
    {"ADD COLUMN c CHAR(36) DEFAULT (UUID())"},
    {"DROP COLUMN a"},
    {"DROP COLUMN t"},
    {"RENAME COLUMN t TO t2"},
    {"CHANGE t t2 TEXT"},
    {"MODIFY a BIGINT"},
    {"MODIFY a INT NOT NULL"},
    {"MODIFY b INT NOT NULL DEFAULT 0 FIRST"},
    {"MODIFY b INT NULL DEFAULT 0"},
    {"MODIFY s VARCHAR(63)"},
    {"MODIFY s VARCHAR(64)"},
    {"MODIFY s VARCHAR(40)"},
    {"MODIFY m VARCHAR(200) CHARACTER SET utf8mb3"},
    {"MODIFY l VARCHAR(255) CHARACTER SET latin1"},
    {"MODIFY l VARCHAR(300) CHARACTER SET latin1"},
    {"MODIFY e ENUM('x','y','z')"},
    {"MODIFY e ENUM('z','x','y')"},
    {"ALTER COLUMN b SET DEFAULT 7"},
    {"ALTER COLUMN b DROP DEFAULT"},
    {"ADD INDEX verify_b (b)"},
    {"ADD UNIQUE INDEX verify_sb (s, b)"},
    {"DROP INDEX verify_a"},
    {"RENAME INDEX verify_a TO verify_a2"},
    {"ADD FULLTEXT INDEX verify_ft (t)"},
    {"ADD SPATIAL INDEX verify_g (g)"},
    {"DROP PRIMARY KEY"},
    {"DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)"},
    {"ADD CONSTRAINT verify_chk2 CHECK (a > 0)"},
    {"DROP CONSTRAINT verify_chk"},
    {"CONVERT TO CHARACTER SET utf8mb3"},
    {"DEFAULT CHARACTER SET latin1"},
    {"ENGINE=InnoDB"},
    {"FORCE"},
    {"ROW_FORMAT=COMPACT"},
    {"COMMENT='hello'"},
    {"AUTO_INCREMENT=1000"},
    {"ORDER BY a"},
    {"RENAME TO verify_t2"},
    {"ADD COLUMN c INT DEFAULT (RAND())"},
    {"ADD COLUMN c INT, DROP COLUMN b"},
    {"ADD COLUMN c INT, ADD INDEX verify_c (c)"},
    {"MODIFY t MEDIUMTEXT"},
    {"CHANGE a a INT"},
    {"MODIFY m VARCHAR(30) CHARACTER SET utf8mb4"},
    {"ALTER COLUMN s SET DEFAULT 'x'"},
    {"ALTER COLUMN b SET DEFAULT 3, ADD INDEX verify_b (b)"},
    {"ADD COLUMN c INT AS (b + 1) VIRTUAL, ADD INDEX verify_bb (b)"},
    {"DROP COLUMN gv", Variant::generated},
    {"DROP COLUMN gs", Variant::generated},
    {"DROP FOREIGN KEY verify_fk0", Variant::foreign_key},
    // ROW_FORMAT=COMPRESSED has no instant column layout changes.
    {"ADD COLUMN c INT", Variant::compressed},
    {"ADD COLUMN c INT FIRST", Variant::compressed},
    {"DROP COLUMN a", Variant::compressed},
    {"ALTER COLUMN s SET DEFAULT 'x'", Variant::compressed},
    {"ADD CONSTRAINT verify_fk1 FOREIGN KEY (b) REFERENCES verify_p (id)"},
    {"ADD CONSTRAINT verify_fk1 FOREIGN KEY (b) REFERENCES verify_p (id)", Variant::plain, false},
    // a column's character set and collation
    {"MODIFY l VARCHAR(60) CHARACTER SET utf8mb4"},
    {"MODIFY l VARCHAR(60) CHARACTER SET latin2"},
    {"MODIFY m VARCHAR(30) CHARACTER SET latin1"},
    {"MODIFY m VARCHAR(30) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin"},
    {"MODIFY s VARCHAR(60) COLLATE utf8mb4_bin"},
    {"MODIFY s VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"},
    {"MODIFY u CHAR(40) NOT NULL DEFAULT '' COLLATE utf8mb4_bin"},
    {"MODIFY s VARCHAR(60) CHARACTER SET latin1"},
    // primary key rework
    {"DROP PRIMARY KEY, ADD UNIQUE KEY verify_id (id)"},
    {"DROP PRIMARY KEY, ADD PRIMARY KEY (u)"},
    {"DROP PRIMARY KEY, ADD PRIMARY KEY (a)"},
    {"DROP PRIMARY KEY, ADD PRIMARY KEY (id, u)"},
};

struct Expected {
  bool instant, nocopy, inplace_lock_none;
};

Expected expected_for(const Case& c, TargetVersion v) {
  StatementDdl d = test::predict_ddl(std::string(kParent) + ";\n" + table_sql(c.table) + ";",
                                     std::string("ALTER TABLE verify_t ") + c.spec + ";",
                                     Dialect::mariadb, v, c.foreign_key_checks);
  return {d.algorithm == Algorithm::instant, d.algorithm <= Algorithm::inplace,
          d.algorithm != Algorithm::copy && d.min_lock == DdlLock::none};
}

// Whether the server accepts the specification with the given clauses, on a fresh table.
bool accepts(MYSQL* m, const Case& c, const std::string& clauses) {
  run(m, "SET foreign_key_checks = 1");
  run(m, "DROP TABLE IF EXISTS verify_t, verify_t2, verify_p");
  EXPECT_TRUE(run(m, kParent)) << mysql_error(m);
  EXPECT_TRUE(run(m, "INSERT INTO verify_p VALUES (0), (1), (2)")) << mysql_error(m);
  EXPECT_TRUE(run(m, table_sql(c.table))) << mysql_error(m);
  EXPECT_TRUE(
      run(m,
          "INSERT INTO verify_t (id, a, b, s, g, u) VALUES (1, 1, 1, 'x', POINT(1, 1), 'a'),"
          " (2, 2, 2, 'y', POINT(2, 2), 'b')"))
      << mysql_error(m);
  if (!c.foreign_key_checks) run(m, "SET foreign_key_checks = 0");
  bool ok = run(m, "ALTER TABLE verify_t " + clauses + ", " + c.spec);
  unsigned err = ok ? 0 : mysql_errno(m);
  std::string message = ok ? "" : mysql_error(m);
  run(m, "SET foreign_key_checks = 1");
  if (!ok) {
    // Only "this algorithm / lock is not supported" counts as a refusal; any other error is a
    // broken test case.
    EXPECT_TRUE(err == 1845 || err == 1846 || err == 4092) << c.spec << ": " << message;
  }
  return ok;
}

TEST(MariadbVerify, EffectsTableMatchesWhatTheServerAccepts) {
  auto server = connect();
  if (!server)
    GTEST_SKIP() << "no MariaDB test server: scripts/test.sh starts one (scripts/start-mysql.sh) "
                    "and sets MIGSAFE_TEST_MYSQL";
  MYSQL* m = server->conn.get();
  ASSERT_TRUE(run(m, "SET SESSION lock_wait_timeout = 5, innodb_lock_wait_timeout = 5"));
  int checked = 0;
  for (const Case& c : kCases) {
    Expected want = expected_for(c, server->version);
    std::string what = std::string(c.spec) +
                       (c.foreign_key_checks ? "" : " (foreign_key_checks=0)") + " on MariaDB " +
                       server->version.display();
    EXPECT_EQ(accepts(m, c, "ALGORITHM=INSTANT"), want.instant) << "ALGORITHM=INSTANT, " << what;
    EXPECT_EQ(accepts(m, c, "ALGORITHM=NOCOPY"), want.nocopy) << "ALGORITHM=NOCOPY, " << what;
    EXPECT_EQ(accepts(m, c, "ALGORITHM=INPLACE, LOCK=NONE"), want.inplace_lock_none)
        << "ALGORITHM=INPLACE, LOCK=NONE, " << what;
    checked += 3;
  }
  run(m, "DROP TABLE IF EXISTS verify_t, verify_t2, verify_p");
  std::cout << "MariaDB " << server->version.display() << ": " << checked
            << " ALTER/clause pairs match the effects table\n";
}

}  // namespace
}  // namespace migsafe
