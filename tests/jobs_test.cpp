// --jobs: a thread parsing ahead of the rules engine changes nothing a run prints. Compared
// byte for byte with a one-thread run, on the bundled fixtures, on folders of small files and
// one large file (the parse and the analysis overlap most there), on every runner's layout the
// fixtures hold, and on the migration corpus when ../shared is beside the checkout.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../src/parse_ahead.hpp"
#include "helpers.hpp"
#include "migsafe/parse.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

void expect_same_output(const std::vector<std::string>& args) {
  for (const char* format : {"text", "json", "sarif"}) {
    std::vector<std::string> one{"check", "--fail-on", "never", "--format", format, "--jobs", "1"};
    one.insert(one.end(), args.begin(), args.end());
    std::vector<std::string> two = one;
    two[6] = "2";
    test::CommandResult a = test::run_migsafe(one);
    test::CommandResult b = test::run_migsafe(two);
    EXPECT_EQ(a.exit_code, b.exit_code) << format << " " << args.back();
    EXPECT_EQ(a.err, b.err) << format << " " << args.back();
    EXPECT_TRUE(a.out == b.out) << format << " output differs for " << args.back();
    EXPECT_FALSE(a.out.empty()) << args.back();
  }
}

std::string statements(int n) {
  std::string sql = "CREATE TABLE t0 (id bigint PRIMARY KEY, a int);\n";
  for (int i = 1; i < n; ++i) {
    const std::string t = "t" + std::to_string(i % 50);
    switch (i % 5) {
      case 0:
        sql += "CREATE TABLE IF NOT EXISTS " + t + " (id bigint PRIMARY KEY, a int);\n";
        break;
      case 1:
        sql += "ALTER TABLE t0 ADD COLUMN c" + std::to_string(i) + " int DEFAULT 0;\n";
        break;
      case 2:
        sql += "CREATE INDEX i" + std::to_string(i) + " ON t0 (a);\n";
        break;
      case 3:
        sql += "UPDATE t0 SET a = " + std::to_string(i) + ";\n";
        break;
      default:
        sql +=
            "DO $$ BEGIN UPDATE t0 SET a = a + 1 WHERE id = " + std::to_string(i) + "; END $$;\n";
    }
  }
  return sql;
}

// A large file parsed ahead: statements that fail, bodies whose ';' move the batch boundaries,
// psql commands, wherever they fall among the batches and the hand-overs.
// 3,000 statements with failing ones, BEGIN ATOMIC bodies and psql commands among them.
std::string large_file_with_errors() {
  std::string sql;
  for (int i = 0; i < 3000; ++i) {
    if (i % 137 == 5) {
      sql += "ALTER TABLE t0 ADD COLUM broken" + std::to_string(i) + " int;\n";
    } else if (i % 251 == 7) {
      sql += "CREATE FUNCTION f" + std::to_string(i) +
             "() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n";
    } else if (i % 300 == 11) {
      sql += "\\set x " + std::to_string(i) + "\n";
    } else if (i % 2 == 0) {
      sql += "ALTER TABLE t" + std::to_string(i % 7) + " ADD COLUMN c" + std::to_string(i) +
             " int NOT NULL DEFAULT 0;\n";
    } else {
      sql += "CREATE INDEX i" + std::to_string(i) + " ON t" + std::to_string(i % 7) + " (a);\n";
    }
  }
  return sql;
}

TEST(Jobs, ALargeFileWithErrorsPrintsTheSame) {
  std::string sql = large_file_with_errors();
  std::string dir = test::temp_dir();
  test::write_file(dir + "/001_big.sql", sql);
  expect_same_output({dir + "/001_big.sql"});
  for (const char* jobs : {"1", "3"}) {
    test::CommandResult a =
        test::run_migsafe({"check", "--fail-on", "never", "--jobs", jobs, dir + "/001_big.sql"});
    test::CommandResult b =
        test::run_migsafe({"check", "--fail-on", "never", "--jobs", "2", dir + "/001_big.sql"});
    EXPECT_TRUE(a.out == b.out) << "--jobs " << jobs;
    EXPECT_NE(a.out.find("syntax error"), std::string::npos);
  }
}

// The rules engine, when it has caught up with the parser, parses batches ahead of it. Here a
// thread does nothing else, so it takes every batch it is offered: the statements, their order
// and the syntax errors are those of a parse alone.
TEST(Jobs, BatchesParsedAheadByAWaitingThreadAreTheSame) {
  auto src = make_source("big.sql", large_file_with_errors());
  struct Seen {
    std::vector<std::string> statements;
    ParsedFile parsed;
  };
  auto parse = [&](SpareWork* spare) {
    Seen seen;
    seen.parsed = parse_postgres_each(
        *src,
        [&](Statement& st) {
          std::string s = std::to_string(st.span.begin) + ":" + std::string(st.text) + ":";
          for (const Operation& op : st.ops) s += std::to_string(static_cast<int>(op.kind)) + ",";
          seen.statements.push_back(std::move(s));
        },
        spare);
    return seen;
  };
  Seen alone = parse(nullptr);
  SpareWork spare;
  std::atomic<bool> stop = false;
  std::atomic<int> helped = 0;
  std::thread helper([&] {
    while (!stop)
      if (spare.help()) ++helped;
  });
  Seen shared = parse(&spare);
  stop = true;
  helper.join();
  EXPECT_GT(helped.load(), 0) << "no batch was parsed ahead";
  EXPECT_EQ(alone.statements, shared.statements);
  EXPECT_EQ(alone.parsed.statements, shared.parsed.statements);
  ASSERT_EQ(alone.parsed.syntax_errors.size(), shared.parsed.syntax_errors.size());
  EXPECT_FALSE(alone.parsed.syntax_errors.empty());
  for (size_t i = 0; i < alone.parsed.syntax_errors.size(); ++i) {
    EXPECT_EQ(alone.parsed.syntax_errors[i].pos, shared.parsed.syntax_errors[i].pos);
    EXPECT_EQ(alone.parsed.syntax_errors[i].message, shared.parsed.syntax_errors[i].message);
  }
}

