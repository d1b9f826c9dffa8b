#include <algorithm>
#include <cstring>
#include <optional>

#include "migsafe/ascii.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {

namespace {
// Index = id; id 0 is "not given", the last entry stands for every name not listed.
constexpr std::string_view kCharsets[] = {
    "",        "utf8mb4", "utf8mb3", "latin1", "ascii",  "binary",  "ucs2",
    "utf16",   "utf16le", "utf32",   "latin2", "cp1250", "cp1251",  "gbk",
    "big5",    "sjis",    "ujis",    "euckr",  "gb2312", "gb18030", "cp932",
    "eucjpms", "koi8r",   "greek",   "hebrew", "latin5", "latin7",  "other"};
}  // namespace

uint8_t charset_id(std::string_view name) {
  if (name == "utf8") name = "utf8mb3";
  for (size_t i = 0; i + 1 < std::size(kCharsets); ++i)
    if (kCharsets[i] == name) return static_cast<uint8_t>(i);
  return static_cast<uint8_t>(std::size(kCharsets) - 1);
}

std::string_view charset_name(uint8_t id) {
  return id < std::size(kCharsets) ? kCharsets[id] : kCharsets[std::size(kCharsets) - 1];
}

namespace {

// Small tables (nearly all) are searched linearly; past this many entries a table keeps
// positions by name, so a migration that alters one table thousands of times stays linear
// without every table paying for hash maps.
constexpr size_t kIndexedFrom = 32;

template <class T>
std::optional<size_t> find_pos(const std::vector<T>& items,
                               const std::unordered_map<std::string, size_t>& at,
                               std::string_view name) {
  if (!at.empty()) {
    auto it = at.find(std::string(name));
    if (it == at.end()) return std::nullopt;
    return it->second;
  }
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].name == name) return i;
  return std::nullopt;
}

template <class T>
void rebuild(const std::vector<T>& items, std::unordered_map<std::string, size_t>& at) {
  at.clear();
  if (items.size() < kIndexedFrom) return;
  for (size_t i = 0; i < items.size(); ++i) at[items[i].name] = i;
}

// Appends, or replaces the entry of the same name when `replace`. A table that keeps positions
// by name looks the name up once (a wide table's ADD COLUMN looked it up three times).
// `replacing` sees the entry a replacement overwrites.
template <class T, class Replacing>
void upsert(std::vector<T>& items, std::unordered_map<std::string, size_t>& at, T item,
            bool replace, Replacing replacing) {
  if (!at.empty()) {
    auto [it, added] = at.try_emplace(item.name, items.size());
    if (added) {
      items.push_back(std::move(item));
    } else if (replace) {
      replacing(items[it->second]);
      items[it->second] = std::move(item);
    }
    return;
  }
  if (auto pos = find_pos(items, at, item.name)) {
    if (replace) {
      replacing(items[*pos]);
      items[*pos] = std::move(item);
    }
    return;
  }
  items.push_back(std::move(item));
  if (items.size() >= kIndexedFrom) rebuild(items, at);
}

template <class T>
void rename(std::vector<T>& items, std::unordered_map<std::string, size_t>& at,
            const std::string& from, const std::string& to) {
  auto pos = find_pos(items, at, from);
  if (!pos) return;
  items[*pos].name = to;
  if (!at.empty()) {
    at.erase(from);
    at[to] = *pos;
  }
}

}  // namespace

const ColumnInfo* TableInfo::column(std::string_view n) const {
  auto pos = find_pos(columns, column_at, n);
  return pos ? &columns[*pos] : nullptr;
}

ColumnInfo* TableInfo::column(std::string_view n) {
  auto pos = find_pos(columns, column_at, n);
  return pos ? &columns[*pos] : nullptr;
}

const ConstraintInfo* TableInfo::constraint(std::string_view n) const {
  auto pos = find_pos(constraints, constraint_at, n);
  return pos ? &constraints[*pos] : nullptr;
}

