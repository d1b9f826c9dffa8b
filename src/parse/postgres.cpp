// PostgreSQL front end: libpg_query (the server's own grammar) parses the file in batches of
// statements, and postgres_nodes.cpp turns each tree into IR.
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>

#include "lexer.hpp"
#include "migsafe/parse.hpp"
#include "postgres_chunk.hpp"
#include "postgres_nodes.hpp"

namespace migsafe {
namespace {

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

// Parses one file and hands each statement, in file order, to the sink as soon as its batch is
// parsed, so memory stays bounded by a batch rather than by the file.
class PgFileParser {
 public:
  PgFileParser(const SourceText& src, const StatementSink& sink, SpareWork* spare)
      : src_(src),
        opt_(postgres_lex_options()),
        lex_(lex_sql(src.text(), opt_)),
        parser_(src, opt_),
        sink_(sink),
        spare_(spare) {
    if (spare_ && lex_.statements.size() >= kMinPiecesForHelp) {
      ahead_.emplace(*this, (lex_.statements.size() + kBatch - 1) / kBatch);
      spare_->offer([this] { return ahead_->parse_one(); });
    }
  }
  ~PgFileParser() {
    if (ahead_) spare_->withdraw();  // before ahead_ goes
  }
  PgFileParser(const PgFileParser&) = delete;
  PgFileParser& operator=(const PgFileParser&) = delete;

  ParsedFile run() {
    const auto& pieces = lex_.statements;
    // Batches of statements keep libpg_query's working memory small and its parse fast; a
    // batch that fails is parsed up to the failing statement, which is then reported on its
    // own (fail closed), and parsing goes on after it.
    // Batches end at fixed boundaries (every kBatch pieces): after a failure the rest of its
    // batch is parsed as a shorter one, and the batches parsed ahead line up again.
    size_t i = 0;
    while (i < pieces.size()) {
      size_t last = std::min((i / kBatch + 1) * kBatch, pieces.size()) - 1;
      if (ahead_ && ahead_->take(i, batch_)) {
        flush();
        i = last + 1;
        continue;
      }
      std::optional<ChunkError> e = parser_.parse(chunk(i, last), pieces[i].begin, batch_);
      if (!e) {
        flush();
        i = last + 1;
        continue;
      }
      batch_.clear();
      size_t bad = std::min(piece_at(e->offset, i), last);
      if (bad > i && parser_.parse(chunk(i, bad - 1), pieces[i].begin, batch_)) {
        batch_.clear();
        for (size_t k = i; k < bad; ++k) k = parse_alone(k);
      }
      flush();
      i = parse_alone(bad) + 1;
      flush();
    }
    if (ahead_) spare_->withdraw();  // nothing is left to parse ahead
    emit_meta_before(UINT32_MAX);
    if (lex_.error)
      out_.syntax_errors.push_back({src_.position(lex_.error->offset), lex_.error->message});
    std::sort(out_.syntax_errors.begin(), out_.syntax_errors.end(),
              [](const SyntaxError& a, const SyntaxError& b) {
                return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.col < b.pos.col;
              });
    out_.comments = std::move(lex_.comments);
    return std::move(out_);
  }

 private:
  static constexpr size_t kBatch = 100;
  // A file of fewer statements is parsed alone: there is too little ahead to share.
  static constexpr size_t kMinPiecesForHelp = 4 * kBatch;

  // Batches ahead of run() that a thread waiting for the parser (the rules engine, caught up)
  // parses meanwhile, at the fixed batch boundaries run() starts from while no batch fails.
  // run() takes a batch when it reaches that boundary and the batch parsed whole; anything else
  // (a syntax error, a boundary moved by an atomic body, a batch nobody took up) run() parses
  // itself, as it would alone. At most kAhead batches ahead: memory stays that of a few.
  class Ahead {
   public:
    Ahead(const PgFileParser& file, size_t batches) : file_(file), slots_(batches) {}

    // The helping thread's side: parses the next batch nobody has, if any is near enough.
    bool parse_one() {
      size_t k;
      {
        // The farthest open batch: run() meets it last, by when it is parsed, and does not
        // wait for it.
        std::lock_guard<std::mutex> lock(m_);
        size_t far = std::min(reached_ + kAhead, slots_.size() - 1);
        for (k = far; k > reached_ && slots_[k].state != State::open; --k) {
        }
        if (k <= reached_) return false;
        slots_[k].state = State::running;
      }
      if (!parser_) parser_.emplace(file_.src_, file_.opt_);
      const auto& pieces = file_.lex_.statements;
      size_t first = k * kBatch, last = std::min(first + kBatch, pieces.size()) - 1;
      std::vector<Statement> statements;
      bool failed = true;
      try {
        failed =
            parser_->parse(file_.chunk(first, last), pieces[first].begin, statements).has_value();
      } catch (...) {
        // run() parses the batch itself, and meets the same error there.
      }
      std::lock_guard<std::mutex> lock(m_);
      slots_[k].state = failed ? State::failed : State::parsed;
      if (!failed) slots_[k].statements = std::move(statements);
      done_.notify_all();
      return true;
    }

