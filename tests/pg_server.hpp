// The PostgreSQL test server that scripts/test.sh starts (scripts/start-postgres.sh prints its
// DSN for MIGSAFE_TEST_PG_DSN): tests that need it skip with a message without it.
#pragma once

#include <string>

namespace migsafe::test {

std::string pg_dsn();  // empty when no server was started
// The test DSN with another role, and another port when given (a proxy in front of it).
std::string pg_dsn_with(const std::string& user, const std::string& password, int port = 0);
int pg_port();
void pg_sql(const std::string& text);          // runs statements, autocommit
std::string pg_one(const std::string& query);  // the first column of the first row, "" for NULL

}  // namespace migsafe::test

#define REQUIRE_PG_SERVER()                                                \
  if (::migsafe::test::pg_dsn().empty())                                   \
  GTEST_SKIP() << "no PostgreSQL test server: scripts/test.sh starts one " \
                  "(scripts/start-postgres.sh prints its DSN for MIGSAFE_TEST_PG_DSN)"
