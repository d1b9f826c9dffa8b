#include <gtest/gtest.h>

#include "helpers.hpp"
#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

TEST(LockModes, ConflictMatrixMatchesTheManual) {
  using L = LockMode;
  EXPECT_TRUE(locks_conflict(L::access_exclusive, L::access_share));
  EXPECT_FALSE(locks_conflict(L::exclusive, L::access_share));
  EXPECT_TRUE(locks_conflict(L::share, L::row_exclusive));
  EXPECT_FALSE(locks_conflict(L::share, L::share));
  EXPECT_TRUE(locks_conflict(L::share_row_exclusive, L::share_row_exclusive));
  EXPECT_TRUE(locks_conflict(L::share_update_exclusive, L::share_update_exclusive));
  EXPECT_FALSE(locks_conflict(L::share_update_exclusive, L::row_exclusive));
  EXPECT_FALSE(locks_conflict(L::row_exclusive, L::row_exclusive));
  // The matrix is symmetric.
  for (int a = 0; a <= 8; ++a)
    for (int b = 0; b <= 8; ++b)
      EXPECT_EQ(locks_conflict(static_cast<L>(a), static_cast<L>(b)),
                locks_conflict(static_cast<L>(b), static_cast<L>(a)));
  EXPECT_TRUE(lock_blocks_reads(L::access_exclusive));
  EXPECT_FALSE(lock_blocks_reads(L::exclusive));
  EXPECT_TRUE(lock_blocks_writes(L::share));
  EXPECT_FALSE(lock_blocks_writes(L::share_update_exclusive));
  EXPECT_EQ(parse_lock_mode("access_exclusive"), L::access_exclusive);
  EXPECT_EQ(parse_lock_mode("SHARE ROW EXCLUSIVE"), L::share_row_exclusive);
  EXPECT_FALSE(parse_lock_mode("bogus"));
}

TEST(Volatility, BuiltInTableAndUnknownFunctions) {
  EXPECT_EQ(function_volatility("now"), Volatility::stable);
  EXPECT_EQ(function_volatility("current_timestamp"), Volatility::stable);
  EXPECT_EQ(function_volatility("gen_random_uuid"), Volatility::volatile_fn);
  EXPECT_EQ(function_volatility("clock_timestamp"), Volatility::volatile_fn);
  EXPECT_EQ(function_volatility("nextval"), Volatility::volatile_fn);
  EXPECT_EQ(function_volatility("lower"), Volatility::immutable);
  EXPECT_EQ(function_volatility("my_company_fn"), Volatility::volatile_fn);
}

TypeRef type(std::string name, std::vector<int64_t> mods = {}) {
  TypeRef t;
  t.name = std::move(name);
  t.mods = std::move(mods);
  return t;
}

bool rewrites(const TypeRef& from, const TypeRef& to, int major = 16) {
  return classify_pg_type_change(&from, to, ExprInfo{}, TargetVersion{major, 0}).rewrite;
}

TEST(TypeChanges, BinaryCoercibleChangesDoNotRewrite) {
  EXPECT_FALSE(rewrites(type("varchar", {10}), type("varchar", {20})));
  EXPECT_FALSE(rewrites(type("varchar", {10}), type("varchar")));
  EXPECT_FALSE(rewrites(type("varchar", {10}), type("text")));
  EXPECT_FALSE(rewrites(type("text"), type("varchar")));
  EXPECT_FALSE(rewrites(type("numeric", {10, 2}), type("numeric", {12, 2})));
  EXPECT_FALSE(rewrites(type("numeric", {10, 2}), type("numeric")));
  EXPECT_FALSE(rewrites(type("timestamptz", {3}), type("timestamptz", {6})));
  EXPECT_FALSE(rewrites(type("cidr"), type("inet")));
}

TEST(TypeChanges, StorageChangesRewrite) {
  EXPECT_TRUE(rewrites(type("varchar", {20}), type("varchar", {10})));
  EXPECT_TRUE(rewrites(type("text"), type("varchar", {10})));
  EXPECT_TRUE(rewrites(type("numeric", {10, 2}), type("numeric", {12, 4})));
  EXPECT_TRUE(rewrites(type("numeric", {12, 2}), type("numeric", {10, 2})));
  EXPECT_TRUE(rewrites(type("int4"), type("int8")));
  EXPECT_TRUE(rewrites(type("bpchar", {5}), type("bpchar", {10})));
  EXPECT_TRUE(rewrites(type("timestamp"), type("timestamptz")));
  EXPECT_TRUE(rewrites(type("timestamp"), type("timestamptz"), 11));
  TypeRef domain = type("positive_int");
  domain.user_defined = true;
  EXPECT_TRUE(rewrites(type("int4"), domain));
  auto unknown = classify_pg_type_change(nullptr, type("text"), ExprInfo{}, TargetVersion{16, 0});
  EXPECT_TRUE(unknown.rewrite);
  EXPECT_NE(unknown.reason.find("not known"), std::string::npos);
}

