// The translation of a PostgreSQL parse tree into IR operations, over either form of the tree:
// E is PgNode (the tree libpg_query builds, which the product reads) or a view of libpg_query's
// JSON (which tests/pg_tree_test.cpp reads too, to prove the two give the same IR). E offers
// member(key) -> optional<E>, get(string_view& | int64_t& | bool&), members(f(key, E)) and
// items(f(E)); both leave out what libpg_query's JSON leaves out.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postgres_nodes.hpp"

#include "migsafe/ascii.hpp"

namespace migsafe::pg_translate {

template <class E>
std::string_view text_of(E e, const char* key) {
  std::string_view v;
  auto m = e.member(key);
  if (!m || !m->get(v)) return {};
  return v;
}

template <class E>
bool flag(E e, const char* key) {
  bool b = false;
  auto m = e.member(key);
  if (!m || !m->get(b)) return false;
  return b;
}

template <class E>
int64_t integer(E e, const char* key, int64_t fallback = 0) {
  int64_t v = fallback;
  auto m = e.member(key);
  if (!m || !m->get(v)) return fallback;
  return v;
}

template <class E>
bool has(E e, const char* key) {
  return e.member(key).has_value();
}

template <class E>
std::optional<E> field(E e, const char* key) {
  return e.member(key);
}

template <class E, class F>
void each(E e, const char* key, F&& f) {
  if (auto list = e.member(key)) list->items(f);
}

// A node is a one-key object {"Type": {...}}.
template <class E>
std::pair<std::string_view, E> unwrap(E wrapper) {
  std::pair<std::string_view, E> out;
  bool first = true;
  wrapper.members([&](std::string_view key, E value) {
    if (first) out = {key, value};
    first = false;
  });
  return out;
}

// [{"String":{"sval":"x"}}, ...] -> {"x", ...}
template <class E>
std::vector<std::string> string_list(E e, const char* key) {
  std::vector<std::string> out;
  each(e, key, [&](E item) {
    auto [type, v] = unwrap(item);
    if (type == "String") out.emplace_back(text_of(v, "sval"));
  });
  return out;
}

template <class E>
QualifiedName range_var(E rv) {
  return {std::string(text_of(rv, "schemaname")), std::string(text_of(rv, "relname"))};
}

inline QualifiedName name_from_list(const std::vector<std::string>& parts) {
  if (parts.empty()) return {};
  if (parts.size() == 1) return {"", parts[0]};
  return {parts[parts.size() - 2], parts.back()};
}

template <class E>
uint32_t loc(E e, const PgNodeContext& ctx) {
  int64_t l = integer(e, "location", -1);
  return l < 0 ? ctx.stmt_location : ctx.base + static_cast<uint32_t>(l);
}

// Types the parser leaves unqualified but that are built in all the same.
inline bool is_builtin_type_name(std::string_view n) {
  static constexpr std::array<std::string_view, 40> kBuiltin{
      "text",      "uuid",      "json",     "jsonb",   "bytea",       "inet",      "cidr",
      "macaddr",   "macaddr8",  "date",     "money",   "xml",         "tsvector",  "tsquery",
      "point",     "line",      "lseg",     "box",     "path",        "polygon",   "circle",
      "int4range", "int8range", "numrange", "tsrange", "tstzrange",   "daterange", "oid",
      "regclass",  "name",      "citext",   "hstore",  "timestamptz", "timetz",    "int2",
      "int4",      "int8",      "float4",   "float8",  "varbit"};
  return std::find(kBuiltin.begin(), kBuiltin.end(), n) != kBuiltin.end();
}

struct SerialInfo {
  std::string_view written;
  std::string_view canonical;
};
inline constexpr std::array<SerialInfo, 6> kSerialTypes{{{"serial", "int4"},
                                                         {"serial4", "int4"},
                                                         {"bigserial", "int8"},
                                                         {"serial8", "int8"},
                                                         {"smallserial", "int2"},
                                                         {"serial2", "int2"}}};

template <class E>
TypeRef type_name(E tn, bool* serial = nullptr) {
  TypeRef t;
  std::vector<std::string> names = string_list(tn, "names");
  if (names.empty()) return t;
  bool catalog = names.size() == 2 && names[0] == "pg_catalog";
  t.name = names.back();
  for (const auto& s : kSerialTypes) {
    if (names.size() == 1 && t.name == s.written) {
      t.name = s.canonical;
      if (serial) *serial = true;
    }
  }
  t.user_defined =
      !catalog && !(names.size() == 1 && is_builtin_type_name(t.name)) && !(serial && *serial);
  if (!catalog && names.size() > 1) t.name = names[names.size() - 2] + "." + names.back();
  each(tn, "typmods", [&](E m) {
    auto [type, v] = unwrap(m);
    if (type == "A_Const") {
      if (auto iv = field(v, "ival")) t.mods.push_back(integer(*iv, "ival"));
    }
  });
  t.array = has(tn, "arrayBounds");
  return t;
}

inline constexpr std::pair<std::string_view, std::string_view> kValueFunctions[] = {
    {"SVFOP_CURRENT_DATE", "current_date"},
    {"SVFOP_CURRENT_TIME", "current_time"},
    {"SVFOP_CURRENT_TIME_N", "current_time"},
    {"SVFOP_CURRENT_TIMESTAMP", "current_timestamp"},
    {"SVFOP_CURRENT_TIMESTAMP_N", "current_timestamp"},
    {"SVFOP_LOCALTIME", "localtime"},
    {"SVFOP_LOCALTIME_N", "localtime"},
    {"SVFOP_LOCALTIMESTAMP", "localtimestamp"},
    {"SVFOP_LOCALTIMESTAMP_N", "localtimestamp"},
    {"SVFOP_CURRENT_ROLE", "current_role"},
    {"SVFOP_CURRENT_USER", "current_user"},
    {"SVFOP_USER", "user"},
    {"SVFOP_SESSION_USER", "session_user"},
    {"SVFOP_CURRENT_CATALOG", "current_catalog"},
    {"SVFOP_CURRENT_SCHEMA", "current_schema"},
};

template <class E>
void collect_calls(E e, ExprInfo& info) {
  e.members([&](std::string_view key, E value) {
    if (key == "FuncCall") {
      std::vector<std::string> fn = string_list(value, "funcname");
      if (!fn.empty()) info.functions.push_back(fn.back());
    } else if (key == "SQLValueFunction") {
      std::string_view op = text_of(value, "op");
      for (const auto& [k, name] : kValueFunctions)
        if (k == op) info.functions.emplace_back(name);
    } else if (key == "SubLink") {
      info.has_subquery = true;
    }
    collect_calls(value, info);
  });
  e.items([&](E x) { collect_calls(x, info); });
}

// The column a ColumnRef names (t.a names a), "*" for t.*.
template <class E>
std::string column_ref_name(E column_ref) {
  std::string last;
  each(column_ref, "fields", [&](E f) {
    auto [type, v] = unwrap(f);
    last = type == "A_Star" ? "*" : std::string(text_of(v, "sval"));
  });
  return last;
}

// The relations and column names a view's query reads; names its WITH clause defines are not
// tables.
template <class E>
void collect_reads(E e, Operation& op, std::vector<std::string>& ctes) {
  e.members([&](std::string_view key, E value) {
    if (key == "RangeVar") {
      op.reads.push_back(range_var(value));
    } else if (key == "CommonTableExpr") {
      ctes.emplace_back(text_of(value, "ctename"));
    } else if (key == "ColumnRef") {
      std::string last = column_ref_name(value);
      if (!last.empty()) op.read_columns.push_back(std::move(last));
      return;
    }
    collect_reads(value, op, ctes);
  });
  e.items([&](E x) { collect_reads(x, op, ctes); });
}

// The first name in `names` given before, or "".
inline std::string first_repeat(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i)
    if (!names[i].empty() &&
        std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i)
      return names[i];
  return {};
}

