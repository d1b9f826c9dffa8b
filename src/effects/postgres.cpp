// Lock, rewrite and scan facts for PostgreSQL 11-17 (../shared/docs/lock-reference.md, section 1).
#include <algorithm>

#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

using LM = LockMode;

struct AlterOtherLock {
  std::string_view subtype;
  LockMode lock;
};
// ALTER TABLE forms migsafe does not model one by one but whose lock is weaker than the default
// ACCESS EXCLUSIVE.
constexpr AlterOtherLock kAlterOtherLocks[] = {
    {"AT_SetStatistics", LM::share_update_exclusive}, {"AT_SetOptions", LM::share_update_exclusive},
    {"AT_ResetOptions", LM::share_update_exclusive},  {"AT_ClusterOn", LM::share_update_exclusive},
    {"AT_DropCluster", LM::share_update_exclusive},   {"AT_AddIdentity", LM::access_exclusive},
};

// The first volatile function in a default, or empty when the default is safe to store once.
// A snapshot's pg_proc knows user functions; the built-in table knows the common ones.
std::string volatile_function(const ExprInfo& e, const SchemaModel& schema) {
  for (const auto& fn : e.functions) {
    char known = schema.function_volatility(fn);
    if (known ? known == 'v' : function_volatility(fn) == Volatility::volatile_fn) return fn;
  }
  return {};
}

void add_column(const Operation& op, const SchemaModel& schema, Effect& e) {
  e.lock = LM::access_exclusive;
  if (!op.column_spec) return;
  const ColumnSpec& c = *op.column_spec;
  if (c.type.user_defined && schema.domain_has_constraints(c.type.name)) {
    e.rewrite = true;
    e.reason =
        c.type.name + " is a domain with constraints: every existing row is rewritten to check it";
  } else if (c.serial) {
    e.rewrite = true;
    e.reason = c.name + " is a serial column: every existing row gets its own nextval()";
  } else if (c.generated == Generated::identity) {
    e.rewrite = true;
    e.reason = c.name + " is an identity column: every existing row gets its own value";
  } else if (c.generated == Generated::stored) {
    e.rewrite = true;
    e.reason = c.name + " is a stored generated column: the value is computed for every row";
  } else if (std::string fn = volatile_function(c.default_expr, schema); !fn.empty()) {
    e.rewrite = true;
    e.reason = "the default calls " + fn + "(), which is volatile: every row gets its own value";
  }
  if (e.rewrite) {
    e.hold = Hold::rewrite;
    return;
  }
  bool has_default = c.default_expr.present && !c.default_expr.is_null;
  if (c.not_null && !has_default) {
    e.fails_on_data = true;
    e.reason = "a NOT NULL column without a default cannot be added to a table that has rows";
  }
  if (c.has_check) {
    e.scan = true;
    e.hold = Hold::scan;
    e.reason = "the CHECK constraint is verified against every existing row";
  }
  if (c.unique || c.primary_key) {
    e.scan = e.index_build = true;
    e.hold = Hold::index_build;
    e.reason = "the column's unique index is built while the lock is held";
  }
  if (c.references) {
    e.other_locks.push_back({c.references->table, LM::share_row_exclusive});
    // With a non-NULL default every existing row gets a value that must exist in the
    // referenced table: the foreign key is checked row by row.
    if (has_default) {
      e.scan = true;
      e.hold = Hold::scan;
      e.reason = "every existing row's default is looked up in " + c.references->table.display() +
                 " while both tables are locked";
    }
  }
}

// USING that names only the column itself lets the server reuse the stored values when the
// types allow; any other expression computes a new value for every row.
bool using_computes(const Operation& op) {
  return op.using_expr.present && op.using_expr.column_ref != op.column;
}

