// CI integration through the real binary: config files, layouts, --changed-since with a real
// git repository, migsafe.sum, and the CI output formats.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "helpers.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;
using test::run_migsafe;
using test::temp_dir;
using test::write_file;

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const std::string kCreate = "CREATE TABLE t (id int, a int);\n";
const std::string kIndex = "SET lock_timeout = '1s';\nCREATE INDEX t_a ON t (a);\n";

TEST(ChangedSince, ReportsOnlyNewMigrationsAndFlagsEditedOnes) {
  std::string d = temp_dir();
  write_file(d + "/migrations/001_create.sql", kCreate);
  write_file(d + "/migrations/002_index.sql", kIndex);
  ASSERT_EQ(sh("cd '" + d +
               "' && git init -q && git config user.email t@t && git config user.name t"
               " && git add -A && git commit -qm base"),
            0);
  // Unchanged since HEAD: replayed, not reported.
  auto clean = run_migsafe({"check", "--changed-since", "HEAD", "migrations"}, "", d);
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_FALSE(contains(clean.out, "create-index-not-concurrent"));
  // A new file is reported, with the schema replayed from the old ones (t is not new in it).
  write_file(d + "/migrations/003_drop.sql",
             "SET lock_timeout = '1s';\nALTER TABLE t DROP COLUMN a;\n");
  auto added = run_migsafe({"check", "--changed-since", "HEAD", "migrations"}, "", d);
  EXPECT_EQ(added.exit_code, 1);
  EXPECT_TRUE(contains(added.out, "003_drop.sql:2:1: error[drop-column]")) << added.out;
  EXPECT_FALSE(contains(added.out, "002_index.sql:2:1: error[create-index-not-concurrent]"));
  // Editing an applied migration is an error of its own.
  write_file(d + "/migrations/001_create.sql", kCreate + "-- tweak\n");
  auto edited = run_migsafe({"check", "--changed-since", "HEAD", "migrations"}, "", d);
  EXPECT_TRUE(contains(edited.out, "001_create.sql:1:1: error[migration-edited]")) << edited.out;
  auto bad_ref = run_migsafe({"check", "--changed-since", "no-such-branch", "migrations"}, "", d);
  EXPECT_EQ(bad_ref.exit_code, 2);
  EXPECT_TRUE(contains(bad_ref.out, "no-such-branch: error[input-error]: is not a git revision"));
}

// Adopting migsafe on a long history: what migsafe.sum records at the base revision is applied.
TEST(MigrationSum, CommittedSumIsTheBaseline) {
  std::string d = temp_dir();
  write_file(d + "/migrations/001_create.sql", kCreate);
  write_file(d + "/migrations/002_index.sql", kIndex);  // an old error
  ASSERT_EQ(sh("cd '" + d + "' && git init -q && git config user.email t@t && git config " +
               "user.name t && git add -A && git commit -qm old"),
            0);
  // Without a committed sum, all of it is judged.
  EXPECT_EQ(run_migsafe({"check", "migrations"}, "", d).exit_code, 1);
  ASSERT_EQ(run_migsafe({"sum", "migrations"}, "", d).exit_code, 0);
  // Recorded but not committed yet: still judged (the baseline is HEAD's sum).
  EXPECT_EQ(run_migsafe({"check", "migrations"}, "", d).exit_code, 1);
  ASSERT_EQ(sh("cd '" + d + "' && git add -A && git commit -qm baseline"), 0);
  auto base = run_migsafe({"check", "--format", "json", "migrations"}, "", d);
  EXPECT_EQ(base.exit_code, 0) << base.out;
  auto doc = nlohmann::json::parse(base.out);
  EXPECT_EQ(doc["summary"]["history_files"], 2);
  EXPECT_EQ(doc["summary"]["files"], 0);
  // A new migration is judged against the replayed schema, even when the change records it.
  write_file(d + "/migrations/003_more.sql", "CREATE INDEX t_id ON t (id);\n");
  ASSERT_EQ(run_migsafe({"sum", "migrations"}, "", d).exit_code, 0);
  auto added = run_migsafe({"check", "migrations"}, "", d);
  EXPECT_EQ(added.exit_code, 1);
  EXPECT_TRUE(contains(added.out, "003_more.sql:1:1: error[create-index-not-concurrent]"))
      << added.out;
  EXPECT_FALSE(contains(added.out, "002_index.sql")) << added.out;
  // The same with --changed-since: the sum at that revision is the baseline.
  auto since = run_migsafe({"check", "--changed-since", "HEAD", "migrations"}, "", d);
  EXPECT_TRUE(contains(since.out, "003_more.sql:1:1: error[create-index-not-concurrent]"));
  EXPECT_FALSE(contains(since.out, "002_index.sql")) << since.out;
  // An applied migration edited: judged again, and an error of its own.
  write_file(d + "/migrations/002_index.sql", kIndex + "-- tweak\n");
  ASSERT_EQ(run_migsafe({"sum", "migrations"}, "", d).exit_code, 0);
  auto edited = run_migsafe({"check", "migrations"}, "", d);
  EXPECT_TRUE(contains(edited.out, "002_index.sql:1:1: error[migration-edited]")) << edited.out;
  EXPECT_TRUE(contains(edited.out, "002_index.sql:2:1: error[create-index-not-concurrent]"));
}

