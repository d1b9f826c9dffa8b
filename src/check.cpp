#include "migsafe/check.hpp"

#include <algorithm>

#include "inputs/sha256.hpp"
#include "migsafe/hygiene.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/snapshot.hpp"
#include "migsafe/stats.hpp"
#include "parse_ahead.hpp"
#include "run_units.hpp"

#include <re2/re2.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>

namespace migsafe {

std::vector<std::string> Finding::lines() const {
  std::vector<std::string> out;
  for_each_note([&](const std::string& n) { out.push_back(n); });
  if (why && !why->empty()) out.push_back("why: " + *why);
  return out;
}

size_t CheckResult::migration_files() const {
  return static_cast<size_t>(std::count_if(files.begin(), files.end(), [](const CheckedFile& f) {
    return f.is_migration && f.reported;
  }));
}

CheckResult::SeverityCounts CheckResult::counts() const {
  SeverityCounts c;
  for (const Finding& f : findings) switch (f.severity) {
      case Severity::error:
        ++c.errors;
        break;
      case Severity::warning:
        ++c.warnings;
        break;
      case Severity::info:
        ++c.infos;
        break;
    }
  return c;
}

namespace {

// trace_file: which files --trace runs (null: none).
using TraceFilter = std::function<bool(const std::string& path)>;

// A migration set as the pipeline runs it: its sources (null where one could not be read), which
// are reported, and its runner.
struct PlannedSet {
  std::string root;
  bool is_folder = false;
  Layout runner = Layout::automatic;
  std::vector<std::shared_ptr<const SourceText>> up;
  std::vector<bool> up_reported;
  std::vector<std::shared_ptr<const SourceText>> down;  // files of their own, newest first
  std::vector<bool> down_reported;
};

// Where a set's files are in CheckResult::files.
struct SetRange {
  size_t first = 0;
  size_t count = 0;
};

void sort_findings(CheckResult& r);

// Whether the migrations run on the snapshot: with --trace, and always on a copy migsafe owns.
bool traces(const CheckOptions& opt, const Snapshot* snapshot) {
  return opt.trace || (snapshot && snapshot->traces_every_check());
}

// Runs one migration set through the rules engine, file by file, each as its runner sends it.
class SetRun {
 public:
  SetRun(PlannedSet& set, const std::vector<Pack>& packs, const CheckOptions& opt,
         Snapshot* snapshot, StatementTracer* given_tracer, const TraceFilter* trace_file,
         CheckResult& r)
      : set_(set),
        packs_(packs),
        opt_(opt),
        trace_file_(trace_file),
        r_(r),
        // SQLite needs no database from the user: without a snapshot its dry run runs on the
        // embedded engine.
        // (A stats file runs nothing, so the dry run still does.)
        probe_(opt.dialect == Dialect::sqlite && !(snapshot && snapshot->traces_every_check())
                   ? make_sqlite_dry_run()
                   : nullptr),
        // --trace: one rolled-back transaction per migration set, unless the caller gave one.
        own_tracer_(snapshot && traces(opt, snapshot) && !given_tracer ? snapshot->begin_trace()
                                                                       : nullptr),
        tracer_(traces(opt, snapshot) ? (given_tracer ? given_tracer : own_tracer_.get())
                                      : nullptr),
        analyzer_(packs, opt, probe_.get(), snapshot, tracer_),
        file_rules_(has_file_rules(packs)) {
    settings_.default_mode = opt.transactions;
    settings_.flyway_mixed = opt.flyway_mixed;
    if (opt.collect_effects) analyzer_.collect_effects(&r.effects);
  }