void alter_type(const Operation& op, const TableInfo* t, TargetVersion v, bool utc, Effect& e) {
  e.lock = LM::access_exclusive;
  if (!op.new_type) return;
  const ColumnInfo* col = t ? t->column(op.column) : nullptr;
  TypeChange tc =
      using_computes(op)
          ? TypeChange{true,
                       "the USING expression computes every row's value: the table is rewritten"}
          : classify_pg_type_change(col ? &col->type : nullptr, *op.new_type, op.using_expr, v,
                                    utc);
  e.rewrite = tc.rewrite;
  e.reason = tc.reason;
  if (!e.rewrite && !op.collation.empty() && t) {
    // A new collation may change the sort order: indexes on the column are rebuilt, under the
    // ACCESS EXCLUSIVE lock, even though the table is not.
    std::vector<std::string> rebuilt;
    for (const auto& idx : t->indexes)
      if (std::find(idx.columns.begin(), idx.columns.end(), op.column) != idx.columns.end())
        rebuilt.push_back(idx.name);
    if (!rebuilt.empty()) {
      e.index_build = e.scan = true;
      e.hold = Hold::index_build;
      e.reason = "COLLATE \"" + op.collation + "\" may change the sort order, so " +
                 std::to_string(rebuilt.size()) + " index(es) on " + op.column + " are rebuilt (" +
                 rebuilt.front() + (rebuilt.size() > 1 ? ", ..." : "") + ")";
    }
  }
  if (e.rewrite) {
    e.hold = Hold::rewrite;
    if (t && !t->indexes.empty())
      e.reason +=
          "; all " + std::to_string(t->indexes.size()) + " indexes of the table are rebuilt";
  }
}

void set_not_null(const Operation& op, const TableInfo* t, TargetVersion v, Effect& e) {
  e.lock = LM::access_exclusive;
  const ColumnInfo* col = t ? t->column(op.column) : nullptr;
  if (col && col->not_null) {
    e.reason = op.column + " is already NOT NULL";
    return;
  }
  if (v.major >= 12 && t && t->proves_not_null(op.column)) {
    e.reason = "a validated CHECK (" + op.column + " IS NOT NULL) lets PostgreSQL skip the scan";
    return;
  }
  e.scan = true;
  e.hold = Hold::scan;
  e.reason = v.major >= 12
                 ? "every row is read to prove " + op.column + " has no NULL"
                 : "PostgreSQL 11 always reads every row to prove " + op.column + " has no NULL";
}

void add_constraint(const Operation& op, const TableInfo* t, Effect& e) {
  e.lock = LM::access_exclusive;
  if (!op.constraint) return;
  const ConstraintSpec& c = *op.constraint;
  switch (c.kind) {
    case ConstraintKind::check:
      if (!c.not_valid) {
        e.scan = true;
        e.hold = Hold::scan;
        e.reason = "every existing row is checked while the lock is held";
      }
      break;
    case ConstraintKind::foreign_key:
      e.lock = LM::share_row_exclusive;
      e.other_locks.push_back({c.references.table, LM::share_row_exclusive});
      if (!c.not_valid) {
        e.scan = true;
        e.also_read.push_back(c.references.table);
        e.hold = Hold::scan;
        e.reason = same_relation(c.references.table, e.table)
                       ? "every existing row is looked up in " + e.table.display() +
                             " itself while it is locked"
                       : "every existing row is looked up in " + c.references.table.display() +
                             " while both tables are locked";
      }
      break;
    case ConstraintKind::unique:
    case ConstraintKind::primary_key:
      if (c.using_index.empty()) {
        e.scan = e.index_build = true;
        e.hold = Hold::index_build;
        e.reason = "the unique index is built while the lock is held";
      } else if (c.kind == ConstraintKind::primary_key && t) {
        std::vector<std::string> cols = c.columns;
        for (const auto& idx : t->indexes)
          if (cols.empty() && idx.name == c.using_index) cols = idx.columns;
        for (const auto& col : cols) {
          if (!t->proves_not_null(col)) {
            e.scan = true;
            e.hold = Hold::scan;
            e.reason = "the primary key makes " + col + " NOT NULL, which reads every row";
          }
        }
      }
      break;
    case ConstraintKind::exclusion:
      e.scan = e.index_build = true;
      e.hold = Hold::index_build;
      e.reason = "the exclusion index is built while the lock is held; there is no online way";
      break;
    default:
      break;
  }
}

void drop_constraint(const Operation& op, const SchemaModel& schema, const TableInfo* t,
                     Effect& e) {
  e.lock = LM::access_exclusive;
  const ConstraintInfo* c = t ? t->constraint(op.object) : nullptr;
  if (!c) return;
  if (c->kind == ConstraintKind::foreign_key)
    e.other_locks.push_back({c->references, LM::access_exclusive});
  // A key that foreign keys rest on: CASCADE drops them (locking their tables), else refused.
  std::vector<std::string> names;
  for (const auto& r : schema.resting_on(*t, *c)) {
    names.push_back("the foreign key of " + r.display());
    if (op.cascade && !same_relation(r, t->name))
      e.other_locks.push_back({r, LM::access_exclusive});
  }
  if (!op.cascade && !names.empty())
    e.refused = join_names(names) + (names.size() > 1 ? " rest on " : " rests on ") + c->name +
                ", and without CASCADE the server refuses";
}