// The engine, when it has caught up with the parser, parses small files ahead of it. Here it
// does nothing with the statements, so it catches up often: each file's statements, in order,
// and what its parse found, are those of a parse alone.
TEST(Jobs, FilesParsedAheadByTheWaitingEngineAreTheSame) {
  std::vector<std::shared_ptr<const SourceText>> sources;
  std::vector<ParseAhead::Job> jobs;
  for (int f = 0; f < 400; ++f) {
    std::string sql = "CREATE TABLE t" + std::to_string(f) + " (a int);\n";
    for (int i = 0; i < 8; ++i)
      sql += (f + i) % 29 == 3
                 ? "ALTER TABLE t ADD COLUM broken int;\n"
                 : "CREATE INDEX i" + std::to_string(i) + " ON t" + std::to_string(f) + " (a);\n";
    sources.push_back(make_source(std::to_string(f) + ".sql", sql));
    jobs.push_back({sources.back(), Direction::up});
  }
  auto describe = [](std::vector<std::string>& out) {
    return [&out](Statement& st) {
      out.push_back(std::to_string(st.span.begin) + ":" + std::string(st.text));
    };
  };
  std::vector<std::vector<std::string>> alone(sources.size());
  std::vector<ParsedFile> expected;
  for (size_t f = 0; f < sources.size(); ++f)
    expected.push_back(parse_each(Dialect::postgres, *sources[f], describe(alone[f])));
  CheckOptions opt;
  opt.jobs = 2;
  ParseAhead ahead(jobs, Layout::plain, opt, RunnerSettings{});
  for (size_t f = 0; f < sources.size(); ++f) {
    std::vector<std::string> shared;
    ahead.begin_file();
    ParsedFile got = ahead.statements(describe(shared));
    EXPECT_EQ(alone[f], shared) << sources[f]->path();
    ASSERT_EQ(expected[f].syntax_errors.size(), got.syntax_errors.size()) << sources[f]->path();
    for (size_t i = 0; i < got.syntax_errors.size(); ++i)
      EXPECT_EQ(expected[f].syntax_errors[i].message, got.syntax_errors[i].message);
  }
  EXPECT_GT(ahead.files_parsed_ahead(), 0u) << "no file was parsed ahead";
}

TEST(Jobs, FixturesPrintTheSame) {
  for (const auto& dir :
       {"fixtures/postgres/unsafe", "fixtures/postgres/safe", "fixtures/hygiene/unhygienic"})
    expect_same_output({std::string(MIGSAFE_SOURCE_DIR) + "/" + dir});
  expect_same_output(
      {"--dialect", "mysql", std::string(MIGSAFE_SOURCE_DIR) + "/fixtures/mysql/unsafe"});
}

TEST(Jobs, ManyFilesAndOneLargeFilePrintTheSame) {
  std::string many = test::temp_dir();
  for (int f = 0; f < 300; ++f) {
    char name[32];
    std::snprintf(name, sizeof name, "/%04d_m.sql", f);
    test::write_file(many + name, statements(10));
  }
  expect_same_output({many});
  std::string large = test::temp_dir();
  test::write_file(large + "/001_big.sql", statements(5000));
  expect_same_output({large + "/001_big.sql"});
  // Going down, the files are taken in the other order.
  std::string goose = test::temp_dir();
  for (int f = 1; f <= 20; ++f)
    test::write_file(goose + "/" + std::to_string(f) + "_m.sql",
                     "-- +goose Up\nCREATE TABLE g" + std::to_string(f) +
                         " (id int);\n-- +goose Down\nDROP TABLE g" + std::to_string(f) + ";\n");
  expect_same_output({"--direction", "down", goose});
}

// A report of thousands of findings is rendered by two threads in alternate chunks: the same
// bytes as one thread's, plain and coloured, whatever number of chunks (an odd or even count,
// a last one partly filled).
TEST(Jobs, ALongReportWrittenByTwoThreadsIsTheSame) {
  for (int n : {12000, 15000, 21000}) {
    std::string dir = test::temp_dir();
    test::write_file(dir + "/001_big.sql", statements(n));
    for (const char* color : {"never", "always"}) {
      std::vector<std::string> args{"check", "--fail-on", "never", "--color",
                                    color,   "--jobs",    "1",     dir + "/001_big.sql"};
      test::CommandResult a = test::run_migsafe(args);
      args[6] = "2";
      test::CommandResult b = test::run_migsafe(args);
      size_t findings = 0;
      for (size_t at = a.out.find("\n\n"); at != std::string::npos; at = a.out.find("\n\n", at + 2))
        ++findings;
      EXPECT_GT(findings, 2048u) << "enough findings for the two-thread report: " << n;
      EXPECT_TRUE(a.out == b.out) << n << " " << color;
      EXPECT_EQ(a.exit_code, b.exit_code);
    }
  }
}

TEST(Jobs, CorpusPrintsTheSame) {
  if (!test::shared_dir_available())
    GTEST_SKIP() << "../shared/corpus is not beside this checkout; the corpus test runs in CI";
  for (const char* dialect : {"postgres", "mysql", "sqlite"}) {
    fs::path root = fs::path(test::shared_dir()) / "corpus" / dialect;
    for (const auto& project : fs::directory_iterator(root))
      if (project.is_directory())
        expect_same_output({"--dialect", dialect, project.path().string()});
  }
}

}  // namespace
}  // namespace migsafe
