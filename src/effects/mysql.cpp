// What statements do to a live MySQL / MariaDB server (../shared/docs/lock-reference.md,
// sections 2 and 3): for each ALTER TABLE specification, the algorithm InnoDB chooses and the
// least blocking LOCK= it allows, per server and version. The facts are rows of one table; the
// code only decides which row an operation is.
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

// The kinds of change the online-DDL tables distinguish.
enum class Change : uint8_t {
  add_column,             // at the end
  add_column_positioned,  // FIRST / AFTER
  add_column_fulltext_table,
  add_column_auto_increment,
  add_column_stored,
  add_column_virtual,
  add_column_expression_default,
  add_column_uuid_default,  // a default that differs per row (UUID(), SYS_GUID())
  drop_column,
  drop_indexed_column,  // its index entries go too
  drop_column_stored,
  drop_column_virtual,
  rename_column,
  reorder_column,
  type_change,
  type_change_unknown,     // MODIFY / CHANGE of a column the model does not know
  varchar_widen_in_place,  // length prefix unchanged (MySQL) / MariaDB's instant cases
  varchar_widen_copy,
  enum_append,
  column_charset,        // a column's character set changes: every value is converted
  column_charset_widen,  // utf8mb3 to utf8mb4: every utf8mb3 value is already valid utf8mb4
  collation_indexed,     // COLLATE on an indexed column: its indexes are sorted again
  null_to_not_null,
  not_null_to_null,  // NOT NULL left out of the new definition
  null_allowed,      // NULL written on purpose
  same_definition,
  set_default,
  add_index,
  drop_index,
  rename_index,
  add_fulltext_first,
  add_fulltext,
  add_spatial,
  add_primary_key,
  drop_primary_key,
  replace_primary_key,
  add_foreign_key_checked,
  add_foreign_key_unchecked,
  drop_foreign_key,
  add_check,
  drop_check,
  rebuild_option,   // FORCE, ENGINE=, ROW_FORMAT=, KEY_BLOCK_SIZE=
  metadata_option,  // COMMENT=, AUTO_INCREMENT=, STATS_*=
  order_by,
  encryption,
  table_charset,
  convert_charset,
  rename_table,
  optimize,
  partition_add,
  partition_drop,
  partition_rework,  // COALESCE / REORGANIZE / REBUILD
  partition_by,      // PARTITION BY, REMOVE PARTITIONING
  partition_cheap,   // TRUNCATE / EXCHANGE / ANALYZE / CHECK / REPAIR
  partition_optimize,
};

// pack names of the changes (ddl_change), in the enum's order.
constexpr std::string_view kChangeNames[] = {
    "add_column",
    "add_column_positioned",
    "add_column_fulltext_table",
    "add_column_auto_increment",
    "add_column_stored",
    "add_column_virtual",
    "add_column_expression_default",
    "add_column_uuid_default",
    "drop_column",
    "drop_indexed_column",
    "drop_column_stored",
    "drop_column_virtual",
    "rename_column",
    "reorder_column",
    "type_change",
    "type_change_unknown",
    "varchar_widen_in_place",
    "varchar_widen_copy",
    "enum_append",
    "column_charset",
    "column_charset_widen",
    "collation_indexed",
    "null_to_not_null",
    "not_null_to_null",
    "null_allowed",
    "same_definition",
    "set_default",
    "add_index",
    "drop_index",
    "rename_index",
    "add_fulltext_first",
    "add_fulltext",
    "add_spatial",
    "add_primary_key",
    "drop_primary_key",
    "replace_primary_key",
    "add_foreign_key_checked",
    "add_foreign_key_unchecked",
    "drop_foreign_key",
    "add_check",
    "drop_check",
    "rebuild_option",
    "metadata_option",
    "order_by",
    "encryption",
    "table_charset",
    "convert_charset",
    "rename_table",
    "optimize",
    "partition_add",
    "partition_drop",
    "partition_rework",
    "partition_by",
    "partition_cheap",
    "partition_optimize",
};
static_assert(std::size(kChangeNames) == static_cast<size_t>(Change::partition_optimize) + 1);

enum class Server : uint8_t { mysql, mariadb };

// One fact: from version `since` (major*10000 + minor*100 + patch) on, the server does `change`
// with `algorithm`, allowing at least `lock`. The last row that applies wins.
struct Row {
  Change change;
  Server server;
  int since;
  Algorithm algorithm;
  DdlLock lock;
};

using A = Algorithm;
using L = DdlLock;
using C = Change;
constexpr Server My = Server::mysql;
constexpr Server Ma = Server::mariadb;

