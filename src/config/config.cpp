#include "migsafe/config.hpp"
#include "migsafe/parse.hpp"

#include "../rules/yaml_load.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace migsafe {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeys[] = {"dialect", "target_version", "transactions", "fail_on",
                                      "layout",  "flyway_mixed",   "packs",        "exclude",
                                      "rules",   "docs_url"};

class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  Config read(const std::string& text) {
    YAML::Node root = load_yaml(text, path_);
    Config c;
    c.path = path_;
    if (root.IsNull()) return c;  // an empty file is a valid, empty config
    if (!root.IsMap()) fail(root, "the config is a mapping of settings");
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        std::string valid;
        for (auto k : kKeys) valid += (valid.empty() ? "" : ", ") + std::string(k);
        fail(kv.first, "unknown key '" + key + "' (valid keys: " + valid + ")");
      }
    }
    if (auto n = root["dialect"]) {
      c.dialect = parse_dialect(scalar(n));
      if (!c.dialect) fail(n, "dialect must be postgres, mysql, mariadb or sqlite");
    }
    if (auto n = root["target_version"]) c.target_version = scalar(n);
    if (auto n = root["transactions"]) {
      c.transactions = parse_transaction_mode(scalar(n));
      if (!c.transactions) fail(n, "transactions must be autocommit, per-file or single-query");
    }
    if (auto n = root["fail_on"]) {
      c.fail_on = parse_fail_on(scalar(n));
      if (!c.fail_on) fail(n, "fail_on must be error, warning or never");
    }
    if (auto n = root["layout"]) {
      c.layout = parse_layout(scalar(n));
      if (!c.layout) fail(n, "layout must be one of " + layout_names());
    }
    if (auto n = root["flyway_mixed"]) {
      std::string v = scalar(n);
      if (v != "true" && v != "false") fail(n, "flyway_mixed is true or false");
      c.flyway_mixed = v == "true";
    }
    if (auto n = root["docs_url"]) c.docs_url = scalar(n);
    fs::path base = fs::path(path_).parent_path();
    for (const auto& p : list(root["packs"], "packs")) {
      c.packs.push_back(is_pack_path(p) && fs::path(p).is_relative() ? (base / p).string() : p);
    }
    c.exclude = list(root["exclude"], "exclude");
    if (auto rules = root["rules"]) read_rules(rules, c);
    return c;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, const std::string& msg) const {
    throw ConfigError(path_, msg, n.IsDefined() ? yaml_position(n.Mark()) : Position{});
  }

  std::string scalar(const YAML::Node& n) const {
    if (!n.IsScalar()) fail(n, "expected a single value");
    return n.as<std::string>();
  }

  std::vector<std::string> list(const YAML::Node& n, const char* what) const {
    std::vector<std::string> out;
    if (!n) return out;
    if (!n.IsSequence()) fail(n, std::string(what) + " is a list");
    for (const auto& x : n) out.push_back(scalar(x));
    return out;
  }

  void read_rules(const YAML::Node& rules, Config& c) const {
    if (!rules.IsMap()) fail(rules, "rules maps rule ids to settings: {severity: warning} or off");
    for (const auto& kv : rules) {
      RuleOverride o;
      o.where = yaml_position(kv.first.Mark());
      const YAML::Node& v = kv.second;
      if (v.IsScalar()) {
        // Shorthands: off / on / false / true, or a severity.
        std::string s = v.as<std::string>();
        if (s == "off" || s == "false")
          o.enabled = false;
        else if (s == "on" || s == "true")
          o.enabled = true;
        else if (auto sev = parse_severity(s))
          o.severity = sev;
        else
          fail(v, "a rule setting is off, on, error, warning, info or {enabled, severity}");
      } else if (v.IsMap()) {
        for (const auto& skv : v) {
          std::string k = skv.first.as<std::string>();
          if (k == "enabled") {
            std::string e = scalar(skv.second);
            if (e != "true" && e != "false") fail(skv.second, "enabled is true or false");
            o.enabled = e == "true";
          } else if (k == "severity") {
            o.severity = parse_severity(scalar(skv.second));
            if (!o.severity) fail(skv.second, "severity must be error, warning or info");
          } else if (k == "threshold") {
            const YAML::Node& th = skv.second;
            if (!th.IsMap()) fail(th, "threshold is {rows: N, bytes: N}");
            for (const auto& t : th) {
              std::string tk = t.first.as<std::string>();
              try {
                if (tk == "rows")
                  o.threshold_rows = std::stod(scalar(t.second));
                else if (tk == "bytes")
                  o.threshold_bytes = std::stoll(scalar(t.second));
                else
                  fail(t.first, "unknown key '" + tk + "' (valid keys: rows, bytes)");
              } catch (const std::invalid_argument&) {
                fail(t.second, "threshold values are numbers");
              }
            }
          } else {
            fail(skv.first, "unknown key '" + k + "' (valid keys: enabled, severity, threshold)");
          }
        }
      } else {
        fail(v, "a rule setting is off, on, a severity or {enabled, severity}");
      }
      c.rules[kv.first.as<std::string>()] = o;
    }
  }

  std::string path_;
};

}  // namespace

Config load_config(const std::string& path) {
  std::string text;
  try {
    text = read_bounded(path);
  } catch (const InputError& e) {
    throw ConfigError(path, std::string("cannot read the config file: ") + e.what());
  }
  return load_config_text(text, path);
}

Config load_config_text(const std::string& text, const std::string& path) {
  try {
    return ConfigReader(path).read(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.msg, yaml_position(e.mark));
  }
}

std::optional<std::string> find_config(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  while (!p.empty()) {
    fs::path candidate = p / ".migsafe.yaml";
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (p == p.root_path()) break;
    p = p.parent_path();
  }
  return std::nullopt;
}

void apply_rule_overrides(std::vector<Pack>& packs, const Config& cfg) {
  for (const auto& [id, o] : cfg.rules) {
    bool found = false;
    for (auto& p : packs) {
      for (auto it = p.rules.begin(); it != p.rules.end(); ++it) {
        if (it->id != id) continue;
        found = true;
        if (o.severity) it->severity = *o.severity;
        if (o.threshold_rows) it->threshold_rows = *o.threshold_rows;
        if (o.threshold_bytes) it->threshold_bytes = *o.threshold_bytes;
        if (o.enabled && !*o.enabled) {
          p.rules.erase(it);
          break;
        }
      }
    }
    if (!found) throw ConfigError(cfg.path, "no active rule has the id '" + id + "'", o.where);
  }
}

}  // namespace migsafe
