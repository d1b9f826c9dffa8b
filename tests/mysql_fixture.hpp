// What the tests against the real MariaDB server share: the DSN, the fixture of
// scripts/mysql-fixture.sh (made once per run), the snapshot's state to compare before and
// after, and a check run through the binary.
#pragma once

#include <gtest/gtest.h>
#include <mysql.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace migsafe {

using Parts = test::MysqlServer;
using test::mysql_server;

inline std::string dsn(const Parts& p, const std::string& scheme = "mysql") {
  return scheme + "://" + p.user + ":" + p.password + "@" + p.host + ":" + p.port + "/" + p.db;
}

// The fixture, made once per run by the script.
inline bool fixture(const Parts& p) {
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

struct MysqlCloser {
  void operator()(MYSQL* m) const { mysql_close(m); }
};

// CHECKSUM TABLE of the fixture and its columns as information_schema describes them.
inline std::string state(const Parts& p) {
  std::unique_ptr<MYSQL, MysqlCloser> c(mysql_init(nullptr));
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
        "information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()",
        "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE()",
        "SELECT GROUP_CONCAT(ROUTINE_NAME) FROM information_schema.ROUTINES WHERE "
        "ROUTINE_SCHEMA = DATABASE()",
        "SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE "
        "TRIGGER_SCHEMA = DATABASE()",
        "SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME NOT LIKE 'migsafe\\_probe\\_%'"}) {
    if (mysql_query(c.get(), q) != 0) return std::string("query failed: ") + q;
    std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> r(mysql_store_result(c.get()),
                                                               mysql_free_result);
    while (MYSQL_ROW row = mysql_fetch_row(r.get()))
      for (unsigned i = 0; i < mysql_num_fields(r.get()); ++i)
        out += std::string(row[i] ? row[i] : "NULL") + "|";
  }
  return out;
}

// The first value of a query's first row, run as the test role ("" when none).
inline std::string value(const Parts& p, const std::string& sql) {
  std::unique_ptr<MYSQL, MysqlCloser> c(mysql_init(nullptr));
  if (!mysql_real_connect(c.get(), p.host.c_str(), p.user.c_str(), p.password.c_str(), p.db.c_str(),
                          static_cast<unsigned>(std::stoi(p.port)), nullptr, 0))
    return "no connection";
  if (mysql_query(c.get(), sql.c_str()) != 0) return std::string("failed: ") + mysql_error(c.get());
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> r(mysql_store_result(c.get()),
                                                             mysql_free_result);
  if (!r) return "";
  MYSQL_ROW row = mysql_fetch_row(r.get());
  return row && row[0] ? row[0] : "";
}

// The trace's scratch databases on the server, comma-separated.
inline std::string scratch_databases(const Parts& p) {
  return value(p,
               "SELECT COALESCE(GROUP_CONCAT(SCHEMA_NAME), '') FROM information_schema.SCHEMATA "
               "WHERE SCHEMA_NAME LIKE 'migsafe\\_probe\\_%'");
}

inline test::CommandResult check(const std::vector<std::string>& args, const std::string& sql) {
  std::string d = test::temp_dir();
  test::write_file(d + "/1_change.sql", sql);
  std::vector<std::string> all = {"check", "--format", "json"};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back(d);
  return test::run_migsafe(all);
}

inline const nlohmann::json* finding(const nlohmann::json& doc, const std::string& rule) {
  for (const auto& f : doc["findings"])
    if (f["rule"] == rule) return &f;
  return nullptr;
}

}  // namespace migsafe
