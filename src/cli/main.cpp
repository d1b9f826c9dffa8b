// migsafe command line: argument handling only; the work happens in the library.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "help_docs.hpp"
#include "lsp.hpp"
#include "migsafe/check.hpp"
#include "migsafe/config.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/plan.hpp"
#include "migsafe/report.hpp"
#include "migsafe/rules.hpp"
#include "migsafe/snapshot.hpp"
#include "migsafe/stats.hpp"
#include "options.hpp"

namespace {

using namespace migsafe;
using cli::Flags;
using cli::load_effective_config;
using cli::load_packs;
using cli::options_for;
using cli::pick;

constexpr int kExitOk = 0;
constexpr int kExitBlocked = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDatabase = 3;

// --output FORMAT=FILE: one more report of the same run, written to a file.
struct OutputSpec {
  std::string format;
  std::string path;
};

std::vector<OutputSpec> parse_outputs(const std::vector<std::string>& specs,
                                      const std::function<bool(const std::string&)>& known,
                                      const std::string& valid) {
  std::vector<OutputSpec> out;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw CLI::ValidationError("--output",
                                 "'" + spec + "' is not FORMAT=FILE (e.g. sarif=migsafe.sarif)");
    OutputSpec o{spec.substr(0, eq), spec.substr(eq + 1)};
    if (!known(o.format))
      throw CLI::ValidationError("--output", "'" + o.format + "' is not a format: " + valid);
    out.push_back(std::move(o));
  }
  return out;
}

// Writes one report to a file; a file that cannot be written is an input error (exit 2).
void write_output(const OutputSpec& o, const std::function<void(std::ostream&)>& write) {
  std::ofstream file(o.path, std::ios::binary | std::ios::trunc);
  if (!file) throw InputError(o.path, "cannot write the report: " + describe_errno(errno));
  write(file);
  file.flush();
  if (!file) throw InputError(o.path, "cannot write the report: " + describe_errno(errno));
}

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

// The PATH arguments that share one paths: entry (or none).
struct PathGroup {
  const PathSettings* settings = nullptr;
  std::vector<std::string> paths;
  std::vector<std::string> exclude;  // entries with settings of their own, inside a folder given
};

// Each argument goes with the most specific paths: entry that holds it; a folder that holds
// entries of its own is checked as those entries, each with its settings, and the rest.
std::vector<PathGroup> group_paths(const std::vector<std::string>& paths, const Config& cfg) {
  std::vector<PathGroup> groups(1);
  auto group_of = [&](const PathSettings* ps) -> PathGroup& {
    for (auto& g : groups)
      if (g.settings == ps) return g;
    groups.push_back({ps, {}, {}});
    return groups.back();
  };
  namespace fs = std::filesystem;
  for (const auto& arg : paths) {
    if (arg == "-" || cfg.paths.empty()) {
      groups[0].paths.push_back(arg);
      continue;
    }
    const PathSettings* holder = cfg.settings_for(arg);
    std::error_code ec;
    std::string abs = fs::weakly_canonical(fs::absolute(arg, ec), ec).lexically_normal().string();
    std::vector<std::string> inner_excludes;
    for (const auto& s : cfg.paths) {
      if (&s == holder || !s.path.starts_with(abs + "/") || !fs::exists(s.path, ec)) continue;
      // An entry inside the folder given: checked with its own settings, left out of the rest.
      std::string shown = (fs::path(arg) / fs::path(s.path).lexically_relative(abs)).string();
      group_of(&s).paths.push_back(shown);
      inner_excludes.push_back(shown + "/*");
    }
    PathGroup& g = group_of(holder);
    g.paths.push_back(arg);
    g.exclude.insert(g.exclude.end(), inner_excludes.begin(), inner_excludes.end());
  }
  std::erase_if(groups, [](const PathGroup& g) { return g.paths.empty(); });
  return groups;
}