const IndexInfo* TableInfo::index(std::string_view n) const {
  auto pos = find_pos(indexes, index_at, n);
  return pos ? &indexes[*pos] : nullptr;
}

const IndexInfo* TableInfo::covering_index(const IndexSpec& spec) const {
  // Expressions are not compared (all of them read "(expression)"): no verdict on them.
  auto has_expression = [](const std::vector<std::string>& c) {
    return std::find(c.begin(), c.end(), "(expression)") != c.end();
  };
  if (spec.partial || has_expression(spec.columns)) return nullptr;
  const std::string method = spec.method.empty() ? "btree" : spec.method;
  for (const auto& idx : indexes) {
    if (!idx.valid || idx.partial || idx.name == spec.name) continue;
    if (idx.method != method || has_expression(idx.columns)) continue;
    if (idx.columns.size() >= spec.columns.size() &&
        std::equal(spec.columns.begin(), spec.columns.end(), idx.columns.begin()) &&
        (!spec.unique || idx.unique))
      return &idx;
  }
  return nullptr;
}

void TableInfo::reindex() {
  rebuild(columns, column_at);
  rebuild(indexes, index_at);
  rebuild(constraints, constraint_at);
  fulltext_indexes_ =
      static_cast<size_t>(std::count_if(indexes.begin(), indexes.end(), is_fulltext));
}

void TableInfo::add_column(ColumnInfo c) {
  upsert(columns, column_at, std::move(c), /*replace=*/false, [](const ColumnInfo&) {});
}
void TableInfo::add_index(IndexInfo i) {
  const bool fulltext = is_fulltext(i);
  upsert(indexes, index_at, std::move(i), /*replace=*/true,
         [&](const IndexInfo& old) { fulltext_indexes_ -= is_fulltext(old); });
  fulltext_indexes_ += fulltext;
}
void TableInfo::add_constraint(ConstraintInfo c) {
  upsert(constraints, constraint_at, std::move(c), /*replace=*/true, [](const ConstraintInfo&) {});
}
void TableInfo::rename_column(const std::string& from, const std::string& to) {
  rename(columns, column_at, from, to);
}
void TableInfo::erase_index(const std::string& name) {
  // Most often none: a foreign key's name, dropped with its constraint, on a table of many
  // indexes that would each be compared.
  if (!index(name)) return;
  erase_indexes_if([&](const IndexInfo& i) { return i.name == name; });
}
void TableInfo::rename_index(const std::string& from, const std::string& to) {
  rename(indexes, index_at, from, to);
}

bool TableInfo::proves_not_null(std::string_view col) const {
  if (const ColumnInfo* c = column(col); c && c->not_null) return true;
  return std::any_of(constraints.begin(), constraints.end(), [&](const ConstraintInfo& k) {
    return k.validated && k.kind == ConstraintKind::check && k.not_null_check_column == col;
  });
}

namespace {

// The schema a name is in: an unqualified one is in public.
std::string_view schema_of(const QualifiedName& n) {
  return n.schema.empty() ? std::string_view("public") : std::string_view(n.schema);
}

// A table's key, "schema.name": on the stack when it fits,
// for lookups; table_key makes a string of it.
class LookupKey {
 public:
  explicit LookupKey(const QualifiedName& n) {
    std::string_view schema = schema_of(n);
    size_t size = schema.size() + 1 + n.name.size();
    char* p = buf_;
    if (size > sizeof buf_) {
      heap_.resize(size);
      p = heap_.data();
    }
    std::memcpy(p, schema.data(), schema.size());
    p[schema.size()] = '.';
    std::memcpy(p + schema.size() + 1, n.name.data(), n.name.size());
    view_ = std::string_view(p, size);
  }
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  std::string_view view() const { return view_; }

 private:
  char buf_[120];
  std::string heap_;
  std::string_view view_;
};

}  // namespace

std::string table_key(const QualifiedName& n) {
  return std::string(LookupKey(n).view());
}

// table_key(a) == table_key(b), without building either (drops ask it of every table).
bool same_relation(const QualifiedName& a, const QualifiedName& b) {
  return a.name == b.name && schema_of(a) == schema_of(b);
}