constexpr Row kRows[] = {
    // Columns (MySQL: 8.0.12 instant ADD at the end, 8.0.29 anywhere and instant DROP).
    {C::add_column, My, 50700, A::rebuild, L::none},
    {C::add_column, My, 80012, A::instant, L::none},
    {C::add_column, Ma, 100300, A::instant, L::none},
    {C::add_column_positioned, My, 50700, A::rebuild, L::none},
    {C::add_column_positioned, My, 80029, A::instant, L::none},
    {C::add_column_positioned, Ma, 100300, A::rebuild, L::none},
    {C::add_column_positioned, Ma, 100400, A::instant, L::none},
    {C::add_column_fulltext_table, My, 50700, A::rebuild, L::none},
    {C::add_column_fulltext_table, Ma, 100300, A::rebuild, L::none},
    {C::add_column_auto_increment, My, 50700, A::rebuild, L::shared},
    {C::add_column_auto_increment, Ma, 100300, A::copy, L::shared},
    {C::add_column_stored, My, 50700, A::copy, L::shared},
    {C::add_column_stored, Ma, 100300, A::copy, L::shared},
    {C::add_column_virtual, My, 50700, A::inplace, L::none},
    {C::add_column_virtual, My, 80000, A::instant, L::none},
    {C::add_column_virtual, Ma, 100300, A::instant, L::none},
    {C::add_column_expression_default, My, 80013, A::rebuild, L::none},
    {C::add_column_expression_default, Ma, 100300, A::instant, L::none},
    {C::add_column_uuid_default, My, 80013, A::copy, L::shared},
    {C::add_column_uuid_default, Ma, 100300, A::copy, L::shared},
    {C::drop_column, My, 50700, A::rebuild, L::none},
    {C::drop_column, My, 80029, A::instant, L::none},
    {C::drop_column, Ma, 100300, A::rebuild, L::none},
    {C::drop_column, Ma, 100400, A::instant, L::none},
    {C::drop_indexed_column, My, 50700, A::rebuild, L::none},
    {C::drop_indexed_column, My, 80029, A::inplace, L::none},
    {C::drop_indexed_column, Ma, 100300, A::rebuild, L::none},
    {C::drop_indexed_column, Ma, 100400, A::inplace, L::none},
    {C::drop_column_stored, My, 50700, A::rebuild, L::none},
    {C::drop_column_stored, Ma, 100300, A::rebuild, L::none},
    {C::drop_column_stored, Ma, 100400, A::instant, L::none},
    {C::drop_column_virtual, My, 50700, A::inplace, L::none},
    {C::drop_column_virtual, My, 80000, A::instant, L::none},
    {C::drop_column_virtual, Ma, 100300, A::instant, L::none},
    {C::rename_column, My, 50700, A::inplace, L::none},
    {C::rename_column, My, 80028, A::instant, L::none},
    {C::rename_column, Ma, 100300, A::instant, L::none},
    {C::reorder_column, My, 50700, A::rebuild, L::none},
    {C::reorder_column, Ma, 100300, A::rebuild, L::none},
    {C::reorder_column, Ma, 100400, A::instant, L::none},
    {C::type_change, My, 50700, A::copy, L::shared},
    {C::type_change, Ma, 100300, A::copy, L::shared},
    // Unknown old definition: possibly a copy, but no claim that writes wait (see the rule
    // modify-column-unknown-definition), and no claim that a clause is refused.
    {C::type_change_unknown, My, 50700, A::copy, L::none},
    {C::type_change_unknown, Ma, 100300, A::copy, L::none},
    {C::varchar_widen_in_place, My, 50700, A::inplace, L::none},
    {C::varchar_widen_in_place, Ma, 100300, A::instant, L::none},
    {C::varchar_widen_copy, My, 50700, A::copy, L::shared},
    {C::varchar_widen_copy, Ma, 100300, A::copy, L::shared},
    {C::enum_append, My, 50700, A::instant, L::none},
    {C::enum_append, Ma, 100300, A::instant, L::none},
    // MariaDB 10.11 measured (tests/mariadb_verify_test.cpp): latin1 to utf8mb4 or latin2 and
    // utf8mb3 or utf8mb4 to latin1 copy the table; utf8mb3 to utf8mb4 is instant; a COLLATE on an
    // indexed column rebuilds its indexes in place. MySQL is not measured here (no server): a
    // copy is assumed for every charset or collation change it cannot prove cheaper.
    {C::column_charset, My, 50700, A::copy, L::shared},
    {C::column_charset, Ma, 100300, A::copy, L::shared},
    {C::column_charset_widen, My, 50700, A::copy, L::shared},
    {C::column_charset_widen, Ma, 100300, A::instant, L::none},
    {C::collation_indexed, My, 50700, A::copy, L::shared},
    {C::collation_indexed, Ma, 100300, A::inplace, L::none},
    {C::null_to_not_null, My, 50700, A::rebuild, L::none},
    {C::null_to_not_null, Ma, 100300, A::rebuild, L::none},
    {C::not_null_to_null, My, 50700, A::rebuild, L::none},
    {C::not_null_to_null, Ma, 100300, A::rebuild, L::none},
    {C::null_allowed, My, 50700, A::rebuild, L::none},
    {C::null_allowed, Ma, 100300, A::rebuild, L::none},
    {C::same_definition, My, 50700, A::instant, L::none},
    {C::same_definition, Ma, 100300, A::instant, L::none},
    {C::set_default, My, 50700, A::inplace, L::none},
    {C::set_default, My, 80000, A::instant, L::none},
    {C::set_default, Ma, 100300, A::instant, L::none},
    // Indexes and keys.
    {C::add_index, My, 50700, A::inplace, L::none},
    {C::add_index, Ma, 100300, A::inplace, L::none},
    {C::drop_index, My, 50700, A::inplace, L::none},
    {C::drop_index, Ma, 100300, A::inplace, L::none},
    {C::rename_index, My, 50700, A::inplace, L::none},
    {C::rename_index, Ma, 100300, A::instant, L::none},
    {C::add_fulltext_first, My, 50700, A::rebuild, L::shared},
    {C::add_fulltext_first, Ma, 100300, A::rebuild, L::shared},
    {C::add_fulltext, My, 50700, A::inplace, L::shared},
    {C::add_fulltext, Ma, 100300, A::inplace, L::shared},
    {C::add_spatial, My, 50700, A::inplace, L::shared},
    {C::add_spatial, Ma, 100300, A::inplace, L::shared},
    {C::add_primary_key, My, 50700, A::rebuild, L::none},
    {C::add_primary_key, Ma, 100300, A::rebuild, L::none},
    {C::drop_primary_key, My, 50700, A::copy, L::shared},
    {C::drop_primary_key, Ma, 100300, A::copy, L::shared},
    {C::replace_primary_key, My, 50700, A::rebuild, L::none},
    {C::replace_primary_key, Ma, 100300, A::rebuild, L::none},
    {C::add_foreign_key_checked, My, 50700, A::copy, L::shared},
    {C::add_foreign_key_checked, Ma, 100300, A::copy, L::shared},
    {C::add_foreign_key_unchecked, My, 50700, A::inplace, L::none},
    {C::add_foreign_key_unchecked, Ma, 100300, A::inplace, L::none},
    {C::drop_foreign_key, My, 50700, A::inplace, L::none},
    {C::drop_foreign_key, Ma, 100300, A::instant, L::none},
    {C::add_check, My, 80016, A::copy, L::shared},
    {C::add_check, Ma, 100300, A::copy, L::shared},
    {C::drop_check, My, 80016, A::inplace, L::none},
    {C::drop_check, Ma, 100300, A::instant, L::none},
    // Table options and whole-table operations.
    {C::rebuild_option, My, 50700, A::rebuild, L::none},
    {C::rebuild_option, Ma, 100300, A::rebuild, L::none},
    {C::metadata_option, My, 50700, A::inplace, L::none},
    {C::metadata_option, Ma, 100300, A::instant, L::none},
    {C::order_by, My, 50700, A::copy, L::shared},
    // InnoDB ignores ORDER BY on a table with a primary key; MariaDB 10.11 accepts it INSTANT
    // but refuses LOCK=NONE (measured).
    {C::order_by, Ma, 100300, A::instant, L::shared},
    {C::encryption, My, 50700, A::copy, L::shared},
    {C::encryption, Ma, 100300, A::copy, L::shared},
    {C::table_charset, My, 50700, A::inplace, L::none},
    {C::table_charset, Ma, 100300, A::instant, L::none},
    {C::convert_charset, My, 50700, A::rebuild, L::shared},
    {C::convert_charset, Ma, 100300, A::copy, L::shared},
    {C::rename_table, My, 50700, A::instant, L::none},
    // Measured on MariaDB 10.11: RENAME TO accepts INSTANT but refuses LOCK=NONE.
    {C::rename_table, Ma, 100300, A::instant, L::shared},
    {C::optimize, My, 50700, A::rebuild, L::none},
    {C::optimize, Ma, 100300, A::rebuild, L::none},
    // Partitioning.
    {C::partition_add, My, 50700, A::inplace, L::none},
    {C::partition_add, Ma, 100300, A::inplace, L::none},
    {C::partition_drop, My, 50700, A::inplace, L::none},
    {C::partition_drop, Ma, 100300, A::inplace, L::none},
    {C::partition_rework, My, 50700, A::inplace, L::shared},
    {C::partition_rework, Ma, 100300, A::inplace, L::shared},
    {C::partition_by, My, 50700, A::copy, L::shared},
    {C::partition_by, Ma, 100300, A::copy, L::shared},
    {C::partition_cheap, My, 50700, A::inplace, L::none},
    {C::partition_cheap, Ma, 100300, A::inplace, L::none},
    {C::partition_optimize, My, 50700, A::copy, L::shared},
    {C::partition_optimize, Ma, 100300, A::copy, L::shared},
};