    // run()'s side: the statements of the batch that starts at piece first, when the helper
    // parsed it whole (waiting for it if it is under way); false: run() parses it.
    bool take(size_t first, std::vector<Statement>& out) {
      size_t k = first / kBatch;
      std::unique_lock<std::mutex> lock(m_);
      reached_ = std::max(reached_, k);
      if (first % kBatch != 0) return false;
      done_.wait(lock, [&] { return slots_[k].state != State::running; });
      Slot& s = slots_[k];
      if (s.state != State::parsed) return false;
      out = std::move(s.statements);
      s.statements = {};
      return true;
    }

   private:
    enum class State { open, running, parsed, failed };
    struct Slot {
      State state = State::open;
      std::vector<Statement> statements;
    };
    static constexpr size_t kAhead = 8;

    const PgFileParser& file_;
    std::optional<ChunkParser> parser_;  // the helping thread's (one helps at a time)
    std::mutex m_;
    std::condition_variable done_;
    std::vector<Slot> slots_;
    size_t reached_ = 0;  // the batch run() is at
  };

  std::string chunk(size_t first, size_t last) const {  // pieces [first, last], inclusive
    const auto& p = lex_.statements;
    return std::string(
        parse_text(lex_, src_.text()).substr(p[first].begin, p[last].end - p[first].begin));
  }

  size_t piece_at(uint32_t offset, size_t from) const {
    size_t k = from;
    while (k + 1 < lex_.statements.size() && lex_.statements[k].end <= offset) ++k;
    return k;
  }

  // One statement alone; BEGIN ATOMIC ... END bodies hold ';' the lexer cannot see, so such a
  // statement widens until it parses. Returns the last piece consumed.
  size_t parse_alone(size_t i) {
    const auto& pieces = lex_.statements;
    std::optional<ChunkError> e = parser_.parse(chunk(i, i), pieces[i].begin, batch_);
    if (e && is_atomic_body(chunk(i, i))) {
      for (size_t j = i + 1; j < pieces.size() && j < i + 200; ++j)
        if (!parser_.parse(chunk(i, j), pieces[i].begin, batch_)) return j;
    }
    if (e) out_.syntax_errors.push_back({src_.position(e->offset), e->message});
    return i;
  }

  void emit(Statement& st) {
    tx_.assign(st);
    ++out_.statements;
    sink_(st);
  }

  void emit_meta_before(uint32_t offset) {
    const auto& meta = lex_.meta_commands;
    while (next_meta_ < meta.size() && meta[next_meta_].begin < offset) {
      Statement st = meta_statement(src_, meta[next_meta_++]);
      emit(st);
    }
  }

  void flush() {
    for (Statement& st : batch_) {
      emit_meta_before(st.span.begin);
      emit(st);
    }
    batch_.clear();
  }

  const SourceText& src_;
  LexOptions opt_;
  LexResult lex_;
  ChunkParser parser_;
  const StatementSink& sink_;
  std::vector<Statement> batch_;
  size_t next_meta_ = 0;
  TransactionTracker tx_;
  ParsedFile out_;
  SpareWork* spare_;
  std::optional<Ahead> ahead_;  // last: the helping thread reads the members above
};

}  // namespace

ParsedFile parse_postgres_each(const SourceText& source, const StatementSink& sink,
                               SpareWork* spare) {
  return PgFileParser(source, sink, spare).run();
}

ParsedFile parse_each(Dialect dialect, const SourceText& source, const StatementSink& sink,
                      const TargetVersion* version, SpareWork* spare) {
  switch (dialect) {
    case Dialect::postgres:
      return parse_postgres_each(source, sink, spare);
    case Dialect::sqlite:
      return parse_sqlite_each(source, sink);
    case Dialect::mysql:
    case Dialect::mariadb:
      return parse_mysql_each(dialect, source, sink, version);
  }
  throw InputError(source.path(), "unknown dialect");
}

Migration parse_migration(Dialect dialect, std::shared_ptr<const SourceText> source,
                          const TargetVersion* version) {
  Migration m;
  m.path = source->path();
  m.dialect = dialect;
  m.source = source;
  ParsedFile f = parse_each(
      dialect, *source, [&](Statement& st) { m.statements.push_back(std::move(st)); }, version);
  m.comments = std::move(f.comments);
  m.syntax_errors = std::move(f.syntax_errors);
  return m;
}

Migration parse_postgres(std::shared_ptr<const SourceText> source) {
  return parse_migration(Dialect::postgres, std::move(source));
}

}  // namespace migsafe