// INSERT's column list and UPDATE's SET name target columns; the server refuses one named twice
// unless both name a part of it (SET c.x = 1, c.y = 2 fills two fields of one composite).
template <class E>
std::string target_named_twice(E list_owner, const char* key) {
  std::vector<std::string> whole, partial;
  std::string twice;
  each(list_owner, key, [&](E t) {
    auto [type, rt] = unwrap(t);
    if (type != "ResTarget" || !twice.empty()) return;
    std::string name(text_of(rt, "name"));
    auto seen = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), name) != v.end();
    };
    bool part = has(rt, "indirection");
    if (seen(whole) || (!part && seen(partial))) twice = name;
    (part ? partial : whole).push_back(std::move(name));
  });
  return twice;
}

// The name a select-list entry gives its column when it has no alias, as the server derives
// it; "" when migsafe does not derive it (a *, an expression), which then collides with nothing.
template <class E>
std::string derived_column_name(E val) {
  auto [type, v] = unwrap(val);
  if (type == "ColumnRef") {
    std::string name = column_ref_name(v);
    return name == "*" ? std::string() : name;
  }
  if (type == "FuncCall") {
    std::vector<std::string> fn = string_list(v, "funcname");
    return fn.empty() ? std::string() : fn.back();
  }
  return {};
}

// A view's (or CREATE TABLE AS's) columns: its column list, then the query's select list (of
// the first branch of a UNION); the server refuses two of one name.
template <class E>
std::string view_column_named_twice(std::vector<std::string> names, E query) {
  auto [type, sel] = unwrap(query);
  if (type != "SelectStmt") return {};
  while (auto larg = field(sel, "larg")) sel = *larg;
  const size_t listed = names.size();
  size_t i = 0;
  each(sel, "targetList", [&](E t) {
    auto [tt, rt] = unwrap(t);
    if (tt != "ResTarget") return;
    if (i++ < listed) return;  // the column list names it
    std::string name(text_of(rt, "name"));
    if (name.empty())
      if (auto val = field(rt, "val")) name = derived_column_name(*val);
    names.push_back(std::move(name));
  });
  return first_repeat(names);
}

template <class E>
void view_reads(E query, Operation& op) {
  std::vector<std::string> ctes;
  collect_reads(query, op, ctes);
  std::erase_if(op.reads, [&](const QualifiedName& r) {
    return r.schema.empty() && std::find(ctes.begin(), ctes.end(), r.name) != ctes.end();
  });
}

template <class E>
ExprInfo expr_info(E expr) {
  ExprInfo info;
  info.present = true;
  if (auto [type, node] = unwrap(expr); type == "ColumnRef") {
    std::vector<std::string> names;
    each(node, "fields", [&](E f) {
      auto [ft, fv] = unwrap(f);
      names.push_back(ft == "String" ? std::string(text_of(fv, "sval")) : std::string("*"));
    });
    if (names.size() == 1) info.column_ref = names.front();
  }
  auto [type, v] = unwrap(expr);
  if (type == "A_Const" && flag(v, "isnull")) info.is_null = true;
  collect_calls(expr, info);
  return info;
}

// CHECK (col IS NOT NULL) proves the column never holds NULL once validated.
template <class E>
std::string not_null_check_column(E raw_expr) {
  auto [type, v] = unwrap(raw_expr);
  if (type != "NullTest" || text_of(v, "nulltesttype") != "IS_NOT_NULL") return {};
  auto arg = field(v, "arg");
  if (!arg) return {};
  auto [at, av] = unwrap(*arg);
  if (at != "ColumnRef") return {};
  std::vector<std::string> f = string_list(av, "fields");
  return f.size() == 1 ? f[0] : std::string();
}

inline ConstraintKind constraint_kind(std::string_view contype) {
  if (contype == "CONSTR_CHECK") return ConstraintKind::check;
  if (contype == "CONSTR_FOREIGN") return ConstraintKind::foreign_key;
  if (contype == "CONSTR_UNIQUE") return ConstraintKind::unique;
  if (contype == "CONSTR_PRIMARY") return ConstraintKind::primary_key;
  if (contype == "CONSTR_EXCLUSION") return ConstraintKind::exclusion;
  if (contype == "CONSTR_NOTNULL") return ConstraintKind::not_null;
  return ConstraintKind::other;
}

