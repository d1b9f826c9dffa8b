#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <thread>

#include "migsafe/parse.hpp"
#include "migsafe/snapshot.hpp"
#include "migsafe/stats.hpp"

namespace migsafe::cli {
namespace {

// A setting from the paths: entry of a folder, else the config's top level.
template <class T>
std::optional<T> configured(const PathSettings* ps, std::optional<T> PathSettings::*field,
                            const std::optional<T>& top) {
  return ps && ps->*field ? ps->*field : top;
}

}  // namespace

Config load_effective_config(const Flags& f, const std::string& from) {
  if (!f.config.empty()) return load_config(f.config);
  if (auto found = find_config(from)) return load_config(*found);
  return Config{};
}

std::vector<Pack> load_packs(Dialect d, const std::vector<std::string>& extra, const Config& cfg,
                             std::set<std::string>* unknown_ids) {
  std::vector<Pack> packs = load_shipped_packs(d);
  // A bare name ("postgres-style") is a shipped pack; anything else is a path.
  auto add = [&](const std::string& p) {
    packs.push_back(is_pack_path(p) ? load_pack(p) : load_shipped_pack(p));
  };
  for (const auto& p : cfg.packs) add(p);
  for (const auto& p : extra) add(p);
  apply_rule_overrides(packs, cfg, unknown_ids);
  return packs;
}

// The options for the inputs under one paths: entry (or none): flags win over the entry, the
// entry over the config's top level.
CheckOptions options_for(const Flags& f, const Config& cfg, const PathSettings* ps) {
  CheckOptions opt;
  if (cfg.header_keys) opt.header_keys = *cfg.header_keys;
  opt.db = f.db;
  opt.stats = f.stats;
  if (opt.db.empty() && opt.stats.empty())
    if (const char* env = std::getenv("MIGSAFE_DB")) opt.db = env;
  // Without --dialect (or the config's), the snapshot's engine decides.
  auto configured_dialect = configured(ps, &PathSettings::dialect, cfg.dialect);
  // (GCC's maybe-uninitialized analysis trips over std::optional here: a plain pair instead.)
  std::optional<Dialect> named = !opt.db.empty()      ? dsn_dialect(opt.db)
                                 : !opt.stats.empty() ? stats_file_dialect(opt.stats)
                                                      : std::nullopt;
  bool has_engine = named.has_value();
  Dialect engine = named.value_or(Dialect::postgres);
  opt.dialect_given = !f.dialect.empty() || configured_dialect.has_value();
  opt.dialect = pick<Dialect>(f.dialect, configured_dialect, engine, parse_dialect, "--dialect",
                              "postgres, mysql, mariadb or sqlite");
  if (opt.dialect_given && has_engine && !same_engine(engine, opt.dialect))
    throw CLI::ValidationError("--dialect", std::string(dialect_name(opt.dialect)) +
                                                " contradicts the snapshot's " +
                                                std::string(dialect_name(engine)) + " DSN");
  opt.version = opt.dialect == Dialect::sqlite ? linked_sqlite_version()
                                               : default_target_version(opt.dialect);
  std::string version =
      !f.version.empty()
          ? f.version
          : configured(ps, &PathSettings::target_version, cfg.target_version).value_or("");
  if (!version.empty()) {
    auto v = parse_target_version(opt.dialect, version);
    // A mysql:// DSN may reach MariaDB: a version only MariaDB has says which (and the other way).
    if (!v && !opt.dialect_given && has_engine && opt.dialect != Dialect::postgres) {
      Dialect other = opt.dialect == Dialect::mysql ? Dialect::mariadb : Dialect::mysql;
      if ((v = parse_target_version(other, version))) opt.dialect = other;
    }
    if (!v)
      throw CLI::ValidationError("--target-version",
                                 "'" + version + "' is not a supported " +
                                     std::string(dialect_name(opt.dialect)) +
                                     " version (PostgreSQL: 11 to 17, SQLite: 3.35 to 3.46)");
    opt.version = *v;
    opt.version_given = true;
  }
  auto transactions = configured(ps, &PathSettings::transactions, cfg.transactions);
  opt.transactions = pick<TransactionMode>(
      f.transactions, transactions, TransactionMode::autocommit, parse_transaction_mode,
      "--transactions", "autocommit, per-file or single-query");
  opt.transactions_given = !f.transactions.empty() || transactions.has_value();
  opt.flyway_mixed = configured(ps, &PathSettings::flyway_mixed, cfg.flyway_mixed);
  opt.inputs.direction = f.direction == "down" ? Direction::down : Direction::up;
  opt.inputs.layout = pick<Layout>(f.layout, configured(ps, &PathSettings::layout, cfg.layout),
                                   Layout::automatic, parse_layout, "--layout", layout_names());
  opt.inputs.exclude = cfg.exclude;
  opt.inputs.exclude.insert(opt.inputs.exclude.end(), f.exclude.begin(), f.exclude.end());
  opt.changed_since = f.changed_since;
  opt.trace = f.trace;
  opt.jobs = f.jobs > 0
                 ? f.jobs
                 : std::min(2, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  if (f.jobs == 0) opt.parse_ahead_min_bytes = 32 * 1024;
  opt.lock_timeout_ms = f.lock_timeout_ms;
  opt.statement_timeout_ms = f.statement_timeout_ms;
  // A lock wait must end as a lock timeout: were the statement timeout to fire first, a
  // statement stuck behind another session's lock would read as merely slow.
  if (opt.lock_timeout_ms >= opt.statement_timeout_ms)
    throw CLI::ValidationError("--snapshot-lock-timeout",
                               "must be below --snapshot-statement-timeout (" +
                                   std::to_string(opt.lock_timeout_ms) +
                                   " >= " + std::to_string(opt.statement_timeout_ms) + " ms)");
  return opt;
}

}  // namespace migsafe::cli
