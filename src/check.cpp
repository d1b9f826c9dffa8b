#include "migsafe/check.hpp"

#include <algorithm>

#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/snapshot.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

namespace migsafe {

std::string_view transaction_mode_name(TransactionMode m) {
  switch (m) {
    case TransactionMode::autocommit:
      return "autocommit";
    case TransactionMode::per_file:
      return "per-file";
    case TransactionMode::single_query:
      return "single-query";
  }
  return "autocommit";
}

std::optional<TransactionMode> parse_transaction_mode(std::string_view s) {
  if (s == "autocommit") return TransactionMode::autocommit;
  if (s == "per-file") return TransactionMode::per_file;
  if (s == "single-query") return TransactionMode::single_query;
  return std::nullopt;
}

std::vector<std::string> Finding::lines() const {
  std::vector<std::string> out = notes;
  if (why && !why->empty()) out.push_back("why: " + *why);
  return out;
}

size_t CheckResult::migration_files() const {
  return static_cast<size_t>(std::count_if(files.begin(), files.end(),
                                           [](const CheckedFile& f) { return f.is_migration; }));
}

size_t CheckResult::count(Severity s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [&](const Finding& f) { return f.severity == s; }));
}

namespace {
// trace_file: which files --trace runs (null: none).
using TraceFilter = std::function<bool(const std::string& path)>;
void sort_findings(CheckResult& r);
CheckResult check_sets_with(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                            const CheckOptions& opt, PgSnapshot* snapshot,
                            const TraceFilter* trace_file);
}  // namespace

CheckResult check_sets(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                       const CheckOptions& opt) {
  CheckResult r = check_sets_with(sets, packs, opt, nullptr, nullptr);
  sort_findings(r);
  return r;
}

namespace {
CheckResult check_sets_with(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                            const CheckOptions& opt, PgSnapshot* snapshot,
                            const TraceFilter* trace_file) {
  CheckResult r;
  for (const auto& set : sets) {
    // SQLite needs no database from the user: its dry run runs on the embedded engine.
    std::unique_ptr<StatementProbe> probe =
        opt.dialect == Dialect::sqlite ? make_sqlite_dry_run() : nullptr;
    // --trace: one rolled-back transaction per migration set.
    std::unique_ptr<StatementTracer> tracer =
        snapshot && opt.trace ? snapshot->begin_trace() : nullptr;
    SetAnalyzer analyzer(packs, opt, probe.get(), snapshot, tracer.get());
    for (size_t i = 0; i < set.size(); ++i) {
      const auto& src = set[i];
      size_t file_index = r.files.size();
      analyzer.begin_file(*src, file_index, static_cast<int>(i),
                          tracer && trace_file && (*trace_file)(src->path()));
      ParsedFile parsed = parse_each(
          opt.dialect, *src, [&](Statement& st) { analyzer.statement(st); }, &opt.version);
      analyzer.end_file(parsed.comments, r.findings);
      for (const auto& e : parsed.syntax_errors)
        r.problems.push_back({src->path(), e.pos, e.message, "syntax-error"});
      r.files.push_back({src->path(), src, parsed.statements, true});
      r.statements += parsed.statements;
    }
  }
  return r;
}

// Findings in file order, then line:col (stable: rule order within a place).
void sort_findings(CheckResult& r) {
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.at.line != b.at.line) return a.at.line < b.at.line;
    return a.at.col < b.at.col;
  });
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
void apply_git_changes(CheckResult& r, const GitChanges& changes, size_t first, size_t count,
                       const std::vector<Pack>& packs, const CheckOptions& opt) {
  for (size_t i = first; i < first + count; ++i) {
    CheckedFile& f = r.files[i];
    std::string abs = absolute(f.path);
    f.reported = changes.added.count(abs) > 0;
    if (changes.modified.count(abs) && f.source) {
      r.findings.push_back(
          file_finding(packs, "migration-edited", i, *f.source, 1,
                       f.path + " existed at " + opt.changed_since +
                           " and was changed since: applied migrations must not change"));
      r.findings.back().notes.push_back("changed since: " + opt.changed_since);
    }
  }
}

