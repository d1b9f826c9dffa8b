// PostgreSQL snapshot: read-only facts from a copy of real data. Built as a module that is
// loaded only with --db (pg_module.cpp): libpq and its TLS, Kerberos and LDAP libraries cost
// 6 MB of resident memory at start-up, which a plain check must not pay. Every query runs in a READ
// ONLY transaction with a statement timeout, and the transaction is always rolled back:
// migsafe never changes the snapshot. Identifiers from migrations reach SQL only as bound
// parameters.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <regex>

#include "migsafe/snapshot.hpp"

namespace migsafe {
namespace {

double to_double(const pqxx::field& f) {
  return f.is_null() ? -1 : f.as<double>();
}

void collect_seq_scans(const nlohmann::json& node, std::vector<SeqScan>& out) {
  if (node.is_array()) {
    for (const auto& n : node) collect_seq_scans(n, out);
  } else if (node.is_object()) {
    if (node.value("Node Type", "") == "Seq Scan" && node.contains("Relation Name"))
      out.push_back({node["Relation Name"].get<std::string>(), node.value("Plan Rows", 0.0)});
    for (const auto& [k, v] : node.items())
      if (v.is_object() || v.is_array()) collect_seq_scans(v, out);
  }
}

class PgSnapshotImpl : public PgSnapshot {
 public:
  explicit PgSnapshotImpl(const std::string& dsn, const SnapshotLimits& limits)
      : dsn_(dsn), limits_(limits), conn_(with_connect_timeout(dsn)) {
    pqxx::read_transaction tx(conn_);
    version_num_ = tx.exec1("SHOW server_version_num")[0].as<int>();
  }

  TargetVersion server_version() const override { return {version_num_ / 10000, 0}; }

  void load_schema(SchemaModel& model) override {
    pqxx::read_transaction tx(conn_);
    limit(tx);
    std::map<long, TableInfo> tables;  // by oid
    for (const auto& r : tx.exec(R"(
        SELECT c.oid::bigint, n.nspname, c.relname, c.relkind = 'p', c.reltuples::float8,
               pg_total_relation_size(c.oid)::bigint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%')")) {
      TableInfo t;
      t.name = {r[1].as<std::string>() == "public" ? "" : r[1].as<std::string>(),
                r[2].as<std::string>()};
      t.partitioned = r[3].as<bool>();
      t.stats = TableStats{to_double(r[4]), r[5].as<int64_t>()};
      tables.emplace(r[0].as<long>(), std::move(t));
    }
    for (const auto& r : tx.exec(R"(
        SELECT a.attrelid::bigint, a.attname, t.typname, a.atttypmod, a.attnotnull, a.attndims > 0
               OR t.typcategory = 'A', t.typtype = 'd', et.typname
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY a.attrelid, a.attnum)")) {
      auto it = tables.find(r[0].as<long>());
      if (it == tables.end()) continue;
      ColumnInfo c;
      c.name = r[1].as<std::string>();
      bool array = r[5].as<bool>();
      c.type.name = array && !r[7].is_null() ? r[7].as<std::string>() : r[2].as<std::string>();
      c.type.array = array;
      c.type.user_defined = r[6].as<bool>();
      c.type.mods = decode_typmod(c.type.name, r[3].as<int>());
      c.not_null = r[4].as<bool>();
      it->second.add_column(std::move(c));
    }
    for (const auto& r : tx.exec(R"(
        SELECT i.indrelid::bigint, ic.relname, i.indisunique, i.indisvalid, i.indpred IS NOT NULL,
               (SELECT amname FROM pg_am WHERE oid = ic.relam) AS method,
               COALESCE(s.idx_scan, 0)::bigint,
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid),
               ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     ORDER BY k.ord)::text[]
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid)")) {
      auto it = tables.find(r[0].as<long>());
      if (it == tables.end()) continue;
      IndexInfo idx;
      idx.name = r[1].as<std::string>();
      idx.unique = r[2].as<bool>();
      idx.valid = r[3].as<bool>();
      idx.partial = r[4].as<bool>();
      idx.method = r[5].as<std::string>();
      idx.scans = r[6].as<int64_t>();
      idx.backs_constraint = r[7].as<bool>();
      auto arr = r[8].as_array();
      for (auto e = arr.get_next(); e.first != pqxx::array_parser::juncture::done;
           e = arr.get_next())
        if (e.first == pqxx::array_parser::juncture::string_value)
          idx.columns.push_back(e.second);
        else if (e.first == pqxx::array_parser::juncture::null_value)
          idx.columns.push_back("(expression)");
      it->second.add_index(std::move(idx));
    }
    static const std::regex not_null_check(R"re(^CHECK \(\(?"?([^"\s()]+)"? IS NOT NULL\)?\)$)re");
    for (const auto& r : tx.exec(R"(
        SELECT k.conrelid::bigint, k.conname, k.contype, k.convalidated, pg_get_constraintdef(k.oid),
               rn.nspname, rc.relname,
               ARRAY(SELECT a.attname FROM unnest(k.conkey) AS x(attnum)
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum)::text[]
        FROM pg_constraint k
        LEFT JOIN pg_class rc ON rc.oid = k.confrelid
        LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE k.contype IN ('c', 'f', 'p', 'u', 'x'))")) {
      auto it = tables.find(r[0].as<long>());
      if (it == tables.end()) continue;
      ConstraintInfo c;
      c.name = r[1].as<std::string>();
      char type = r[2].as<std::string>()[0];
      c.kind = type == 'c'   ? ConstraintKind::check
               : type == 'f' ? ConstraintKind::foreign_key
               : type == 'p' ? ConstraintKind::primary_key
               : type == 'u' ? ConstraintKind::unique
                             : ConstraintKind::exclusion;
      c.validated = r[3].as<bool>();
      std::smatch m;
      std::string def = r[4].as<std::string>();
      if (c.kind == ConstraintKind::check && std::regex_match(def, m, not_null_check))
        c.not_null_check_column = m[1];
      if (!r[6].is_null())
        c.references = {r[5].as<std::string>() == "public" ? "" : r[5].as<std::string>(),
                        r[6].as<std::string>()};
      auto arr = r[7].as_array();
      for (auto e = arr.get_next(); e.first != pqxx::array_parser::juncture::done;
           e = arr.get_next())
        if (e.first == pqxx::array_parser::juncture::string_value) c.columns.push_back(e.second);
      it->second.add_constraint(std::move(c));
    }
    for (auto& [oid, t] : tables) model.add_existing_table(std::move(t));
    // Volatility of the database's own functions, for column defaults that call them.
    for (const auto& r : tx.exec(R"(
        SELECT p.proname, p.provolatile FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))"))
      model.set_function_volatility(r[0].as<std::string>(), r[1].as<std::string>()[0]);
    tx.abort();
  }