TEST(TargetVersions, PostgresRange) {
  EXPECT_EQ(parse_target_version(Dialect::postgres, "16")->major, 16);
  EXPECT_EQ(parse_target_version(Dialect::postgres, "11")->major, 11);
  EXPECT_FALSE(parse_target_version(Dialect::postgres, "10"));
  EXPECT_FALSE(parse_target_version(Dialect::postgres, "18"));
  EXPECT_FALSE(parse_target_version(Dialect::postgres, "16x"));
  EXPECT_EQ(default_target_version(Dialect::postgres).display(), "16");
}

}  // namespace
}  // namespace migsafe

#include "../src/inputs/sha256.hpp"

namespace migsafe {
namespace {

// FIPS 180-4 test vectors, including both padding cases (one and two final blocks).
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex(std::string(55, 'x')).size(), 64u);
  EXPECT_NE(sha256_hex(std::string(55, 'x')), sha256_hex(std::string(56, 'x')));
}

// What the server refuses, as the earlier migrations left the schema (the PostgreSQL
// verification test runs each of these on the server; these hold the rules' side of it).
TEST(ServerRefuses, ReindexSystemHasNoConcurrentForm) {
  CheckResult r =
      test::check_files({"CREATE TABLE t (id int);", "REINDEX SYSTEM CONCURRENTLY app;"});
  EXPECT_TRUE(test::has_rule(r, "server-refuses"));
  // REINDEX SYSTEM is never told to add CONCURRENTLY.
  CheckResult plain = test::check_files({"CREATE TABLE t (id int);", "REINDEX SYSTEM app;"});
  EXPECT_FALSE(test::has_rule(plain, "reindex-not-concurrent"));
  EXPECT_FALSE(test::has_rule(plain, "server-refuses"));
}

TEST(ServerRefuses, DependentsWithoutCascadeButNotWithIt) {
  const std::string setup =
      "CREATE TABLE p (id int PRIMARY KEY);\n"
      "CREATE TABLE t (id int PRIMARY KEY, p_id int REFERENCES p (id), a int);\n"
      "CREATE VIEW v AS SELECT id, a FROM t;";
  EXPECT_TRUE(test::has_rule(test::check_files({setup, "DROP TABLE t;"}), "server-refuses"));
  EXPECT_FALSE(
      test::has_rule(test::check_files({setup, "DROP TABLE t CASCADE;"}), "server-refuses"));
  EXPECT_FALSE(test::has_rule(test::check_files({setup, "DROP VIEW v;", "DROP TABLE t;"}),
                              "server-refuses"));
  EXPECT_TRUE(test::has_rule(
      test::check_files({setup, "ALTER TABLE t ALTER COLUMN a TYPE bigint;"}), "server-refuses"));
  // p_id is not in the view.
  EXPECT_FALSE(
      test::has_rule(test::check_files({setup, "ALTER TABLE t ALTER COLUMN p_id TYPE bigint;"}),
                     "server-refuses"));
  EXPECT_TRUE(test::has_rule(test::check_files({setup, "DROP TABLE p;"}), "server-refuses"));
  EXPECT_FALSE(
      test::has_rule(test::check_files({setup, "DROP TABLE p, t CASCADE;"}), "server-refuses"));
  // The foreign key made without a name is dropped by the name the server gave it.
  EXPECT_FALSE(test::has_rule(
      test::check_files({setup, "ALTER TABLE t DROP CONSTRAINT t_p_id_fkey;", "DROP TABLE p;"}),
      "server-refuses"));
  EXPECT_TRUE(test::has_rule(test::check_files({setup, "TRUNCATE p;"}), "server-refuses"));
  EXPECT_FALSE(test::has_rule(test::check_files({setup, "TRUNCATE p, t;"}), "server-refuses"));
  EXPECT_TRUE(
      test::has_rule(test::check_files({setup, "ALTER TABLE t ALTER COLUMN id DROP NOT NULL;"}),
                     "server-refuses"));
}

// A view over two tables, the tables renamed or the view replaced: a dropped view no longer
// holds any of them, and a view still there holds each.
TEST(ServerRefuses, ViewsOverSeveralTablesAcrossRenamesAndReplaces) {
  const std::string setup =
      "CREATE TABLE a (x int);\n"
      "CREATE TABLE b (y int);\n"
      "CREATE VIEW v AS SELECT a.x, b.y FROM a, b;";
  auto refused = [&](std::vector<std::string> files) {
    files.insert(files.begin(), setup);
    return test::has_rule(test::check_files(files), "server-refuses");
  };
  EXPECT_TRUE(refused({"DROP TABLE a;"}));
  EXPECT_TRUE(refused({"DROP TABLE b;"}));
  EXPECT_FALSE(refused({"DROP VIEW v;", "DROP TABLE a;", "DROP TABLE b;"}));
  EXPECT_TRUE(refused({"ALTER TABLE a RENAME TO a2;", "DROP TABLE a2;"}));
  EXPECT_FALSE(refused({"ALTER TABLE a RENAME TO a2;", "DROP VIEW v;", "DROP TABLE a2;"}));
  EXPECT_FALSE(
      refused({"CREATE OR REPLACE VIEW v AS SELECT 1 AS x, b.y FROM b;", "DROP TABLE a;"}));
  EXPECT_TRUE(refused({"CREATE OR REPLACE VIEW v AS SELECT 1 AS x, b.y FROM b;", "DROP TABLE b;"}));
  EXPECT_FALSE(refused({"DROP TABLE b CASCADE;", "DROP TABLE a;"}));
}

