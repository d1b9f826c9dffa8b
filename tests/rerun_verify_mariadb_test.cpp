// not-repeatable on MariaDB: every case runs twice on the test server, in a scratch database,
// and the second run's harm must be what migsafe reports (tests/rerun_cases.hpp). No MySQL
// server runs here: MySQL's forms are from its manual.
#include <gtest/gtest.h>
#include <mysql.h>

#include <memory>

#include "rerun_cases.hpp"

namespace migsafe {
namespace {

struct Closer {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using Connection = std::unique_ptr<MYSQL, Closer>;

bool runs(MYSQL* m, const std::string& sql) {
  if (mysql_query(m, sql.c_str()) != 0) return false;
  // Every result of a multi-statement string is read, so that the next query can go.
  for (;;) {
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
    int next = mysql_next_result(m);
    if (next > 0) return false;
    if (next < 0) return true;
  }
}

std::string value(MYSQL* m, const std::string& query) {
  if (query.empty()) return {};
  if (mysql_query(m, query.c_str()) != 0) return "<error>";
  MYSQL_RES* r = mysql_store_result(m);
  MYSQL_ROW row = r ? mysql_fetch_row(r) : nullptr;
  std::string v = row && row[0] ? row[0] : "<null>";
  if (r) mysql_free_result(r);
  return v;
}

TEST(RerunVerify, MariadbAgreesWithTheServer) {
  auto f = test::mysql_server();
  if (!f) GTEST_SKIP() << "no MariaDB test server: scripts/test.sh starts one";
  Connection c(mysql_init(nullptr));
  ASSERT_TRUE(mysql_real_connect(c.get(), f->host.c_str(), f->user.c_str(), f->password.c_str(),
                                 nullptr, static_cast<unsigned>(std::stoi(f->port)), nullptr,
                                 CLIENT_MULTI_STATEMENTS))
      << mysql_error(c.get());
  unsigned long v = mysql_get_server_version(c.get());
  TargetVersion version{static_cast<int>(v / 10000), static_cast<int>(v / 100 % 100),
                        static_cast<int>(v % 100)};
  for (const auto& k : test::mariadb_rerun_cases()) {
    SCOPED_TRACE(k.statement);
    ASSERT_TRUE(runs(c.get(),
                     "DROP DATABASE IF EXISTS migsafe_probe_rerun; CREATE DATABASE "
                     "migsafe_probe_rerun; USE migsafe_probe_rerun"))
        << mysql_error(c.get());
    if (*k.setup) {
      ASSERT_TRUE(runs(c.get(), k.setup)) << mysql_error(c.get());
    }
    ASSERT_TRUE(runs(c.get(), k.statement)) << "the first run failed: " << mysql_error(c.get());
    const std::string watched = test::watched_query(k);
    std::string before = value(c.get(), watched);
    bool second = runs(c.get(), k.statement);
    bool harm = !second || value(c.get(), watched) != before;
    EXPECT_EQ(harm, k.harmful) << "the server disagrees with the case";
    EXPECT_EQ(test::reported_not_repeatable(Dialect::mariadb, version, k), k.harmful && !k.no_form);
  }
  runs(c.get(), "DROP DATABASE IF EXISTS migsafe_probe_rerun");
}

}  // namespace
}  // namespace migsafe
