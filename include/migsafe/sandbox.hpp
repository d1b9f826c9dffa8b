// What may run on a snapshot. The migration under review is hostile: it may come from anyone's
// pull request, and the snapshot holds a copy of real data, often reached as a superuser. Before
// migsafe sends a statement to a snapshot (a traced statement, or the EXPLAIN of one), the
// sandbox judges it from its parse tree, never from its text: which statement kinds it holds,
// what every function, operator and cast it names resolves to in the snapshot's catalog, and
// what the routines it calls, creates or replaces do, down to the SQL inside their bodies.
// Whatever reaches outside the transaction or the database is refused; what cannot be checked
// (SQL built at run time, languages other than SQL and PL/pgSQL) is refused too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migsafe {

enum class SandboxAction {
  run,     // send it (sql may be an adapted form)
  skip,    // harmless, but not run: transaction control, VACUUM, the trace's own timeouts
  refuse,  // reaches outside the transaction or the database, or cannot be checked
};

struct SandboxVerdict {
  SandboxAction action = SandboxAction::run;
  std::string reason;         // why it is skipped or refused, in plain words
  std::string sql;            // what to send when it runs: the statement or its adapted form
  std::string adaptation;     // how it was adapted to run in a transaction (empty: as written)
  bool returns_rows = false;  // a query or RETURNING: the caller need not fetch its rows
};

// A function, procedure or aggregate as the snapshot's catalog knows it.
struct PgRoutine {
  int64_t oid = 0;
  std::string schema;
  std::string name;
  char kind = 'f';                  // f function, p procedure, a aggregate, w window
  std::string language;             // internal, c, sql, plpgsql, ...
  char volatility = 'v';            // i immutable, s stable, v volatile
  bool builtin = false;             // part of the server itself (created by initdb)
  std::string extension;            // the extension that owns it, if any
  std::vector<std::string> config;  // its SET clauses, "name=value"
  std::string definition;           // its CREATE statement, for SQL and PL/pgSQL routines
  std::string source;               // prosrc: for internal and C functions, the C symbol
  std::vector<int64_t> parts;       // an aggregate's support functions
  bool takes_row = false;           // one argument of a row type: t.f calls it as f(t)
  bool out_args = false;            // OUT / INOUT parameters: CALL hands their values back
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
};

// What a relation reaches: itself, its partitions and children, and what its view definition
// reads, transitively.
struct RelationReach {
  std::string foreign;  // a foreign table it reaches ("" if none): another server
  std::string system;   // a system catalog or view it reaches ("" if none)
};

// The catalog lookups the PostgreSQL sandbox needs, answered by the session the statement would
// run in (so it sees what earlier traced statements created). A name without a schema is
// looked up in every schema: a call is judged by everything it could resolve to. The schema
// "pg_temp" is the session's own temporary schema.
class PgSandboxCatalog {
 public:
  virtual ~PgSandboxCatalog() = default;
  virtual std::vector<PgRoutine> routines(std::string_view schema, std::string_view name) = 0;
  virtual std::optional<PgRoutine> routine(int64_t oid) = 0;
  // Functions behind operators of that name (their code and selectivity estimators): those not
  // part of the server, and the server's own behind an operator that is not (their policy
  // decides).
  virtual std::vector<int64_t> operator_functions(std::string_view schema,
                                                  std::string_view name) = 0;
  // Functions that a cast into, the input of, or a domain constraint of a type of that name
  // calls: those not part of the server, and the server's own behind a cast, type or domain
  // that is not.
  virtual std::vector<int64_t> type_functions(std::string_view schema, std::string_view name) = 0;
  // Whether a type or operator of that name exists outside pg_catalog (which could stand in for
  // the server's own when a statement names it without a schema).
  virtual bool user_type_named(std::string_view name) = 0;
  virtual bool user_operator_named(std::string_view name) = 0;
  // Whether pg_catalog has an operator of that name.
  virtual bool operator_in_pg_catalog(std::string_view name) = 0;
  // Functions of the triggers on a table (one trigger by name, or all when trigger is empty),
  // enabled or not.
  virtual std::vector<int64_t> trigger_functions(std::string_view schema, std::string_view table,
                                                 std::string_view trigger) = 0;
  // The USING and WITH CHECK expressions of a table's row-level security policies, as SQL.
  virtual std::vector<std::string> policy_expressions(std::string_view schema,
                                                      std::string_view table) = 0;
  virtual RelationReach reach(std::string_view schema, std::string_view name) = 0;
  // The definitions (SQL) of the views of that name: what they read is followed by the judge,
  // since the catalog records no dependency on the server's own catalogs.
  virtual std::vector<std::string> view_definitions(std::string_view schema,
                                                    std::string_view name) = 0;
  // Whether a sequence the regclass text could name (in any schema when it has none) existed
  // before the trace began, so that a change to it would outlive the rollback.
  virtual bool sequence_predates_trace(std::string_view regclass_text) = 0;
  // Functions that are not part of the server and that casts into the column types of a table,
  // or its columns' domain constraints, call (INSERT and UPDATE).
  virtual std::vector<int64_t> column_type_functions(std::string_view schema,
                                                     std::string_view table) = 0;
  // Functions a write to a table of that name runs without naming them: its enabled triggers,
  // column defaults and generated columns, CHECK constraints, index expressions and rules.
  virtual std::vector<int64_t> write_functions(std::string_view schema, std::string_view table) = 0;
  // Functions reading a relation of that name runs: those its views' definitions call, through
  // every view it reads.
  virtual std::vector<int64_t> read_functions(std::string_view schema, std::string_view name) = 0;
  // Functions of the enabled event triggers, which run on DDL.
  virtual std::vector<int64_t> event_trigger_functions() = 0;
  // The sequences pg_get_serial_sequence gives for a column of the tables of that name, as
  // regclass text.
  virtual std::vector<std::string> serial_sequences(std::string_view table,
                                                    std::string_view column) = 0;
  // Whether pg_catalog has a type of that name.
  virtual bool builtin_type_named(std::string_view name) = 0;
  // Whether pg_catalog or information_schema has a relation of that name.
  virtual bool system_relation_named(std::string_view name) = 0;
  // Who may change a run-time setting (pg_settings.context: user, superuser, ...); "" when the
  // server has no such setting.
  virtual std::string setting_context(std::string_view name) = 0;
};

