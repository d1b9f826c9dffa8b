#include <algorithm>
#include <cctype>

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

// The statements a body runs are parsed when a rule first asks for them.
class PlpgsqlBody : public RoutineBody {
 public:
  PlpgsqlBody(const SourceText& src, LexOptions opt, std::vector<PlpgsqlStep> steps,
              std::string body, uint32_t body_offset)
      : src_(src),
        opt_(opt),
        steps_(std::move(steps)),
        body_(std::move(body)),
        offset_(body_offset) {}

  const std::vector<Statement>& statements() const override {
    if (!parsed_) {
      parsed_ = plpgsql_statements(src_, opt_, steps_, body_, offset_);
      steps_.clear();
      body_.clear();
    }
    return *parsed_;
  }

 private:
  const SourceText& src_;
  LexOptions opt_;
  mutable std::vector<PlpgsqlStep> steps_;
  mutable std::string body_;
  uint32_t offset_;
  mutable std::optional<std::vector<Statement>> parsed_;
};

}  // namespace

std::optional<ChunkError> ChunkParser::parse(const std::string& chunk, uint32_t base,
                                             std::vector<Statement>& out, bool with_bodies) {
  const size_t first = out.size();
  {
    // The tree lives in libpg_query's memory context until this scope ends; the bodies below
    // are parsed after it, each in a context of its own.
    PgTree tree(chunk.c_str());
    if (tree.failed()) {
      int cursor = tree.error_cursor();
      uint32_t off = base + byte_offset_of_char(chunk, cursor > 0 ? cursor - 1 : 0);
      return ChunkError{std::min<uint32_t>(off, static_cast<uint32_t>(src_.text().size())),
                        tree.error_message()};
    }
    for (uint32_t i = 0, n = tree.size(); i < n; ++i) append(tree.statement(i), chunk, base, out);
  }
  if (with_bodies)
    for (size_t i = first; i < out.size(); ++i)
      if (auto e = read_bodies(out[i], chunk, base)) {
        // The statements before the one whose body fails stand; it and those after do not.
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i), out.end());
        return e;
      }
  return std::nullopt;
}

void ChunkParser::append(const PgRawStatement& raw, const std::string& chunk, uint32_t base,
                         std::vector<Statement>& out) {
  uint32_t chunk_end = static_cast<uint32_t>(chunk.size());
  uint32_t rel = raw.location > 0 ? static_cast<uint32_t>(raw.location) : 0;
  uint32_t rel_end = raw.length > 0 ? rel + static_cast<uint32_t>(raw.length) : chunk_end;
  // The parser's statement location starts right after the previous ';', comments included.
  uint32_t rel_begin = skip_trivia(chunk, rel, opt_);
  if (rel_end < chunk_end && chunk[rel_end] == ';') ++rel_end;
  while (rel_end > rel_begin && std::isspace(static_cast<unsigned char>(chunk[rel_end - 1])))
    --rel_end;
  Statement st;
  st.span = src_.span(base + rel_begin, base + rel_end);
  st.text = std::string_view(src_.text()).substr(st.span.begin, st.span.end - st.span.begin);
  translate_pg_statement(raw.stmt, PgNodeContext{base, st.span.begin}, st);
  mark_row_scope(chunk.substr(rel_begin, rel_end - rel_begin), opt_, st);
  out.push_back(std::move(st));
}

// DO blocks and PL/pgSQL functions get the statements their bodies run.
std::optional<ChunkError> ChunkParser::read_bodies(Statement& st, const std::string& chunk,
                                                   uint32_t base) {
  for (Operation& op : st.ops) {
    bool routine = op.kind == OpKind::do_block || op.kind == OpKind::create_function;
    if (!routine || op.detail != "plpgsql" || op.value.empty()) continue;
    // The body as the parser gives it is the text between the dollar quotes.
    size_t at = st.text.find(op.value);
    uint32_t body_offset =
        at == std::string_view::npos ? st.span.begin : st.span.begin + static_cast<uint32_t>(at);
    std::optional<std::string_view> input;
    if (op.kind == OpKind::create_function)
      input = std::string_view(chunk).substr(st.span.begin - base, st.span.end - st.span.begin);
    // A body the server would not compile fails the statement: a syntax error, not a pass.
    // One the server compiles but migsafe cannot read is said on the operation.
    PlpgsqlCheck check = plpgsql_check(src_, input, op.value, body_offset);
    if (check.error) return check.error;
    if (!check.unreadable.empty()) {
      op.body_unchecked = std::move(check.unreadable);
      op.value.clear();
      continue;
    }
    op.body = std::make_shared<const PlpgsqlBody>(src_, opt_, std::move(check.steps),
                                                  std::move(op.value), body_offset);
    op.value.clear();
  }
  return std::nullopt;
}

}  // namespace migsafe
