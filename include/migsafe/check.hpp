// The pipeline end to end: inputs -> IR -> schema replay -> effects -> rules -> findings.
#pragma once

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migsafe/effects.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/rules.hpp"
#include "migsafe/schema.hpp"
#include "migsafe/snapshot.hpp"

namespace migsafe {

struct FindingEffect {
  std::string table;
  LockMode lock = LockMode::none;
  bool blocks_reads = false;
  bool blocks_writes = false;
  bool rewrite = false;
  bool scan = false;
  std::vector<TableLock> other_locks;
  Algorithm algorithm = Algorithm::none;  // MySQL / MariaDB online DDL
  DdlLock min_lock = DdlLock::none;
};

struct Finding {
  std::string rule_id;
  Severity severity = Severity::warning;
  size_t file = 0;  // index into CheckResult::files
  Span statement;   // the whole statement
  Position at;      // where the operation starts
  // The rule's title and documentation link, one copy for all its findings.
  std::shared_ptr<const std::string> title;
  std::string message;
  // The operation's lock and online-DDL notes ("lock: ...", "held: ...") in plain words: one
  // list for the findings of every operation with the same notes (a long MySQL file's 124,000
  // notes were 17 MB, 1.2 MB of them different).
  std::shared_ptr<const std::vector<std::string>> operation_notes;
  std::vector<std::string> notes;  // the finding's own, after those: sizes, traces, merges
  // Why it matters; shared between the findings of one rule when the text is the same, since
  // thousands of findings would otherwise each carry a copy.
  std::shared_ptr<const std::string> why;
  // The operation's notes, the finding's own, then "why: ...": what reporters print under the
  // message.
  std::vector<std::string> lines() const;
  template <class F>
  void for_each_note(F&& f) const {  // the notes of lines(), without copying them
    if (operation_notes)
      for (const auto& n : *operation_notes) f(n);
    for (const auto& n : notes) f(n);
  }
  std::string instead;
  std::shared_ptr<const std::string> docs;
  std::optional<FindingEffect> effect;
};

// Moves the findings of `from` to the end of `to`: the whole buffer when `to` is empty, else
// each finding once (a large file's findings are tens of megabytes; copying them into a fresh
// vector was most of the report's start).
inline void move_findings(std::vector<Finding>& from, std::vector<Finding>& to) {
  if (to.empty())
    to.swap(from);
  else
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  from.clear();
}

// What one operation does to the database, whatever the rules make of it (for an editor's
// hover): the operation in SQL words, its table, and the lock / online-DDL notes a finding
// would carry.
struct OperationEffect {
  size_t file = 0;
  Span statement;
  std::string operation;  // "CREATE INDEX"
  std::string table;
  std::vector<std::string> notes;  // "lock: SHARE on t, held for the whole build: ..."
  Effect effect;                   // the facts themselves (migsafe effects)
};

struct CheckedFile {
  std::string path;
  std::shared_ptr<const SourceText> source;
  size_t statements = 0;
  bool reported = true;      // false for files only replayed into the schema model
  bool is_migration = true;  // false for migsafe.sum, kept only to point findings at it
};

struct InputProblem {
  std::string path;
  Position pos;
  std::string message;
  std::string kind;  // "syntax-error", "input-error"
};

struct CheckOptions {
  InputOptions inputs;
  Dialect dialect = Dialect::postgres;
  TargetVersion version = default_target_version(Dialect::postgres);
  // Threads a check may use: 2 and more parse the files ahead of the rules engine on a thread
  // of their own (the output is the same). The CLI's default is 2 on a machine with two cores.
  int jobs = 1;
  // The process exits once the check is reported (the CLI): a long set's schema model, a
  // great many small allocations, is left for the exit to hand back instead of freed.
  bool leave_model_to_exit = false;
  // A set smaller than this is parsed inline whatever jobs says: starting the thread costs
  // more than parsing a few kilobytes (0.7 ms of a 4 ms pre-commit run, measured). The CLI
  // sets it when --jobs is not given; an explicit --jobs 2 always starts the thread.
  size_t parse_ahead_min_bytes = 0;
  // How files are sent when their runner does not say (plain); given (--transactions or the
  // config), it overrides every runner's own.
  TransactionMode transactions = TransactionMode::autocommit;
  bool transactions_given = false;
  std::optional<bool> flyway_mixed;  // from .migsafe.yaml; else flyway.conf / flyway.toml decide
  // Report only migrations added since this git revision; those edited since are errors.
  std::string changed_since;
  // PostgreSQL snapshot: a connection string (the password never appears in output).
  std::string db;
  // A stats file (migsafe stats) instead of a live snapshot: its catalog facts and sizes.
  std::string stats;
  bool version_given = false;        // --target-version wins over the snapshot's server version
  bool dialect_given = false;        // --dialect (or the config) wins over the snapshot's flavor
  bool trace = false;                // run the reported migrations on the snapshot, rolled back
  int lock_timeout_ms = 1000;        // snapshot sessions: how long to wait for a lock
  int statement_timeout_ms = 10000;  // snapshot sessions: how long one statement may run
  // hygiene pack: the keys a migration's header comment gives (.migsafe.yaml hygiene.header)
  std::vector<std::string> header_keys{"owner", "expected", "rollback"};
  // Record every operation's effect in CheckResult::effects (migsafe effects, the language
  // server's hover).
  bool collect_effects = false;
};

// The runner a migration set was judged for, and how it sends files ("a transaction per file").
struct SetRunner {
  std::string root;
  Layout runner = Layout::plain;
  std::string sending;
  // The set's dialect and version (a config's paths: can give folders different ones).
  Dialect dialect = Dialect::postgres;
  TargetVersion version = default_target_version(Dialect::postgres);
};

struct CheckResult {
  std::vector<CheckedFile> files;
  std::vector<SetRunner> runners;  // one per migration set
  std::vector<Finding> findings;
  std::vector<InputProblem> problems;    // any of these makes the exit status 2
  std::string database_error;            // exit status 3
  std::optional<TargetVersion> version;  // when a snapshot decided it
  std::optional<Dialect> dialect;        // when a snapshot decided it (MySQL or MariaDB)
  bool trace_superuser = false;          // --trace ran as a superuser (the summary says so)
  size_t statements = 0;
  // Migrations recorded in migsafe.sum at the base revision and unchanged: replayed, not judged.
  size_t history_files = 0;
  std::vector<OperationEffect> effects;  // with CheckOptions::collect_effects
  // Findings per severity, in one pass (a long file's tens of thousands are megabytes apart).
  struct SeverityCounts {
    size_t errors = 0;
    size_t warnings = 0;
    size_t infos = 0;
  };
  SeverityCounts counts() const;
  size_t migration_files() const;
};

// One migration set: files in order; earlier files feed the schema model of later ones.
using SourceSet = std::vector<std::shared_ptr<const SourceText>>;

CheckResult check_sets(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                       const CheckOptions& opt);
// A snapshot session opened by the caller (migsafe plan): the check reads this snapshot instead
// of connecting, and with opt.trace runs every set's reported statements in this one trace
// session, which the caller inspects before and after.
struct SnapshotSessions {
  Snapshot* snapshot = nullptr;
  StatementTracer* tracer = nullptr;
};
// Reads and checks the user's PATH arguments. Unreadable inputs become problems, not exceptions.
CheckResult check_paths(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                        const CheckOptions& opt, const SnapshotSessions* sessions = nullptr);

namespace detail {
class Analyzer;
}

// The rules engine over one migration set, fed statement by statement: the schema model and
// transaction state carry over from statement to statement and from file to file.
class SetAnalyzer {
 public:
  SetAnalyzer(const std::vector<Pack>& packs, const CheckOptions& opt,
              StatementProbe* probe = nullptr, SnapshotSource* snapshot = nullptr,
              StatementTracer* tracer = nullptr);
  ~SetAnalyzer();
  SetAnalyzer(const SetAnalyzer&) = delete;
  SetAnalyzer& operator=(const SetAnalyzer&) = delete;
  // traced: whether --trace runs this file's statements (only the files being reported).
  void begin_file(const SourceText& src, size_t file_index, int position_in_set,
                  bool traced = false);
  // A stretch the runner sends on its own, and how (see runner.hpp); without a call, the whole
  // file runs as CheckOptions::transactions says.
  void begin_unit(TransactionMode mode, std::string transaction, std::string fix);
  void statement(const Statement& st);
  // A finding about the file as a whole (the hygiene pack's header and down part): inline
  // suppressions of the file apply to it as to the others.
  void file_finding(Finding f);
  // Where every top-level operation's effect goes (null: nowhere).
  void collect_effects(std::vector<OperationEffect>* sink);
  void end_file(const std::vector<Comment>& comments, std::vector<Finding>& out);

 private:
  std::unique_ptr<detail::Analyzer> impl_;
};

// A finding of a rule migsafe emits itself (suppressions, set integrity, engine rejections),
// pointing at the line of src that holds offset.
Finding builtin_finding(const std::vector<Pack>& packs, std::string_view rule_id, size_t file,
                        const SourceText& src, uint32_t offset, std::string message);
// The byte offset where a 1-based line starts.
uint32_t line_offset(const SourceText& src, uint32_t line);

// Analysis of one parsed migration set (the rules engine): appends findings.
void analyze_set(const std::vector<Migration>& migrations, const std::vector<Pack>& packs,
                 const CheckOptions& opt, size_t first_file_index, std::vector<Finding>& out);

// A rule's advice (its instead) filled in for the rule's own flagged example, as a finding on it
// would carry it: empty when the example is not SQL or the rule does not fire on it. `own` is
// the rule's pack; `packs` the others that run beside it.
std::string example_instead(const Rule& r, const Pack& own, const std::vector<Pack>& packs);
// The advice template with its {keys} written as <keys>, for rules whose example cannot be run.
std::string instead_placeholders(std::string_view text);

}  // namespace migsafe
