// What arrives: files and folders turned into ordered migration sets, read as bounded UTF-8
// text; which migrations to report (git changes) and whether the set is intact (migsafe.sum).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "migsafe/ir.hpp"
#include "migsafe/runner.hpp"

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
// size limit. Throws InputError. threads 2 or more: a large file's line index and checks are
// read as two halves at once.
std::shared_ptr<const SourceText> read_source(const std::string& path, int threads = 1);
// The bytes of a file, "-" (stdin), a pipe, FIFO or device, read as a stream up to `limit`
// bytes; more is an InputError, raised while reading.
std::string read_bounded(const std::string& path, size_t limit = kMaxInputBytes);
// What an errno from opening or listing a path means, in the words of an InputError.
std::string describe_errno(int err);
std::shared_ptr<const SourceText> make_source(std::string path, std::string text, int threads = 1);

// A file read, or why it could not be.
struct ReadResult {
  std::shared_ptr<const SourceText> source;
  std::optional<InputError> error;
};
// read_source of every path, in their order; with jobs > 1 a second thread shares the work
// when there are many files (opening and reading each is mostly the kernel's time).
std::vector<ReadResult> read_sources(const std::vector<std::string>& paths, int jobs);

// Expands the user's PATH arguments: folders become their migrations in the order their runner
// applies them ("2_x" before "10_x"); a file that lies in a migration folder brings the earlier
// migrations of that folder, replayed for the schema model and not reported. Arguments in the
// same folder make one set. Throws InputError.
struct MigrationSet {
  std::string root;  // the folder (or the argument as given, for a lone file or stdin)
  std::vector<std::string> files;
  // Which files to report; empty: all. The others are only replayed.
  std::vector<bool> reported;
  // The runner from names and sidecar files; automatic: the files' annotations decide.
  Layout runner = Layout::automatic;
  bool is_folder = false;  // root is a migration folder (migsafe.sum lives there)
  // Going down with a runner that keeps down migrations in files of their own: those files,
  // in the order they run (newest first), and which of them to report.
  std::vector<std::string> down_files;
  std::vector<bool> down_reported;
  bool reports(size_t i) const { return reported.empty() || reported[i]; }
};

struct InputOptions {
  Layout layout = Layout::automatic;
  Direction direction = Direction::up;
  std::vector<std::string> exclude;  // shell globs, matched against paths as given and relative
};
std::vector<MigrationSet> collect_inputs(const std::vector<std::string>& args,
                                         const InputOptions& opt = {});
bool natural_less(std::string_view a, std::string_view b);
// The down migration of an up one (a path), for runners that keep them in files of their own:
// 1_x.up.sql -> 1_x.down.sql, dir/up.sql -> dir/down.sql, Flyway's V1__x.sql -> U1__x.sql.
std::string down_counterpart(Layout runner, const std::string& up_path);
// The order a runner applies its files in (paths relative to the folder).
bool run_order_less(Layout runner, std::string_view a, std::string_view b);

// Files of a migration set compared with a git revision.
struct GitChanges {
  std::set<std::string> added;     // absolute paths: new since REF (committed or not, untracked)
  std::set<std::string> modified;  // absolute paths: existed at REF and differ now
};
// Runs git in the folder; an unknown revision or a folder outside a repository throws
// InputError with git's message.
GitChanges git_changes_since(const std::string& dir, const std::string& ref);
// A file of the folder as committed at a revision; nullopt when the revision does not have it
// (or the folder is not in a git repository).
std::optional<std::string> git_file_at(const std::string& dir, const std::string& ref,
                                       const std::string& name);

// migsafe.sum: one line per migration, each hash covering its file and every file before it,
// so two branches that each add a migration conflict in git.
constexpr const char* kSumFile = "migsafe.sum";

struct SumLine {
  std::string path;        // relative to the folder, '/' separators
  std::string file_hash;   // SHA-256 of the file's bytes, hex
  std::string cumulative;  // SHA-256 over the previous line's cumulative hash, path and file hash
};
std::vector<SumLine> compute_sum(const std::string& dir, const std::vector<std::string>& files);
std::string format_sum(const std::vector<SumLine>& lines);
// Parses a migsafe.sum; a malformed line is an InputError with its line number.
std::vector<SumLine> parse_sum(const std::string& path, const std::string& text);

struct SumProblem {
  std::string path;       // the migration (relative) the problem is about
  uint32_t sum_line = 0;  // line of migsafe.sum it concerns, 0 when none
  std::string message;
};
std::vector<SumProblem> verify_sum(const std::vector<SumLine>& recorded,
                                   const std::vector<SumLine>& actual);

}  // namespace migsafe
