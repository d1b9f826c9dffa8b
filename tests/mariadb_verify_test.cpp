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

// MIGSAFE_TEST_MYSQL = host:port:user:password:database, as start-mysql.sh prints it.
std::optional<Server> connect() {
  const char* env = std::getenv("MIGSAFE_TEST_MYSQL");
  if (!env || !*env) return std::nullopt;
  std::vector<std::string> f;
  std::stringstream ss(env);
  for (std::string part; std::getline(ss, part, ':');) f.push_back(part);
  if (f.size() != 5) return std::nullopt;
  Connection c(mysql_init(nullptr));
  if (!mysql_real_connect(c.get(), f[0].c_str(), f[2].c_str(), f[3].c_str(), f[4].c_str(),
                          static_cast<unsigned>(std::stoi(f[1])), nullptr, 0))
    return std::nullopt;
  unsigned long v = mysql_get_server_version(c.get());  // e.g. 101119
  TargetVersion tv{static_cast<int>(v / 10000), static_cast<int>(v / 100 % 100),
                   static_cast<int>(v % 100)};
  return Server{std::move(c), tv};
}

bool run(MYSQL* m, const std::string& sql) {
  return mysql_query(m, sql.c_str()) == 0;
}

const char* kTable =
    "CREATE TABLE verify_t (id BIGINT NOT NULL, a INT, b INT NOT NULL DEFAULT 0,"
    " s VARCHAR(60), l VARCHAR(60) CHARACTER SET latin1, m VARCHAR(30) CHARACTER SET utf8mb3,"
    " e ENUM('x','y'), t TEXT, g POINT NOT NULL, u CHAR(40) NOT NULL DEFAULT '',"
    " PRIMARY KEY (id), KEY verify_a (a), UNIQUE KEY verify_u (u), CONSTRAINT verify_chk CHECK (b "
    ">= 0))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

// Specifications as they follow "ALTER TABLE verify_t ".
const char* kSpecs[] = {
    "ADD COLUMN c INT",
    "ADD COLUMN c INT FIRST",
    "ADD COLUMN c INT AFTER a",
    "ADD COLUMN c INT NOT NULL DEFAULT 5",
    "ADD COLUMN c INT AS (a + 1) VIRTUAL",
    "ADD COLUMN c INT AS (a + 1) STORED",
    "ADD COLUMN c BIGINT NOT NULL AUTO_INCREMENT, ADD KEY verify_c (c)",
    "ADD COLUMN c CHAR(36) DEFAULT (UUID())",
    "DROP COLUMN a",
    "DROP COLUMN t",
    "RENAME COLUMN t TO t2",
    "CHANGE t t2 TEXT",
    "MODIFY a BIGINT",
    "MODIFY a INT NOT NULL",
    "MODIFY b INT NOT NULL DEFAULT 0 FIRST",
    "MODIFY b INT NULL DEFAULT 0",
    "MODIFY s VARCHAR(63)",
    "MODIFY s VARCHAR(64)",
    "MODIFY s VARCHAR(40)",
    "MODIFY m VARCHAR(200) CHARACTER SET utf8mb3",
    "MODIFY l VARCHAR(255) CHARACTER SET latin1",
    "MODIFY l VARCHAR(300) CHARACTER SET latin1",
    "MODIFY e ENUM('x','y','z')",
    "MODIFY e ENUM('z','x','y')",
    "ALTER COLUMN b SET DEFAULT 7",
    "ALTER COLUMN b DROP DEFAULT",
    "ADD INDEX verify_b (b)",
    "ADD UNIQUE INDEX verify_sb (s, b)",
    "DROP INDEX verify_a",
    "RENAME INDEX verify_a TO verify_a2",
    "ADD FULLTEXT INDEX verify_ft (t)",
    "ADD SPATIAL INDEX verify_g (g)",
    "DROP PRIMARY KEY",
    "DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)",
    "ADD CONSTRAINT verify_chk2 CHECK (a > 0)",
    "DROP CONSTRAINT verify_chk",
    "CONVERT TO CHARACTER SET utf8mb3",
    "DEFAULT CHARACTER SET latin1",
    "ENGINE=InnoDB",
    "FORCE",
    "ROW_FORMAT=COMPACT",
    "COMMENT='hello'",
    "AUTO_INCREMENT=1000",
    "ORDER BY a",
    "RENAME TO verify_t2",
};

struct Expected {
  bool instant, nocopy, inplace_lock_none;
};

Expected expected_for(const std::string& spec, TargetVersion v) {
  SchemaModel model;
  Migration setup =
      parse_migration(Dialect::mariadb, make_source("s.sql", std::string(kTable) + ";"), &v);
  for (const auto& st : setup.statements)
    for (const auto& op : st.ops) model.apply(op, -1, -1);
  Migration m = parse_migration(Dialect::mariadb,
                                make_source("m.sql", "ALTER TABLE verify_t " + spec + ";"), &v);
  EXPECT_TRUE(m.syntax_errors.empty()) << spec << ": " << m.syntax_errors[0].message;
  std::vector<Effect> effects;
  for (const auto& op : m.statements.at(0).ops)
    effects.push_back(compute_effect(Dialect::mariadb, op, model, v));
  StatementDdl d = combine_ddl(effects);
  return {d.algorithm == Algorithm::instant, d.algorithm <= Algorithm::inplace,
          d.algorithm != Algorithm::copy && d.min_lock == DdlLock::none};
}

// Whether the server accepts the specification with the given clauses, on a fresh table.
bool accepts(MYSQL* m, const std::string& spec, const std::string& clauses) {
  run(m, "DROP TABLE IF EXISTS verify_t, verify_t2");
  EXPECT_TRUE(run(m, kTable)) << mysql_error(m);
  EXPECT_TRUE(
      run(m,
          "INSERT INTO verify_t (id, a, b, s, g, u) VALUES (1, 1, 1, 'x', POINT(1, 1), 'a'),"
          " (2, 2, 2, 'y', POINT(2, 2), 'b')"))
      << mysql_error(m);
  bool ok = run(m, "ALTER TABLE verify_t " + clauses + ", " + spec);
  if (!ok) {
    // Only "this algorithm / lock is not supported" counts as a refusal; any other error is a
    // broken test case.
    unsigned err = mysql_errno(m);
    EXPECT_TRUE(err == 1845 || err == 1846 || err == 4092) << spec << ": " << mysql_error(m);
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
  for (const char* spec : kSpecs) {
    Expected want = expected_for(spec, server->version);
    EXPECT_EQ(accepts(m, spec, "ALGORITHM=INSTANT"), want.instant)
        << "ALGORITHM=INSTANT, " << spec << " on MariaDB " << server->version.display();
    EXPECT_EQ(accepts(m, spec, "ALGORITHM=NOCOPY"), want.nocopy)
        << "ALGORITHM=NOCOPY, " << spec << " on MariaDB " << server->version.display();
    EXPECT_EQ(accepts(m, spec, "ALGORITHM=INPLACE, LOCK=NONE"), want.inplace_lock_none)
        << "ALGORITHM=INPLACE, LOCK=NONE, " << spec << " on MariaDB " << server->version.display();
    checked += 3;
  }
  run(m, "DROP TABLE IF EXISTS verify_t, verify_t2");
  std::cout << "MariaDB " << server->version.display() << ": " << checked
            << " ALTER/clause pairs match the effects table\n";
}

}  // namespace
}  // namespace migsafe
