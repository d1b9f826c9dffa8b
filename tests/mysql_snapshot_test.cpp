// The MySQL / MariaDB snapshot against the real MariaDB server that scripts/test.sh starts: the
// tables of scripts/mysql-fixture.sh (100,000 orders) read back exactly (definitions no
// migration describes, character sets, sizes), the server's flavor and version, usage and
// database errors, and the snapshot unchanged afterwards.
#include <gtest/gtest.h>
#include <mysql.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>

#include "helpers.hpp"
#include "mysql_fixture.hpp"

namespace migsafe {
namespace {

// A MODIFY of a column no migration describes is judged from the server's own definition, and
// the table's real size is in the message.
TEST(MysqlSnapshot, ExactDefinitionsAndSizes) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  const std::string widen =
      "SET SESSION lock_wait_timeout = 5;\n"
      "ALTER TABLE snap_orders MODIFY note VARCHAR(100) NOT NULL DEFAULT '';\n";
  auto r = check({"--db", dsn(p)}, widen);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto* f = finding(doc, "change-column-type");
  ASSERT_NE(f, nullptr) << r.out;
  std::string message = (*f)["message"];
  EXPECT_NE(message.find("VARCHAR(60) to VARCHAR(100) in utf8mb4"), std::string::npos) << message;
  EXPECT_NE(message.find("rows"), std::string::npos) << message;
  EXPECT_EQ((*f)["severity"], "error");
  EXPECT_EQ(finding(doc, "modify-column-unknown-definition"), nullptr) << r.out;

  // Without the snapshot, the same file can only say the definition is unknown.
  auto blind = check({"--dialect", "mariadb"}, widen);
  auto blind_doc = nlohmann::json::parse(blind.out);
  EXPECT_NE(finding(blind_doc, "modify-column-unknown-definition"), nullptr) << blind.out;

  // A latin1 column widened within its one-byte length prefix: no copy, as the server would.
  auto latin1 = check({"--db", dsn(p)},
                      "SET SESSION lock_wait_timeout = 5;\n"
                      "ALTER TABLE snap_customers MODIFY legacy_code VARCHAR(250) CHARACTER SET "
                      "latin1, ALGORITHM=INPLACE, LOCK=NONE;\n");
  auto latin1_doc = nlohmann::json::parse(latin1.out);
  EXPECT_EQ(finding(latin1_doc, "change-column-type"), nullptr) << latin1.out;
  EXPECT_EQ(latin1.exit_code, 0) << latin1.out;

  // The same copy on a small table (1,000 customers) is a warning: its size is below the rule's
  // threshold.
  auto small = check({"--db", dsn(p)},
                     "SET SESSION lock_wait_timeout = 5;\n"
                     "ALTER TABLE snap_customers MODIFY email VARCHAR(100) NOT NULL;\n");
  auto small_doc = nlohmann::json::parse(small.out);
  const auto* s = finding(small_doc, "change-column-type");
  ASSERT_NE(s, nullptr) << small.out;
  EXPECT_EQ((*s)["severity"], "warning") << small.out;

  EXPECT_EQ(state(p), before) << "the snapshot changed";
}

// A data change whose plan reads the whole (big) table is blocked; one an index serves is not.
// The plan is the server's EXPLAIN of the rows the change reads, in a READ ONLY transaction.
TEST(MysqlSnapshot, UnindexedDataChange) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  auto r = check({"--db", dsn(p)},
                 "SET SESSION lock_wait_timeout = 5;\n"
                 "UPDATE snap_orders SET total = 0 WHERE note = 'x';\n"
                 "UPDATE snap_orders SET total = 0 WHERE id = 5;\n"
                 "DELETE FROM snap_orders WHERE customer_id = 7;\n"
                 "DELETE FROM snap_orders WHERE total > 900 LIMIT 10;\n"
                 "INSERT INTO snap_customers (id, email) SELECT id + 5000, note FROM snap_orders "
                 "WHERE id < 10;\n");
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::vector<int> lines;
  for (const auto& f : doc["findings"]) {
    EXPECT_NE(f["rule"], "snapshot-incomplete") << f.dump();
    if (f["rule"] == "unindexed-data-change") lines.push_back(f["start"]["line"].get<int>());
  }
  EXPECT_EQ(lines, (std::vector<int>{2, 5})) << r.out;
  EXPECT_EQ(state(p), before) << "the snapshot changed";
}

