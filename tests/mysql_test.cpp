// MySQL / MariaDB front end and pack: lexing (DELIMITER, executable comments, quoting), the
// ALTER TABLE grammar, syntax errors, every rule's twins on both servers, and the corpus.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "migsafe/effects.hpp"

namespace migsafe {
namespace {
namespace fs = std::filesystem;

Migration parse_my(const std::string& sql, Dialect d = Dialect::mysql,
                   const TargetVersion* v = nullptr) {
  return parse_migration(d, make_source("m.sql", sql), v);
}

std::vector<OpKind> kinds(const Migration& m) {
  std::vector<OpKind> out;
  for (const auto& st : m.statements)
    for (const auto& op : st.ops) out.push_back(op.kind);
  return out;
}

TEST(MysqlLexer, CommentsQuotesAndBackslashesDoNotEndStatements) {
  Migration m = parse_my(
      "# hash comment; not a statement\n"
      "-- dash comment; neither\n"
      "INSERT INTO t (a) VALUES ('it\\'s; fine', \"x;y\", `odd;name`);\n"
      "SELECT 1--1;\n"  // "--" without a space is minus minus
      "/* block; comment */ SELECT 0x1F, b'01', X'AB';\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  ASSERT_EQ(m.statements.size(), 3u);
  EXPECT_EQ(m.statements[0].ops[0].kind, OpKind::insert);
  EXPECT_EQ(m.statements[0].ops[0].table.name, "t");
  EXPECT_EQ(m.statements[1].text, "SELECT 1--1");
  EXPECT_EQ(m.comments.size(), 3u);
}

TEST(MysqlLexer, ExecutableCommentsFollowTheTargetServer) {
  const std::string sql =
      "/*!40101 SET foreign_key_checks = 0 */;\n"
      "/*!80023 ALTER TABLE t ADD COLUMN a INT */;\n"
      "/*M!100500 ALTER TABLE t ADD COLUMN b INT */;\n"
      "/*! ALTER TABLE t ADD COLUMN c INT */;\n";
  TargetVersion my57{5, 7};
  auto names = [](const Migration& m) {
    std::vector<std::string> out;
    for (const auto& st : m.statements)
      for (const auto& op : st.ops)
        out.push_back(op.column_spec ? op.column_spec->name : op.object);
    return out;
  };
  EXPECT_EQ(names(parse_my(sql)), (std::vector<std::string>{"foreign_key_checks", "a", "c"}));
  EXPECT_EQ(names(parse_my(sql, Dialect::mysql, &my57)),
            (std::vector<std::string>{"foreign_key_checks", "c"}));
  // MariaDB skips five-digit versions from 50700 (MySQL 5.7 and later syntax), as MariaDB
  // 10.11 does (mysql_trace_test.cpp's RedTeamRegressions relies on it on the real server).
  EXPECT_EQ(names(parse_my(sql, Dialect::mariadb)),
            (std::vector<std::string>{"foreign_key_checks", "b", "c"}));
}

TEST(MysqlLexer, DelimiterBlocksKeepTriggerBodiesWhole) {
  Migration m = parse_my(
      "DELIMITER $$\n"
      "CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW\n"
      "BEGIN\n"
      "  -- ALTER TABLE users DROP COLUMN email; (a comment, not DDL)\n"
      "  SET NEW.note = 'DROP TABLE users; TRUNCATE users;';\n"
      "  IF NEW.age IS NULL THEN SET NEW.age = 0; END IF;\n"
      "END$$\n"
      "CREATE PROCEDURE p() BEGIN DELETE FROM users; END //\n"
      "$$\n"
      "DELIMITER ;\n"
      "ALTER TABLE users ADD COLUMN x INT;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  EXPECT_EQ(kinds(m), (std::vector<OpKind>{OpKind::meta_command, OpKind::create_trigger,
                                           OpKind::create_function, OpKind::meta_command,
                                           OpKind::add_column}));
  auto r = test::check_mysql(
      {"CREATE TABLE users (id INT PRIMARY KEY, age INT, note TEXT);", m.source->text()});
  for (const auto& f : r.findings)
    EXPECT_NE(f.rule_id, "drop-table") << "text inside a trigger body was taken for DDL";
  EXPECT_FALSE(test::has_rule(r, "delete-without-where"));
  EXPECT_FALSE(test::has_rule(r, "truncate-table"));
  EXPECT_FALSE(test::has_rule(r, "drop-column"));
}

// A delimiter that can continue a word or a number ends it all the same, as the client reads it.
TEST(MysqlLexer, DelimitersThatStartLikeWordsEndStatements) {
  Migration m = parse_my(
      "DELIMITER $\n"
      "ALTER TABLE t ADD COLUMN a INT$ALTER TABLE t ADD COLUMN b INT DEFAULT 7$\n"
      "DELIMITER .\n"
      "ALTER TABLE t ADD COLUMN c INT DEFAULT 1.\n"
      "DELIMITER ;\n"
      "ALTER TABLE t ADD COLUMN d INT;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  EXPECT_EQ(kinds(m),
            (std::vector<OpKind>{OpKind::meta_command, OpKind::add_column, OpKind::add_column,
                                 OpKind::meta_command, OpKind::add_column, OpKind::meta_command,
                                 OpKind::add_column}));
  ASSERT_EQ(m.statements.size(), 7u);
  EXPECT_EQ(m.statements[2].text, "ALTER TABLE t ADD COLUMN b INT DEFAULT 7");
  EXPECT_EQ(m.statements[4].text, "ALTER TABLE t ADD COLUMN c INT DEFAULT 1");
}

TEST(MysqlLexer, StoredProgramsWithoutDelimiterStayWhole) {
  Migration m = parse_my(
      "CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW BEGIN\n"
      "  CASE WHEN NEW.a > 1 THEN SET NEW.b = 1; ELSE SET NEW.b = 2; END CASE;\n"
      "  WHILE NEW.a < 0 DO SET NEW.a = NEW.a + 1; END WHILE;\n"
      "END;\n"
      "DROP TABLE old_t;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  EXPECT_EQ(kinds(m), (std::vector<OpKind>{OpKind::create_trigger, OpKind::drop_table}));
}

TEST(MysqlLexer, UnterminatedInputIsASyntaxErrorAtItsPosition) {
  Migration m = parse_my("SELECT 1;\nINSERT INTO t VALUES ('oops);\n");
  ASSERT_EQ(m.syntax_errors.size(), 1u);
  EXPECT_EQ(m.syntax_errors[0].pos.line, 2u);
  EXPECT_EQ(m.syntax_errors[0].pos.col, 23u);
  EXPECT_NE(m.syntax_errors[0].message.find("unterminated"), std::string::npos);
  Migration c = parse_my("SELECT 1; /* never closed");
  ASSERT_EQ(c.syntax_errors.size(), 1u);
  EXPECT_EQ(c.syntax_errors[0].pos.col, 11u);
}

TEST(MysqlParse, AlterTableSpecificationsBecomeOperations) {
  Migration m = parse_my(
      "ALTER TABLE `shop`.`orders`\n"
      "  ADD COLUMN note VARCHAR(100) CHARACTER SET latin1 NULL AFTER id,\n"
      "  ADD COLUMN (a INT, b INT),\n"
      "  DROP COLUMN legacy,\n"
      "  MODIFY COLUMN total DECIMAL(12,2) NOT NULL DEFAULT 0,\n"
      "  CHANGE old_name new_name INT UNSIGNED,\n"
      "  ALTER COLUMN status SET DEFAULT 'new',\n"
      "  ALTER status2 DROP DEFAULT,\n"
      "  ADD INDEX idx_a (a), ADD UNIQUE KEY uq_b (b), ADD FULLTEXT ft (note),\n"
      "  ADD CONSTRAINT fk_c FOREIGN KEY (c) REFERENCES customers (id) ON DELETE CASCADE,\n"
      "  ADD CONSTRAINT chk CHECK (a > 0),\n"
      "  DROP INDEX idx_old, DROP FOREIGN KEY fk_old, DROP PRIMARY KEY, ADD PRIMARY KEY (id, a),\n"
      "  RENAME INDEX i1 TO i2, RENAME COLUMN x TO y,\n"
      "  ENGINE = InnoDB, ROW_FORMAT=DYNAMIC, FORCE,\n"
      "  ALGORITHM=INPLACE, LOCK=NONE;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  ASSERT_EQ(m.statements.size(), 1u);
  const auto& ops = m.statements[0].ops;
  std::vector<OpKind> want{OpKind::add_column,      OpKind::add_column,      OpKind::add_column,
                           OpKind::drop_column,     OpKind::modify_column,   OpKind::modify_column,
                           OpKind::rename_column,   OpKind::set_default,     OpKind::drop_default,
                           OpKind::create_index,    OpKind::create_index,    OpKind::create_index,
                           OpKind::add_constraint,  OpKind::add_constraint,  OpKind::drop_index,
                           OpKind::drop_constraint, OpKind::drop_constraint, OpKind::add_constraint,
                           OpKind::rename_index,    OpKind::rename_column,   OpKind::table_options,
                           OpKind::table_options,   OpKind::table_options};
  EXPECT_EQ(kinds(m), want);
  for (const auto& op : ops) {
    EXPECT_EQ(op.table.display(), "shop.orders");
    EXPECT_EQ(op.algorithm, "INPLACE");
    EXPECT_EQ(op.lock_clause, "NONE");
  }
  EXPECT_EQ(ops[0].column_spec->charset, "latin1");
  EXPECT_EQ(ops[0].column_spec->position, "id");
  EXPECT_EQ(ops[0].column_spec->type.mods, (std::vector<int64_t>{100}));
  EXPECT_EQ(ops[5].column, "old_name");
  EXPECT_EQ(ops[5].column_spec->type.name, "int unsigned");
  EXPECT_EQ(ops[6].column, "old_name");
  EXPECT_EQ(ops[6].new_name, "new_name");
  EXPECT_EQ(ops[11].index->method, "fulltext");
  EXPECT_TRUE(ops[10].index->unique);
  EXPECT_EQ(ops[12].constraint->references.table.name, "customers");
  EXPECT_EQ(ops[16].detail, "replaced");  // DROP PRIMARY KEY with ADD PRIMARY KEY
}

TEST(MysqlParse, OtherStatementKinds) {
  Migration m = parse_my(
      "CREATE TABLE IF NOT EXISTS t (id BIGINT NOT NULL AUTO_INCREMENT, name VARCHAR(20),\n"
      "  g INT AS (id * 2) STORED, PRIMARY KEY (id), KEY t_name (name),\n"
      "  CONSTRAINT fk FOREIGN KEY (name) REFERENCES u (name)) ENGINE=InnoDB DEFAULT "
      "CHARSET=latin1;\n"
      "CREATE UNIQUE INDEX t_u ON t (name(10)) ALGORITHM=INPLACE LOCK=NONE;\n"
      "DROP INDEX t_u ON t;\n"
      "RENAME TABLE t TO t2, a TO b;\n"
      "TRUNCATE TABLE t2;\n"
      "OPTIMIZE TABLE t2;\n"
      "UPDATE t2 SET name = 'x' WHERE id = 1;\n"
      "DELETE FROM t2;\n"
      "INSERT INTO t2 (id) SELECT id FROM t3;\n"
      "SET SESSION lock_wait_timeout = 5, @@foreign_key_checks = 0;\n"
      "START TRANSACTION;\n"
      "COMMIT;\n"
      "CREATE VIEW v AS SELECT 1;\n"
      "GRANT SELECT ON t2 TO app;\n"
      "DROP TABLE IF EXISTS t2, t3;\n");
  ASSERT_TRUE(m.syntax_errors.empty()) << m.syntax_errors[0].message;
  EXPECT_EQ(kinds(m),
            (std::vector<OpKind>{
                OpKind::create_table, OpKind::create_index, OpKind::create_index,
                OpKind::drop_index, OpKind::rename_table, OpKind::rename_table, OpKind::truncate,
                OpKind::optimize_table, OpKind::update, OpKind::delete_rows, OpKind::insert,
                OpKind::set_setting, OpKind::set_setting, OpKind::begin, OpKind::commit,
                OpKind::create_view, OpKind::other, OpKind::drop_table, OpKind::drop_table}));
  const auto& ct = m.statements[0].ops[0];
  EXPECT_EQ(ct.value, "latin1");
  ASSERT_EQ(ct.columns.size(), 3u);
  EXPECT_TRUE(ct.columns[0].serial);
  EXPECT_EQ(ct.columns[2].generated, Generated::stored);
  EXPECT_EQ(m.statements[1].ops[0].algorithm, "INPLACE");
  EXPECT_TRUE(m.statements[6].ops[0].has_where);
  EXPECT_FALSE(m.statements[7].ops[0].has_where);
  EXPECT_TRUE(m.statements[8].ops[0].from_select);
  EXPECT_EQ(m.statements[9].ops[1].object, "foreign_key_checks");
  EXPECT_EQ(m.statements[9].ops[1].value, "0");
}

TEST(MysqlParse, BrokenGrammarIsASyntaxErrorNeverSkipped) {
  Migration m = parse_my(
      "ALTER TABLE t ADD COLUMN;\n"
      "ALTER TABLE t FROBNICATE x;\n"
      "CREATE INDEX i ON t (a;\n"
      "ALTER TABLE t ADD COLUMN ok INT;\n");
  ASSERT_EQ(m.syntax_errors.size(), 3u);
  EXPECT_EQ(m.syntax_errors[0].pos.line, 1u);
  EXPECT_EQ(m.syntax_errors[1].pos.line, 2u);
  EXPECT_EQ(m.syntax_errors[1].pos.col, 15u);
  EXPECT_NE(m.syntax_errors[1].message.find("unknown ALTER TABLE specification"),
            std::string::npos);
  EXPECT_EQ(m.syntax_errors[2].pos.line, 3u);
  ASSERT_EQ(m.statements.size(), 1u);  // the rest of the file is still analysed
  EXPECT_EQ(m.statements[0].ops[0].column_spec->name, "ok");
}

TEST(MysqlCli, DialectsVersionsAndExitCodes) {
  std::string d = test::temp_dir();
  test::write_file(d + "/0.sql", "CREATE TABLE users (id BIGINT PRIMARY KEY, age INT);\n");
  test::write_file(d + "/1.sql", "ALTER TABLE users MODIFY age BIGINT;\n");
  auto my = test::run_migsafe({"check", "--dialect", "mysql", d});
  EXPECT_EQ(my.exit_code, 1) << my.out << my.err;
  EXPECT_NE(my.out.find("migsafe · mysql 8.0 ·"), std::string::npos) << my.out;
  auto ma = test::run_migsafe({"check", "--dialect", "mariadb", "--target-version", "11.4", d});
  EXPECT_NE(ma.out.find("migsafe · mariadb 11.4 ·"), std::string::npos) << ma.out;
  EXPECT_EQ(
      test::run_migsafe({"check", "--dialect", "mysql", "--target-version", "9.1", d}).exit_code,
      2);
  EXPECT_EQ(
      test::run_migsafe({"check", "--dialect", "mysql", "--target-version", "8.0.28", d}).exit_code,
      1);
  test::write_file(d + "/2.sql", "ALTER TABLE users ADD COLUMN;\n");
  auto bad = test::run_migsafe({"check", "--dialect", "mysql", d + "/2.sql"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE((bad.out + bad.err).find("2.sql:1:"), std::string::npos) << bad.out << bad.err;
  auto ex = test::run_migsafe({"explain", "--dialect", "mariadb", "change-column-type"});
  EXPECT_EQ(ex.exit_code, 0);
  EXPECT_NE(ex.out.find("ALTER TABLE users MODIFY age BIGINT"), std::string::npos) << ex.out;
}

// ---- every rule's twins, on MySQL 8.0 and MariaDB 10.11 ----
struct TwinCase {
  std::string rule;
  Dialect flavor;
};
void PrintTo(const TwinCase& c, std::ostream* os) {
  *os << c.rule << " on " << dialect_name(c.flavor);
}

std::vector<TwinCase> twin_cases() {
  std::vector<TwinCase> out;
  for (const auto& r : test::mysql_packs()[1].rules) {
    const auto& v = r.examples.version;
    if (!v || v->major < 10) out.push_back({r.id, Dialect::mysql});
    if (!v || v->major >= 10) out.push_back({r.id, Dialect::mariadb});
  }
  return out;
}

class MysqlTwins : public ::testing::TestWithParam<TwinCase> {};

TEST_P(MysqlTwins, DangerousFlaggedSafePasses) {
  const Rule* r = find_rule(test::mysql_packs(), GetParam().rule);
  ASSERT_NE(r, nullptr);
  if (!r->twins_elsewhere.empty()) GTEST_SKIP() << "twins in " << r->twins_elsewhere;
  ASSERT_FALSE(r->examples.bad.empty());
  ASSERT_FALSE(r->examples.good.empty());
  std::string version = r->examples.version ? r->examples.version->display() : "";
  auto run = [&](const std::string& sql) {
    std::vector<std::string> files;
    if (!r->examples.setup.empty()) files.push_back(r->examples.setup);
    files.push_back(sql);
    return test::check_mysql(files, GetParam().flavor, version);
  };
  auto bad = run(r->examples.bad);
  EXPECT_TRUE(bad.problems.empty()) << bad.problems[0].message;
  auto ids = test::rule_ids_in_last_file(bad);
  EXPECT_NE(std::find(ids.begin(), ids.end(), r->id), ids.end()) << r->id << " did not flag:\n"
                                                                 << r->examples.bad;
  auto good = run(r->examples.good);
  EXPECT_TRUE(good.problems.empty()) << good.problems[0].message;
  ids = test::rule_ids_in_last_file(good);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), r->id), ids.end())
      << r->id << " flagged its safe example:\n"
      << r->examples.good;
  if (!r->examples.setup.empty()) {
    auto setup = test::check_mysql({r->examples.setup}, GetParam().flavor, version);
    EXPECT_TRUE(setup.problems.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(MysqlPack, MysqlTwins, ::testing::ValuesIn(twin_cases()),
                         [](const auto& info) {
                           std::string n =
                               info.param.rule + "_" + std::string(dialect_name(info.param.flavor));
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(MysqlRules, NothingFiresOnATableCreatedInTheSameFile) {
  auto r =
      test::check_mysql({"CREATE TABLE fresh (id BIGINT PRIMARY KEY, a INT, b TEXT);\n"
                         "ALTER TABLE fresh MODIFY a BIGINT, ADD FULLTEXT INDEX ft (b), ADD COLUMN "
                         "n INT AUTO_INCREMENT UNIQUE;\n"
                         "ALTER TABLE fresh DROP PRIMARY KEY, ALGORITHM=COPY;\n"
                         "ALTER TABLE fresh CONVERT TO CHARACTER SET utf8mb4;\n"
                         "UPDATE fresh SET a = 1;\n"
                         "ALTER TABLE fresh DROP COLUMN a;\n"});
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].rule_id;
}

TEST(MysqlRules, DdlCommitsTheTransactionItRunsIn) {
  auto r = test::check_mysql(
      {"CREATE TABLE users (id BIGINT PRIMARY KEY);",
       "START TRANSACTION;\nALTER TABLE users ADD COLUMN a INT, ALGORITHM=INSTANT;\n"
       "ALTER TABLE users ADD COLUMN b INT, ALGORITHM=INSTANT;\nCOMMIT;\n"});
  // The first ALTER commits the transaction; the second runs outside it.
  EXPECT_EQ(test::count_rule(r, "ddl-in-transaction"), 1u);
}

TEST(MysqlRules, CalledProceduresAreCheckedStatementByStatement) {
  const std::string setup = "CREATE TABLE users (id BIGINT PRIMARY KEY, age INT, n INT);";
  const std::string proc =
      "CREATE PROCEDURE widen_age()\n"
      "BEGIN\n"
      "  DECLARE done INT;\n"
      "  SELECT COUNT(*) INTO done FROM information_schema.columns WHERE column_name = 'age';\n"
      "  IF done = 1 THEN\n"
      "    ALTER TABLE users MODIFY age BIGINT;\n"
      "  ELSE\n"
      "    UPDATE users SET n = CASE WHEN age > 1 THEN 1 ELSE 2 END;\n"
      "  END IF;\n"
      "END;\n";
  // Created only: nothing runs, nothing is reported.
  auto created = test::check_mysql({setup, proc});
  EXPECT_FALSE(test::has_rule(created, "change-column-type"));
  // Called: the statements inside IF / ELSE are checked where they are written.
  auto called = test::check_mysql({setup, proc + "CALL widen_age();\n"});
  const Finding* f = test::find_finding(called, "change-column-type");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at.line, 6u);
  const Finding* u = test::find_finding(called, "update-without-where");
  ASSERT_NE(u, nullptr);  // the CASE expression did not hide the UPDATE
  EXPECT_EQ(u->at.line, 8u);
  // A procedure's statements are not one transaction in MySQL.
  EXPECT_FALSE(test::has_rule(called, "ddl-in-transaction"));
  // The same with DELIMITER, and a join-restricted UPDATE is not "every row".
  auto delimited =
      test::check_mysql({setup,
                         "DELIMITER //\nCREATE PROCEDURE p() BEGIN\n"
                         "  UPDATE users u JOIN users v ON u.id = v.n SET u.n = 1;\n"
                         "  ALTER TABLE users DROP COLUMN n;\nEND //\nDELIMITER ;\nCALL p();\n"});
  EXPECT_TRUE(test::has_rule(delimited, "drop-column"));
  EXPECT_FALSE(test::has_rule(delimited, "update-without-where"));
}

TEST(MysqlRules, SuggestedClauseFollowsTheStatementsSyntax) {
  auto r = test::check_mysql({"CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20));",
                              "CREATE INDEX users_name ON users (name);\n"
                              "ALTER TABLE users ADD INDEX users_name2 (name);\n"});
  std::vector<std::string> suggestions;
  for (const auto& f : r.findings)
    if (f.rule_id == "alter-without-algorithm-lock") suggestions.push_back(f.instead);
  // CREATE INDEX takes its clauses without commas, ALTER TABLE lists them.
  EXPECT_EQ(suggestions, (std::vector<std::string>{
                             "CREATE INDEX users_name ON users (name) ALGORITHM=INPLACE LOCK=NONE;",
                             "ALTER TABLE users ADD INDEX users_name2 (name), ALGORITHM=INPLACE, "
                             "LOCK=NONE;"}));
}

TEST(MysqlRules, SuppressionsWorkInHashComments) {
  const std::string setup = "CREATE TABLE users (id BIGINT PRIMARY KEY, age INT);";
  auto flagged = test::check_mysql({setup, "ALTER TABLE users MODIFY age BIGINT;"});
  EXPECT_TRUE(test::has_rule(flagged, "change-column-type"));
  auto hushed = test::check_mysql({setup,
                                   "# migsafe:ignore change-column-type the table holds ten rows\n"
                                   "ALTER TABLE users MODIFY age BIGINT;"});
  EXPECT_FALSE(test::has_rule(hushed, "change-column-type"));
  EXPECT_FALSE(test::has_rule(hushed, "suppression-unused"));
}

TEST(MysqlRules, OnlyThisSessionsSettingsCount) {
  const std::string setup =
      "CREATE TABLE users (id BIGINT PRIMARY KEY);\n"
      "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT, KEY o_u (user_id));";
  const std::string fk = "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);";
  EXPECT_TRUE(
      test::has_rule(test::check_mysql({setup, "SET GLOBAL foreign_key_checks = 0;\n" + fk}),
                     "add-foreign-key-with-checks"));
  EXPECT_FALSE(
      test::has_rule(test::check_mysql({setup, "SET @@session.foreign_key_checks = OFF;\n" + fk}),
                     "add-foreign-key-with-checks"));
  // A lock_wait_timeout of a year is the default, not a protection.
  const std::string alter = "ALTER TABLE users ADD COLUMN a INT, ALGORITHM=INSTANT;";
  EXPECT_TRUE(
      test::has_rule(test::check_mysql({setup, "SET lock_wait_timeout = 31536000;\n" + alter}),
                     "missing-lock-wait-timeout"));
  EXPECT_FALSE(
      test::has_rule(test::check_mysql({setup, "SET SESSION lock_wait_timeout = 3;\n" + alter}),
                     "missing-lock-wait-timeout"));
}

// ---- the corpus ----
TEST(MysqlCorpus, EveryFileParsesWithoutACrash) {
  if (!test::shared_dir_available())
    GTEST_SKIP() << "../shared/corpus is not beside this checkout; the corpus test runs in CI";
  fs::path root = fs::path(test::shared_dir()) / "corpus" / "mysql";
  size_t files = 0, statements = 0, listed = 0, listed_other = 0, syntax_errors = 0;
  std::map<std::string, size_t> per_rule, other_by_word;
  // The statement kinds the front end promises to parse (the rest may stay `other`).
  const std::vector<std::string> promised = {"alter",    "create", "drop",   "rename", "truncate",
                                             "optimize", "update", "delete", "insert", "replace",
                                             "set",      "start",  "begin",  "commit"};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".sql") continue;
    std::shared_ptr<const SourceText> src;
    try {
      src = read_source(e.path().string());
    } catch (const InputError&) {
      continue;
    }
    ++files;
    ParsedFile f = parse_each(Dialect::mysql, *src, [&](Statement& st) {
      ++statements;
      if (std::find(promised.begin(), promised.end(), st.node) == promised.end()) return;
      // CREATE DATABASE / USER and the like are kept as `other` by design.
      bool create_other =
          st.node == "create" && st.ops.size() == 1 && st.ops[0].kind == OpKind::other;
      bool set_other = st.node == "set" && st.ops[0].kind == OpKind::other;
      if (create_other || set_other) return;
      ++listed;
      if (st.ops.empty() || st.ops[0].kind == OpKind::other) {
        ++listed_other;
        ++other_by_word[st.node];
      }
    });
    syntax_errors += f.syntax_errors.size();
    for (const auto& err : f.syntax_errors)
      if (syntax_errors <= 15)
        std::cout << "  syntax error: " << e.path().string() << ":" << err.pos.line << ":"
                  << err.pos.col << ": " << err.message << "\n";
  }
  ASSERT_GT(files, 500u);
  double parsed = 100.0 * static_cast<double>(listed - listed_other) /
                  static_cast<double>(std::max<size_t>(listed, 1));
  std::cout << "mysql corpus: " << files << " files, " << statements << " statements, " << listed
            << " of the listed kinds, " << parsed << "% of them parsed (not `other`), "
            << syntax_errors << " syntax errors\n";
  for (const auto& [w, n] : other_by_word) std::cout << "  other: " << w << " " << n << "\n";
  EXPECT_GE(parsed, 99.0);

  // The whole pipeline, project by project (each folder is one migration set), for both
  // servers: no crash, and the findings per rule printed so noise stays visible.
  for (Dialect d : {Dialect::mysql, Dialect::mariadb}) {
    CheckOptions opt;
    opt.dialect = d;
    opt.version = default_target_version(d);
    std::map<std::string, size_t> per_rule;
    for (const auto& project : fs::directory_iterator(root)) {
      if (!project.is_directory()) continue;
      CheckResult r = check_paths({project.path().string()}, test::mysql_packs(), opt);
      for (const auto& f : r.findings) ++per_rule[f.rule_id];
    }
    std::cout << dialect_name(d) << " findings per rule:";
    for (const auto& [id, n] : per_rule) std::cout << " " << id << "=" << n;
    std::cout << "\n";
  }
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(MysqlCli, ConfigChoosesTheServerAndVersion) {
  std::string d = test::temp_dir();
  test::write_file(d + "/.migsafe.yaml",
                   "dialect: mariadb\n"
                   "target_version: '10.3'\n"
                   "rules:\n"
                   "  missing-lock-wait-timeout: off\n");
  test::write_file(d + "/m/1.sql", "CREATE TABLE t (id INT PRIMARY KEY, a INT);\n");
  test::write_file(d + "/m/2.sql", "ALTER TABLE t ADD COLUMN b INT FIRST, ALGORITHM=INSTANT;\n");
  // MariaDB 10.3 adds columns instantly only at the end: the clause is refused.
  auto old = test::run_migsafe({"check", "--format", "json", "m"}, "", d);
  auto j = nlohmann::json::parse(old.out);
  EXPECT_EQ(j["dialect"], "mariadb");
  EXPECT_EQ(j["target_version"], "10.3");
  ASSERT_EQ(j["findings"].size(), 1u) << old.out;
  EXPECT_EQ(j["findings"][0]["rule"], "algorithm-not-supported");
  EXPECT_EQ(j["findings"][0]["effect"]["algorithm"], "INPLACE (rebuild)");
  // A flag wins over the file: from 10.4 the same ALTER is instant and nothing is reported.
  auto now =
      test::run_migsafe({"check", "--format", "json", "--target-version", "10.4", "m"}, "", d);
  EXPECT_EQ(nlohmann::json::parse(now.out)["findings"].size(), 0u) << now.out;
}

}  // namespace
}  // namespace migsafe
