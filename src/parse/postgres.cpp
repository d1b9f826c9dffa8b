// PostgreSQL front end: libpg_query (the server's own grammar) turns the file into a JSON parse
// tree, which postgres_nodes.cpp turns into IR.
#include <pg_query.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "lexer.hpp"
#include "migsafe/parse.hpp"
#include "postgres_nodes.hpp"

namespace migsafe {
namespace {

class PgParseResult {
 public:
  explicit PgParseResult(const char* sql) : r_(pg_query_parse(sql)) {}
  ~PgParseResult() { pg_query_free_parse_result(r_); }
  PgParseResult(const PgParseResult&) = delete;
  PgParseResult& operator=(const PgParseResult&) = delete;
  const PgQueryParseResult* operator->() const { return &r_; }

 private:
  PgQueryParseResult r_;
};

struct ChunkError {
  uint32_t offset = 0;
  std::string message;
};

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

class ChunkParser {
 public:
  ChunkParser(const SourceText& src, const LexOptions& opt) : src_(src), opt_(opt) {}

  // Parses chunk (which starts at byte base of the file); appends statements or returns the error.
  std::optional<ChunkError> parse(const std::string& chunk, uint32_t base,
                                  std::vector<Statement>& out) {
    PgParseResult r(chunk.c_str());
    if (r->error) {
      int pos = r->error->cursorpos > 0 ? r->error->cursorpos - 1 : 0;
      uint32_t off = base + byte_offset_of_char(chunk, pos);
      return ChunkError{std::min<uint32_t>(off, static_cast<uint32_t>(src_.text().size())),
                        r->error->message ? r->error->message : "syntax error"};
    }
    simdjson::dom::element doc;
    if (auto err = json_.parse(r->parse_tree, std::strlen(r->parse_tree)).get(doc))
      return ChunkError{base, std::string("internal: cannot read the parse tree: ") +
                                  simdjson::error_message(err)};
    simdjson::dom::array stmts;
    if (doc["stmts"].get(stmts) != simdjson::SUCCESS) return std::nullopt;  // only comments
    for (simdjson::dom::element raw : stmts) append(raw, chunk, base, out);
    return std::nullopt;
  }

 private:
  void append(simdjson::dom::element raw, const std::string& chunk, uint32_t base,
              std::vector<Statement>& out) {
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
    if (raw["stmt"].get(node) != simdjson::SUCCESS) return;
    translate_pg_statement(node, PgNodeContext{base, st.span.begin}, st);
    out.push_back(std::move(st));
  }

  const SourceText& src_;
  const LexOptions& opt_;
  simdjson::dom::parser json_;
};

Statement meta_statement(const SourceText& src, TextRange r) {
  Statement st;
  st.span = src.span(r.begin, r.end);
  st.text = std::string_view(src.text()).substr(r.begin, r.end - r.begin);
  st.node = "meta";
  Operation op;
  op.kind = OpKind::meta_command;
  op.location = r.begin;
  size_t sp = st.text.find_first_of(" \t");
  op.object = std::string(st.text.substr(0, sp));
  st.ops.push_back(std::move(op));
  return st;
}

bool is_atomic_body(std::string_view chunk) {
  for (size_t i = 0; i + 6 <= chunk.size(); ++i) {
    if ((chunk[i] == 'a' || chunk[i] == 'A') &&
        (chunk.substr(i, 6) == "atomic" || chunk.substr(i, 6) == "ATOMIC" ||
         chunk.substr(i, 6) == "Atomic"))
      return true;
  }
  return false;
}

}  // namespace

Migration parse_postgres(std::shared_ptr<const SourceText> source) {
  Migration m;
  m.path = source->path();
  m.dialect = Dialect::postgres;
  m.source = source;
  const SourceText& src = *source;
  LexOptions opt = postgres_lex_options();
  LexResult lex = lex_sql(src.text(), opt);
  m.comments = std::move(lex.comments);

  ChunkParser parser(src, opt);
  std::vector<Statement> stmts;
  std::optional<ChunkError> whole;
  if (!lex.error) whole = parser.parse(lex.sanitized, 0, stmts);
  if (lex.error || whole) {
    // Fail closed, statement by statement: every statement that does not parse is reported, and
    // the ones that do are still analysed.
    stmts.clear();
    const auto& pieces = lex.statements;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (lex.error && pieces[i].begin > lex.error->offset) break;
      auto chunk_of = [&](size_t last) {
        return lex.sanitized.substr(pieces[i].begin, pieces[last].end - pieces[i].begin);
      };
      std::optional<ChunkError> e = parser.parse(chunk_of(i), pieces[i].begin, stmts);
      if (e && is_atomic_body(chunk_of(i))) {
        // BEGIN ATOMIC ... END bodies hold ';' the lexer cannot see: widen until it parses.
        for (size_t j = i + 1; j < pieces.size() && j < i + 200; ++j) {
          if (!parser.parse(chunk_of(j), pieces[i].begin, stmts)) {
            e.reset();
            i = j;
            break;
          }
        }
      }
      if (e) m.syntax_errors.push_back({src.position(e->offset), e->message});
    }
    if (lex.error) m.syntax_errors.push_back({src.position(lex.error->offset), lex.error->message});
    if (m.syntax_errors.empty() && whole)
      m.syntax_errors.push_back({src.position(whole->offset), whole->message});
  }

  for (const TextRange& r : lex.meta_commands) stmts.push_back(meta_statement(src, r));
  std::stable_sort(stmts.begin(), stmts.end(), [](const Statement& a, const Statement& b) {
    return a.span.begin < b.span.begin;
  });
  m.statements = std::move(stmts);
  assign_transactions(m);
  return m;
}

Migration parse_migration(Dialect dialect, std::shared_ptr<const SourceText> source) {
  switch (dialect) {
    case Dialect::postgres: return parse_postgres(std::move(source));
    default:
      throw InputError(source->path(), "the " + std::string(dialect_name(dialect)) +
                                           " dialect is not supported yet");
  }
}

}  // namespace migsafe
