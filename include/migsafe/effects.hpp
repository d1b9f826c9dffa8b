// What each operation does to a live database, per dialect and server version. Only this layer
// knows versions; rules ask it questions and never re-derive the answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/ir.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {

// PostgreSQL table lock modes, weakest first (the order matters: "at least" compares them).
enum class LockMode : uint8_t {
  none,
  access_share,
  row_share,
  row_exclusive,
  share_update_exclusive,
  share,
  share_row_exclusive,
  exclusive,
  access_exclusive,
};
std::string_view lock_mode_name(LockMode m);  // "ACCESS EXCLUSIVE"
std::optional<LockMode> parse_lock_mode(
    std::string_view s);  // "ACCESS EXCLUSIVE" or "access_exclusive"
bool locks_conflict(LockMode a, LockMode b);
bool lock_blocks_reads(LockMode m);   // plain SELECT waits
bool lock_blocks_writes(LockMode m);  // INSERT / UPDATE / DELETE wait

struct TargetVersion {
  int major = 16;
  int minor = 0;
  int patch = -1;  // MySQL / MariaDB release within the series; -1: the series' latest
  std::string display() const;
  void append_display(std::string& out) const;  // display(), appended (messages name it often)
  // The patch level to compare with: an unnamed patch is the series' current release.
  int patch_or_latest() const { return patch < 0 ? 999 : patch; }
};
std::optional<TargetVersion> parse_target_version(Dialect d, std::string_view s);
// Any major[.minor[.patch]], without a dialect's range check (pack version ranges).
std::optional<TargetVersion> parse_version_number(std::string_view s);
TargetVersion default_target_version(Dialect d);

enum class TxRule {
  any,
  outside_block,  // refuses to run inside a transaction block (CONCURRENTLY, VACUUM)
};

// How long the lock is held once granted; drives the wording of findings.
enum class Hold { brief, scan, rewrite, index_build, data_change };

// MySQL / MariaDB online DDL: how the server carries out an ALTER TABLE specification, cheapest
// first, so a statement with several specifications takes the largest of them.
enum class Algorithm : uint8_t {
  none,     // not an online-DDL operation
  instant,  // data dictionary only
  inplace,  // inside the storage engine, no table rebuild (MariaDB: NOCOPY)
  rebuild,  // inside the storage engine, the clustered index is rebuilt
  copy,     // row-by-row copy into a new table
};
std::string_view algorithm_name(Algorithm a);  // "INSTANT", "INPLACE", "INPLACE (rebuild)", "COPY"

// The weakest LOCK= clause the server accepts for the operation: NONE lets reads and writes go
// on, SHARED allows reads only, EXCLUSIVE neither.
enum class DdlLock : uint8_t { none, shared, exclusive };
std::string_view ddl_lock_name(DdlLock l);  // "NONE", "SHARED", "EXCLUSIVE"

struct TableLock {
  QualifiedName table;
  LockMode mode = LockMode::none;
  bool operator==(const TableLock&) const = default;
};

struct Effect;
// Every table the operation locks, the strongest mode once per table: its own table first.
std::vector<TableLock> table_locks(const Effect& e);
// The same from the parts it is read from: the operation's table, its lock and the others.
std::vector<TableLock> table_locks(const QualifiedName& table, LockMode lock,
                                   const std::vector<TableLock>& others);

struct Effect {
  QualifiedName table;  // main table, resolved (an index's table, for DROP INDEX)
  LockMode lock = LockMode::none;
  std::vector<TableLock> other_locks;  // e.g. the referenced table of a foreign key
  // PostgreSQL: the lock on an index the operation names (ALTER INDEX). Every query planned on
  // the table locks each of its indexes ACCESS SHARE, so ACCESS EXCLUSIVE here stops them all.
  LockMode index_lock = LockMode::none;
  // Other tables read in full: the table ATTACH PARTITION checks, the tables using a domain
  // whose new constraint is checked, the partitions of a partitioned table.
  std::vector<QualifiedName> also_read;
  std::vector<QualifiedName> also_rewritten;  // the partitions of a rewritten partitioned table
  Hold hold = Hold::brief;
  bool rewrite = false;
  bool scan = false;
  bool index_build = false;
  bool fails_on_data = false;  // fails on a populated table (NOT NULL column without default)
  bool data_loss = false;
  bool breaks_compat = false;  // code already deployed stops working
  TxRule tx = TxRule::any;
  bool database_write_lock = false;       // SQLite: the one write lock of the whole database file
  Algorithm algorithm = Algorithm::none;  // MySQL / MariaDB ALTER TABLE
  DdlLock min_lock = DdlLock::none;       // MySQL / MariaDB: the least blocking LOCK= possible
  bool implicit_commit = false;           // MySQL / MariaDB: DDL commits the open transaction
  std::vector<std::string_view> changes;  // MySQL / MariaDB: the online-DDL classes (ddl_change)
  std::string reason;                     // plain words on why: "gen_random_uuid() is volatile"
  // The server rejects the statement every time, as the schema stands: why ("view v depends on
  // column a"); empty when it runs.
  std::string refused;

