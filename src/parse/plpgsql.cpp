// The SQL inside PL/pgSQL bodies. libpg_query's PL/pgSQL parser finds the statements a body
// runs; each is then parsed like top-level SQL and placed at its line:col in the file.
#include <pg_query.h>
#include <simdjson.h>

#include <cstring>

#include "postgres_chunk.hpp"

namespace migsafe {
namespace {

class PlpgsqlResult {
 public:
  explicit PlpgsqlResult(const char* sql) : r_(pg_query_parse_plpgsql(sql)) {}
  ~PlpgsqlResult() { pg_query_free_plpgsql_parse_result(r_); }
  PlpgsqlResult(const PlpgsqlResult&) = delete;
  PlpgsqlResult& operator=(const PlpgsqlResult&) = delete;
  const PgQueryPlpgsqlParseResult* operator->() const { return &r_; }

 private:
  PgQueryPlpgsqlParseResult r_;
};

enum class InnerKind { sql, perform, dynamic };

struct Inner {
  InnerKind kind;
  int64_t lineno;
  std::string query;
};

std::string expr_query(simdjson::dom::element holder, const char* key) {
  std::string_view q;
  if (holder[key]["PLpgSQL_expr"]["query"].get(q) != simdjson::SUCCESS) return {};
  return std::string(q);
}

void walk(simdjson::dom::element e, std::vector<Inner>& out) {
  simdjson::dom::object o;
  if (e.get(o) == simdjson::SUCCESS) {
    for (auto kv : o) {
      int64_t line = 0;
      if (kv.value["lineno"].get(line) != simdjson::SUCCESS) line = 0;
      if (kv.key == "PLpgSQL_stmt_execsql")
        out.push_back({InnerKind::sql, line, expr_query(kv.value, "sqlstmt")});
      else if (kv.key == "PLpgSQL_stmt_perform")
        out.push_back({InnerKind::perform, line, expr_query(kv.value, "expr")});
      else if (kv.key == "PLpgSQL_stmt_dynexecute")
        out.push_back({InnerKind::dynamic, line, expr_query(kv.value, "query")});
      walk(kv.value, out);
    }
    return;
  }
  simdjson::dom::array a;
  if (e.get(a) == simdjson::SUCCESS)
    for (simdjson::dom::element x : a) walk(x, out);
}

// EXECUTE 'literal': the SQL inside the quotes, or nothing when the string is computed.
std::optional<std::string> string_literal(std::string_view expr) {
  if (expr.size() < 2 || expr.front() != '\'' || expr.back() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < expr.size(); ++i) {
    if (expr[i] == '\'') {
      if (expr[i + 1] != '\'') return std::nullopt;  // 'a' || 'b': not one literal
      ++i;
    }
    out += expr[i];
  }
  return out;
}

uint32_t line_offset(std::string_view body, int64_t lineno) {
  uint32_t off = 0;
  for (int64_t l = 1; l < lineno && off < body.size(); ++l) {
    size_t nl = body.find('\n', off);
    if (nl == std::string_view::npos) return static_cast<uint32_t>(body.size());
    off = static_cast<uint32_t>(nl + 1);
  }
  return off;
}

uint32_t first_token(std::string_view body, uint32_t off) {
  while (off < body.size() && (body[off] == ' ' || body[off] == '\t')) ++off;
  return off;
}

}  // namespace

std::vector<Statement> plpgsql_statements(const SourceText& src, const LexOptions& opt,
                                          std::optional<std::string_view> parse_input,
                                          std::string_view body, uint32_t body_offset) {
  constexpr std::string_view kQuote = "$migsafe_body$";
  std::string input;
  if (parse_input) {
    input = std::string(*parse_input);
  } else {
    if (body.find(kQuote) != std::string_view::npos) return {};
    input = "CREATE FUNCTION migsafe_do_block() RETURNS void LANGUAGE plpgsql AS ";
    input.append(kQuote).append(body).append(kQuote);
  }
  PlpgsqlResult r(input.c_str());
  if (r->error || !r->plpgsql_funcs) return {};  // the server would reject it; not ours to guess
  simdjson::dom::parser json;
  simdjson::dom::element doc;
  if (json.parse(r->plpgsql_funcs, std::strlen(r->plpgsql_funcs)).get(doc) != simdjson::SUCCESS)
    return {};
  std::vector<Inner> inner;
  walk(doc, inner);

  std::vector<Statement> out;
  ChunkParser parser(src, opt);
  uint32_t search_from = 0;
  for (const Inner& in : inner) {
    uint32_t line = line_offset(body, in.lineno);
    std::string sql;
    uint32_t at = first_token(body, line);
    if (in.kind == InnerKind::sql) {
      sql = in.query;
      size_t found = body.find(in.query, std::max(line, search_from));
      if (found != std::string_view::npos) at = static_cast<uint32_t>(found);
    } else if (in.kind == InnerKind::perform) {
      sql = in.query;  // "SELECT ..." for "PERFORM ...": positions are off by one character
    } else {
      auto lit = string_literal(in.query);
      if (!lit) continue;  // dynamic SQL built at run time cannot be checked statically
      sql = *lit;
      size_t found = body.find(in.query, line);
      if (found != std::string_view::npos) at = static_cast<uint32_t>(found + 1);
    }
    search_from = at;
    uint32_t base = body_offset + at;
    if (base >= src.text().size()) continue;
    // An inner statement that does not parse is the server's problem at CREATE time, not a
    // migration hazard we can judge: skip it.
    (void)parser.parse(sql, base, out, /*with_bodies=*/false);
  }
  for (Statement& st : out) {
    // The span and text come from the file; keep them inside it even if an offset drifted.
    st.span.end = std::min<uint32_t>(st.span.end, static_cast<uint32_t>(src.text().size()));
    st.text = std::string_view(src.text()).substr(st.span.begin, st.span.end - st.span.begin);
  }
  return out;
}

}  // namespace migsafe
