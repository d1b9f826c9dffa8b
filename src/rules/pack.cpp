// Loading rule packs from YAML, with every mistake reported at its line:col.
#include <re2/re2.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "migsafe/parse.hpp"
#include "migsafe/rules.hpp"
#include "rules/embedded_packs.hpp"
#include "yaml_load.hpp"

namespace migsafe {

std::string ConfigError::where() const {
  if (pos_.line == 0) return path_;
  return path_ + ":" + std::to_string(pos_.line) + ":" + std::to_string(pos_.col);
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "warning";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "error") return Severity::error;
  return std::nullopt;
}

bool VersionRange::contains(TargetVersion v) const {
  auto cmp = [](TargetVersion a, TargetVersion b) {
    if (a.major != b.major) return a.major - b.major;
    if (a.minor != b.minor) return a.minor - b.minor;
    return a.patch_or_latest() - b.patch_or_latest();
  };
  if (min && cmp(v, *min) < 0) return false;
  if (max && cmp(v, *max) > 0) return false;
  return true;
}

namespace {

// The embedded JSON as the YAML reader's nodes: every scalar a string, as the YAML had it.
YAML::Node to_yaml(const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    YAML::Node n(YAML::NodeType::Map);
    for (const auto& [k, v] : j.items()) n.force_insert(k, to_yaml(v));
    return n;
  }
  if (j.is_array()) {
    YAML::Node n(YAML::NodeType::Sequence);
    for (const auto& v : j) n.push_back(to_yaml(v));
    return n;
  }
  if (j.is_string()) return YAML::Node(j.get<std::string>());
  return YAML::Node(YAML::NodeType::Null);
}

// rules/hazards.yaml: the hazards dialect packs share, each defined once (not a pack).
constexpr const char* kHazards = "hazards";

struct HazardLibrary {
  std::string path;
  YAML::Node root;
};

HazardLibrary load_hazards() {
  const std::string file = std::string(kHazards) + ".yaml";
  if (const char* env = std::getenv("MIGSAFE_RULES_DIR")) {
    std::filesystem::path f = std::filesystem::path(env) / file;
    std::error_code ec;
    if (std::filesystem::exists(f, ec))
      return {f.string(), load_yaml(read_bounded(f.string()), f.string())};
  }
  for (const auto& e : embedded_packs())
    if (e.name == kHazards)
      return {"<built in> rules/" + file, to_yaml(nlohmann::ordered_json::parse(e.json))};
  std::string path = find_shipped_pack(std::string(kHazards));
  return {path, load_yaml(read_bounded(path), path)};
}

class PackReader {
 public:
  explicit PackReader(std::string path) : path_(std::move(path)) {}

  Pack read(const std::string& text) { return read(load_yaml(text, path_)); }