// Appends one group's result to the whole run's.
void merge(CheckResult& into, CheckResult&& part) {
  size_t offset = into.files.size();
  for (auto& f : part.findings) f.file += offset;
  // The first group's (often the only one's) vectors are taken whole, not moved item by item.
  auto append = [](auto& to, auto& from) {
    if (to.empty())
      to = std::move(from);
    else
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
  };
  append(into.findings, part.findings);
  append(into.files, part.files);
  for (auto& r : part.runners) into.runners.push_back(std::move(r));
  for (auto& p : part.problems) into.problems.push_back(std::move(p));
  if (into.database_error.empty()) into.database_error = part.database_error;
  if (!into.version) into.version = part.version;
  if (!into.dialect) into.dialect = part.dialect;
  for (auto& e : part.effects) {
    e.file += offset;
    into.effects.push_back(std::move(e));
  }
  into.trace_superuser = into.trace_superuser || part.trace_superuser;
  into.statements += part.statements;
  into.history_files += part.history_files;
}

// What the process is about to hand back whole when it exits: freeing a large run's findings,
// sources and packs block by block took 3 ms of a 0.11 s check. Sanitizer builds free it, so
// that their leak checks keep meaning something.
#if defined(__SANITIZE_ADDRESS__)
#define MIGSAFE_FREES_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIGSAFE_FREES_AT_EXIT 1
#endif
#endif
template <class T>
void leave_to_exit(std::unique_ptr<T> p) {
#ifdef MIGSAFE_FREES_AT_EXIT
  p.reset();
#else
  (void)p.release();
#endif
}

// Every path group checked with its own settings, as one result.
struct GroupsRun {
  CheckResult result;
  std::vector<Pack> packs;
  CheckOptions options;  // the first group's
};

GroupsRun check_groups(const Flags& f, const Config& cfg, bool collect_effects) {
  if (f.paths.empty())
    throw CLI::ValidationError("PATH", "give at least one file or folder, or - for stdin");
  std::vector<PathGroup> groups = group_paths(f.paths, cfg);
  CheckResult r;
  std::vector<Pack> all_packs;
  std::optional<CheckOptions> first;
  // A rule id of the config must be known to the packs of at least one group.
  std::map<std::string, size_t> unknown_in;
  for (const auto& g : groups) {
    CheckOptions opt = options_for(f, cfg, g.settings);
    opt.collect_effects = collect_effects;
#ifndef MIGSAFE_FREES_AT_EXIT
    opt.leave_model_to_exit = true;  // the command exits after its report
#endif
    opt.inputs.exclude.insert(opt.inputs.exclude.end(), g.exclude.begin(), g.exclude.end());
    if (opt.trace && opt.db.empty())
      throw CLI::ValidationError("--trace", "needs a snapshot: give --db (or MIGSAFE_DB)");
    if (!opt.stats.empty() && !opt.db.empty())
      throw CLI::ValidationError("--stats", "give --db or --stats, not both");
    std::set<std::string> unknown;
    std::vector<Pack> packs = load_packs(opt.dialect, f.packs, cfg, &unknown);
    for (const auto& id : unknown) ++unknown_in[id];
    CheckResult part = check_paths(g.paths, packs, opt);
    if (part.version) opt.version = *part.version;
    if (part.dialect) opt.dialect = *part.dialect;
    for (auto& sr : part.runners) {
      sr.dialect = opt.dialect;
      sr.version = opt.version;
    }
    merge(r, std::move(part));
    for (auto& p : packs) all_packs.push_back(std::move(p));
    if (!first) first = opt;
  }
  for (const auto& [id, count] : unknown_in)
    if (count == groups.size()) unknown_rule_id(cfg, id);
  return {std::move(r), std::move(all_packs), *first};
}

