// migsafe plan on the real PostgreSQL test server: a database of 100,000 customers and 200,000
// orders made by scripts/plan-fixture.sh, the workload of fixtures/plan/queries.sql, and one
// migration per case. The verdicts come from the server's own plans.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cstdio>
#include <filesystem>
#include <map>

#include "helpers.hpp"
#include "pg_server.hpp"

namespace migsafe {
namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (::pclose(p) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// The fixture database, made once per test run.
const std::string& plan_dsn() {
  static const std::string dsn = [] {
    std::string base = test::pg_dsn();
    if (base.empty()) return std::string();
    return run_command(std::string(MIGSAFE_SOURCE_DIR) + "/scripts/plan-fixture.sh '" + base + "'");
  }();
  return dsn;
}

#define REQUIRE_PLAN_DB() \
  REQUIRE_PG_SERVER();    \
  ASSERT_FALSE(plan_dsn().empty()) << "scripts/plan-fixture.sh failed"

struct Plan {
  int exit_code = -1;
  nlohmann::json doc;
  std::string out, err;
  // Verdict per query, by the query's line in fixtures/plan/queries.sql.
  std::map<int, std::string> verdicts() const {
    std::map<int, std::string> v;
    for (const auto& q : doc["queries"])
      if (q.contains("start")) v[q["start"]["line"].get<int>()] = q["verdict"];
    return v;
  }
  const nlohmann::json& query_at(int line) const {
    for (const auto& q : doc["queries"])
      if (q.contains("start") && q["start"]["line"] == line) return q;
    static const nlohmann::json none;
    return none;
  }
};

Plan plan(const std::vector<std::string>& migrations, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"plan", "--db", plan_dsn(), "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  for (const auto& m : migrations) args.push_back(m);
  auto r = test::run_migsafe(args, "", MIGSAFE_SOURCE_DIR);
  Plan p;
  p.exit_code = r.exit_code;
  p.out = r.out;
  p.err = r.err;
  p.doc = nlohmann::json::parse(r.out, nullptr, false);
  return p;
}

const std::vector<std::string> kQueries = {"--queries", "fixtures/plan/queries.sql"};
// Lines of the queries in fixtures/plan/queries.sql.
constexpr int kByCustomer = 4, kByEmail = 7, kLatest = 10, kPerStatus = 13;

// Everything a plan run could leave behind: the data (a checksum of every row), the catalog
// (with each table's file), and the statistics' counters of scans and written rows (which a
// reset would zero, and a write would move). The data is read first and its own scans flushed
// to the statistics, so that the counters read after it include them; a later fingerprint reads
// the counters before it reads the data again.
struct Fingerprint {
  std::string data, catalog;
  bool operator==(const Fingerprint&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Fingerprint& f) {
  return o << "data " << f.data << ", catalog and counters " << f.catalog;
}

std::string catalog_and_counters(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  return tx
      .exec1(R"(
      SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
        SELECT 'c' || c.oid || c.relname || c.relfilenode || c.relkind::text AS x
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%'
        UNION ALL SELECT 'e' || extname FROM pg_extension
        UNION ALL SELECT 'a' || attrelid || attname FROM pg_attribute
          WHERE attrelid = 'orders'::regclass AND attnum > 0
        UNION ALL SELECT 's' || relname || seq_scan || ',' || COALESCE(idx_scan, 0) || ','
          || n_tup_ins || ',' || n_tup_upd || ',' || n_tup_del FROM pg_stat_user_tables
          WHERE relname IN ('orders', 'customers')) t)")[0]
      .as<std::string>();
}

std::string data(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  std::string sum = tx.exec1(R"(
      SELECT md5((SELECT string_agg(md5(o::text), ',' ORDER BY o.id) FROM orders o) ||
                 (SELECT string_agg(md5(u::text), ',' ORDER BY u.id) FROM customers u)))")[0]
                        .as<std::string>();
  tx.exec("SELECT pg_stat_force_next_flush()");
  return sum;
}

Fingerprint before_run() {
  pqxx::connection c(plan_dsn());
  Fingerprint f;
  f.data = data(c);
  f.catalog = catalog_and_counters(c);
  return f;
}

Fingerprint after_run() {
  pqxx::connection c(plan_dsn());
  Fingerprint f;
  f.catalog = catalog_and_counters(c);
  f.data = data(c);
  return f;
}

TEST(Plan, DroppingAnIndexAQueryUsesIsARegression) {
  REQUIRE_PLAN_DB();
  Fingerprint before = before_run();
  Plan p = plan({"fixtures/plan/drop-index"}, kQueries);
  ASSERT_EQ(p.exit_code, 1) << p.out << p.err;
  EXPECT_EQ(p.verdicts()[kByCustomer], "regressed") << p.out;
  const auto& q = p.query_at(kByCustomer);
  EXPECT_EQ(q["new_seq_scans"][0]["table"], "orders") << q.dump();
  EXPECT_GE(q["new_seq_scans"][0]["rows"].get<double>(), 100000);
  EXPECT_EQ(q["indexes_before"], nlohmann::json::array({"orders_customer_id_idx"}));
  EXPECT_TRUE(q["indexes_after"].empty()) << q.dump();
  EXPECT_GT(q["cost_ratio"].get<double>(), 2);
  // Only that query: the others do not use the index.
  EXPECT_EQ(p.verdicts()[kByEmail], "unchanged");
  EXPECT_EQ(p.verdicts()[kPerStatus], "unchanged");
  // The queries with $1 are planned generically, before and after.
  EXPECT_TRUE(q["before"]["generic"].get<bool>());
  EXPECT_TRUE(q["after"]["generic"].get<bool>());
  // The regressed query comes first.
  EXPECT_EQ(p.doc["queries"][0]["verdict"], "regressed");
  // The snapshot is unchanged, its statistics too; the index is still there.
  EXPECT_EQ(after_run(), before);
}

TEST(Plan, AddingAnIndexAQueryCanUseIsAnImprovement) {
  REQUIRE_PLAN_DB();
  Fingerprint before = before_run();
  Plan p = plan({"fixtures/plan/add-index"}, kQueries);
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_EQ(p.verdicts()[kLatest], "improved") << p.out;
  EXPECT_EQ(p.query_at(kLatest)["gone_seq_scans"][0]["table"], "orders");
  EXPECT_EQ(p.verdicts()[kByCustomer], "unchanged");
  // The server has HypoPG (scripts/setup.sh installs it): the index was never built.
  EXPECT_EQ(p.doc["index_method"], "hypothetical");
  EXPECT_EQ(after_run(), before);
}

TEST(Plan, ReplacingAnIndexByAnEquivalentOneIsUnchanged) {
  REQUIRE_PLAN_DB();
  Plan p = plan({"fixtures/plan/replace-index"}, kQueries);
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  for (const auto& [line, v] : p.verdicts()) EXPECT_EQ(v, "unchanged") << line << "\n" << p.out;
  // Its plan uses the other index: said, at a similar cost.
  EXPECT_TRUE(p.query_at(kByCustomer)["shape_changed"].get<bool>());
}

TEST(Plan, AddingAColumnIsUnchanged) {
  REQUIRE_PLAN_DB();
  Fingerprint before = before_run();
  Plan p = plan({"fixtures/plan/add-column"}, kQueries);
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  for (const auto& [line, v] : p.verdicts()) EXPECT_EQ(v, "unchanged") << line << "\n" << p.out;
  EXPECT_FALSE(p.query_at(kByCustomer)["shape_changed"].get<bool>());
  EXPECT_EQ(after_run(), before);  // the column was added in the rolled-back transaction
}

// A statement the snapshot rejects ends the after-phase, at its line:col with the server's
// message; no query is compared with a half-applied migration.
TEST(Plan, RejectedMigrationEndsTheAfterPhase) {
  REQUIRE_PLAN_DB();
  Plan p = plan({"fixtures/plan/rejected"}, kQueries);
  ASSERT_EQ(p.exit_code, 1) << p.out << p.err;
  ASSERT_TRUE(p.doc["stopped"].is_object()) << p.out;
  EXPECT_EQ(p.doc["stopped"]["start"]["line"], 2);
  EXPECT_NE(p.doc["stopped"]["message"].get<std::string>().find("already exists"),
            std::string::npos);
  for (const auto& [line, v] : p.verdicts()) EXPECT_EQ(v, "unplanned") << line;
}

// The workload from the server's statistics: the statements it spent most time on, with $n
// where their constants were, planned generically.
TEST(Plan, WorkloadFromPgStatStatements) {
  REQUIRE_PLAN_DB();
  {
    pqxx::connection c(plan_dsn());
    pqxx::nontransaction tx(c);
    tx.exec("SELECT pg_stat_statements_reset()");
    for (int i = 1; i <= 20; ++i)
      tx.exec("SELECT id, total FROM orders WHERE customer_id = " + std::to_string(i));
    tx.exec("SELECT count(*) FROM customers WHERE created_at > now() - interval '1 day'");
  }
  Plan p = plan({"fixtures/plan/drop-index"}, {"--from-stats", "5"});
  ASSERT_EQ(p.exit_code, 1) << p.out << p.err;
  bool found = false;
  for (const auto& q : p.doc["queries"]) {
    if (q["query"].get<std::string>().find("customer_id = $1") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(q["verdict"], "regressed") << q.dump();
    EXPECT_GE(q["observed"]["calls"].get<double>(), 20);
    EXPECT_TRUE(q["before"]["generic"].get<bool>());
  }
  EXPECT_TRUE(found) << p.out;
}

// check --db: dropping an index names the server's statements whose plans use it.
TEST(Plan, DropIndexInUseNamesTheQueriesThatUseIt) {
  REQUIRE_PLAN_DB();
  {
    pqxx::connection c(plan_dsn());
    pqxx::nontransaction tx(c);
    for (int i = 1; i <= 5; ++i)
      tx.exec("SELECT id, total FROM orders WHERE customer_id = " + std::to_string(i));
    tx.exec("SELECT pg_stat_force_next_flush()");
  }
  auto r = test::run_migsafe(
      {"check", "--db", plan_dsn(), "--format", "json", "fixtures/plan/drop-index"}, "",
      MIGSAFE_SOURCE_DIR);
  auto doc = nlohmann::json::parse(r.out);
  bool named = false;
  for (const auto& f : doc["findings"])
    if (f["rule"] == "drop-index-in-use")
      for (const auto& n : f["notes"])
        named |= n.get<std::string>().find("customer_id = $1` uses orders_customer_id_idx") !=
                 std::string::npos;
  EXPECT_TRUE(named) << r.out;
}

// check --db counts the rows that would make a change fail (read-only) and shows one.
TEST(Plan, FailsOnData) {
  REQUIRE_PLAN_DB();
  Fingerprint before = before_run();
  std::string d = test::temp_dir();
  test::write_file(d + "/m/1.sql",
                   "SET lock_timeout = '2s';\n"
                   "CREATE UNIQUE INDEX CONCURRENTLY orders_status_key ON orders (status);\n"
                   "CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON customers (email);\n"
                   "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;\n"
                   "ALTER TABLE orders ADD CONSTRAINT orders_id_customer FOREIGN KEY (id) "
                   "REFERENCES customers (id);\n"
                   "ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 50);\n"
                   "ALTER TABLE orders ALTER COLUMN status TYPE varchar(4);\n"
                   "ALTER TABLE orders ADD CONSTRAINT orders_total_nonneg CHECK (total >= 0);\n"
                   "ALTER TABLE customers ALTER COLUMN id TYPE int;\n");
  auto r = test::run_migsafe({"check", "--db", plan_dsn(), "--format", "json", d + "/m"});
  auto doc = nlohmann::json::parse(r.out);
  std::map<int, std::string> fails;
  for (const auto& f : doc["findings"])
    if (f["rule"] == "fails-on-data") fails[f["start"]["line"].get<int>()] = f["message"];
  ASSERT_EQ(fails.size(), 4u) << r.out;
  // A CHECK the rows break, a type too short for them; a CHECK and a narrower type that every
  // row satisfies pass.
  EXPECT_NE(fails[6].find("100000 rows of orders break CHECK (total < 50)"), std::string::npos)
      << fails[6];
  EXPECT_NE(fails[7].find("100000 rows of orders hold values longer than 4 characters, which "
                          "varchar(4) cannot hold, e.g. ("),
            std::string::npos)
      << fails[7];
  EXPECT_NE(fails[2].find("4 values of (status) in orders occur more than once"), std::string::npos)
      << fails[2];
  EXPECT_NE(fails[5].find("100000 rows of orders reference (id) values that customers does not "
                          "have, e.g. ("),
            std::string::npos)
      << fails[5];
  // Counting reads the tables, which moves the statistics' scan counters (as any read does);
  // the rows and the catalog stay as they were.
  EXPECT_EQ(after_run().data, before.data);
  pqxx::connection c(plan_dsn());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_class WHERE relname IN ('orders_status_key', "
                     "'customers_email_key')")[0]
                .as<int>(),
            0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_id_customer'")[0]
                .as<int>(),
            0);
}

TEST(Plan, PgStatStatementsAbsentIsSaid) {
  REQUIRE_PG_SERVER();
  // The test database has no pg_stat_statements extension.
  auto r = test::run_migsafe(
      {"plan", "--db", test::pg_dsn(), "--from-stats", "5", "fixtures/plan/add-column"}, "",
      MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("pg_stat_statements is not installed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("migsafe-test-secret"), std::string::npos);
}

// A workload query that does not parse is an input error at its place; one that cannot be
// planned is reported, never dropped.
TEST(Plan, BadWorkloadQueries) {
  REQUIRE_PLAN_DB();
  std::string d = test::temp_dir();
  test::write_file(d + "/bad.sql", "SELECT 1;\nSELEC id FROM orders;\n");
  auto bad = test::run_migsafe(
      {"plan", "--db", plan_dsn(), "--queries", d + "/bad.sql", "fixtures/plan/add-column"}, "",
      MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("bad.sql:2:"), std::string::npos) << bad.out;

  test::write_file(d + "/missing.sql", "SELECT id FROM no_such_table WHERE id = $1;\n");
  Plan p = plan({"fixtures/plan/add-column"}, {"--queries", d + "/missing.sql"});
  EXPECT_EQ(p.exit_code, 0) << p.out;
  ASSERT_EQ(p.doc["queries"].size(), 1u);
  EXPECT_EQ(p.doc["queries"][0]["verdict"], "unplanned");
  EXPECT_NE(p.doc["queries"][0]["reasons"][0].get<std::string>().find("no_such_table"),
            std::string::npos);
}

// What the sandbox refuses is not planned either: the planner runs immutable functions.
TEST(Plan, WorkloadQueriesAreJudgedBySandbox) {
  REQUIRE_PLAN_DB();
  std::string d = test::temp_dir();
  test::write_file(d + "/hostile.sql", "SELECT pg_terminate_backend(1);\n");
  Plan p = plan({"fixtures/plan/add-column"}, {"--queries", d + "/hostile.sql"});
  ASSERT_EQ(p.doc["queries"].size(), 1u) << p.out;
  EXPECT_EQ(p.doc["queries"][0]["verdict"], "unplanned");
  EXPECT_TRUE(p.doc["queries"][0]["before"]["refused"].get<bool>());
}

// The text report: the changed query side by side, one line per unchanged one.
TEST(Plan, TextAndMarkdownReports) {
  REQUIRE_PLAN_DB();
  auto text = test::run_migsafe({"plan", "--db", plan_dsn(), "--queries",
                                 "fixtures/plan/queries.sql", "fixtures/plan/drop-index"},
                                "", MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("regressed  fixtures/plan/queries.sql:4:1"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("* Seq Scan on orders"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 regressed, 0 improved, 3 unchanged"), std::string::npos);
  auto md = test::run_migsafe({"plan", "--db", plan_dsn(), "--format", "markdown", "--queries",
                               "fixtures/plan/queries.sql", "fixtures/plan/drop-index"},
                              "", MIGSAFE_SOURCE_DIR);
  EXPECT_NE(md.out.find("## migsafe plan: blocked"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("<details>"), std::string::npos) << md.out;
}

// The HTML page in a real browser (headless Chromium): self-contained, the regressed query's
// section first and visible. The screenshot is kept in the build folder's test-artifacts/.
TEST(Plan, HtmlReportInChromium) {
  REQUIRE_PLAN_DB();
  std::string chromium = run_command("command -v chromium || command -v chromium-browser");
  if (chromium.empty()) GTEST_SKIP() << "no chromium: scripts/setup.sh installs it";
  std::string d = test::temp_dir();
  auto r = test::run_migsafe({"plan", "--db", plan_dsn(), "--queries", "fixtures/plan/queries.sql",
                              "--format", "json", "--output", "html=" + d + "/plan.html",
                              "fixtures/plan/add-index", "fixtures/plan/drop-index"},
                             "", MIGSAFE_SOURCE_DIR);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::string html = test::read_file(d + "/plan.html");
  ASSERT_FALSE(html.empty());
  // Nothing to fetch and nothing to run.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);

  // A probe appended to a copy reads the page as the browser laid it out.
  std::string probe = html;
  probe.insert(probe.rfind("</body>"), R"(<script>
    const all = [...document.querySelectorAll('section.query')];
    const first = all[0], box = first.getBoundingClientRect(), css = getComputedStyle(first);
    const out = document.createElement('pre');
    out.id = 'probe';
    out.textContent = JSON.stringify({
      order: all.map(s => s.className),
      visible: css.display !== 'none' && css.visibility !== 'hidden' && box.height > 0 &&
               box.top >= 0 && box.top < window.innerHeight,
      changed: first.querySelectorAll('li.changed').length});
    document.body.appendChild(out);
  </script>)");
  test::write_file(d + "/probe.html", probe);
  std::string flags =
      " --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--window-size=1280,900 ";
  std::string dom =
      run_command(chromium + flags + "--dump-dom 'file://" + d + "/probe.html' 2>/dev/null");
  size_t at = dom.find("<pre id=\"probe\">");
  ASSERT_NE(at, std::string::npos) << dom.substr(0, 2000);
  size_t begin = dom.find('>', at) + 1;
  std::string text = dom.substr(begin, dom.find("</pre>", begin) - begin);
  for (auto [from, to] : {std::pair<std::string, std::string>{"&quot;", "\""}, {"&amp;", "&"}})
    for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p))
      text.replace(p, from.size(), to);
  auto facts = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(facts.is_discarded()) << text;
  ASSERT_EQ(facts["order"].size(), 2u) << text;
  EXPECT_EQ(facts["order"][0], "query regressed") << text;
  EXPECT_EQ(facts["order"][1], "query improved") << text;
  EXPECT_TRUE(facts["visible"].get<bool>()) << text;
  EXPECT_GE(facts["changed"].get<int>(), 2) << text;

  std::filesystem::create_directories(MIGSAFE_ARTIFACTS_DIR);
  std::string shot = std::string(MIGSAFE_ARTIFACTS_DIR) + "/plan-report.png";
  std::filesystem::remove(shot);
  run_command(chromium + flags + "--screenshot='" + shot + "' 'file://" + d +
              "/plan.html' 2>/dev/null; echo done");
  EXPECT_TRUE(std::filesystem::exists(shot)) << shot;
}

}  // namespace
}  // namespace migsafe