// The expression of the CHECK at or after `from` in a statement's text, as written: the parse
// tree has only where the constraint starts. Quoted text and names may hold parentheses.
inline std::string check_group(std::string_view text, size_t from) {
  auto word_at = [&](size_t i) {
    if (i + 5 > text.size()) return false;
    for (size_t k = 0; k < 5; ++k)
      if (ascii_lower(text[i + k]) != "check"[k]) return false;
    bool before =
        i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_');
    bool after = i + 5 == text.size() ||
                 !(std::isalnum(static_cast<unsigned char>(text[i + 5])) || text[i + 5] == '_');
    return before && after;
  };
  size_t i = from;
  while (i < text.size() && !word_at(i)) {
    if (text[i] == '\'' || text[i] == '"') {
      size_t close = text.find(text[i], i + 1);
      if (close == std::string_view::npos) return {};
      i = close;
    }
    ++i;
  }
  i = text.find('(', i);
  if (i == std::string_view::npos) return {};
  int depth = 0;
  for (size_t k = i; k < text.size(); ++k) {
    char c = text[k];
    if (c == '\'' || c == '"') {
      size_t close = text.find(c, k + 1);
      if (close == std::string_view::npos) return {};
      k = close;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return std::string(text.substr(i + 1, k - i - 1));
    }
  }
  return {};
}

template <class E>
ConstraintSpec constraint_spec(E c) {
  ConstraintSpec s;
  s.kind = constraint_kind(text_of(c, "contype"));
  s.name = text_of(c, "conname");
  s.not_valid = flag(c, "skip_validation");
  s.using_index = text_of(c, "indexname");
  if (s.kind == ConstraintKind::foreign_key) {
    s.columns = string_list(c, "fk_attrs");
    if (auto pk = field(c, "pktable")) s.references.table = range_var(*pk);
    s.references.columns = string_list(c, "pk_attrs");
  } else {
    s.columns = string_list(c, "keys");
  }
  if (s.kind == ConstraintKind::check) {
    if (auto e = field(c, "raw_expr")) s.not_null_check_column = not_null_check_column(*e);
  }
  return s;
}

// The text of a column's DEFAULT expression, from just after the keyword at `from` to the end
// of the expression: a comma, a closing parenthesis or a semicolon at its own depth, or the next
// column constraint's keyword.
inline std::string default_text(std::string_view text, size_t from) {
  static constexpr std::string_view kStops[] = {
      "not",        "null",    "check",     "references", "unique",     "primary",
      "constraint", "collate", "generated", "default",    "deferrable", "initially",
  };
  size_t i = from;
  auto word_end = [&](size_t k) {
    while (k < text.size() && (std::isalnum(static_cast<unsigned char>(text[k])) || text[k] == '_'))
      ++k;
    return k;
  };
  i = word_end(i);  // DEFAULT itself
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const size_t begin = i;
  int depth = 0;
  bool any = false;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\'' || c == '"') {
      size_t close = text.find(c, i + 1);
      if (close == std::string_view::npos) return {};
      i = close + 1;
      any = true;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && depth-- == 0) break;
    if (depth == 0 && (c == ',' || c == ';')) break;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = word_end(i);
      std::string w(text.substr(i, end - i));
      for (auto& ch : w) ch = ascii_lower(ch);
      if (depth == 0 && any &&
          std::find(std::begin(kStops), std::end(kStops), w) != std::end(kStops))
        break;
      i = end;
      any = true;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) any = true;
    ++i;
  }
  return std::string(trim_space(text.substr(begin, i - begin)));
}

template <class E>
ColumnSpec column_spec(E cd, const PgNodeContext* ctx = nullptr, const Statement* st = nullptr) {
  ColumnSpec col;
  col.name = text_of(cd, "colname");
  if (auto tn = field(cd, "typeName")) col.type = type_name(*tn, &col.serial);
  if (auto coll = field(cd, "collClause")) {
    std::vector<std::string> n = string_list(*coll, "collname");
    if (!n.empty()) col.collation = n.back();
  }
  each(cd, "constraints", [&](E w) {
    auto [type, c] = unwrap(w);
    if (type != "Constraint") return;
    std::string_view ct = text_of(c, "contype");
    if (ct == "CONSTR_NOTNULL") {
      col.not_null = true;
    } else if (ct == "CONSTR_DEFAULT") {
      if (auto e = field(c, "raw_expr")) col.default_expr = expr_info(*e);
      int64_t at = integer(c, "location", -1);
      const size_t in_file = ctx ? ctx->base + static_cast<size_t>(std::max<int64_t>(at, 0)) : 0;
      if (ctx && st && at >= 0 && in_file >= st->span.begin &&
          in_file - st->span.begin < st->text.size())
        col.default_expr.text = default_text(st->text, in_file - st->span.begin);
    } else if (ct == "CONSTR_IDENTITY") {
      col.generated = Generated::identity;
    } else if (ct == "CONSTR_GENERATED") {
      col.generated = Generated::stored;
    } else if (ct == "CONSTR_CHECK") {
      col.has_check = true;
    } else if (ct == "CONSTR_PRIMARY") {
      col.primary_key = true;
      col.not_null = true;
    } else if (ct == "CONSTR_UNIQUE") {
      col.unique = true;
    } else if (ct == "CONSTR_FOREIGN") {
      ForeignKeyRef ref;
      if (auto pk = field(c, "pktable")) ref.table = range_var(*pk);
      ref.columns = string_list(c, "pk_attrs");
      col.references = std::move(ref);
    }
  });
  return col;
}

inline Operation base_op(OpKind kind, const PgNodeContext& ctx) {
  Operation op;
  op.kind = kind;
  op.location = ctx.stmt_location;
  return op;
}

