#include "pg_constant.hpp"
#include "pg_query_result.hpp"

#include <pg_query.h>

#include <cstring>

namespace migsafe {
namespace {

std::optional<std::string> last_name(simdjson::simdjson_result<simdjson::dom::element> list) {
  simdjson::dom::array a;
  if (list.get(a) != simdjson::SUCCESS || a.size() == 0) return std::nullopt;
  std::string_view s;
  if (a.at(a.size() - 1)["String"]["sval"].get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

}  // namespace

std::optional<std::string> pg_constant_string(simdjson::simdjson_result<simdjson::dom::element> e) {
  simdjson::dom::object konst;
  if (e["A_Const"].get(konst) == simdjson::SUCCESS) {
    simdjson::dom::element sval;
    if (konst["sval"].get(sval) != simdjson::SUCCESS) return std::nullopt;
    std::string_view s;
    if (sval["sval"].get(s) == simdjson::SUCCESS) return std::string(s);
    return std::string();  // the empty string has no sval inside
  }
  simdjson::dom::element arg;
  if (e["TypeCast"]["arg"].get(arg) == simdjson::SUCCESS) {
    auto t = last_name(e["TypeCast"]["typeName"]["names"]);
    // A length (varchar(13)) cuts the string: then it is not the literal any more.
    if (e["TypeCast"]["typeName"]["typmods"].error() == simdjson::SUCCESS) return std::nullopt;
    if (t && (*t == "text" || *t == "varchar" || *t == "regclass")) return pg_constant_string(arg);
    return std::nullopt;
  }
  simdjson::dom::element expr;
  if (e["A_Expr"].get(expr) == simdjson::SUCCESS) {
    std::string_view kind;
    auto op = last_name(expr["name"]);
    if (expr["kind"].get(kind) != simdjson::SUCCESS || kind != "AEXPR_OP" || !op || *op != "||")
      return std::nullopt;
    auto l = pg_constant_string(expr["lexpr"]), r = pg_constant_string(expr["rexpr"]);
    if (l && r) return *l + *r;
  }
  return std::nullopt;
}

std::optional<std::string> pg_constant_string_of(std::string_view expr) {
  std::string select = "SELECT " + std::string(expr);
  PgParseResult r(select);
  std::optional<std::string> out;
  if (!r->error) {
    simdjson::dom::parser json;
    simdjson::dom::element doc, val;
    if (json.parse(r->parse_tree, std::strlen(r->parse_tree)).get(doc) == simdjson::SUCCESS &&
        doc["stmts"].at(0)["stmt"]["SelectStmt"]["targetList"].at(0)["ResTarget"]["val"].get(val) ==
            simdjson::SUCCESS)
      out = pg_constant_string(val);
  }
  return out;
}

}  // namespace migsafe