// The rows of each change, in the table's order (a later row of a change overrides an earlier
// one it follows): every operation looks its changes up, and scanning the whole table for
// each was most of the effect's cost on a large file.
constexpr size_t kChanges = std::size(kChangeNames);
struct RowsByChange {
  std::array<uint16_t, std::size(kRows)> rows{};
  std::array<uint16_t, kChanges + 1> start{};
};
constexpr RowsByChange kRowsByChange = [] {
  RowsByChange ix;
  for (const Row& r : kRows) ++ix.start[static_cast<size_t>(r.change) + 1];
  for (size_t c = 0; c < kChanges; ++c) ix.start[c + 1] += ix.start[c];
  std::array<uint16_t, kChanges> next{};
  for (size_t c = 0; c < kChanges; ++c) next[c] = ix.start[c];
  for (size_t i = 0; i < std::size(kRows); ++i)
    ix.rows[next[static_cast<size_t>(kRows[i].change)]++] = static_cast<uint16_t>(i);
  return ix;
}();

struct Fact {
  Algorithm algorithm = Algorithm::none;
  DdlLock lock = DdlLock::none;
};

int version_number(TargetVersion v) {
  return v.major * 10000 + v.minor * 100 + std::min(v.patch_or_latest(), 99);
}

Fact lookup(Change c, Server s, TargetVersion v) {
  Fact f;
  const int n = version_number(v);
  const size_t ci = static_cast<size_t>(c);
  for (size_t k = kRowsByChange.start[ci]; k < kRowsByChange.start[ci + 1]; ++k) {
    const Row& r = kRows[kRowsByChange.rows[k]];
    if (r.server == s && r.since <= n) f = {r.algorithm, r.lock};
  }
  if (f.algorithm == Algorithm::none) {
    // Older than the first row (e.g. CHECK constraints before MySQL 8.0.16): the table copy is
    // what the server falls back to.
    f = {Algorithm::copy, DdlLock::shared};
  }
  // MariaDB 11.4 copies with concurrent DML (the online COPY, MDEV-16329) where the copy needs
  // nothing stronger than a shared lock only for the data change itself.
  if (s == Server::mariadb && n >= 110400 && f.algorithm == Algorithm::copy &&
      c != Change::add_fulltext_first && c != Change::add_spatial)
    f.lock = DdlLock::none;
  return f;
}