int run_check(const Flags& f) {
  Config cfg = load_effective_config(f);
  std::vector<OutputSpec> outputs = parse_outputs(
      f.outputs, [](const std::string& s) { return parse_format(s).has_value(); },
      "text, json, sarif, github, markdown, junit or gitlab");
  auto run = std::make_unique<GroupsRun>(check_groups(f, cfg, false));
  auto& [r, all_packs, opt] = *run;
  FailOn fail_on = pick<FailOn>(f.fail_on, cfg.fail_on, FailOn::error, parse_fail_on, "--fail-on",
                                "error, warning or never");
  Format format = parse_format(f.format).value_or(Format::text);
  ReportContext ctx{opt, fail_on, format == Format::text && use_color(f.color), &all_packs,
                    !f.docs_url.empty() ? f.docs_url : cfg.docs_url};
  // A database error still gives the machine-readable documents, valid and saying so; the
  // others would report checks that did not happen.
  // A named reference: clang before 16 cannot capture a structured binding.
  const CheckResult& result = r;
  auto writes = [&](Format fm) {
    return result.database_error.empty() || fm == Format::json || fm == Format::sarif;
  };
  if (writes(format)) report(format, r, ctx, std::cout);
  std::cout.flush();
  for (const auto& o : outputs) {
    ReportContext file_ctx = ctx;
    file_ctx.color = false;
    if (writes(*parse_format(o.format)))
      write_output(
          o, [&](std::ostream& out) { report(*parse_format(o.format), result, file_ctx, out); });
  }
  if (!r.database_error.empty())
    std::cerr << "migsafe: database error: " << r.database_error << '\n';
  int code = !r.database_error.empty() ? kExitDatabase
             : !r.problems.empty()     ? kExitUsage
             : is_blocked(r, fail_on)  ? kExitBlocked
                                       : kExitOk;
  leave_to_exit(std::move(run));
  return code;
}

// migsafe effects: what each statement does, without a verdict.
int run_effects(const Flags& f) {
  Config cfg = load_effective_config(f);
  auto [r, packs, opt] = check_groups(f, cfg, true);
  if (!r.database_error.empty()) {
    std::cerr << "migsafe: database error: " << r.database_error << '\n';
    return kExitDatabase;
  }
  report_effects(f.format == "json" ? EffectsFormat::json : EffectsFormat::text, r, std::cout);
  return r.problems.empty() ? kExitOk : kExitUsage;
}

// migsafe plan's own flags.
struct PlanFlags {
  std::string queries;
  int from_stats = 0;
  double max_cost_ratio = 2;
};

// migsafe stats: the snapshot's facts as a file CI can read without the database.
int run_stats(const Flags& f, int top_queries) {
  std::vector<OutputSpec> outputs = parse_outputs(
      f.outputs, [](const std::string& s) { return s == "json"; }, "json");
  std::string db = f.db;
  if (db.empty())
    if (const char* env = std::getenv("MIGSAFE_DB")) db = env;
  if (db.empty()) throw CLI::ValidationError("--db", "give the snapshot to read (or MIGSAFE_DB)");
  try {
    std::unique_ptr<Snapshot> snapshot = connect_snapshot(db);
    if (outputs.empty()) {
      write_stats(*snapshot, top_queries, std::cout);
    } else {
      for (const auto& o : outputs)
        write_output(o, [&](std::ostream& out) { write_stats(*snapshot, top_queries, out); });
    }
  } catch (const SnapshotError& e) {
    std::cerr << "migsafe: database error: " << redact(e.what(), db) << '\n';
    return kExitDatabase;
  }
  return kExitOk;
}

