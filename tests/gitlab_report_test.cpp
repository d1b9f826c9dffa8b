// --format gitlab: GitLab Code Quality's documented fields, and fingerprints that survive moved
// lines, tell identical statements apart, and match SARIF's partialFingerprints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "../src/report/markdown_escape.hpp"
#include "helpers.hpp"

namespace migsafe {
namespace {

using nlohmann::json;

// A git repository with a migration folder below its root.
std::string repository() {
  std::string dir = test::temp_dir();
  EXPECT_EQ(std::system(("git init -q " + dir).c_str()), 0);
  return dir;
}

json gitlab(const std::string& cwd, const std::string& path) {
  auto r = test::run_migsafe({"check", "--format", "gitlab", path}, "", cwd);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2) << r.err;
  return json::parse(r.out);
}

// After 001_t.sql has made t: the same statement twice.
const char* kTwice =
    "CREATE INDEX t_a ON t (a);\n"
    "DROP INDEX t_a;\n"
    "CREATE INDEX t_a ON t (a);\n";

TEST(GitlabReport, HasTheDocumentedFields) {
  std::string repo = repository();
  test::write_file(repo + "/db/migrations/001_a.sql", "CREATE TABLE t (a int);\n");
  test::write_file(repo + "/db/migrations/002_b.sql", "CREATE INDEX t_a ON t (a);\n");
  json doc = gitlab(repo + "/db", "migrations");  // run from a subfolder of the repository
  ASSERT_TRUE(doc.is_array());
  ASSERT_FALSE(doc.empty());
  const std::set<std::string> severities{"info", "minor", "major", "critical", "blocker"};
  for (const auto& issue : doc) {
    ASSERT_TRUE(issue["description"].is_string());
    ASSERT_TRUE(issue["check_name"].is_string());
    ASSERT_TRUE(issue["fingerprint"].is_string());
    EXPECT_EQ(issue["fingerprint"].get<std::string>().size(), 64u);
    EXPECT_TRUE(severities.count(issue["severity"].get<std::string>())) << issue.dump();
    // From the repository root, whatever folder migsafe ran in.
    EXPECT_EQ(issue["location"]["path"], "db/migrations/002_b.sql");
    EXPECT_GE(issue["location"]["lines"]["begin"].get<int>(), 1);
  }
  EXPECT_EQ(doc[0]["check_name"], "create-index-not-concurrent");
  EXPECT_EQ(doc[0]["severity"], "critical");
  EXPECT_EQ(doc[0]["location"]["lines"]["begin"], 1);
}

TEST(GitlabReport, FingerprintsFollowStatementsNotLines) {
  std::string repo = repository();
  test::write_file(repo + "/m/001_t.sql", "CREATE TABLE t (a int);\n");
  test::write_file(repo + "/m/002_a.sql", kTwice);
  json before = gitlab(repo, "m");
  std::set<std::string> prints;
  for (const auto& i : before) prints.insert(i["fingerprint"].get<std::string>());
  EXPECT_EQ(prints.size(), before.size()) << "two findings share a fingerprint";
  // Lines added above every statement: the same findings, the same identities.
  test::write_file(repo + "/m/002_a.sql", std::string("-- moved\n\n\n") + kTwice);
  json after = gitlab(repo, "m");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i]["fingerprint"], before[i]["fingerprint"]);
    EXPECT_EQ(after[i]["location"]["lines"]["begin"].get<int>(),
              before[i]["location"]["lines"]["begin"].get<int>() + 3);
  }
  // The two identical CREATE INDEX statements: one finding each, apart by their occurrence.
  std::set<std::string> index_prints;
  for (const auto& i : before)
    if (i["check_name"] == "create-index-not-concurrent")
      index_prints.insert(i["fingerprint"].get<std::string>());
  EXPECT_EQ(index_prints.size(), 2u);
}

TEST(GitlabReport, SarifCarriesTheSameFingerprints) {
  std::string repo = repository();
  test::write_file(repo + "/m/001_t.sql", "CREATE TABLE t (a int);\n");
  test::write_file(repo + "/m/002_a.sql", kTwice);
  json gl = gitlab(repo, "m");
  auto r = test::run_migsafe({"check", "--format", "sarif", "m"}, "", repo);
  json sarif = json::parse(r.out);
  const auto& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), gl.size());
  for (size_t i = 0; i < gl.size(); ++i)
    EXPECT_EQ(results[i]["partialFingerprints"]["migsafeFinding/v1"], gl[i]["fingerprint"]);
}

TEST(GitlabReport, WhatCouldNotBeCheckedBlocks) {
  std::string repo = repository();
  test::write_file(repo + "/m/001_a.sql", "CREATE TABLE (;\n");
  json doc = gitlab(repo, "m");
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["severity"], "blocker");
  EXPECT_EQ(doc[0]["check_name"], "syntax-error");
  EXPECT_EQ(doc[0]["location"]["path"], "m/001_a.sql");
  EXPECT_EQ(doc[0]["location"]["lines"]["begin"], 1);
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(MarkdownText, EscapesMarkupOutsideCode) {
  EXPECT_EQ(markdown_text("a <b> | c"), "a &lt;b&gt; \\| c");
  EXPECT_EQ(markdown_text("keep `x <y>` as code"), "keep `x <y>` as code");
}

// SARIF: paths from the repository root whatever the working directory, and help whose code
// fences close on lines of their own.
TEST(SarifOutput, UrisFromTheRepositoryRootAndClosedFences) {
  std::string repo = test::temp_dir();
  ASSERT_EQ(std::system(("git init -q " + repo).c_str()), 0);
  std::filesystem::create_directories(repo + "/db/migrations");
  test::write_file(repo + "/db/migrations/1.sql",
                   "CREATE TABLE t (id int);\n-- next\nCREATE TABLE u (id int);\n");
  test::write_file(repo + "/db/migrations/2.sql", "CREATE INDEX t_id ON t (id);\n");
  auto r = test::run_migsafe({"check", "--format", "sarif", "migrations/2.sql"}, "", repo + "/db");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto& run = doc["runs"][0];
  ASSERT_FALSE(run["results"].empty());
  const auto& artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(artifact["uri"], "db/migrations/2.sql");
  EXPECT_EQ(artifact["uriBaseId"], "%SRCROOT%");
  // Advice that replaces the statement is a fix over the statement's region.
  const auto& fix = run["results"][0]["fixes"][0]["artifactChanges"][0];
  EXPECT_EQ(fix["artifactLocation"]["uri"], "db/migrations/2.sql");
  EXPECT_EQ(fix["replacements"][0]["insertedContent"]["text"],
            "CREATE INDEX CONCURRENTLY t_id ON t (id);");
  EXPECT_EQ(fix["replacements"][0]["deletedRegion"]["endColumn"], 29);
  for (const auto& rule : run["tool"]["driver"]["rules"]) {
    std::string md = rule["help"]["markdown"];
    size_t fences = 0;
    for (size_t at = md.find("```"); at != std::string::npos; at = md.find("```", at + 3)) {
      ++fences;
      EXPECT_TRUE(at == 0 || md[at - 1] == '\n') << rule["id"] << ": a fence inside a line";
    }
    EXPECT_EQ(fences % 2, 0u) << rule["id"];
  }
}

}  // namespace
}  // namespace migsafe