// Bytes per character of the charsets the VARCHAR length-prefix rule needs.
int max_bytes_per_char(const std::string& charset) {
  if (charset.empty() || charset.starts_with("utf8mb4")) return 4;
  if (charset.starts_with("utf8") || charset == "utf8mb3") return 3;
  if (charset == "ucs2") return 2;
  if (charset == "utf16" || charset == "utf32" || charset == "utf16le") return 4;
  if (charset == "binary") return 1;
  return 1;  // latin1, ascii and the other single-byte charsets
}

bool is_varchar(const TypeRef& t) {
  return (t.name == "varchar" || t.name == "varbinary") && t.mods.size() == 1;
}

std::string base_type(const std::string& name) {
  auto paren = name.find('(');
  return paren == std::string::npos ? name : name.substr(0, paren);
}

// ENUM('a','b') -> ENUM('a','b','c') appends; anything else reorders or removes members.
bool members_appended(const std::string& old_name, const std::string& new_name) {
  if (base_type(old_name) != base_type(new_name) || old_name.size() >= new_name.size())
    return false;
  std::string prefix = old_name.substr(0, old_name.rfind(')'));
  return new_name.starts_with(prefix) && new_name[prefix.size()] == ',';
}

size_t member_count(const std::string& name) {
  return static_cast<size_t>(std::count(name.begin(), name.end(), ',')) + 1;
}

// Why, in words: most reasons are literals, kept as pointers (a string each was an allocation
// per classified operation, hundreds of thousands in a long file).
class Reason {
 public:
  Reason(const char* literal) : literal_(literal) {}       // NOLINT: implicit, like a string's
  Reason(std::string built) : built_(std::move(built)) {}  // NOLINT
  std::string_view view() const { return literal_ ? std::string_view(literal_) : built_; }

 private:
  const char* literal_ = nullptr;
  std::string built_;
};

struct Classified {
  Change change;
  Reason reason;
};

std::string charset_of(const ColumnInfo* c, const TableInfo* t) {
  if (c && c->charset) return std::string(charset_name(c->charset));
  if (t && t->charset) return std::string(charset_name(t->charset));
  return "utf8mb4";
}

Change varchar_widening(Server s, int old_bytes, int new_bytes) {
  if (s == Server::mysql)
    return (old_bytes <= 255) == (new_bytes <= 255) ? Change::varchar_widen_in_place
                                                    : Change::varchar_widen_copy;
  // MariaDB: instant while the new maximum fits in 255 bytes, the old one in 127, or the old
  // one already needed two length bytes.
  return new_bytes <= 255 || old_bytes <= 127 || old_bytes > 255 ? Change::varchar_widen_in_place
                                                                 : Change::varchar_widen_copy;
}

bool indexed(const TableInfo& t, const std::string& column) {
  return std::any_of(t.indexes.begin(), t.indexes.end(), [&](const IndexInfo& i) {
    return std::find(i.columns.begin(), i.columns.end(), column) != i.columns.end();
  });
}