  SetRange run() {
    decide_runner();
    SetRange range{r_.files.size(), 0};
    size_t n = set_.up.size();
    // Going up, files after the last one reported change nothing that is reported.
    size_t last = n;
    if (!set_.up_reported.empty()) {
      last = 0;
      for (size_t i = 0; i < n; ++i)
        if (set_.up_reported[i]) last = i + 1;
      if (opt_.inputs.direction == Direction::down) last = n;
    }
    bool down = opt_.inputs.direction == Direction::down;
    DownParts parts = down_parts(set_.runner);
    if (down && parts == DownParts::none)
      r_.problems.push_back(
          {set_.root,
           {},
           "--direction down: " + std::string(layout_name(set_.runner)) +
               " has no down migrations to check" +
               (set_.runner == Layout::plain ? " (name the runner with --layout)" : ""),
           "input-error"});
    if (opt_.jobs > 1) start_parse_ahead(last, down, parts);
    std::vector<size_t> index(n, 0);
    for (size_t i = 0; i < last; ++i) {
      index[i] = r_.files.size();
      bool reported = reports(set_.up_reported, i);
      // Going down, an up file is judged for its down part only when it holds one.
      bool file_reported = reported && (!down || parts == DownParts::same_file);
      r_.files.push_back({set_.up[i]->path(), set_.up[i], 0, file_reported});
      // Going down, the up parts only build the schema the down parts run against.
      run_file(set_.up[i], index[i], static_cast<int>(i), Direction::up, reported && !down);
    }
    if (down && parts == DownParts::own_files) {
      for (size_t j = 0; j < set_.down.size(); ++j) {
        size_t at = r_.files.size();
        bool reported = reports(set_.down_reported, j);
        r_.files.push_back({set_.down[j]->path(), set_.down[j], 0, reported});
        run_file(set_.down[j], at, static_cast<int>(n + j), Direction::down, reported);
      }
    } else if (down && parts == DownParts::same_file) {
      for (size_t k = last; k-- > 0;)
        // A model position of its own: the up part's tables are not "new" to the down part,
        // which runs when they may hold data.
        run_file(set_.up[k], index[k], static_cast<int>(n + (last - k)), Direction::down,
                 reports(set_.up_reported, k));
    }
    range.count = r_.files.size() - range.first;
    return range;
  }

 private:
  // The files in the order run() takes them, to a thread that parses them ahead.
  void start_parse_ahead(size_t last, bool down, DownParts parts) {
    std::vector<ParseAhead::Job> jobs;
    auto add = [&](const std::shared_ptr<const SourceText>& src, Direction dir) {
      if (src) jobs.push_back({src, dir});
    };
    for (size_t i = 0; i < last; ++i) add(set_.up[i], Direction::up);
    if (down && parts == DownParts::own_files)
      for (const auto& d : set_.down) add(d, Direction::down);
    else if (down && parts == DownParts::same_file)
      for (size_t k = last; k-- > 0;) add(set_.up[k], Direction::down);
    size_t bytes = 0;
    for (const auto& job : jobs) bytes += job.src->text().size();
    if (!jobs.empty() && bytes >= opt_.parse_ahead_min_bytes)
      ahead_ = std::make_unique<ParseAhead>(std::move(jobs), set_.runner, opt_, settings_);
  }

  static bool reports(const std::vector<bool>& flags, size_t i) {
    return flags.empty() || flags[i];
  }

  // The files' annotations decide a runner their names did not; a folder then holds only the
  // files that runner runs.
  void decide_runner() {
    if (set_.runner != Layout::automatic) return;
    std::vector<std::string_view> texts;
    for (const auto& s : set_.up)
      if (s) texts.push_back(s->text());
    set_.runner = detect_runner_by_text(texts);
    if (!set_.is_folder || set_.runner == Layout::plain) return;
    RE2 runs(std::string(layout_files(set_.runner, Direction::up)));
    std::error_code ec;
    PlannedSet kept = set_;
    kept.up.clear();
    kept.up_reported.clear();
    for (size_t i = 0; i < set_.up.size(); ++i) {
      if (!set_.up[i]) continue;
      std::string rel =
          std::filesystem::path(set_.up[i]->path()).lexically_relative(set_.root).generic_string();
      if (!RE2::PartialMatch(rel, runs)) continue;
      kept.up.push_back(set_.up[i]);
      if (!set_.up_reported.empty()) kept.up_reported.push_back(set_.up_reported[i]);
    }
    // Files the runner does not take would silently pass: say so instead.
    if (kept.up.empty() && !set_.up.empty())
      r_.problems.push_back({set_.root,
                             {},
                             "none of its " + std::to_string(set_.up.size()) +
                                 " .sql files is a migration " +
                                 std::string(layout_name(set_.runner)) +
                                 " runs (their names do not match its pattern); name the runner "
                                 "with --layout if it is another",
                             "input-error"});
    set_.up = std::move(kept.up);
    set_.up_reported = std::move(kept.up_reported);
  }

