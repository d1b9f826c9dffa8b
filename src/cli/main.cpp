// migsafe command line: argument handling only; the work happens in the library.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/report.hpp"
#include "migsafe/rules.hpp"

namespace {

using namespace migsafe;

constexpr int kExitOk = 0;
constexpr int kExitBlocked = 1;
constexpr int kExitUsage = 2;

struct CommonOptions {
  std::string dialect = "postgres";
  std::vector<std::string> packs;
};

Dialect dialect_or_throw(const std::string& s) {
  auto d = parse_dialect(s);
  if (!d)
    throw CLI::ValidationError("--dialect",
                               "unknown dialect '" + s + "' (postgres, mysql, mariadb, sqlite)");
  return *d;
}

std::vector<Pack> load_packs(Dialect d, const std::vector<std::string>& extra) {
  std::vector<Pack> packs;
  packs.push_back(load_pack(find_shipped_pack(d)));
  // A bare name ("postgres-style") is a shipped pack; anything else is a path.
  for (const auto& p : extra) {
    bool is_path = p.find('/') != std::string::npos || p.ends_with(".yaml") || p.ends_with(".yml");
    packs.push_back(load_pack(is_path ? p : find_shipped_pack(p)));
  }
  return packs;
}

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

int run_check(const CommonOptions& common, const std::vector<std::string>& paths,
              const std::string& version, const std::string& format, const std::string& fail_on,
              const std::string& color, const std::string& transactions) {
  CheckOptions opt;
  opt.dialect = dialect_or_throw(common.dialect);
  opt.version = default_target_version(opt.dialect);
  if (!version.empty()) {
    auto v = parse_target_version(opt.dialect, version);
    if (!v)
      throw CLI::ValidationError("--target-version", "'" + version + "' is not a supported " +
                                                         std::string(dialect_name(opt.dialect)) +
                                                         " version (PostgreSQL: 11 to 17)");
    opt.version = *v;
  }
  auto tm = parse_transaction_mode(transactions);
  if (!tm)
    throw CLI::ValidationError("--transactions", "must be autocommit, per-file or single-query");
  opt.transactions = *tm;
  auto f = parse_fail_on(fail_on);
  if (!f) throw CLI::ValidationError("--fail-on", "must be error, warning or never");
  if (paths.empty())
    throw CLI::ValidationError("PATH", "give at least one file or folder, or - for stdin");
  std::vector<Pack> packs = load_packs(opt.dialect, common.packs);
  CheckResult r = check_paths(paths, packs, opt);
  ReportContext ctx{opt, *f, format == "text" && use_color(color)};
  if (format == "json")
    report_json(r, ctx, std::cout);
  else
    report_text(r, ctx, std::cout);
  std::cout.flush();
  if (!r.problems.empty()) return kExitUsage;
  return is_blocked(r, *f) ? kExitBlocked : kExitOk;
}

int run_rules(const CommonOptions& common) {
  std::vector<Pack> packs = load_packs(dialect_or_throw(common.dialect), common.packs);
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

int run_explain(const CommonOptions& common, const std::string& id) {
  std::vector<Pack> packs = load_packs(dialect_or_throw(common.dialect), common.packs);
  const Rule* r = find_rule(packs, id);
  if (!r) {
    for (const auto& p : packs)
      for (const auto& rule : p.rules)
        if (std::find(rule.aliases.begin(), rule.aliases.end(), id) != rule.aliases.end())
          r = &rule;
  }
  if (!r) {
    std::cerr << "migsafe: no rule '" << id << "' in the active packs (see `migsafe rules`)\n";
    return kExitUsage;
  }
  std::cout << r->id << " (" << severity_name(r->severity) << ", pack " << r->pack << ")\n"
            << r->title << "\n\n";
  print_block("Why", r->why);
  print_block("Flagged (bad)", r->examples.bad);
  print_block("Passes (good)", r->examples.good);
  print_block("Instead", r->instead);
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
  CLI::App app{"migsafe: checks SQL migrations for locks, rewrites and breaking changes"};
  app.set_version_flag("--version", std::string("migsafe ") + MIGSAFE_VERSION);
  app.require_subcommand(1);
  CommonOptions common;

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--dialect", common.dialect, "postgres (default), mysql, mariadb, sqlite");
    sub->add_option("--pack", common.packs,
                    "an extra rule pack: a YAML file, or the name of a shipped one "
                    "(postgres-style); repeatable")
        ->allow_extra_args(false);
  };

  std::vector<std::string> paths;
  std::string version, format = "text", fail_on = "error", color = "auto";
  std::string transactions = "autocommit";
  CLI::App* check = app.add_subcommand("check", "check migration files, folders or - (stdin)");
  add_common(check);
  check->add_option("PATH", paths, "files, folders (ordered migration sets) or - for stdin");
  check->add_option("--target-version", version, "server version, e.g. 16 (default 16)");
  check->add_option("--format", format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  check->add_option("--fail-on", fail_on, "error (default), warning or never")
      ->check(CLI::IsMember({"error", "warning", "never"}));
  check->add_option("--color", color, "auto (default), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  check
      ->add_option("--transactions", transactions,
                   "how the runner sends each file: autocommit (default; BEGIN/COMMIT in the "
                   "file honoured), per-file (wrapped in one transaction) or single-query (one "
                   "multi-statement query string: an implicit transaction block)")
      ->check(CLI::IsMember({"autocommit", "per-file", "single-query"}));

  CLI::App* rules = app.add_subcommand("rules", "list the rules of the active packs");
  add_common(rules);

  std::string rule_id;
  CLI::App* explain = app.add_subcommand("explain", "show a rule's documentation");
  add_common(explain);
  explain->add_option("RULE-ID", rule_id, "the rule id")->required();

  try {
    app.parse(argc, argv);
    if (check->parsed())
      return run_check(common, paths, version, format, fail_on, color, transactions);
    if (rules->parsed()) return run_rules(common);
    if (explain->parsed()) return run_explain(common, rule_id);
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
