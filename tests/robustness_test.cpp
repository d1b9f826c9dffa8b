// Random token soup through the whole pipeline: never a crash, a hang or a finding without a
// location, whatever the input. Deterministic (fixed seed), so a failure reproduces; the
// sanitizer build runs it too.
#include <gtest/gtest.h>

#include <random>

#include "helpers.hpp"
#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

// Deterministic random inputs: 1 to 120 tokens drawn from a list, separated by spaces.
class Soup {
 public:
  template <size_t N>
  Soup(const char* const (&tokens)[N], unsigned seed)
      : tokens_(tokens, tokens + N), rng_(seed), pick_(0, N - 1) {}
  std::string next() {
    std::string sql;
    for (int n = length_(rng_); n > 0; --n) {
      sql += tokens_[pick_(rng_)];
      sql += ' ';
    }
    return sql;
  }

 private:
  std::vector<const char*> tokens_;
  std::mt19937 rng_;
  std::uniform_int_distribution<size_t> pick_;
  std::uniform_int_distribution<int> length_{1, 120};
};

// Every finding and problem points at a real place in the input.
void expect_located(const CheckResult& r, const std::string& sql) {
  for (const auto& f : r.findings) {
    ASSERT_GT(f.at.line, 0u) << sql;
    ASSERT_LE(f.statement.end, sql.size()) << sql;
  }
  for (const auto& p : r.problems) ASSERT_GT(p.pos.line, 0u) << p.message << "\n" << sql;
}

TEST(Robustness, RandomTokenSoupNeverCrashes) {
  static const char* kTokens[] = {"SELECT",
                                  "ALTER",
                                  "TABLE",
                                  "t",
                                  "(",
                                  ")",
                                  ";",
                                  "'",
                                  "$$",
                                  "$a$",
                                  "--",
                                  "/*",
                                  "*/",
                                  "\"",
                                  "E'",
                                  "\\",
                                  "\n",
                                  "ADD",
                                  "COLUMN",
                                  "CREATE",
                                  "INDEX",
                                  "CONCURRENTLY",
                                  "ON",
                                  "DO",
                                  "BEGIN",
                                  "COMMIT",
                                  "END",
                                  ":",
                                  "::",
                                  "[",
                                  "]",
                                  "x",
                                  ",",
                                  "COPY",
                                  "FROM",
                                  "stdin",
                                  "LANGUAGE",
                                  "plpgsql",
                                  "AS",
                                  "FUNCTION",
                                  "f()",
                                  "RETURNS",
                                  "void",
                                  "EXECUTE",
                                  "ATOMIC",
                                  "RULE",
                                  "\\.",
                                  "\\set",
                                  ":'v'",
                                  "SET",
                                  "lock_timeout",
                                  "=",
                                  "0",
                                  "DROP",
                                  "-- migsafe:ignore",
                                  "drop-column",
                                  "UPDATE",
                                  "WHERE",
                                  "NOT",
                                  "VALID",
                                  "ü",
                                  "\t"};
  Soup soup(kTokens, 20261126);
  for (int i = 0; i < 600; ++i) {
    std::string sql = soup.next();
    SourceSet set{make_source("fuzz.sql", sql)};
    CheckResult r = check_sets({set}, test::shipped_postgres_packs(), CheckOptions{});
    expect_located(r, sql);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// The same for the MySQL front end, whose lexer and parser are migsafe's own: DELIMITER
// changes, executable comments, backslash escapes and stored-program blocks in any order.
TEST(Robustness, MysqlTokenSoupNeverCrashes) {
  static const char* kTokens[] = {"ALTER",
                                  "TABLE",
                                  "t",
                                  "`t`",
                                  "(",
                                  ")",
                                  ";",
                                  "'",
                                  "\"",
                                  "`",
                                  "\\",
                                  "\n",
                                  "ADD",
                                  "COLUMN",
                                  "MODIFY",
                                  "CHANGE",
                                  "DROP",
                                  "PRIMARY",
                                  "KEY",
                                  "INDEX",
                                  "FULLTEXT",
                                  "FOREIGN",
                                  "REFERENCES",
                                  "ALGORITHM=INPLACE",
                                  "LOCK=NONE",
                                  ",",
                                  "INT",
                                  "VARCHAR(64)",
                                  "NOT",
                                  "NULL",
                                  "DEFAULT",
                                  "AUTO_INCREMENT",
                                  "AS",
                                  "STORED",
                                  "FIRST",
                                  "AFTER",
                                  "DELIMITER",
                                  "$$",
                                  "//",
                                  "BEGIN",
                                  "END",
                                  "IF",
                                  "CASE",
                                  "CREATE",
                                  "TRIGGER",
                                  "FOR",
                                  "EACH",
                                  "ROW",
                                  "/*!80000",
                                  "/*M!100500",
                                  "/*",
                                  "*/",
                                  "#",
                                  "-- ",
                                  "--",
                                  "SET",
                                  "foreign_key_checks",
                                  "=",
                                  "0",
                                  "@@session.x",
                                  "@v",
                                  "UPDATE",
                                  "WHERE",
                                  "PARTITION",
                                  "CONVERT",
                                  "TO",
                                  "CHARACTER",
                                  "ü",
                                  "\t",
                                  "0x1F",
                                  "X'AB'",
                                  "PROCEDURE",
                                  "p()",
                                  "CALL",
                                  "p",
                                  "THEN",
                                  "ELSE",
                                  "WHILE",
                                  "DO",
                                  "LOOP",
                                  "REPEAT",
                                  "DECLARE",
                                  "l:"};
  Soup soup(kTokens, 20261127);
  CheckOptions opt;
  opt.dialect = Dialect::mariadb;
  opt.version = default_target_version(Dialect::mariadb);
  for (int i = 0; i < 600; ++i) {
    std::string sql = soup.next();
    // Every other input is the body of a procedure that is then called, so the body walker
    // sees the soup too.
    if (i % 2) sql = "CREATE PROCEDURE p() BEGIN " + sql + " END;\nCALL p();\n";
    SourceSet set{make_source("fuzz.sql", sql)};
    CheckResult r = check_sets({set}, test::mysql_packs(), opt);
    expect_located(r, sql);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace migsafe
