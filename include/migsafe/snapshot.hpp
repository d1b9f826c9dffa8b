// Running and planning migrations against a real engine: a copy of real data (a PostgreSQL
// snapshot), or SQLite's dry run, which needs no database from the user (the real SQLite
// library, on a scratch in-memory database). The rules engine sees only these interfaces.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/effects.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {

// A database error: exit status 3. The message never holds a password.
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SnapshotLimits {
  int statement_timeout_ms = 10000;
  int lock_timeout_ms = 1000;
};

// A sequential scan in a statement's plan.
struct SeqScan {
  std::string relation;
  double rows = 0;
};

// A statement's plan on the snapshot (EXPLAIN, never ANALYZE), or why there is none.
struct PlanResult {
  bool planned = false;
  std::vector<SeqScan> seq_scans;
  std::string error;     // why there is no plan, in plain words
  std::string sqlstate;  // the server's, when it refused to plan
  bool refused = false;  // the sandbox would not send the statement
};

// A node of a query's plan as the engine gives it (PostgreSQL: EXPLAIN (FORMAT JSON)).
struct PlanNode {
  std::string type;      // "Seq Scan", "Index Scan", "Hash Join", ...
  std::string relation;  // the table it reads, if any ("schema.table" outside public)
  std::string index;     // the index it uses, if any
  double total_cost = 0;
  double rows = 0;  // estimated rows out
  std::vector<PlanNode> children;
};

// A workload query's plan on the snapshot (EXPLAIN, never ANALYZE), or why there is none.
struct QueryPlan {
  bool planned = false;
  PlanNode root;
  std::string document;  // the engine's own plan document (JSON)
  bool generic = false;  // planned for any parameter values ($1 ...)
  std::string error;     // why there is no plan, in plain words
  std::string sqlstate;
  bool refused = false;  // the sandbox would not send it
};

// A statement the server has run, with how often and for how long (PostgreSQL:
// pg_stat_statements, whose texts have $n where the constants were).
struct ObservedQuery {
  std::string text;
  double calls = 0;
  double total_ms = 0;
  std::string source = "pg_stat_statements";  // or "performance_schema" (MySQL, MariaDB)
};
struct ObservedQueries {
  std::vector<ObservedQuery> queries;
  std::string unavailable;  // why the server cannot say (the extension is missing, ...)
};

// A change whose success depends on the rows already there: SET NOT NULL (nulls), ADD UNIQUE /
// PRIMARY KEY or a unique index (duplicates), ADD FOREIGN KEY (orphans), ADD CHECK or a
// narrowing type change (violations).
// violations: rows for which `condition` holds (a CHECK the rows break, values a narrower type
// cannot hold); columns are then the ones shown as the example.
struct DataQuestion {
  enum class Kind { nulls, duplicates, orphans, violations } kind = Kind::nulls;
  QualifiedName table;
  std::vector<std::string> columns;
  QualifiedName ref_table;  // orphans: the referenced table and its columns
  std::vector<std::string> ref_columns;
  std::string condition;  // violations: an SQL condition over the table's columns
  std::string failing;    // violations: what the rows do, in plain words ("break CHECK (...)")
};
// What the snapshot's rows say, counted read-only under the statement timeout.
struct DataAnswer {
  bool answered = false;
  int64_t rows = 0;             // rows (duplicates: groups of equal keys) that make the change fail
  std::string example;          // one of them, as the key's values: "(42)" or "(a@x, 3)"
  std::string error;            // why there is no answer
  bool unknown_column = false;  // a column the snapshot does not have (added by a migration)
};

// Facts from a copy of real data, for the rules engine.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  virtual void load_schema(SchemaModel& model) = 0;
  // Plans a statement the sandbox allows; never runs it.
  virtual PlanResult plan(std::string_view sql) = 0;
  // Whether plan() can answer for this engine; when not, the rules that need a plan do not ask.
  virtual bool can_plan() const = 0;
  // Counts the rows that would make the change fail; never changes anything.
  virtual DataAnswer check_data(const DataQuestion& q) = 0;
  // The statements the server spent most time on whose plans use this index (PostgreSQL:
  // pg_stat_statements); empty when the engine cannot say.
  virtual std::vector<ObservedQuery> queries_using_index(std::string_view index) = 0;
};