TEST(MigrationSum, DetectsEditedRemovedInsertedAndUnrecordedFiles) {
  std::string d = temp_dir() + "/m";
  write_file(d + "/1_create.sql", kCreate);
  write_file(d + "/2_index.sql", "CREATE INDEX CONCURRENTLY t_a ON t (a);\n");
  auto sum = run_migsafe({"sum", d});
  ASSERT_EQ(sum.exit_code, 0) << sum.err;
  std::string recorded = test::read_file(d + "/migsafe.sum");
  EXPECT_TRUE(contains(recorded, "migsafe-sum 1\n"));
  EXPECT_EQ(run_migsafe({"check", d}).exit_code, 0);

  write_file(d + "/2_index.sql", "CREATE INDEX CONCURRENTLY t_a ON t (a, id);\n");
  auto edited = run_migsafe({"check", d});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_TRUE(contains(edited.out,
                       "2_index.sql:1:1: error[migration-sum-mismatch]: 2_index.sql was edited"));

  write_file(d + "/2_index.sql", "CREATE INDEX CONCURRENTLY t_a ON t (a);\n");
  write_file(d + "/0_first.sql", "SELECT 1;\n");
  write_file(d + "/3_last.sql", "SELECT 2;\n");
  auto inserted = run_migsafe({"check", d});
  EXPECT_TRUE(contains(inserted.out, "0_first.sql was inserted before migrations recorded"));
  EXPECT_TRUE(contains(inserted.out, "3_last.sql is not in migsafe.sum"));

  fs::remove(d + "/0_first.sql");
  fs::remove(d + "/1_create.sql");
  auto removed = run_migsafe({"check", d});
  EXPECT_TRUE(contains(removed.out,
                       "migsafe.sum:2:1: error[migration-sum-mismatch]: 1_create.sql was removed"))
      << removed.out;

  // Two branches that each append a migration change the same last line: git conflicts.
  write_file(d + "/1_create.sql", kCreate);
  fs::remove(d + "/3_last.sql");
  ASSERT_EQ(run_migsafe({"sum", d}).exit_code, 0);
  std::string base = test::read_file(d + "/migsafe.sum");
  write_file(d + "/3_a.sql", "SELECT 3;\n");
  run_migsafe({"sum", d});
  std::string branch_a = test::read_file(d + "/migsafe.sum");
  EXPECT_EQ(branch_a.substr(0, base.size()), base) << "recorded lines never change when appending";

  write_file(d + "/migsafe.sum", "not a sum file\n");
  auto malformed = run_migsafe({"check", d});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_TRUE(
      contains(malformed.out, "migsafe.sum:1:1: error[input-error]: is not a migsafe.sum file"));
}