  Pack read(const YAML::Node& root) {
    if (!root.IsMap()) fail(root, "a pack is a mapping with keys pack, dialect and rules");
    check_keys(root, {"pack", "dialect", "description", "rules"});
    Pack p;
    p.path = path_;
    p.name = scalar(root, "pack");
    std::string dialect = scalar(root, "dialect");
    auto d = dialect == "any" ? std::optional<Dialect>(Dialect::postgres) : parse_dialect(dialect);
    if (!d)
      fail(root["dialect"],
           "unknown dialect '" + dialect + "' (postgres, mysql, mariadb, sqlite or any)");
    p.dialect = *d;
    p.any_dialect = dialect == "any";
    YAML::Node rules = root["rules"];
    if (!rules || !rules.IsSequence()) fail(root, "'rules' must be a list of rules");
    std::set<std::string> ids;
    for (const auto& r : rules) {
      Rule rule = read_rule(r, p);
      if (!ids.insert(rule.id).second) fail(r["id"], "rule id '" + rule.id + "' appears twice");
      p.rules.push_back(std::move(rule));
    }
    return p;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, const std::string& msg) const {
    throw ConfigError(path_, msg, n.IsDefined() ? yaml_position(n.Mark()) : Position{});
  }

  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) fail(map, "expected a mapping (key: value lines)");
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(kv.first, "unknown key '" + k + "' (valid keys: " + list + ")");
    }
  }

  std::string scalar(const YAML::Node& map, const char* key, bool required = true) const {
    if (!map.IsMap()) fail(map, std::string("expected a mapping with '") + key + "'");
    YAML::Node n = map[key];
    if (!n) {
      if (required) fail(map, std::string("missing '") + key + "'");
      return {};
    }
    if (!n.IsScalar()) fail(n, std::string("'") + key + "' must be a single value");
    return n.as<std::string>();
  }

  static std::string normalize_value(std::string v) {
    std::string low;
    for (char c : v) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (low == "true" || low == "yes" || low == "on") return "true";
    if (low == "false" || low == "no" || low == "off") return "false";
    return v;
  }

  std::vector<std::string> scalars(const YAML::Node& n) const {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(normalize_value(n.as<std::string>()));
    } else if (n.IsSequence()) {
      for (const auto& x : n) {
        if (!x.IsScalar()) fail(x, "expected a value");
        out.push_back(normalize_value(x.as<std::string>()));
      }
    } else {
      fail(n, "expected a value or a list of values");
    }
    return out;
  }

  TargetVersion version(const YAML::Node& n, std::string_view s, Dialect d) const {
    auto v = parse_target_version(d, s);
    if (!v) v = parse_version_number(s);  // ranges may name any version number
    if (!v) fail(n, "'" + std::string(s) + "' is not a version number");
    return *v;
  }

  VersionRange version_range(const YAML::Node& n, Dialect d) const {
    VersionRange r;
    if (n.IsMap()) {
      check_keys(n, {"min", "max"});
      if (n["min"]) r.min = version(n["min"], n["min"].as<std::string>(), d);
      if (n["max"]) r.max = version(n["max"], n["max"].as<std::string>(), d);
      return r;
    }
    std::string s = n.as<std::string>();
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    if (s.starts_with(">=")) {
      r.min = version(n, s.substr(2), d);
    } else if (s.starts_with("<=")) {
      r.max = version(n, s.substr(2), d);
    } else if (s.starts_with("<")) {
      TargetVersion v = version(n, s.substr(1), d);
      // "<12" means up to the last release before 12.
      if (v.patch > 0)
        r.max = TargetVersion{v.major, v.minor, v.patch - 1};
      else if (v.minor > 0)
        r.max = TargetVersion{v.major, v.minor - 1};
      else
        r.max = TargetVersion{v.major - 1, 999};
    } else if (auto dots = s.find(".."); dots != std::string::npos) {
      r.min = version(n, s.substr(0, dots), d);
      r.max = version(n, s.substr(dots + 2), d);
    } else {
      r.min = r.max = version(n, s, d);
    }
    return r;
  }

  std::shared_ptr<const re2::RE2> regex(const YAML::Node& n) const {
    if (!n.IsScalar()) fail(n, "a pattern is a single regular expression (RE2 syntax)");
    re2::RE2::Options o;
    o.set_log_errors(false);
    auto re = std::make_shared<re2::RE2>(n.as<std::string>(), o);
    if (!re->ok()) fail(n, "invalid regular expression: " + re->error());
    return re;
  }

  Condition read_condition(const YAML::Node& w, Dialect d) const {
    Condition c;
    if (!w.IsMap()) fail(w, "'when' is a mapping of conditions");
    check_keys(
        w, {"kind", "table", "attrs", "effects", "lock_at_least", "version", "names", "pattern"});
    if (w["kind"]) {
      for (const auto& k : scalars(w["kind"])) {
        auto kind = parse_op_kind(k);
        if (!kind) fail(w["kind"], "unknown operation kind '" + k + "'");
        c.kinds.push_back(*kind);
      }
    }
    if (w["table"]) {
      std::string t = scalar(w, "table");
      if (t == "existing")
        c.table = TableScope::existing;
      else if (t == "new")
        c.table = TableScope::created_here;
      else if (t == "any")
        c.table = TableScope::any;
      else
        fail(w["table"], "table must be existing, new or any");
    }
    auto tests = [&](const char* key, bool (*resolve)(ValueTest&), const char* what) {
      std::vector<ValueTest> out;
      YAML::Node m = w[key];
      if (!m) return out;
      if (!m.IsMap()) fail(m, std::string("'") + key + "' is a mapping of name: value");
      for (const auto& kv : m) {
        ValueTest t;
        t.name = kv.first.as<std::string>();
        t.values = scalars(kv.second);
        if (!resolve(t)) fail(kv.first, std::string("unknown ") + what + " '" + t.name + "'");
        out.push_back(std::move(t));
      }
      return out;
    };
    c.attrs = tests("attrs", resolve_attribute, "attribute");
    c.effects = tests("effects", resolve_effect, "effect");
    if (w["lock_at_least"]) {
      auto m = parse_lock_mode(scalar(w, "lock_at_least"));
      if (!m) fail(w["lock_at_least"], "unknown lock mode");
      c.lock_at_least = m;
    }
    if (w["version"]) c.versions = version_range(w["version"], d);
    if (YAML::Node names = w["names"]) {
      if (!names.IsMap()) fail(names, "'names' maps table/column/index/constraint to a pattern");
      check_keys(names, {"table", "column", "index", "constraint", "object"});
      for (const auto& kv : names) {
        if (kv.second.IsMap()) {
          check_keys(kv.second, {"not"});
          c.names.push_back({kv.first.as<std::string>(), regex(kv.second["not"]), true});
        } else {
          c.names.push_back({kv.first.as<std::string>(), regex(kv.second), false});
        }
      }
    }
    if (w["pattern"]) c.pattern = regex(w["pattern"]);
    return c;
  }

  Rule read_rule(const YAML::Node& r, const Pack& p) const {
    if (!r.IsMap()) fail(r, "a rule is a mapping");
    if (r["extends"]) return extend_hazard(r, p);
    check_keys(r, {"id", "severity", "title", "message", "why", "instead", "docs", "cause", "when",
                   "examples", "aliases", "builtin", "once", "twins", "size_dependent", "threshold",
                   "below_threshold", "defer", "secondary"});
    Rule rule;
    rule.pack = p.name;
    rule.id = scalar(r, "id");
    std::string sev = scalar(r, "severity");
    auto s = parse_severity(sev);
    if (!s) fail(r["severity"], "severity must be error, warning or info");
    rule.severity = *s;
    rule.title = scalar(r, "title");
    rule.message = scalar(r, "message");
    rule.why = scalar(r, "why");
    rule.instead = scalar(r, "instead", false);
    rule.docs = scalar(r, "docs", false);
    if (rule.docs.empty()) rule.docs = "docs/rules.md#" + rule.id;
    rule.cause = scalar(r, "cause", false);
    rule.twins_elsewhere = scalar(r, "twins", false);
    if (r["size_dependent"])
      rule.size_dependent = normalize_value(scalar(r, "size_dependent")) == "true";
    if (YAML::Node th = r["threshold"]) {
      check_keys(th, {"rows", "bytes"});
      try {
        if (th["rows"]) rule.threshold_rows = std::stod(scalar(th, "rows"));
        if (th["bytes"]) rule.threshold_bytes = std::stoll(scalar(th, "bytes"));
      } catch (const std::exception&) {
        fail(th, "threshold values are numbers (rows, bytes)");
      }
    }
    if (r["below_threshold"]) {
      std::string below = scalar(r, "below_threshold");
      if (below != "drop" && below != "warning")
        fail(r["below_threshold"], "below_threshold is warning (the default) or drop");
      if (below == "drop" && !rule.size_dependent)
        fail(r["below_threshold"], "below_threshold needs size_dependent: true");
      rule.drop_below_threshold = below == "drop";
    }
    rule.builtin = r["builtin"] && normalize_value(r["builtin"].as<std::string>()) == "true";
    if (r["once"]) {
      std::string once = scalar(r, "once");
      if (once != "per-file") fail(r["once"], "once takes the value per-file");
      rule.once_per_file = true;
    }
    if (r["defer"]) {
      std::string defer = scalar(r, "defer");
      if (defer != "later-statement") fail(r["defer"], "defer takes the value later-statement");
      rule.defer_to_later_statement = true;
    }
    if (r["secondary"]) rule.secondary = normalize_value(scalar(r, "secondary")) == "true";
    if (r["aliases"]) rule.aliases = scalars(r["aliases"]);
    if (r["when"])
      rule.when = read_condition(r["when"], p.dialect);
    else if (!rule.builtin)
      fail(r, "rule '" + rule.id + "' has no 'when' condition");
    read_examples(r, p, rule);
    return rule;
  }

  void read_examples(const YAML::Node& r, const Pack& p, Rule& rule) const {
    YAML::Node ex = r["examples"];
    if (!ex) return;
    check_keys(ex, {"setup", "bad", "good", "version", "transactions"});
    rule.examples.setup = scalar(ex, "setup", false);
    rule.examples.bad = scalar(ex, "bad", false);
    rule.examples.good = scalar(ex, "good", false);
    if (ex["version"])
      rule.examples.version = version(ex["version"], scalar(ex, "version"), p.dialect);
    if (ex["transactions"]) {
      rule.examples.transactions = parse_transaction_mode(scalar(ex, "transactions"));
      if (!rule.examples.transactions)
        fail(ex["transactions"], "transactions is autocommit, per-file or single-query");
    }
  }

  // `- extends: ID`: a hazard of rules/hazards.yaml, with the pack's own advice, a fact of its
  // dialect added to the why, and examples. What makes the hazard (severity, message, condition)
  // is defined once, so a pack cannot restate it.
  Rule extend_hazard(const YAML::Node& r, const Pack& p) const {
    for (const auto& kv : r) {
      std::string k = kv.first.as<std::string>();
      if (k == "id" || k == "severity" || k == "title" || k == "message" || k == "why" ||
          k == "when" || k == "cause" || k == "size_dependent")
        fail(kv.first, "'" + k + "' of a shared hazard is defined once, in rules/hazards.yaml");
    }
    check_keys(r, {"extends", "instead", "also", "examples", "aliases", "twins", "docs"});
    std::string id = scalar(r, "extends");
    if (!hazards_) hazards_ = load_hazards();
    const YAML::Node list = hazards_->root["hazards"];
    std::string known;
    for (const auto& h : list) {
      if (!h.IsMap() || !h["id"]) continue;
      std::string hid = h["id"].as<std::string>();
      if (hid != id) {
        known += (known.empty() ? "" : ", ") + hid;
        continue;
      }
      Rule rule = PackReader(hazards_->path).read_rule(h, p);
      if (r["instead"]) rule.instead = scalar(r, "instead");
      if (r["also"]) rule.why += " " + scalar(r, "also");
      if (r["aliases"])
        for (auto& a : scalars(r["aliases"])) rule.aliases.push_back(std::move(a));
      if (r["twins"]) rule.twins_elsewhere = scalar(r, "twins");
      if (r["docs"]) rule.docs = scalar(r, "docs");
      read_examples(r, p, rule);
      return rule;
    }
    fail(r["extends"], "no shared hazard '" + id + "' (rules/hazards.yaml has " + known + ")");
  }

  std::string path_;
  mutable std::optional<HazardLibrary> hazards_;
};

}  // namespace