// The start of the reason given when the judge met a parse tree of a shape it does not expect
// (a bug of the judge: the fuzz target treats it as one).
inline constexpr const char* kUnreadableTree = "the sandbox could not read its parse tree";

// Judges one PostgreSQL statement (exactly one: text holding several is refused).
SandboxVerdict judge_postgres(std::string_view sql, PgSandboxCatalog& catalog);

// MySQL / MariaDB: the trace replays the migration in a scratch database of empty clones
// (DDL commits, so nothing runs on the snapshot's tables). A statement may run there when its
// kind is one a migration needs and every name it qualifies with a database is the snapshot's
// (mapped into the scratch database) or information_schema; whatever reaches files, other
// databases, other servers, accounts, the server's settings or SQL built at run time is refused.
// Judged from migsafe's own lexical pass of the statement with the server's version, so
// executable comments read as the server reads them.
struct MysqlSandboxContext {
  std::string snapshot_db;  // names qualified with it are mapped into scratch_db
  std::string scratch_db;
  // The databases the role can see: a name qualified with one of them (other than the two
  // above and information_schema) is refused.
  std::vector<std::string> databases;
  bool mariadb = true;
  uint32_t version = 101100;  // major * 10000 + minor * 100 + patch
  // The text goes to the snapshot itself, in a READ ONLY transaction (an EXPLAIN, a count):
  // reads that lock rows (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are refused too, since
  // they would hold up the application's writes.
  bool snapshot_reads = false;
};
struct MysqlSandboxVerdict : SandboxVerdict {
  // The names the statement may use as tables, unquoted (the trace clones those the snapshot
  // has before the statement runs).
  std::vector<std::string> names;
  // ALTER TABLE / CREATE INDEX / DROP INDEX: where ALGORITHM= and LOCK= clauses can be tried.
  enum class Ddl { none, alter_table, index } ddl = Ddl::none;
  uint32_t clause_at = 0;    // alter_table: the offset in sql after the table's name
  bool own_clauses = false;  // the statement has ALGORITHM= or LOCK= of its own
};
MysqlSandboxVerdict judge_mysql(std::string_view sql, const MysqlSandboxContext& ctx);

// SQLite: the statements of a migration run on migsafe's own copy of the user's database file,
// so whatever stays in that file may run. Judged from the front end's operations: what reaches
// other files (ATTACH, VACUUM INTO, the directory pragmas) or migsafe's own limits is refused,
// VACUUM is skipped, and what the front end cannot classify is refused. The copy's connection
// refuses ATTACH, extensions and those pragmas by itself too.
struct Statement;
SandboxVerdict judge_sqlite(const Statement& st);

}  // namespace migsafe