// What running a statement on a snapshot showed (--trace).
struct TracedLock {
  QualifiedName table;
  LockMode mode = LockMode::none;
};
struct TraceResult {
  bool traced = true;
  bool refused = false;  // the sandbox refused it (not traced, and a fact is missing)
  // It ran, and changed the server's own objects or the session's settings that the sandbox's
  // judgments rely on: the trace stops after it.
  bool stopped = false;
  std::string note;  // why it was not traced, or how it was adapted to run in a transaction
  bool adapted = false;
  double ms = 0;
  std::vector<TracedLock> locks;         // lock modes the statement took that were not held yet
  std::vector<QualifiedName> rewritten;  // tables whose files it replaced
  std::vector<QualifiedName> scanned;    // tables it read sequentially
  std::vector<std::string> notes;        // what it left behind that the rollback keeps
  std::string error, sqlstate;           // when the server refused or stopped it
  std::vector<PlanResult> plans;         // of the texts asked for, before the statement ran
  // How the statement failed, when it did (error holds the server's message).
  enum class Failure { none, lock_timeout, statement_timeout, privilege, rejected };
  Failure failure = Failure::none;
  // The trace could not run it for a reason of its own (MySQL: no scratch database, or an
  // object of the snapshot it does not clone): a fact is missing, said as a warning.
  bool incomplete = false;
  // MySQL / MariaDB, where the statement runs on empty clones in a scratch database: the
  // ALGORITHM= and LOCK= the server accepted for an ALTER TABLE or index change, tried from the
  // least blocking, and why it refused the forms before.
  std::optional<TargetVersion> server_version;  // the server the statement ran on
  std::optional<Algorithm> server_algorithm;
  bool algorithm_exact = true;  // MySQL's INPLACE may or may not rebuild the table
  std::optional<DdlLock> server_lock;
  std::string accepted;                    // the clauses it ran with: "ALGORITHM=NOCOPY, LOCK=NONE"
  std::vector<std::string> refused_forms;  // "ALGORITHM=INSTANT: <the server's reason>"
};
class StatementTracer {
 public:
  virtual ~StatementTracer() = default;
  // plan_texts: statements (the statement itself, or ones its routines run) to plan in the
  // trace's transaction before the statement runs.
  virtual TraceResult trace(const Statement& st,
                            const std::vector<std::string_view>& plan_texts) = 0;
  // The plan of a query in the trace's transaction, as things stand (what the migration did so
  // far included); $n parameters are planned generically, for any values.
  virtual QueryPlan explain(std::string_view query) = 0;
  // How the session applies index changes: "hypothetical" (HypoPG: nothing is built), or
  // "transaction" (the plain statements, rolled back).
  virtual std::string index_method() const = 0;
};

// Runs statements on an engine (SQLite's dry run) and says which ones it rejects. The engine
// asks it about each statement before the rules.
class StatementProbe {
 public:
  virtual ~StatementProbe() = default;
  virtual void begin_file() = 0;
  // The engine's own error message when it rejects the statement, with the byte offset in the
  // file where it points.
  struct Rejection {
    uint32_t offset = 0;
    std::string message;
  };
  virtual std::optional<Rejection> run(const Statement& st) = 0;
  virtual void end_file() = 0;
};

// A connection to a copy of real data: PostgreSQL, MySQL, MariaDB or SQLite, chosen by the DSN's
// scheme.
// Read-only: every query runs in a READ ONLY transaction with the limits set, and is rolled back.
// load_schema reads tables, columns, indexes (with use counts), constraints and sizes.
class Snapshot : public SnapshotSource {
 public:
  // The engine: postgres, or mysql / mariadb by the server's own flavor.
  virtual Dialect dialect() const = 0;
  virtual TargetVersion server_version() const = 0;
  // Whether the snapshot role is a superuser (the trace says so: a role that owns the tables
  // is enough).
  virtual bool superuser() const = 0;
  // A session that runs statements in one transaction that is always rolled back (when the
  // tracer is destroyed, or when the connection dies), with lock and statement timeouts.
  virtual std::unique_ptr<StatementTracer> begin_trace() = 0;
  // The same for plan inspection: new indexes become hypothetical ones and dropped ones are
  // hidden when the server has HypoPG, so nothing is built or locked.
  virtual std::unique_ptr<StatementTracer> begin_plan_trace() = 0;
  // The statements the server spent the most time on, most first.
  virtual ObservedQueries top_queries(int n) = 0;
  // A copy migsafe owns (SQLite's): every check runs the migration on it, not only --trace.
  virtual bool traces_every_check() const { return false; }
};
// The engine a DSN names by its scheme: postgres (postgresql://, postgres://, or a key=value
// connection string), mysql (mysql://), mariadb (mariadb://), or sqlite (sqlite:PATH, or a path
// ending in .db, .sqlite or .sqlite3); nullopt for anything else.
std::optional<Dialect> dsn_dialect(std::string_view dsn);
// Connects to the snapshot the DSN names, loading that engine's module. Throws SnapshotError
// (connection refused, bad credentials, an unknown scheme, ...).
std::unique_ptr<Snapshot> connect_snapshot(const std::string& dsn,
                                           const SnapshotLimits& limits = {});
// A SQLite database file, copied: the copy is what every check runs the migration on.
std::unique_ptr<Snapshot> connect_sqlite_snapshot(const std::string& path,
                                                  const SnapshotLimits& limits);
// Masks the DSN's password (and any URI userinfo password) in a message.
std::string redact(std::string text, const std::string& dsn);

// A probe that replays each file on a scratch in-memory SQLite database: tables that existed
// before the file (replayed or stubbed) hold one row, each file runs inside a savepoint that is
// rolled back, then its schema changes are replayed for the next file.
std::unique_ptr<StatementProbe> make_sqlite_dry_run();
// The version of the SQLite library migsafe is linked with (the default target).
TargetVersion linked_sqlite_version();

}  // namespace migsafe
