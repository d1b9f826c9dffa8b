// --trace: one session, one transaction for the whole migration set, never committed. Each
// statement is first judged by the sandbox (in a savepoint, on the catalog as the earlier
// statements left it), then run in a savepoint through the extended protocol, which takes
// exactly one statement. What it locked, rewrote and scanned is read from pg_locks, pg_class
// and pg_stat_xact_user_tables around it.
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <type_traits>

#include "migsafe/ir.hpp"
#include "migsafe/sandbox.hpp"
#include "pg_session.hpp"
#include "pg_tracer.hpp"
#include "postgres_catalog.hpp"

namespace migsafe {
namespace {

LockMode parse_pg_locks_mode(const std::string& mode) {
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

// What a traced statement must leave as it was for the sandbox's judgments of later statements
// to stay true: the server's own functions, operators, types, relations and casts, and the
// settings that decide how text is read and who runs it. A change stops the trace.
// Every operand is cast to text and every comparison is between values of one type, so that no
// operator the migration creates could take part (it cannot create one in pg_catalog either).
constexpr const char* kGuardQuery = R"(
    SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
      SELECT concat_ws('|', 'p', p.oid::text, p.proname::text, p.provolatile::text,
                       p.prosecdef::text, p.proisstrict::text, p.prolang::text,
                       p.pronamespace::text, p.prosupport::text, p.prorettype::text,
                       p.proargtypes::text, md5(p.prosrc),
                       COALESCE(array_to_string(p.proconfig, ','), '')) AS x
      FROM pg_proc p
      WHERE p.pronamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT concat_ws('|', 'o', o.oid::text, o.oprname::text, o.oprcode::text,
                                 o.oprrest::text, o.oprjoin::text, o.oprnamespace::text)
      FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace
      UNION ALL SELECT concat_ws('|', 't', t.oid::text, t.typname::text, t.typinput::text,
                                 t.typnamespace::text)
      FROM pg_type t
      WHERE t.typnamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT concat_ws('|', 'c', c.oid::text, c.relname::text, c.relkind::text,
                                 c.relnamespace::text)
      FROM pg_class c
      WHERE c.relnamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT concat_ws('|', 'k', k.oid::text, k.castfunc::text, k.castcontext::text)
      FROM pg_cast k WHERE k.castsource < 16384::oid AND k.casttarget < 16384::oid
      UNION ALL SELECT concat_ws('|', 'r', w.oid::text, w.ev_enabled::text) FROM pg_rewrite w
      JOIN pg_class c ON c.oid = w.ev_class
      WHERE c.relnamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT concat_ws('|', 'n', oid::text, nspname::text) FROM pg_namespace
      WHERE oid IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL SELECT concat_ws('|', 'l', oid::text, lanname::text, lanplcallfoid::text,
                                 lanvalidator::text) FROM pg_language
      UNION ALL SELECT concat_ws('|', 's', name::text, setting::text) FROM pg_settings
      WHERE name IN ('client_encoding', 'standard_conforming_strings', 'backslash_quote',
                     'session_replication_role', 'is_superuser', 'session_authorization', 'role',
                     'jit_dump_bitcode', 'track_counts', 'allow_system_table_mods',
                     'zero_damaged_pages', 'ignore_checksum_failure', 'statement_timeout',
                     'lock_timeout')
      UNION ALL SELECT concat_ws('|', 'u', current_user::text, session_user::text)) s)";

QualifiedName name_of(const std::string& schema, const std::string& name) {
  return {schema == "public" ? "" : schema, name};
}

class PgTracer : public StatementTracer {
 public:
  // The transaction is driven by hand (BEGIN, savepoints, ROLLBACK) so that a failing statement
  // only rolls back to its savepoint. It is never committed: ROLLBACK here, and the server rolls
  // it back by itself if the connection dies first.
  PgTracer(const std::string& dsn, const SnapshotLimits& limits, bool plan_mode)
      : dsn_(dsn),
        limits_(limits),
        plan_mode_(plan_mode),
        conn_(session_dsn(dsn, "migsafe-trace")),
        backend_pid_(conn_.backendpid()),
        watchdog_(conn_.sock(), [this] { terminate_backend(); }),
        tx_(conn_) {
    no_reconnect(conn_);
    // The sandbox reads statements as UTF-8 with standard-conforming strings; the server must
    // read them the same way.
    conn_.set_client_encoding("UTF8");
    exec("BEGIN");
    limit();
    if (plan_mode_) start_hypopg();
    guard_counts_ = counts_query(own_read([&] {
      return exec("SELECT 'information_schema'::regnamespace::oid")[0][0].as<std::string>();
    }));
    guard_ = guard_state();
    sequences_ = own_read([&] {
      auto guard = watchdog_.arm(budget());
      return PgCatalog::sequences(tx_);
    });
    sequence_values_ = sequence_values();
  }

