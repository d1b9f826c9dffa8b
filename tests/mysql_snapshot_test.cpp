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

namespace migsafe {
namespace {

using Parts = test::MysqlServer;
using test::mysql_server;

std::string dsn(const Parts& p, const std::string& scheme = "mysql") {
  return scheme + "://" + p.user + ":" + p.password + "@" + p.host + ":" + p.port + "/" + p.db;
}

// The fixture, made once per run by the script.
bool fixture(const Parts& p) {
  static const bool made = [&] {
    std::string cmd = std::string(MIGSAFE_SOURCE_DIR) + "/scripts/mysql-fixture.sh '" + p.host +
                      ":" + p.port + ":" + p.user + ":" + p.password + ":" + p.db +
                      "' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }();
  return made;
}

#define REQUIRE_MYSQL(p)                                                  \
  auto p##_opt = mysql_server();                                          \
  if (!p##_opt)                                                           \
    GTEST_SKIP() << "no MariaDB test server: scripts/test.sh starts one " \
                    "(scripts/start-mysql.sh prints MIGSAFE_TEST_MYSQL)"; \
  const Parts& p = *p##_opt;                                              \
  ASSERT_TRUE(fixture(p)) << "scripts/mysql-fixture.sh failed"

struct Closer {
  void operator()(MYSQL* m) const { mysql_close(m); }
};

// CHECKSUM TABLE of the fixture and its columns as information_schema describes them.
std::string state(const Parts& p) {
  std::unique_ptr<MYSQL, Closer> c(mysql_init(nullptr));
  if (!mysql_real_connect(c.get(), p.host.c_str(), p.user.c_str(), p.password.c_str(), p.db.c_str(),
                          static_cast<unsigned>(std::stoi(p.port)), nullptr, 0))
    return "no connection";
  std::string out;
  for (const char* q :
       {"CHECKSUM TABLE snap_orders, snap_customers",
        "SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE) ORDER BY "
        "TABLE_NAME, ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "DATABASE()",
        "SELECT GROUP_CONCAT(INDEX_NAME ORDER BY TABLE_NAME, INDEX_NAME) FROM "
        "information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"}) {
    if (mysql_query(c.get(), q) != 0) return std::string("query failed: ") + q;
    std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> r(mysql_store_result(c.get()),
                                                               mysql_free_result);
    while (MYSQL_ROW row = mysql_fetch_row(r.get()))
      for (unsigned i = 0; i < mysql_num_fields(r.get()); ++i)
        out += std::string(row[i] ? row[i] : "NULL") + "|";
  }
  return out;
}

test::CommandResult check(const std::vector<std::string>& args, const std::string& sql) {
  std::string d = test::temp_dir();
  test::write_file(d + "/1_change.sql", sql);
  std::vector<std::string> all = {"check", "--format", "json"};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back(d);
  return test::run_migsafe(all);
}

const nlohmann::json* finding(const nlohmann::json& doc, const std::string& rule) {
  for (const auto& f : doc["findings"])
    if (f["rule"] == rule) return &f;
  return nullptr;
}

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
                 "(id) REFERENCES snap_orders (id);\n");
  auto doc = nlohmann::json::parse(r.out);
  std::map<int, std::string> fails;
  for (const auto& f : doc["findings"])
    if (f["rule"] == "fails-on-data") fails[f["start"]["line"].get<int>()] = f["message"];
  EXPECT_EQ(fails.size(), 2u) << r.out;
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

  auto trace = check({"--db", dsn(p), "--trace"}, "SELECT 1;\n");
  EXPECT_EQ(trace.exit_code, 2) << trace.out << trace.err;
  EXPECT_NE(trace.out.find("PostgreSQL snapshots in this release"), std::string::npos) << trace.out;
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
