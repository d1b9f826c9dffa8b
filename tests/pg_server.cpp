#include "pg_server.hpp"

#include <pqxx/pqxx>

#include <cstdlib>
#include <regex>

namespace migsafe::test {

std::string pg_dsn() {
  const char* d = std::getenv("MIGSAFE_TEST_PG_DSN");
  return d ? d : "";
}

namespace {
const std::regex& uri() {
  static const std::regex re(R"(^postgresql://[^:]+:[^@]+@([^:/]+):(\d+)/(.+)$)");
  return re;
}
}  // namespace

std::string pg_dsn_with(const std::string& user, const std::string& password, int port) {
  std::smatch m;
  std::string d = pg_dsn();
  if (!std::regex_match(d, m, uri())) return d;
  return "postgresql://" + user + ":" + password + "@" + m[1].str() + ":" +
         (port ? std::to_string(port) : m[2].str()) + "/" + m[3].str();
}

int pg_port() {
  std::smatch m;
  std::string d = pg_dsn();
  return std::regex_match(d, m, uri()) ? std::stoi(m[2]) : 0;
}

void pg_sql(const std::string& text) {
  pqxx::connection c(pg_dsn());
  pqxx::nontransaction tx(c);
  tx.exec(text);
}

std::string pg_one(const std::string& query) {
  pqxx::connection c(pg_dsn());
  pqxx::nontransaction tx(c);
  auto r = tx.exec(query);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

}  // namespace migsafe::test
