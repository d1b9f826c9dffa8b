// The attributes and effects a pack condition can test, each with the one function that reads
// it. Adding a condition name means adding a row here, nothing else.
#include <algorithm>
#include <type_traits>
#include <utility>

#include "migsafe/ascii.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {
namespace {

using Getter = std::string (*)(const EvalInput&);
using View = std::string_view (*)(const EvalInput&);
using Flag = bool (*)(const EvalInput&);

// How an attribute is read: a yes / no attribute as a bool (a test of it then compares no
// text: conditions test hundreds of thousands of attributes on a large file), a text the input
// holds or a fixed name in place, any other as a text of its own.
struct Reader {
  Getter get = nullptr;
  View view = nullptr;
  Flag flag = nullptr;
  template <class F>
  Reader(F f) {  // NOLINT: the table's rows name a lambda
    using Result = decltype(f(std::declval<const EvalInput&>()));
    if constexpr (std::is_same_v<Result, bool>)
      flag = f;
    else if constexpr (std::is_same_v<Result, std::string_view>)
      view = f;
    else
      get = f;
  }
};

struct Named {
  std::string_view name;
  Reader read;
  std::string_view doc;
  bool lower_case = false;  // the value as written, compared lower-cased
};

const ColumnSpec* col(const EvalInput& in) {
  return in.op.column_spec ? &*in.op.column_spec : nullptr;
}

std::string_view generated_name(Generated g) {
  switch (g) {
    case Generated::none:
      return "none";
    case Generated::stored:
      return "stored";
    case Generated::identity:
      return "identity";
    case Generated::virtual_column:
      return "virtual";
  }
  return "none";
}

bool default_is_volatile(const ExprInfo& e) {
  return std::any_of(e.functions.begin(), e.functions.end(), [](const std::string& f) {
    return function_volatility(f) == Volatility::volatile_fn;
  });
}

// Attributes with one value per column or identifier: a test passes when any value matches.
struct MultiNamed {
  std::string_view name;
  std::vector<std::string> (*get)(const EvalInput&);
  std::string_view doc;
  std::span<const std::string_view> (*views)(const EvalInput&) = nullptr;  // instead of get
};

std::vector<const ColumnSpec*> columns_of(const EvalInput& in) {
  std::vector<const ColumnSpec*> out;
  if (in.op.column_spec) out.push_back(&*in.op.column_spec);
  for (const auto& c : in.op.columns) out.push_back(&c);
  return out;
}

std::string type_base(const ColumnSpec& c) {
  if (c.serial) {
    if (c.type.name == "int8") return "bigserial";
    if (c.type.name == "int2") return "smallserial";
    return "serial";
  }
  return c.type.name;
}

// The ALGORITHM= / LOCK= clause the statement gives cannot be honoured: the server refuses it.
bool clause_refused(const EvalInput& in) {
  const Algorithm a = in.effect.algorithm;
  const std::string& alg = in.op.algorithm;
  const std::string& lock = in.op.lock_clause;
  // Most statements give neither clause: nothing to refuse, and no changes to look through.
  if (a == Algorithm::none || (alg.empty() && lock.empty())) return false;
  const auto& ch = in.effect.changes;
  if (std::find(ch.begin(), ch.end(), "type_change_unknown") != ch.end()) return false;
  if (alg == "INSTANT" && a > Algorithm::instant) return true;
  if (alg == "NOCOPY" && a > Algorithm::inplace) return true;
  if (alg == "INPLACE" && a == Algorithm::copy) return true;
  if (lock == "NONE" && in.effect.min_lock > DdlLock::none) return true;
  if (lock == "SHARED" && in.effect.min_lock > DdlLock::shared) return true;
  return false;
}

const Named kAttributes[] = {
    {"concurrently", [](const EvalInput& in) { return in.op.concurrently; },
     "CONCURRENTLY was given"},
    {"system_catalogs", [](const EvalInput& in) { return in.op.detail == "REINDEX_OBJECT_SYSTEM"; },
     "REINDEX SYSTEM: the server's own catalogs, which have no CONCURRENTLY form"},
    {"if_exists", [](const EvalInput& in) { return in.op.if_exists; }, "IF EXISTS was given"},
    {"if_not_exists", [](const EvalInput& in) { return in.op.if_not_exists; },
     "IF NOT EXISTS was given"},
    {"cascade", [](const EvalInput& in) { return in.op.cascade; }, "CASCADE was given"},
    {"has_where", [](const EvalInput& in) { return in.op.has_where; },
     "UPDATE / DELETE has a WHERE clause"},
    {"from_select", [](const EvalInput& in) { return in.op.from_select; },
     "INSERT takes its rows from a SELECT"},
    {"full", [](const EvalInput& in) { return in.op.full; }, "VACUUM FULL"},
    {"local", [](const EvalInput& in) { return in.op.local; }, "SET LOCAL"},
    {"unique",
     [](const EvalInput& in) {
       return (in.op.index && in.op.index->unique) ||
              (in.op.constraint && in.op.constraint->kind == ConstraintKind::unique);
     },
     "a unique index or constraint"},
    {"partial", [](const EvalInput& in) { return in.op.index && in.op.index->partial; },
     "the index has a WHERE clause"},
    {"not_valid",
     [](const EvalInput& in) { return in.op.constraint && in.op.constraint->not_valid; },
     "the constraint is added NOT VALID"},
    {"using_index",
     [](const EvalInput& in) { return in.op.constraint && !in.op.constraint->using_index.empty(); },
     "UNIQUE / PRIMARY KEY ... USING INDEX"},
    {"constraint_type",
     [](const EvalInput& in) {
       if (in.op.constraint) return constraint_kind_name(in.op.constraint->kind);
       // DROP / VALIDATE CONSTRAINT name the constraint; its kind comes from the schema model.
       const ConstraintInfo* c = in.table ? in.table->constraint(in.op.object) : nullptr;
       return c ? constraint_kind_name(c->kind) : std::string_view();
     },
     "check, foreign_key, unique, primary_key, exclusion (from the schema model for DROP)"},
    {"bulk_data_change",
     [](const EvalInput& in) {
       return in.op.kind == OpKind::update || in.op.kind == OpKind::delete_rows ||
              (in.op.kind == OpKind::insert && in.op.from_select);
     },
     "UPDATE, DELETE or INSERT ... SELECT"},
    {"serial", [](const EvalInput& in) { return col(in) && col(in)->serial; },
     "the added column is serial / bigserial / smallserial"},
    {"generated",
     [](const EvalInput& in) {
       return col(in) ? generated_name(col(in)->generated) : std::string_view("none");
     },
     "none, stored, virtual (MySQL) or identity"},
    {"has_default",
     [](const EvalInput& in) {
       return col(in) && col(in)->default_expr.present && !col(in)->default_expr.is_null;
     },
     "the added column has a non-NULL default"},
    {"default_volatile",
     [](const EvalInput& in) { return col(in) && default_is_volatile(col(in)->default_expr); },
     "the added column's default calls a volatile (or unknown) function"},
    {"not_null", [](const EvalInput& in) { return col(in) && col(in)->not_null; },
     "the added column is NOT NULL"},
    {"inline_references", [](const EvalInput& in) { return col(in) && col(in)->references; },
     "the added column has REFERENCES"},
    {"inline_unique",
     [](const EvalInput& in) { return col(in) && (col(in)->unique || col(in)->primary_key); },
     "the added column is UNIQUE or PRIMARY KEY"},
    {"setting",
     [](const EvalInput& in) {
       return in.op.kind == OpKind::set_setting || in.op.kind == OpKind::reset_setting
                  ? std::string_view(in.op.object)
                  : std::string_view();
     },
     "the name of the setting SET / RESET changes"},
    {"value", [](const EvalInput& in) { return std::string_view(in.op.value); },
     "the value set, or the LOCK mode"},
    {"in_transaction", [](const EvalInput& in) { return in.facts.in_transaction; },
     "the statement runs inside a transaction block: BEGIN in the file, the runner's "
     "transaction, a query string of several statements, or a DO block"},
    {"transaction_begun", [](const EvalInput& in) { return in.facts.transaction_begun; },
     "the file opened the transaction, or the runner's transaction already ran statements"},
    {"added_in_same_transaction",
     [](const EvalInput& in) { return in.facts.added_in_same_transaction; },
     "VALIDATE of a constraint added NOT VALID in the same transaction"},
    {"held_lock_blocks_reads",
     [](const EvalInput& in) { return lock_blocks_reads(in.facts.held_lock); },
     "the transaction already holds a lock on the table that blocks reads"},
    {"held_lock_blocks_writes",
     [](const EvalInput& in) { return lock_blocks_writes(in.facts.held_lock); },
     "the transaction already holds a lock on the table that blocks writes"},
    {"partitioned_table", [](const EvalInput& in) { return in.facts.partitioned_table; },
     "the table is partitioned"},
    {"node", [](const EvalInput& in) { return std::string_view(in.stmt.node); },
     "the parser's statement node name"},
    {"lock_timeout_set", [](const EvalInput& in) { return in.facts.lock_timeout_set; },
     "a non-zero lock_timeout is in force (tracked through SET, SET LOCAL, RESET, set_config)"},
    {"nested_begin", [](const EvalInput& in) { return in.facts.nested_begin; },
     "BEGIN while a transaction is already open"},
    {"ends_runner_transaction",
     [](const EvalInput& in) { return in.facts.ends_runner_transaction; },
     "COMMIT / ROLLBACK inside the transaction the runner opened for the file"},
    {"earlier_access_exclusive_statements",
     [](const EvalInput& in) { return std::to_string(in.facts.access_exclusive_statements); },
     "how many earlier statements of this transaction took ACCESS EXCLUSIVE on the table"},
    {"other_held_lock_blocks_writes",
     [](const EvalInput& in) { return lock_blocks_writes(in.facts.other_held_lock); },
     "the transaction holds a lock that blocks writes on another table"},
    {"foreign_keys_off", [](const EvalInput& in) { return in.facts.foreign_keys_off; },
     "SQLite: PRAGMA foreign_keys = OFF ran outside a transaction earlier in the file"},
    {"rebuild", [](const EvalInput& in) { return in.op.detail == "rebuild"; },
     "SQLite: the DROP TABLE / RENAME of a 12-step table rebuild"},
    {"rebuild_checked", [](const EvalInput& in) { return in.op.value == "checked"; },
     "SQLite: PRAGMA foreign_key_check follows the rebuild"},
    {"rename_aside", [](const EvalInput& in) { return in.op.detail == "rename-aside"; },
     "SQLite: a table renamed aside and created again under its old name"},
    {"unsupported", [](const EvalInput& in) { return in.op.value == "unsupported"; },
     "SQLite: an ALTER TABLE form SQLite does not have"},
    {"body_unchecked", [](const EvalInput& in) { return !in.op.body_unchecked.empty(); },
     "PostgreSQL: the PL/pgSQL body of a DO block or routine could not be read, so its "
     "statements are not checked"},
    {"snapshot", [](const EvalInput& in) { return in.facts.snapshot; },
     "the schema comes from a snapshot (--db), so indexes and sizes are real"},
    {"table_sized", [](const EvalInput& in) { return in.table && in.table->stats; },
     "snapshot: the table's rows and bytes are known (it existed before the migrations)"},
    {"row_versions_exhausted", [](const EvalInput& in) { return in.facts.row_versions_exhausted; },
     "snapshot, MySQL 8.0.29+: an instant ADD or DROP COLUMN past the table's row-version budget"},
    {"data_fails", [](const EvalInput& in) { return in.facts.data_fails; },
     "snapshot: rows already in the table make the change fail (NULLs, duplicates, orphans)"},
    {"seq_scan", [](const EvalInput& in) { return in.facts.seq_scan; },
     "snapshot: the statement's plan reads the table sequentially"},
    {"fk_indexed",
     [](const EvalInput& in) {
       // An index whose leading columns are the foreign key's columns, in any order.
       if (!in.op.constraint || !in.table) return false;
       const auto& fk = in.op.constraint->columns;
       for (const auto& idx : in.table->indexes) {
         if (idx.columns.size() < fk.size()) continue;
         std::vector<std::string> lead(idx.columns.begin(),
                                       idx.columns.begin() + static_cast<long>(fk.size()));
         if (std::is_permutation(lead.begin(), lead.end(), fk.begin())) return true;
       }
       return false;
     },
     "the referencing columns of the foreign key lead an existing index"},
    {"index_used",
     [](const EvalInput& in) {
       const TableInfo* t = in.table;
       const IndexInfo* idx = t ? t->index(in.op.object) : nullptr;
       return idx && idx->scans > 0;
     },
     "snapshot: the dropped index has been scanned since the statistics were reset"},
    {"index_backs_constraint",
     [](const EvalInput& in) {
       const IndexInfo* idx = in.table ? in.table->index(in.op.object) : nullptr;
       return idx && idx->backs_constraint;
     },
     "snapshot: the dropped index backs a constraint"},
    {"index_duplicates_existing",
     [](const EvalInput& in) {
       return in.op.index && in.table && in.table->covering_index(*in.op.index);
     },
     "an existing index already covers these columns (same, or the new one is its prefix)"},
    {"table_schema", [](const EvalInput& in) { return std::string_view(in.op.table.schema); },
     "the schema the statement names for its table (empty when unqualified)"},
    {"requested_algorithm", [](const EvalInput& in) { return std::string_view(in.op.algorithm); },
     "MySQL: the ALGORITHM= clause, lower-case (instant, inplace, nocopy, copy, default); empty "
     "when not given",
     /*lower_case=*/true},
    {"requested_lock", [](const EvalInput& in) { return std::string_view(in.op.lock_clause); },
     "MySQL: the LOCK= clause, lower-case (none, shared, exclusive, default); empty when not "
     "given",
     /*lower_case=*/true},
    {"clause_refused", [](const EvalInput& in) { return clause_refused(in); },
     "MySQL: the server refuses the ALGORITHM= / LOCK= clause for this operation"},
    {"first_in_statement", [](const EvalInput& in) { return in.facts.op_index == 0; },
     "the first operation of its statement (statement-level rules fire once)"},
    {"statement_online",
     [](const EvalInput& in) {
       return in.facts.statement_ddl.algorithm != Algorithm::none &&
              in.facts.statement_ddl.algorithm != Algorithm::copy &&
              in.facts.statement_ddl.min_lock == DdlLock::none;
     },
     "MySQL: the whole statement runs without a table copy and lets writes go on"},
    {"meta_command",
     [](const EvalInput& in) {
       return in.op.kind == OpKind::meta_command ? std::string_view(in.op.object)
                                                 : std::string_view();
     },
     "the psql meta-command (\\set, \\i, ...)"},
    {"or_replace", [](const EvalInput& in) { return in.op.or_replace; },
     "CREATE OR REPLACE was given"},
    {"skips_existing", [](const EvalInput& in) { return in.op.skips_existing; },
     "INSERT leaves rows already there alone: ON CONFLICT, INSERT IGNORE, REPLACE, ON "
     "DUPLICATE KEY UPDATE, INSERT OR IGNORE, or a SELECT with NOT EXISTS / NOT IN / EXCEPT"},
    {"batched", [](const EvalInput& in) { return in.op.batched; },
     "UPDATE / DELETE changes a bounded batch: LIMIT, BETWEEN, a key with a lower and an upper "
     "bound, or a loop in a routine"},
    {"atomic", [](const EvalInput& in) { return in.facts.atomic; },
     "the statement runs in a transaction that rolls back with the rest of its file (or "
     "section, or changeset) when a later statement fails: PostgreSQL and SQLite, whose DDL is "
     "transactional, in the runner's transaction or a BEGIN ... COMMIT block of the file"},
    {"in_routine", [](const EvalInput& in) { return in.facts.in_routine; },
     "the statement runs inside a DO block, function or procedure the migration runs"},
    {"dropped_first", [](const EvalInput& in) { return in.facts.dropped_first; },
     "an earlier statement of the file drops the same object with IF EXISTS"},
};

const Named kEffects[] = {
    {"rerun",
     [](const EvalInput& in) {
       return rerun_name(rerun_effect(in.dialect, in.op, in.version).outcome);
     },
     "what a second run of the statement does after a partial deploy: harmless, fails, "
     "duplicates (rows), invalid_index (CREATE INDEX CONCURRENTLY), applies_twice (UPDATE ... SET "
     "n = n + 1)"},
    {"rerun_guard",
     [](const EvalInput& in) { return !rerun_effect(in.dialect, in.op, in.version).guard.empty(); },
     "the dialect and version can write the statement so that a second run does no harm"},
    {"rewrite", [](const EvalInput& in) { return in.effect.rewrite; },
     "the table and its indexes are written anew"},
    {"scan", [](const EvalInput& in) { return in.effect.scan; },
     "every row is read (validation, index build, data change without WHERE)"},
    {"index_build", [](const EvalInput& in) { return in.effect.index_build; }, "an index is built"},
    {"whole_table",
     [](const EvalInput& in) {
       return in.effect.scan || in.effect.rewrite || in.effect.index_build;
     },
     "every row of the table is read or written (a scan, a rewrite or an index build)"},
    {"blocks_reads", [](const EvalInput& in) { return in.effect.blocks_reads(); },
     "the lock makes SELECT wait"},
    {"blocks_writes", [](const EvalInput& in) { return in.effect.blocks_writes(); },
     "the lock makes INSERT / UPDATE / DELETE wait"},
    {"data_loss", [](const EvalInput& in) { return in.effect.data_loss; }, "data is destroyed"},
    {"breaks_compat", [](const EvalInput& in) { return in.effect.breaks_compat; },
     "code that is already deployed stops working"},
    {"fails_on_data", [](const EvalInput& in) { return in.effect.fails_on_data; },
     "fails on a table that has rows"},
    {"refused", [](const EvalInput& in) { return !in.effect.refused.empty(); },
     "the server rejects the statement every time, as the schema stands (what depends on it)"},
    {"locks_other_table", [](const EvalInput& in) { return !in.effect.other_locks.empty(); },
     "the operation also locks another table (a referenced or partition table)"},
    {"algorithm",
     [](const EvalInput& in) {
       switch (in.effect.algorithm) {
         case Algorithm::none:
           return std::string_view("none");
         case Algorithm::instant:
           return std::string_view("instant");
         case Algorithm::inplace:
           return std::string_view("inplace");
         case Algorithm::rebuild:
           return std::string_view("rebuild");
         case Algorithm::copy:
           return std::string_view("copy");
       }
       return std::string_view("none");
     },
     "MySQL: the algorithm the server picks: instant, inplace, rebuild (in place), copy, none"},
    {"min_lock", [](const EvalInput& in) { return ddl_lock_name(in.effect.min_lock); },
     "MySQL: the least blocking LOCK= the operation allows: none, shared, exclusive",
     /*lower_case=*/true},
    {"implicit_commit", [](const EvalInput& in) { return in.effect.implicit_commit; },
     "MySQL: the statement commits the open transaction before it runs"},
    {"outside_transaction_only",
     [](const EvalInput& in) { return in.effect.tx == TxRule::outside_block; },
     "cannot run inside a transaction block"},
};

const MultiNamed kMultiAttributes[] = {
    {"ddl_change", nullptr,
     "MySQL: what the specification changes, as the online-DDL tables name it (type_change, "
     "varchar_widen_copy, null_to_not_null, add_fulltext_first, drop_primary_key, ...)",
     [](const EvalInput& in) { return std::span<const std::string_view>(in.effect.changes); }},
    {"column_types",
     [](const EvalInput& in) {
       std::vector<std::string> out;
       for (const ColumnSpec* c : columns_of(in)) out.push_back(type_base(*c));
       if (in.op.new_type) out.push_back(in.op.new_type->name);
       return out;
     },
     "type names of the columns the operation creates or changes (int4, varchar, serial, ...)"},
    {"limited_column_types",
     [](const EvalInput& in) {
       std::vector<std::string> out;
       for (const ColumnSpec* c : columns_of(in))
         if (!c->type.mods.empty()) out.push_back(c->type.name);
       if (in.op.new_type && !in.op.new_type->mods.empty()) out.push_back(in.op.new_type->name);
       return out;
     },
     "type names of those columns that carry a length or precision (varchar(n), ...)"},
};

template <size_t N>
const Named* lookup(const Named (&table)[N], std::string_view name) {
  for (const auto& n : table)
    if (n.name == name) return &n;
  return nullptr;
}

const MultiNamed* lookup_multi(std::string_view name) {
  for (const auto& n : kMultiAttributes)
    if (n.name == name) return &n;
  return nullptr;
}

template <size_t N>
std::vector<std::string> names(const Named (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& n : table) out.emplace_back(n.name);
  return out;
}

}  // namespace

