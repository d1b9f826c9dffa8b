// What statements do to a SQLite database (../shared/docs/lock-reference.md, section 4): one
// writer at a time for the whole file, ALTER TABLE edits the schema text, DROP COLUMN rewrites
// the table's content, everything else needs the 12-step rebuild.
#include "migsafe/effects.hpp"

namespace migsafe {

Effect sqlite_effect(const Operation& op, const SchemaModel& schema, TargetVersion v) {
  Effect e;
  e.table = op.table;
  if (op.table.name.empty() && !op.object.empty() && op.kind == OpKind::drop_index)
    if (const TableInfo* owner = schema.table_of_index({op.table.schema, op.object}))
      e.table = owner->name;
  switch (op.kind) {
    case OpKind::create_table:
    case OpKind::create_table_as:
    case OpKind::create_view:
    case OpKind::create_trigger:
    case OpKind::drop_index:
    case OpKind::drop_view:
    case OpKind::drop_other:
    case OpKind::rename_table:
    case OpKind::rename_column:
      e.database_write_lock = true;
      if (op.kind == OpKind::rename_table || op.kind == OpKind::rename_column) {
        e.breaks_compat = true;
        e.reason = "code that still uses the old name fails until it is deployed again";
      }
      break;
    case OpKind::add_column:
      e.database_write_lock = true;
      if (op.column_spec && op.column_spec->has_check && v.minor >= 37) {
        e.scan = true;
        e.hold = Hold::scan;
        e.reason = "SQLite 3.37+ checks the new CHECK constraint against every existing row";
      }
      break;
    case OpKind::drop_column:
      e.database_write_lock = true;
      e.rewrite = true;
      e.hold = Hold::rewrite;
      e.data_loss = e.breaks_compat = true;
      e.reason = "SQLite rewrites the table's content to drop the column; its data is gone";
      break;
    case OpKind::drop_table:
      e.database_write_lock = true;
      e.data_loss = e.breaks_compat = true;
      e.reason = "the table and its data are gone";
      break;
    case OpKind::create_index:
      e.database_write_lock = true;
      e.scan = e.index_build = true;
      e.hold = Hold::index_build;
      e.reason = "the index is built while the database's write lock is held: other writers wait";
      break;
    case OpKind::update:
    case OpKind::delete_rows:
    case OpKind::insert:
      e.database_write_lock = true;
      e.hold = Hold::data_change;
      e.scan = (op.kind != OpKind::insert && !op.has_where) || op.from_select;
      e.data_loss = op.kind == OpKind::delete_rows && !op.has_where;
      break;
    case OpKind::vacuum:
      e.database_write_lock = true;
      e.rewrite = true;
      e.reason = "VACUUM rewrites the whole database file";
      break;
    default:
      break;
  }
  return e;
}

}  // namespace migsafe