  ~PgTracer() override {
    if (dead_) return;
    try {
      exec("ROLLBACK");
    } catch (...) {
      // The connection is gone: the server has rolled the transaction back already.
    }
  }

  TraceResult trace(const Statement& st, const std::vector<std::string_view>& plan_texts) override {
    if (dead_) throw SnapshotError("the trace's connection was lost earlier");
    TraceResult t;
    if (stopped_) {
      t.traced = false;
      t.refused = true;
      t.note =
          "an earlier statement changed the server's own objects or the session's "
          "settings, which the sandbox's judgments rely on, so the trace stopped there";
      return t;
    }
    try {
      for (std::string_view text : plan_texts) t.plans.push_back(plan(text));
      SandboxVerdict v = judge(st.text);
      if (v.action != SandboxAction::run) {
        t.traced = false;
        t.refused = v.action == SandboxAction::refuse;
        t.note = v.reason;
        return t;
      }
      if (!v.adaptation.empty()) {
        t.adapted = true;
        t.note = v.adaptation;
      }
      if (!hypothetical(st, v, t)) run(v, t);
    } catch (const pqxx::broken_connection& e) {
      dead_ = true;
      throw lost(e);
    } catch (const pqxx::failure& e) {
      dead_ = true;
      throw SnapshotError("the trace failed: " + redact(first_line(e.what()), dsn_));
    }
    return t;
  }

  QueryPlan explain(std::string_view query) override {
    if (dead_) throw SnapshotError("the trace's connection was lost earlier");
    QueryPlan p;
    try {
      SandboxVerdict v = judge(query);
      if (v.action != SandboxAction::run) {
        p.refused = true;
        p.error = "the sandbox did not send it: " + v.reason;
        return p;
      }
      exec("SAVEPOINT migsafe_plan");
      try {
        auto guard = watchdog_.arm(budget());
        std::string doc = explain_document(tx_, v.sql, p.generic);
        p.document = doc;
        p.root = plan_tree_of(doc);
        p.planned = true;
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::failure& e) {
        p.error = redact(first_line(e.what()), dsn_);
        p.sqlstate = sqlstate_of(e);
      }
      undo("migsafe_plan");
      forget_prepared(tx_);
    } catch (const pqxx::broken_connection& e) {
      dead_ = true;
      throw lost(e);
    } catch (const pqxx::failure& e) {
      dead_ = true;
      throw SnapshotError("the trace failed: " + redact(first_line(e.what()), dsn_));
    }
    return p;
  }

  std::string index_method() const override { return hypopg_ ? "hypothetical" : "transaction"; }

 private:
  // Plan mode: HypoPG, when the server has it, gives the after-phase's new indexes without
  // building them. Created inside the transaction (so the rollback removes it), before the
  // guard's first reading; a role that may not create it plans with the plain statements.
  void start_hypopg() {
    exec("SAVEPOINT migsafe_hypopg");
    try {
      bool installed = !exec("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").empty();
      if (!installed &&
          !exec("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").empty()) {
        exec("CREATE EXTENSION hypopg");
        installed = true;
      }
      if (installed) {
        hypopg_schema_ =
            exec(
                "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = "
                "e.extnamespace WHERE e.extname = 'hypopg'")[0][0]
                .as<std::string>();
        hide_index_ = !exec(
                           "SELECT 1 FROM pg_proc p JOIN pg_extension e ON e.extname = 'hypopg' "
                           "WHERE p.proname = 'hypopg_hide_index' AND p.pronamespace = "
                           "e.extnamespace")
                           .empty();
      }
      exec("RELEASE SAVEPOINT migsafe_hypopg");
      hypopg_ = installed;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure&) {
      undo("migsafe_hypopg");  // no HypoPG for this role: the statements run as they are
    }
  }