int run_plan_command(const Flags& f, const PlanFlags& pf) {
  Config cfg = load_effective_config(f);
  std::vector<OutputSpec> outputs = parse_outputs(
      f.outputs, [](const std::string& s) { return parse_plan_format(s).has_value(); },
      "text, json, markdown or html");
  if (f.paths.empty())
    throw CLI::ValidationError("PATH", "give the migrations to apply: files or folders");
  PlanOptions opt;
  opt.check = options_for(f, cfg, cfg.settings_for(f.paths.front()));
  opt.queries_file = pf.queries;
  opt.from_stats = pf.from_stats;
  // plan runs on a live snapshot; a stats file gives it the workload of the real server.
  opt.workload_file = std::exchange(opt.check.stats, std::string());
  if (!opt.workload_file.empty() && pf.from_stats <= 0)
    throw CLI::ValidationError("--stats", "gives plan its workload: use it with --from-stats N");
  opt.thresholds.max_cost_ratio = pf.max_cost_ratio;
  if (cfg.plan_rows) opt.thresholds.rows = *cfg.plan_rows;
  if (cfg.plan_bytes) opt.thresholds.bytes = *cfg.plan_bytes;
  std::vector<Pack> packs = load_packs(opt.check.dialect, f.packs, cfg);
  PlanRun run = run_plan(f.paths, packs, opt);
  if (!run.database_error.empty()) {
    std::cerr << "migsafe: database error: " << redact(run.database_error, opt.check.db) << '\n';
    return kExitDatabase;
  }
  report_plan(parse_plan_format(f.format).value_or(PlanFormat::text), run, opt, std::cout);
  std::cout.flush();
  for (const auto& o : outputs)
    write_output(
        o, [&](std::ostream& out) { report_plan(*parse_plan_format(o.format), run, opt, out); });
  if (!run.problems.empty()) return kExitUsage;
  return run.regressed() ? kExitBlocked : kExitOk;
}

int run_sum(const Flags& f, const std::string& dir) {
  Config cfg = load_effective_config(f);
  InputOptions in;
  in.layout = pick<Layout>(f.layout, cfg.layout, Layout::automatic, parse_layout, "--layout",
                           layout_names());
  in.exclude = cfg.exclude;
  if (!std::filesystem::is_directory(dir)) throw InputError(dir, "is not a folder");
  std::vector<MigrationSet> sets = collect_inputs({dir}, in);
  std::string text = format_sum(compute_sum(dir, sets.front().files));
  std::string path = (std::filesystem::path(dir) / kSumFile).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw InputError(path, "cannot be written");
  std::cout << "wrote " << path << ": " << sets.front().files.size() << " migrations\n";
  return kExitOk;
}

int run_rules(const Flags& f) {
  Config cfg = load_effective_config(f);
  Dialect d = pick<Dialect>(f.dialect, cfg.dialect, Dialect::postgres, parse_dialect, "--dialect",
                            "postgres, mysql, mariadb or sqlite");
  std::vector<Pack> packs = load_packs(d, f.packs, cfg);
  size_t width = 0;
  for (const auto& p : packs)
    for (const auto& r : p.rules) width = std::max(width, r.id.size());
  for (const auto& p : packs) {
    std::cout << "pack " << p.name << " (" << p.path << ")\n";
    for (const auto& r : p.rules) {
      std::string sev(severity_name(r.severity));
      std::cout << "  " << r.id << std::string(width - r.id.size() + 2, ' ') << sev
                << std::string(9 - sev.size(), ' ') << r.title << '\n';
    }
  }
  return kExitOk;
}

void print_block(std::string_view heading, std::string_view body) {
  if (body.empty()) return;
  std::cout << heading << ":\n";
  size_t b = 0;
  while (b < body.size()) {
    size_t e = body.find('\n', b);
    if (e == std::string_view::npos) e = body.size();
    std::cout << "    " << body.substr(b, e - b) << '\n';
    b = e + 1;
  }
  std::cout << '\n';
}

// The rule's advice filled in for its flagged example (placeholders where it cannot run).
std::string explain_advice(const Rule& r, const std::vector<Pack>& packs) {
  if (r.instead.empty()) return {};
  for (const auto& p : packs)
    if (p.name == r.pack) {
      std::string filled = example_instead(r, p, packs);
      if (!filled.empty()) return filled;
    }
  return instead_placeholders(r.instead);
}

