// Translation of libpg_query's JSON parse tree into IR operations.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "migsafe/ir.hpp"

namespace migsafe {

struct PgNodeContext {
  uint32_t base = 0;           // offset of the parsed text within the file
  uint32_t stmt_location = 0;  // file offset of the statement's first token
};

// stmt is the value of a "stmt" key: {"NodeName": {...}}.
void translate_pg_statement(simdjson::dom::element stmt, const PgNodeContext& ctx, Statement& out);

}  // namespace migsafe
