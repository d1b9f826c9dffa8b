// One client session to a MySQL or MariaDB server (RAII over MYSQL*), shared by the snapshot's
// read-only session, the trace's scratch session and its guardian. Errors are SnapshotErrors
// whose messages never hold the password.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migsafe/snapshot.hpp"
#include "parse/mysql_lexer.hpp"

namespace migsafe::mysql_snapshot {

// mysql://user:password@host:port/database?option=value (mariadb:// alike), percent-encoded.
struct Dsn {
  std::string user, password, host = "127.0.0.1", database;
  unsigned port = 3306;
  bool password_given = false;
};
Dsn parse_dsn(const std::string& dsn);

using mysql::quote_ident;
std::string quote_string(std::string_view s);

using Row = std::vector<std::optional<std::string>>;

// What the server said when it refused a statement.
struct ServerError {
  unsigned code = 0;
  std::string sqlstate;
  std::string message;  // redacted
};

class Session {
 public:
  // database: the default database ("" for none). Throws SnapshotError.
  Session(const Dsn& d, const std::string& dsn, const std::string& database,
          const SnapshotLimits& limits);
  Session(Session&&) = default;
  Session& operator=(Session&&) = default;

  void exec(const std::string& sql);
  std::vector<Row> rows(const std::string& sql);
  std::optional<std::string> one(const std::string& sql);
  // Runs a statement, fetching and dropping any rows; the server's refusal as a value. A lost
  // connection still throws.
  std::optional<ServerError> attempt(const std::string& sql);
  void rollback();
  // The session's limits: no statement or lock wait past them.
  void limit(bool mariadb, const SnapshotLimits& limits);
  unsigned last_errno() const { return mysql_errno(conn_.get()); }
  std::string error() const;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  std::unique_ptr<MYSQL, Closer> conn_;
  std::string dsn_;  // for redaction
};

// Whether an error code means the connection is gone (server restarted, network down).
bool connection_lost(unsigned code);

}  // namespace migsafe::mysql_snapshot