// MODIFY / CHANGE: what differs between the old definition and the new one.
std::vector<Classified> classify_modify(Server s, const ColumnInfo* old, const TableInfo* t,
                                        const ColumnSpec& n) {
  std::vector<Classified> out;
  if (!old) {
    out.push_back({Change::type_change_unknown,
                   "migsafe does not know the column's current definition; unless MODIFY repeats "
                   "it (or only widens a VARCHAR within its length prefix), the table is copied"});
    return out;
  }
  const TypeRef& a = old->type;
  const TypeRef& b = n.type;
  std::string old_cs = charset_of(old, t);
  std::string new_cs =
      n.charset.empty() ? old_cs : std::string(charset_name(charset_id(n.charset)));
  if (a.name != b.name || a.mods != b.mods) {
    if (is_varchar(a) && is_varchar(b) && a.name == b.name && b.mods[0] >= a.mods[0] &&
        old_cs == new_cs) {
      int per = max_bytes_per_char(old_cs);
      int old_bytes = static_cast<int>(a.mods[0]) * per,
          new_bytes = static_cast<int>(b.mods[0]) * per;
      Change c = varchar_widening(s, old_bytes, new_bytes);
      out.push_back({c, "VARCHAR(" + std::to_string(a.mods[0]) + ") to VARCHAR(" +
                            std::to_string(b.mods[0]) + ") in " + old_cs + " is " +
                            std::to_string(old_bytes) + " to " + std::to_string(new_bytes) +
                            " bytes" +
                            (c == Change::varchar_widen_copy
                                 ? ": the length prefix grows from 1 to 2 bytes, so every row "
                                   "is rewritten"
                                 : ": the length prefix stays the same")});
    } else if (members_appended(a.name, b.name) &&
               !(base_type(a.name) == "set" && member_count(a.name) <= 8 &&
                 member_count(b.name) > 8) &&
               !(base_type(a.name) == "enum" && member_count(a.name) <= 255 &&
                 member_count(b.name) > 255)) {
      out.push_back({Change::enum_append, "members are appended at the end"});
    } else {
      out.push_back({Change::type_change,
                     a.display() + " to " + b.display() + " changes how every row is stored"});
    }
  } else if (old_cs != new_cs) {
    bool widen = old_cs == "utf8mb3" && new_cs == "utf8mb4";
    out.push_back({widen ? Change::column_charset_widen : Change::column_charset,
                   "the column's character set changes from " + old_cs + " to " + new_cs +
                       (widen ? ": every value is already valid" : ": every value is converted")});
  } else if (!n.collation.empty() && t && indexed(*t, old->name)) {
    out.push_back(
        {Change::collation_indexed, "COLLATE " + n.collation +
                                        " on an indexed column: if the collation changes, "
                                        "its indexes are sorted again"});
  }
  if (!n.position.empty())
    out.push_back({Change::reorder_column, "the column moves to a new position"});
  if (!old->not_null && n.not_null)
    out.push_back({Change::null_to_not_null,
                   "NULL to NOT NULL rebuilds the table and fails if a row holds NULL"});
  if (old->not_null && !n.not_null)
    out.push_back({n.explicit_null ? Change::null_allowed : Change::not_null_to_null,
                   "NOT NULL to NULL rebuilds the table"});
  if ((old->generated == Generated::stored) != (n.generated == Generated::stored))
    out.push_back({Change::type_change, "a stored generated column changes"});
  if (out.empty()) out.push_back({Change::same_definition, "the definition is unchanged"});
  return out;
}

bool has_fulltext_index(const TableInfo* t) {
  return t && t->has_fulltext_index();
}

bool unique_not_null_key(const TableInfo* t) {
  if (!t) return false;
  for (const auto& i : t->indexes) {
    if (!i.unique || i.partial || i.name == "primary" || i.columns.empty()) continue;
    bool all = std::all_of(i.columns.begin(), i.columns.end(), [&](const std::string& c) {
      const ColumnInfo* col = t->column(c);
      return col && col->not_null;
    });
    if (all) return true;
  }
  return false;
}

bool per_row_default(const ExprInfo& e) {
  for (const auto& f : e.functions)
    if (f == "uuid" || f == "uuid_short" || f == "sys_guid" || f == "rand" || f == "uuid_v4")
      return true;
  return false;
}

