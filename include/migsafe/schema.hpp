// What the rules know about the database before each statement: tables, columns, indexes and
// constraints, replayed from earlier migrations (and, later, read from a snapshot).
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

// MySQL character sets as a one-byte id, so a model of thousands of columns stays small.
// 0: not given (inherited); an unknown name gets its own id shared by all unknown names.
uint8_t charset_id(std::string_view name);
std::string_view charset_name(uint8_t id);  // "" for 0

struct ColumnInfo {
  std::string name;
  TypeRef type;
  bool not_null = false;
  uint8_t charset = 0;  // MySQL: the column's own CHARACTER SET (charset_id); 0 = the table's
  Generated generated = Generated::none;
};

struct IndexInfo {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
  bool partial = false;
  bool valid = true;
  std::string method = "btree";   // only indexes of one access method stand in for each other
  int64_t scans = -1;             // snapshot: index scans since the statistics were reset
  bool backs_constraint = false;  // snapshot: a constraint uses it
};

// From a snapshot: how big the table is.
struct TableStats {
  double rows = -1;  // estimate; -1 when unknown (never analyzed, or not counted in time)
  int64_t bytes = 0;
  // Another session's lock that kept the snapshot read from sizing it ("ACCESS EXCLUSIVE, held
  // by session 123 (psql)"); bytes then come from the catalog's page count.
  std::string locked_by;
  // MySQL 8.0.29+: the row versions instant ADD / DROP COLUMN have used
  // (INNODB_TABLES.TOTAL_ROW_VERSIONS); -1 where the server does not count them.
  int row_versions = -1;
  std::string rows_note;  // why rows is unknown, when it is not "never analyzed"
};

struct ConstraintInfo {
  std::string name;
  ConstraintKind kind = ConstraintKind::other;
  bool validated = true;
  std::vector<std::string> columns;
  std::string not_null_check_column;
  QualifiedName references;
  std::vector<std::string> references_columns;  // foreign keys: empty means the primary key
};

// Where the table was created: the file index within the migration set, or -1 when it existed
// before the first file (or is unknown to the model).
struct TableOrigin {
  int file = -1;
  int transaction = -1;  // explicit transaction block it was created in, -1 when autocommit
};

struct TableInfo {
  QualifiedName name;
  std::vector<ColumnInfo> columns;
  std::vector<IndexInfo> indexes;
  std::vector<ConstraintInfo> constraints;
  TableOrigin origin;
  bool partitioned = false;
  // PostgreSQL: the partitions the model saw made (PARTITION OF) or attached.
  std::vector<QualifiedName> partitions;
  std::string access_method;  // PostgreSQL: USING method at creation or since; empty: heap
  uint8_t charset = 0;  // MySQL: the table's default CHARACTER SET (charset_id); 0 = the server's
  std::string row_format;           // MySQL: COMPRESSED, DYNAMIC, COMPACT, REDUNDANT; "" = unknown
  std::optional<TableStats> stats;  // known only from a snapshot

  const ColumnInfo* column(std::string_view n) const;
  ColumnInfo* column(std::string_view n);
  const ConstraintInfo* constraint(std::string_view n) const;
  const IndexInfo* index(std::string_view n) const;
  // MySQL: a FULLTEXT index rules out instant column changes; counted, since a table altered
  // thousands of times has thousands of indexes to look through on every ADD COLUMN.
  bool has_fulltext_index() const { return fulltext_indexes_ > 0; }
  // A valid, non-partial index of the same access method that already serves the new index:
  // same plain columns, or the new columns are its leading ones (and unique if it must be).
  const IndexInfo* covering_index(const IndexSpec& spec) const;