// The index of a primary key, unique or exclusion constraint goes only with its constraint.
std::string index_of_constraint(const Operation& op, const TableInfo* t) {
  const ConstraintInfo* c = t ? t->constraint(op.object) : nullptr;
  if (!c || (c->kind != ConstraintKind::primary_key && c->kind != ConstraintKind::unique &&
             c->kind != ConstraintKind::exclusion))
    return {};
  return "the index " + op.object + " belongs to the constraint " + c->name + " of " +
         t->name.display() + ": the server refuses to drop it (drop the constraint instead)";
}

void create_index(const Operation& op, const TableInfo* t, Effect& e) {
  e.index_build = e.scan = true;
  e.hold = Hold::index_build;
  if (op.concurrently) {
    e.lock = LM::share_update_exclusive;
    e.tx = TxRule::outside_block;
  } else {
    e.lock = LM::share;
  }
  if (t && t->partitioned) e.reason = "the table is partitioned: every partition is indexed";
  if (op.if_not_exists && op.index && t && t->index(op.index->name)) {
    // The lock is taken before the name is found taken; nothing is built.
    e.index_build = e.scan = false;
    e.hold = Hold::brief;
    e.reason = "the index " + op.index->name + " already exists: IF NOT EXISTS builds nothing";
  }
}

std::string named_twice(const Operation& op) {
  switch (op.kind) {
    case OpKind::insert:
      return "the column list names " + op.named_twice + " twice";
    case OpKind::update:
      return "SET assigns " + op.named_twice + " twice";
    case OpKind::create_table:
      return "the column " + op.named_twice + " is named twice";
    default:
      return "two of its columns are named " + op.named_twice;
  }
}

bool in_primary_key(const TableInfo& t, const std::string& column) {
  for (const auto& c : t.constraints)
    if (c.kind == ConstraintKind::primary_key &&
        std::find(c.columns.begin(), c.columns.end(), column) != c.columns.end())
      return true;
  return false;
}

bool named_together(const Operation& op, const QualifiedName& t) {
  return std::any_of(op.together.begin(), op.together.end(),
                     [&](const QualifiedName& n) { return same_relation(n, t); });
}

// What stands on a relation being dropped or emptied: views over it (drop) and tables whose
// foreign keys reference it. Without CASCADE the server refuses; with it, they are locked too
// (and dropped, or emptied, or lose their foreign key).
void what_depends(const Operation& op, const SchemaModel& schema, bool views, Effect& e) {
  std::vector<std::string> names;
  auto found = [&](const QualifiedName& n, std::string what) {
    if (named_together(op, n)) return;
    names.push_back(std::move(what));
    if (op.cascade) e.other_locks.push_back({n, LM::access_exclusive});
  };
  if (views)
    for (const auto& d : schema.dependents(e.table)) found(d.view, "view " + d.view.display());
  for (const auto& r : schema.referencing(e.table)) found(r, "the foreign key of " + r.display());
  if (!op.cascade && !names.empty())
    e.refused = join_names(names) + (names.size() > 1 ? " depend on " : " depends on ") +
                e.table.display() + ", and without CASCADE the server refuses";
}

// A column a view uses cannot change type, nor be dropped without CASCADE.
void views_on_column(const Operation& op, const SchemaModel& schema, Effect& e) {
  std::vector<std::string> names;
  for (const auto& d : schema.dependents(e.table))
    if (d.uses(op.column)) {
      names.push_back("view " + d.view.display());
      if (op.cascade) e.other_locks.push_back({d.view, LM::access_exclusive});
    }
  if (names.empty()) return;
  if (op.kind == OpKind::alter_column_type)
    e.refused = join_names(names) + " uses " + op.column +
                ": the server refuses to change the type of a column a view uses (drop the "
                "view first and create it again after)";
  else if (!op.cascade)
    e.refused =
        join_names(names) + " uses " + op.column + ", and without CASCADE the server refuses";
}

// Storage parameters the server changes under SHARE UPDATE EXCLUSIVE (fillfactor, autovacuum
// and toast settings, parallel_workers, ...); these few still take ACCESS EXCLUSIVE.
constexpr std::string_view kExclusiveParameters[] = {"user_catalog_table", "check_option",
                                                     "security_barrier", "security_invoker"};