namespace {
void bind(ValueTest& t, const Named& n) {
  const Reader& r = n.read;
  t.single = r.get;
  t.view = r.view;
  t.lower_case = n.lower_case;
  t.flag = r.flag;
  t.accepts_true = std::find(t.values.begin(), t.values.end(), "true") != t.values.end();
  t.accepts_false = std::find(t.values.begin(), t.values.end(), "false") != t.values.end();
}
}  // namespace

bool resolve_attribute(ValueTest& t) {
  if (const Named* n = lookup(kAttributes, t.name))
    bind(t, *n);
  else if (const MultiNamed* m = lookup_multi(t.name)) {
    t.multi = m->get;
    t.views = m->views;
  }
  return t.single || t.view || t.flag || t.multi || t.views;
}

bool resolve_effect(ValueTest& t) {
  if (const Named* n = lookup(kEffects, t.name)) bind(t, *n);
  return t.single || t.view || t.flag;
}

// Multi-valued attributes (column_types, ...) match when any of their values is listed.
bool value_test_matches(const ValueTest& t, const EvalInput& in) {
  auto wanted = [&](std::string_view v) {
    return std::find(t.values.begin(), t.values.end(), v) != t.values.end();
  };
  if (t.flag) return t.flag(in) ? t.accepts_true : t.accepts_false;
  if (t.view) {
    const std::string_view actual = t.view(in);
    if (!t.lower_case) return wanted(actual);
    return std::any_of(t.values.begin(), t.values.end(),
                       [&](const std::string& v) { return iequals_lower(actual, v); });
  }
  if (t.views) {
    const auto actual = t.views(in);
    return std::any_of(actual.begin(), actual.end(), wanted);
  }
  if (t.multi) {
    auto actual = t.multi(in);
    return std::any_of(actual.begin(), actual.end(), wanted);
  }
  return t.single && wanted(t.single(in));
}

std::vector<std::string> known_attributes() {
  std::vector<std::string> out = names(kAttributes);
  for (const auto& m : kMultiAttributes) out.emplace_back(m.name);
  return out;
}
std::vector<std::string> known_effects() {
  return names(kEffects);
}

}  // namespace migsafe
