#include <pg_query.h>

#include <cstring>

#include "pg_query_result.hpp"
#include "postgres_chunk.hpp"
#include "postgres_nodes.hpp"
#include "row_scope.hpp"

namespace migsafe {
namespace {

// libpg_query reports error positions in characters (1-based); the IR works in bytes.
uint32_t byte_offset_of_char(std::string_view s, int char_pos) {
  uint32_t chars = 0;
  for (uint32_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (static_cast<int>(chars) == char_pos) return i;
      ++chars;
    }
  }
  return static_cast<uint32_t>(s.size());
}

class PlpgsqlBody : public RoutineBody {
 public:
  PlpgsqlBody(const SourceText& src, LexOptions opt, std::optional<std::string> parse_input,
              std::string body, uint32_t body_offset)
      : src_(src),
        opt_(opt),
        input_(std::move(parse_input)),
        body_(std::move(body)),
        offset_(body_offset) {}

  const std::vector<Statement>& statements() const override {
    if (!parsed_) {
      std::optional<std::string_view> input;
      if (input_) input = *input_;
      parsed_ = plpgsql_statements(src_, opt_, input, body_, offset_);
      input_.reset();
      body_.clear();
    }
    return *parsed_;
  }

 private:
  const SourceText& src_;
  LexOptions opt_;
  mutable std::optional<std::string> input_;
  mutable std::string body_;
  uint32_t offset_;
  mutable std::optional<std::vector<Statement>> parsed_;
};

}  // namespace

std::optional<ChunkError> ChunkParser::parse(const std::string& chunk, uint32_t base,
                                             std::vector<Statement>& out, bool with_bodies) {
  PgParseResult r(chunk.c_str());
  if (r->error) {
    int pos = r->error->cursorpos > 0 ? r->error->cursorpos - 1 : 0;
    uint32_t off = base + byte_offset_of_char(chunk, pos);
    return ChunkError{std::min<uint32_t>(off, static_cast<uint32_t>(src_.text().size())),
                      r->error->message ? r->error->message : "syntax error"};
  }
  simdjson::dom::element doc;
  if (auto err = json_.parse(r->parse_tree, std::strlen(r->parse_tree)).get(doc))
    return ChunkError{
        base, std::string("internal: cannot read the parse tree: ") + simdjson::error_message(err)};
  simdjson::dom::array stmts;
  if (doc["stmts"].get(stmts) != simdjson::SUCCESS) return std::nullopt;  // only comments
  for (simdjson::dom::element raw : stmts)
    if (auto e = append(raw, chunk, base, out, with_bodies)) return e;
  return std::nullopt;
}

std::optional<ChunkError> ChunkParser::append(simdjson::dom::element raw, const std::string& chunk,
                                              uint32_t base, std::vector<Statement>& out,
                                              bool with_bodies) {
  int64_t rel = 0, len = 0;
  if (raw["stmt_location"].get(rel) != simdjson::SUCCESS) rel = 0;
  if (raw["stmt_len"].get(len) != simdjson::SUCCESS) len = 0;
  uint32_t chunk_end = static_cast<uint32_t>(chunk.size());
  uint32_t rel_end = len > 0 ? static_cast<uint32_t>(rel + len) : chunk_end;
  // The parser's statement location starts right after the previous ';', comments included.
  uint32_t rel_begin = skip_trivia(chunk, static_cast<uint32_t>(rel), opt_);
  if (rel_end < chunk_end && chunk[rel_end] == ';') ++rel_end;
  while (rel_end > rel_begin && std::isspace(static_cast<unsigned char>(chunk[rel_end - 1])))
    --rel_end;
  Statement st;
  st.span = src_.span(base + rel_begin, base + rel_end);
  st.text = std::string_view(src_.text()).substr(st.span.begin, st.span.end - st.span.begin);
  simdjson::dom::element node;
  if (raw["stmt"].get(node) != simdjson::SUCCESS) return std::nullopt;
  translate_pg_statement(node, PgNodeContext{base, st.span.begin}, st);
  mark_row_scope(chunk.substr(rel_begin, rel_end - rel_begin), opt_, st);
  if (with_bodies) {
    for (Operation& op : st.ops) {
      bool routine = op.kind == OpKind::do_block || op.kind == OpKind::create_function;
      if (!routine || op.detail != "plpgsql" || op.value.empty()) continue;
      // The body as the parser gives it is the text between the dollar quotes.
      size_t at = st.text.find(op.value);
      uint32_t body_offset =
          at == std::string_view::npos ? st.span.begin : st.span.begin + static_cast<uint32_t>(at);
      std::optional<std::string> input;
      if (op.kind == OpKind::create_function) input = chunk.substr(rel_begin, rel_end - rel_begin);
      // A body the server would not compile fails the statement: a syntax error, not a pass.
      // One the server compiles but migsafe cannot read is said on the operation.
      PlpgsqlCheck check = plpgsql_check(src_, input, op.value, body_offset);
      if (check.error) return check.error;
      if (!check.unreadable.empty()) {
        op.body_unchecked = std::move(check.unreadable);
        op.value.clear();
        continue;
      }
      op.body = std::make_shared<const PlpgsqlBody>(src_, opt_, std::move(input),
                                                    std::move(op.value), body_offset);
      op.value.clear();
    }
  }
  out.push_back(std::move(st));
  return std::nullopt;
}

}  // namespace migsafe
