// Volatility of functions that appear in column defaults. Values are pg_proc.provolatile of the
// built-in functions; functions not listed count as volatile, as PostgreSQL assumes for a
// CREATE FUNCTION without a volatility clause.
#include <algorithm>
#include <array>

#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

struct FnVolatility {
  std::string_view name;
  Volatility v;
};

constexpr auto I = Volatility::immutable;
constexpr auto S = Volatility::stable;
constexpr auto V = Volatility::volatile_fn;

// Sorted by name for binary search.
constexpr std::array<FnVolatility, 58> kFunctions{{
    {"abs", I},
    {"array_length", I},
    {"btrim", I},
    {"clock_timestamp", V},
    {"coalesce", I},
    {"concat", S},
    {"current_catalog", S},
    {"current_date", S},
    {"current_role", S},
    {"current_schema", S},
    {"current_setting", S},
    {"current_time", S},
    {"current_timestamp", S},
    {"current_user", S},
    {"date_trunc", I},
    {"gen_random_bytes", V},
    {"gen_random_uuid", V},
    {"greatest", I},
    {"jsonb_build_array", I},
    {"jsonb_build_object", I},
    {"json_build_array", S},
    {"json_build_object", S},
    {"least", I},
    {"length", I},
    {"localtime", S},
    {"localtimestamp", S},
    {"lower", I},
    {"ltrim", I},
    {"make_date", I},
    {"make_interval", I},
    {"md5", I},
    {"nextval", V},
    {"now", S},
    {"nullif", I},
    {"random", V},
    {"replace", I},
    {"round", I},
    {"rtrim", I},
    {"session_user", S},
    {"setseed", V},
    {"statement_timestamp", S},
    {"substr", I},
    {"substring", I},
    {"timeofday", V},
    {"timezone", I},
    {"to_char", S},
    {"to_date", S},
    {"to_jsonb", S},
    {"to_timestamp", I},
    {"transaction_timestamp", S},
    {"trim", I},
    {"trunc", I},
    {"txid_current", S},
    {"upper", I},
    {"user", S},
    {"uuid_generate_v1", V},
    {"uuid_generate_v4", V},
    {"uuidv7", V},
}};

}  // namespace

Volatility function_volatility(std::string_view fn) {
  auto it = std::lower_bound(kFunctions.begin(), kFunctions.end(), fn,
                             [](const FnVolatility& f, std::string_view n) { return f.name < n; });
  if (it != kFunctions.end() && it->name == fn) return it->v;
  return Volatility::volatile_fn;
}

std::string_view volatility_name(Volatility v) {
  switch (v) {
    case Volatility::immutable:
      return "immutable";
    case Volatility::stable:
      return "stable";
    case Volatility::volatile_fn:
      return "volatile";
  }
  return "volatile";
}

}  // namespace migsafe
