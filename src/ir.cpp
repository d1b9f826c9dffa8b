#include "migsafe/ir.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "migsafe/ascii.hpp"

namespace migsafe {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 69> kOpKindNames{{
    {OpKind::create_table, "create_table"},
    {OpKind::create_table_as, "create_table_as"},
    {OpKind::create_view, "create_view"},
    {OpKind::create_index, "create_index"},
    {OpKind::drop_index, "drop_index"},
    {OpKind::add_column, "add_column"},
    {OpKind::drop_column, "drop_column"},
    {OpKind::alter_column_type, "alter_column_type"},
    {OpKind::set_not_null, "set_not_null"},
    {OpKind::drop_not_null, "drop_not_null"},
    {OpKind::set_default, "set_default"},
    {OpKind::drop_default, "drop_default"},
    {OpKind::add_constraint, "add_constraint"},
    {OpKind::validate_constraint, "validate_constraint"},
    {OpKind::drop_constraint, "drop_constraint"},
    {OpKind::rename_column, "rename_column"},
    {OpKind::rename_table, "rename_table"},
    {OpKind::rename_index, "rename_index"},
    {OpKind::rename_constraint, "rename_constraint"},
    {OpKind::drop_table, "drop_table"},
    {OpKind::drop_view, "drop_view"},
    {OpKind::drop_schema, "drop_schema"},
    {OpKind::drop_database, "drop_database"},
    {OpKind::drop_other, "drop_other"},
    {OpKind::truncate, "truncate"},
    {OpKind::update, "update"},
    {OpKind::delete_rows, "delete"},
    {OpKind::insert, "insert"},
    {OpKind::select, "select"},
    {OpKind::set_setting, "set_setting"},
    {OpKind::reset_setting, "reset_setting"},
    {OpKind::begin, "begin"},
    {OpKind::commit, "commit"},
    {OpKind::rollback, "rollback"},
    {OpKind::savepoint, "savepoint"},
    {OpKind::lock_table, "lock_table"},
    {OpKind::vacuum, "vacuum"},
    {OpKind::analyze, "analyze"},
    {OpKind::cluster, "cluster"},
    {OpKind::reindex, "reindex"},
    {OpKind::refresh_matview, "refresh_matview"},
    {OpKind::set_logged, "set_logged"},
    {OpKind::set_unlogged, "set_unlogged"},
    {OpKind::set_tablespace, "set_tablespace"},
    {OpKind::set_access_method, "set_access_method"},
    {OpKind::attach_partition, "attach_partition"},
    {OpKind::detach_partition, "detach_partition"},
    {OpKind::create_trigger, "create_trigger"},
    {OpKind::enable_disable_trigger, "enable_disable_trigger"},
    {OpKind::add_enum_value, "add_enum_value"},
    {OpKind::rename_enum_value, "rename_enum_value"},
    {OpKind::rename_schema, "rename_schema"},
    {OpKind::create_type, "create_type"},
    {OpKind::create_domain, "create_domain"},
    {OpKind::alter_domain_add_constraint, "alter_domain_add_constraint"},
    {OpKind::create_extension, "create_extension"},
    {OpKind::create_sequence, "create_sequence"},
    {OpKind::create_schema, "create_schema"},
    {OpKind::create_function, "create_function"},
    {OpKind::do_block, "do_block"},
    {OpKind::comment, "comment"},
    {OpKind::alter_table_other, "alter_table_other"},
    {OpKind::meta_command, "meta_command"},
    {OpKind::modify_column, "modify_column"},
    {OpKind::convert_charset, "convert_charset"},
    {OpKind::table_options, "table_options"},
    {OpKind::partition_op, "partition_op"},
    {OpKind::optimize_table, "optimize_table"},
    {OpKind::other, "other"},
}};

// Indexed by kind: messages name the kinds that have no SQL words of their own.
constexpr auto kNameByKind = [] {
  std::array<std::string_view, static_cast<size_t>(OpKind::other) + 1> by_kind{};
  for (auto& n : by_kind) n = "other";
  for (const auto& [kind, name] : kOpKindNames) by_kind[static_cast<size_t>(kind)] = name;
  return by_kind;
}();

}  // namespace

