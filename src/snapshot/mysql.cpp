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

#include <nlohmann/json.hpp>

#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/snapshot.hpp"
#include "parse/mysql_lexer.hpp"

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

  bool can_plan() const override { return true; }

  // EXPLAIN FORMAT=JSON of one data change (UPDATE, DELETE, INSERT ... SELECT), decided from
  // migsafe's parse of it: anything else is not sent. EXPLAIN does not run the change, and the
  // session is READ ONLY with a statement limit, so even what the optimizer evaluates early (a
  // constant subquery, a stored function) cannot write or run on.
  PlanResult plan(std::string_view sql) override {
    PlanResult p;
    std::string text = as_select(one_data_change(sql));
    if (text.empty()) {
      p.refused = true;
      p.error = "only a single UPDATE, DELETE or INSERT ... SELECT is explained on MySQL";
      return p;
    }
    try {
      exec("START TRANSACTION READ ONLY");
      auto r = rows("EXPLAIN FORMAT=JSON " + text);
      rollback();
      if (r.empty() || r[0].empty() || !r[0][0]) {
        p.error = "the server gave no plan";
        return p;
      }
      collect_full_scans(nlohmann::json::parse(*r[0][0], nullptr, false), p.seq_scans);
      p.planned = true;
    } catch (const SnapshotError& e) {
      rollback();
      std::string what = e.what();
      if (what.starts_with("the snapshot connection was lost")) throw;
      p.error = what;
    }
    return p;
  }
  std::vector<ObservedQuery> queries_using_index(std::string_view) override { return {}; }

  // Two reads (a count, then one example), since MySQL 5.7 has no window functions.
  DataAnswer check_data(const DataQuestion& q) override {
    DataAnswer a;
    std::string cols, not_null, any_null, row;
    for (size_t i = 0; i < q.columns.size(); ++i) {
      std::string c = "t." + quote_name(q.columns[i]);
      cols += (i ? ", " : "") + c;
      not_null += (i ? " AND " : "") + c + " IS NOT NULL";
      any_null += (i ? " OR " : "") + c + " IS NULL";
      row += (i ? ", " : "") + std::string("IFNULL(") + c + ", 'NULL')";
    }
    row = "CONCAT_WS(', ', " + row + ")";
    std::string from = quote_name(q.table.name) + " t";
    std::string count, example;
    switch (q.kind) {
      case DataQuestion::Kind::nulls:
        count = "SELECT COUNT(*) FROM " + from + " WHERE " + any_null;
        example = "SELECT " + row + " FROM " + from + " WHERE " + any_null + " LIMIT 1";
        break;
      case DataQuestion::Kind::duplicates: {
        std::string groups = "SELECT " + row + " AS k FROM " + from + " WHERE " + not_null +
                             " GROUP BY " + cols + " HAVING COUNT(*) > 1";
        count = "SELECT COUNT(*) FROM (" + groups + ") d";
        example = groups + " LIMIT 1";
        break;
      }
      case DataQuestion::Kind::orphans: {
        std::string match;
        for (size_t i = 0; i < q.columns.size() && i < q.ref_columns.size(); ++i)
          match += (i ? " AND " : "") + std::string("r.") + quote_name(q.ref_columns[i]) + " = t." +
                   quote_name(q.columns[i]);
        std::string where = " WHERE " + not_null + " AND NOT EXISTS (SELECT 1 FROM " +
                            quote_name(q.ref_table.name) + " r WHERE " + match + ")";
        count = "SELECT COUNT(*) FROM " + from + where;
        example = "SELECT " + row + " FROM " + from + where + " LIMIT 1";
        break;
      }
    }
    try {
      exec("START TRANSACTION READ ONLY");
      auto n = one(count);
      auto e = one(example);
      rollback();
      a.answered = true;
      a.rows = n ? std::stoll(*n) : 0;
      if (a.rows > 0 && e) a.example = "(" + *e + ")";
    } catch (const SnapshotError& err) {
      unsigned code = mysql_errno(conn_.get());
      rollback();
      std::string what = err.what();
      if (what.starts_with("the snapshot connection was lost")) throw;
      a.error = what;
      a.unknown_column = code == 1054 || code == 1146;  // unknown column / table
    }
    return a;
  }

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

  // The statement's text when migsafe's own parse finds exactly one data change in it.
  std::string one_data_change(std::string_view sql) {
    auto src = make_source("<snapshot: EXPLAIN>", std::string(sql));
    int statements = 0;
    bool data_change = true;
    std::string text;
    ParsedFile parsed = parse_each(
        dialect_, *src,
        [&](Statement& st) {
          ++statements;
          text = std::string(st.text);
          if (st.ops.empty()) data_change = false;
          for (const auto& op : st.ops)
            if (op.kind != OpKind::update && op.kind != OpKind::delete_rows &&
                !(op.kind == OpKind::insert && op.from_select))
              data_change = false;
        },
        &version_);
    if (statements != 1 || !data_change || !parsed.syntax_errors.empty()) return {};
    while (!text.empty() &&
           (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back()))))
      text.pop_back();
    return text;
  }

  // The rows a data change reads, as a SELECT of the same tables and conditions: MariaDB does
  // not EXPLAIN an UPDATE or DELETE in a READ ONLY transaction, and a SELECT is found the same
  // way. "" when the statement's shape is not one of these.
  std::string as_select(const std::string& text) {
    if (text.empty()) return {};
    mysql::ServerTarget target{dialect_ == Dialect::mariadb,
                               static_cast<uint32_t>(version_.major * 10000 + version_.minor * 100 +
                                                     std::max(0, version_.patch))};
    mysql::Splitter split(text, target);
    mysql::RawStatement st;
    if (!split.next(st) || st.tokens.empty()) return {};
    auto word = [&](size_t i) {
      const mysql::Token& t = st.tokens[i];
      if (t.kind != mysql::Tok::word) return std::string();
      std::string w = text.substr(t.offset, t.length);
      for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return w;
    };
    // The first top-level token (outside parentheses) that is one of these words, from i on.
    auto find = [&](size_t from, std::initializer_list<const char*> words) -> size_t {
      int depth = 0;
      for (size_t i = from; i < st.tokens.size(); ++i) {
        const mysql::Token& t = st.tokens[i];
        if (t.kind == mysql::Tok::punct && text[t.offset] == '(') ++depth;
        if (t.kind == mysql::Tok::punct && text[t.offset] == ')') --depth;
        if (depth != 0) continue;
        std::string w = word(i);
        for (const char* x : words)
          if (w == x) return i;
      }
      return st.tokens.size();
    };
    auto from_token = [&](size_t i) {
      return i < st.tokens.size() ? text.substr(st.tokens[i].offset) : std::string();
    };
    std::string first = word(0);
    if (first == "UPDATE") {
      size_t tables = 1;
      while (tables < st.tokens.size() &&
             (word(tables) == "LOW_PRIORITY" || word(tables) == "IGNORE"))
        ++tables;
      size_t set = find(tables, {"SET"});
      if (set >= st.tokens.size() || set == tables) return {};
      std::string refs =
          text.substr(st.tokens[tables].offset, st.tokens[set].offset - st.tokens[tables].offset);
      return "SELECT 1 FROM " + refs + from_token(find(set, {"WHERE", "ORDER", "LIMIT"}));
    }
    if (first == "DELETE") {
      size_t from = find(1, {"FROM"});
      if (from >= st.tokens.size()) return {};
      size_t using_at = find(from, {"USING"});
      if (using_at < st.tokens.size()) return "SELECT 1 FROM " + from_token(using_at + 1);
      return "SELECT 1 " + from_token(from);
    }
    if (first == "INSERT" || first == "REPLACE") {
      size_t select = find(1, {"SELECT", "WITH"});
      if (select >= st.tokens.size()) return {};
      size_t on = find(select, {"ON"});
      std::string q = from_token(select);
      if (on < st.tokens.size())
        q = text.substr(st.tokens[select].offset, st.tokens[on].offset - st.tokens[select].offset);
      return q;
    }
    return {};
  }

  // Tables the plan reads whole: access type ALL (or a full index scan), with the rows the
  // server expects to examine (MySQL: rows_examined_per_scan; MariaDB: rows).
  static void collect_full_scans(const nlohmann::json& node, std::vector<SeqScan>& out) {
    if (node.is_array()) {
      for (const auto& n : node) collect_full_scans(n, out);
      return;
    }
    if (!node.is_object()) return;
    if (node.contains("access_type") && node.contains("table_name") &&
        node["table_name"].is_string()) {
      std::string type =
          node["access_type"].is_string() ? node["access_type"].get<std::string>() : "";
      if (type == "ALL" || type == "index") {
        double rows = 0;
        for (const char* k : {"rows_examined_per_scan", "rows"})
          if (node.contains(k) && node[k].is_number()) rows = node[k].get<double>();
        out.push_back({node["table_name"].get<std::string>(), rows});
      }
    }
    for (const auto& [k, v] : node.items())
      if (v.is_object() || v.is_array()) collect_full_scans(v, out);
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
