// The SQL inside PL/pgSQL bodies. libpg_query's PL/pgSQL parser finds the statements a body
// runs; each is then parsed like top-level SQL and placed at its line:col in the file.
#include <pg_query.h>
#include <re2/re2.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "pg_constant.hpp"
#include "pg_query_result.hpp"
#include "postgres_chunk.hpp"

namespace migsafe {
namespace {

// How deep a PL/pgSQL body's tree is followed: the parser takes a few thousand nested blocks,
// each a handful of JSON levels. Deeper bodies are an error, never a silent pass.
constexpr size_t kMaxBodyJsonDepth = 16384;

// The body wrapped into a CREATE FUNCTION that libpg_query's PL/pgSQL parser compiles, with a
// dollar quote the body does not contain; *prefix is the length before the body.
std::string wrap_do_body(std::string_view body, size_t* prefix) {
  std::string tag = "$migsafe_body$";
  for (int i = 0; body.find(tag) != std::string_view::npos; ++i)
    tag = "$migsafe_body" + std::to_string(i) + "$";
  std::string input = "CREATE FUNCTION migsafe_do_block() RETURNS void LANGUAGE plpgsql AS " + tag;
  if (prefix) *prefix = input.size();
  input.append(body).append(tag);
  return input;
}

// libpg_query compiles PL/pgSQL without the server's catalog and without all of the routine's
// signature, and some valid bodies fail there that compile on the server: a variable it cannot
// tell is a cursor (FOR ... IN cursor, OPEN, FETCH), an unnamed parameter ($1) given an ALIAS, a
// RETURN NEXT without an expression in a routine with OUT parameters. Returns why, or "" for an
// error the server would raise too.
std::string parser_limitation(const std::string& input, const std::string& message) {
  if (message.find("must be of type cursor or refcursor") != std::string::npos)
    return "it uses a cursor variable, which migsafe's PL/pgSQL parser cannot type without the "
           "server";
  static const RE2 near(R"re(at or near "([^"]+)")re");
  std::string name;
  if (RE2::PartialMatch(message, near, &name)) {
    RE2 cursor("(?i)(^|[^a-z0-9_$])" + RE2::QuoteMeta(name) +
               R"(\s+((no\s+)?scroll\s+)?(cursor|refcursor)\b)");
    if (RE2::PartialMatch(input, cursor))
      return "it uses a cursor variable, which migsafe's PL/pgSQL parser cannot type without the "
             "server";
  }
  static const RE2 field(R"re(^"[^"]+\.[^"]+" is not a known variable)re");
  if (RE2::PartialMatch(message, field))
    return "it assigns to a field of a row variable, which migsafe's PL/pgSQL parser cannot "
           "type without the server";
  static const RE2 positional(R"re(^variable "\$[0-9]+" does not exist)re");
  if (RE2::PartialMatch(message, positional))
    return "it names an unnamed parameter ($1, ...), which migsafe's PL/pgSQL parser does not "
           "declare";
  static const RE2 out_params(R"((?i)\b(out|inout)\s|\breturns\s+table\b)");
  if (message.starts_with("missing expression") && RE2::PartialMatch(input, out_params))
    return "it returns through OUT parameters, which migsafe's PL/pgSQL parser does not declare";
  return "";
}

bool loop_statement(std::string_view key) {
  static constexpr std::string_view kLoops[] = {
      "PLpgSQL_stmt_loop", "PLpgSQL_stmt_while",     "PLpgSQL_stmt_fori",   "PLpgSQL_stmt_fors",
      "PLpgSQL_stmt_forc", "PLpgSQL_stmt_foreach_a", "PLpgSQL_stmt_dynfors"};
  for (auto k : kLoops)
    if (key == k) return true;
  return false;
}

// The statement kinds whose SQL is checked, and the member holding their PLpgSQL_expr.
struct StepKey {
  std::string_view key;
  PlpgsqlStep::Kind kind;
  std::string_view expr;
};
constexpr StepKey kStepKeys[] = {
    {"PLpgSQL_stmt_execsql", PlpgsqlStep::Kind::sql, "sqlstmt"},
    {"PLpgSQL_stmt_perform", PlpgsqlStep::Kind::perform, "expr"},
    {"PLpgSQL_stmt_dynexecute", PlpgsqlStep::Kind::dynamic, "query"},
};

const StepKey* step_key(std::string_view key) {
  for (const auto& k : kStepKeys)
    if (key == k.key) return &k;
  return nullptr;
}

// Finds the steps in the compiled body's JSON as it is read, in document order, without
// building the document (nlohmann's SAX interface: the DOM and its walk cost a tenth of a large
// check's parse thread). simdjson, which would read it faster, ships only as a shared library
// and would bring the shared C++ runtime to every run.
class StepFinder {
 public:
  explicit StepFinder(std::vector<PlpgsqlStep>& out) : out_(out) {}

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(int64_t v) { return integer(v); }
  bool number_unsigned(uint64_t v) {
    return integer(v > uint64_t(INT64_MAX) ? 0 : static_cast<int64_t>(v));
  }
  bool number_float(double, const std::string&) { return value(); }
  bool binary(nlohmann::json::binary_t&) { return value(); }
  bool string(std::string& v) {
    // {"<expr member>": {"PLpgSQL_expr": {"query": "..."}}} inside a step's object.
    size_t n = frames_.size();
    if (n >= 3 && key_ == "query" && frames_[n - 1].slot == "PLpgSQL_expr") {
      const Frame& holder = frames_[n - 3];
      if (holder.step >= 0 && frames_[n - 2].slot == step_key(holder.slot)->expr)
        out_[static_cast<size_t>(holder.step)].query = v;
    }
    return value();
  }
  bool start_object(size_t) { return open(true); }
  bool start_array(size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    key_ = k;
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  struct Frame {
    std::string slot;  // the member this container is the value of; "" in an array
    int step = -1;     // the step this object is the statement of
    bool loop = false;
    bool object = false;
  };

  // The member a value starts in, when it is an object's.
  std::string_view slot() const {
    return !frames_.empty() && frames_.back().object ? std::string_view(key_) : std::string_view();
  }
  // A value starts: a step when it is one of the step members.
  int begin_value() {
    if (const StepKey* k = step_key(slot())) {
      out_.push_back({k->kind, 0, {}, loops_ > 0});
      return static_cast<int>(out_.size() - 1);
    }
    return -1;
  }
  bool value() {
    begin_value();
    return true;
  }
  bool integer(int64_t v) {
    if (!frames_.empty() && frames_.back().object && key_ == "lineno" && frames_.back().step >= 0)
      out_[static_cast<size_t>(frames_.back().step)].lineno = v;
    return value();
  }
  bool open(bool object) {
    if (frames_.size() >= kMaxBodyJsonDepth) return false;
    Frame f{std::string(slot()), begin_value(), false, object};
    f.loop = loop_statement(f.slot);
    loops_ += f.loop;
    frames_.push_back(std::move(f));
    return true;
  }
  bool close() {
    loops_ -= frames_.back().loop;
    frames_.pop_back();
    return true;
  }

  std::vector<PlpgsqlStep>& out_;
  std::vector<Frame> frames_;
  std::string key_;
  int loops_ = 0;
};

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

PlpgsqlCheck plpgsql_check(const SourceText& src, std::optional<std::string_view> parse_input,
                           std::string_view body, uint32_t body_offset) {
  std::string input = parse_input ? std::string(*parse_input) : wrap_do_body(body, nullptr);
  PlpgsqlResult r(input.c_str());
  auto at_line = [&](int64_t lineno) {
    uint32_t off = first_token(body, line_offset(body, lineno));
    return std::min<uint32_t>(body_offset + off, static_cast<uint32_t>(src.text().size()));
  };
  if (r->error) {
    // The compiler says "near line N" of the body, as the server does at CREATE time.
    int64_t lineno = 1;
    if (const char* ctx = r->error->context) {
      std::string_view c(ctx);
      size_t near = c.find("near line ");
      if (near != std::string_view::npos) lineno = std::atoll(ctx + near + 10);
    }
    std::string message = r->error->message ? r->error->message : "syntax error";
    std::string limitation = parser_limitation(input, message);
    if (!limitation.empty()) return {std::nullopt, limitation, {}};
    return {ChunkError{at_line(lineno), "PL/pgSQL: " + message}, {}, {}};
  }
  PlpgsqlCheck out;
  StepFinder finder(out.steps);
  // A JSON error would be libpg_query's; the depth is the one limit a body can reach.
  if (!r->plpgsql_funcs || !nlohmann::json::sax_parse(std::string_view(r->plpgsql_funcs), &finder))
    return {
        ChunkError{at_line(1), "PL/pgSQL: the body is nested deeper than migsafe follows"}, {}, {}};
  return out;
}

std::vector<Statement> plpgsql_statements(const SourceText& src, const LexOptions& opt,
                                          const std::vector<PlpgsqlStep>& steps,
                                          std::string_view body, uint32_t body_offset) {
  std::vector<Statement> out;
  ChunkParser parser(src, opt);
  uint32_t search_from = 0;
  for (const PlpgsqlStep& in : steps) {
    uint32_t line = line_offset(body, in.lineno);
    std::string sql;
    uint32_t at = first_token(body, line);
    if (in.kind == PlpgsqlStep::Kind::sql) {
      sql = in.query;
      size_t found = body.find(in.query, std::max(line, search_from));
      if (found != std::string_view::npos) at = static_cast<uint32_t>(found);
    } else if (in.kind == PlpgsqlStep::Kind::perform) {
      sql = in.query;  // "SELECT ..." for "PERFORM ...": positions are off by one character
    } else {
      // EXECUTE of a string known before it runs: a literal, or literals joined with ||. SQL
      // built at run time cannot be checked statically.
      auto lit = pg_constant_string_of(in.query);
      if (!lit) continue;
      sql = *lit;
      size_t found = body.find(in.query, line);
      if (found != std::string_view::npos) {
        // Past the opening quote: ' or $tag$.
        size_t quote = in.query.front() == '$' ? in.query.find('$', 1) + 1 : 1;
        at = static_cast<uint32_t>(found + std::min(quote, in.query.size()));
      }
    }
    search_from = at;
    uint32_t base = body_offset + at;
    if (base >= src.text().size()) continue;
    // An inner statement that does not parse is the server's problem at CREATE time, not a
    // migration hazard we can judge: skip it.
    // A DO block the string runs is followed too.
    size_t before = out.size();
    (void)parser.parse(sql, base, out, /*with_bodies=*/in.kind == PlpgsqlStep::Kind::dynamic);
    if (in.in_loop)
      for (size_t k = before; k < out.size(); ++k)
        for (Operation& op : out[k].ops)
          // A loop batches what its WHERE narrows to each round; a change of every row in a
          // loop is every row each round.
          if ((op.kind == OpKind::update || op.kind == OpKind::delete_rows) && op.has_where)
            op.batched = true;
  }
  for (Statement& st : out) {
    // The span and text come from the file; keep them inside it even if an offset drifted.
    st.span.end = std::min<uint32_t>(st.span.end, static_cast<uint32_t>(src.text().size()));
    st.text = std::string_view(src.text()).substr(st.span.begin, st.span.end - st.span.begin);
  }
  return out;
}

}  // namespace migsafe