Pack load_pack_text(const std::string& text, const std::string& path) {
  try {
    return PackReader(path).read(text);
  } catch (const YAML::Exception& e) {
    // A shape the reader did not expect (a list where a mapping goes, say): still the pack's
    // error, at its line:col.
    throw ConfigError(path, e.msg, yaml_position(e.mark));
  }
}

Pack load_pack(const std::string& path) {
  std::string text;
  try {
    text = read_bounded(path);
  } catch (const InputError& e) {
    throw ConfigError(path, std::string("cannot read the rule pack: ") + e.what());
  }
  return load_pack_text(text, path);
}

std::string find_shipped_pack(Dialect d) {
  return find_shipped_pack(std::string(d == Dialect::mariadb ? "mysql" : dialect_name(d)));
}

std::string find_shipped_pack(const std::string& name) {
  namespace fs = std::filesystem;
  std::string file = name + ".yaml";
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("MIGSAFE_RULES_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path() / "rules");
    dirs.push_back(exe.parent_path() / ".." / "share" / "migsafe" / "rules");
  }
  dirs.emplace_back(MIGSAFE_SOURCE_RULES_DIR);
  dirs.emplace_back(MIGSAFE_INSTALL_RULES_DIR);
  for (const auto& d2 : dirs)
    if (fs::exists(d2 / file, ec)) return (d2 / file).string();
  throw ConfigError(file, "the shipped rule pack was not found (looked next to the binary, in " +
                              std::string(MIGSAFE_SOURCE_RULES_DIR) + " and " +
                              MIGSAFE_INSTALL_RULES_DIR + "; set MIGSAFE_RULES_DIR)");
}