  bool blocks_reads() const;
  bool blocks_writes() const;
};

enum class Volatility { immutable, stable, volatile_fn };
// Built-in table of common functions; an unknown function counts as volatile (PostgreSQL's own
// default for CREATE FUNCTION).
Volatility function_volatility(std::string_view fn);
std::string_view volatility_name(Volatility v);

struct TypeChange {
  bool rewrite = true;
  std::string reason;
};
// Whether ALTER COLUMN ... TYPE rewrites the table (PostgreSQL), old type unknown = nullptr.
// utc_session: SET timezone = 'UTC' is in force (timestamp <-> timestamptz is then free).
TypeChange classify_pg_type_change(const TypeRef* old_type, const TypeRef& new_type,
                                   const ExprInfo& using_expr, TargetVersion v,
                                   bool utc_session = false);

// The migration's own session settings in force where an operation runs.
struct SessionSettings {
  bool foreign_key_checks = true;  // MySQL / MariaDB: SET foreign_key_checks
  bool utc_timezone = false;       // PostgreSQL: SET timezone = 'UTC' (or a name for it)
};

Effect postgres_effect(const Operation& op, const SchemaModel& schema, TargetVersion v,
                       const SessionSettings& session = {});
Effect sqlite_effect(const Operation& op, const SchemaModel& schema, TargetVersion v);
// flavor: Dialect::mysql or Dialect::mariadb; v is a version of that server.
// foreign_key_checks: the session setting in force (it decides how ADD FOREIGN KEY runs).
// honour_clauses: false gives what the operation needs by itself, as if it had no ALGORITHM= /
// LOCK= clause.
Effect mysql_effect(Dialect flavor, const Operation& op, const SchemaModel& schema, TargetVersion v,
                    bool foreign_key_checks = true, bool honour_clauses = true);
// MySQL 8.0.29+ counts the row versions that instant ADD and DROP COLUMN create, per table: 64,
// or 255 from MySQL 9.1 (from its manual). 0 where the server keeps no such count (MariaDB,
// older MySQL).
int row_version_limit(Dialect flavor, TargetVersion v);
// Whether the operation, as the effect says it runs, uses one of them.
bool uses_row_version(Dialect flavor, TargetVersion v, const Operation& op, const Effect& e);
// What an ALTER TABLE statement with several specifications does as a whole: the largest
// algorithm and lock any of them needs.
struct StatementDdl {
  Algorithm algorithm = Algorithm::none;
  DdlLock min_lock = DdlLock::none;
};
StatementDdl combine_ddl(const std::vector<Effect>& effects);
// MySQL / MariaDB: whether online DDL classes apply to the operation at all (an ALGORITHM= and
// LOCK= can mean something); for any other, mysql_effect has no algorithm and no lock.
bool has_online_ddl(OpKind k);
Effect compute_effect(Dialect d, const Operation& op, const SchemaModel& schema, TargetVersion v,
                      const SessionSettings& session = {});

// What running the statement again does when a deploy stopped part-way through its file and
// nothing of the first run was rolled back.
enum class Rerun : uint8_t {
  harmless,       // the same result again, or nothing
  fails,          // the object is already there (or already gone): the second run stops
  duplicates,     // the rows go in a second time, or a unique key rejects them
  invalid_index,  // CREATE INDEX CONCURRENTLY stopped part-way left an INVALID index behind
  applies_twice,  // UPDATE ... SET n = n + 1: the rows change again
};
std::string_view rerun_name(Rerun r);  // "harmless", "fails", "duplicates", "invalid_index"
struct RerunEffect {
  Rerun outcome = Rerun::harmless;
  // How to write the statement so that a second run does no harm in this dialect and version,
  // in words with SQL; empty when the dialect has no way to say it (MySQL's CREATE INDEX).
  std::string_view guard;
  // The guard is an earlier DROP ... IF EXISTS of the same object in the file.
  bool guard_is_drop_first = false;
};
RerunEffect rerun_effect(Dialect d, const Operation& op, TargetVersion v);

}  // namespace migsafe
