// Front ends: files in, IR out. Only this layer knows SQL syntax.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

// Bad input (unreadable file, invalid UTF-8, NUL byte, no .sql files): reported as path[:line:col]
// and exit status 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string path, std::string message, Position pos = {})
      : std::runtime_error(message), path_(std::move(path)), pos_(pos) {}
  const std::string& path() const { return path_; }
  const Position& pos() const { return pos_; }
  std::string where() const;  // "path:line:col" or "path"

 private:
  std::string path_;
  Position pos_;
};

// Largest input accepted, so a runaway file gives a message instead of exhausting memory.
inline constexpr size_t kMaxInputBytes = 64u * 1024u * 1024u;

// Reads a file ("-" is stdin) and checks that it is text: valid UTF-8, no NUL byte, within the
// size limit. Throws InputError.
std::shared_ptr<const SourceText> read_source(const std::string& path);
// The bytes of a file, "-" (stdin), a pipe, FIFO or device, read as a stream up to `limit`
// bytes; more is an InputError, raised while reading.
std::string read_bounded(const std::string& path, size_t limit = kMaxInputBytes);
// What an errno from opening or listing a path means, in the words of an InputError.
std::string describe_errno(int err);
std::shared_ptr<const SourceText> make_source(std::string path, std::string text);

// Expands the user's PATH arguments: files stay as given, folders become their .sql files in
// natural order ("2_x" before "10_x"). Each argument is one migration set. Throws InputError.
struct MigrationSet {
  std::string root;  // the argument as given
  std::vector<std::string> files;
};

// Which files of a folder are migrations, by the naming of the tool that runs them.
enum class Layout { automatic, flyway, golang_migrate, diesel, sqlx, prisma, plain };
std::optional<Layout> parse_layout(std::string_view s);
std::string_view layout_name(Layout l);

struct InputOptions {
  Layout layout = Layout::automatic;
  std::vector<std::string> exclude;  // shell globs, matched against paths as given and relative
};
std::vector<MigrationSet> collect_inputs(const std::vector<std::string>& args,
                                         const InputOptions& opt = {});
bool natural_less(std::string_view a, std::string_view b);

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
// version: the server the file is for (MySQL executable comments depend on it); null = default.
ParsedFile parse_each(Dialect dialect, const SourceText& source, const StatementSink& sink,
                      const TargetVersion* version = nullptr);
ParsedFile parse_postgres_each(const SourceText& source, const StatementSink& sink);
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
