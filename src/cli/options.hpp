// The command line's options turned into the library's: flags over a folder's paths: entry
// over the config's top level over the defaults. Shared by the commands and the language server.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/config.hpp"
#include "migsafe/rules.hpp"

namespace migsafe::cli {

// What the user said on the command line; empty means "not given" (the config or the default
// applies).
struct Flags {
  std::string config;
  std::string dialect;
  std::vector<std::string> packs;
  std::vector<std::string> paths;
  std::string version, format = "text", fail_on, color = "auto", transactions;
  std::string changed_since, layout, docs_url, db, direction = "up";
  std::string stats;  // --stats FILE (migsafe stats)
  bool trace = false;
  int lock_timeout_ms = 1000, statement_timeout_ms = 10000;
  int jobs = 0;  // 0: as many as the machine has cores, at most 2
  std::vector<std::string> exclude;
  std::vector<std::string> outputs;  // --output FORMAT=FILE
};

// A flag's value if given (parsed; a bad one throws CLI::ValidationError naming the flag), else
// the configured one, else the fallback.
template <class T, class Parse>
T pick(const std::string& flag, const std::optional<T>& configured, T fallback, Parse parse,
       const char* name, const std::string& valid) {
  if (!flag.empty()) {
    auto v = parse(flag);
    if (!v) throw CLI::ValidationError(name, "must be " + valid);
    return *v;
  }
  return configured.value_or(fallback);
}

// The config named by --config, else the nearest .migsafe.yaml upward from `from`.
Config load_effective_config(const Flags& f, const std::string& from = ".");
// The packs of a run: core and the dialect's, then the config's and --pack's.
std::vector<Pack> load_packs(Dialect d, const std::vector<std::string>& extra, const Config& cfg,
                             std::set<std::string>* unknown_ids = nullptr);
// The options for the inputs under one paths: entry (or none); a bad value throws
// CLI::ValidationError.
CheckOptions options_for(const Flags& f, const Config& cfg, const PathSettings* ps);

}  // namespace migsafe::cli
