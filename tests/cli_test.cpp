// The binary end to end: exit codes, bad input, formats, subcommands.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "helpers.hpp"

namespace migsafe {
namespace {

using test::run_migsafe;
using test::temp_dir;
using test::write_file;

// The shared libraries the executable names (readelf's NEEDED entries).
std::vector<std::string> needed_libraries(const std::string& binary) {
  std::vector<std::string> out;
  std::string cmd = "readelf -d --wide '" + binary + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char line[4096];
  while (fgets(line, sizeof line, p.get())) {
    std::string l(line);
    size_t open = l.find("(NEEDED)");
    size_t lb = l.find('[', open), rb = l.find(']', lb);
    if (open != std::string::npos && lb != std::string::npos && rb != std::string::npos)
      out.push_back(l.substr(lb + 1, rb - lb - 1));
  }
  return out;
}

// A pre-commit run is a few milliseconds, and loading the shared C++ runtime was half a
// millisecond of it: the executable carries its runtime, and simdjson (a shared library only)
// stays in the snapshot module.
TEST(Cli, ExecutableNeedsNoSharedCxxRuntime) {
  std::vector<std::string> needed = needed_libraries(MIGSAFE_BINARY);
  ASSERT_FALSE(needed.empty()) << "readelf listed nothing for " << MIGSAFE_BINARY;
  EXPECT_NE(std::find(needed.begin(), needed.end(), "libc.so.6"), needed.end());
  for (const auto& lib : needed) {
    EXPECT_EQ(lib.find("libsimdjson"), std::string::npos) << lib;
    if (MIGSAFE_RUNTIME_IS_STATIC) {
      EXPECT_EQ(lib.find("libstdc++"), std::string::npos) << lib;
      EXPECT_EQ(lib.find("libgcc_s"), std::string::npos) << lib;
    }
  }
}

// The allocator is mimalloc's for the whole process: every reference to malloc and free, the C
// library's own and the snapshot modules' included, binds to it (the dynamic loader says so).
TEST(Cli, EveryMallocBindsToMimalloc) {
  if (!MIGSAFE_USES_MIMALLOC) GTEST_SKIP() << "built without mimalloc (a sanitizer build)";
  std::vector<std::string> needed = needed_libraries(MIGSAFE_BINARY);
  auto at = [&](std::string_view prefix) {
    return std::find_if(needed.begin(), needed.end(),
                        [&](const std::string& l) { return l.starts_with(prefix); });
  };
  ASSERT_NE(at("libmimalloc"), needed.end());
  EXPECT_LT(at("libmimalloc"), at("libc.so")) << "mimalloc must come before the C library";
  std::string cmd =
      "LD_DEBUG=bindings '" + std::string(MIGSAFE_BINARY) + "' --version 2>&1 >/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(p);
  char line[4096];
  int bindings = 0;
  while (fgets(line, sizeof line, p.get())) {
    std::string l(line);
    if (l.find("`malloc'") == std::string::npos && l.find("`free'") == std::string::npos) continue;
    ++bindings;
    EXPECT_NE(l.find("libmimalloc"), std::string::npos) << l;
  }
  EXPECT_GT(bindings, 0) << "the dynamic loader showed no binding of malloc or free";
}

TEST(Cli, ExitCodesFollowTheContract) {
  std::string d = temp_dir();
  write_file(d + "/ok.sql", "CREATE TABLE t (id int);\n");
  write_file(d + "/bad.sql", "CREATE INDEX i ON t (a);\n");
  write_file(d + "/warn.sql", "ALTER TABLE t DISABLE TRIGGER ALL;\n");
  EXPECT_EQ(run_migsafe({"check", d + "/ok.sql"}).exit_code, 0);
  EXPECT_EQ(run_migsafe({"check", d + "/bad.sql"}).exit_code, 1);
  EXPECT_EQ(run_migsafe({"check", "--fail-on", "never", d + "/bad.sql"}).exit_code, 0);
  EXPECT_EQ(run_migsafe({"check", d + "/warn.sql"}).exit_code, 0);
  EXPECT_EQ(run_migsafe({"check", "--fail-on", "warning", d + "/warn.sql"}).exit_code, 1);
  EXPECT_EQ(run_migsafe({"check"}).exit_code, 2);
  EXPECT_EQ(run_migsafe({"check", "--dialect", "oracle", d + "/ok.sql"}).exit_code, 2);
  EXPECT_EQ(run_migsafe({"check", "--target-version", "9.6", d + "/ok.sql"}).exit_code, 2);
  EXPECT_EQ(run_migsafe({"check", "--format", "xml", d + "/ok.sql"}).exit_code, 2);
  EXPECT_EQ(run_migsafe({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_migsafe({"--version"}).exit_code, 0);
}

struct BadInput {
  std::string name;
  std::string content;
  std::string expect_in_output;
};

TEST(Cli, BadInputIsAClearErrorWithExit2) {
  std::string d = temp_dir();
  std::vector<BadInput> cases{
      {"latin1.sql", "SELECT 1;\nSELECT 'caf\xe9';\n",
       "bad.sql:2:12: error[input-error]: is not valid UTF-8"},
      {"nul.sql", std::string("SELECT 1;\nSEL\0ECT 2;\n", 21),
       "bad.sql:2:4: error[input-error]: contains a NUL byte"},
      {"string.sql", "SELECT 1;\nSELECT 'never closed;\n",
       "bad.sql:2:8: error[syntax-error]: unterminated quoted string"},
      {"dollar.sql", "DO $$ BEGIN\nRAISE NOTICE 'x';\n",
       "bad.sql:1:4: error[syntax-error]: unterminated dollar-quoted string $$"},
      {"syntax.sql", "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN;\n",
       "bad.sql:2:25: error[syntax-error]: syntax error at or near \";\""},
  };
  for (const auto& c : cases) {
    std::string path = d + "/" + c.name;
    write_file(path, c.content);
    auto r = run_migsafe({"check", path});
    EXPECT_EQ(r.exit_code, 2) << c.name << "\n" << r.out << r.err;
    std::string want = c.expect_in_output;
    want.replace(0, 7, path);
    EXPECT_NE(r.out.find(want), std::string::npos) << c.name << " output:\n"
                                                   << r.out << "\nwanted: " << want;
  }
}

TEST(Cli, MissingPathsAndEmptyFolders) {
  std::string d = temp_dir();
  auto missing = run_migsafe({"check", d + "/nope.sql"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find(d + "/nope.sql: error[input-error]: does not exist"),
            std::string::npos);
  std::filesystem::create_directories(d + "/empty");
  write_file(d + "/empty/readme.txt", "no sql here");
  auto empty = run_migsafe({"check", d + "/empty"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.out.find("no .sql migration files"), std::string::npos);
}

TEST(Cli, SyntaxErrorStillReportsEarlierFindings) {
  std::string d = temp_dir();
  write_file(d + "/m.sql", "CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN;\n");
  auto r = run_migsafe({"check", d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("error[create-index-not-concurrent]"), std::string::npos);
  EXPECT_NE(r.out.find("error[syntax-error]"), std::string::npos);
}

TEST(Cli, HugeFileIsRefusedWithAMessage) {
  std::string d = temp_dir();
  std::string path = d + "/huge.sql";
  {
    std::ofstream out(path, std::ios::binary);
    std::string line(1023, 'x');
    line = "-- " + line.substr(3) + "\n";
    for (int i = 0; i < 100 * 1024; ++i) out << line;  // 100 MiB
  }
  auto r = run_migsafe({"check", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("huge.sql: error[input-error]: is 100 MiB, larger than"), std::string::npos)
      << r.out;
  std::filesystem::remove(path);
}

TEST(Cli, FolderIsAnOrderedMigrationSet) {
  std::string d = temp_dir();
  // Natural order: 2_ creates the table, 10_ indexes it; a plain sort would run 10_ first.
  write_file(d + "/set/2_create.sql", "CREATE TABLE t (id int, a int);\n");
  write_file(d + "/set/10_index.sql", "SET lock_timeout = '2s';\nCREATE INDEX t_a ON t (a);\n");
  write_file(d + "/set/10_index.down.sql", "DROP TABLE t;\n");
  auto r = run_migsafe({"check", "--format", "json", d + "/set"});
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_NE(j["files"][0]["path"].get<std::string>().find("2_create.sql"), std::string::npos);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["rule"], "create-index-not-concurrent");
}

TEST(Cli, ReadsStdin) {
  std::string d = temp_dir();
  write_file(d + "/in.sql", "VACUUM FULL orders;\n");
  auto r = run_migsafe({"check", "-"}, d + "/in.sql");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("<stdin>:1:1: error[vacuum-full]"), std::string::npos) << r.out;
}

TEST(Cli, JsonOutputFollowsTheDocumentedSchema) {
  std::string d = temp_dir();
  write_file(d + "/m.sql",
             "BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers "
             "(id);\nCOMMIT;\n");
  auto r = run_migsafe({"check", "--format", "json", "--target-version", "14", d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["dialect"], "postgres");
  EXPECT_EQ(j["target_version"], "14");
  EXPECT_EQ(j["transactions"], "autocommit");
  const auto& f = j["findings"].at(0);
  EXPECT_EQ(f["rule"], "add-foreign-key-validates");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_EQ(f["start"]["line"], 2);
  EXPECT_EQ(f["start"]["column"], 24);  // at CONSTRAINT
  EXPECT_EQ(f["effect"]["lock"], "SHARE ROW EXCLUSIVE");
  EXPECT_EQ(f["effect"]["blocks_writes"], true);
  EXPECT_EQ(f["effect"]["blocks_reads"], false);
  EXPECT_EQ(f["effect"]["other_locks"][0]["table"], "customers");
  EXPECT_TRUE(f["instead"].get<std::string>().find("NOT VALID") != std::string::npos);
  EXPECT_EQ(j["summary"]["errors"], 1);
  EXPECT_EQ(j["summary"]["blocked"], true);
  EXPECT_TRUE(j["errors"].empty());
}

TEST(Cli, RulesAndExplain) {
  auto rules = run_migsafe({"rules"});
  EXPECT_EQ(rules.exit_code, 0);
  EXPECT_NE(rules.out.find("create-index-not-concurrent"), std::string::npos);
  auto ex = run_migsafe({"explain", "set-not-null-scan"});
  EXPECT_EQ(ex.exit_code, 0);
  EXPECT_NE(ex.out.find("Flagged (bad)"), std::string::npos);
  EXPECT_NE(ex.out.find("Passes (good)"), std::string::npos);
  EXPECT_NE(ex.out.find("ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;"),
            std::string::npos);
  auto alias = run_migsafe({"explain", "require-concurrent-index-creation"});
  EXPECT_EQ(alias.exit_code, 0);
  EXPECT_NE(alias.out.find("create-index-not-concurrent"), std::string::npos);
  EXPECT_EQ(run_migsafe({"explain", "no-such-rule"}).exit_code, 2);
}

TEST(Cli, ExtraPackAndMalformedPack) {
  std::string d = temp_dir();
  write_file(d + "/m.sql", "GRANT SELECT ON t TO PUBLIC;\n");
  auto r = run_migsafe({"check", "--pack",
                        std::string(MIGSAFE_SOURCE_DIR) + "/fixtures/packs/team-example.yaml",
                        d + "/m.sql"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("error[team-no-grant-to-public]"), std::string::npos);
  write_file(d + "/broken.yaml",
             "pack: b\ndialect: postgres\nrules:\n  - id: x\n    severity: loud\n");
  auto bad = run_migsafe({"check", "--pack", d + "/broken.yaml", d + "/m.sql"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(d + "/broken.yaml:5:15: error: severity must be"), std::string::npos)
      << bad.err;
}

TEST(Cli, NoColorWhenNotATerminal) {
  std::string d = temp_dir();
  write_file(d + "/m.sql", "VACUUM FULL t;\n");
  auto plain = run_migsafe({"check", d + "/m.sql"});
  EXPECT_EQ(plain.out.find('\033'), std::string::npos);
  auto forced = run_migsafe({"check", "--color", "always", d + "/m.sql"});
  EXPECT_NE(forced.out.find('\033'), std::string::npos);
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// The README is the user's rule list: every shipped rule must be in it.
TEST(Docs, ReadmeListsEveryShippedRule) {
  std::string readme = test::read_file(std::string(MIGSAFE_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(readme.empty());
  std::vector<Pack> packs = test::shipped_postgres_packs();
  packs.push_back(load_shipped_pack("hygiene"));
  for (const auto& p : packs)
    for (const auto& r : p.rules)
      EXPECT_NE(readme.find("| `" + r.id + "` | " + std::string(severity_name(r.severity)) + " |"),
                std::string::npos)
          << r.id << " (" << severity_name(r.severity)
          << ") is missing from the README's rule table";
}

// Every condition name the engine knows is documented for team pack authors.
TEST(Docs, ReadmeDocumentsTheConditionLanguage) {
  std::string readme = test::read_file(std::string(MIGSAFE_SOURCE_DIR) + "/README.md");
  for (const auto& a : known_attributes())
    EXPECT_NE(readme.find("`" + a + "`"), std::string::npos) << a;
  for (const auto& e : known_effects())
    EXPECT_NE(readme.find("`" + e + "`"), std::string::npos) << e;
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// The README's CI examples must at least be well-formed YAML of the right shape, and use only
// migsafe options that exist. (pre-commit's example is run for real by precommit_test.sh.)
std::string example(const std::string& readme, const std::string& name) {
  std::string marker = "<!-- example: " + name + " -->";
  size_t at = readme.find(marker);
  if (at == std::string::npos) return {};
  size_t begin = readme.find("```yaml\n", at);
  size_t end = readme.find("```", begin + 8);
  return readme.substr(begin + 8, end - begin - 8);
}

TEST(Docs, ReadmeCiExamplesAreValid) {
  std::string readme = test::read_file(std::string(MIGSAFE_SOURCE_DIR) + "/README.md");
  for (const char* name : {"github-actions", "gitlab-ci", "pre-commit", "config"}) {
    std::string yaml = example(readme, name);
    ASSERT_FALSE(yaml.empty()) << name;
    YAML::Node doc;
    ASSERT_NO_THROW(doc = YAML::Load(yaml)) << name;
    EXPECT_TRUE(doc.IsMap()) << name;
  }
  YAML::Node gha = YAML::Load(example(readme, "github-actions"));
  EXPECT_TRUE(gha["jobs"]["migsafe"]["steps"].IsSequence());
  EXPECT_TRUE(gha["on"] || gha[true]);
  YAML::Node gl = YAML::Load(example(readme, "gitlab-ci"));
  EXPECT_EQ(gl["migsafe"]["artifacts"]["reports"]["junit"].as<std::string>(), "migsafe-junit.xml");
  EXPECT_EQ(gl["migsafe"]["artifacts"]["reports"]["codequality"].as<std::string>(),
            "gl-code-quality.json");
  // The config example is a config migsafe accepts.
  std::string d = test::temp_dir();
  test::write_file(d + "/.migsafe.yaml", example(readme, "config"));
  test::write_file(d + "/ci/team-rules.yaml", "pack: team\ndialect: postgres\nrules: []\n");
  test::write_file(d + "/1_x.up.sql", "SELECT 1;\n");
  // The folders of its paths: section, each checked with its own settings.
  test::write_file(d + "/services/billing/migrations/1_x.up.sql", "SELECT 1;\n");
  test::write_file(d + "/db/migrations/1_x.sql", "-- +goose Up\nSELECT 1;\n");
  auto r = test::run_migsafe({"check", "--format", "json", "."}, "", d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::set<std::string> sets;
  for (const auto& sr : doc["runners"])
    sets.insert(sr["dialect"].get<std::string>() + " " + sr["runner"].get<std::string>());
  EXPECT_EQ(sets, (std::set<std::string>{"postgres golang-migrate", "mysql golang-migrate",
                                         "postgres goose"}))
      << r.out;
  // Every migsafe flag the examples use exists.
  for (const char* name : {"github-actions", "gitlab-ci"}) {
    std::string yaml = example(readme, name);
    for (const char* flag : {"--changed-since", "--format sarif", "--format markdown",
                             "--format junit", "--fail-on never", "--output gitlab="}) {
      if (yaml.find(flag) == std::string::npos) continue;
      auto help = test::run_migsafe({"check", "--help"});
      std::string option = std::string(flag).substr(0, std::string(flag).find(' '));
      EXPECT_NE(help.out.find(option), std::string::npos) << flag;
    }
  }
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// docs/rules.md is what rule links point at; it must match the packs.
TEST(Docs, RulesReferenceIsCurrent) {
  auto r = test::run_migsafe({"docs"});
  ASSERT_EQ(r.exit_code, 0);
  std::string committed = test::read_file(std::string(MIGSAFE_SOURCE_DIR) + "/docs/rules.md");
  EXPECT_EQ(r.out, committed) << "regenerate with: build/migsafe docs > docs/rules.md";
  EXPECT_NE(r.out.find("### create-index-not-concurrent"), std::string::npos);
  EXPECT_NE(r.out.find("### rebuild-with-foreign-keys-on"), std::string::npos);
  EXPECT_NE(r.out.find("### prefer-identity"), std::string::npos);
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// --output FORMAT=FILE: more reports of the same run; a bad spec is a usage error.
TEST(Cli, OutputWritesMoreReportsOfTheSameRun) {
  std::string d = test::temp_dir();
  auto r = test::run_migsafe({"check", "--format", "json", "--output", "sarif=" + d + "/m.sarif",
                              "--output", "markdown=" + d + "/m.md", "fixtures/postgres/unsafe"},
                             "", MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto json = nlohmann::json::parse(r.out);
  auto sarif = nlohmann::json::parse(test::read_file(d + "/m.sarif"));
  EXPECT_EQ(sarif["runs"][0]["results"].size(), json["findings"].size());
  std::string md = test::read_file(d + "/m.md");
  EXPECT_NE(md.find("## migsafe: blocked"), std::string::npos) << md;

  auto bad = test::run_migsafe({"check", "--output", "pdf=" + d + "/x", "fixtures/postgres/safe"},
                               "", MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'pdf' is not a format"), std::string::npos) << bad.err;
  auto missing = test::run_migsafe({"check", "--output", "json", "fixtures/postgres/safe"}, "",
                                   MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(missing.exit_code, 2);
  auto unwritable = test::run_migsafe(
      {"check", "--output", "json=" + d + "/no/such/dir/x.json", "fixtures/postgres/safe"}, "",
      MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(unwritable.exit_code, 2) << unwritable.err;
  EXPECT_NE(unwritable.err.find("cannot write the report"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// migsafe effects: every operation's facts, for the reported file only (earlier files of its
// folder are replayed into the schema, not printed), in text and JSON; input errors exit 2.
TEST(EffectsCommand, ShowsLocksPerTableForTheFileGiven) {
  std::string dir = test::temp_dir();
  test::write_file(dir + "/001_base.sql",
                   "CREATE TABLE pt (id int, k int) PARTITION BY RANGE (k);\n"
                   "CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (10);\n"
                   "CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (10) TO (20);\n");
  test::write_file(dir + "/002_index.sql", "CREATE INDEX pt_k ON pt (k);\n");
  auto text = test::run_migsafe({"effects", dir + "/002_index.sql"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("002_index.sql:1:1: CREATE INDEX pt_k ON pt (k);"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("lock: SHARE on pt_2 (blocks writes)"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("001_base.sql"), std::string::npos) << text.out;

  auto js = test::run_migsafe({"effects", "--format", "json", dir + "/002_index.sql"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto j = nlohmann::json::parse(js.out);
  ASSERT_EQ(j["operations"].size(), 1u);
  const auto& op = j["operations"][0];
  EXPECT_EQ(op["operation"], "CREATE INDEX");
  ASSERT_EQ(op["locks"].size(), 3u);
  EXPECT_EQ(op["locks"][1]["table"], "pt_1");
  EXPECT_EQ(op["locks"][1]["lock"], "SHARE");
  EXPECT_EQ(op["locks"][1]["blocks_writes"], true);
  EXPECT_EQ(op["index_build"], true);
  EXPECT_EQ(op["also_read"], nlohmann::json::array({"pt_1", "pt_2"}));

  test::write_file(dir + "/003_bad.sql", "ALTER TABLE pt ADD COLUMN;\n");
  auto bad = test::run_migsafe({"effects", dir + "/003_bad.sql"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("003_bad.sql:1:"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// A snapshot that cannot be reached: exit 3, and JSON / SARIF still give a valid document that
// says so, without the password.
TEST(DatabaseError, MachineFormatsStayValid) {
  std::string dir = test::temp_dir();
  test::write_file(dir + "/1.sql", "CREATE TABLE t (id int);\n");
  const std::string db = "postgresql://someone:do-not-print-me@127.0.0.1:1/x";
  auto js = test::run_migsafe({"check", "--format", "json", "--db", db, dir + "/1.sql"});
  EXPECT_EQ(js.exit_code, 3);
  auto j = nlohmann::json::parse(js.out);
  EXPECT_NE(j["database_error"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(js.out.find("do-not-print-me"), std::string::npos);
  EXPECT_EQ(js.err.find("do-not-print-me"), std::string::npos);
  auto sarif = test::run_migsafe({"check", "--format", "sarif", "--db", db, dir + "/1.sql"});
  EXPECT_EQ(sarif.exit_code, 3);
  auto s = nlohmann::json::parse(sarif.out);
  EXPECT_EQ(s["runs"][0]["invocations"][0]["executionSuccessful"], false);
  EXPECT_EQ(sarif.out.find("do-not-print-me"), std::string::npos);
  auto text = test::run_migsafe({"check", "--db", db, dir + "/1.sql"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_TRUE(text.out.empty()) << text.out;  // no verdict on checks that did not happen
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(ConfigErrors, EveryBadKeyAndValueIsReported) {
  std::string dir = test::temp_dir();
  test::write_file(dir + "/1.sql", "CREATE TABLE t (id int);\n");
  test::write_file(dir + "/.migsafe.yaml",
                   "dialect: oracle\nfail_on: maybe\nbogus: 1\nrules: {drop-column: loud}\n");
  auto r = test::run_migsafe({"check", "1.sql"}, "", dir);
  EXPECT_EQ(r.exit_code, 2);
  for (const char* want :
       {".migsafe.yaml:1:10: error: dialect must be", ".migsafe.yaml:2:10: error: fail_on must be",
        ".migsafe.yaml:3:1: error: unknown key 'bogus'",
        ".migsafe.yaml:4:22: error: a rule setting"})
    EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
}

// The excerpt under a finding shows at most 200 characters of its line, cut after whole
// characters, and underlines by characters, not bytes (ASCII lines take a shorter path).
TEST(TextReport, ExcerptsCountCharactersNotBytes) {
  const std::string stmt = "CREATE INDEX idx ON orders (a);";
  auto excerpt = [](const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines.size() > 3 ? std::vector<std::string>{lines[2], lines[3]} : lines;
  };
  auto shown = [](const std::string& line, size_t chars) {  // the first `chars` characters
    size_t i = 0;
    for (size_t n = 0; i < line.size() && n < chars; ++n) do
        ++i;
      while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80);
    return line.substr(0, i);
  };
  const std::string d = test::temp_dir();
  struct Case {
    std::string line;
    std::string carets;
  } cases[] = {
      {stmt + " -- " + std::string(250, 'x'), std::string(stmt.size(), '^')},
      {stmt + " -- " +
           [] {
             std::string e;
             for (int i = 0; i < 250; ++i) e += "\xC3\xA9";  // é
             return e;
           }(),
       std::string(stmt.size(), '^')},
      {"CREATE INDEX idx_\xC3\xA9 ON orders (a, \"\xC3\xBC\");", std::string(38, '^')},
  };
  for (const auto& c : cases) {
    test::write_file(d + "/m.sql", c.line + "\n");
    auto r = run_migsafe({"check", "--color", "never", d + "/m.sql"});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    const bool cut = c.line.size() > 200;
    std::vector<std::string> want = {" 1 | " + (cut ? shown(c.line, 200) + "\xE2\x80\xA6" : c.line),
                                     "   | " + c.carets};
    EXPECT_EQ(excerpt(r.out), want) << r.out;
  }
}

}  // namespace
}  // namespace migsafe