template <class E>
void create_table(E n, const PgNodeContext& ctx, Statement& out) {
  Operation op = base_op(OpKind::create_table, ctx);
  if (auto rel = field(n, "relation")) {
    op.table = range_var(*rel);
    op.temporary = text_of(*rel, "relpersistence") == "t";
  }
  op.if_not_exists = flag(n, "if_not_exists");
  op.partitioned = has(n, "partspec");
  op.access_method = text_of(n, "accessMethod");
  if (auto bound = field(n, "partbound")) {
    (void)bound;
    std::vector<QualifiedName> parents;
    each(n, "inhRelations", [&](E w) {
      auto [type, rv] = unwrap(w);
      if (type == "RangeVar") parents.push_back(range_var(rv));
    });
    if (!parents.empty()) {
      op.detail = "partition of " + parents.front().display();
      op.partition_of = parents.front();
    }
  }
  each(n, "tableElts", [&](E w) {
    auto [type, v] = unwrap(w);
    if (type == "ColumnDef") op.columns.push_back(column_spec(v, &ctx, &out));
    if (type == "Constraint") {
      // PostgreSQL validates a constraint made with its table (the table is empty) even when it
      // is written NOT VALID.
      op.table_constraints.push_back(constraint_spec(v));
      op.table_constraints.back().not_valid = false;
    }
  });
  std::vector<std::string> names;
  for (const auto& c : op.columns) names.push_back(c.name);
  op.named_twice = first_repeat(names);
  out.ops.push_back(std::move(op));
}

struct AlterSubtype {
  std::string_view subtype;
  OpKind kind;
};
inline constexpr AlterSubtype kAlterSubtypes[] = {
    {"AT_AddColumn", OpKind::add_column},
    {"AT_AddColumnToView", OpKind::add_column},
    {"AT_DropColumn", OpKind::drop_column},
    {"AT_AlterColumnType", OpKind::alter_column_type},
    {"AT_SetNotNull", OpKind::set_not_null},
    {"AT_DropNotNull", OpKind::drop_not_null},
    {"AT_AddConstraint", OpKind::add_constraint},
    {"AT_ValidateConstraint", OpKind::validate_constraint},
    {"AT_DropConstraint", OpKind::drop_constraint},
    {"AT_SetLogged", OpKind::set_logged},
    {"AT_SetUnLogged", OpKind::set_unlogged},
    {"AT_SetTableSpace", OpKind::set_tablespace},
    {"AT_SetAccessMethod", OpKind::set_access_method},
    {"AT_AttachPartition", OpKind::attach_partition},
    {"AT_DetachPartition", OpKind::detach_partition},
    {"AT_DetachPartitionFinalize", OpKind::detach_partition},
    {"AT_EnableTrig", OpKind::enable_disable_trigger},
    {"AT_EnableAlwaysTrig", OpKind::enable_disable_trigger},
    {"AT_EnableReplicaTrig", OpKind::enable_disable_trigger},
    {"AT_EnableTrigAll", OpKind::enable_disable_trigger},
    {"AT_EnableTrigUser", OpKind::enable_disable_trigger},
    {"AT_DisableTrig", OpKind::enable_disable_trigger},
    {"AT_DisableTrigAll", OpKind::enable_disable_trigger},
    {"AT_DisableTrigUser", OpKind::enable_disable_trigger},
};

template <class E>
void alter_table_cmd(E cmd, const QualifiedName& table, const PgNodeContext& ctx, Statement& out) {
  std::string_view subtype = text_of(cmd, "subtype");
  Operation op = base_op(OpKind::alter_table_other, ctx);
  for (const auto& s : kAlterSubtypes)
    if (s.subtype == subtype) op.kind = s.kind;
  if (subtype == "AT_ColumnDefault")
    op.kind = has(cmd, "def") ? OpKind::set_default : OpKind::drop_default;
  op.table = table;
  op.detail = subtype;
  op.if_exists = flag(cmd, "missing_ok");
  op.cascade = text_of(cmd, "behavior") == "DROP_CASCADE";
  std::string_view name = text_of(cmd, "name");
  auto def = field(cmd, "def");
  auto [def_type, def_node] = def ? unwrap(*def) : std::pair<std::string_view, E>{};
  if ((subtype == "AT_SetRelOptions" || subtype == "AT_ResetRelOptions") && def_type == "List") {
    // The storage parameters by name: they decide the lock.
    each(def_node, "items", [&](E w) {
      auto [type, d] = unwrap(w);
      if (type != "DefElem") return;
      if (!op.value.empty()) op.value += ',';
      std::string_view space = text_of(d, "defnamespace");
      if (!space.empty()) op.value.append(space).append(".");
      op.value += text_of(d, "defname");
    });
  }

  switch (op.kind) {
    case OpKind::add_column:
      if (def_type == "ColumnDef") {
        op.column_spec = column_spec(def_node, &ctx, &out);
        op.column = op.column_spec->name;
        op.location = loc(def_node, ctx);
      }
      op.if_not_exists = op.if_exists;
      op.if_exists = false;
      break;
    case OpKind::alter_column_type:
      op.column = name;
      if (def_type == "ColumnDef") {
        if (auto tn = field(def_node, "typeName")) op.new_type = type_name(*tn);
        if (auto u = field(def_node, "raw_default")) op.using_expr = expr_info(*u);
        if (auto coll = field(def_node, "collClause")) {
          std::vector<std::string> n = string_list(*coll, "collname");
          if (!n.empty()) op.collation = n.back();
        }
        op.location = loc(def_node, ctx);
      }
      break;
    case OpKind::add_constraint:
      if (def_type == "Constraint") {
        op.constraint = constraint_spec(def_node);
        op.object = op.constraint->name;
        op.location = loc(def_node, ctx);
        if (op.constraint->kind == ConstraintKind::check && op.location >= out.span.begin)
          op.constraint->check_expr = check_group(out.text, op.location - out.span.begin);
      }
      break;
    case OpKind::set_default:
      op.column = name;
      if (def) op.using_expr = expr_info(*def);
      break;
    case OpKind::attach_partition:
    case OpKind::detach_partition:
      if (def_type == "PartitionCmd") {
        if (auto rel = field(def_node, "name")) op.object = range_var(*rel).display();
        op.concurrently = flag(def_node, "concurrent");
      }
      if (subtype == "AT_DetachPartitionFinalize") op.value = "finalize";
      break;
    case OpKind::validate_constraint:
    case OpKind::drop_constraint:
    case OpKind::enable_disable_trigger:
    case OpKind::set_tablespace:
    case OpKind::set_access_method:
      op.object = name;
      break;
    default:
      op.column = name;
      break;
  }
  out.ops.push_back(std::move(op));
}