  // A CREATE INDEX becomes a hypothetical index, a DROP INDEX a hidden one (HypoPG 1.4+), so
  // nothing is built or locked. False when the statement must run as it is.
  bool hypothetical(const Statement& st, const SandboxVerdict& v, TraceResult& t) {
    if (!plan_mode_ || !hypopg_ || st.ops.empty()) return false;
    bool creates = st.ops.size() == 1 && st.ops[0].kind == OpKind::create_index;
    bool drops = hide_index_ && std::all_of(st.ops.begin(), st.ops.end(), [](const Operation& op) {
                   return op.kind == OpKind::drop_index;
                 });
    if (!creates && !drops) return false;
    exec("SAVEPOINT migsafe_hypo");
    try {
      auto guard = watchdog_.arm(budget());
      if (creates) {
        tx_.exec_params("SELECT " + hypopg_schema_ + ".hypopg_create_index($1)", v.sql);
        t.note = "a hypothetical index (HypoPG): planned with, never built";
      } else {
        for (const Operation& op : st.ops) {
          std::string name = op.table.schema.empty() ? quote_sql_ident(op.object)
                                                     : quote_sql_ident(op.table.schema) + "." +
                                                           quote_sql_ident(op.object);
          tx_.exec_params("SELECT " + hypopg_schema_ + ".hypopg_hide_index($1::regclass)", name);
        }
        t.note = "hidden from the planner (HypoPG): never dropped";
      }
      exec("RELEASE SAVEPOINT migsafe_hypo");
      t.adapted = true;
      return true;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure&) {
      // An index HypoPG cannot model (a kind or option it lacks): the statement runs instead.
      undo("migsafe_hypo");
      return false;
    }
  }

  struct State {
    std::set<std::pair<long, LockMode>> locks;  // every mode held, per relation
    std::map<long, long> filenodes;
    std::map<long, long> seq_scans;
    std::map<long, QualifiedName> names;
  };

  std::chrono::milliseconds budget() const {
    return std::chrono::milliseconds(limits_.statement_timeout_ms) + kDeadlineMargin;
  }

  pqxx::result exec(const std::string& sql) {
    auto guard = watchdog_.arm(budget());
    return tx_.exec(sql);
  }

  SnapshotError lost(const std::exception& e) const {
    return connection_lost(watchdog_, budget(), e, dsn_, " during the trace");
  }