LockMode storage_parameters_lock(std::string_view names) {
  for (auto p : kExclusiveParameters)
    if (names.find(p) != std::string_view::npos) return LM::access_exclusive;
  return names.empty() ? LM::access_exclusive : LM::share_update_exclusive;
}

// ALTER DOMAIN ... ADD CONSTRAINT / SET NOT NULL checks every value in use: each table with a
// column of the domain is locked SHARE and read.
void domain_users(const Operation& op, const SchemaModel& schema, Effect& e) {
  if (op.constraint && op.constraint->not_valid) return;
  std::string_view domain = op.object;
  if (size_t dot = domain.rfind('.'); dot != std::string_view::npos)
    domain = domain.substr(dot + 1);
  for (const auto& [key, t] : schema.tables()) {
    (void)key;
    for (const auto& c : t.columns)
      if (c.type.user_defined && c.type.name == domain) {
        e.other_locks.push_back({t.name, LM::share});
        e.also_read.push_back(t.name);
        break;
      }
  }
  e.hold = Hold::scan;
  e.scan = !e.also_read.empty();
  if (e.scan)
    e.reason = "every value of the domain in " + std::to_string(e.also_read.size()) +
               " table(s) is checked while they are locked SHARE";
}

// Operations on a partitioned table that the server carries out on every partition as well.
bool reaches_partitions(OpKind k) {
  switch (k) {
    case OpKind::add_column:
    case OpKind::drop_column:
    case OpKind::alter_column_type:
    case OpKind::set_not_null:
    case OpKind::drop_not_null:
    case OpKind::set_default:
    case OpKind::drop_default:
    case OpKind::add_constraint:
    case OpKind::validate_constraint:
    case OpKind::drop_constraint:
    case OpKind::rename_column:
    case OpKind::create_index:
    case OpKind::truncate:
    case OpKind::drop_table:
    case OpKind::lock_table:
    case OpKind::update:
    case OpKind::delete_rows:
    case OpKind::enable_disable_trigger:
    case OpKind::create_trigger:
      return true;
    default:
      return false;
  }
}

void to_partitions(const Operation& op, const SchemaModel& schema, const TableInfo& t, Effect& e) {
  if (!reaches_partitions(op.kind) || e.lock == LM::none) return;
  for (const TableInfo* p : schema.partitions_of(t)) {
    e.other_locks.push_back({p->name, e.lock});
    if (e.rewrite)
      e.also_rewritten.push_back(p->name);
    else if (e.scan)
      e.also_read.push_back(p->name);
  }
}

}  // namespace

