// Translation of libpg_query's parse tree into IR operations.
#pragma once

#include <string_view>

#include "migsafe/ir.hpp"
#include "pg_tree.hpp"

namespace migsafe {

struct PgNodeContext {
  uint32_t base = 0;           // offset of the parsed text within the file
  uint32_t stmt_location = 0;  // file offset of the statement's first token
};

// stmt is a raw statement's node: {"NodeName": {...}}.
void translate_pg_statement(PgNode stmt, const PgNodeContext& ctx, Statement& out);

}  // namespace migsafe
