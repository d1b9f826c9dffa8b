// migsafe stats and check --stats on the PostgreSQL test server: the file carries no secret,
// and a check from it gives what a check against the snapshot gives, except what needs a live
// server (plans, row counts), which it says.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "helpers.hpp"
#include "pg_server.hpp"

namespace migsafe {
namespace {

using nlohmann::json;

// Rule, severity and message of each finding that does not need a live server.
std::set<std::tuple<std::string, std::string, std::string>> catalog_findings(const json& doc) {
  std::set<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& f : doc["findings"]) {
    std::string rule = f["rule"];
    if (rule == "unindexed-data-change" || rule == "snapshot-incomplete" || rule == "fails-on-data")
      continue;
    out.insert({rule, f["severity"], f["message"]});
  }
  return out;
}

TEST(StatsFile, CheckFromTheFileMatchesTheSnapshot) {
  REQUIRE_PG_SERVER();
  test::pg_sql(
      "DROP TABLE IF EXISTS stats_big, stats_small;"
      "CREATE TABLE stats_big (id bigint PRIMARY KEY, a int, b text);"
      "INSERT INTO stats_big SELECT g, g % 100, 'x' FROM generate_series(1, 20000) g;"
      "CREATE TABLE stats_small (id bigint PRIMARY KEY, a int);"
      "INSERT INTO stats_small SELECT g, g FROM generate_series(1, 10) g;"
      "CREATE INDEX stats_big_a ON stats_big (a);"
      "ANALYZE stats_big; ANALYZE stats_small;");
  std::string d = test::temp_dir();
  auto written = test::run_migsafe(
      {"stats", "--db", test::pg_dsn(), "--top", "5", "--output", "json=" + d + "/stats.json"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  std::string text = test::read_file(d + "/stats.json");
  json stats = json::parse(text);
  EXPECT_EQ(stats["migsafe_stats"], 1);
  EXPECT_EQ(stats["dialect"], "postgres");
  // No credentials: neither the password nor the DSN is in the file.
  EXPECT_EQ(text.find("postgresql://"), std::string::npos);
  EXPECT_EQ(text.find("secret"), std::string::npos);
  bool big = false;
  for (const auto& t : stats["tables"])
    if (t["name"] == "stats_big") {
      big = true;
      EXPECT_GT(t["stats"]["rows"].get<double>(), 10000);
      EXPECT_GT(t["stats"]["bytes"].get<int64_t>(), 0);
      bool index = false;
      for (const auto& i : t["indexes"]) index = index || i["name"] == "stats_big_a";
      EXPECT_TRUE(index);
    }
  EXPECT_TRUE(big);

  test::write_file(d + "/m/001_change.sql",
                   "CREATE INDEX stats_big_b ON stats_big (b);\n"
                   "CREATE INDEX stats_small_a ON stats_small (a);\n"
                   "CREATE INDEX stats_big_a2 ON stats_big (a);\n"
                   "ALTER TABLE stats_big ALTER COLUMN a TYPE bigint;\n"
                   "UPDATE stats_big SET b = 'y' WHERE b = 'x';\n");
  auto live = test::run_migsafe({"check", "--format", "json", "--db", test::pg_dsn(), d + "/m"});
  auto file =
      test::run_migsafe({"check", "--format", "json", "--stats", d + "/stats.json", d + "/m"});
  json l = json::parse(live.out), s = json::parse(file.out);
  EXPECT_EQ(catalog_findings(s), catalog_findings(l)) << file.out << "\n---\n" << live.out;
  // Sizes decide severity as with the snapshot: the small table's index is a warning.
  bool small_warning = false;
  for (const auto& f : s["findings"])
    small_warning = small_warning ||
                    (f["rule"] == "create-index-not-concurrent" && f["severity"] == "warning" &&
                     f["message"].get<std::string>().find("stats_small") != std::string::npos);
  EXPECT_TRUE(small_warning) << file.out;
  // The data change's plan needs the server: the finding says so instead of passing.
  bool says = false;
  for (const auto& f : s["findings"])
    if (f["rule"] == "snapshot-incomplete")
      says = says || f["message"].get<std::string>().find("live snapshot") != std::string::npos;
  EXPECT_TRUE(says) << file.out;
  EXPECT_EQ(s["target_version"], "15");  // the server's, from the file

  // Both at once is a usage error; a file that is no stats file is bad input.
  EXPECT_EQ(
      test::run_migsafe({"check", "--db", test::pg_dsn(), "--stats", d + "/stats.json", d + "/m"})
          .exit_code,
      2);
  test::write_file(d + "/bad.json", "{\"tables\": []}");
  auto bad = test::run_migsafe({"check", "--stats", d + "/bad.json", d + "/m"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("is not a migsafe stats file"), std::string::npos) << bad.out << bad.err;
  // plan on a restored copy (no statistics of its own) takes the production workload from it.
  stats["workload"]["queries"] = json::array({{{"text", "SELECT id FROM stats_big WHERE b = 'x'"},
                                               {"calls", 7},
                                               {"total_ms", 70.0},
                                               {"source", "pg_stat_statements"}}});
  stats["workload"].erase("unavailable");  // the test server has no pg_stat_statements
  test::write_file(d + "/workload.json", stats.dump());
  test::write_file(d + "/p/001_drop.sql", "DROP INDEX stats_big_a;\n");
  auto plan = test::run_migsafe({"plan", "--db", test::pg_dsn(), "--stats", d + "/workload.json",
                                 "--from-stats", "5", "--format", "json", d + "/p"});
  EXPECT_NE(plan.out.find("SELECT id FROM stats_big WHERE b = 'x'"), std::string::npos)
      << plan.out << plan.err;
  EXPECT_EQ(
      test::run_migsafe({"plan", "--db", test::pg_dsn(), "--stats", d + "/workload.json", d + "/p"})
          .exit_code,
      2);  // --stats gives plan a workload: without --from-stats it is a usage error
  test::pg_sql("DROP TABLE stats_big, stats_small;");
}

}  // namespace
}  // namespace migsafe
