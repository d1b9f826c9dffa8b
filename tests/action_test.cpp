// action.yml: its shape, the README workflow that uses it, and its Check step run for real in a
// git repository with a base branch, as a pull request's job runs it.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "helpers.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;
const std::string kSource = MIGSAFE_SOURCE_DIR;

std::string readme_example(const std::string& name) {
  std::string readme = test::read_file(kSource + "/README.md");
  size_t at = readme.find("<!-- example: " + name + " -->");
  size_t begin = readme.find("```yaml\n", at) + 8;
  return readme.substr(begin, readme.find("```", begin) - begin);
}

TEST(Action, IsACompositeActionWhoseStepsExist) {
  YAML::Node action = YAML::LoadFile(kSource + "/action.yml");
  EXPECT_EQ(action["runs"]["using"].as<std::string>(), "composite");
  ASSERT_TRUE(action["inputs"]["paths"]["required"].as<bool>());
  for (const auto& step : action["runs"]["steps"]) {
    if (!step["run"]) continue;
    std::string run = step["run"].as<std::string>();
    EXPECT_TRUE(step["shell"]) << run;  // composite run steps must name their shell
    size_t at = run.find("$GITHUB_ACTION_PATH/");
    if (at == std::string::npos) continue;
    size_t end = run.find_first_of("\" \n", at);
    std::string script = run.substr(at + 20, end - at - 20);
    EXPECT_TRUE(fs::exists(kSource + "/" + script)) << script;
  }
}

TEST(Action, ReadmeWorkflowUsesOnlyItsInputs) {
  YAML::Node action = YAML::LoadFile(kSource + "/action.yml");
  YAML::Node wf = YAML::Load(readme_example("github-actions"));
  bool used = false;
  for (const auto& step : wf["jobs"]["migsafe"]["steps"]) {
    if (!step["uses"] || step["uses"].as<std::string>() != "./") continue;
    used = true;
    for (const auto& kv : step["with"]) {
      std::string input = kv.first.as<std::string>();
      EXPECT_TRUE(action["inputs"][input]) << input << " is no input of action.yml";
    }
    // The paths it names are in this repository.
    EXPECT_TRUE(fs::exists(kSource + "/" + step["with"]["paths"].as<std::string>()));
  }
  EXPECT_TRUE(used) << "the README workflow does not use the Action (uses: ./)";
  EXPECT_EQ(wf["jobs"]["migsafe"]["container"].as<std::string>(), "debian:12");
}

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

// A pull request: main has an old blocked migration; the branch adds a new blocked one.
struct PullRequest {
  std::string work, summary, output, sarif;
};

PullRequest pull_request() {
  PullRequest pr;
  std::string d = test::temp_dir();
  pr.work = d + "/work";
  pr.summary = d + "/summary.md";
  pr.output = d + "/output";
  pr.sarif = pr.work + "/migsafe.sarif";
  test::write_file(d + "/origin/migrations/001_t.sql",
                   "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\n");
  EXPECT_EQ(sh("cd '" + d + "/origin' && git init -q -b main && git -c user.email=t@t -c " +
               "user.name=t commit -qm base --allow-empty && git add -A && git -c " +
               "user.email=t@t -c user.name=t commit -qm old"),
            0);
  EXPECT_EQ(sh("git clone -q '" + d + "/origin' '" + pr.work + "'"), 0);
  test::write_file(pr.work + "/migrations/002_more.sql", "CREATE INDEX t_a2 ON t (a);\n");
  return pr;
}

int run_check_step(const PullRequest& pr, const std::string& fail_on) {
  std::string env = "cd '" + pr.work + "' && GITHUB_BASE_REF=main GITHUB_WORKSPACE='" + pr.work +
                    "' GITHUB_STEP_SUMMARY='" + pr.summary + "' GITHUB_OUTPUT='" + pr.output +
                    "' MIGSAFE_BIN_GIVEN='" + MIGSAFE_BINARY +
                    "' PATHS=migrations FAIL_ON=" + fail_on + " SARIF=migsafe.sarif HOME='" +
                    pr.work + "/..' bash '" + kSource + "/scripts/action-check.sh' > '" + pr.work +
                    "/../annotations.txt'";
  int status = sh(env);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Action, CheckStepJudgesWhatThePullRequestAdds) {
  PullRequest pr = pull_request();
  EXPECT_EQ(run_check_step(pr, "error"), 1);
  std::string annotations = test::read_file(pr.work + "/../annotations.txt");
  EXPECT_NE(annotations.find("::error file=migrations/002_more.sql"), std::string::npos)
      << annotations;
  EXPECT_EQ(annotations.find("001_t.sql"), std::string::npos) << annotations;
  auto sarif = nlohmann::json::parse(test::read_file(pr.sarif));
  ASSERT_FALSE(sarif["runs"][0]["results"].empty());
  for (const auto& res : sarif["runs"][0]["results"])  // the new file's findings only
    EXPECT_EQ(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              "migrations/002_more.sql");
  EXPECT_NE(test::read_file(pr.summary).find("create-index-not-concurrent"), std::string::npos);
  EXPECT_NE(test::read_file(pr.output).find("exit-code=1"), std::string::npos);
  // fail-on: never reports the same and passes.
  EXPECT_EQ(run_check_step(pr, "never"), 0);
}

}  // namespace
}  // namespace migsafe
