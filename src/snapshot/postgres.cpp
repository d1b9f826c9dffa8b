// PostgreSQL snapshot: read-only facts from a copy of real data. Built as a module that is
// loaded only with --db (modules.cpp): libpq and its TLS, Kerberos and LDAP libraries cost
// 6 MB of resident memory at start-up, which a plain check must not pay. Every query runs in a READ
// ONLY transaction with a statement timeout, and the transaction is always rolled back:
// migsafe never changes the snapshot. What a plan sends is judged by the sandbox first (the
// planner evaluates functions). Identifiers from migrations reach SQL only as bound parameters.
#include <pqxx/pqxx>

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "migsafe/sandbox.hpp"
#include "migsafe/snapshot.hpp"
#include "pg_session.hpp"
#include "pg_tracer.hpp"
#include "postgres_catalog.hpp"

namespace migsafe {
namespace {

double to_double(const pqxx::field& f) {
  return f.is_null() ? -1 : f.as<double>();
}

QualifiedName name_of(const std::string& schema, const std::string& name) {
  return {schema == "public" ? "" : schema, name};
}

std::vector<int64_t> decode_typmod(const std::string& type, int typmod) {
  if (typmod < 0) return {};
  if (type == "varchar" || type == "bpchar") return {typmod - 4};
  if (type == "numeric") return {((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff};
  if (type == "timestamp" || type == "timestamptz" || type == "time" || type == "timetz" ||
      type == "varbit" || type == "bit")
    return {typmod};
  return {};
}

std::vector<std::string> text_array(const pqxx::field& f, const std::string& null_as) {
  std::vector<std::string> out;
  auto arr = f.as_array();
  for (auto e = arr.get_next(); e.first != pqxx::array_parser::juncture::done; e = arr.get_next())
    if (e.first == pqxx::array_parser::juncture::string_value)
      out.push_back(e.second);
    else if (e.first == pqxx::array_parser::juncture::null_value && !null_as.empty())
      out.push_back(null_as);
  return out;
}

class PgSnapshot : public Snapshot {
 public:
  PgSnapshot(const std::string& dsn, const SnapshotLimits& limits)
      : dsn_(dsn), limits_(limits), conn_(session_dsn(dsn, "migsafe")), watchdog_(conn_.sock()) {
    no_reconnect(conn_);
    auto guard = watchdog_.arm(budget());
    pqxx::read_transaction tx(conn_);
    version_num_ = tx.exec1("SHOW server_version_num")[0].as<int>();
    superuser_ = tx.exec1("SHOW is_superuser")[0].as<std::string>() == "on";
  }

  Dialect dialect() const override { return Dialect::postgres; }
  TargetVersion server_version() const override { return {version_num_ / 10000, 0}; }
  bool can_plan() const override { return true; }
  bool superuser() const override { return superuser_; }

  void load_schema(SchemaModel& model) override {
    // A table another session holds in ACCESS EXCLUSIVE cannot be sized (that needs a lock);
    // such tables are read from the catalog alone. A lock taken between the two reads makes
    // the read time out: read again.
    for (int attempt = 0;; ++attempt) {
      try {
        read_schema(model);
        return;
      } catch (const pqxx::broken_connection& e) {
        throw lost(e);
      } catch (const pqxx::sql_error& e) {
        if (sqlstate_of(e) != "55P03" || attempt == 2)
          throw SnapshotError("cannot read the snapshot's catalog: " +
                              redact(first_line(e.what()), dsn_));
      }
    }
  }

  PlanResult plan(std::string_view sql) override {
    PlanResult p;
    try {
      pqxx::read_transaction tx(conn_);
      limit(tx, /*catalog_path=*/false);
      SandboxVerdict v = judge(tx, sql);
      if (v.action != SandboxAction::run) {
        p.refused = true;
        p.error = "the sandbox did not send it: " + v.reason;
        return p;
      }
      // EXPLAIN without ANALYZE plans the statement; nothing runs, and the READ ONLY
      // transaction would refuse it if it did.
      auto guard = watchdog_.arm(budget());
      pqxx::result r = tx.exec_params("EXPLAIN (FORMAT JSON) " + v.sql);
      p.seq_scans = seq_scans_of(r[0][0].as<std::string>());
      p.planned = true;
    } catch (const pqxx::broken_connection& e) {
      throw lost(e);
    } catch (const pqxx::failure& e) {
      p.error = redact(first_line(e.what()), dsn_);
      p.sqlstate = sqlstate_of(e);
    }
    return p;
  }

  DataAnswer check_data(const DataQuestion& q) override {
    DataAnswer a;
    try {
      pqxx::read_transaction tx(conn_);
      limit(tx, /*catalog_path=*/false);
      auto name = [&](const QualifiedName& n) {
        return n.schema.empty() ? tx.quote_name(n.name)
                                : tx.quote_name(n.schema) + "." + tx.quote_name(n.name);
      };
      std::string cols, not_null, row;
      for (size_t i = 0; i < q.columns.size(); ++i) {
        std::string c = "t." + tx.quote_name(q.columns[i]);
        cols += (i ? ", " : "") + c;
        not_null += (i ? " AND " : "") + c + " IS NOT NULL";
        row += (i ? " || ', ' || " : "") + std::string("coalesce(") + c + "::text, 'NULL')";
      }
      std::string sql;
      switch (q.kind) {
        case DataQuestion::Kind::nulls: {
          std::string any_null;
          for (size_t i = 0; i < q.columns.size(); ++i)
            any_null +=
                (i ? " OR " : "") + std::string("t.") + tx.quote_name(q.columns[i]) + " IS NULL";
          sql = "SELECT count(*) OVER (), " + row + " FROM " + name(q.table) + " t WHERE " +
                any_null + " LIMIT 1";
          break;
        }
        case DataQuestion::Kind::duplicates:
          sql = "SELECT count(*) OVER (), " + row + " FROM " + name(q.table) + " t WHERE " +
                not_null + " GROUP BY " + cols + " HAVING count(*) > 1 LIMIT 1";
          break;
        case DataQuestion::Kind::orphans: {
          std::string match;
          for (size_t i = 0; i < q.columns.size() && i < q.ref_columns.size(); ++i)
            match += (i ? " AND " : "") + std::string("r.") + tx.quote_name(q.ref_columns[i]) +
                     " = t." + tx.quote_name(q.columns[i]);
          sql = "SELECT count(*) OVER (), " + row + " FROM " + name(q.table) + " t WHERE " +
                not_null + " AND NOT EXISTS (SELECT 1 FROM " + name(q.ref_table) + " r WHERE " +
                match + ") LIMIT 1";
          break;
        }
        case DataQuestion::Kind::violations:
          sql = "SELECT count(*) OVER (), " + (row.empty() ? std::string("''") : row) + " FROM " +
                name(q.table) + " t WHERE " + q.condition + " LIMIT 1";
          break;
      }
      // The count compares and groups values with the database's operators, which for its own
      // types may be its own functions: judged like any statement sent to the snapshot.
      SandboxVerdict v = judge(tx, sql);
      if (v.action != SandboxAction::run) {
        a.error = "the sandbox did not send the count: " + v.reason;
        return a;
      }
      auto guard = watchdog_.arm(budget());
      pqxx::result r = tx.exec_params(sql);
      a.answered = true;
      if (!r.empty()) {
        a.rows = r[0][0].as<int64_t>();
        if (!q.columns.empty()) a.example = "(" + r[0][1].as<std::string>() + ")";
      }
    } catch (const pqxx::broken_connection& e) {
      throw lost(e);
    } catch (const pqxx::failure& e) {
      a.error = redact(first_line(e.what()), dsn_);
      std::string state = sqlstate_of(e);
      a.unknown_column = state == "42703" || state == "42P01";
    }
    return a;
  }

  std::vector<ObservedQuery> queries_using_index(std::string_view index) override {
    if (!index_users_) index_users_ = read_index_users();
    auto it = index_users_->find(std::string(index));
    return it == index_users_->end() ? std::vector<ObservedQuery>{} : it->second;
  }

  std::unique_ptr<StatementTracer> begin_trace() override { return start_trace(false); }
  std::unique_ptr<StatementTracer> begin_plan_trace() override { return start_trace(true); }

  ObservedQueries top_queries(int n) override {
    ObservedQueries out;
    try {
      pqxx::read_transaction tx(conn_);
      limit(tx);
      // Its view lives in the schema it was created in; migsafe's reads resolve names in
      // pg_catalog only.
      pqxx::result ext = query(tx,
                               "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN "
                               "pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = "
                               "'pg_stat_statements'");
      if (ext.empty()) {
        out.unavailable =
            "the extension pg_stat_statements is not installed in this database (CREATE "
            "EXTENSION pg_stat_statements, with shared_preload_libraries = pg_stat_statements "
            "in the server's configuration)";
        return out;
      }
      // The statements of this database that plans can be asked for; utility statements
      // (SET, BEGIN, ...) have none. Before PostgreSQL 13 the time column had another name.
      std::string time = version_num_ >= 130000 ? "total_exec_time" : "total_time";
      for (const auto& r : query(tx,
                                 "SELECT s.query, s.calls::float8, s." + time + "::float8 FROM " +
                                     ext[0][0].as<std::string>() +
                                     ".pg_stat_statements s "
                                     "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname "
                                     "= current_database()) "
                                     "AND s.query ~* '^\\s*(select|with|insert|update|delete)\\M' "
                                     "ORDER BY s." +
                                     time + " DESC, s.queryid LIMIT $1",
                                 n))
        out.queries.push_back({r[0].as<std::string>(), r[1].as<double>(), r[2].as<double>()});
    } catch (const pqxx::broken_connection& e) {
      throw lost(e);
    } catch (const pqxx::failure& e) {
      out.unavailable =
          "pg_stat_statements could not be read: " + redact(first_line(e.what()), dsn_);
    }
    return out;
  }

 private:
  // The sandbox's judgment of a statement about to be sent in tx. It reads the catalog in a
  // subtransaction with pg_catalog's operators and functions only; the statement itself runs
  // with the session's own search_path, as it would.
  SandboxVerdict judge(pqxx::dbtransaction& tx, std::string_view sql) {
    pqxx::subtransaction read(tx, "migsafe_read");
    read.exec("SET LOCAL search_path = pg_catalog, pg_temp");
    PgCatalog catalog(read, nullptr, watchdog_, budget());
    SandboxVerdict v = judge_postgres(sql, catalog);
    read.abort();
    return v;
  }

  // How many of the server's top statements are planned to see which indexes they use.
  static constexpr int kWorkloadStatements = 50;

  // Which indexes the plans of the server's top statements use (generic plans, judged by the
  // sandbox first, in read-only transactions); nothing when pg_stat_statements is absent.
  std::map<std::string, std::vector<ObservedQuery>> read_index_users() {
    std::map<std::string, std::vector<ObservedQuery>> out;
    ObservedQueries top = top_queries(kWorkloadStatements);
    for (const auto& q : top.queries) {
      QueryPlan p = explain_read_only(q.text);
      if (!p.planned) continue;
      std::set<std::string> used;
      std::function<void(const PlanNode&)> walk = [&](const PlanNode& n) {
        if (!n.index.empty()) used.insert(n.index);
        for (const auto& c : n.children) walk(c);
      };
      walk(p.root);
      for (const auto& index : used) out[index].push_back(q);
    }
    return out;
  }

  QueryPlan explain_read_only(const std::string& sql) {
    QueryPlan p;
    try {
      pqxx::read_transaction tx(conn_);
      limit(tx, /*catalog_path=*/false);
      SandboxVerdict v = judge(tx, sql);
      if (v.action != SandboxAction::run) return p;
      try {
        auto guard = watchdog_.arm(budget());
        p.document = explain_document(tx, v.sql, p.generic);
        p.root = plan_tree_of(p.document);
        p.planned = true;
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::failure& e) {
        p.error = redact(first_line(e.what()), dsn_);
      }
    } catch (const pqxx::broken_connection& e) {
      throw lost(e);
    } catch (const pqxx::failure& e) {
      p.error = redact(first_line(e.what()), dsn_);
    }
    if (!p.planned) {
      // A prepared statement outlives the transaction that made it.
      try {
        pqxx::nontransaction tx(conn_);
        forget_prepared(tx);
      } catch (const pqxx::broken_connection& e) {
        throw lost(e);
      } catch (const pqxx::failure&) {
        // Nothing was prepared.
      }
    }
    return p;
  }

  std::unique_ptr<StatementTracer> start_trace(bool plan_mode) {
    try {
      return make_pg_tracer(dsn_, limits_, plan_mode);
    } catch (const SnapshotError&) {
      throw;
    } catch (const std::exception& e) {
      throw SnapshotError("cannot start the trace: " + redact(e.what(), dsn_));
    }
  }

  std::chrono::milliseconds budget() const {
    return std::chrono::milliseconds(limits_.statement_timeout_ms) + kDeadlineMargin;
  }

  SnapshotError lost(const std::exception& e) const {
    return connection_lost(watchdog_, budget(), e, dsn_, "");
  }

  // catalog_path: resolve names in pg_catalog only, whatever the role's or database's
  // search_path says (for migsafe's own catalog reads).
  void limit(pqxx::transaction_base& tx, bool catalog_path = true) {
    auto guard = watchdog_.arm(budget());
    tx.exec("SET LOCAL statement_timeout = " + std::to_string(limits_.statement_timeout_ms));
    tx.exec("SET LOCAL lock_timeout = " + std::to_string(limits_.lock_timeout_ms));
    if (catalog_path) tx.exec("SET LOCAL search_path = pg_catalog, pg_temp");
  }

  template <class... Args>
  pqxx::result query(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
    auto guard = watchdog_.arm(budget());
    return tx.exec_params(sql, std::forward<Args>(args)...);
  }

  // Tables another session holds in ACCESS EXCLUSIVE, with who holds them.
  std::map<long, std::string> locked_tables(pqxx::transaction_base& tx) {
    std::map<long, std::string> out;
    for (const auto& r : query(tx, R"(
        SELECT l.relation::int8, l.pid, COALESCE(a.application_name, '')
        FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock'
          AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))")) {
      std::string app = r[2].as<std::string>();
      out[r[0].as<long>()] = "ACCESS EXCLUSIVE, held by session " + r[1].as<std::string>() +
                             (app.empty() ? "" : " (" + app + ")");
    }
    return out;
  }

  void read_schema(SchemaModel& model) {
    pqxx::read_transaction tx(conn_);
    limit(tx);
    std::map<long, std::string> locked = locked_tables(tx);
    std::string locked_list = "0";
    for (const auto& [oid, by] : locked) locked_list += "," + std::to_string(oid);
    std::map<long, TableInfo> tables;  // by oid
    for (const auto& r : query(tx, R"(
        SELECT c.oid::bigint, n.nspname, c.relname, c.relkind = 'p', c.reltuples::float8,
               CASE WHEN c.oid IN ()" + locked_list +
                                       R"()
                    THEN c.relpages::int8 * current_setting('block_size')::int8
                    ELSE pg_total_relation_size(c.oid) END::int8
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%')")) {
      TableInfo t;
      long oid = r[0].as<long>();
      t.name = name_of(r[1].as<std::string>(), r[2].as<std::string>());
      t.partitioned = r[3].as<bool>();
      t.stats = TableStats{to_double(r[4]), r[5].as<int64_t>(), {}, -1, {}};
      if (auto it = locked.find(oid); it != locked.end()) t.stats->locked_by = it->second;
      tables.emplace(oid, std::move(t));
    }
    for (const auto& r : query(tx, R"(
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
    for (const auto& r : query(tx, R"(
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
      idx.columns = text_array(r[8], "(expression)");
      it->second.add_index(std::move(idx));
    }
    static const std::regex not_null_check(R"re(^CHECK \(\(?"?([^"\s()]+)"? IS NOT NULL\)?\)$)re");
    for (const auto& r : query(tx, R"(
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
      if (!r[6].is_null()) c.references = name_of(r[5].as<std::string>(), r[6].as<std::string>());
      c.columns = text_array(r[7], "");
      it->second.add_constraint(std::move(c));
    }
    // Volatility of the database's own functions, for column defaults that call them.
    std::vector<std::pair<std::string, char>> volatility;
    for (const auto& r : query(tx, R"(
        SELECT p.proname, p.provolatile FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))"))
      volatility.emplace_back(r[0].as<std::string>(), r[1].as<std::string>()[0]);
    tx.abort();
    for (auto& [oid, t] : tables) model.add_existing_table(std::move(t));
    for (const auto& [name, v] : volatility) model.set_function_volatility(name, v);
  }

  std::string dsn_;
  SnapshotLimits limits_;
  pqxx::connection conn_;
  std::optional<std::map<std::string, std::vector<ObservedQuery>>> index_users_;
  Watchdog watchdog_;
  int version_num_ = 0;
  bool superuser_ = false;
};

}  // namespace

// The module's one entry point (see modules.cpp): no exception crosses it.
extern "C" Snapshot* migsafe_pg_connect(const std::string& dsn, const SnapshotLimits& limits,
                                        std::string& error) {
  try {
    return new PgSnapshot(dsn, limits);
  } catch (const std::exception& e) {
    error = "cannot use the snapshot database: " + redact(e.what(), dsn);
    return nullptr;
  }
}

}  // namespace migsafe
