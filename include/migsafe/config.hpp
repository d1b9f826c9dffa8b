// .migsafe.yaml: a team's settings, found upward from the working directory or named with
// --config. Command-line flags override it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/report.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {

struct RuleOverride {
  std::optional<bool> enabled;
  std::optional<Severity> severity;
  std::optional<double> threshold_rows;  // snapshot size thresholds (size_dependent rules)
  std::optional<int64_t> threshold_bytes;
  Position where;  // in the config file, for errors about the rule id
};

// Settings for the migrations under one folder (a repository may hold a PostgreSQL set under one
// folder and a MySQL set under another); what a folder does not set comes from the top level.
struct PathSettings {
  std::string path;  // absolute, normalized
  std::optional<Dialect> dialect;
  std::optional<std::string> target_version;
  std::optional<TransactionMode> transactions;
  std::optional<Layout> layout;
  std::optional<bool> flyway_mixed;
};

struct Config {
  std::string path;  // empty when no config file was found
  std::optional<Dialect> dialect;
  std::optional<std::string> target_version;
  std::optional<TransactionMode> transactions;
  std::optional<FailOn> fail_on;
  std::optional<Layout> layout;
  std::optional<bool> flyway_mixed;  // Flyway's mixed, when no flyway.conf / flyway.toml says
  std::vector<std::string> packs;    // file paths (resolved against the config's folder) or names
  std::vector<std::string> exclude;  // globs
  std::map<std::string, RuleOverride> rules;
  std::string docs_url;
  std::vector<PathSettings> paths;  // the paths: section
  // migsafe plan: a new sequential scan of a table this big is a regression.
  std::optional<double> plan_rows;
  std::optional<int64_t> plan_bytes;
  // hygiene.header: the keys a migration's header comment gives
  std::optional<std::vector<std::string>> header_keys;
  // The most specific paths: entry that holds this file or folder, or null.
  const PathSettings* settings_for(const std::string& path) const;
};

// Reads a config file; a malformed one or an unknown key is a ConfigError with line:col.
Config load_config(const std::string& path);
// The same from text already read (path is for messages).
Config load_config_text(const std::string& text, const std::string& path);
// The nearest .migsafe.yaml from dir upward, or nullopt.
std::optional<std::string> find_config(const std::string& dir);
// Applies enable/disable and severity overrides; an unknown rule id is a ConfigError, unless
// unknown_ids is given, which then receives the ids none of these packs has (a config that
// covers several dialects names rules of each).
void apply_rule_overrides(std::vector<Pack>& packs, const Config& cfg,
                          std::set<std::string>* unknown_ids = nullptr);
// The ConfigError for a rule id no pack knows.
[[noreturn]] void unknown_rule_id(const Config& cfg, const std::string& id);

}  // namespace migsafe
