#include "pg_constant.hpp"

#include "pg_tree.hpp"

namespace migsafe {

std::optional<std::string> pg_constant_string_of(std::string_view expr) {
  std::string select = "SELECT " + std::string(expr);
  PgTree tree(select.c_str());
  if (tree.failed() || tree.size() != 1) return std::nullopt;
  std::optional<PgNode> target;
  if (auto list = pg_constant_detail::path(std::optional<PgNode>(tree.statement(0).stmt),
                                           {"SelectStmt", "targetList"});
      list && list->is_array() && list->item_count() > 0)
    target = list->item(0);
  auto val = pg_constant_detail::path(target, {"ResTarget", "val"});
  if (!val) return std::nullopt;
  return pg_constant_string(*val);
}

}  // namespace migsafe