// The rows that would make a change fail are counted (read-only) and one is shown.
TEST(MysqlSnapshot, FailsOnData) {
  REQUIRE_MYSQL(p);
  std::string before = state(p);
  auto r = check({"--db", dsn(p)},
                 "SET SESSION lock_wait_timeout = 5;\n"
                 "ALTER TABLE snap_customers MODIFY bio TEXT NOT NULL;\n"
                 "ALTER TABLE snap_orders ADD UNIQUE KEY snap_orders_total_u (total);\n"
                 "ALTER TABLE snap_customers ADD UNIQUE KEY snap_customers_email_u (email);\n"
                 "ALTER TABLE snap_customers ADD CONSTRAINT snap_customers_id_order FOREIGN KEY "
                 "(id) REFERENCES snap_orders (id);\n"
                 "ALTER TABLE snap_orders ADD CONSTRAINT snap_orders_small CHECK (total < 500);\n"
                 "ALTER TABLE snap_customers MODIFY email VARCHAR(10) NOT NULL;\n"
                 "ALTER TABLE snap_orders ADD CONSTRAINT snap_orders_nonneg CHECK (total >= 0);\n"
                 "ALTER TABLE snap_orders MODIFY customer_id SMALLINT NOT NULL;\n"
                 "ALTER TABLE snap_orders MODIFY customer_id TINYINT NOT NULL;\n");
  auto doc = nlohmann::json::parse(r.out);
  std::map<int, std::string> fails;
  for (const auto& f : doc["findings"])
    if (f["rule"] == "fails-on-data") fails[f["start"]["line"].get<int>()] = f["message"];
  EXPECT_EQ(fails.size(), 5u) << r.out;
  // A CHECK the rows break, values a narrower type cannot hold; the CHECK (line 8) and the
  // narrower type (line 9) that every row satisfies pass.
  EXPECT_NE(fails[6].find("49700 rows of snap_orders break CHECK (total < 500)"), std::string::npos)
      << fails[6];
  EXPECT_NE(fails[7].find("1000 rows of snap_customers hold values longer than 10 characters"),
            std::string::npos)
      << fails[7];
  EXPECT_NE(fails[10].find("87300 rows of snap_orders hold values outside"), std::string::npos)
      << fails[10];
  EXPECT_NE(fails[10].find("(-128 to 127)"), std::string::npos) << fails[10];
  EXPECT_NE(fails[2].find("1000 rows of snap_customers have NULL in (bio)"), std::string::npos)
      << fails[2];
  EXPECT_NE(fails[3].find("997 values of (total) in snap_orders occur more than once"),
            std::string::npos)
      << fails[3];
  EXPECT_EQ(state(p), before) << "the snapshot changed";
}

// Without --dialect the DSN's scheme and then the server's flavor decide; a --dialect of
// another engine is a usage error.
TEST(MysqlSnapshot, DialectAndVersionComeFromTheServer) {
  REQUIRE_MYSQL(p);
  auto r = check({"--db", dsn(p)}, "SELECT 1;\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["dialect"], "mariadb") << r.out;  // mysql:// reaching a MariaDB server
  EXPECT_TRUE(doc["target_version"].get<std::string>().starts_with("10.")) << r.out;

  auto pinned = check({"--db", dsn(p), "--target-version", "10.6"}, "SELECT 1;\n");
  EXPECT_EQ(nlohmann::json::parse(pinned.out)["target_version"], "10.6") << pinned.out;

  auto wrong = check({"--db", dsn(p), "--dialect", "postgres"}, "SELECT 1;\n");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("contradicts"), std::string::npos) << wrong.err;
}

// A wrong password is a database error (exit 3) whose message never holds the password, in the
// userinfo or in the query string.
TEST(MysqlSnapshot, WrongPasswordIsExit3WithoutThePassword) {
  REQUIRE_MYSQL(p);
  std::string bad =
      "mysql://" + p.user + ":not-the-secret-4711@" + p.host + ":" + p.port + "/" + p.db;
  auto r = check({"--db", bad}, "SELECT 1;\n");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("Access denied"), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find("not-the-secret-4711"), std::string::npos) << r.err;

  std::string query = "mariadb://" + p.user + "@" + p.host + ":" + p.port + "/" + p.db +
                      "?password=also-not-it-0815";
  auto q = check({"--db", query}, "SELECT 1;\n");
  EXPECT_EQ(q.exit_code, 3) << q.out << q.err;
  EXPECT_EQ((q.out + q.err).find("also-not-it-0815"), std::string::npos) << q.err;

  // Nothing listens there: a database error too.
  auto gone = check({"--db", "mysql://u:pw-4242@127.0.0.1:1/db"}, "SELECT 1;\n");
  EXPECT_EQ(gone.exit_code, 3) << gone.out << gone.err;
  EXPECT_EQ((gone.out + gone.err).find("pw-4242"), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// migsafe stats of the MariaDB fixture, and check --stats from it: the server's definitions and
// sizes without the server (the copy's severity, the definition a MODIFY is judged against).
TEST(MysqlStats, CheckFromTheFileMatchesTheSnapshot) {
  REQUIRE_MYSQL(p);
  std::string d = test::temp_dir();
  auto written = test::run_migsafe({"stats", "--db", dsn(p), "--output", "json=" + d + "/s.json"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  std::string text = test::read_file(d + "/s.json");
  EXPECT_EQ(text.find(p.password), std::string::npos);
  auto stats = nlohmann::json::parse(text);
  EXPECT_EQ(stats["dialect"], "mariadb");
  const std::string widen =
      "SET SESSION lock_wait_timeout = 5;\n"
      "ALTER TABLE snap_orders MODIFY note VARCHAR(100) NOT NULL DEFAULT '';\n"
      "ALTER TABLE snap_customers MODIFY email VARCHAR(100) NOT NULL;\n";
  auto live = check({"--db", dsn(p)}, widen);
  auto file = check({"--stats", d + "/s.json"}, widen);
  auto l = nlohmann::json::parse(live.out), s = nlohmann::json::parse(file.out);
  auto changes = [](const nlohmann::json& doc) {
    std::vector<std::string> out;
    for (const auto& f : doc["findings"])
      if (f["rule"] == "change-column-type")
        out.push_back(f["severity"].get<std::string>() + " " + f["message"].get<std::string>());
    return out;
  };
  EXPECT_EQ(changes(s), changes(l)) << file.out;
  EXPECT_EQ(changes(s).size(), 2u) << file.out;
  EXPECT_EQ(s["dialect"], "mariadb");
}

}  // namespace
}  // namespace migsafe
