// ALTER COLUMN ... TYPE: which changes PostgreSQL applies without rewriting the table.
#include <algorithm>
#include <array>

#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

bool in(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Types whose length / precision modifier only restricts values: widening it (or dropping it)
// leaves the stored bytes valid, so the support function reduces the cast to a relabel.
bool widening_is_free(std::string_view t) {
  return in(t, {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"});
}

int64_t mod(const TypeRef& t, size_t i, int64_t fallback) {
  return i < t.mods.size() ? t.mods[i] : fallback;
}

TypeChange no_rewrite(std::string reason) {
  return {false, std::move(reason)};
}
TypeChange rewrite(std::string reason) {
  return {true, std::move(reason)};
}

TypeChange same_type_change(const TypeRef& o, const TypeRef& n) {
  std::string from = o.display(), to = n.display();
  if (o.mods == n.mods) return no_rewrite(from + " is unchanged");
  if (n.name == "numeric") {
    if (n.mods.empty()) return no_rewrite("numeric without a limit accepts every " + from);
    if (o.mods.empty()) return rewrite("every value must be checked against " + to);
    if (mod(o, 1, 0) != mod(n, 1, 0)) return rewrite(from + " to " + to + " changes the scale");
    if (mod(n, 0, 0) >= mod(o, 0, 0))
      return no_rewrite(to + " widens the precision at the same scale");
    return rewrite(to + " is narrower than " + from);
  }
  if (widening_is_free(n.name)) {
    if (n.mods.empty()) return no_rewrite(to + " drops the limit");
    if (o.mods.empty()) return rewrite("every value must be checked against " + to);
    if (mod(n, 0, 0) >= mod(o, 0, 0)) return no_rewrite(to + " is wider than " + from);
    return rewrite(to + " is narrower than " + from);
  }
  return rewrite(from + " to " + to + " changes how values are stored");
}

}  // namespace

TypeChange classify_pg_type_change(const TypeRef* old_type, const TypeRef& n,
                                   const ExprInfo& using_expr, TargetVersion v, bool utc_session) {
  if (!old_type)
    return rewrite(
        "the column's current type is not known from these migrations, so a rewrite "
        "must be assumed");
  const TypeRef& o = *old_type;
  if (using_expr.present && !using_expr.functions.empty())
    return rewrite("the USING expression computes new values");
  if (o.array != n.array) return rewrite("the change adds or removes an array dimension");
  if (n.user_defined)
    return rewrite(n.display() + " is a domain or user-defined type: values are re-checked");
  if (o.name == n.name) return same_type_change(o, n);
  if (in(o.name, {"varchar", "text"}) && n.name == "text")
    return no_rewrite(o.display() + " to text is binary-coercible");
  if (o.name == "text" && n.name == "varchar")
    return n.mods.empty() ? no_rewrite("text to varchar without a limit is binary-coercible")
                          : rewrite("every value must be checked against " + n.display());
  if (o.name == "cidr" && n.name == "inet") return no_rewrite("cidr to inet is binary-coercible");
  if (in(o.name, {"timestamp", "timestamptz"}) && in(n.name, {"timestamp", "timestamptz"})) {
    if (v.major >= 12 && utc_session)
      return no_rewrite(o.display() + " to " + n.display() +
                        " keeps every value when the session TimeZone is UTC, as the migration "
                        "sets it");
    if (v.major >= 12)
      return rewrite(o.display() + " to " + n.display() +
                     " rewrites unless the session TimeZone is UTC");
    return rewrite(o.display() + " to " + n.display() + " rewrites on PostgreSQL 11");
  }
  return rewrite(o.display() + " to " + n.display() + " changes the storage format");
}

}  // namespace migsafe