  // Our own reads, immune to what the migration did to the session: in a savepoint with
  // search_path = pg_catalog (the migration may have put its own operators and functions first),
  // always rolled back, which undoes the SET and leaves no nested savepoint behind.
  template <class F>
  std::invoke_result_t<F> own_read(F read) {
    exec("SAVEPOINT migsafe_read");
    try {
      exec("SET LOCAL search_path = pg_catalog, pg_temp");
      auto result = read();
      undo("migsafe_read");
      return result;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (...) {
      undo("migsafe_read");
      throw;
    }
  }

  void undo(const char* savepoint) {
    exec(std::string("ROLLBACK TO SAVEPOINT ") + savepoint);
    exec(std::string("RELEASE SAVEPOINT ") + savepoint);
  }

  // The sandbox's catalog reads: an error there must not end the trace.
  SandboxVerdict judge(std::string_view sql) {
    try {
      return own_read([&] {
        PgCatalog catalog(tx_, &sequences_, watchdog_, budget());
        return judge_postgres(sql, catalog);
      });
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure& e) {
      SandboxVerdict v;
      v.action = SandboxAction::refuse;
      v.reason = "the sandbox could not read the snapshot's catalog to check it (" +
                 redact(first_line(e.what()), dsn_) + ")";
      return v;
    }
  }

  // The plan before the statement runs, in the trace's transaction (which may hold locks that
  // would block the read-only session), under the migration's own search_path.
  PlanResult plan(std::string_view text) {
    PlanResult p;
    SandboxVerdict v = judge(text);
    if (v.action != SandboxAction::run) {
      p.refused = true;
      p.error = "the sandbox did not send it: " + v.reason;
      return p;
    }
    exec("SAVEPOINT migsafe_plan");
    try {
      auto guard = watchdog_.arm(budget());
      pqxx::result r = tx_.exec_params("EXPLAIN (FORMAT JSON) " + v.sql);
      p.seq_scans = seq_scans_of(r[0][0].as<std::string>());
      p.planned = true;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure& e) {
      p.error = redact(first_line(e.what()), dsn_);
      p.sqlstate = sqlstate_of(e);
    }
    undo("migsafe_plan");
    return p;
  }

  void run(const SandboxVerdict& v, TraceResult& t) {
    // A statement that returns rows runs under EXPLAIN ANALYZE: it runs all the same, and its
    // rows (which could be gigabytes) stay on the server.
    std::string sql =
        v.returns_rows ? "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + v.sql : v.sql;
    State before = own_read([&] { return state(); });
    exec("SAVEPOINT migsafe_trace");
    auto start = std::chrono::steady_clock::now();
    try {
      auto guard = watchdog_.arm(budget());
      tx_.exec_params(sql);  // the extended protocol: one statement, never several
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure& e) {  // server errors, deadlocks and serialization failures
      t.error = redact(first_line(e.what()), dsn_);
      t.sqlstate = sqlstate_of(e);
      undo("migsafe_trace");
      return;
    }
    t.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    exec("RELEASE SAVEPOINT migsafe_trace");
    // Before the limits are set again, so that a setting the statement changed shows.
    if (guard_state() != guard_) {
      stopped_ = true;
      t.stopped = true;
    }
    // Whatever the statement did to the session, the trace's limits hold for the next one.
    limit();
    State after = own_read([&] { return state(); });
    for (const auto& [oid, mode] : after.locks)
      if (!before.locks.count({oid, mode})) t.locks.push_back({after.names[oid], mode});
    for (const auto& [oid, node] : before.filenodes) {
      auto now = after.filenodes.find(oid);
      if (now != after.filenodes.end() && now->second != node)
        t.rewritten.push_back(before.names[oid]);
    }
    for (const auto& [oid, scans] : after.seq_scans) {
      auto was = before.seq_scans.find(oid);
      if (scans > (was == before.seq_scans.end() ? 0 : was->second) && before.filenodes.count(oid))
        t.scanned.push_back(after.names[oid]);
    }
    note_sequences(t);
  }

  // The guard in three parts. Counts of objects added to the server's own schemas, and the
  // settings that matter, read with nothing a migration could redefine: no function but count()
  // and current_setting(text), whose built-in signatures cannot be taken, and comparisons of
  // one type. Then the fingerprint of the server's objects, for changes to existing ones.
  std::string guard_state() {
    return own_read([&] {
      std::string out;
      for (const auto& field : exec(guard_counts_)[0]) out += field.c_str() + std::string(";");
      return out + exec(kGuardQuery)[0][0].as<std::string>();
    });
  }

  static std::string counts_query(const std::string& info_schema) {
    std::string sys = "(11::oid, " + info_schema + "::oid)";
    std::string q = "SELECT ";
    for (const char* part :
         {"(SELECT count(*) FROM pg_proc WHERE pronamespace IN {sys} AND oid >= 16384::oid)",
          "(SELECT count(*) FROM pg_operator WHERE oprnamespace IN {sys} AND oid >= "
          "16384::oid)",
          "(SELECT count(*) FROM pg_type WHERE typnamespace IN {sys} AND oid >= 16384::oid)",
          "(SELECT count(*) FROM pg_class WHERE relnamespace IN {sys} AND oid >= 16384::oid)",
          "(SELECT count(*) FROM pg_opclass WHERE opcnamespace IN {sys} AND oid >= "
          "16384::oid)",
          "(SELECT count(*) FROM pg_opfamily WHERE opfnamespace IN {sys} AND oid >= "
          "16384::oid)",
          "(SELECT count(*) FROM pg_collation WHERE collnamespace IN {sys} AND oid >= "
          "16384::oid)",
          "(SELECT count(*) FROM pg_conversion WHERE connamespace IN {sys} AND oid >= "
          "16384::oid)",
          "(SELECT count(*) FROM pg_cast WHERE castsource < 16384::oid AND casttarget < "
          "16384::oid AND oid >= 16384::oid)",
          "(SELECT count(*) FROM pg_rewrite WHERE ev_class < 16384::oid AND oid >= 16384::oid)",
          "(SELECT count(*) FROM pg_trigger WHERE tgrelid < 16384::oid)",
          "(SELECT count(*) FROM pg_language)",
          "current_setting('client_encoding'::text)",
          "current_setting('standard_conforming_strings'::text)",
          "current_setting('session_replication_role'::text)",
          "current_setting('is_superuser'::text)",
          "current_setting('statement_timeout'::text)",
          "current_setting('lock_timeout'::text)",
          "current_user",
          "session_user"}) {
      std::string p = part;
      for (size_t at = p.find("{sys}"); at != std::string::npos; at = p.find("{sys}"))
        p.replace(at, 5, sys);
      q += (q.size() > 7 ? ", " : "") + p;
    }
    return q;
  }

  void limit() {
    exec("SET LOCAL lock_timeout = " + std::to_string(limits_.lock_timeout_ms));
    exec("SET LOCAL statement_timeout = " + std::to_string(limits_.statement_timeout_ms));
    exec("SET LOCAL idle_in_transaction_session_timeout = 0");
    exec("SET LOCAL standard_conforming_strings = on");
    // From PostgreSQL 14 the backend notices, while a statement runs, that migsafe closed the
    // connection, and ends the statement and its transaction.
    exec(
        "SELECT set_config('client_connection_check_interval', '1000', true) "
        "WHERE current_setting('server_version_num')::int >= 140000");
  }

  // When the watchdog gave up on the trace's connection, the backend may still be running the
  // statement (and holding its locks): a second session ends it. Best effort: the role may
  // lack the right, and then the server notices the closed socket by itself (above).
  void terminate_backend() noexcept {
    try {
      pqxx::connection killer(session_dsn(dsn_, "migsafe-trace-stop"));
      pqxx::nontransaction tx(killer);
      tx.exec_params("SELECT pg_terminate_backend($1)", backend_pid_);
    } catch (...) {
      // Nothing more can be done from here; the error the trace reports says it timed out.
    }
  }

  // Read inside own_read. The locks of the savepoint own_read opens are the catalog reads'
  // own: they are on system relations, which are left out.
  State state() {
    State s;
    for (const auto& r : exec(R"(
        SELECT c.oid::bigint, n.nspname, c.relname, c.relfilenode::bigint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%')")) {
      long oid = r[0].as<long>();
      s.names[oid] = name_of(r[1].as<std::string>(), r[2].as<std::string>());
      s.filenodes[oid] = r[3].as<long>();
    }
    for (const auto& r : exec("SELECT relid::bigint, seq_scan FROM pg_stat_xact_user_tables"))
      s.seq_scans[r[0].as<long>()] = r[1].as<long>();
    for (const auto& r :
         exec("SELECT relation::bigint, mode FROM pg_locks WHERE pid = pg_backend_pid() AND "
              "locktype = 'relation' AND granted AND relation IS NOT NULL")) {
      long oid = r[0].as<long>();
      if (!s.names.count(oid)) continue;
      LockMode m = parse_pg_locks_mode(r[1].as<std::string>());
      if (m != LockMode::none) s.locks.insert({oid, m});
    }
    return s;
  }

  // The last value of each sequence the snapshot had; a rollback does not give consumed
  // values back.
  std::map<long, std::pair<std::string, std::string>> sequence_values() {
    try {
      return own_read([&] {
        std::map<long, std::pair<std::string, std::string>> out;
        for (const auto& r : exec(R"(
            SELECT c.oid::int8, n.nspname || '.' || c.relname, COALESCE(s.last_value::text, '')
            FROM pg_sequences s
            JOIN pg_namespace n ON n.nspname = s.schemaname
            JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename)")) {
          long oid = r[0].as<long>();
          if (sequences_.count(oid)) out[oid] = {r[1].as<std::string>(), r[2].as<std::string>()};
        }
        return out;
      });
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::failure&) {
      return {};  // no privilege, or a sequence locked: nothing to note
    }
  }

  void note_sequences(TraceResult& t) {
    auto now = sequence_values();
    for (const auto& [oid, value] : now) {
      auto was = sequence_values_.find(oid);
      // Only a value that went up was consumed; RESTART sets it back, and is rolled back.
      if (was != sequence_values_.end() && !value.second.empty() &&
          (was->second.second.empty() || std::stoll(value.second) > std::stoll(was->second.second)))
        t.notes.push_back("it consumed values of sequence " + value.first + " (last value " +
                          (was->second.second.empty() ? "unset" : was->second.second) + ", now " +
                          value.second + "); a rollback does not give them back");
    }
    sequence_values_ = std::move(now);
  }

  std::string dsn_;
  SnapshotLimits limits_;
  bool plan_mode_ = false;
  bool hypopg_ = false;      // plan mode with HypoPG: new indexes are hypothetical
  bool hide_index_ = false;  // and dropped ones hidden (HypoPG 1.4+)
  std::string hypopg_schema_;
  pqxx::connection conn_;
  int backend_pid_;
  Watchdog watchdog_;
  pqxx::nontransaction tx_;
  std::set<int64_t> sequences_;  // the sequences the snapshot had before the trace
  std::map<long, std::pair<std::string, std::string>> sequence_values_;
  bool dead_ = false;
  std::string guard_counts_;  // the first part of the guard (counts_query)
  std::string guard_;         // guard_state() when the trace began
  bool stopped_ = false;      // a statement changed it: nothing more runs
};

}  // namespace

std::unique_ptr<StatementTracer> make_pg_tracer(const std::string& dsn,
                                                const SnapshotLimits& limits, bool plan_mode) {
  return std::make_unique<PgTracer>(dsn, limits, plan_mode);
}

}  // namespace migsafe