std::vector<Classified> classify_add_column(Server s, const ColumnSpec& c, const TableInfo* t) {
  std::vector<Classified> out;
  if (c.serial)
    out.push_back(
        {Change::add_column_auto_increment, "an AUTO_INCREMENT column numbers every existing row"});
  else if (c.generated == Generated::stored)
    out.push_back(
        {Change::add_column_stored, "a STORED generated column is computed for every row"});
  else if (c.generated == Generated::virtual_column)
    out.push_back({Change::add_column_virtual, "a VIRTUAL column is computed when read"});
  else if (c.default_expr.present && per_row_default(c.default_expr) &&
           !(s == Server::mariadb && c.default_expr.functions == std::vector<std::string>{"rand"}))
    out.push_back({Change::add_column_uuid_default,
                   "the default gives every existing row its own value, so each row is written"});
  else if (c.default_expr.present && c.default_expr.text.starts_with("("))
    out.push_back({Change::add_column_expression_default,
                   "an expression default is not a metadata-only change"});
  else if (has_fulltext_index(t))
    out.push_back({Change::add_column_fulltext_table,
                   "the table has a FULLTEXT index, which rules out INSTANT"});
  else if (!c.position.empty())
    out.push_back({Change::add_column_positioned, "the column is added at a given position"});
  else
    out.push_back({Change::add_column, "the column is added at the end"});
  if (c.primary_key || c.unique)
    out.push_back({c.primary_key ? Change::add_primary_key : Change::add_index,
                   "the column brings an index that is built from every row"});
  return out;
}

Change classify_table_option(const Operation& op) {
  const std::string& d = op.detail;
  if (d == "FORCE" || d == "ENGINE" || d == "ROW_FORMAT" || d == "KEY_BLOCK_SIZE")
    return Change::rebuild_option;
  if (d == "ENCRYPTION") return Change::encryption;
  if (d == "ORDER BY") return Change::order_by;
  if (d == "CHARACTER SET") return Change::table_charset;
  if (d == "AUTO_INCREMENT" || d == "COMMENT" || d.starts_with("STATS_") || d == "KEYS" ||
      d == "TABLESPACE")
    return Change::metadata_option;
  return Change::rebuild_option;
}

Change classify_partition(const Operation& op) {
  const std::string& d = op.detail;
  if (d == "ADD PARTITION") return Change::partition_add;
  if (d == "DROP PARTITION") return Change::partition_drop;
  if (d == "COALESCE PARTITION" || d == "REORGANIZE PARTITION" || d == "REBUILD PARTITION")
    return Change::partition_rework;
  if (d == "OPTIMIZE PARTITION") return Change::partition_optimize;
  if (d == "PARTITION BY" || d == "REMOVE PARTITIONING") return Change::partition_by;
  return Change::partition_cheap;
}

// The DDL classes an operation falls into; empty for statements that are not online DDL.
std::vector<Classified> classify(Server s, const Operation& op, const TableInfo* t,
                                 bool foreign_key_checks) {
  if (!has_online_ddl(op.kind)) return {};
  switch (op.kind) {
    case OpKind::add_column:
      if (!op.column_spec) return {};
      return classify_add_column(s, *op.column_spec, t);
    case OpKind::drop_column: {
      const ColumnInfo* c = t ? t->column(op.column) : nullptr;
      if (c && c->generated == Generated::stored)
        return {{Change::drop_column_stored, "a STORED generated column is dropped"}};
      if (c && c->generated == Generated::virtual_column)
        return {{Change::drop_column_virtual, "a VIRTUAL column is dropped"}};
      if (has_fulltext_index(t))
        return {{Change::add_column_fulltext_table,
                 "the table has a FULLTEXT index, which rules out INSTANT"}};
      if (t && std::any_of(t->indexes.begin(), t->indexes.end(), [&](const IndexInfo& i) {
            return std::find(i.columns.begin(), i.columns.end(), op.column) != i.columns.end();
          }))
        return {{Change::drop_indexed_column,
                 "the column is indexed: its index is dropped with it, which is not INSTANT"}};
      return {{Change::drop_column, "the column's data is dropped"}};
    }
    case OpKind::modify_column:
      if (!op.column_spec) return {};
      return classify_modify(s, t ? t->column(op.column) : nullptr, t, *op.column_spec);
    case OpKind::rename_column:
      return {{Change::rename_column, "only the name changes"}};
    case OpKind::set_default:
    case OpKind::drop_default:
      return {{Change::set_default, "only the default changes"}};
    case OpKind::create_index: {
      if (!op.index) return {};
      if (op.index->method == "fulltext")
        return has_fulltext_index(t)
                   ? std::vector<Classified>{{Change::add_fulltext,
                                              "a FULLTEXT index is built; writes wait"}}
                   : std::vector<Classified>{
                         {Change::add_fulltext_first,
                          "the table's first FULLTEXT index adds the hidden FTS_DOC_ID column: "
                          "the table is rebuilt and writes wait"}};
      if (op.index->method == "spatial")
        return {{Change::add_spatial, "a SPATIAL index is built; writes wait"}};
      return {{Change::add_index, "the index is built from every row"}};
    }
    case OpKind::drop_index:
      return {{Change::drop_index, "only metadata changes"}};
    case OpKind::rename_index:
      return {{Change::rename_index, "only the name changes"}};
    case OpKind::add_constraint: {
      if (!op.constraint) return {};
      switch (op.constraint->kind) {
        case ConstraintKind::primary_key:
          return {{Change::add_primary_key, "the clustered index is rebuilt on the new key"}};
        case ConstraintKind::foreign_key:
          return foreign_key_checks
                     ? std::vector<Classified>{{Change::add_foreign_key_checked,
                                                "with foreign_key_checks on, the server copies the "
                                                "table to check every row"}}
                     : std::vector<Classified>{
                           {Change::add_foreign_key_unchecked,
                            "with foreign_key_checks off, existing rows are not "
                            "checked"}};
        case ConstraintKind::check:
          return {{Change::add_check, "every row is checked while the table is copied"}};
        default:
          return {{Change::add_index, "the index is built from every row"}};
      }
    }
    case OpKind::drop_constraint: {
      ConstraintKind k = op.constraint ? op.constraint->kind : ConstraintKind::other;
      if (k == ConstraintKind::other && t)
        if (const ConstraintInfo* c = t->constraint(op.object)) k = c->kind;
      // MariaDB promotes a UNIQUE index on NOT NULL columns to the clustered key in place
      // (measured on 10.11); MySQL's manual lists DROP PRIMARY KEY alone as COPY only.
      if (k == ConstraintKind::primary_key && s == Server::mariadb && unique_not_null_key(t))
        return {{Change::replace_primary_key,
                 "a UNIQUE index on NOT NULL columns becomes the clustered key"}};
      if (k == ConstraintKind::primary_key)
        return op.detail == "replaced"
                   ? std::vector<Classified>{{Change::replace_primary_key,
                                              "the primary key is replaced in one statement"}}
                   : std::vector<Classified>{{Change::drop_primary_key,
                                              "without a primary key InnoDB copies the table onto "
                                              "a hidden row id"}};
      if (k == ConstraintKind::foreign_key)
        return {{Change::drop_foreign_key, "only metadata changes"}};
      if (k == ConstraintKind::unique) return {{Change::drop_index, "only metadata changes"}};
      return {{Change::drop_check, "only metadata changes"}};
    }
    case OpKind::table_options:
      return {{classify_table_option(op), op.detail + (op.value.empty() ? "" : "=" + op.value)}};
    case OpKind::convert_charset:
      return {{Change::convert_charset, "every text column of every row is converted"}};
    case OpKind::rename_table:
      return {{Change::rename_table, "only the name changes"}};
    case OpKind::optimize_table:
      return {{Change::optimize, "OPTIMIZE TABLE rebuilds an InnoDB table"}};
    case OpKind::partition_op:
      return {{classify_partition(op), op.detail}};
    default:
      return {};
  }
}