template <class E>
void alter_table(E n, const PgNodeContext& ctx, Statement& out) {
  QualifiedName table;
  if (auto rel = field(n, "relation")) table = range_var(*rel);
  std::string_view objtype = text_of(n, "objtype");
  bool table_like = objtype.empty() || objtype == "OBJECT_TABLE" ||
                    objtype == "OBJECT_FOREIGN_TABLE" || objtype == "OBJECT_MATVIEW";
  if (!table_like) {
    Operation op = base_op(OpKind::other, ctx);
    op.table = table;
    op.detail = objtype;
    out.ops.push_back(std::move(op));
    return;
  }
  each(n, "cmds", [&](E w) {
    auto [type, cmd] = unwrap(w);
    if (type == "AlterTableCmd") alter_table_cmd(cmd, table, ctx, out);
  });
}

template <class E>
void create_index(E n, const PgNodeContext& ctx, Statement& out) {
  Operation op = base_op(OpKind::create_index, ctx);
  if (auto rel = field(n, "relation")) op.table = range_var(*rel);
  IndexSpec idx;
  idx.name = text_of(n, "idxname");
  idx.method = text_of(n, "accessMethod");
  idx.unique = flag(n, "unique");
  idx.partial = has(n, "whereClause");
  each(n, "indexParams", [&](E w) {
    auto [type, e] = unwrap(w);
    if (type != "IndexElem") return;
    std::string_view col = text_of(e, "name");
    idx.columns.push_back(col.empty() ? std::string("(expression)") : std::string(col));
  });
  op.object = idx.name;
  op.index = std::move(idx);
  op.concurrently = flag(n, "concurrent");
  op.if_not_exists = flag(n, "if_not_exists");
  out.ops.push_back(std::move(op));
}

inline OpKind drop_kind(std::string_view remove_type) {
  if (remove_type == "OBJECT_TABLE" || remove_type == "OBJECT_FOREIGN_TABLE")
    return OpKind::drop_table;
  if (remove_type == "OBJECT_INDEX") return OpKind::drop_index;
  if (remove_type == "OBJECT_VIEW" || remove_type == "OBJECT_MATVIEW") return OpKind::drop_view;
  if (remove_type == "OBJECT_SCHEMA") return OpKind::drop_schema;
  return OpKind::drop_other;
}

// Objects that belong to a table and are named "name ON table".
inline bool on_table(std::string_view object_type) {
  return object_type == "OBJECT_TRIGGER" || object_type == "OBJECT_RULE" ||
         object_type == "OBJECT_POLICY" || object_type == "OBJECT_TABCONSTRAINT";
}

// COMMENT ON a table, one of its columns, constraints or triggers: the table it locks.
template <class E>
void comment_target(E n, Operation& op) {
  std::string_view objtype = text_of(n, "objtype");
  auto obj = field(n, "object");
  if (!obj) return;
  auto [type, v] = unwrap(*obj);
  if (type != "List") return;
  std::vector<std::string> parts = string_list(v, "items");
  if (objtype == "OBJECT_TABLE" || objtype == "OBJECT_VIEW" || objtype == "OBJECT_MATVIEW" ||
      objtype == "OBJECT_FOREIGN_TABLE") {
    op.table = name_from_list(parts);
  } else if ((objtype == "OBJECT_COLUMN" || on_table(objtype)) && parts.size() > 1) {
    op.object = parts.back();
    parts.pop_back();
    op.table = name_from_list(parts);
  }
  op.value = objtype;
}

// Every op of one DROP or TRUNCATE learns the relations named beside it.
inline void name_together(Statement& out, size_t first) {
  if (out.ops.size() - first < 2) return;
  std::vector<QualifiedName> names;
  for (size_t i = first; i < out.ops.size(); ++i) names.push_back(out.ops[i].table);
  for (size_t i = first; i < out.ops.size(); ++i) out.ops[i].together = names;
}

template <class E>
void drop(E n, const PgNodeContext& ctx, Statement& out) {
  const size_t first = out.ops.size();
  std::string_view remove_type = text_of(n, "removeType");
  OpKind kind = drop_kind(remove_type);
  each(n, "objects", [&](E w) {
    Operation op = base_op(kind, ctx);
    op.detail = remove_type;
    op.if_exists = flag(n, "missing_ok");
    op.cascade = text_of(n, "behavior") == "DROP_CASCADE";
    op.concurrently = flag(n, "concurrent");
    auto [type, v] = unwrap(w);
    QualifiedName name;
    if (type == "List")
      name = name_from_list(string_list(v, "items"));
    else if (type == "String")
      name = {"", std::string(text_of(v, "sval"))};
    else if (type == "TypeName")  // DROP TYPE / DOMAIN
      name = name_from_list(string_list(v, "names"));
    else if (type == "ObjectWithArgs")  // DROP FUNCTION / PROCEDURE
      name = name_from_list(string_list(v, "objname"));
    if (kind == OpKind::drop_index) {
      op.object = name.name;
      op.table = {name.schema, ""};  // the table is looked up in the schema model
    } else if (type == "List" && on_table(remove_type)) {
      // DROP TRIGGER / RULE / POLICY name ON table: the list is the table's name, then its own.
      std::vector<std::string> parts = string_list(v, "items");
      op.object = parts.back();
      parts.pop_back();
      op.table = name_from_list(parts);
    } else if (kind == OpKind::drop_schema || kind == OpKind::drop_other) {
      op.object = name.display();
    } else {
      op.table = name;
    }
    out.ops.push_back(std::move(op));
  });
  name_together(out, first);
}