  void run_file(const std::shared_ptr<const SourceText>& src, size_t file_index, int position,
                Direction dir, bool reported) {
    if (!src) return;
    CheckedFile& file = r_.files[file_index];
    bool traced = reported && tracer_ && trace_file_ && (*trace_file_)(src->path());
    auto [plan, running] =
        ahead_ ? ahead_->begin_file() : start_file(set_.runner, src, dir, opt_.dialect, settings_);
    // Kept for the whole set: functions a file creates are parsed when a later file calls them.
    if (running != src) running_.push_back(running);
    for (const auto& issue : plan.issues) {
      if (issue.error)
        r_.problems.push_back({src->path(), src->position(issue.offset),
                               "the migration runner (" + std::string(layout_name(set_.runner)) +
                                   "): " + issue.message,
                               "input-error"});
      else if (reported)
        r_.findings.push_back(builtin_finding(packs_, "runner-annotation-ignored", file_index, *src,
                                              issue.offset, issue.message));
    }
    analyzer_.begin_file(*running, file_index, position, traced);
    UnitFeeder feeder(analyzer_, plan, opt_);
    auto sink = [&](Statement& st) { feeder(st); };
    ParsedFile parsed =
        ahead_ ? ahead_->statements(sink) : parse_each(opt_.dialect, *running, sink, &opt_.version);
    feeder.finish();
    if (file_rules_ && reported && dir == Direction::up) {
      FileHygieneInput hygiene{*src, plan, set_.runner, opt_.dialect,
                               file_index, [this]() -> const auto& {return down_files();
    }
  };
  for (Finding& f : file_hygiene(packs_, opt_, hygiene)) analyzer_.file_finding(std::move(f));
} std::vector<Finding> found;
analyzer_.end_file(parsed.comments, found);
if (reported) {
  move_findings(found, r_.findings);
  for (const auto& refusal : feeder.refusals()) {
    r_.findings.push_back(builtin_finding(packs_, "runner-refuses-file", file_index, *src,
                                          refusal.offset, refusal.message));
    r_.findings.back().instead = refusal.instead;
  }
}
for (const auto& e : parsed.syntax_errors)
  r_.problems.push_back({src->path(), e.pos, e.message, "syntax-error"});
if (dir == opt_.inputs.direction) {
  file.statements = parsed.statements;
  r_.statements += parsed.statements;
}
}  // namespace

// The set's down migrations in files of their own, by version; read once per set.
const std::map<std::string, std::string>& down_files() {
  if (!down_files_) {
    down_files_.emplace();
    std::error_code ec;
    if (down_parts(set_.runner) == DownParts::own_files &&
        std::filesystem::is_directory(set_.root, ec))
      for (auto it = std::filesystem::recursive_directory_iterator(set_.root, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::string version = down_file_version(set_.runner, it->path().filename().string());
        if (!version.empty()) down_files_->emplace(version, it->path().string());
      }
  }
  return *down_files_;
}

PlannedSet& set_;
const std::vector<Pack>& packs_;
const CheckOptions& opt_;
const TraceFilter* trace_file_;
CheckResult& r_;
RunnerSettings settings_;
std::unique_ptr<StatementProbe> probe_;
std::unique_ptr<StatementTracer> own_tracer_;
StatementTracer* tracer_;
SetAnalyzer analyzer_;
std::vector<std::shared_ptr<const SourceText>> running_;
std::unique_ptr<ParseAhead> ahead_;  // --jobs 2 and more
const bool file_rules_;              // the packs judge whole files (header, down part)
std::optional<std::map<std::string, std::string>> down_files_;
};  // namespace migsafe

// How the runner sends files, for the summary line.
std::string runner_sending(Layout runner, const CheckOptions& opt) {
  if (opt.transactions_given || runner == Layout::plain || runner == Layout::automatic)
    return std::string(transaction_mode_name(opt.transactions));
  return std::string(layout_default_sending(runner));
}

std::vector<SetRange> check_planned(std::vector<PlannedSet>& sets, const std::vector<Pack>& packs,
                                    const CheckOptions& opt, Snapshot* snapshot,
                                    StatementTracer* tracer, const TraceFilter* trace_file,
                                    CheckResult& r) {
  std::vector<SetRange> ranges;
  for (auto& set : sets) {
    SetRun run(set, packs, opt, snapshot, tracer, trace_file, r);
    ranges.push_back(run.run());
    r.runners.push_back(
        {set.root, set.runner, runner_sending(set.runner, opt), opt.dialect, opt.version});
  }
  return ranges;
}

}  // namespace

CheckResult check_sets(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                       const CheckOptions& opt) {
  std::vector<PlannedSet> planned;
  for (const auto& s : sets) {
    PlannedSet p;
    p.runner = opt.inputs.layout;
    p.up = s;
    planned.push_back(std::move(p));
  }
  CheckResult r;
  check_planned(planned, packs, opt, nullptr, nullptr, nullptr, r);
  sort_findings(r);
  return r;
}

namespace {
// Findings in file order, then line:col (stable: rule order within a place). They arrive nearly
// in that order (a finding deferred to its transaction's end, a file's own finding at line 1):
// the indexes are sorted, and only the findings out of place move, each once, along the cycles
// of the permutation. Moving every finding into a new vector was 2 ms of the 2,000 files' end.
void sort_findings(CheckResult& r) {
  auto before = [](const Finding& a, const Finding& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.at.line != b.at.line) return a.at.line < b.at.line;
    return a.at.col < b.at.col;
  };
  std::vector<Finding>& f = r.findings;
  if (std::is_sorted(f.begin(), f.end(), before)) return;
  std::vector<uint32_t> order(f.size());  // order[i]: the finding that belongs at i
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return before(f[a], f[b]); });
  for (uint32_t start = 0; start < order.size(); ++start) {
    if (order[start] == start) continue;
    Finding held = std::move(f[start]);
    uint32_t at = start;
    while (order[at] != start) {
      uint32_t from = order[at];
      f[at] = std::move(f[from]);
      order[at] = at;
      at = from;
    }
    f[at] = std::move(held);
    order[at] = at;
  }
}
}  // namespace

