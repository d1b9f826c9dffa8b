#include <gtest/gtest.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

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

  // A pack takes a shared hazard up with its advice and examples, never restating the hazard.
  auto restated =
      load_error(std::string(kHeader) + "  - extends: drop-column\n    severity: warning\n");
  EXPECT_NE(std::string(restated.what()).find("'severity' of a shared hazard is defined once"),
            std::string::npos);
  EXPECT_EQ(restated.where(), "p.yaml:5:5");
  auto unknown = load_error(std::string(kHeader) + "  - extends: drop-colum\n");
  EXPECT_NE(std::string(unknown.what()).find("no shared hazard 'drop-colum'"), std::string::npos)
      << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("drop-column"), std::string::npos);
  auto bad_tx = load_error(std::string(kHeader) +
                           "  - extends: drop-column\n    examples: {transactions: per-flie}\n");
  EXPECT_NE(std::string(bad_tx.what()).find("transactions is"), std::string::npos);
}

TEST(PackLoader, ExtendsASharedHazard) {
  Pack p = load_pack_text(std::string(kHeader) +
                              "  - extends: drop-table\n"
                              "    also: Our backups run nightly.\n"
                              "    instead: '-- ask the data team'\n"
                              "    aliases: [team-drop]\n"
                              "    examples: {bad: DROP TABLE t;, good: SELECT 1;}\n",
                          "p.yaml");
  ASSERT_EQ(p.rules.size(), 1u);
  const Rule& r = p.rules[0];
  EXPECT_EQ(r.id, "drop-table");
  EXPECT_EQ(r.pack, "p");
  EXPECT_EQ(r.severity, Severity::error);
  EXPECT_TRUE(r.why.ends_with(" Our backups run nightly.")) << r.why;
  EXPECT_EQ(r.instead, "-- ask the data team");
  EXPECT_EQ(r.aliases.back(), "team-drop");
  EXPECT_EQ(r.examples.bad, "DROP TABLE t;");
  ASSERT_EQ(r.when.kinds.size(), 1u);
  EXPECT_EQ(r.when.kinds[0], OpKind::drop_table);
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

// The shipped packs are built into migsafe as JSON (tools/embed_packs.cpp): each loads exactly as
// its YAML file does, field by field.
std::string describe(const Rule& r) {
  std::ostringstream o;
  o << r.id << "|" << r.pack << "|" << static_cast<int>(r.severity) << "|" << r.title << "|"
    << r.message << "|" << r.why << "|" << r.instead << "|" << r.docs << "|" << r.cause << "|"
    << r.builtin << r.once_per_file << r.secondary << r.size_dependent << r.drop_below_threshold
    << "|" << r.threshold_rows << "|" << r.threshold_bytes << "|" << r.twins_elsewhere << "|"
    << r.examples.setup << "|" << r.examples.bad << "|" << r.examples.good << "|"
    << (r.examples.version ? r.examples.version->display() : "-") << "|"
    << (r.examples.transactions ? transaction_mode_name(*r.examples.transactions) : "-") << "|";
  for (const auto& a : r.aliases) o << a << ",";
  const Condition& c = r.when;
  o << "|kinds:";
  for (auto k : c.kinds) o << static_cast<int>(k) << ",";
  o << "|table:" << static_cast<int>(c.table) << "|";
  for (const auto* tests : {&c.attrs, &c.effects})
    for (const auto& t : *tests) {
      o << t.name << "=";
      for (const auto& v : t.values) o << v << "/";
      o << (t.single != nullptr) << (t.view != nullptr) << t.lower_case << (t.multi != nullptr)
        << (t.views != nullptr) << (t.flag != nullptr) << t.accepts_true << t.accepts_false << ";";
    }
  o << "|lock:" << (c.lock_at_least ? static_cast<int>(*c.lock_at_least) : -1);
  o << "|versions:" << (c.versions.min ? c.versions.min->display() : "-") << ".."
    << (c.versions.max ? c.versions.max->display() : "-") << "|names:";
  for (const auto& n : c.names) o << n.field << (n.negate ? "!" : "=") << n.re->pattern() << ";";
  o << "|pattern:" << (c.pattern ? c.pattern->pattern() : "-");
  return o.str();
}

// Values read in place: ALGORITHM= / LOCK= as written (upper case), compared lower-cased;
// the effect's algorithm and least lock as fixed names.
TEST(PackLoader, ClauseWordsCompareLowerCased) {
  Pack p = load_pack_text(R"(
pack: p
dialect: mysql
rules:
  - id: copy
    severity: error
    title: t
    message: m
    why: w
    when: {kind: add_column, attrs: {requested_algorithm: copy}}
  - id: upper
    severity: error
    title: t
    message: m
    why: w
    when: {kind: add_column, attrs: {requested_algorithm: COPY}}
  - id: none
    severity: error
    title: t
    message: m
    why: w
    when: {kind: add_column, attrs: {requested_algorithm: "", requested_lock: ""}}
  - id: shared
    severity: error
    title: t
    message: m
    why: w
    when: {kind: add_column, attrs: {requested_lock: [shared, exclusive]},
           effects: {algorithm: rebuild, min_lock: shared}}
)",
                          "p.yaml");
  auto matching = [&](const std::string& sql, Algorithm algorithm, DdlLock min_lock) {
    Migration m = parse_migration(Dialect::mysql, make_source("m.sql", sql));
    const Statement& st = m.statements.at(0);
    Effect e;
    e.algorithm = algorithm;
    e.min_lock = min_lock;
    OpFacts f;
    EvalInput in{st, st.ops.at(0),  e, f, nullptr, default_target_version(Dialect::mysql),
                 "", Dialect::mysql};
    std::string ids;
    for (const Rule& r : p.rules)
      if (condition_matches(r.when, in)) ids += r.id + " ";
    return ids;
  };
  struct Case {
    const char* sql;
    Algorithm algorithm;
    DdlLock min_lock;
    const char* ids;
  };
  const Case cases[] = {
      {"ALTER TABLE t ADD COLUMN c INT, ALGORITHM=copy", Algorithm::copy, DdlLock::shared, "copy "},
      {"ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY", Algorithm::copy, DdlLock::shared, "copy "},
      {"ALTER TABLE t ADD COLUMN c INT", Algorithm::instant, DdlLock::none, "none "},
      {"ALTER TABLE t ADD COLUMN c INT, LOCK=Shared", Algorithm::rebuild, DdlLock::shared,
       "shared "},
      {"ALTER TABLE t ADD COLUMN c INT, LOCK=SHARED", Algorithm::inplace, DdlLock::shared, ""},
      {"ALTER TABLE t ADD COLUMN c INT, LOCK=SHARED", Algorithm::rebuild, DdlLock::none, ""},
  };
  for (const Case& c : cases)
    EXPECT_EQ(matching(c.sql, c.algorithm, c.min_lock), c.ids)
        << c.sql << " " << algorithm_name(c.algorithm) << " " << ddl_lock_name(c.min_lock);
}

