// Front ends: text in, IR out. Only this layer knows SQL syntax.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "migsafe/inputs.hpp"
#include "migsafe/ir.hpp"

namespace migsafe {

// What parsing a file gives besides its statements.
struct ParsedFile {
  std::vector<Comment> comments;
  std::vector<SyntaxError> syntax_errors;  // each reported (exit 2); the rest is still analysed
  size_t statements = 0;
};

// Streaming form: each statement goes to the sink in file order and is not kept, so a large
// file costs memory for one batch of statements, not for the whole file.
using StatementSink = std::function<void(Statement&)>;
struct TargetVersion;

// Parsing a thread waiting for the parser may do meanwhile. While it parses a large file, the
// PostgreSQL front end offers batches ahead of the one it is at; the rules engine, when it has
// caught up with the parser, parses one instead of waiting. The statements reach the sink in
// the same order, and the same, either way.
class SpareWork {
 public:
  // Does one piece of the work on offer; false when there is none now.
  bool help() {
    std::lock_guard<std::mutex> lock(m_);
    return work_ && work_();
  }
  // The parser's side: work returns false when it has nothing to give now.
  void offer(std::function<bool()> work) {
    std::lock_guard<std::mutex> lock(m_);
    work_ = std::move(work);
  }
  // Waits for a help() under way to end.
  void withdraw() { offer(nullptr); }

 private:
  std::mutex m_;  // held while helping: withdraw() waits for the helper to finish
  std::function<bool()> work_;
};

// version: the server the file is for (MySQL executable comments depend on it); null = default.
// spare: where the parser offers work to a waiting thread (null: it parses alone).
ParsedFile parse_each(Dialect dialect, const SourceText& source, const StatementSink& sink,
                      const TargetVersion* version = nullptr, SpareWork* spare = nullptr);
ParsedFile parse_postgres_each(const SourceText& source, const StatementSink& sink,
                               SpareWork* spare = nullptr);
ParsedFile parse_sqlite_each(const SourceText& source, const StatementSink& sink);
// flavor: Dialect::mysql or Dialect::mariadb.
ParsedFile parse_mysql_each(Dialect flavor, const SourceText& source, const StatementSink& sink,
                            const TargetVersion* version = nullptr);

// Whole-file form, for tests and tools that want the IR at once.
Migration parse_postgres(std::shared_ptr<const SourceText> source);
Migration parse_migration(Dialect dialect, std::shared_ptr<const SourceText> source,
                          const TargetVersion* version = nullptr);

// Marks which statements run inside an explicit BEGIN ... COMMIT block, statement by statement.
// Shared by all front ends.
class TransactionTracker {
 public:
  void assign(Statement& st);
  // MySQL / MariaDB DDL commits the open transaction before it runs.
  void implicit_commit() { current_ = -1; }

 private:
  int current_ = -1;
  int next_id_ = 0;
};

}  // namespace migsafe
