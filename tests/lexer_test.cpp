#include <gtest/gtest.h>

#include "../src/parse/lexer.hpp"

namespace migsafe {
namespace {

std::vector<std::string> pieces(std::string_view text, const LexResult& r) {
  std::vector<std::string> out;
  for (const auto& s : r.statements) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(Lexer, SplitsAtTopLevelSemicolonsOnly) {
  std::string sql =
      "SELECT ';' AS a; -- c;\nSELECT \"x;y\" FROM t; /* ; /* nested ; */ ; */ SELECT $$a;b$$;"
      "SELECT $fn$ ; $fn$; SELECT E'it\\'s;';";
  LexResult r = lex_sql(sql, postgres_lex_options());
  ASSERT_FALSE(r.error);
  auto p = pieces(sql, r);
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], "SELECT ';' AS a;");
  EXPECT_NE(p[2].find("$$a;b$$"), std::string::npos);
  EXPECT_NE(p[3].find("$fn$ ; $fn$"), std::string::npos);
  EXPECT_NE(p[4].find("E'it\\'s;'"), std::string::npos);
  EXPECT_EQ(r.comments.size(), 2u);
}

TEST(Lexer, DollarSignInIdentifierOrParameterIsNotAQuote) {
  std::string sql = "SELECT a$b, $1 FROM t; SELECT 2;";
  LexResult r = lex_sql(sql, postgres_lex_options());
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.statements.size(), 2u);
}

TEST(Lexer, BlanksPsqlMetaCommandsAndKeepsOffsets) {
  std::string sql = "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\i other.sql\n";
  LexResult r = lex_sql(sql, postgres_lex_options());
  ASSERT_EQ(r.meta_commands.size(), 2u);
  EXPECT_EQ(sql.substr(r.meta_commands[0].begin, r.meta_commands[0].end - r.meta_commands[0].begin),
            "\\set ON_ERROR_STOP on");
  EXPECT_EQ(r.sanitized.size(), sql.size());
  EXPECT_EQ(r.sanitized.find('\\'), std::string::npos);
  EXPECT_EQ(r.sanitized.substr(22, 9), "SELECT 1;");
}

TEST(Lexer, BlanksCopyFromStdinData) {
  std::string sql = "COPY t (a, b) FROM stdin;\n1\t'x;\n2\ty\n\\.\nSELECT 1;\n";
  LexResult r = lex_sql(sql, postgres_lex_options());
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.sanitized.find("'x"), std::string::npos);
  EXPECT_NE(r.sanitized.find("SELECT 1;"), std::string::npos);
}

TEST(Lexer, ReportsUnterminatedQuotesAtTheirStart) {
  struct Case {
    std::string sql;
    uint32_t offset;
    std::string message;
  } cases[] = {
      {"SELECT 1;\nSELECT 'abc", 17, "unterminated quoted string"},
      {"SELECT \"abc", 7, "unterminated quoted identifier"},
      {"SELECT $x$ body", 7, "unterminated dollar-quoted string $x$"},
      {"SELECT 1; /* never closed", 10, "unterminated /* comment"},
  };
  for (const auto& c : cases) {
    LexResult r = lex_sql(c.sql, postgres_lex_options());
    ASSERT_TRUE(r.error) << c.sql;
    EXPECT_EQ(r.error->offset, c.offset) << c.sql;
    EXPECT_EQ(r.error->message, c.message);
  }
}

TEST(Lexer, SkipTriviaPassesCommentsAndWhitespace) {
  std::string sql = "  -- a\n /* b /* c */ */\n\tALTER";
  EXPECT_EQ(sql.substr(skip_trivia(sql, 0, postgres_lex_options())), "ALTER");
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(Lexer, PlainSqlNeedsNoSanitizedCopy) {
  std::string sql = "CREATE TABLE t (id int);\nSELECT a::text FROM t;\n";
  LexResult r = lex_sql(sql, postgres_lex_options());
  EXPECT_TRUE(r.sanitized.empty());
  EXPECT_EQ(parse_text(r, sql), sql);
}

}  // namespace
}  // namespace migsafe