void verify_migration_sum(CheckResult& r, const MigrationSet& set, size_t first, size_t count,
                          const std::vector<Pack>& packs) {
  std::error_code ec;
  if (!fs::is_directory(set.root, ec)) return;
  fs::path sum_path = fs::path(set.root) / kSumFile;
  if (!fs::exists(sum_path, ec)) return;
  std::shared_ptr<const SourceText> sum_src = read_source(sum_path.string());
  std::vector<SumLine> recorded = parse_sum(sum_path.string(), sum_src->text());
  std::vector<std::string> files;
  std::map<std::string, size_t> index;
  for (size_t i = first; i < first + count; ++i) {
    files.push_back(r.files[i].path);
    index[fs::relative(r.files[i].path, set.root, ec).generic_string()] = i;
  }
  std::vector<SumProblem> problems = verify_sum(recorded, compute_sum(set.root, files));
  if (problems.empty()) return;
  size_t sum_index = r.files.size();
  r.files.push_back({sum_path.string(), sum_src, 0, true, false});
  for (const auto& p : problems) {
    auto it = index.find(p.path);
    std::string message = p.path + " " + p.message;
    // A file that is still there is the place to look; a removed one is only in migsafe.sum.
    if (it != index.end() && r.files[it->second].source)
      r.findings.push_back(file_finding(packs, "migration-sum-mismatch", it->second,
                                        *r.files[it->second].source, 1, message));
    else
      r.findings.push_back(file_finding(packs, "migration-sum-mismatch", sum_index, *sum_src,
                                        p.sum_line ? p.sum_line : 1, message));
  }
}

}  // namespace

CheckResult check_paths(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                        const CheckOptions& opt) {
  std::vector<SourceSet> sets;
  std::vector<InputProblem> problems;
  std::vector<MigrationSet> inputs;
  try {
    inputs = collect_inputs(paths, opt.inputs);
  } catch (const InputError& e) {
    CheckResult r;
    r.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
    return r;
  }
  for (const auto& in : inputs) {
    SourceSet set;
    for (const auto& f : in.files) {
      try {
        set.push_back(read_source(f));
      } catch (const InputError& e) {
        problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
      }
    }
    sets.push_back(std::move(set));
  }
  // A snapshot: connect first, so its server version decides the effects (unless given).
  std::unique_ptr<PgSnapshot> snapshot;
  CheckOptions effective = opt;
  if (!opt.db.empty()) {
    try {
      if (opt.dialect != Dialect::postgres)
        throw SnapshotError("--db is supported for PostgreSQL snapshots only in this release");
      snapshot =
          connect_postgres(opt.db, SnapshotLimits{opt.statement_timeout_ms, opt.lock_timeout_ms});
      if (!opt.version_given) effective.version = snapshot->server_version();
    } catch (const SnapshotError& e) {
      CheckResult failed;
      failed.database_error = e.what();
      return failed;
    }
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
  TraceFilter trace_file = [&](const std::string& path) {
    return opt.changed_since.empty() || new_files.count(absolute(path)) > 0;
  };
  CheckResult r;
  try {
    r = check_sets_with(sets, packs, effective, snapshot.get(), &trace_file);
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
  r.trace_superuser = snapshot && opt.trace && snapshot->superuser();
  r.problems.insert(r.problems.begin(), problems.begin(), problems.end());
  size_t first = 0;
  try {
    for (size_t s = 0; s < inputs.size(); ++s) {
      verify_migration_sum(r, inputs[s], first, sets[s].size(), packs);
      if (!opt.changed_since.empty())
        apply_git_changes(r, changes[s], first, sets[s].size(), packs, opt);
      first += sets[s].size();
    }
  } catch (const InputError& e) {
    r.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
  }
  // Findings in files only replayed for the schema model are dropped; the edit findings stay.
  std::erase_if(r.findings, [&](const Finding& f) {
    return !r.files[f.file].reported && f.rule_id != "migration-edited";
  });
  sort_findings(r);
  return r;
}

}  // namespace migsafe
