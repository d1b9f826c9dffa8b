#include "migsafe/config.hpp"
#include "migsafe/parse.hpp"

#include "../rules/yaml_load.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace migsafe {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeys[] = {
    "dialect", "target_version", "transactions", "fail_on", "layout", "flyway_mixed", "packs",
    "exclude", "rules",          "docs_url",     "paths",   "plan",   "hygiene"};
// What a paths: entry may set.
constexpr std::string_view kPathKeys[] = {"dialect", "target_version", "transactions", "layout",
                                          "flyway_mixed"};

std::string joined(const auto& keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  Config read(const std::string& text) {
    YAML::Node root = load_yaml(text, path_);
    Config c;
    c.path = path_;
    if (root.IsNull()) return c;  // an empty file is a valid, empty config
    if (!root.IsMap()) fail(root, "the config is a mapping of settings");
    // Every bad key and value is reported, not only the first: each setting is read on its own.
    for (const auto& kv : root) {
      attempt([&] {
        std::string key = kv.first.as<std::string>();
        if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
          fail(kv.first, "unknown key '" + key + "' (valid keys: " + joined(kKeys) + ")");
      });
    }
    PathSettings top;
    read_settings(root, top);
    c.dialect = top.dialect;
    c.target_version = top.target_version;
    c.transactions = top.transactions;
    c.layout = top.layout;
    c.flyway_mixed = top.flyway_mixed;
    attempt([&] {
      if (auto n = root["fail_on"]) {
        c.fail_on = parse_fail_on(scalar(n));
        if (!c.fail_on) fail(n, "fail_on must be error, warning or never");
      }
    });
    attempt([&] {
      if (auto n = root["docs_url"]) c.docs_url = scalar(n);
    });
    fs::path base = fs::path(path_).parent_path();
    attempt([&] {
      if (auto n = root["paths"]) read_paths(n, base, c);
    });
    attempt([&] {
      if (auto n = root["plan"]) read_plan(n, c);
    });
    attempt([&] {
      if (auto n = root["hygiene"]) read_hygiene(n, c);
    });
    attempt([&] {
      for (const auto& p : list(root["packs"], "packs")) {
        c.packs.push_back(is_pack_path(p) && fs::path(p).is_relative() ? (base / p).string() : p);
      }
    });
    attempt([&] { c.exclude = list(root["exclude"], "exclude"); });
    attempt([&] {
      if (auto rules = root["rules"]) read_rules(rules, c);
    });
    if (!errors_.empty()) throw combined();
    return c;
  }

 private:
  // Runs one setting's reading; its error is kept and the next setting is read.
  template <class F>
  void attempt(F read_one) const {
    try {
      read_one();
    } catch (const ConfigError& e) {
      errors_.push_back(e);
    }
  }

  // One error carrying them all: the first, then each further one on a line with its position,
  // as the command line prints the first.
  ConfigError combined() const {
    std::string message = errors_.front().what();
    for (size_t i = 1; i < errors_.size(); ++i)
      message += "\n" + errors_[i].where() + ": error: " + errors_[i].what();
    return ConfigError(errors_.front().path(), message, errors_.front().pos());
  }

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

  // The settings a paths: entry or the top level may give.
  void read_settings(const YAML::Node& node, PathSettings& s) const {
    attempt([&] {
      if (auto n = node["dialect"]) {
        s.dialect = parse_dialect(scalar(n));
        if (!s.dialect) fail(n, "dialect must be postgres, mysql, mariadb or sqlite");
      }
    });
    attempt([&] {
      if (auto n = node["target_version"]) s.target_version = scalar(n);
    });
    attempt([&] {
      if (auto n = node["transactions"]) {
        s.transactions = parse_transaction_mode(scalar(n));
        if (!s.transactions) fail(n, "transactions must be autocommit, per-file or single-query");
      }
    });
    attempt([&] {
      if (auto n = node["layout"]) {
        s.layout = parse_layout(scalar(n));
        if (!s.layout) fail(n, "layout must be one of " + layout_names());
      }
    });
    attempt([&] {
      if (auto n = node["flyway_mixed"]) {
        std::string v = scalar(n);
        if (v != "true" && v != "false") fail(n, "flyway_mixed is true or false");
        s.flyway_mixed = v == "true";
      }
    });
  }

  // paths: {folder: {dialect: mysql, layout: goose, ...}, ...}, folders relative to the config.
  void read_paths(const YAML::Node& paths, const fs::path& base, Config& c) const {
    if (!paths.IsMap())
      fail(paths, "paths maps folders to their settings: {db/mysql: {dialect: mysql}}");
    for (const auto& kv : paths) {
      std::string folder = scalar(kv.first);
      if (!kv.second.IsMap())
        fail(kv.second, "the settings of " + folder + " are a mapping (" + joined(kPathKeys) + ")");
      for (const auto& skv : kv.second) {
        std::string k = skv.first.as<std::string>();
        if (std::find(std::begin(kPathKeys), std::end(kPathKeys), k) == std::end(kPathKeys))
          fail(skv.first, "unknown key '" + k + "' (valid keys: " + joined(kPathKeys) + ")");
      }
      PathSettings s;
      read_settings(kv.second, s);
      fs::path p = fs::path(folder).is_relative() ? base / folder : fs::path(folder);
      std::error_code ec;
      s.path = fs::weakly_canonical(fs::absolute(p, ec), ec).lexically_normal().string();
      while (s.path.size() > 1 && s.path.ends_with('/')) s.path.pop_back();
      for (const auto& other : c.paths)
        if (other.path == s.path) fail(kv.first, "the folder " + folder + " is given twice");
      c.paths.push_back(std::move(s));
    }
  }

  // {rows: N, bytes: N}: a rule's size threshold, or plan's.
  void read_threshold(const YAML::Node& th, std::optional<double>& rows,
                      std::optional<int64_t>& bytes) const {
    if (!th.IsMap()) fail(th, "threshold is {rows: N, bytes: N}");
    for (const auto& t : th) {
      std::string tk = t.first.as<std::string>();
      try {
        if (tk == "rows")
          rows = std::stod(scalar(t.second));
        else if (tk == "bytes")
          bytes = std::stoll(scalar(t.second));
        else
          fail(t.first, "unknown key '" + tk + "' (valid keys: rows, bytes)");
      } catch (const std::invalid_argument&) {
        fail(t.second, "threshold values are numbers");
      } catch (const std::out_of_range&) {
        fail(t.second, "the threshold is out of range");
      }
    }
  }

  // plan: {threshold: {rows: N, bytes: N}}
  void read_plan(const YAML::Node& plan, Config& c) const {
    if (!plan.IsMap()) fail(plan, "plan is {threshold: {rows: N, bytes: N}}");
    for (const auto& kv : plan) {
      std::string k = kv.first.as<std::string>();
      if (k != "threshold") fail(kv.first, "unknown key '" + k + "' (valid keys: threshold)");
      read_threshold(kv.second, c.plan_rows, c.plan_bytes);
    }
  }

  // hygiene: {header: [owner, expected, rollback]}: the keys the hygiene pack's
  // migration-header rule asks of every migration's header comment.
  void read_hygiene(const YAML::Node& h, Config& c) const {
    if (!h.IsMap()) fail(h, "hygiene is {header: [key, ...]}");
    for (const auto& kv : h) {
      std::string k = kv.first.as<std::string>();
      if (k != "header") fail(kv.first, "unknown key '" + k + "' (valid keys: header)");
      std::vector<std::string> keys = list(kv.second, "hygiene.header");
      size_t at = 0;
      for (auto& key : keys) {
        bool word = !key.empty();
        for (char ch : key)
          word = word && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
        if (!word)
          fail(kv.second[at], "a header key is a word (letters, digits, _ and -), as in 'owner'");
        key = ascii_lower(key);
        ++at;
      }
      c.header_keys = std::move(keys);
    }
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
            read_threshold(skv.second, o.threshold_rows, o.threshold_bytes);
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
  mutable std::vector<ConfigError> errors_;  // every bad key or value, in file order
};

}  // namespace

Config load_config(const std::string& path) {
  return load_config_text(read_yaml_file(path, "config file"), path);
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

const PathSettings* Config::settings_for(const std::string& path) const {
  std::error_code ec;
  std::string abs = fs::weakly_canonical(fs::absolute(path, ec), ec).lexically_normal().string();
  const PathSettings* best = nullptr;
  for (const auto& s : paths) {
    bool inside = abs == s.path || (abs.starts_with(s.path) && abs.size() > s.path.size() &&
                                    (abs[s.path.size()] == '/' || s.path == "/"));
    if (inside && (!best || s.path.size() > best->path.size())) best = &s;
  }
  return best;
}

void unknown_rule_id(const Config& cfg, const std::string& id) {
  auto it = cfg.rules.find(id);
  throw ConfigError(cfg.path, "no active rule has the id '" + id + "'",
                    it != cfg.rules.end() ? it->second.where : Position{});
}

void apply_rule_overrides(std::vector<Pack>& packs, const Config& cfg,
                          std::set<std::string>* unknown_ids) {
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
    if (found) continue;
    if (!unknown_ids) unknown_rule_id(cfg, id);
    unknown_ids->insert(id);
  }
}

}  // namespace migsafe