namespace {

namespace fs = std::filesystem;

// A finding of a core rule about a whole file (git history, migsafe.sum), at a line.
Finding file_finding(const std::vector<Pack>& packs, std::string_view rule_id, size_t file,
                     const SourceText& src, uint32_t line, std::string message) {
  return builtin_finding(packs, rule_id, file, src, line_offset(src, line), std::move(message));
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  return fs::absolute(p, ec).lexically_normal().string();
}

GitChanges changes_of(const MigrationSet& set, const std::string& ref) {
  std::error_code ec;
  std::string dir =
      fs::is_directory(set.root, ec) ? set.root : fs::path(set.root).parent_path().string();
  if (dir.empty()) dir = ".";
  return git_changes_since(dir, ref);
}

// --changed-since: only new migrations are reported; an edited one is an error of its own.
void apply_git_changes(CheckResult& r, const GitChanges& changes, SetRange range,
                       const std::vector<Pack>& packs, const CheckOptions& opt) {
  for (size_t i = range.first; i < range.first + range.count; ++i) {
    CheckedFile& f = r.files[i];
    std::string abs = absolute(f.path);
    f.reported = f.reported && changes.added.count(abs) > 0;
    if (changes.modified.count(abs) && f.source) {
      r.findings.push_back(
          file_finding(packs, "migration-edited", i, *f.source, 1,
                       f.path + " existed at " + opt.changed_since +
                           " and was changed since: applied migrations must not change"));
      r.findings.back().notes.push_back("changed since: " + opt.changed_since);
    }
  }
}

// migsafe.sum covers every migration of the folder, also those after the files given.
void verify_migration_sum(CheckResult& r, const MigrationSet& set, SetRange range,
                          const std::vector<Pack>& packs) {
  std::error_code ec;
  if (!set.is_folder || !fs::is_directory(set.root, ec)) return;
  fs::path sum_path = fs::path(set.root) / kSumFile;
  if (!fs::exists(sum_path, ec)) return;
  std::shared_ptr<const SourceText> sum_src = read_source(sum_path.string());
  std::vector<SumLine> recorded = parse_sum(sum_path.string(), sum_src->text());
  std::map<std::string, size_t> index;
  for (size_t i = range.first; i < range.first + range.count; ++i)
    index[fs::relative(r.files[i].path, set.root, ec).generic_string()] = i;
  std::vector<SumProblem> problems = verify_sum(recorded, compute_sum(set.root, set.files));
  if (problems.empty()) return;
  size_t sum_index = r.files.size();
  r.files.push_back({sum_path.string(), sum_src, 0, true, false});
  for (const auto& p : problems) {
    std::string message = p.path + " " + p.message;
    auto it = index.find(p.path);
    std::string path = (fs::path(set.root) / p.path).string();
    if (it == index.end() && fs::is_regular_file(path, ec)) {
      // A migration after the files given: point at it all the same.
      r.files.push_back({path, read_source(path), 0, true, false});
      it = index.emplace(p.path, r.files.size() - 1).first;
    }
    // A file that is still there is the place to look; a removed one is only in migsafe.sum.
    if (it != index.end() && r.files[it->second].source)
      r.findings.push_back(file_finding(packs, "migration-sum-mismatch", it->second,
                                        *r.files[it->second].source, 1, message));
    else
      r.findings.push_back(file_finding(packs, "migration-sum-mismatch", sum_index, *sum_src,
                                        p.sum_line ? p.sum_line : 1, message));
  }
}

// Applied history: the migrations migsafe.sum records as committed at the base revision
// (--changed-since REF, else HEAD) are replayed for the schema and not reported, unless edited
// since. A file the change adds is judged even when the change also records it in the sum.
struct Baseline {
  std::string revision;
  std::vector<std::string> edited;  // paths of recorded migrations whose bytes changed
};

std::optional<Baseline> apply_baseline(PlannedSet& set, const std::string& revision) {
  std::error_code ec;
  if (!set.is_folder || !fs::is_directory(set.root, ec)) return std::nullopt;
  // Against HEAD, a folder without migsafe.sum asks git nothing (a process per run, a third of
  // a pre-commit check): were the sum only at HEAD, removed by this change, its files would
  // all be judged, which hides nothing.
  if (revision == "HEAD" && !fs::exists(fs::path(set.root) / kSumFile, ec)) return std::nullopt;
  std::optional<std::string> text = git_file_at(set.root, revision, kSumFile);
  if (!text) return std::nullopt;
  std::map<std::string, std::string> recorded;
  for (const auto& line :
       parse_sum(revision + ":" + (fs::path(set.root) / kSumFile).string(), *text))
    recorded[line.path] = line.file_hash;
  Baseline b{revision, {}};
  if (set.up_reported.empty()) set.up_reported.assign(set.up.size(), true);
  for (size_t i = 0; i < set.up.size(); ++i) {
    auto it = recorded.find(fs::relative(set.up[i]->path(), set.root, ec).generic_string());
    if (it == recorded.end()) continue;
    if (sha256_hex(set.up[i]->text()) == it->second)
      set.up_reported[i] = false;
    else
      b.edited.push_back(set.up[i]->path());
  }
  return b;
}

// A recorded migration that changed since the base revision: judged again, and an error.
void report_edited_history(CheckResult& r, const Baseline& b, SetRange range,
                           const std::vector<Pack>& packs) {
  for (size_t i = range.first; i < range.first + range.count; ++i) {
    const CheckedFile& f = r.files[i];
    if (!f.source || std::find(b.edited.begin(), b.edited.end(), f.path) == b.edited.end())
      continue;
    r.findings.push_back(file_finding(packs, "migration-edited", i, *f.source, 1,
                                      f.path + " is recorded in migsafe.sum at " + b.revision +
                                          " and was changed since: applied migrations must not "
                                          "change"));
  }
}

PlannedSet plan_set(const MigrationSet& in, int jobs, std::vector<InputProblem>& problems) {
  PlannedSet p;
  p.root = in.root;
  p.is_folder = in.is_folder;
  p.runner = in.runner;
  p.up_reported = in.reported;
  p.down_reported = in.down_reported;
  // An unreadable file is a problem already; the set goes on without it.
  auto add = [&](const std::vector<std::string>& files, const std::vector<bool>& reported,
                 std::vector<std::shared_ptr<const SourceText>>& out, std::vector<bool>& flags) {
    flags.clear();
    std::vector<ReadResult> read = read_sources(files, jobs);
    for (size_t i = 0; i < files.size(); ++i) {
      if (const auto& e = read[i].error) {
        problems.push_back({e->path(), e->pos(), e->what(), "input-error"});
        continue;
      }
      out.push_back(std::move(read[i].source));
      if (!reported.empty()) flags.push_back(reported[i]);
    }
  };
  add(in.files, in.reported, p.up, p.up_reported);
  add(in.down_files, in.down_reported, p.down, p.down_reported);
  return p;
}

}  // namespace

