#include "postgres_nodes.hpp"

#include "postgres_translate.hpp"

namespace migsafe {

void translate_pg_statement(PgNode stmt, const PgNodeContext& ctx, Statement& out) {
  pg_translate::translate_statement(stmt, ctx, out);
}

}  // namespace migsafe