Effect postgres_effect(const Operation& op, const SchemaModel& schema, TargetVersion v,
                       const SessionSettings& session) {
  Effect e;
  e.table = op.table;
  if (op.table.name.empty() && !op.object.empty() &&
      (op.kind == OpKind::drop_index || op.kind == OpKind::rename_index ||
       op.kind == OpKind::reindex)) {
    if (const TableInfo* owner = schema.table_of_index({op.table.schema, op.object}))
      e.table = owner->name;
  }
  const TableInfo* t = schema.find(e.table);

  switch (op.kind) {
    case OpKind::create_table:
      e.lock = LM::access_exclusive;
      for (const auto& c : op.columns)
        if (c.references) e.other_locks.push_back({c.references->table, LM::share_row_exclusive});
      for (const auto& c : op.table_constraints)
        if (c.kind == ConstraintKind::foreign_key)
          e.other_locks.push_back({c.references.table, LM::share_row_exclusive});
      break;
    case OpKind::create_index:
      create_index(op, t, e);
      break;
    case OpKind::drop_index:
      e.lock = op.concurrently ? LM::share_update_exclusive : LM::access_exclusive;
      if (op.concurrently) e.tx = TxRule::outside_block;
      e.refused = index_of_constraint(op, t);
      break;
    case OpKind::add_column:
      add_column(op, schema, e);
      if (t && op.column_spec && !op.if_not_exists && t->column(op.column_spec->name))
        e.refused = e.table.display() + " already has a column " + op.column_spec->name;
      break;
    case OpKind::drop_column:
      e.lock = LM::access_exclusive;
      e.data_loss = e.breaks_compat = true;
      e.reason = "the column's data is gone, and code that still reads or writes it fails";
      views_on_column(op, schema, e);
      break;
    case OpKind::alter_column_type:
      alter_type(op, t, v, session.utc_timezone, e);
      views_on_column(op, schema, e);
      break;
    case OpKind::set_not_null:
      set_not_null(op, t, v, e);
      break;
    case OpKind::drop_not_null:
      e.lock = LM::access_exclusive;
      if (t && in_primary_key(*t, op.column))
        e.refused = op.column + " is in the primary key of " + e.table.display() +
                    ": the server refuses to drop its NOT NULL";
      break;
    case OpKind::set_default:
    case OpKind::drop_default:
    case OpKind::rename_constraint:
      e.lock = LM::access_exclusive;
      break;
    case OpKind::set_tablespace:
      e.lock = LM::access_exclusive;
      e.rewrite = true;
      e.hold = Hold::rewrite;
      e.reason = "every file of the table is copied to the new tablespace";
      break;
    case OpKind::add_constraint:
      add_constraint(op, t, e);
      break;
    case OpKind::validate_constraint: {
      e.lock = LM::share_update_exclusive;
      e.scan = true;
      e.hold = Hold::scan;
      const ConstraintInfo* c = t ? t->constraint(op.object) : nullptr;
      if (c && c->validated) {
        // Made with its table, or validated before: the server has nothing to check.
        e.scan = false;
        e.hold = Hold::brief;
        e.reason = "the constraint " + c->name + " is already valid: VALIDATE checks nothing";
        break;
      }
      if (c && c->kind == ConstraintKind::foreign_key) {
        e.other_locks.push_back({c->references, LM::row_share});
        e.also_read.push_back(c->references);
      }
      break;
    }
    case OpKind::drop_constraint:
      drop_constraint(op, schema, t, e);
      break;
    case OpKind::rename_column:
    case OpKind::rename_table:
      e.lock = LM::access_exclusive;
      e.breaks_compat = true;
      e.reason = "code that still uses the old name fails until it is deployed again";
      break;
    case OpKind::rename_enum_value:
    case OpKind::rename_schema:
      e.breaks_compat = true;
      e.reason = "code that still uses the old name fails until it is deployed again";
      break;
    case OpKind::rename_index:
      e.index_lock = v.major >= 12 ? LM::share_update_exclusive : LM::access_exclusive;
      // Measured: neither version locks the table itself. 12 locks the index SHARE UPDATE
      // EXCLUSIVE, which queries do not wait for; 11 locks it ACCESS EXCLUSIVE, and every query
      // planned on the table waits for that.
      e.reason = v.major >= 12 ? "only the index is locked, SHARE UPDATE EXCLUSIVE: queries go on"
                               : "PostgreSQL 11 locks the index ACCESS EXCLUSIVE: every query "
                                 "that plans on the table waits";
      break;
    case OpKind::drop_table:
      e.lock = LM::access_exclusive;
      e.data_loss = e.breaks_compat = true;
      e.reason = "the table and its data are gone";
      if (t)
        for (const auto& c : t->constraints)
          if (c.kind == ConstraintKind::foreign_key)
            e.other_locks.push_back({c.references, LM::access_exclusive});
      what_depends(op, schema, true, e);
      break;
    case OpKind::drop_view:
      e.lock = LM::access_exclusive;
      e.breaks_compat = true;
      what_depends(op, schema, true, e);
      break;
    case OpKind::drop_schema:
    case OpKind::drop_database:
      e.data_loss = e.breaks_compat = true;
      e.reason = "everything in it is gone";
      break;
    case OpKind::truncate:
      e.lock = LM::access_exclusive;
      e.data_loss = true;
      e.reason = "every row is removed";
      what_depends(op, schema, false, e);
      break;
    case OpKind::update:
    case OpKind::delete_rows:
    case OpKind::insert:
      e.lock = LM::row_exclusive;
      e.hold = Hold::data_change;
      e.scan = (op.kind != OpKind::insert && !op.has_where) || op.from_select;
      e.data_loss = op.kind == OpKind::delete_rows && !op.has_where;
      break;
    case OpKind::lock_table:
      e.lock = parse_lock_mode(op.value).value_or(LM::access_exclusive);
      break;
    case OpKind::vacuum:
      e.tx = TxRule::outside_block;
      if (op.full) {
        e.lock = LM::access_exclusive;
        e.rewrite = true;
        e.hold = Hold::rewrite;
        e.reason = "VACUUM FULL writes a new copy of the table and all its indexes";
      } else {
        e.lock = LM::share_update_exclusive;
        e.scan = true;
      }
      break;
    case OpKind::analyze:
      e.lock = LM::share_update_exclusive;
      break;
    case OpKind::cluster:
      e.lock = LM::access_exclusive;
      e.rewrite = true;
      e.hold = Hold::rewrite;
      e.reason = "CLUSTER writes a new copy of the table in index order and rebuilds its indexes";
      break;
    case OpKind::reindex:
      if (op.concurrently && op.detail == "REINDEX_OBJECT_SYSTEM")
        e.refused =
            "REINDEX SYSTEM cannot run CONCURRENTLY: the system catalogs are rebuilt "
            "in place only";
      if (op.concurrently) {
        e.lock = LM::share_update_exclusive;
        e.tx = TxRule::outside_block;
      } else {
        e.lock = LM::share;
        e.reason =
            "each rebuilt index is locked ACCESS EXCLUSIVE too: queries that would use it wait";
      }
      e.index_build = e.scan = true;
      e.hold = Hold::index_build;
      break;
    case OpKind::refresh_matview:
      e.lock = op.concurrently ? LM::exclusive : LM::access_exclusive;
      e.hold = Hold::rewrite;
      if (op.concurrently) {
        e.scan = true;
        e.reason = "the query runs again and its result is compared with the rows there";
      } else {
        // The query's result goes to new storage that replaces the old.
        e.rewrite = true;
        e.reason = "the query runs again and its result replaces every row";
      }
      break;
    case OpKind::set_logged:
    case OpKind::set_unlogged:
    case OpKind::set_access_method:
      e.lock = LM::access_exclusive;
      if (op.kind == OpKind::set_access_method && t && t->origin.file >= 0 &&
          (t->access_method.empty() ? std::string("heap") : t->access_method) == op.object) {
        e.reason = e.table.display() + " already uses " + op.object + ": nothing is rewritten";
        break;
      }
      e.rewrite = true;
      e.hold = Hold::rewrite;
      e.reason = "the table and its indexes are written anew";
      break;
    case OpKind::attach_partition:
      e.lock = v.major >= 12 ? LM::share_update_exclusive : LM::access_exclusive;
      e.other_locks.push_back({partition_name(op), LM::access_exclusive});
      e.also_read.push_back(partition_name(op));
      e.reason = partition_name(op).display() +
                 " is read in full to prove its rows fit the bound (unless a CHECK constraint "
                 "already proves it), and the partitioned table's indexes are built on it";
      break;
    case OpKind::detach_partition:
      if (op.concurrently) {
        e.lock = LM::share_update_exclusive;
        e.tx = TxRule::outside_block;
      } else {
        // Measured: before 14 the partition is locked SHARE UPDATE EXCLUSIVE only.
        e.lock = LM::access_exclusive;
        e.other_locks.push_back({partition_name(op), v.major >= 14 ? LM::access_exclusive
                                                                   : LM::share_update_exclusive});
      }
      break;
    case OpKind::create_trigger:
    case OpKind::enable_disable_trigger:
      e.lock = LM::share_row_exclusive;
      break;
    case OpKind::alter_table_other:
      e.lock = LM::access_exclusive;
      for (const auto& a : kAlterOtherLocks)
        if (a.subtype == op.detail) e.lock = a.lock;
      if (op.detail == "AT_SetRelOptions" || op.detail == "AT_ResetRelOptions")
        e.lock = storage_parameters_lock(op.value);
      break;
    case OpKind::comment:
      // On the table or a column: SHARE UPDATE EXCLUSIVE; on a constraint or trigger of it,
      // the table is only opened.
      if (!op.table.name.empty())
        e.lock = op.object.empty() || op.value == "OBJECT_COLUMN" ? LM::share_update_exclusive
                                                                  : LM::access_share;
      break;
    case OpKind::drop_other:
      // DROP TRIGGER / RULE / POLICY ... ON table
      if (!op.table.name.empty()) e.lock = LM::access_exclusive;
      break;
    case OpKind::alter_domain_add_constraint:
      domain_users(op, schema, e);
      break;
    default:
      break;
  }
  if (t && t->partitioned) to_partitions(op, schema, *t, e);
  if (e.refused.empty() && !op.named_twice.empty()) e.refused = named_twice(op);
  return e;
}

Effect compute_effect(Dialect d, const Operation& op, const SchemaModel& schema, TargetVersion v,
                      const SessionSettings& session) {
  switch (d) {
    case Dialect::postgres:
      return postgres_effect(op, schema, v, session);
    case Dialect::sqlite:
      return sqlite_effect(op, schema, v);
    case Dialect::mysql:
    case Dialect::mariadb:
      return mysql_effect(d, op, schema, v, session.foreign_key_checks);
  }
  return Effect{};
}

}  // namespace migsafe