  std::unique_ptr<StatementTracer> begin_trace() override;

  std::vector<SeqScan> seq_scans(std::string_view sql) override {
    std::vector<SeqScan> out;
    pqxx::read_transaction tx(conn_);
    limit(tx);
    try {
      // EXPLAIN without ANALYZE plans the statement; nothing runs, and the READ ONLY
      // transaction would refuse it if it did.
      pqxx::result r = tx.exec("EXPLAIN (FORMAT JSON) " + std::string(sql));
      collect_seq_scans(nlohmann::json::parse(r[0][0].as<std::string>()), out);
    } catch (const pqxx::sql_error&) {
      // The statement names objects earlier migrations create (not in the snapshot yet) or
      // is not explainable: no plan, no finding.
    }
    tx.abort();
    return out;
  }

  static std::string with_connect_timeout(const std::string& dsn) {
    if (dsn.find("connect_timeout") != std::string::npos) return dsn;
    if (dsn.find("://") != std::string::npos)
      return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=10";
    return dsn + " connect_timeout=10";
  }

 private:
  void limit(pqxx::transaction_base& tx) {
    tx.exec("SET LOCAL statement_timeout = " + std::to_string(limits_.statement_timeout_ms));
    tx.exec("SET LOCAL lock_timeout = " + std::to_string(limits_.lock_timeout_ms));
  }

