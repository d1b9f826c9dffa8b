// The MySQL / MariaDB snapshot (a module of its own, loaded only with a mysql:// or mariadb://
// --db): the server's flavor and version, and every table of the database read back as the
// server describes it (SHOW CREATE TABLE, parsed by migsafe's own MySQL front end, so a column no
// migration describes is known exactly), with its rows and bytes. Every query runs in a READ ONLY
// transaction with the server's statement and lock-wait limits.
//
// What only MySQL has (max_execution_time, INNODB_TABLES.TOTAL_ROW_VERSIONS) is written from its
// manual: no MySQL server can run where migsafe is tested, only MariaDB.
#include <mysql.h>

#include <cmath>
#include <memory>
#include <regex>

#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/snapshot.hpp"

namespace migsafe {
namespace {

struct Closer {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using Connection = std::unique_ptr<MYSQL, Closer>;
struct ResultFree {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using Result = std::unique_ptr<MYSQL_RES, ResultFree>;

// mysql://user:password@host:port/database?option=value (mariadb:// alike), percent-encoded.
struct MysqlDsn {
  std::string user, password, host = "127.0.0.1", database;
  unsigned port = 3306;
  bool password_given = false;
};

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

MysqlDsn parse_dsn(const std::string& dsn) {
  static const std::regex uri(
      R"(^(mysql|mariadb)://(?:([^:@/?]*)(?::([^@/?]*))?@)?([^:/?]*)(?::(\d+))?(?:/([^?]*))?(?:\?(.*))?$)");
  std::smatch m;
  if (!std::regex_match(dsn, m, uri))
    throw SnapshotError("the snapshot DSN is not mysql://user:password@host:port/database");
  MysqlDsn d;
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

// The server's rows of a query, as text (NULL as nullopt).
using Row = std::vector<std::optional<std::string>>;

class MysqlSnapshot : public Snapshot {
 public:
  MysqlSnapshot(const std::string& dsn, const SnapshotLimits& limits) : dsn_(dsn), limits_(limits) {
    MysqlDsn d = parse_dsn(dsn);
    conn_.reset(mysql_init(nullptr));
    if (!conn_) throw SnapshotError("cannot start a MySQL client session (out of memory)");
    unsigned connect_timeout = 10;
    // A server that stops answering ends the wait (seconds, past the statement limit).
    unsigned io_timeout = static_cast<unsigned>(limits.statement_timeout_ms / 1000) + 5;
    mysql_options(conn_.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(conn_.get(), MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(conn_.get(), MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    // Without a password in the DSN, the client's option files ([client] in ~/.my.cnf) may give
    // one, as the mysql client reads them.
    if (!d.password_given) mysql_options(conn_.get(), MYSQL_READ_DEFAULT_GROUP, "client");
    mysql_options(conn_.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(conn_.get(), d.host.c_str(), d.user.empty() ? nullptr : d.user.c_str(),
                            d.password_given ? d.password.c_str() : nullptr, d.database.c_str(),
                            d.port, nullptr, 0))
      throw SnapshotError("cannot connect to the snapshot: " + error());
    std::string version = one("SELECT VERSION()").value_or("");
    dialect_ = version.find("MariaDB") != std::string::npos ? Dialect::mariadb : Dialect::mysql;
    // "10.11.6-MariaDB-0+deb12u1", "8.0.36": the series and its release.
    static const std::regex number(R"(^(\d+)\.(\d+)\.(\d+))");
    std::smatch m;
    if (std::regex_search(version, m, number))
      version_ = TargetVersion{std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
    else
      version_ = default_target_version(dialect_);
    superuser_ = one("SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE "
                     "PRIVILEGE_TYPE = 'SUPER' AND GRANTEE = CONCAT(\"'\", "
                     "SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", "
                     "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")")
                     .value_or("0") != "0";
    limit();
  }

  Dialect dialect() const override { return dialect_; }
  TargetVersion server_version() const override { return version_; }
  bool superuser() const override { return superuser_; }

  void load_schema(SchemaModel& model) override {
    exec("START TRANSACTION READ ONLY");
    try {
      read_schema(model);
    } catch (...) {
      rollback();
      throw;
    }
    rollback();
  }

  // EXPLAIN on MySQL comes with its sandbox (the MySQL snapshot issue's later step); until
  // then the rules that need a plan do not ask (can_plan).
  bool can_plan() const override { return false; }
  PlanResult plan(std::string_view) override {
    PlanResult p;
    p.error = "plans of MySQL statements are not read yet";
    return p;
  }
  std::vector<ObservedQuery> queries_using_index(std::string_view) override { return {}; }

  std::unique_ptr<StatementTracer> begin_trace() override {
    throw SnapshotError("--trace runs on PostgreSQL snapshots in this release");
  }
  std::unique_ptr<StatementTracer> begin_plan_trace() override {
    throw SnapshotError("migsafe plan reads PostgreSQL snapshots in this release");
  }
  ObservedQueries top_queries(int) override {
    ObservedQueries out;
    out.unavailable = "the workload of MySQL servers is not read yet";
    return out;
  }

 private:
  std::string error() const { return redact(mysql_error(conn_.get()), dsn_); }

  [[noreturn]] void fail(const std::string& what) const {
    unsigned code = mysql_errno(conn_.get());
    // The connection is gone (server restarted, network down): a database error, said so.
    if (code == 2006 || code == 2013)
      throw SnapshotError("the snapshot connection was lost: " + error());
    throw SnapshotError(what + ": " + error());
  }

  void exec(const std::string& sql) {
    if (mysql_real_query(conn_.get(), sql.data(), sql.size()) != 0)
      fail("the snapshot refused a query");
    // Statements that return nothing still leave a result to free on some servers.
    Result r(mysql_store_result(conn_.get()));
  }

  std::vector<Row> rows(const std::string& sql) {
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

  std::optional<std::string> one(const std::string& sql) {
    auto r = rows(sql);
    if (r.empty() || r[0].empty()) return std::nullopt;
    return r[0][0];
  }

  void rollback() {
    if (mysql_real_query(conn_.get(), "ROLLBACK", 8) == 0)
      Result r(mysql_store_result(conn_.get()));
  }

  // The session's limits: reads only, and no statement or lock wait past the limits.
  void limit() {
    long lock_seconds = std::max(1L, std::lround(limits_.lock_timeout_ms / 1000.0));
    exec("SET SESSION lock_wait_timeout = " + std::to_string(lock_seconds));
    if (dialect_ == Dialect::mariadb)
      exec("SET SESSION max_statement_time = " +
           std::to_string(limits_.statement_timeout_ms / 1000.0));
    else  // MySQL (from its manual): SELECT statements only, in milliseconds.
      exec("SET SESSION max_execution_time = " + std::to_string(limits_.statement_timeout_ms));
    exec("SET SESSION TRANSACTION READ ONLY");
  }

  static std::string quote_name(const std::string& n) {
    std::string out = "`";
    for (char c : n) out += c == '`' ? std::string("``") : std::string(1, c);
    return out + "`";
  }

  void read_schema(SchemaModel& model) {
    for (const auto& t : rows("SELECT TABLE_NAME, TABLE_ROWS, COALESCE(DATA_LENGTH, 0) + "
                              "COALESCE(INDEX_LENGTH, 0) FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")) {
      if (!t[0]) continue;
      std::string name = *t[0];
      auto create = rows("SHOW CREATE TABLE " + quote_name(name));
      TableInfo info;
      if (!create.empty() && create[0].size() >= 2 && create[0][1])
        info = described(name, *create[0][1]);
      info.name = QualifiedName{"", name};
      TableStats stats;
      stats.rows = t[1] ? std::stod(*t[1]) : -1;
      stats.bytes = t[2] ? std::stoll(*t[2]) : 0;
      info.stats = stats;
      model.add_existing_table(std::move(info));
    }
  }

  // The table as the server describes it, read by migsafe's own front end.
  TableInfo described(const std::string& name, const std::string& ddl) {
    SchemaModel scratch;
    auto src = make_source("<snapshot: SHOW CREATE TABLE " + name + ">", ddl + ";\n");
    parse_each(
        dialect_, *src,
        [&](Statement& st) {
          for (const auto& op : st.ops) scratch.apply(op, -1, -1);
        },
        &version_);
    if (const TableInfo* t = scratch.find(QualifiedName{"", name})) return *t;
    return TableInfo{};
  }

  std::string dsn_;
  SnapshotLimits limits_;
  Connection conn_;
  Dialect dialect_ = Dialect::mysql;
  TargetVersion version_;
  bool superuser_ = false;
};

}  // namespace

extern "C" Snapshot* migsafe_mysql_connect(const std::string& dsn, const SnapshotLimits& limits,
                                           std::string& error) {
  try {
    return new MysqlSnapshot(dsn, limits);
  } catch (const std::exception& e) {
    error = "cannot use the snapshot database: " + redact(e.what(), dsn);
    return nullptr;
  }
}

}  // namespace migsafe