template <class E>
void rename(E n, const PgNodeContext& ctx, Statement& out) {
  std::string_view rt = text_of(n, "renameType");
  Operation op = base_op(OpKind::other, ctx);
  if (auto rel = field(n, "relation")) op.table = range_var(*rel);
  op.new_name = text_of(n, "newname");
  op.detail = rt;
  // IF EXISTS names the relation: it guards a table's or an index's own rename, not a column's.
  if (rt == "OBJECT_TABLE" || rt == "OBJECT_INDEX" || rt == "OBJECT_VIEW" ||
      rt == "OBJECT_SEQUENCE")
    op.if_exists = flag(n, "missing_ok");
  if (rt == "OBJECT_COLUMN") {
    op.kind = OpKind::rename_column;
    op.column = text_of(n, "subname");
  } else if (rt == "OBJECT_TABLE") {
    op.kind = OpKind::rename_table;
  } else if (rt == "OBJECT_INDEX") {
    op.kind = OpKind::rename_index;
    op.object = op.table.name;
    op.table = {op.table.schema, ""};
  } else if (rt == "OBJECT_TABCONSTRAINT") {
    op.kind = OpKind::rename_constraint;
    op.object = text_of(n, "subname");
  } else if (rt == "OBJECT_SCHEMA") {
    op.kind = OpKind::rename_schema;
    op.object = text_of(n, "subname");
  }
  out.ops.push_back(std::move(op));
}

template <class E>
void transaction(E n, const PgNodeContext& ctx, Statement& out) {
  std::string_view kind = text_of(n, "kind");
  OpKind k = OpKind::other;
  if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START")
    k = OpKind::begin;
  else if (kind == "TRANS_STMT_COMMIT")
    k = OpKind::commit;
  else if (kind == "TRANS_STMT_ROLLBACK")
    k = OpKind::rollback;
  else if (kind.starts_with("TRANS_STMT_SAVEPOINT") || kind.starts_with("TRANS_STMT_RELEASE") ||
           kind == "TRANS_STMT_ROLLBACK_TO")
    k = OpKind::savepoint;
  Operation op = base_op(k, ctx);
  op.detail = kind;
  out.ops.push_back(std::move(op));
}

template <class E>
std::string const_text(E w) {
  auto [type, v] = unwrap(w);
  if (type != "A_Const") return {};
  if (auto s = field(v, "sval")) return std::string(text_of(*s, "sval"));
  if (auto i = field(v, "ival")) return std::to_string(integer(*i, "ival"));
  if (auto f = field(v, "fval")) return std::string(text_of(*f, "fval"));
  return {};
}

template <class E>
void variable_set(E n, const PgNodeContext& ctx, Statement& out) {
  std::string_view kind = text_of(n, "kind");
  bool reset = kind == "VAR_RESET" || kind == "VAR_RESET_ALL" || kind == "VAR_SET_DEFAULT";
  Operation op = base_op(reset ? OpKind::reset_setting : OpKind::set_setting, ctx);
  op.object = kind == "VAR_RESET_ALL" ? "all" : std::string(text_of(n, "name"));
  op.local = flag(n, "is_local");
  each(n, "args", [&](E a) {
    if (op.value.empty()) op.value = const_text(a);
  });
  out.ops.push_back(std::move(op));
}

// SELECT set_config('name', 'value', is_local) changes a setting like SET does.
template <class E>
void select(E n, const PgNodeContext& ctx, Statement& out) {
  Operation op = base_op(OpKind::select, ctx);
  ExprInfo called;
  if (auto targets = field(n, "targetList")) collect_calls(*targets, called);
  op.calls = std::move(called.functions);
  each(n, "targetList", [&](E w) {
    auto [type, rt] = unwrap(w);
    auto val = field(rt, "val");
    if (type != "ResTarget" || !val) return;
    auto [vt, fc] = unwrap(*val);
    if (vt != "FuncCall") return;
    std::vector<std::string> fn = string_list(fc, "funcname");
    if (fn.empty() || fn.back() != "set_config") return;
    std::vector<std::string> args;
    each(fc, "args", [&](E a) { args.push_back(const_text(a)); });
    if (args.size() < 2 || args[0].empty()) return;
    op.kind = OpKind::set_setting;
    op.object = args[0];
    op.value = args[1];
    bool is_local = false;
    int i = 0;
    each(fc, "args", [&](E a) {
      if (i++ != 2) return;
      auto [at, av] = unwrap(a);
      if (at == "A_Const") {
        if (auto b = field(av, "boolval")) is_local = flag(*b, "boolval");
      }
    });
    op.local = is_local;
  });
  out.ops.push_back(std::move(op));
}