int run_explain(const Flags& f, const std::string& id) {
  Config cfg = load_effective_config(f);
  Dialect d = pick<Dialect>(f.dialect, cfg.dialect, Dialect::postgres, parse_dialect, "--dialect",
                            "postgres, mysql, mariadb or sqlite");
  std::vector<Pack> packs = load_packs(d, f.packs, cfg);
  const Rule* r = find_rule(packs, id);
  if (!r) {
    for (const auto& p : packs)
      for (const auto& rule : p.rules)
        if (!r && std::find(rule.aliases.begin(), rule.aliases.end(), id) != rule.aliases.end())
          r = &rule;
  }
  // A rule of a shipped pack that is not active (hygiene, postgres-style) is still explained.
  std::string enable;
  if (!r) {
    for (const auto& name : shipped_pack_names()) {
      if (std::any_of(packs.begin(), packs.end(), [&](const Pack& p) { return p.name == name; }))
        continue;
      Pack extra = load_shipped_pack(name);
      if (!extra.any_dialect && !same_engine(extra.dialect, d)) continue;  // another dialect's
      packs.push_back(std::move(extra));
      if ((r = find_rule({packs.back()}, id))) {
        r = find_rule(packs, id);
        enable = ", opt-in: --pack " + name;
        break;
      }
    }
  }
  if (!r) {
    std::cerr << "migsafe: no rule '" << id << "' in the shipped packs (see `migsafe rules`)\n";
    return kExitUsage;
  }
  std::cout << r->id << " (" << severity_name(r->severity) << ", pack " << r->pack << enable
            << ")\n"
            << r->title << "\n\n";
  print_block("Why", r->why);
  if (r->examples.transactions)
    print_block("The examples run with",
                "--transactions " + std::string(transaction_mode_name(*r->examples.transactions)));
  print_block("Flagged (bad)", r->examples.bad);
  print_block("Passes (good)", r->examples.good);
  print_block("Instead", explain_advice(*r, packs));
  if (!r->aliases.empty()) {
    std::string a;
    for (const auto& x : r->aliases) a += (a.empty() ? "" : ", ") + x;
    print_block("Same hazard in other tools", a);
  }
  std::cout << "Suppress one statement with:\n    -- migsafe:ignore " << r->id << " <reason>\n";
  if (!r->docs.empty()) std::cout << "\nDocs: " << r->docs << '\n';
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Reports are written through std::cout alone (nothing here prints with C stdio): unsynced,
  // it buffers, where synced every insertion was an fwrite (a tenth of a large report's time).
  std::ios::sync_with_stdio(false);
  CLI::App app{"migsafe: checks SQL migrations for locks, rewrites and breaking changes"};
  app.set_version_flag("--version", std::string("migsafe ") + MIGSAFE_VERSION);
  app.require_subcommand(1);
  Flags f;

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--config", f.config, "config file (default: .migsafe.yaml found upward)");
    sub->add_option("--dialect", f.dialect, "postgres (default), mysql, mariadb, sqlite");
    sub->add_option("--pack", f.packs,
                    "an extra rule pack: a YAML file, or the name of a shipped one "
                    "(postgres-style, hygiene); repeatable")
        ->allow_extra_args(false);
  };

  // What check and plan share: the migrations, how they run, and the snapshot.
  auto add_migrations = [&](CLI::App* sub) {
    sub->add_option("PATH", f.paths, "files, folders (ordered migration sets) or - for stdin");
    sub->add_option("--target-version", f.version, "server version, e.g. 16 (default 16)");
    sub->add_option("--transactions", f.transactions,
                    "how files are sent, overriding the runner's own: autocommit (BEGIN/COMMIT "
                    "in the file honoured), per-file (wrapped in one transaction) or "
                    "single-query (one multi-statement query string: an implicit transaction "
                    "block); without it, the runner decides (autocommit for plain files)");
    sub->add_option("--changed-since", f.changed_since,
                    "replay every migration but report only those added since this git "
                    "revision; one edited since is an error");
    sub->add_option("--layout", f.layout,
                    "the migration tool that runs the files (which files are migrations, which "
                    "parts run, in which transactions): " +
                        layout_names() + "; auto (default) detects it");
    sub->add_option("--exclude", f.exclude, "skip paths matching this glob; repeatable")
        ->allow_extra_args(false);
    sub->add_option("--db", f.db,
                    "a snapshot to read real sizes, definitions, indexes and plans from "
                    "(postgresql://..., mysql://..., mariadb://... or sqlite:PATH, which is "
                    "copied and never written; also MIGSAFE_DB; the password is never printed)");
    sub->add_option("--stats", f.stats,
                    "a stats file (migsafe stats) instead of a snapshot: its definitions, sizes "
                    "and index use (check); the workload for --from-stats (plan)");
    sub->add_option("--snapshot-lock-timeout", f.lock_timeout_ms,
                    "milliseconds a snapshot query or traced statement waits for a lock (1000)")
        ->check(CLI::Range(1, 600000));
    sub->add_option("--snapshot-statement-timeout", f.statement_timeout_ms,
                    "milliseconds a snapshot query or traced statement may run (10000)")
        ->check(CLI::Range(1, 3600000));
    sub->add_option("--jobs,-j", f.jobs,
                    "threads: 2 or more read a large file's lines in two halves at once, "
                    "parse the files ahead of the rules on a second core and write long text "
                    "reports on two (the output is the same); 1 runs on one (default: 2 where "
                    "there are two cores, for sets of 32 KB and more)")
        ->check(CLI::Range(1, 256));
  };

  auto add_outputs = [&](CLI::App* sub) {
    sub->add_option("--output", f.outputs,
                    "FORMAT=FILE: also write the report in this format to this file; "
                    "repeatable (e.g. --output sarif=migsafe.sarif --output markdown=summary.md)")
        ->allow_extra_args(false);
  };

  // Only the subcommand being run gets its options defined (defining every one's was a tenth
  // of a pre-commit check); --help, man and completions get them all.
  const std::string_view first = argc > 1 ? argv[1] : "";
  const bool define_all =
      first.empty() || first[0] == '-' || first == "man" || first == "completions";
  auto defines = [&](std::string_view name) { return define_all || first == name; };

  CLI::App* check = app.add_subcommand("check", "check migration files, folders or - (stdin)");
  if (defines("check")) {
    add_common(check);
    add_migrations(check);
    add_outputs(check);
    check
        ->add_option("--format", f.format,
                     "text (default), json, sarif, github, markdown, junit or gitlab")
        ->check(CLI::IsMember({"text", "json", "sarif", "github", "markdown", "junit", "gitlab"}));
    check->add_option("--fail-on", f.fail_on, "error (default), warning or never");
    check->add_option("--color", f.color, "auto (default), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    check
        ->add_option("--direction", f.direction,
                     "up (default) or down: check the down migrations (goose Down, dbmate "
                     "migrate:down, .down.sql, Liquibase --rollback) as a rollback runs them, "
                     "newest first, after the up migrations built the schema")
        ->check(CLI::IsMember({"up", "down"}));
    check->add_option("--docs-url", f.docs_url, "base URL of rule documentation, for SARIF links");
    check->add_flag("--trace", f.trace,
                    "with --db: run the migrations being reported on the snapshot's server "
                    "(PostgreSQL: in one transaction that is always rolled back; MySQL, MariaDB: "
                    "on empty clones in a scratch database; SQLite: on the copy, as every check "
                    "with sqlite:PATH does) and report what the server did");
  }

  PlanFlags pf;
  CLI::App* plan = app.add_subcommand(
      "plan",
      "plan the application's queries on a snapshot before and after the migrations (applied "
      "where nothing persists) and say which regress");
  if (defines("plan")) {
    add_common(plan);
    add_migrations(plan);
    add_outputs(plan);
    plan->add_option("--queries", pf.queries,
                     "the workload: a file of ';'-separated queries ($1 parameters are planned "
                     "for any value)");
    plan->add_option("--from-stats", pf.from_stats,
                     "the workload: the N statements the server spent most time on "
                     "(pg_stat_statements, or MySQL's performance_schema digests)")
        ->check(CLI::Range(1, 10000));
    plan->add_option("--max-cost-ratio", pf.max_cost_ratio,
                     "a query regresses when its estimated cost grows more than this many times "
                     "(2)")
        ->check(CLI::Range(1.0, 1e9));
    plan->add_option("--format", f.format, "text (default), json, markdown or html")
        ->check(CLI::IsMember({"text", "json", "markdown", "html"}));
  }

  CLI::App* effects = app.add_subcommand(
      "effects",
      "show what every statement does to a live database: its lock on each table, what the "
      "lock blocks, rewrite, full read, transaction needs (no verdict)");
  if (defines("effects")) {
    add_common(effects);
    add_migrations(effects);
    effects->add_option("--format", f.format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
  }

  CLI::App* rules = app.add_subcommand("rules", "list the rules of the active packs");
  if (defines("rules")) {
    add_common(rules);
  }

  std::string rule_id;
  CLI::App* explain = app.add_subcommand("explain", "show a rule's documentation");
  if (defines("explain")) {
    add_common(explain);
    explain->add_option("RULE-ID", rule_id, "the rule id")->required();
  }

  CLI::App* docs =
      app.add_subcommand("docs", "print the rule reference (docs/rules.md) of all shipped packs");

  std::string sum_dir;
  CLI::App* sum = app.add_subcommand("sum", "write DIR/migsafe.sum (cumulative checksums)");
  if (defines("sum")) {
    sum->add_option("--config", f.config, "config file (default: .migsafe.yaml found upward)");
    sum->add_option("--layout", f.layout, "which files of the folder are migrations");
    sum->add_option("DIR", sum_dir, "the migrations folder")->required();
  }

  int top_queries = 50;
  CLI::App* stats = app.add_subcommand(
      "stats",
      "write the snapshot's definitions, sizes, index use and busiest statements "
      "(no rows, no credentials) for check --stats");
  if (defines("stats")) {
    stats->add_option("--db", f.db,
                      "the snapshot: postgresql://..., mysql://..., mariadb://... or sqlite:PATH "
                      "(also MIGSAFE_DB)");
    stats
        ->add_option("--top", top_queries,
                     "how many of the statements the server spent most time on to keep (50)")
        ->check(CLI::Range(0, 10000));
    stats->add_option("--output", f.outputs, "json=FILE: write the file there (default: stdout)");
  }

  std::string shell;
  CLI::App* completions =
      app.add_subcommand("completions", "print the shell completion script (bash or zsh)");
  if (defines("completions")) {
    completions->add_option("SHELL", shell, "bash or zsh")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh"}));
  }

  CLI::App* lsp = app.add_subcommand(
      "lsp", "serve the Language Server Protocol on stdin and stdout (for editors)");
  // The man page, for packaging: written from the same definitions as --help.
  CLI::App* man = app.add_subcommand("man", "print the man page (troff)")->group("");

  try {
    app.parse(argc, argv);
    if (check->parsed()) return run_check(f);
    if (plan->parsed()) return run_plan_command(f, pf);
    if (effects->parsed()) return run_effects(f);
    if (rules->parsed()) return run_rules(f);
    if (explain->parsed()) return run_explain(f, rule_id);
    if (sum->parsed()) return run_sum(f, sum_dir);
    if (stats->parsed()) return run_stats(f, top_queries);
    if (completions->parsed())
      return write_completion(app, shell, std::cout) ? kExitOk : kExitUsage;
    if (lsp->parsed()) return cli::run_lsp(std::cin, std::cout);
    if (man->parsed()) {
      write_manpage(app, MIGSAFE_VERSION, std::cout);
      return kExitOk;
    }
    if (docs->parsed()) {
      std::vector<Pack> packs;
      for (const auto& name : shipped_pack_names()) packs.push_back(load_shipped_pack(name));
      write_rules_markdown(packs, std::cout);
      return kExitOk;
    }
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << e.where() << ": error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const InputError& e) {
    std::cerr << e.where() << ": error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "migsafe: internal error: " << e.what() << '\n';
    return kExitUsage;
  }
  return kExitUsage;
}