TEST(Config, FoundUpwardAndAppliedWithFlagsWinning) {
  std::string d = temp_dir();
  write_file(d + "/.migsafe.yaml",
             "dialect: postgres\n"
             "target_version: 11\n"
             "transactions: per-file\n"
             "fail_on: warning\n"
             "packs: [postgres-style]\n"
             "exclude: ['*legacy*']\n"
             "rules:\n"
             "  drop-column: warning\n"
             "  missing-lock-timeout: off\n"
             "  require-table-schema: {enabled: false}\n");
  write_file(d + "/db/migrations/1_create.sql", kCreate);
  write_file(d + "/db/migrations/2_change.sql",
             "ALTER TABLE t DROP COLUMN a;\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n");
  write_file(d + "/db/migrations/legacy/0_broken.sql", "THIS IS NOT SQL;\n");
  auto r = run_migsafe({"check", "--format", "json", "migrations"}, "", d + "/db");
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["target_version"], "11");
  EXPECT_EQ(j["transactions"], "per-file");
  EXPECT_EQ(j["summary"]["fail_on"], "warning");
  EXPECT_EQ(j["files"].size(), 2u) << "the excluded file is not read";
  std::set<std::string> rules;
  for (const auto& f : j["findings"])
    rules.insert(f["rule"].get<std::string>() + ":" + f["severity"].get<std::string>());
  EXPECT_TRUE(rules.count("drop-column:warning"));
  EXPECT_TRUE(rules.count("concurrently-in-transaction:error")) << "per-file mode from the config";
  EXPECT_TRUE(rules.count("prefer-bigint-over-int:warning")) << "style pack from the config";
  EXPECT_FALSE(rules.count("missing-lock-timeout:warning"));
  EXPECT_EQ(r.exit_code, 1);
  // Flags override the config.
  auto flags = run_migsafe({"check", "--format", "json", "--transactions", "autocommit",
                            "--target-version", "16", "migrations"},
                           "", d + "/db");
  auto jf = nlohmann::json::parse(flags.out);
  EXPECT_EQ(jf["target_version"], "16");
  EXPECT_EQ(jf["transactions"], "autocommit");
  // --config names another file.
  write_file(d + "/other.yaml", "fail_on: never\nexclude: ['*legacy*']\n");
  auto other = run_migsafe({"check", "--config", d + "/other.yaml", "migrations"}, "", d + "/db");
  EXPECT_EQ(other.exit_code, 0);
}

TEST(Config, MistakesAreExit2WithLineAndValidKeys) {
  std::string d = temp_dir();
  write_file(d + "/m.sql", "SELECT 1;\n");
  write_file(d + "/.migsafe.yaml", "dialect: postgres\nfail-on: error\n");
  auto unknown = run_migsafe({"check", "m.sql"}, "", d);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err,
                       ".migsafe.yaml:2:1: error: unknown key 'fail-on' (valid keys: dialect,"))
      << unknown.err;
  write_file(d + "/.migsafe.yaml", "rules:\n  drop-colum: off\n");
  auto bad_rule = run_migsafe({"check", "m.sql"}, "", d);
  EXPECT_EQ(bad_rule.exit_code, 2);
  EXPECT_TRUE(
      contains(bad_rule.err, ".migsafe.yaml:2:3: error: no active rule has the id 'drop-colum'"));
  write_file(d + "/.migsafe.yaml", "transactions: sometimes\n");
  auto bad_value = run_migsafe({"check", "m.sql"}, "", d);
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_TRUE(contains(bad_value.err, ".migsafe.yaml:1:15: error: transactions must be"));
  write_file(d + "/.migsafe.yaml", "packs: [unclosed\n");
  EXPECT_EQ(run_migsafe({"check", "m.sql"}, "", d).exit_code, 2);
}

struct LayoutCase {
  std::string layout;
  std::vector<std::string> files;  // migrations, in the order they must run
  std::vector<std::string> ignored;
};

