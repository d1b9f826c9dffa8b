#include <re2/re2.h>

#include <algorithm>

#include "migsafe/rules.hpp"

namespace migsafe {
namespace {

std::string name_field(std::string_view field, const EvalInput& in) {
  if (field == "table")
    return in.effect.table.name.empty() ? in.op.table.name : in.effect.table.name;
  if (field == "column") return in.op.column_spec ? in.op.column_spec->name : in.op.column;
  if (field == "index") return in.op.index ? in.op.index->name : in.op.object;
  if (field == "constraint") return in.op.constraint ? in.op.constraint->name : in.op.object;
  return in.op.object;
}

bool table_scope_matches(TableScope scope, const EvalInput& in) {
  switch (scope) {
    case TableScope::any:
      return true;
    case TableScope::created_here:
      return in.facts.table_new;
    case TableScope::existing:
      return !in.facts.table_new;
  }
  return true;
}

// Everything but the operation's kind and the target version.
bool rest_matches(const Condition& c, const EvalInput& in) {
  if (!table_scope_matches(c.table, in)) return false;
  if (c.lock_at_least && in.effect.lock < *c.lock_at_least) return false;
  for (const auto& t : c.attrs)
    if (!value_test_matches(t, in)) return false;
  for (const auto& t : c.effects)
    if (!value_test_matches(t, in)) return false;
  for (const auto& n : c.names) {
    std::string v = name_field(n.field, in);
    if (v.empty() || re2::RE2::PartialMatch(v, *n.re) == n.negate) return false;
  }
  if (c.pattern && !re2::RE2::PartialMatch(in.normalized_text, *c.pattern)) return false;
  return true;
}

}  // namespace

bool condition_matches(const Condition& c, const EvalInput& in) {
  if (!c.kinds.empty() && std::find(c.kinds.begin(), c.kinds.end(), in.op.kind) == c.kinds.end())
    return false;
  if (!c.versions.contains(in.version)) return false;
  return rest_matches(c, in);
}

bool filed_condition_matches(const Condition& c, const EvalInput& in) {
  return rest_matches(c, in);
}

// Collapses whitespace and drops comments so team patterns match however the SQL is laid out.
std::string normalize_statement(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      while (i < text.size() && text[i] != '\n') ++i;
      space = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace migsafe
