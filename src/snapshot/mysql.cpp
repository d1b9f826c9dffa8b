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
#include <map>
#include <memory>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "migsafe/ascii.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/sandbox.hpp"
#include "migsafe/snapshot.hpp"
#include "parse/mysql_lexer.hpp"
#include "snapshot/mysql_session.hpp"
#include "snapshot/mysql_trace.hpp"

namespace migsafe {
namespace {

using namespace mysql_snapshot;

class MysqlSnapshot : public Snapshot {
 public:
  MysqlSnapshot(const std::string& dsn, const SnapshotLimits& limits) : dsn_(dsn), limits_(limits) {
    Dsn d = parse_dsn(dsn);
    database_ = d.database;
    session_.emplace(d, dsn, d.database, limits);
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
    session_->limit(dialect_ == Dialect::mariadb, limits_);
    session_->exec("SET SESSION TRANSACTION READ ONLY");
    for (const auto& r : rows("SHOW DATABASES"))
      if (r[0]) databases_.push_back(*r[0]);
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
    // The SELECT holds the migration's own conditions, which MariaDB may run while it explains
    // (a derived table that reads no table is materialized): judged like anything sent.
    if (MysqlSandboxVerdict v = judge_mysql(text, read_context()); v.action != SandboxAction::run) {
      p.refused = true;
      p.error = "the sandbox did not send its EXPLAIN: " + v.reason;
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
      std::string c = "t." + quote_ident(q.columns[i]);
      cols += (i ? ", " : "") + c;
      not_null += (i ? " AND " : "") + c + " IS NOT NULL";
      any_null += (i ? " OR " : "") + c + " IS NULL";
      row += (i ? ", " : "") + std::string("IFNULL(") + c + ", 'NULL')";
    }
    row = "CONCAT_WS(', ', " + row + ")";
    std::string from = quote_ident(q.table.name) + " t";
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
          match += (i ? " AND " : "") + std::string("r.") + quote_ident(q.ref_columns[i]) +
                   " = t." + quote_ident(q.columns[i]);
        std::string where = " WHERE " + not_null + " AND NOT EXISTS (SELECT 1 FROM " +
                            quote_ident(q.ref_table.name) + " r WHERE " + match + ")";
        count = "SELECT COUNT(*) FROM " + from + where;
        example = "SELECT " + row + " FROM " + from + where + " LIMIT 1";
        break;
      }
      case DataQuestion::Kind::violations: {
        // The condition holds the migration's own expression (a CHECK): judged like anything
        // else sent to the snapshot, in the READ ONLY session.
        count = "SELECT COUNT(*) FROM " + from + " WHERE " + q.condition;
        if (!q.columns.empty())
          example = "SELECT " + row + " FROM " + from + " WHERE " + q.condition + " LIMIT 1";
        MysqlSandboxVerdict v = judge_mysql(count, read_context());
        if (v.action != SandboxAction::run) {
          a.error = "the sandbox did not send the count: " + v.reason;
          return a;
        }
        break;
      }
    }
    try {
      exec("START TRANSACTION READ ONLY");
      auto n = one(count);
      auto e = example.empty() ? std::nullopt : one(example);
      rollback();
      a.answered = true;
      a.rows = n ? std::stoll(*n) : 0;
      if (a.rows > 0 && e) a.example = "(" + *e + ")";
    } catch (const SnapshotError& err) {
      unsigned code = session_->last_errno();
      rollback();
      std::string what = err.what();
      if (what.starts_with("the snapshot connection was lost")) throw;
      a.error = what;
      a.unknown_column = code == 1054 || code == 1146;  // unknown column / table
    }
    return a;
  }

  std::unique_ptr<StatementTracer> begin_trace() override {
    return make_mysql_tracer(facts(), *this);
  }
  std::unique_ptr<StatementTracer> begin_plan_trace() override {
    std::set<std::string> tables;
    exec("START TRANSACTION READ ONLY");
    auto names =
        rows("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()");
    rollback();
    for (const auto& r : names)
      if (r[0]) tables.insert(*r[0]);
    return make_mysql_plan_session(facts(), std::move(tables));
  }

