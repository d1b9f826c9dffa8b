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
  std::string display() const;
};
std::optional<TargetVersion> parse_target_version(Dialect d, std::string_view s);
TargetVersion default_target_version(Dialect d);

enum class TxRule {
  any,
  outside_block,  // refuses to run inside a transaction block (CONCURRENTLY, VACUUM)
};

// How long the lock is held once granted; drives the wording of findings.
enum class Hold { brief, scan, rewrite, index_build, data_change };

struct TableLock {
  QualifiedName table;
  LockMode mode = LockMode::none;
};

struct Effect {
  QualifiedName table;  // main table, resolved (an index's table, for DROP INDEX)
  LockMode lock = LockMode::none;
  std::vector<TableLock> other_locks;  // e.g. the referenced table of a foreign key
  Hold hold = Hold::brief;
  bool rewrite = false;
  bool scan = false;
  bool index_build = false;
  bool fails_on_data = false;  // fails on a populated table (NOT NULL column without default)
  bool data_loss = false;
  bool breaks_compat = false;  // code already deployed stops working
  TxRule tx = TxRule::any;
  bool database_write_lock = false;  // SQLite: the one write lock of the whole database file
  std::string reason;                // plain words on why: "gen_random_uuid() is volatile"

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
TypeChange classify_pg_type_change(const TypeRef* old_type, const TypeRef& new_type,
                                   const ExprInfo& using_expr, TargetVersion v);

Effect postgres_effect(const Operation& op, const SchemaModel& schema, TargetVersion v);
Effect sqlite_effect(const Operation& op, const SchemaModel& schema, TargetVersion v);
Effect compute_effect(Dialect d, const Operation& op, const SchemaModel& schema, TargetVersion v);

}  // namespace migsafe