inline constexpr std::string_view kLockModes[] = {
    "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
    "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};

template <class E>
void lock(E n, const PgNodeContext& ctx, Statement& out) {
  int64_t mode = integer(n, "mode", 8);
  if (mode < 1 || mode > 8) mode = 8;
  each(n, "relations", [&](E w) {
    auto [type, rv] = unwrap(w);
    if (type != "RangeVar") return;
    Operation op = base_op(OpKind::lock_table, ctx);
    op.table = range_var(rv);
    op.value = kLockModes[mode];
    op.detail = flag(n, "nowait") ? "nowait" : "";
    out.ops.push_back(std::move(op));
  });
}

template <class E>
bool has_option(E n, const char* key, std::string_view option) {
  bool found = false;
  each(n, key, [&](E w) {
    auto [type, d] = unwrap(w);
    if (type == "DefElem" && text_of(d, "defname") == option) {
      // An explicit false (FULL false) switches the option off.
      auto arg = field(d, "arg");
      found = true;
      if (arg) {
        auto [at, av] = unwrap(*arg);
        if (at == "String" && (text_of(av, "sval") == "false" || text_of(av, "sval") == "off"))
          found = false;
        if (at == "Integer" && integer(av, "ival") == 0) found = false;
      }
    }
  });
  return found;
}

template <class E>
void vacuum(E n, const PgNodeContext& ctx, Statement& out) {
  bool is_vacuum = flag(n, "is_vacuumcmd");
  bool full = has_option(n, "options", "full");
  bool any = false;
  each(n, "rels", [&](E w) {
    auto [type, vr] = unwrap(w);
    auto rel = field(vr, "relation");
    if (type != "VacuumRelation" || !rel) return;
    Operation op = base_op(is_vacuum ? OpKind::vacuum : OpKind::analyze, ctx);
    op.table = range_var(*rel);
    op.full = full;
    out.ops.push_back(std::move(op));
    any = true;
  });
  if (!any) {
    Operation op = base_op(is_vacuum ? OpKind::vacuum : OpKind::analyze, ctx);
    op.full = full;
    op.detail = "database";
    out.ops.push_back(std::move(op));
  }
}

template <class E>
void reindex(E n, const PgNodeContext& ctx, Statement& out) {
  Operation op = base_op(OpKind::reindex, ctx);
  std::string_view kind = text_of(n, "kind");
  op.detail = kind;
  op.concurrently = has_option(n, "params", "concurrently");
  if (auto rel = field(n, "relation")) {
    if (kind == "REINDEX_OBJECT_INDEX") {
      QualifiedName idx = range_var(*rel);
      op.object = idx.name;
      op.table = {idx.schema, ""};
    } else {
      op.table = range_var(*rel);
    }
  } else {
    op.object = text_of(n, "name");
  }
  out.ops.push_back(std::move(op));
}

template <class E>
void simple_relation_op(OpKind kind, const char* rel_key, E n, const PgNodeContext& ctx,
                        Statement& out) {
  Operation op = base_op(kind, ctx);
  if (auto rel = field(n, rel_key)) op.table = range_var(*rel);
  out.ops.push_back(std::move(op));
}

template <class E>
void dml(OpKind kind, E n, const PgNodeContext& ctx, Statement& out) {
  Operation op = base_op(kind, ctx);
  if (auto rel = field(n, "relation")) op.table = range_var(*rel);
  op.has_where = has(n, "whereClause");
  if (kind == OpKind::insert) op.named_twice = target_named_twice(n, "cols");
  if (kind == OpKind::update) op.named_twice = target_named_twice(n, "targetList");
  if (kind == OpKind::insert) {
    op.skips_existing = has(n, "onConflictClause");
    if (auto sel = field(n, "selectStmt")) {
      auto [type, s] = unwrap(*sel);
      op.from_select = type == "SelectStmt" && !has(s, "valuesLists");
    }
  }
  out.ops.push_back(std::move(op));
}

// WITH d AS (DELETE ... RETURNING ...) INSERT ...: the data changes a WITH clause makes are
// operations of the statement as much as its own.
template <class E>
void cte_changes(E n, const PgNodeContext& ctx, Statement& out) {
  auto with = field(n, "withClause");
  if (!with) return;
  auto [wt, w] = unwrap(*with);
  if (wt != "WithClause") w = *with;
  each(w, "ctes", [&](E c) {
    auto [ct, cte] = unwrap(c);
    auto query = field(cte, "ctequery");
    if (ct != "CommonTableExpr" || !query) return;
    auto [qt, q] = unwrap(*query);
    if (qt == "UpdateStmt") dml(OpKind::update, q, ctx, out);
    if (qt == "DeleteStmt") dml(OpKind::delete_rows, q, ctx, out);
    if (qt == "InsertStmt") dml(OpKind::insert, q, ctx, out);
    if (qt == "UpdateStmt" || qt == "DeleteStmt" || qt == "InsertStmt") cte_changes(q, ctx, out);
  });
}

template <class E>
void translate_statement(E stmt, const PgNodeContext& ctx, Statement& out) {
  auto [type, n] = unwrap(stmt);
  out.node = type;
  if (type == "SelectStmt" || type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt")
    cte_changes(n, ctx, out);
  if (type == "CreateStmt") return create_table(n, ctx, out);
  if (type == "AlterTableStmt") return alter_table(n, ctx, out);
  if (type == "IndexStmt") return create_index(n, ctx, out);
  if (type == "DropStmt") return drop(n, ctx, out);
  if (type == "RenameStmt") return rename(n, ctx, out);
  if (type == "TransactionStmt") return transaction(n, ctx, out);
  if (type == "VariableSetStmt") return variable_set(n, ctx, out);
  if (type == "SelectStmt") return select(n, ctx, out);
  if (type == "LockStmt") return lock(n, ctx, out);
  if (type == "VacuumStmt") return vacuum(n, ctx, out);
  if (type == "ReindexStmt") return reindex(n, ctx, out);
  if (type == "UpdateStmt") return dml(OpKind::update, n, ctx, out);
  if (type == "DeleteStmt") return dml(OpKind::delete_rows, n, ctx, out);
  if (type == "InsertStmt") return dml(OpKind::insert, n, ctx, out);
  if (type == "ClusterStmt") return simple_relation_op(OpKind::cluster, "relation", n, ctx, out);
  if (type == "CreateTrigStmt") {
    simple_relation_op(OpKind::create_trigger, "relation", n, ctx, out);
    out.ops.back().object = text_of(n, "trigname");
    out.ops.back().or_replace = flag(n, "replace");
    return;
  }
  if (type == "ViewStmt") {
    simple_relation_op(OpKind::create_view, "view", n, ctx, out);
    out.ops.back().or_replace = flag(n, "replace");
    if (auto q = field(n, "query")) {
      view_reads(*q, out.ops.back());
      out.ops.back().named_twice = view_column_named_twice(string_list(n, "aliases"), *q);
    }
    return;
  }
  if (type == "CreateSeqStmt" || type == "CreateSchemaStmt" || type == "CreateExtensionStmt") {
    Operation op = base_op(type == "CreateSeqStmt"      ? OpKind::create_sequence
                           : type == "CreateSchemaStmt" ? OpKind::create_schema
                                                        : OpKind::create_extension,
                           ctx);
    if (auto rel = field(n, "sequence")) op.object = range_var(*rel).display();
    if (type == "CreateSchemaStmt") op.object = text_of(n, "schemaname");
    if (type == "CreateExtensionStmt") op.object = text_of(n, "extname");
    op.if_not_exists = flag(n, "if_not_exists");
    op.detail = type;
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "RefreshMatViewStmt") {
    simple_relation_op(OpKind::refresh_matview, "relation", n, ctx, out);
    out.ops.back().concurrently = flag(n, "concurrent");
    return;
  }
  if (type == "TruncateStmt") {
    const size_t first = out.ops.size();
    bool cascade = text_of(n, "behavior") == "DROP_CASCADE";
    each(n, "relations", [&](E w) {
      auto [t, rv] = unwrap(w);
      if (t != "RangeVar") return;
      Operation op = base_op(OpKind::truncate, ctx);
      op.table = range_var(rv);
      op.cascade = cascade;
      out.ops.push_back(std::move(op));
    });
    name_together(out, first);
    return;
  }
  if (type == "CreateTableAsStmt") {
    Operation op = base_op(OpKind::create_table_as, ctx);
    if (auto into = field(n, "into"))
      if (auto rel = field(*into, "rel")) {
        op.table = range_var(*rel);
        op.temporary = text_of(*rel, "relpersistence") == "t";
      }
    op.detail = text_of(n, "objtype");
    op.if_not_exists = flag(n, "if_not_exists");
    if (auto q = field(n, "query")) {
      view_reads(*q, op);
      std::vector<std::string> names;
      if (auto into = field(n, "into")) names = string_list(*into, "colNames");
      op.named_twice = view_column_named_twice(std::move(names), *q);
    }
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "DropdbStmt") {
    Operation op = base_op(OpKind::drop_database, ctx);
    op.object = text_of(n, "dbname");
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "AlterEnumStmt") {
    Operation op = base_op(OpKind::add_enum_value, ctx);
    op.object = name_from_list(string_list(n, "typeName")).display();
    op.value = text_of(n, "newVal");
    op.if_not_exists = flag(n, "skipIfNewValExists");
    if (has(n, "oldVal")) {
      op.kind = OpKind::rename_enum_value;
      op.detail = text_of(n, "oldVal");
    } else if (op.value.empty()) {
      op.kind = OpKind::other;
    }
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "DoStmt") {
    Operation op = base_op(OpKind::do_block, ctx);
    op.detail = "plpgsql";
    each(n, "args", [&](E w) {
      auto [t, d] = unwrap(w);
      auto arg = field(d, "arg");
      if (t != "DefElem" || !arg) return;
      auto [at, av] = unwrap(*arg);
      if (at != "String") return;
      if (text_of(d, "defname") == "language") op.detail = text_of(av, "sval");
      if (text_of(d, "defname") == "as") op.value = text_of(av, "sval");
    });
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "CreateFunctionStmt") {
    Operation op = base_op(OpKind::create_function, ctx);
    op.object = name_from_list(string_list(n, "funcname")).name;
    op.or_replace = flag(n, "replace");
    each(n, "options", [&](E w) {
      auto [t, d] = unwrap(w);
      auto arg = field(d, "arg");
      if (t != "DefElem" || !arg) return;
      auto [at, av] = unwrap(*arg);
      if (text_of(d, "defname") == "language" && at == "String") op.detail = text_of(av, "sval");
      if (text_of(d, "defname") == "as" && at == "List") {
        std::vector<std::string> parts = string_list(av, "items");
        if (!parts.empty()) op.value = parts.front();
      }
    });
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "CallStmt") {
    Operation op = base_op(OpKind::other, ctx);
    op.detail = type;
    if (auto fc = field(n, "funccall")) {
      std::vector<std::string> fn = string_list(*fc, "funcname");
      if (!fn.empty()) op.calls.push_back(fn.back());
    }
    out.ops.push_back(std::move(op));
    return;
  }
  OpKind k = OpKind::other;
  if (type == "CreateDomainStmt" || type == "AlterDomainStmt") {
    bool create = type == "CreateDomainStmt";
    // C: ADD CONSTRAINT, O: SET NOT NULL; both check every value in use.
    std::string_view domain_change = create ? "" : text_of(n, "subtype");
    if (!create && domain_change != "C" && domain_change != "O") {
      Operation op = base_op(OpKind::other, ctx);
      op.detail = type;
      out.ops.push_back(std::move(op));
      return;
    }
    Operation op =
        base_op(create ? OpKind::create_domain : OpKind::alter_domain_add_constraint, ctx);
    op.object = name_from_list(string_list(n, create ? "domainname" : "typeName")).display();
    if (create) {
      each(n, "constraints", [&](E w) {
        auto [ct, c] = unwrap(w);
        std::string_view kind = text_of(c, "contype");
        if (ct == "Constraint" && (kind == "CONSTR_CHECK" || kind == "CONSTR_NOTNULL"))
          op.has_where = true;
      });
    } else if (auto def = field(n, "def")) {
      auto [ct, c] = unwrap(*def);
      if (ct == "Constraint") op.constraint = constraint_spec(c);
      op.has_where = true;
    }
    out.ops.push_back(std::move(op));
    return;
  }
  if (type == "CreateEnumStmt" || type == "CompositeTypeStmt" || type == "CreateRangeStmt")
    k = OpKind::create_type;
  else if (type == "CommentStmt")
    k = OpKind::comment;
  Operation op = base_op(k, ctx);
  op.detail = type;
  if (k == OpKind::comment) comment_target(n, op);
  if (k == OpKind::create_type) {
    if (auto rel = field(n, "typevar"))
      op.object = range_var(*rel).display();
    else
      op.object = name_from_list(string_list(n, "typeName")).display();
  }
  out.ops.push_back(std::move(op));
}

}  // namespace migsafe::pg_translate