bool is_pack_path(const std::string& s) {
  return s.find('/') != std::string::npos || s.ends_with(".yaml") || s.ends_with(".yml");
}

std::vector<std::string> shipped_pack_names() {
  std::vector<std::string> names;
  for (const auto& e : embedded_packs())
    if (e.name != "core" && e.name != kHazards) names.emplace_back(e.name);
  std::sort(names.begin(), names.end());
  names.insert(names.begin(), "core");
  return names;
}

Pack load_shipped_pack(const std::string& name) {
  // MIGSAFE_RULES_DIR names packs to use instead of the built-in ones (a pack being edited).
  if (const char* env = std::getenv("MIGSAFE_RULES_DIR")) {
    std::filesystem::path file = std::filesystem::path(env) / (name + ".yaml");
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) return load_pack(file.string());
  }
  for (const auto& e : embedded_packs()) {
    if (e.name != name) continue;
    std::string path = "<built in> rules/" + name + ".yaml";
    try {
      return PackReader(path).read(to_yaml(nlohmann::ordered_json::parse(e.json)));
    } catch (const YAML::Exception& ex) {
      throw ConfigError(path, ex.msg);
    }
  }
  return load_pack(find_shipped_pack(name));
}

std::vector<Pack> load_shipped_packs(Dialect d) {
  std::vector<Pack> packs;
  packs.push_back(load_shipped_pack("core"));
  packs.push_back(
      load_shipped_pack(d == Dialect::mariadb ? "mysql" : std::string(dialect_name(d))));
  return packs;
}

const Rule* find_rule(const std::vector<Pack>& packs, std::string_view id) {
  for (const auto& p : packs)
    for (const auto& r : p.rules)
      if (r.id == id) return &r;
  return nullptr;
}

}  // namespace migsafe