std::string SchemaModel::key(const QualifiedName& n) {
  return table_key(n);
}

const TableInfo* SchemaModel::find(const QualifiedName& name) const {
  if (name.empty()) return nullptr;
  if (!applying_ && last_.valid && last_.name == name) return last_.table;
  auto it = tables_.find(LookupKey(name).view());
  const TableInfo* t = it == tables_.end() ? nullptr : &it->second;
  if (!applying_) {
    last_.valid = true;
    last_.name = name;
    last_.table = t;
  }
  return t;
}

void SchemaModel::note_index_owner(const std::string& schema, const std::string& index,
                                   const std::string& owner_key) {
  if (index_names_ == IndexNames::per_table) return;
  index_owner_[key({schema, index})] = owner_key;
}

void SchemaModel::note_index_owner(const std::string& schema, const std::string& index,
                                   const QualifiedName& owner) {
  if (index_names_ == IndexNames::per_table) return;
  note_index_owner(schema, index, key(owner));
}

TableInfo* SchemaModel::find_mut(const QualifiedName& name) {
  return const_cast<TableInfo*>(static_cast<const SchemaModel*>(this)->find(name));
}

const TableInfo* SchemaModel::table_of_index(const QualifiedName& index) const {
  auto it = index_owner_.find(LookupKey(index).view());
  if (it == index_owner_.end()) return nullptr;
  auto t = tables_.find(it->second);
  return t == tables_.end() ? nullptr : &t->second;
}

const TableInfo* SchemaModel::table_of_constraint_name(std::string_view name) const {
  for (const auto& [k, t] : tables_)
    if (t.constraint(name)) return &t;
  return nullptr;
}

namespace {

ColumnInfo column_info(const ColumnSpec& c) {
  return {c.name, c.type, c.not_null || c.primary_key || c.generated == Generated::identity,
          charset_id(c.charset), c.generated};
}

std::string default_index_name(const TableInfo& t, const std::vector<std::string>& cols,
                               std::string_view suffix) {
  std::string n = t.name.name;
  for (const auto& c : cols) n += "_" + c;
  return n + "_" + std::string(suffix);
}

// Returns the constraint's name (given, or the one PostgreSQL would generate).
std::string add_constraint(TableInfo& t, const ConstraintSpec& spec) {
  ConstraintInfo c;
  c.kind = spec.kind;
  c.columns = spec.columns;
  c.validated = !spec.not_valid;
  c.not_null_check_column = spec.not_null_check_column;
  c.references = spec.references.table;
  c.references_columns = spec.references.columns;
  bool keyed = spec.kind == ConstraintKind::unique || spec.kind == ConstraintKind::primary_key;
  if (keyed && !spec.using_index.empty()) {
    // USING INDEX renames the index to the constraint's name and takes its columns.
    if (const IndexInfo* idx = t.index(spec.using_index)) {
      if (c.columns.empty()) c.columns = idx->columns;
      if (!spec.name.empty()) t.rename_index(spec.using_index, spec.name);
    }
  }
  // PostgreSQL names a primary key <table>_pkey, whatever its columns.
  c.name = !spec.name.empty() ? spec.name
           : spec.kind == ConstraintKind::primary_key
               ? t.name.name + "_pkey"
               : default_index_name(t, c.columns,
                                    spec.kind == ConstraintKind::primary_key   ? "pkey"
                                    : spec.kind == ConstraintKind::foreign_key ? "fkey"
                                    : spec.kind == ConstraintKind::unique      ? "key"
                                                                               : "check");
  if (keyed && spec.using_index.empty())
    t.add_index(IndexInfo{c.name, c.columns, true, false, true});
  if (spec.kind == ConstraintKind::primary_key)
    for (const auto& col : c.columns)
      if (ColumnInfo* ci = t.column(col)) ci->not_null = true;
  std::string name = c.name;
  t.add_constraint(std::move(c));
  return name;
}

void add_column_constraints(TableInfo& t, const ColumnSpec& col) {
  if (col.primary_key)
    add_constraint(
        t, ConstraintSpec{ConstraintKind::primary_key, "", false, "", {col.name}, {}, "", ""});
  if (col.unique)
    add_constraint(t,
                   ConstraintSpec{ConstraintKind::unique, "", false, "", {col.name}, {}, "", ""});
  if (col.references)
    add_constraint(
        t, ConstraintSpec{
               ConstraintKind::foreign_key, "", false, "", {col.name}, *col.references, "", ""});
}

}  // namespace