  // Changes go through these, which keep the positions by name below current.
  void add_column(ColumnInfo c);
  void add_index(IndexInfo i);            // replaces an index of the same name
  void add_constraint(ConstraintInfo c);  // replaces a constraint of the same name
  void rename_column(const std::string& from, const std::string& to);
  void rename_index(const std::string& from, const std::string& to);
  void erase_index(const std::string& name);  // the index of that name, if there is one
  template <class Pred>
  void erase_columns_if(Pred p) {
    erase_indexed(columns, column_at, p);
  }
  template <class Pred>
  void erase_indexes_if(Pred p) {
    if (fulltext_indexes_ > 0)  // a long table's every DROP would compare every index's method
      fulltext_indexes_ -= static_cast<size_t>(
          std::count_if(indexes.begin(), indexes.end(),
                        [&](const IndexInfo& i) { return is_fulltext(i) && p(i); }));
    erase_indexed(indexes, index_at, p);
  }
  template <class Pred>
  void erase_constraints_if(Pred p) {
    erase_indexed(constraints, constraint_at, p);
  }

  // Positions by name, kept once a table grows past a few dozen entries (see model.cpp), so
  // lookups stay O(1) on tables with thousands of columns, indexes or constraints.
  std::unordered_map<std::string, size_t> column_at, index_at, constraint_at;
  void reindex();
  // Erases the entries p picks; only the positions from the first of them on move, so dropping
  // a late column of a wide table costs little (a whole rebuild per drop made long files
  // quadratic).
  template <class T, class Pred>
  static void erase_indexed(std::vector<T>& items, std::unordered_map<std::string, size_t>& at,
                            Pred p) {
    auto first = std::find_if(items.begin(), items.end(), p);
    if (first == items.end()) return;
    const size_t from = static_cast<size_t>(first - items.begin());
    if (!at.empty())
      for (size_t i = from; i < items.size(); ++i)
        if (p(items[i])) at.erase(items[i].name);
    items.erase(std::remove_if(first, items.end(), p), items.end());
    if (!at.empty())
      for (size_t i = from; i < items.size(); ++i) at[items[i].name] = i;
  }
  // A validated CHECK (col IS NOT NULL) or a NOT NULL / primary key already guarantees it.
  bool proves_not_null(std::string_view col) const;

 private:
  static bool is_fulltext(const IndexInfo& i) { return i.method == "fulltext"; }
  size_t fulltext_indexes_ = 0;  // kept by add_index, erase_indexes_if and reindex
};

// A view or materialized view over a table, and the table's columns its query uses.
struct Dependent {
  QualifiedName view;
  std::vector<std::string> columns;
  bool uses(std::string_view column) const;
};

// How a table is keyed: "schema.name", with unqualified names in public.
std::string table_key(const QualifiedName& n);
// table_key(a) == table_key(b), without building the keys.
bool same_relation(const QualifiedName& a, const QualifiedName& b);

// Where an index's name is unique: PostgreSQL and SQLite name indexes per schema (DROP INDEX
// names the index alone), MySQL and MariaDB per table (DROP INDEX ... ON the table).
enum class IndexNames { per_schema, per_table };