QualifiedName partition_name(const Operation& op) {
  size_t dot = op.object.find('.');
  if (dot == std::string::npos) return {op.table.schema, op.object};
  return {op.object.substr(0, dot), op.object.substr(dot + 1)};
}

bool commits_implicitly(const Operation& op) {
  switch (op.kind) {
    case OpKind::create_table:
    case OpKind::create_table_as:
    case OpKind::drop_table:
      return !op.temporary;
    case OpKind::lock_table:
    case OpKind::create_view:
    case OpKind::create_index:
    case OpKind::drop_index:
    case OpKind::add_column:
    case OpKind::drop_column:
    case OpKind::modify_column:
    case OpKind::set_default:
    case OpKind::drop_default:
    case OpKind::add_constraint:
    case OpKind::drop_constraint:
    case OpKind::rename_column:
    case OpKind::rename_table:
    case OpKind::rename_index:
    case OpKind::drop_view:
    case OpKind::drop_database:
    case OpKind::drop_other:
    case OpKind::truncate:
    case OpKind::create_trigger:
    case OpKind::create_function:
    case OpKind::convert_charset:
    case OpKind::table_options:
    case OpKind::partition_op:
    case OpKind::optimize_table:
    case OpKind::alter_table_other:
    case OpKind::analyze:
      return true;
    default:
      return false;
  }
}

std::string_view op_kind_name(OpKind k) {
  const auto i = static_cast<size_t>(k);
  return i < kNameByKind.size() ? kNameByKind[i] : "other";
}

std::optional<OpKind> parse_op_kind(std::string_view s) {
  for (const auto& [kind, name] : kOpKindNames)
    if (name == s) return kind;
  return std::nullopt;
}

std::string_view dialect_name(Dialect d) {
  switch (d) {
    case Dialect::postgres:
      return "postgres";
    case Dialect::mysql:
      return "mysql";
    case Dialect::mariadb:
      return "mariadb";
    case Dialect::sqlite:
      return "sqlite";
  }
  return "postgres";
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string_view trim_space(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string quote_sql_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool same_engine(Dialect a, Dialect b) {
  auto family = [](Dialect d) { return d == Dialect::mariadb ? Dialect::mysql : d; };
  return family(a) == family(b);
}

std::string_view dialect_display(Dialect d) {
  switch (d) {
    case Dialect::postgres:
      return "PostgreSQL";
    case Dialect::mysql:
      return "MySQL";
    case Dialect::mariadb:
      return "MariaDB";
    case Dialect::sqlite:
      return "SQLite";
  }
  return "PostgreSQL";
}

std::optional<Dialect> parse_dialect(std::string_view s) {
  if (s == "postgres" || s == "postgresql" || s == "pg") return Dialect::postgres;
  if (s == "mysql") return Dialect::mysql;
  if (s == "mariadb") return Dialect::mariadb;
  if (s == "sqlite") return Dialect::sqlite;
  return std::nullopt;
}

std::string_view constraint_kind_name(ConstraintKind k) {
  switch (k) {
    case ConstraintKind::check:
      return "check";
    case ConstraintKind::foreign_key:
      return "foreign_key";
    case ConstraintKind::unique:
      return "unique";
    case ConstraintKind::primary_key:
      return "primary_key";
    case ConstraintKind::exclusion:
      return "exclusion";
    case ConstraintKind::not_null:
      return "not_null";
    case ConstraintKind::other:
      return "other";
  }
  return "other";
}

std::string TypeRef::display() const {
  // The names people write, not the catalog's internal ones.
  static constexpr std::pair<std::string_view, std::string_view> kSqlNames[] = {
      {"int2", "smallint"},           {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
      {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"},
  };
  std::string out = name;
  for (const auto& [internal, sql] : kSqlNames)
    if (name == internal) out = sql;
  if (!mods.empty()) {
    out += '(';
    for (size_t i = 0; i < mods.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(mods[i]);
    }
    out += ')';
  }
  if (array) out += "[]";
  return out;
}

}  // namespace migsafe