void SchemaModel::add_existing_table(TableInfo t) {
  last_.valid = false;
  t.origin = {};
  t.reindex();
  for (const auto& c : t.constraints)
    if (c.kind == ConstraintKind::foreign_key) fk_targets_.insert(key(c.references));
  std::string k = key(t.name);
  for (const auto& idx : t.indexes) note_index_owner(t.name.schema, idx.name, k);
  tables_[k] = std::move(t);
}

void SchemaModel::rename_table(const QualifiedName& from, const std::string& to) {
  auto it = tables_.find(key(from));
  if (it == tables_.end()) return;
  TableInfo t = std::move(it->second);
  tables_.erase(it);
  std::string old_key = key(from);
  t.name.name = to;
  std::string new_key = key(t.name);
  if (auto d = dependents_.find(old_key); d != dependents_.end()) {
    std::vector<Dependent> views = std::move(d->second);
    dependents_.erase(d);
    for (const auto& v : views) views_over_[key(v.view)].push_back(new_key);
    dependents_[new_key] = std::move(views);
  }
  for (const auto& idx : t.indexes) {
    auto owner = index_owner_.find(key({t.name.schema, idx.name}));
    if (owner != index_owner_.end() && owner->second == old_key) owner->second = new_key;
  }
  tables_[new_key] = std::move(t);
}

namespace {
// Whether a constraint made without a name may carry this one: the server's choice starts with
// the table's name and, for PostgreSQL, goes on with its columns.
bool could_be_named(const TableInfo& t, const ConstraintInfo& c, std::string_view name) {
  if (!name.starts_with(t.name.name)) return false;
  for (const auto& col : c.columns)
    if (name.find(col) == std::string_view::npos && name.find("_ibfk_") == std::string_view::npos)
      return false;
  return true;
}
}  // namespace

void SchemaModel::note_fk_targets(const Operation& op) {
  // Most targets are known already: asked first, a key string is made only for a new one.
  auto note = [&](const QualifiedName& target) {
    LookupKey k(target);
    if (!fk_targets_.contains(k.view())) fk_targets_.emplace(k.view());
  };
  for (const auto& c : op.columns)
    if (c.references) note(c.references->table);
  for (const auto& c : op.table_constraints)
    if (c.kind == ConstraintKind::foreign_key) note(c.references.table);
  if (op.constraint && op.constraint->kind == ConstraintKind::foreign_key)
    note(op.constraint->references.table);
  if (op.column_spec && op.column_spec->references) note(op.column_spec->references->table);
}

