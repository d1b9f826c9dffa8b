// .migsafe.yaml: a team's settings, found upward from the working directory or named with
// --config. Command-line flags override it.
#pragma once

#include <map>
#include <optional>
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
};

// Reads a config file; a malformed one or an unknown key is a ConfigError with line:col.
Config load_config(const std::string& path);
// The same from text already read (path is for messages).
Config load_config_text(const std::string& text, const std::string& path);
// The nearest .migsafe.yaml from dir upward, or nullopt.
std::optional<std::string> find_config(const std::string& dir);
// Applies enable/disable and severity overrides; an unknown rule id is a ConfigError.
void apply_rule_overrides(std::vector<Pack>& packs, const Config& cfg);

}  // namespace migsafe
