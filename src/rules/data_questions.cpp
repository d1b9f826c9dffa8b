#include "data_questions.hpp"
#include "migsafe/ir.hpp"

#include "parse/mysql_lexer.hpp"

#include <cstdint>
#include <optional>

namespace migsafe {
namespace {

using K = DataQuestion::Kind;

struct Range {
  std::string min, max;
};

// The values an integer type holds, by its canonical name (PostgreSQL's int2/int4/int8, MySQL's
// tinyint ... bigint, "unsigned" included).
std::optional<Range> integer_range(const std::string& name) {
  bool is_unsigned = name.ends_with(" unsigned");
  std::string base = is_unsigned ? name.substr(0, name.size() - 9) : name;
  int bits = base == "int2" || base == "smallint"                   ? 16
             : base == "int4" || base == "int" || base == "integer" ? 32
             : base == "int8" || base == "bigint"                   ? 64
             : base == "tinyint"                                    ? 8
             : base == "mediumint"                                  ? 24
                                                                    : 0;
  if (bits == 0) return std::nullopt;
  if (is_unsigned) {
    uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    return Range{"0", std::to_string(max)};
  }
  int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  return Range{std::to_string(-max - 1), std::to_string(max)};
}

bool is_char_type(const std::string& n) {
  return n == "varchar" || n == "char" || n == "bpchar" || n == "character varying" ||
         n == "character";
}
// Text without a declared length, which a VARCHAR(n) may be too short for.
bool is_text_type(const std::string& n) {
  return n == "text" || n == "tinytext" || n == "mediumtext" || n == "longtext";
}

std::string quoted(Dialect d, const std::string& column) {
  if (d == Dialect::mysql || d == Dialect::mariadb) return mysql::quote_ident(column);
  return quote_sql_ident(column);
}

// A type change whose new type holds fewer values than the old: the rows that do not fit.
std::optional<DataQuestion> narrowing(Dialect d, const TableInfo& table, const std::string& column,
                                      const TypeRef& to) {
  const ColumnInfo* c = table.column(column);
  if (!c || to.array || c->type.array) return std::nullopt;
  const TypeRef& from = c->type;
  std::string col = quoted(d, c->name);
  DataQuestion q{K::violations, table.name, {c->name}, {}, {}, {}, {}};
  if (is_char_type(to.name) && to.mods.size() == 1 &&
      (is_text_type(from.name) ||
       (is_char_type(from.name) && (from.mods.empty() || from.mods[0] > to.mods[0])))) {
    std::string n = std::to_string(to.mods[0]);
    q.condition = "CHAR_LENGTH(" + col + ") > " + n;
    q.failing =
        "hold values longer than " + n + " characters, which " + to.display() + " cannot hold";
    return q;
  }
  auto old_range = integer_range(from.name), new_range = integer_range(to.name);
  if (old_range && new_range &&
      (old_range->min != new_range->min || old_range->max != new_range->max)) {
    q.condition = col + " NOT BETWEEN " + new_range->min + " AND " + new_range->max;
    q.failing = "hold values outside " + to.display() + "'s range (" + new_range->min + " to " +
                new_range->max + ")";
    return q;
  }
  return std::nullopt;
}

}  // namespace

std::vector<DataQuestion> data_questions(Dialect dialect, const Operation& op,
                                         const TableInfo& table) {
  std::vector<DataQuestion> out;
  // SQLite's snapshot runs the change itself on a copy of the rows: what they make fail, SQLite
  // rejects there, in its own words.
  if (dialect == Dialect::sqlite) return out;
  auto ask = [&](K kind, std::vector<std::string> cols) {
    for (const auto& c : cols)
      if (c.empty() || c.front() == '(') return;  // an expression: not a column
    if (!cols.empty()) out.push_back({kind, table.name, std::move(cols), {}, {}, {}, {}});
  };
  switch (op.kind) {
    case OpKind::set_not_null:
      ask(K::nulls, {op.column});
      break;
    case OpKind::alter_column_type:  // PostgreSQL: USING computes new values, not judged here
      if (op.new_type && !op.using_expr.present)
        if (auto q = narrowing(dialect, table, op.column, *op.new_type)) out.push_back(*q);
      break;
    case OpKind::modify_column:  // MySQL: NOT NULL on a column that allowed NULL, a narrower type
      if (!op.column_spec) break;
      if (op.column_spec->not_null)
        if (const ColumnInfo* c = table.column(op.column_spec->name); c && !c->not_null)
          ask(K::nulls, {op.column_spec->name});
      if (auto q = narrowing(dialect, table, op.column.empty() ? op.column_spec->name : op.column,
                             op.column_spec->type))
        out.push_back(*q);
      break;
    case OpKind::create_index:
      if (op.index && op.index->unique && !op.index->partial) ask(K::duplicates, op.index->columns);
      break;
    case OpKind::add_constraint: {
      if (!op.constraint || op.constraint->not_valid || !op.constraint->using_index.empty()) break;
      const ConstraintSpec& c = *op.constraint;
      if (c.kind == ConstraintKind::unique || c.kind == ConstraintKind::primary_key)
        ask(K::duplicates, c.columns);
      if (c.kind == ConstraintKind::primary_key) ask(K::nulls, c.columns);
      if (c.kind == ConstraintKind::foreign_key && !c.references.columns.empty() &&
          c.references.columns.size() == c.columns.size()) {
        ask(K::orphans, c.columns);
        if (!out.empty() && out.back().kind == K::orphans) {
          out.back().ref_table = c.references.table;
          out.back().ref_columns = c.references.columns;
        }
      }
      // A row breaks a CHECK when its expression is false (NULL passes, as the server judges).
      if (c.kind == ConstraintKind::check && !c.check_expr.empty()) {
        DataQuestion q{K::violations, table.name, {}, {}, {}, {}, {}};
        q.condition = "NOT (" + c.check_expr + ")";
        q.failing = "break CHECK (" + c.check_expr + ")";
        out.push_back(std::move(q));
      }
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace migsafe