  static std::vector<int64_t> decode_typmod(const std::string& type, int typmod) {
    if (typmod < 0) return {};
    if (type == "varchar" || type == "bpchar") return {typmod - 4};
    if (type == "numeric") return {((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff};
    if (type == "timestamp" || type == "timestamptz" || type == "time" || type == "timetz" ||
        type == "varbit" || type == "bit")
      return {typmod};
    return {};
  }

  std::string dsn_;
  SnapshotLimits limits_;
  pqxx::connection conn_;
  int version_num_ = 0;
};

// --trace: one session, one transaction for the whole run, never committed. Each statement runs
// in a savepoint; what it locked, rewrote and scanned is read from pg_locks, pg_class and
// pg_stat_xact_user_tables around it.
class PgTracer : public StatementTracer {
 public:
  // The transaction is driven by hand (BEGIN, savepoints, ROLLBACK) so that a failing statement
  // only rolls back to its savepoint. It is never committed: ROLLBACK here, and the server rolls
  // it back by itself if the connection dies first.
  PgTracer(const std::string& dsn, const SnapshotLimits& limits)
      : dsn_(dsn), conn_(with_app_name(dsn)), tx_(conn_) {
    tx_.exec("BEGIN");
    tx_.exec("SET LOCAL lock_timeout = " + std::to_string(limits.lock_timeout_ms));
    tx_.exec("SET LOCAL statement_timeout = " + std::to_string(limits.statement_timeout_ms));
  }
  ~PgTracer() override {
    try {
      tx_.exec("ROLLBACK");
    } catch (...) {
      // The connection is gone: the server has rolled the transaction back already.
    }
  }

  TraceResult trace(const Statement& st) override {
    TraceResult t;
    std::string sql(st.text);
    if (!adapt(st, sql, t)) return t;
    try {
      State before = state();
      tx_.exec("SAVEPOINT migsafe_trace");
      auto start = std::chrono::steady_clock::now();
      try {
        tx_.exec(sql);
        t.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count();
        tx_.exec("RELEASE SAVEPOINT migsafe_trace");
      } catch (const pqxx::sql_error& e) {
        t.error = first_line(e.what());
        t.sqlstate = e.sqlstate();
        tx_.exec("ROLLBACK TO SAVEPOINT migsafe_trace");
        return t;
      }
      State after = state();
      for (const auto& [oid, mode] : after.locks) {
        auto was = before.locks.find(oid);
        if (was == before.locks.end() || was->second < mode)
          t.locks.push_back({after.names[oid], mode});
      }
      for (const auto& [oid, node] : before.filenodes) {
        auto now = after.filenodes.find(oid);
        if (now != after.filenodes.end() && now->second != node)
          t.rewritten.push_back(before.names[oid]);
      }
      for (const auto& [oid, scans] : after.seq_scans) {
        auto was = before.seq_scans.find(oid);
        if (scans > (was == before.seq_scans.end() ? 0 : was->second) &&
            before.filenodes.count(oid))
          t.scanned.push_back(after.names[oid]);
      }
    } catch (const pqxx::broken_connection& e) {
      throw SnapshotError("the snapshot connection was lost during the trace: " +
                          redact(e.what(), dsn_));
    } catch (const pqxx::sql_error& e) {
      throw SnapshotError("the trace failed: " + redact(first_line(e.what()), dsn_));
    }
    return t;
  }

 private:
  struct State {
    std::map<long, LockMode> locks;
    std::map<long, long> filenodes;
    std::map<long, long> seq_scans;
    std::map<long, QualifiedName> names;
  };

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  static std::string with_app_name(const std::string& dsn) {
    std::string d = PgSnapshotImpl::with_connect_timeout(dsn);
    if (d.find("://") != std::string::npos)
      return d + (d.find('?') == std::string::npos ? "?" : "&") + "application_name=migsafe-trace";
    return d + " application_name=migsafe-trace";
  }

  // Runs statements as a transaction allows: false when the statement is not traced.
  static bool adapt(const Statement& st, std::string& sql, TraceResult& t) {
    // Some statements act outside the transaction (files, other sessions, server settings)
    // and a rollback would not undo them: never run on a snapshot.
    static const std::regex outside(
        R"(\b(dblink\w*|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|lo_export|lo_import|pg_file_\w+|pg_read_\w*file|pg_ls_\w+|pg_promote|pg_switch_wal|pg_\w*replication_slot\w*|pg_logical_emit_message)\s*\()",
        std::regex::icase);
    static constexpr std::string_view kOutsideNodes[] = {"CopyStmt",
                                                         "AlterSystemStmt",
                                                         "CreatedbStmt",
                                                         "DropdbStmt",
                                                         "LoadStmt",
                                                         "CheckPointStmt",
                                                         "CreateTableSpaceStmt",
                                                         "DropTableSpaceStmt",
                                                         "CreateSubscriptionStmt",
                                                         "AlterSubscriptionStmt"};
    for (auto n : kOutsideNodes)
      if (st.node == n) {
        t.traced = false;
        t.note = "it acts outside the transaction (" + std::string(n) +
                 "), so it never runs on a snapshot";
        return false;
      }
    if (std::regex_search(sql, outside)) {
      t.traced = false;
      t.note =
          "it calls a function that acts outside the transaction, so it never runs on a snapshot";
      return false;
    }
    for (const auto& op : st.ops) {
      switch (op.kind) {
        case OpKind::begin:
        case OpKind::commit:
        case OpKind::rollback:
        case OpKind::savepoint:
          t.traced = false;
          t.note = "transaction control: the trace runs the whole migration in one transaction";
          return false;
        case OpKind::vacuum:
        case OpKind::meta_command:
          t.traced = false;
          t.note = op.kind == OpKind::vacuum ? "VACUUM cannot run inside the trace's transaction"
                                             : "a psql meta-command";
          return false;
        case OpKind::set_setting:
        case OpKind::reset_setting:
          if (op.object == "lock_timeout" || op.object == "statement_timeout" ||
              op.object == "all" || op.object.find("transaction") != std::string::npos) {
            t.traced = false;
            t.note = "the trace keeps its own timeouts and transaction settings";
            return false;
          }
          break;
        default:
          if (op.concurrently) {
            static const std::regex concurrently("\\bCONCURRENTLY\\b", std::regex::icase);
            sql =
                std::regex_replace(sql, concurrently, "", std::regex_constants::format_first_only);
            t.adapted = true;
            t.note =
                "run without CONCURRENTLY, which cannot run in a transaction: these are the plain "
                "form's locks";
          }
      }
    }
    return true;
  }

  State state() {
    State s;
    for (const auto& r : tx_.exec(R"(
        SELECT c.oid::bigint, n.nspname, c.relname, c.relfilenode::bigint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%')")) {
      long oid = r[0].as<long>();
      s.names[oid] = {r[1].as<std::string>() == "public" ? "" : r[1].as<std::string>(),
                      r[2].as<std::string>()};
      s.filenodes[oid] = r[3].as<long>();
    }
    for (const auto& r : tx_.exec("SELECT relid::bigint, seq_scan FROM pg_stat_xact_user_tables"))
      s.seq_scans[r[0].as<long>()] = r[1].as<long>();
    for (const auto& r :
         tx_.exec("SELECT relation::bigint, mode FROM pg_locks WHERE pid = pg_backend_pid() AND "
                  "locktype = 'relation' AND granted AND relation IS NOT NULL")) {
      long oid = r[0].as<long>();
      if (!s.names.count(oid)) continue;
      std::string mode = r[1].as<std::string>();  // e.g. AccessExclusiveLock
      LockMode m = parse_pg_locks_mode(mode);
      if (m > s.locks[oid]) s.locks[oid] = m;
    }
    return s;
  }

  static LockMode parse_pg_locks_mode(const std::string& mode) {
    static const std::pair<const char*, LockMode> kModes[] = {
        {"AccessShareLock", LockMode::access_share},
        {"RowShareLock", LockMode::row_share},
        {"RowExclusiveLock", LockMode::row_exclusive},
        {"ShareUpdateExclusiveLock", LockMode::share_update_exclusive},
        {"ShareLock", LockMode::share},
        {"ShareRowExclusiveLock", LockMode::share_row_exclusive},
        {"ExclusiveLock", LockMode::exclusive},
        {"AccessExclusiveLock", LockMode::access_exclusive}};
    for (const auto& [name, m] : kModes)
      if (mode == name) return m;
    return LockMode::none;
  }

  std::string dsn_;
  pqxx::connection conn_;
  pqxx::nontransaction tx_;
};

std::unique_ptr<StatementTracer> PgSnapshotImpl::begin_trace() {
  try {
    return std::make_unique<PgTracer>(dsn_, limits_);
  } catch (const std::exception& e) {
    throw SnapshotError("cannot start the trace: " + redact(e.what(), dsn_));
  }
}

}  // namespace

// The module's one entry point (see pg_module.cpp): no exception crosses it.
extern "C" PgSnapshot* migsafe_pg_connect(const std::string& dsn, const SnapshotLimits& limits,
                                          std::string& error) {
  try {
    return new PgSnapshotImpl(dsn, limits);
  } catch (const std::exception& e) {
    error = "cannot use the snapshot database: " + redact(e.what(), dsn);
    return nullptr;
  }
}

}  // namespace migsafe