void data_effects(const Operation& op, const ColumnInfo* old, Effect& e) {
  switch (op.kind) {
    case OpKind::drop_column:
      e.data_loss = e.breaks_compat = true;
      break;
    case OpKind::rename_column:
    case OpKind::rename_table:
      e.breaks_compat = true;
      break;
    case OpKind::drop_table:
    case OpKind::truncate:
    case OpKind::drop_database:
      e.data_loss = e.breaks_compat = !op.temporary;
      break;
    case OpKind::modify_column:
      if (old && op.column_spec && old->not_null != op.column_spec->not_null &&
          op.column_spec->not_null)
        e.fails_on_data = true;
      break;
    case OpKind::partition_op:
      e.data_loss = op.detail == "DROP PARTITION" || op.detail == "TRUNCATE PARTITION";
      break;
    case OpKind::update:
    case OpKind::delete_rows:
    case OpKind::insert:
      e.hold = Hold::data_change;
      e.scan = (op.kind != OpKind::insert && !op.has_where) || op.from_select;
      e.data_loss = op.kind == OpKind::delete_rows && !op.has_where;
      break;
    default:
      break;
  }
}

// ROW_FORMAT=COMPRESSED tables have no instant column layout changes: an ADD or DROP COLUMN
// rebuilds the table in place (MariaDB 10.11, measured by --trace on its clones; MySQL's manual
// says the same of INSTANT).
void compressed_rows(const TableInfo* t, Effect& e) {
  if (!t || t->row_format != "COMPRESSED" || e.algorithm >= Algorithm::rebuild) return;
  for (std::string_view c : e.changes)
    if (c == "add_column" || c == "add_column_positioned" || c == "drop_column" ||
        c == "drop_column_stored" || c == "drop_indexed_column" || c == "reorder_column") {
      e.algorithm = Algorithm::rebuild;
      e.reason = "the table's ROW_FORMAT=COMPRESSED has no instant column changes";
      return;
    }
}