void SchemaModel::apply(const Operation& op, int file, int tx) {
  last_.valid = false;
  applying_ = true;
  struct Done {
    bool& applying;
    ~Done() { applying = false; }
  } done{applying_};
  note_fk_targets(op);
  const bool acts_on_table = !op.table.empty();
  TableInfo* t = acts_on_table ? find_mut(op.table) : nullptr;
  auto ensure_table = [&]() -> TableInfo& {
    // A table the model has not seen existed before the migration set began.
    if (!t) {
      TableInfo stub;
      stub.name = op.table;
      t = &tables_.emplace(key(op.table), std::move(stub)).first->second;
    }
    return *t;
  };

  switch (op.kind) {
    case OpKind::create_table:
    case OpKind::create_table_as: {
      if (t && op.if_not_exists) return;
      TableInfo nt;
      nt.name = op.table;
      nt.origin = {file, tx};
      nt.partitioned = op.partitioned;
      nt.access_method = op.access_method;
      if (op.kind == OpKind::create_table) nt.charset = charset_id(op.value);
      nt.row_format = op.row_format;
      for (const auto& c : op.columns) nt.add_column(column_info(c));
      for (const auto& c : op.columns) add_column_constraints(nt, c);
      for (const auto& c : op.table_constraints) add_constraint(nt, c);
      const std::string owner_key = key(op.table);
      const TableInfo& placed = tables_.insert_or_assign(owner_key, std::move(nt)).first->second;
      if (op.kind == OpKind::create_table_as && op.detail == "OBJECT_MATVIEW") add_dependent(op);
      for (const auto& idx : placed.indexes) note_index_owner(op.table.schema, idx.name, owner_key);
      if (TableInfo* parent = find_mut(op.partition_of); parent && !op.partition_of.name.empty())
        parent->partitions.push_back(op.table);
      return;
    }
    case OpKind::add_column: {
      if (!op.column_spec) return;
      TableInfo& tt = ensure_table();
      if (tt.column(op.column_spec->name)) return;
      tt.add_column(column_info(*op.column_spec));
      add_column_constraints(tt, *op.column_spec);
      return;
    }
    case OpKind::drop_column: {
      if (!t) return;
      t->erase_columns_if([&](const ColumnInfo& c) { return c.name == op.column; });
      t->erase_indexes_if([&](const IndexInfo& i) {
        return std::find(i.columns.begin(), i.columns.end(), op.column) != i.columns.end();
      });
      // The table's own constraints over the column go with it (its foreign keys among them).
      t->erase_constraints_if([&](const ConstraintInfo& c) {
        return std::find(c.columns.begin(), c.columns.end(), op.column) != c.columns.end();
      });
      if (auto d = dependents_.find(key(op.table)); op.cascade && d != dependents_.end()) {
        std::vector<QualifiedName> gone;
        for (const auto& v : d->second)
          if (v.uses(op.column)) gone.push_back(v.view);
        for (const auto& v : gone) {
          forget_view(v);
          forget_dependents(v);
        }
      }
      return;
    }
    case OpKind::alter_column_type: {
      if (!op.new_type) return;
      TableInfo& tt = ensure_table();
      if (ColumnInfo* c = tt.column(op.column))
        c->type = *op.new_type;
      else
        tt.add_column({op.column, *op.new_type, false, 0, Generated::none});
      return;
    }
    case OpKind::modify_column: {
      if (!op.column_spec) return;
      TableInfo& tt = ensure_table();
      ColumnInfo c = column_info(*op.column_spec);
      if (ColumnInfo* existing = tt.column(op.column)) {
        if (c.charset == 0 && op.column_spec->type.name == existing->type.name)
          c.charset = existing->charset;
        *existing = std::move(c);
      } else {
        tt.add_column(std::move(c));
      }
      return;
    }
    case OpKind::convert_charset:
      if (t) {
        t->charset = charset_id(op.value);
        for (auto& c : t->columns) c.charset = 0;
      }
      return;
    case OpKind::table_options:
      if (t && op.detail == "CHARACTER SET") t->charset = charset_id(op.value);
      if (t && op.detail == "ROW_FORMAT") {
        t->row_format = op.value;
        for (char& c : t->row_format) c = ascii_upper(c);
      }
      return;
    case OpKind::set_not_null:
    case OpKind::drop_not_null: {
      TableInfo& tt = ensure_table();
      if (ColumnInfo* c = tt.column(op.column)) c->not_null = op.kind == OpKind::set_not_null;
      return;
    }
    case OpKind::add_constraint:
      if (op.constraint) {
        std::string name = add_constraint(ensure_table(), *op.constraint);
        // Only a key constraint brings an index (its own name, or a renamed USING INDEX one).
        if (t->index(name)) note_index_owner(op.table.schema, name, op.table);
      }
      return;
    case OpKind::validate_constraint:
      if (t)
        for (auto& c : t->constraints)
          if (c.name == op.object) c.validated = true;
      return;
    case OpKind::drop_constraint:
      if (t) {
        bool pk = op.constraint && op.constraint->kind == ConstraintKind::primary_key;
        // A constraint made without a name has the one the server chose: PostgreSQL's
        // <table>_<columns>_fkey / _check / _key, MySQL's <table>_ibfk_<n> and so on. Dropping
        // a name the model does not hold drops the unnamed ones it could be.
        const bool named = t->constraint(op.object) != nullptr;
        t->erase_constraints_if([&](const ConstraintInfo& c) {
          return c.name == op.object || (pk && c.kind == ConstraintKind::primary_key) ||
                 (!named && c.name.empty() && could_be_named(*t, c, op.object));
        });
        t->erase_index(op.object);
      }
      return;
    case OpKind::rename_column:
      if (t) t->rename_column(op.column, op.new_name);
      if (auto d = dependents_.find(key(op.table)); d != dependents_.end())
        for (auto& view : d->second)
          std::replace(view.columns.begin(), view.columns.end(), op.column, op.new_name);
      return;
    case OpKind::rename_table:
      rename_table(op.table, op.new_name);
      return;
    case OpKind::create_index: {
      if (!op.index) return;
      TableInfo& tt = ensure_table();
      IndexInfo idx{op.index->name, op.index->columns, op.index->unique, op.index->partial, true};
      if (!op.index->method.empty()) idx.method = op.index->method;
      tt.add_index(std::move(idx));
      note_index_owner(op.table.schema, op.index->name, op.table);
      return;
    }
    case OpKind::drop_index:
    case OpKind::rename_index: {
      if (t) {  // MySQL names the table: index names are per table there
        if (op.kind == OpKind::drop_index)
          t->erase_index(op.object);
        else
          t->rename_index(op.object, op.new_name);
        return;
      }
      QualifiedName idx{op.table.schema, op.object};
      auto it = index_owner_.find(key(idx));
      if (it == index_owner_.end()) return;
      auto owner = tables_.find(it->second);
      std::string owner_key = it->second;
      index_owner_.erase(it);
      if (owner == tables_.end()) return;
      if (op.kind == OpKind::drop_index) {
        owner->second.erase_index(op.object);
      } else {
        owner->second.rename_index(op.object, op.new_name);
        note_index_owner(op.table.schema, op.new_name, owner_key);
      }
      return;
    }
    case OpKind::drop_table:
    case OpKind::drop_view:
      tables_.erase(key(op.table));
      forget_view(op.table);
      if (op.cascade) forget_dependents(op.table);
      dependents_.erase(key(op.table));
      return;
    case OpKind::create_view:
      if (op.or_replace) forget_view(op.table);
      add_dependent(op);
      return;
    case OpKind::set_access_method:
      if (t) t->access_method = op.object == "heap" ? std::string() : op.object;
      return;
    case OpKind::attach_partition:
      if (t && !op.object.empty()) t->partitions.push_back(partition_name(op));
      return;
    case OpKind::detach_partition:
      if (t && !op.object.empty() && op.value != "finalize") {
        std::string gone = key(partition_name(op));
        std::erase_if(t->partitions, [&](const QualifiedName& p) { return key(p) == gone; });
      }
      return;
    case OpKind::create_domain:
    case OpKind::alter_domain_add_constraint:
      if (op.has_where) constrained_domains_.insert(op.object);
      return;
    case OpKind::drop_schema:
      std::erase_if(tables_, [&](const auto& kv) { return kv.second.name.schema == op.object; });
      return;
    default:
      return;
  }
}

