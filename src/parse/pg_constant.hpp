// Strings the PostgreSQL parser can compute without running anything, from libpg_query's JSON
// parse tree: what an EXECUTE will run when its argument is known before it runs.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace migsafe {

// A literal ('...', E'...', $tag$...$tag$, U&'...'), a literal cast to a text type, or such
// strings joined with ||; nullopt for anything computed at run time.
std::optional<std::string> pg_constant_string(
    simdjson::simdjson_result<simdjson::dom::element> expr);
inline std::optional<std::string> pg_constant_string(simdjson::dom::element expr) {
  return pg_constant_string(simdjson::simdjson_result<simdjson::dom::element>(std::move(expr)));
}
// The same for an expression given as text.
std::optional<std::string> pg_constant_string_of(std::string_view expr);

}  // namespace migsafe