// An explicit clause the server can honour changes what it does: COPY copies, LOCK=SHARED or
// EXCLUSIVE block more, and on MySQL an explicit INPLACE turns an INSTANT change into an
// in-place one (MariaDB reads a requested algorithm as "this or better").
void apply_clauses(Server s, const Operation& op, TargetVersion v, Effect& e) {
  if (e.algorithm == Algorithm::none) return;
  if (op.algorithm == "COPY") {
    e.algorithm = Algorithm::copy;
    // MariaDB 11.4 copies with concurrent writes unless LOCK= says otherwise.
    if (!(s == Server::mariadb && version_number(v) >= 110400))
      e.min_lock = std::max(e.min_lock, DdlLock::shared);
    e.reason = "ALGORITHM=COPY was requested";
  } else if (s == Server::mysql && op.algorithm == "INPLACE" && e.algorithm == Algorithm::instant) {
    bool layout = op.kind == OpKind::add_column || op.kind == OpKind::drop_column;
    e.algorithm = layout ? Algorithm::rebuild : Algorithm::inplace;
    e.reason = layout ? "ALGORITHM=INPLACE was requested where INSTANT was possible: MySQL "
                        "rebuilds the table"
                      : "ALGORITHM=INPLACE was requested where INSTANT was possible";
  }
  if (op.lock_clause == "SHARED") e.min_lock = std::max(e.min_lock, DdlLock::shared);
  if (op.lock_clause == "EXCLUSIVE") e.min_lock = DdlLock::exclusive;
}

}  // namespace

bool has_online_ddl(OpKind k) {
  switch (k) {
    case OpKind::add_column:
    case OpKind::drop_column:
    case OpKind::modify_column:
    case OpKind::rename_column:
    case OpKind::set_default:
    case OpKind::drop_default:
    case OpKind::create_index:
    case OpKind::drop_index:
    case OpKind::rename_index:
    case OpKind::add_constraint:
    case OpKind::drop_constraint:
    case OpKind::table_options:
    case OpKind::convert_charset:
    case OpKind::rename_table:
    case OpKind::optimize_table:
    case OpKind::partition_op:
      return true;
    default:
      return false;
  }
}

StatementDdl combine_ddl(const std::vector<Effect>& effects) {
  StatementDdl d;
  bool instant_layout = false;  // an ADD / DROP / reorder of a column done INSTANT on its own
  for (const Effect& e : effects) {
    d.algorithm = std::max(d.algorithm, e.algorithm);
    d.min_lock = std::max(d.min_lock, e.min_lock);
    for (std::string_view c : e.changes)
      instant_layout = instant_layout || (e.algorithm == Algorithm::instant &&
                                          (c == "add_column" || c == "add_column_positioned" ||
                                           c == "drop_column" || c == "reorder_column"));
  }
  // Next to an operation that is not INSTANT, the column change is done in place too, which
  // rebuilds the table (measured on MariaDB 10.11: ADD COLUMN c, ADD INDEX (c) refuses NOCOPY).
  if (instant_layout && d.algorithm == Algorithm::inplace) d.algorithm = Algorithm::rebuild;
  return d;
}

Effect mysql_effect(Dialect flavor, const Operation& op, const SchemaModel& schema, TargetVersion v,
                    bool foreign_key_checks, bool honour_clauses) {
  const Server s = flavor == Dialect::mariadb ? Server::mariadb : Server::mysql;
  Effect e;
  e.table = op.table;
  const TableInfo* t = schema.find(op.table);
  const ColumnInfo* old = t && !op.column.empty() ? t->column(op.column) : nullptr;
  e.implicit_commit = commits_implicitly(op);
  for (const Classified& c : classify(s, op, t, foreign_key_checks)) {
    Fact f = lookup(c.change, s, v);
    e.changes.push_back(kChangeNames[static_cast<size_t>(c.change)]);
    if (f.algorithm > e.algorithm || (f.algorithm == e.algorithm && e.reason.empty()))
      e.reason = c.reason.view();
    e.algorithm = std::max(e.algorithm, f.algorithm);
    e.min_lock = std::max(e.min_lock, f.lock);
    e.index_build = e.index_build || c.change == Change::add_index ||
                    c.change == Change::add_fulltext || c.change == Change::add_fulltext_first ||
                    c.change == Change::add_spatial || c.change == Change::add_primary_key;
  }
  compressed_rows(t, e);
  if (honour_clauses) apply_clauses(s, op, v, e);
  e.rewrite = e.algorithm == Algorithm::rebuild || e.algorithm == Algorithm::copy;
  e.scan = e.rewrite || e.index_build;
  e.hold = e.rewrite ? Hold::rewrite : (e.index_build ? Hold::index_build : Hold::brief);
  data_effects(op, old, e);
  return e;
}

int row_version_limit(Dialect flavor, TargetVersion v) {
  if (flavor != Dialect::mysql) return 0;
  if (v.major > 9 || (v.major == 9 && v.minor >= 1)) return 255;
  if (v.major > 8 || (v.major == 8 && (v.minor > 0 || v.patch_or_latest() >= 29))) return 64;
  return 0;
}

bool uses_row_version(Dialect flavor, TargetVersion v, const Operation& op, const Effect& e) {
  return row_version_limit(flavor, v) > 0 &&
         (op.kind == OpKind::add_column || op.kind == OpKind::drop_column) &&
         e.algorithm == Algorithm::instant;
}

}  // namespace migsafe
