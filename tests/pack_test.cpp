#include <gtest/gtest.h>

#include "helpers.hpp"

namespace migsafe {
namespace {

ConfigError load_error(const std::string& yaml) {
  try {
    load_pack_text(yaml, "p.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return ConfigError("", "");
}

const char* kHeader = "pack: p\ndialect: postgres\nrules:\n";

TEST(PackLoader, ShippedPackLoads) {
  const auto& packs = test::shipped_postgres_packs();
  ASSERT_EQ(packs.size(), 2u);  // core, then the dialect's
  EXPECT_EQ(packs[0].name, "core");
  EXPECT_GT(packs[1].rules.size(), 25u);
}

TEST(PackLoader, ErrorsCarryLineAndColumn) {
  auto e = load_error(std::string(kHeader) + "  - id: r\n    severity: fatal\n    title: t\n");
  EXPECT_EQ(e.pos().line, 5u);
  EXPECT_NE(std::string(e.what()).find("severity must be"), std::string::npos);
  EXPECT_EQ(e.where(), "p.yaml:5:15");

  auto k = load_error(std::string(kHeader) +
                      "  - id: r\n    severity: error\n    title: t\n    message: m\n    why: w\n"
                      "    when: {kind: create_indx}\n");
  EXPECT_NE(std::string(k.what()).find("unknown operation kind 'create_indx'"), std::string::npos);
  EXPECT_EQ(k.pos().line, 9u);

  auto unknown_key = load_error(std::string(kHeader) + "  - id: r\n    sevrity: error\n");
  EXPECT_NE(std::string(unknown_key.what()).find("unknown key 'sevrity'"), std::string::npos);
  EXPECT_NE(std::string(unknown_key.what()).find("valid keys"), std::string::npos);

  auto regex =
      load_error(std::string(kHeader) +
                 "  - id: r\n    severity: error\n    title: t\n    message: m\n    why: w\n"
                 "    when: {pattern: 'a(b'}\n");
  EXPECT_NE(std::string(regex.what()).find("invalid regular expression"), std::string::npos);

  auto attr =
      load_error(std::string(kHeader) +
                 "  - id: r\n    severity: error\n    title: t\n    message: m\n    why: w\n"
                 "    when: {attrs: {concurrent: false}}\n");
  EXPECT_NE(std::string(attr.what()).find("unknown attribute 'concurrent'"), std::string::npos);

  auto dup = load_error(std::string(kHeader) +
                        "  - {id: r, severity: info, title: t, message: m, why: w, when: {}}\n"
                        "  - {id: r, severity: info, title: t, message: m, why: w, when: {}}\n");
  EXPECT_NE(std::string(dup.what()).find("appears twice"), std::string::npos);

  auto syntax = load_error("pack: [unclosed\n");
  EXPECT_GT(syntax.pos().line, 0u);
  auto no_when = load_error(std::string(kHeader) +
                            "  - {id: r, severity: info, title: t, message: m, why: w}\n");
  EXPECT_NE(std::string(no_when.what()).find("no 'when'"), std::string::npos);
}

TEST(PackLoader, VersionRanges) {
  Pack p = load_pack_text(
      std::string(kHeader) +
          "  - {id: a, severity: info, title: t, message: m, why: w, when: {version: '>=12'}}\n"
          "  - {id: b, severity: info, title: t, message: m, why: w, when: {version: '<12'}}\n"
          "  - {id: c, severity: info, title: t, message: m, why: w, when: {version: '13..15'}}\n",
      "p.yaml");
  EXPECT_TRUE(p.rules[0].when.versions.contains({12, 0}));
  EXPECT_FALSE(p.rules[0].when.versions.contains({11, 0}));
  EXPECT_TRUE(p.rules[1].when.versions.contains({11, 0}));
  EXPECT_FALSE(p.rules[1].when.versions.contains({12, 0}));
  EXPECT_FALSE(p.rules[2].when.versions.contains({12, 0}));
  EXPECT_TRUE(p.rules[2].when.versions.contains({15, 0}));
  EXPECT_FALSE(p.rules[2].when.versions.contains({16, 0}));
}

// The example team pack exercises every condition kind: names, pattern, lock_at_least,
// version and effects. Each of its rules has twins like the shipped ones.
class TeamPack : public ::testing::Test {
 protected:
  std::vector<Pack> packs{
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/fixtures/packs/team-example.yaml")};
  std::string setup =
      "CREATE TABLE orders (id int, customer_id int); CREATE TABLE payments_ledger (id int);";
};

TEST_F(TeamPack, EveryRuleHasWorkingTwins) {
  for (const Rule& r : packs[0].rules) {
    auto in_last = [&](const CheckResult& res) {
      auto ids = test::rule_ids_in_last_file(res);
      return std::find(ids.begin(), ids.end(), r.id) != ids.end();
    };
    EXPECT_TRUE(in_last(test::check_files({setup, r.examples.bad}, 16, &packs)))
        << r.id << " missed " << r.examples.bad;
    EXPECT_FALSE(in_last(test::check_files({setup, r.examples.good}, 16, &packs)))
        << r.id << " flagged " << r.examples.good;
  }
}

TEST_F(TeamPack, VersionConditionRespectsTheTarget) {
  auto on15 =
      test::check_files({setup, "ALTER TABLE orders ALTER COLUMN id TYPE bigint;"}, 15, &packs);
  EXPECT_FALSE(test::has_rule(on15, "team-no-rewrite-on-16"));
}

TEST_F(TeamPack, PatternSeesNormalizedText) {
  auto r = test::check_files({setup, "GRANT   SELECT\n  ON orders\n  TO\n  PUBLIC;"}, 16, &packs);
  EXPECT_TRUE(test::has_rule(r, "team-no-grant-to-public"));
}

}  // namespace
}  // namespace migsafe