std::vector<const TableInfo*> SchemaModel::partitions_of(const TableInfo& t) const {
  std::vector<const TableInfo*> out;
  std::vector<const TableInfo*> todo{&t};
  // A partition attached twice in the model, or a cycle of bad input, must not loop.
  std::unordered_set<const TableInfo*> seen{&t};
  while (!todo.empty()) {
    const TableInfo* at = todo.back();
    todo.pop_back();
    for (const auto& name : at->partitions)
      if (const TableInfo* p = find(name); p && seen.insert(p).second) {
        out.push_back(p);
        todo.push_back(p);
      }
  }
  return out;
}

bool Dependent::uses(std::string_view column) const {
  return std::find(columns.begin(), columns.end(), column) != columns.end();
}

const std::vector<Dependent>& SchemaModel::dependents(const QualifiedName& t) const {
  static const std::vector<Dependent> kNone;
  auto it = dependents_.find(LookupKey(t).view());
  return it == dependents_.end() ? kNone : it->second;
}

// A view depends on the columns it names that its tables have when it is made; "*" stands for
// every column they have then (columns added later are not part of it). A table the model does
// not know gives no columns, so nothing is claimed about it.
void SchemaModel::add_dependent(const Operation& op) {
  for (const auto& r : op.reads) {
    const TableInfo* t = find(r);
    Dependent d{op.table, {}};
    if (t)
      for (const auto& c : t->columns)
        if (std::find(op.read_columns.begin(), op.read_columns.end(), c.name) !=
                op.read_columns.end() ||
            std::find(op.read_columns.begin(), op.read_columns.end(), "*") != op.read_columns.end())
          d.columns.push_back(c.name);
    const std::string table = key(r);
    auto& views = dependents_[table];
    auto same = std::find_if(views.begin(), views.end(),
                             [&](const Dependent& v) { return same_relation(v.view, op.table); });
    if (same != views.end()) continue;
    views.push_back(std::move(d));
    views_over_[key(op.table)].push_back(table);
  }
}