TEST(ServerRefuses, KeysAndTheirIndexes) {
  const std::string setup =
      "CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE);\n"
      "CREATE TABLE t (id int PRIMARY KEY, p_id int REFERENCES p, p_code text REFERENCES p "
      "(code));";
  auto refused = [&](const std::string& sql) {
    return test::has_rule(test::check_files({setup, sql}), "server-refuses");
  };
  // Foreign keys rest on p's primary key and on its unique constraint.
  EXPECT_TRUE(refused("ALTER TABLE p DROP CONSTRAINT p_pkey;"));
  EXPECT_TRUE(refused("ALTER TABLE p DROP CONSTRAINT p_code_key;"));
  EXPECT_FALSE(refused("ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE;"));
  EXPECT_FALSE(refused("ALTER TABLE t DROP CONSTRAINT t_pkey;"));
  EXPECT_FALSE(
      refused("ALTER TABLE t DROP CONSTRAINT t_p_id_fkey;\n"
              "ALTER TABLE p DROP CONSTRAINT p_pkey;"));
  // An index that is a constraint's goes only with the constraint, CASCADE or not.
  EXPECT_TRUE(refused("DROP INDEX t_pkey;"));
  EXPECT_TRUE(refused("DROP INDEX p_code_key CASCADE;"));
  EXPECT_FALSE(refused("CREATE INDEX t_p_id ON t (p_id);\nDROP INDEX t_p_id;"));
}

TEST(Effects, NotValidInCreateTableIsValid) {
  const std::string setup =
      "CREATE TABLE nv (a int, CONSTRAINT nv_a CHECK (a IS NOT NULL) NOT VALID);";
  CheckResult r = test::check_files({setup,
                                     "ALTER TABLE nv VALIDATE CONSTRAINT nv_a;\n"
                                     "ALTER TABLE nv ALTER COLUMN a SET NOT NULL;"});
  EXPECT_FALSE(test::has_rule(r, "set-not-null-scan"));
  // Added to an existing table, NOT VALID means what it says.
  CheckResult later =
      test::check_files({"CREATE TABLE nv (a int);",
                         "ALTER TABLE nv ADD CONSTRAINT nv_a CHECK (a IS NOT NULL) NOT VALID;",
                         "ALTER TABLE nv ALTER COLUMN a SET NOT NULL;"});
  EXPECT_TRUE(test::has_rule(later, "set-not-null-scan")) << later.findings.size();
}

TEST(ServerRefuses, AColumnNamedTwice) {
  const std::string setup = "CREATE TABLE t (id int PRIMARY KEY, a int, c point);";
  auto refused = [&](const std::string& sql) {
    return test::has_rule(test::check_files({setup, sql}), "server-refuses");
  };
  EXPECT_TRUE(refused("INSERT INTO t (id, a, a) VALUES (1, 2, 3);"));
  EXPECT_FALSE(refused("INSERT INTO t (id, a) VALUES (1, 2);"));
  EXPECT_TRUE(refused("UPDATE t SET a = 1, a = 2 WHERE id = 1;"));
  EXPECT_TRUE(refused("UPDATE t SET (a, a) = (1, 2) WHERE id = 1;"));
  EXPECT_FALSE(refused("UPDATE t SET a = 1 WHERE id = 1;"));
  // Two parts of one column are two assignments the server combines; the whole and a part not.
  EXPECT_FALSE(refused("UPDATE t SET c[0] = 1, c[1] = 2 WHERE id = 1;"));
  EXPECT_TRUE(refused("UPDATE t SET c = point(0, 0), c[1] = 2 WHERE id = 1;"));
  EXPECT_TRUE(refused("CREATE VIEW v AS SELECT id, a, t.a FROM t;"));
  EXPECT_TRUE(refused("CREATE VIEW v AS SELECT id, a AS id FROM t;"));
  EXPECT_TRUE(refused("CREATE VIEW v (x, a) AS SELECT id, id, a FROM t;"));
  EXPECT_FALSE(refused("CREATE VIEW v (x, y) AS SELECT id, id FROM t;"));
  EXPECT_FALSE(refused("CREATE VIEW v AS SELECT id, a AS b FROM t UNION SELECT a, a FROM t;"));
  EXPECT_TRUE(refused("CREATE MATERIALIZED VIEW m AS SELECT id, a AS id FROM t;"));
  EXPECT_TRUE(refused("CREATE TABLE c2 AS SELECT id, count(*), count(a) FROM t GROUP BY id;"));
}

}  // namespace
}  // namespace migsafe
