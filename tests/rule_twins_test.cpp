// Every rule's twins: the dangerous example must be flagged by the rule, the safe alternative
// must pass it. The examples live in the pack, so the docs `migsafe explain` shows are tested.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace migsafe {
namespace {

std::vector<std::string> rule_ids() {
  std::vector<std::string> ids;
  for (const auto& p : test::all_postgres_packs())
    for (const auto& r : p.rules) ids.push_back(r.id);
  return ids;
}

const Rule& rule(const std::string& id) {
  const Rule* r = find_rule(test::all_postgres_packs(), id);
  EXPECT_NE(r, nullptr);
  return *r;
}

using test::check_files;

CheckResult run_example(const Rule& r, const std::string& sql) {
  SourceSet set;
  if (!r.examples.setup.empty()) set.push_back(make_source("m1.sql", r.examples.setup));
  set.push_back(make_source("m2.sql", sql));
  CheckOptions opt;
  opt.version = TargetVersion{r.examples.version ? r.examples.version->major : 16, 0};
  if (r.examples.transactions) {
    opt.transactions = *r.examples.transactions;
    opt.transactions_given = true;
  }
  return check_sets({set}, test::all_postgres_packs(), opt);
}

class RuleTwins : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleTwins, HasBothTwinsAndDocs) {
  const Rule& r = rule(GetParam());
  EXPECT_FALSE(r.examples.bad.empty()) << r.id << " has no dangerous example";
  EXPECT_FALSE(r.examples.good.empty()) << r.id << " has no safe example";
  EXPECT_FALSE(r.why.empty());
  EXPECT_FALSE(r.title.empty());
}

TEST_P(RuleTwins, DangerousExampleIsFlagged) {
  const Rule& r = rule(GetParam());
  if (!r.twins_elsewhere.empty()) GTEST_SKIP() << "twins in " << r.twins_elsewhere;
  CheckResult res = run_example(r, r.examples.bad);
  EXPECT_TRUE(res.problems.empty()) << res.problems.front().message;
  auto ids = test::rule_ids_in_last_file(res);
  EXPECT_NE(std::find(ids.begin(), ids.end(), r.id), ids.end()) << r.id << " did not flag:\n"
                                                                << r.examples.bad;
}

TEST_P(RuleTwins, SafeExamplePasses) {
  const Rule& r = rule(GetParam());
  if (!r.twins_elsewhere.empty()) GTEST_SKIP() << "twins in " << r.twins_elsewhere;
  CheckResult res = run_example(r, r.examples.good);
  EXPECT_TRUE(res.problems.empty());
  auto ids = test::rule_ids_in_last_file(res);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), r.id), ids.end())
      << r.id << " flagged its safe example:\n"
      << r.examples.good;
}

TEST_P(RuleTwins, SetupAloneIsClean) {
  const Rule& r = rule(GetParam());
  if (r.examples.setup.empty()) GTEST_SKIP() << "no setup";
  CheckResult res = check_files({r.examples.setup});
  EXPECT_TRUE(res.findings.empty()) << r.id << ": the setup itself has a finding: "
                                    << (res.findings.empty() ? "" : res.findings[0].rule_id);
}

INSTANTIATE_TEST_SUITE_P(PostgresPack, RuleTwins, ::testing::ValuesIn(rule_ids()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace migsafe