CheckResult check_paths(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                        const CheckOptions& opt, const SnapshotSessions* sessions) {
  std::vector<InputProblem> problems;
  std::vector<MigrationSet> inputs;
  try {
    inputs = collect_inputs(paths, opt.inputs);
  } catch (const InputError& e) {
    CheckResult r;
    r.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
    return r;
  }
  std::vector<PlannedSet> sets;
  for (const auto& in : inputs) sets.push_back(plan_set(in, opt.jobs, problems));
  // A snapshot: connect first, so its server version decides the effects (unless given).
  std::unique_ptr<Snapshot> own_snapshot;
  Snapshot* snapshot = sessions ? sessions->snapshot : nullptr;
  CheckOptions effective = opt;
  if (!snapshot && opt.db.empty() && !opt.stats.empty()) {
    try {
      own_snapshot = load_stats(opt.stats);
      snapshot = own_snapshot.get();
    } catch (const InputError& e) {
      CheckResult failed;
      failed.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
      return failed;
    }
  }
  if (!snapshot && !opt.db.empty()) {
    try {
      own_snapshot =
          connect_snapshot(opt.db, SnapshotLimits{opt.statement_timeout_ms, opt.lock_timeout_ms});
      snapshot = own_snapshot.get();
    } catch (const SnapshotError& e) {
      CheckResult failed;
      failed.database_error = e.what();
      return failed;
    }
  }
  if (snapshot) {
    // The server (or the stats file) says which engine and flavor it is (a mysql:// DSN may
    // reach MariaDB) and which version, unless the user said.
    if (!opt.dialect_given) effective.dialect = snapshot->dialect();
    if (!same_engine(snapshot->dialect(), effective.dialect)) {
      CheckResult failed;
      failed.problems.push_back({"",
                                 {},
                                 "the snapshot is a " +
                                     std::string(dialect_name(snapshot->dialect())) +
                                     " server but the migrations are read as " +
                                     std::string(dialect_name(effective.dialect)),
                                 "input-error"});
      return failed;
    }
    if (!opt.version_given) effective.version = snapshot->server_version();
  }
  // Which files are new since the git revision: known before the analysis, since --trace runs
  // only those (the snapshot already has the older ones).
  std::vector<GitChanges> changes;
  std::set<std::string> new_files;
  if (!opt.changed_since.empty()) {
    try {
      for (const auto& in : inputs) {
        changes.push_back(changes_of(in, opt.changed_since));
        new_files.insert(changes.back().added.begin(), changes.back().added.end());
      }
    } catch (const InputError& e) {
      CheckResult failed;
      failed.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
      return failed;
    }
  }
  // The recorded history of each folder (after the revision was checked above).
  std::vector<std::optional<Baseline>> baselines;
  std::set<std::string> history;  // absolute paths of unchanged recorded migrations
  try {
    for (auto& set : sets) {
      baselines.push_back(
          apply_baseline(set, opt.changed_since.empty() ? "HEAD" : opt.changed_since));
      for (size_t i = 0; i < set.up_reported.size(); ++i)
        if (baselines.back() && !set.up_reported[i]) history.insert(absolute(set.up[i]->path()));
    }
  } catch (const InputError& e) {
    CheckResult failed;
    failed.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
    return failed;
  }
  TraceFilter trace_file = [&](const std::string& path) {
    std::string abs = absolute(path);
    return !history.count(abs) && (opt.changed_since.empty() || new_files.count(abs) > 0);
  };
  CheckResult r;
  std::vector<SetRange> ranges;
  try {
    ranges = check_planned(sets, packs, effective, snapshot, sessions ? sessions->tracer : nullptr,
                           &trace_file, r);
  } catch (const SnapshotError& e) {
    CheckResult failed;
    failed.database_error = e.what();
    return failed;
  } catch (const std::exception& e) {
    if (!snapshot) throw;
    CheckResult failed;
    failed.database_error =
        redact(std::string("the snapshot database failed: ") + e.what(), opt.db);
    return failed;
  }
  r.version = effective.version;
  r.dialect = effective.dialect;
  r.history_files = history.size();
  r.trace_superuser = snapshot && opt.trace && snapshot->superuser();
  r.problems.insert(r.problems.begin(), problems.begin(), problems.end());
  try {
    for (size_t s = 0; s < inputs.size(); ++s) {
      verify_migration_sum(r, inputs[s], ranges[s], packs);
      if (!opt.changed_since.empty())
        apply_git_changes(r, changes[s], ranges[s], packs, opt);
      else if (baselines[s])
        report_edited_history(r, *baselines[s], ranges[s], packs);
    }
  } catch (const InputError& e) {
    r.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
  }
  // Findings in files only replayed for the schema model are dropped; the edit findings stay.
  std::erase_if(r.findings, [&](const Finding& f) {
    return !r.files[f.file].reported && f.rule_id != "migration-edited";
  });
  // The summary counts what was judged, not what was replayed.
  r.statements = 0;
  for (const auto& f : r.files)
    if (f.is_migration && f.reported) r.statements += f.statements;
  sort_findings(r);
  return r;
}

}  // namespace migsafe