  // The statement digests of performance_schema, most time first: the queries (SELECT, WITH)
  // of this database whose text the server kept whole.
  ObservedQueries top_queries(int n) override {
    ObservedQueries out;
    std::string on = one("SELECT @@performance_schema").value_or("0");
    if (on != "1" && on != "ON") {
      out.unavailable =
          "performance_schema is off on this server (MariaDB's default), so it keeps no "
          "statement digests: start the server with performance_schema=ON, or give the "
          "workload with --queries FILE";
      return out;
    }
    exec("START TRANSACTION READ ONLY");
    std::vector<Row> r;
    try {
      r = rows(
          "SELECT DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT / 1000000000 FROM "
          "performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = "
          "DATABASE() AND (DIGEST_TEXT LIKE 'SELECT %' OR DIGEST_TEXT LIKE 'WITH %') AND "
          "DIGEST_TEXT NOT LIKE '%...' AND DIGEST_TEXT NOT LIKE '%performance_schema%' "
          "AND DIGEST_TEXT NOT LIKE '%information_schema%' ORDER BY SUM_TIMER_WAIT DESC "
          "LIMIT " +
          std::to_string(std::max(1, n)));
    } catch (const SnapshotError& e) {
      rollback();
      std::string what = e.what();
      if (what.starts_with("the snapshot connection was lost")) throw;
      out.unavailable = "the statement digests cannot be read: " + what;
      return out;
    }
    rollback();
    for (const auto& row : r) {
      if (!row[0]) continue;
      ObservedQuery q;
      q.text = compact_digest(*row[0]);
      q.source = "performance_schema";
      q.calls = row[1] ? std::stod(*row[1]) : 0;
      q.total_ms = row[2] ? std::stod(*row[2]) : 0;
      out.queries.push_back(std::move(q));
    }
    return out;
  }

 private:
  // A digest separates every token by a space ("COUNT ( * )"), and a built-in function's name
  // followed by a space is no call to MariaDB: the spaces around parentheses and before commas
  // go (a digest holds no string constants to spoil).
  static std::string compact_digest(const std::string& digest) {
    std::string out;
    for (char c : digest) {
      if ((c == '(' || c == ')' || c == ',') && !out.empty() && out.back() == ' ') out.pop_back();
      if (c == ' ' && !out.empty() && out.back() == '(') continue;
      out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  // What the sandbox knows when a text goes to the snapshot itself.
  MysqlSandboxContext read_context() const {
    MysqlSandboxContext ctx;
    ctx.snapshot_db = ctx.scratch_db = database_;
    ctx.databases = databases_;
    mysql::ServerTarget target = mysql::server_target(dialect_, &version_);
    ctx.mariadb = target.mariadb;
    ctx.version = target.version;
    ctx.snapshot_reads = true;
    return ctx;
  }

  ServerFacts facts() const {
    return ServerFacts{parse_dsn(dsn_), dsn_, limits_, dialect_, version_, databases_};
  }

  void exec(const std::string& sql) { session_->exec(sql); }
  std::vector<Row> rows(const std::string& sql) { return session_->rows(sql); }
  std::optional<std::string> one(const std::string& sql) { return session_->one(sql); }
  void rollback() { session_->rollback(); }

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
    mysql::Splitter split(text, mysql::server_target(dialect_, &version_));
    mysql::RawStatement st;
    if (!split.next(st) || st.tokens.empty()) return {};
    auto word = [&](size_t i) {
      const mysql::Token& t = st.tokens[i];
      if (t.kind != mysql::Tok::word) return std::string();
      std::string w = text.substr(t.offset, t.length);
      for (char& c : w) c = ascii_upper(c);
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

  // MySQL 8.0.29+ (from its manual; MariaDB has no such column): the row versions each table
  // has used, "database/table" in INNODB_TABLES.
  std::map<std::string, int> row_versions() {
    std::map<std::string, int> out;
    if (row_version_limit(dialect_, version_) == 0) return out;
    for (const auto& r : rows("SELECT SUBSTRING(NAME, LENGTH(DATABASE()) + 2), TOTAL_ROW_VERSIONS "
                              "FROM information_schema.INNODB_TABLES WHERE NAME LIKE "
                              "CONCAT(REPLACE(DATABASE(), '_', '\\_'), '/%')"))
      if (r[0] && r[1]) out[*r[0]] = std::stoi(*r[1]);
    return out;
  }

  void read_schema(SchemaModel& model) {
    std::map<std::string, int> versions = row_versions();
    for (const auto& t : rows("SELECT TABLE_NAME, TABLE_ROWS, COALESCE(DATA_LENGTH, 0) + "
                              "COALESCE(INDEX_LENGTH, 0), UPPER(ROW_FORMAT) FROM "
                              "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                              "TABLE_TYPE = 'BASE TABLE'")) {
      if (!t[0]) continue;
      std::string name = *t[0];
      auto create = rows("SHOW CREATE TABLE " + quote_ident(name));
      TableInfo info;
      if (!create.empty() && create[0].size() >= 2 && create[0][1])
        info = described(name, *create[0][1]);
      info.name = QualifiedName{"", name};
      if (t[3]) info.row_format = *t[3];
      TableStats stats;
      stats.rows = t[1] ? std::stod(*t[1]) : -1;
      stats.bytes = t[2] ? std::stoll(*t[2]) : 0;
      if (auto v = versions.find(name); v != versions.end()) stats.row_versions = v->second;
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
  std::optional<Session> session_;
  std::string database_;
  std::vector<std::string> databases_;  // those the role can see
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