TEST(EmbeddedPacks, LoadExactlyAsTheirYaml) {
  std::vector<std::string> names = shipped_pack_names();
  ASSERT_GE(names.size(), 4u);
  for (const auto& name : names) {
    Pack yaml = load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/" + name + ".yaml");
    Pack built = load_shipped_pack(name);
    EXPECT_EQ(built.name, yaml.name);
    EXPECT_EQ(built.dialect, yaml.dialect);
    EXPECT_EQ(built.any_dialect, yaml.any_dialect);
    ASSERT_EQ(built.rules.size(), yaml.rules.size()) << name;
    for (size_t i = 0; i < yaml.rules.size(); ++i)
      EXPECT_EQ(describe(built.rules[i]), describe(yaml.rules[i])) << name;
  }
  // Every pack in rules/ is built in; hazards.yaml is not a pack.
  size_t files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(MIGSAFE_SOURCE_DIR) + "/rules"))
    files += e.path().extension() == ".yaml" && e.path().stem() != "hazards";
  EXPECT_EQ(names.size(), files);
  EXPECT_EQ(std::count(names.begin(), names.end(), "hazards"), 0);
}

// What makes a hazard, without what a dialect adds (advice, examples, a fact for the why).
std::string hazard_core(const Rule& r) {
  std::ostringstream o;
  o << severity_name(r.severity) << "|" << r.title << "|" << r.message << "|" << r.cause << "|"
    << r.size_dependent << "|";
  for (auto k : r.when.kinds) o << static_cast<int>(k) << ",";
  for (const auto& t : r.when.attrs) {
    o << t.name << "=";
    for (const auto& v : t.values) o << v << "/";
  }
  return o.str();
}

// One hazard, one definition: a rule that exists for several dialects (drop-column,
// rename-table, update-without-where, ...) comes from rules/hazards.yaml, so its severity,
// message and condition are the same everywhere; and every hazard there is used.
TEST(ShippedPacks, SharedHazardsAreDefinedOnce) {
  std::map<std::string, std::pair<std::string, std::string>> seen;  // id -> core, pack
  std::set<std::string> shared;
  for (const auto& name : shipped_pack_names())
    for (const auto& r : load_shipped_pack(name).rules) {
      auto [it, fresh] = seen.emplace(r.id, std::make_pair(hazard_core(r), name));
      if (fresh) continue;
      shared.insert(r.id);
      EXPECT_EQ(hazard_core(r), it->second.first)
          << r.id << ": " << name << " and " << it->second.second << " disagree";
    }
  YAML::Node hazards = YAML::LoadFile(std::string(MIGSAFE_SOURCE_DIR) + "/rules/hazards.yaml");
  std::set<std::string> defined;
  for (const auto& h : hazards["hazards"]) defined.insert(h["id"].as<std::string>());
  EXPECT_EQ(shared, defined);  // shared ids are the hazards, and each hazard is shared
  EXPECT_GE(defined.size(), 7u);
}

}  // namespace
}  // namespace migsafe
