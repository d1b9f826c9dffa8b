#include "snapshot/mysql_session.hpp"

#include <cctype>
#include <cmath>
#include <regex>

namespace migsafe::mysql_snapshot {
namespace {

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct ResultFree {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using Result = std::unique_ptr<MYSQL_RES, ResultFree>;

}  // namespace

Dsn parse_dsn(const std::string& dsn) {
  static const std::regex uri(
      R"(^(mysql|mariadb)://(?:([^:@/?]*)(?::([^@/?]*))?@)?([^:/?]*)(?::(\d+))?(?:/([^?]*))?(?:\?(.*))?$)");
  std::smatch m;
  if (!std::regex_match(dsn, m, uri))
    throw SnapshotError("the snapshot DSN is not mysql://user:password@host:port/database");
  Dsn d;
  d.user = percent_decode(m[2]);
  if (m[3].matched) {
    d.password = percent_decode(m[3]);
    d.password_given = true;
  }
  if (m[4].length()) d.host = percent_decode(m[4]);
  if (m[5].matched) d.port = static_cast<unsigned>(std::stoul(m[5]));
  d.database = percent_decode(m[6]);
  std::string query = m[7];
  for (size_t at = 0; at < query.size();) {
    size_t amp = query.find('&', at);
    std::string pair = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    size_t eq = pair.find('=');
    std::string key = pair.substr(0, eq),
                value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (key == "password") {
      d.password = percent_decode(value);
      d.password_given = true;
    } else if (key == "user") {
      d.user = percent_decode(value);
    }
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  if (d.database.empty())
    throw SnapshotError("the snapshot DSN names no database (mysql://user@host/DATABASE)");
  return d;
}

std::string quote_string(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

bool connection_lost(unsigned code) {
  return code == 2006 || code == 2013;
}

Session::Session(const Dsn& d, const std::string& dsn, const std::string& database,
                 const SnapshotLimits& limits)
    : dsn_(dsn) {
  conn_.reset(mysql_init(nullptr));
  if (!conn_) throw SnapshotError("cannot start a MySQL client session (out of memory)");
  unsigned connect_timeout = 10;
  // A server that stops answering ends the wait (seconds, past the statement limit and past
  // the trace watchdog's KILL QUERY and KILL CONNECTION, which end a statement first).
  unsigned io_timeout = static_cast<unsigned>(limits.statement_timeout_ms / 1000) + 10;
  mysql_options(conn_.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(conn_.get(), MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(conn_.get(), MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  // Without a password in the DSN, the client's option files ([client] in ~/.my.cnf) may give
  // one, as the mysql client reads them.
  if (!d.password_given) mysql_options(conn_.get(), MYSQL_READ_DEFAULT_GROUP, "client");
  mysql_options(conn_.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(conn_.get(), d.host.c_str(), d.user.empty() ? nullptr : d.user.c_str(),
                          d.password_given ? d.password.c_str() : nullptr,
                          database.empty() ? nullptr : database.c_str(), d.port, nullptr, 0))
    throw SnapshotError("cannot connect to the snapshot: " + error());
}

std::string Session::error() const {
  return redact(mysql_error(conn_.get()), dsn_);
}

void Session::fail(const std::string& what) const {
  if (connection_lost(mysql_errno(conn_.get())))
    throw SnapshotError("the snapshot connection was lost: " + error());
  throw SnapshotError(what + ": " + error());
}

void Session::exec(const std::string& sql) {
  if (mysql_real_query(conn_.get(), sql.data(), sql.size()) != 0)
    fail("the snapshot refused a query");
  // Statements that return nothing still leave a result to free on some servers.
  Result r(mysql_store_result(conn_.get()));
}

std::vector<Row> Session::rows(const std::string& sql) {
  if (mysql_real_query(conn_.get(), sql.data(), sql.size()) != 0)
    fail("the snapshot refused a query");
  Result r(mysql_store_result(conn_.get()));
  std::vector<Row> out;
  if (!r) {
    if (mysql_field_count(conn_.get()) != 0) fail("the snapshot's answer could not be read");
    return out;
  }
  unsigned n = mysql_num_fields(r.get());
  while (MYSQL_ROW row = mysql_fetch_row(r.get())) {
    unsigned long* len = mysql_fetch_lengths(r.get());
    Row values;
    for (unsigned i = 0; i < n; ++i)
      values.push_back(row[i] ? std::optional<std::string>(std::string(row[i], len[i]))
                              : std::nullopt);
    out.push_back(std::move(values));
  }
  return out;
}

std::optional<std::string> Session::one(const std::string& sql) {
  auto r = rows(sql);
  if (r.empty() || r[0].empty()) return std::nullopt;
  return r[0][0];
}

std::optional<ServerError> Session::attempt(const std::string& sql) {
  auto refused = [&]() -> std::optional<ServerError> {
    unsigned code = mysql_errno(conn_.get());
    if (connection_lost(code)) fail("the snapshot connection was lost");
    return ServerError{code, mysql_sqlstate(conn_.get()), error()};
  };
  if (mysql_real_query(conn_.get(), sql.data(), sql.size()) != 0) return refused();
  // A statement may return rows, or several results (a CALL): all are read and dropped.
  for (;;) {
    Result r(mysql_store_result(conn_.get()));
    if (!r && mysql_field_count(conn_.get()) != 0) return refused();
    int more = mysql_next_result(conn_.get());
    if (more > 0) return refused();
    if (more < 0) break;
  }
  return std::nullopt;
}

void Session::rollback() {
  if (mysql_real_query(conn_.get(), "ROLLBACK", 8) == 0) Result r(mysql_store_result(conn_.get()));
}

void Session::limit(bool mariadb, const SnapshotLimits& limits) {
  long lock_seconds = std::max(1L, std::lround(limits.lock_timeout_ms / 1000.0));
  exec("SET SESSION lock_wait_timeout = " + std::to_string(lock_seconds));
  exec("SET SESSION innodb_lock_wait_timeout = " + std::to_string(lock_seconds));
  if (mariadb)
    exec("SET SESSION max_statement_time = " +
         std::to_string(limits.statement_timeout_ms / 1000.0));
  else  // MySQL (from its manual): SELECT statements only, in milliseconds.
    exec("SET SESSION max_execution_time = " + std::to_string(limits.statement_timeout_ms));
}

}  // namespace migsafe::mysql_snapshot