class SchemaModel {
 public:
  SchemaModel() = default;
  // per_table: no index is ever looked up by its name alone, so the model keeps no index of
  // them (one entry per index of a long MySQL file, never read).
  explicit SchemaModel(IndexNames names) : index_names_(names) {}
  const TableInfo* find(const QualifiedName& name) const;
  // The table an index belongs to, when the model knows the index (per schema names only).
  const TableInfo* table_of_index(const QualifiedName& index) const;
  const TableInfo* table_of_constraint_name(std::string_view name) const;
  // Applies one operation that ran in file `file` (transaction `tx` within it).
  void apply(const Operation& op, int file, int tx);
  // A table read from a snapshot: it existed before every migration file.
  void add_existing_table(TableInfo t);
  size_t table_count() const { return tables_.size(); }
  // Volatility of a function the snapshot knows ('i', 's' or 'v'), or 0 when unknown.
  char function_volatility(const std::string& name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? 0 : it->second;
  }
  void set_function_volatility(const std::string& name, char v) { functions_[name] = v; }
  // A domain with CHECK or NOT NULL constraints: adding a column of it rewrites the table.
  bool domain_has_constraints(const std::string& name) const {
    return constrained_domains_.count(name) > 0;
  }
  void add_constrained_domain(const std::string& name) { constrained_domains_.insert(name); }
  // The views and materialized views the model saw made over a table (or view).
  const std::vector<Dependent>& dependents(const QualifiedName& t) const;
  // The tables whose foreign keys reference t (t itself excluded).
  std::vector<QualifiedName> referencing(const QualifiedName& t) const;
  // The tables (t itself included) with a foreign key that rests on t's primary key or unique
  // constraint `key`: the server refuses to drop the key under them without CASCADE.
  std::vector<QualifiedName> resting_on(const TableInfo& t, const ConstraintInfo& key) const;
  // Every partition below a partitioned table, sub-partitions too, as far as the model knows.
  std::vector<const TableInfo*> partitions_of(const TableInfo& t) const;
  // Tables are keyed "schema.name", and looked up by string_view too: lookups build their key on
  // the stack (every operation asks for its table).
  //
  // Not noexcept on purpose: libstdc++ then keeps each entry's hash in its node, so a lookup
  // compares hashes before keys and walks a bucket without hashing every key it passes (that
  // rehashing was a tenth of a large MySQL file's rules thread).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TableMap = std::unordered_map<std::string, TableInfo, KeyHash, std::equal_to<>>;
  // Read-only views, for writing the model out (migsafe stats).
  const TableMap& tables() const { return tables_; }
  const std::unordered_map<std::string, char>& functions() const { return functions_; }
  const std::unordered_set<std::string>& constrained_domains() const {
    return constrained_domains_;
  }

 private:
  static std::string key(const QualifiedName& n);
  TableInfo* find_mut(const QualifiedName& name);
  void rename_table(const QualifiedName& from, const std::string& to);

  void add_dependent(const Operation& op);
  void forget_view(const QualifiedName& view);
  void forget_dependents(const QualifiedName& relation);

  TableMap tables_;
  // The last table find() answered: an operation asks for its table several times (its
  // effect, the statement's online-DDL needs, its rules) before apply() changes the model.
  // apply() and add_existing_table() forget it, and find() neither reads nor keeps it while
  // apply() runs. (One thread uses a model at a time.)
  struct LastLookup {
    bool valid = false;
    QualifiedName name;
    const TableInfo* table = nullptr;
    LastLookup() = default;
    // A copied or moved model starts without one: the pointer is the source's.
    LastLookup(const LastLookup&) {}
    LastLookup& operator=(const LastLookup&) {
      valid = false;
      return *this;
    }
  };
  mutable LastLookup last_;
  bool applying_ = false;
  // Keys of every table a foreign key was ever made to reference: drops of any other table
  // skip the walk over all tables' constraints (which made a long file quadratic).
  std::unordered_set<std::string, KeyHash, std::equal_to<>> fk_targets_;
  void note_fk_targets(const Operation& op);
  // table key -> views
  std::unordered_map<std::string, std::vector<Dependent>, KeyHash, std::equal_to<>> dependents_;
  // view key -> the table keys whose dependents may list it (a superset): dropping a view
  // looks there instead of through every table's views (a long file of views was quadratic).
  std::unordered_map<std::string, std::vector<std::string>, KeyHash, std::equal_to<>> views_over_;
  IndexNames index_names_ = IndexNames::per_schema;
  // index key -> table key (per schema names)
  std::unordered_map<std::string, std::string, KeyHash, std::equal_to<>> index_owner_;
  void note_index_owner(const std::string& schema, const std::string& index,
                        const std::string& owner_key);
  void note_index_owner(const std::string& schema, const std::string& index,
                        const QualifiedName& owner);
  std::unordered_set<std::string> constrained_domains_;
  std::unordered_map<std::string, char> functions_;
};

}  // namespace migsafe
