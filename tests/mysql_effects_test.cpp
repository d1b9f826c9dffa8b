// The MySQL / MariaDB online-DDL effects table: the same ALTER on different servers and
// versions, the VARCHAR length-prefix boundary, and how a statement's specifications combine.
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "migsafe/effects.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {
namespace {

struct Predicted {
  Algorithm algorithm;
  DdlLock lock;
};

// The combined algorithm of the last statement of `alter`, after `setup` ran.
Predicted predict(const std::string& setup, const std::string& alter, Dialect d,
                  std::string_view version) {
  StatementDdl c = test::predict_ddl(setup, alter, d, parse_target_version(d, version).value());
  return {c.algorithm, c.min_lock};
}

const std::string kUsers =
    "CREATE TABLE users (id BIGINT PRIMARY KEY, a INT, b INT NOT NULL,"
    " s VARCHAR(60), l VARCHAR(60) CHARACTER SET latin1, m VARCHAR(30) CHARACTER SET utf8mb3,"
    " e ENUM('x','y')) DEFAULT CHARSET=utf8mb4;";

Algorithm algo(const std::string& alter, Dialect d, std::string_view v) {
  return predict(kUsers, alter, d, v).algorithm;
}

TEST(MysqlEffects, AddColumnIsInstantFrom8012AndAnywhereFrom8029) {
  const std::string last = "ALTER TABLE users ADD COLUMN c INT;";
  const std::string first = "ALTER TABLE users ADD COLUMN c INT FIRST;";
  EXPECT_EQ(algo(last, Dialect::mysql, "5.7"), Algorithm::rebuild);
  EXPECT_EQ(algo(last, Dialect::mysql, "8.0.11"), Algorithm::rebuild);
  EXPECT_EQ(algo(last, Dialect::mysql, "8.0.12"), Algorithm::instant);
  EXPECT_EQ(algo(first, Dialect::mysql, "8.0.28"), Algorithm::rebuild);
  EXPECT_EQ(algo(first, Dialect::mysql, "8.0.29"), Algorithm::instant);
  EXPECT_EQ(algo(first, Dialect::mysql, "8.4"), Algorithm::instant);
  EXPECT_EQ(algo(first, Dialect::mariadb, "10.3"), Algorithm::rebuild);
  EXPECT_EQ(algo(first, Dialect::mariadb, "10.11"), Algorithm::instant);
}

TEST(MysqlEffects, DropAndRenameColumnByVersion) {
  const std::string drop = "ALTER TABLE users DROP COLUMN a;";
  EXPECT_EQ(algo(drop, Dialect::mysql, "8.0.28"), Algorithm::rebuild);
  EXPECT_EQ(algo(drop, Dialect::mysql, "8.0.29"), Algorithm::instant);
  EXPECT_EQ(algo(drop, Dialect::mariadb, "10.6"), Algorithm::instant);
  const std::string rename = "ALTER TABLE users RENAME COLUMN a TO a2;";
  EXPECT_EQ(algo(rename, Dialect::mysql, "8.0.27"), Algorithm::inplace);
  EXPECT_EQ(algo(rename, Dialect::mysql, "8.0.28"), Algorithm::instant);
}

TEST(MysqlEffects, VarcharLengthPrefixBoundary) {
  // utf8mb4: 63 chars = 252 bytes keeps the 1-byte prefix, 64 chars = 256 bytes needs 2.
  EXPECT_EQ(algo("ALTER TABLE users MODIFY s VARCHAR(63);", Dialect::mysql, "8.0"),
            Algorithm::inplace);
  EXPECT_EQ(algo("ALTER TABLE users MODIFY s VARCHAR(64);", Dialect::mysql, "8.0"),
            Algorithm::copy);
  // latin1: 255 chars = 255 bytes is the last in place.
  EXPECT_EQ(
      algo("ALTER TABLE users MODIFY l VARCHAR(255) CHARACTER SET latin1;", Dialect::mysql, "8.0"),
      Algorithm::inplace);
  EXPECT_EQ(
      algo("ALTER TABLE users MODIFY l VARCHAR(256) CHARACTER SET latin1;", Dialect::mysql, "8.0"),
      Algorithm::copy);
  // utf8mb3: 85 chars = 255 bytes, 86 = 258.
  EXPECT_EQ(
      algo("ALTER TABLE users MODIFY m VARCHAR(85) CHARACTER SET utf8mb3;", Dialect::mysql, "8.0"),
      Algorithm::inplace);
  EXPECT_EQ(
      algo("ALTER TABLE users MODIFY m VARCHAR(86) CHARACTER SET utf8mb3;", Dialect::mysql, "8.0"),
      Algorithm::copy);
  // MariaDB: from at most 127 bytes (utf8mb3 30 chars = 90 bytes) any widening is instant;
  // from 128-255 bytes (utf8mb4 60 chars = 240) past 255 is a copy.
  EXPECT_EQ(algo("ALTER TABLE users MODIFY m VARCHAR(200) CHARACTER SET utf8mb3;", Dialect::mariadb,
                 "10.11"),
            Algorithm::instant);
  EXPECT_EQ(algo("ALTER TABLE users MODIFY s VARCHAR(64);", Dialect::mariadb, "10.11"),
            Algorithm::copy);
  // Shrinking is a type change everywhere.
  EXPECT_EQ(algo("ALTER TABLE users MODIFY s VARCHAR(10);", Dialect::mariadb, "10.11"),
            Algorithm::copy);
}

TEST(MysqlEffects, ServersDifferWhereTheManualsSayTheyDo) {
  EXPECT_EQ(algo("ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;", Dialect::mysql, "8.0"),
            Algorithm::rebuild);
  EXPECT_EQ(algo("ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;", Dialect::mariadb, "10.11"),
            Algorithm::copy);
  EXPECT_EQ(algo("ALTER TABLE users MODIFY e ENUM('x','y','z');", Dialect::mysql, "8.0"),
            Algorithm::instant);
  EXPECT_EQ(algo("ALTER TABLE users MODIFY e ENUM('z','x','y');", Dialect::mysql, "8.0"),
            Algorithm::copy);
  // MariaDB 11.4 copies with concurrent DML (online COPY); 10.11 blocks writes.
  EXPECT_EQ(predict(kUsers, "ALTER TABLE users MODIFY a BIGINT;", Dialect::mariadb, "10.11").lock,
            DdlLock::shared);
  EXPECT_EQ(predict(kUsers, "ALTER TABLE users MODIFY a BIGINT;", Dialect::mariadb, "11.4").lock,
            DdlLock::none);
}

TEST(MysqlEffects, StatementTakesTheLargestAlgorithmOfItsSpecifications) {
  Predicted p = predict(kUsers, "ALTER TABLE users ADD COLUMN c INT, MODIFY a BIGINT;",
                        Dialect::mysql, "8.0");
  EXPECT_EQ(p.algorithm, Algorithm::copy);
  EXPECT_EQ(p.lock, DdlLock::shared);
  // An INSTANT column change next to an in-place one is done in place: a rebuild.
  p = predict(kUsers, "ALTER TABLE users ADD COLUMN c INT, ADD INDEX users_c (c);", Dialect::mysql,
              "8.0");
  EXPECT_EQ(p.algorithm, Algorithm::rebuild);
  EXPECT_EQ(p.lock, DdlLock::none);
  p = predict(kUsers, "ALTER TABLE users ALTER COLUMN a SET DEFAULT 1, ADD INDEX users_a (a);",
              Dialect::mysql, "8.0");
  EXPECT_EQ(p.algorithm, Algorithm::inplace);
}

TEST(MysqlEffects, ForeignKeyChecksDecideHowAForeignKeyIsAdded) {
  auto r =
      test::check_mysql({kUsers + "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT);",
                         "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);"});
  EXPECT_TRUE(test::has_rule(r, "add-foreign-key-with-checks"));
  r = test::check_mysql({kUsers + "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT);",
                         "/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n"
                         "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);"});
  EXPECT_FALSE(test::has_rule(r, "add-foreign-key-with-checks"));
  EXPECT_FALSE(test::has_rule(r, "table-copy"));
}

TEST(MysqlEffects, SameAlterFlaggedOnOldServersOnly) {
  const std::vector<std::string> files = {kUsers,
                                          "ALTER TABLE users DROP COLUMN a, ALGORITHM=INSTANT;"};
  EXPECT_TRUE(test::has_rule(test::check_mysql(files, Dialect::mysql, "8.0.28"),
                             "algorithm-not-supported"));
  EXPECT_FALSE(test::has_rule(test::check_mysql(files, Dialect::mysql, "8.0.29"),
                              "algorithm-not-supported"));
  EXPECT_TRUE(
      test::has_rule(test::check_mysql(files, Dialect::mysql, "5.7"), "algorithm-not-supported"));
  EXPECT_FALSE(test::has_rule(test::check_mysql(files, Dialect::mariadb, "10.11"),
                              "algorithm-not-supported"));
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(MysqlEffects, ExplicitClausesAreHonoured) {
  // MySQL: an explicit INPLACE makes an INSTANT-capable ADD COLUMN rebuild the table; MariaDB
  // reads INPLACE as "this or better" and stays INSTANT.
  EXPECT_EQ(algo("ALTER TABLE users ADD COLUMN c INT, ALGORITHM=INPLACE;", Dialect::mysql, "8.0"),
            Algorithm::rebuild);
  EXPECT_EQ(
      algo("ALTER TABLE users ADD COLUMN c INT, ALGORITHM=INPLACE;", Dialect::mariadb, "10.11"),
      Algorithm::instant);
  // COPY copies and blocks writes (MariaDB 11.4 copies online unless LOCK= says otherwise).
  Predicted copy =
      predict(kUsers, "ALTER TABLE users ADD INDEX ua (a), ALGORITHM=COPY;", Dialect::mysql, "8.0");
  EXPECT_EQ(copy.algorithm, Algorithm::copy);
  EXPECT_EQ(copy.lock, DdlLock::shared);
  EXPECT_EQ(predict(kUsers, "ALTER TABLE users ADD INDEX ua (a), ALGORITHM=COPY;", Dialect::mariadb,
                    "11.4")
                .lock,
            DdlLock::none);
  EXPECT_EQ(
      predict(kUsers, "ALTER TABLE users ADD INDEX ua (a), LOCK=EXCLUSIVE;", Dialect::mysql, "8.0")
          .lock,
      DdlLock::exclusive);
  // The findings: the request is what is flagged, once, and the suggestion is the cheapest
  // clause the change needs by itself.
  auto r = test::check_mysql({kUsers, "ALTER TABLE users ADD COLUMN c INT, ALGORITHM=COPY;"});
  ASSERT_TRUE(test::has_rule(r, "algorithm-copy-requested"));
  EXPECT_FALSE(test::has_rule(r, "table-copy"));
  EXPECT_NE(test::find_finding(r, "algorithm-copy-requested")->instead.find("ALGORITHM=INSTANT"),
            std::string::npos);
  // COPY with LOCK=NONE is refused by MySQL.
  EXPECT_TRUE(test::has_rule(
      test::check_mysql({kUsers, "ALTER TABLE users ADD COLUMN c INT, ALGORITHM=COPY, LOCK=NONE;"}),
      "algorithm-not-supported"));
}

// The row-version budget of MySQL's instant column changes, by server and version (from its
// manual; the count itself is read from a MySQL 8.0.29+ snapshot, which cannot run here).
TEST(MysqlEffects, RowVersionBudget) {
  auto v = [](Dialect d, std::string_view s) { return parse_target_version(d, s).value(); };
  EXPECT_EQ(row_version_limit(Dialect::mysql, v(Dialect::mysql, "8.0.28")), 0);
  EXPECT_EQ(row_version_limit(Dialect::mysql, v(Dialect::mysql, "8.0.29")), 64);
  EXPECT_EQ(row_version_limit(Dialect::mysql, v(Dialect::mysql, "8.4")), 64);
  EXPECT_EQ(row_version_limit(Dialect::mariadb, v(Dialect::mariadb, "11.4")), 0);
  TargetVersion mysql80 = v(Dialect::mysql, "8.0.36");
  auto uses = [&](const std::string& alter) {
    SchemaModel model;
    Migration s = parse_migration(Dialect::mysql, make_source("s.sql", kUsers), &mysql80);
    for (const auto& st : s.statements)
      for (const auto& op : st.ops) model.apply(op, -1, -1);
    Migration m = parse_migration(Dialect::mysql, make_source("m.sql", alter), &mysql80);
    const Operation& op = m.statements.back().ops.at(0);
    return uses_row_version(Dialect::mysql, mysql80, op,
                            compute_effect(Dialect::mysql, op, model, mysql80));
  };
  EXPECT_TRUE(uses("ALTER TABLE users ADD COLUMN c INT;"));
  EXPECT_TRUE(uses("ALTER TABLE users DROP COLUMN a;"));
  EXPECT_FALSE(uses("ALTER TABLE users ADD COLUMN c INT, ALGORITHM=COPY;"));
  EXPECT_FALSE(uses("ALTER TABLE users RENAME COLUMN a TO a2;"));
  EXPECT_FALSE(uses("ALTER TABLE users ADD INDEX users_a (a);"));
}

}  // namespace
}  // namespace migsafe