// DROP ... CASCADE takes the views over the relation with it, and theirs in turn.
void SchemaModel::forget_dependents(const QualifiedName& relation) {
  std::vector<QualifiedName> todo{relation};
  for (size_t guard = 0; !todo.empty() && guard < 10000; ++guard) {
    QualifiedName r = todo.back();
    todo.pop_back();
    auto it = dependents_.find(LookupKey(r).view());
    if (it == dependents_.end()) continue;
    std::vector<Dependent> views = std::move(it->second);
    dependents_.erase(it);
    for (const auto& v : views) {
      forget_view(v.view);
      tables_.erase(key(v.view));  // a materialized view
      todo.push_back(v.view);
    }
  }
}

void SchemaModel::forget_view(const QualifiedName& view) {
  auto over = views_over_.find(LookupKey(view).view());
  if (over == views_over_.end()) return;
  std::vector<std::string> tables = std::move(over->second);
  views_over_.erase(over);
  for (const auto& table : tables)
    if (auto d = dependents_.find(table); d != dependents_.end())
      std::erase_if(d->second, [&](const Dependent& v) { return same_relation(v.view, view); });
}

std::vector<QualifiedName> SchemaModel::resting_on(const TableInfo& t,
                                                   const ConstraintInfo& key_c) const {
  std::vector<QualifiedName> out;
  if (key_c.kind != ConstraintKind::primary_key && key_c.kind != ConstraintKind::unique) return out;
  if (!fk_targets_.count(LookupKey(t.name).view())) return out;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> key_columns = sorted(key_c.columns);
  for (const auto& [tk, info] : tables_)
    for (const auto& c : info.constraints) {
      if (c.kind != ConstraintKind::foreign_key || !same_relation(c.references, t.name)) continue;
      bool rests = c.references_columns.empty() ? key_c.kind == ConstraintKind::primary_key
                                                : sorted(c.references_columns) == key_columns;
      if (rests) {
        out.push_back(info.name);
        break;
      }
    }
  return out;
}

std::vector<QualifiedName> SchemaModel::referencing(const QualifiedName& t) const {
  std::vector<QualifiedName> out;
  if (!fk_targets_.count(LookupKey(t).view())) return out;
  for (const auto& [tk, info] : tables_) {
    if (same_relation(info.name, t)) continue;
    for (const auto& c : info.constraints)
      if (c.kind == ConstraintKind::foreign_key && same_relation(c.references, t)) {
        out.push_back(info.name);
        break;
      }
  }
  return out;
}

}  // namespace migsafe
