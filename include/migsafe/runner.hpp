// How a migration tool applies a file: which parts of it run going up (or down), and in which
// transactions. Inputs work this out from file names, sidecar files and the file's own
// annotations; the rules engine reads only the result, so nothing later knows frameworks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

// How the runner sends a stretch of a file: each statement on its own (autocommit, with BEGIN
// ... COMMIT in the file honoured), the stretch wrapped in one transaction (per_file), or the
// stretch as one multi-statement query string, which PostgreSQL runs as an implicit
// transaction block when it holds more than one statement (single_query).
enum class TransactionMode { autocommit, per_file, single_query };
std::string_view transaction_mode_name(TransactionMode m);
std::optional<TransactionMode> parse_transaction_mode(std::string_view s);

// The migration tools migsafe knows (what --layout names); automatic: detect it.
enum class Layout {
  automatic,
  plain,
  flyway,
  liquibase,
  goose,
  dbmate,
  golang_migrate,
  prisma,
  sqlx,
  diesel,
  sql_migrate,
  atlas,
  drizzle,
};
std::optional<Layout> parse_layout(std::string_view s);
std::string_view layout_name(Layout l);
// How the runner sends a file by default, for the summary line ("a transaction per file").
std::string_view layout_default_sending(Layout l);

enum class Direction { up, down };

// A stretch of a file that runs as one unit (the file, a section, a changeset), and how.
struct RunUnit {
  uint32_t begin = 0;  // bytes of the file, [begin, end)
  uint32_t end = 0;
  TransactionMode mode = TransactionMode::autocommit;
  // Who makes it a transaction, in words ("goose runs the Up section in a transaction").
  std::string transaction;
  // What lets a statement run outside a transaction here (an annotation, a file of its own).
  std::string fix;
  // Units of one group run together, in one transaction when the mode has one (the --rollback
  // lines of a changeset); each group starts a new one.
  size_t group = 0;
};

// Something about the runner's annotations: an error is an input error (exit 2) at its place;
// otherwise a warning finding (an annotation migsafe does not know).
struct RunnerIssue {
  uint32_t offset = 0;
  bool error = false;
  std::string message;
};

struct FilePlan {
  Layout runner = Layout::plain;
  // In file order; bytes outside every unit do not run in this direction.
  std::vector<RunUnit> units;
  std::vector<RunnerIssue> issues;
  // Flyway decides from the statements: none of them transactional, the file runs without a
  // transaction; some of both, it refuses the file unless mixed is allowed.
  bool decided_by_statements = false;
  bool mixed_allowed = false;
  std::string mixed_from;  // where mixed = true was read
  // Uncommented stretches inside comments that run (Liquibase --rollback lines going down):
  // the marker bytes to blank so that the SQL after them is read.
  std::vector<std::pair<uint32_t, uint32_t>> unmask;
  // Lines that are the runner's own markers (blanked like the parts that do not run; the other
  // comment lines stay, so that suppressions outside the units still apply).
  std::vector<std::pair<uint32_t, uint32_t>> markers;
  // The units run in the reverse of file order (Liquibase changesets rolled back).
  bool reverse = false;
};

// Settings that no file carries: the mode for a runner that has none (plain), Flyway's mixed.
struct RunnerSettings {
  TransactionMode default_mode = TransactionMode::autocommit;
  std::optional<bool> flyway_mixed;
};

// Which files of a folder run in a direction (RE2 on the path relative to the set's folder).
std::string_view layout_files(Layout l, Direction d);
// Where a runner keeps its down migrations: sections or lines of the up file (goose, dbmate,
// Liquibase, sql-migrate), files of their own (golang-migrate, sqlx, diesel, Flyway undo), or
// nowhere (Prisma, Atlas, drizzle, plain files).
enum class DownParts { same_file, own_files, none };
DownParts down_parts(Layout l);
// The --layout names, comma separated, for help and errors.
std::string layout_names();
// The runner of a folder from its file names, sidecar files and the project manifests beside
// it (go.mod, Cargo.toml, package.json); automatic when they say nothing.
Layout detect_runner_by_files(const std::string& dir, const std::vector<std::string>& rel_paths);
// The runner from the files' own annotations; plain when they have none.
Layout detect_runner_by_text(const std::vector<std::string_view>& texts);
// How the runner applies a file in a direction: its units and what is wrong with its annotations.
FilePlan plan_file(Layout runner, const SourceText& src, Dialect dialect, Direction dir,
                   const RunnerSettings& settings);
// The file as the parser should read it: bytes outside the units blanked (line breaks and
// comment lines kept, so every line:col is the file's own), a ';' where one unit ends and the
// next part starts, the unmasked comment markers blanked.
std::string running_text(const std::string& text, const FilePlan& plan);
// Flyway's own test of a statement (its leading words): one PostgreSQL or SQLite refuses in a
// transaction, so a file of only such statements runs without one.
bool flyway_non_transactional(Dialect dialect, int server_major, std::string_view statement);

}  // namespace migsafe