TEST(Layouts, EachToolsNamingSelectsAndOrdersItsFiles) {
  std::vector<LayoutCase> cases{
      {"flyway",
       {"V1__create.sql", "V1_1__alter.sql", "V2__index.sql", "V10__more.sql", "R__view.sql"},
       {"U2__undo.sql", "v3__lowercase.sql"}},
      {"golang-migrate",
       {"1_create.up.sql", "2_index.up.sql", "10_more.up.sql"},
       {"1_create.down.sql"}},
      {"diesel",
       {"2020-01-01-000000_create/up.sql", "2020-02-01-000000_index/up.sql"},
       {"2020-01-01-000000_create/down.sql"}},
      {"sqlx", {"20200101_create.sql", "20200201_index.sql"}, {"20200201_index.down.sql"}},
      {"prisma", {"20200101_init/migration.sql", "20200201_more/migration.sql"}, {"seed.sql"}},
      {"plain", {"1_create.sql", "2_index.sql", "10_more.sql"}, {"notes.sql"}},
  };
  for (const auto& c : cases) {
    std::string d = temp_dir();
    for (size_t i = 0; i < c.files.size(); ++i)
      write_file(d + "/" + c.files[i], i == 0 ? kCreate : "SELECT " + std::to_string(i) + ";\n");
    for (const auto& f : c.ignored) write_file(d + "/" + f, "THIS IS NOT SQL;\n");
    auto r = run_migsafe({"check", "--format", "json", "--layout", c.layout, d});
    ASSERT_EQ(r.exit_code, 0) << c.layout << "\n" << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["files"].size(), c.files.size()) << c.layout;
    for (size_t i = 0; i < c.files.size(); ++i)
      EXPECT_EQ(j["files"][i]["path"], d + "/" + c.files[i]) << c.layout;
  }
}

TEST(Formats, GithubAnnotationsAreEscapedWorkflowCommands) {
  std::string d = temp_dir();
  write_file(d + "/a,b.sql", "CREATE INDEX i ON t (a);\n");
  auto r = run_migsafe({"check", "--format", "github", d + "/a,b.sql"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(
      r.out,
      "::error file=" + d +
          "/a%2Cb.sql,line=1,col=1,endLine=1,title=migsafe create-index-not-concurrent::CREATE "
          "INDEX on t blocks writes until the build ends%0Alock: SHARE on t"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "::warning file="));
  for (const auto& line : {std::string("::error"), std::string("::warning")})
    EXPECT_TRUE(contains(r.out, line));
}

TEST(Formats, MarkdownSummaryHasATablePerFileAndTheSaferSql) {
  auto r = run_migsafe({"check", "--format", "markdown", "fixtures/postgres/unsafe"}, "",
                       MIGSAFE_SOURCE_DIR);
  EXPECT_TRUE(contains(r.out, "## migsafe: blocked"));
  EXPECT_TRUE(contains(r.out,
                       "### `fixtures/postgres/unsafe/002_orders_customer_index.sql`\n\n| Severity "
                       "| Line | Rule | Finding |"));
  EXPECT_TRUE(contains(r.out, "| **error** | 2:1 | `create-index-not-concurrent` |"));
  EXPECT_TRUE(contains(r.out,
                       "```sql\n-- outside a transaction block:\nCREATE INDEX CONCURRENTLY "
                       "orders_customer_id_idx ON orders (customer_id);\n```"));
  auto clean = run_migsafe({"check", "--format", "markdown", "fixtures/postgres/safe"}, "",
                           MIGSAFE_SOURCE_DIR);
  EXPECT_TRUE(contains(clean.out, "## migsafe: passed"));
  EXPECT_TRUE(contains(clean.out, "No findings."));
}

TEST(Formats, JunitHasATestcasePerFile) {
  std::string d = temp_dir();
  write_file(d + "/m/1.sql", kCreate);
  write_file(d + "/m/2.sql", "CREATE INDEX i ON t (a) WHERE b = '<b>&';\n");
  write_file(d + "/m/3.sql", "ALTER TABLE t ADD COLUMN;\n");
  auto r = run_migsafe({"check", "--format", "junit", d + "/m"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(
      contains(r.out, "<testsuites name=\"migsafe\" tests=\"3\" failures=\"1\" errors=\"1\">"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "<testcase classname=\"migsafe\" name=\"" + d + "/m/1.sql\""));
  EXPECT_TRUE(contains(r.out,
                       "<failure type=\"migsafe\" message=\"1 blocking finding(s), first: "
                       "create-index-not-concurrent\">"));
  EXPECT_TRUE(contains(r.out, "<error type=\"syntax-error\""));
  EXPECT_FALSE(contains(r.out, "<b>")) << "markup in SQL must be escaped";
}

}  // namespace
}  // namespace migsafe
