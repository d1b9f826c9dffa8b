// Loading rule packs: a team's from YAML, the shipped ones from the constant nodes built into
// the binary (the same reader walks both as PackNodes), with every mistake reported at its
// line:col.
#include <re2/re2.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "migsafe/ascii.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/rules.hpp"
#include "rules/embedded_packs.hpp"
#include "rules/pack_node.hpp"
#include "rules/yaml_load.hpp"

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

// rules/hazards.yaml: the hazards dialect packs share, each defined once (not a pack).
constexpr const char* kHazards = "hazards";

// A rule document (a pack, or the hazards) and where it was read from, for its errors.
struct PackDocument {
  std::string path;
  PackTree tree;
};

PackDocument read_document(const std::string& path) {
  return {path, pack_tree_from_yaml(read_yaml_file(path, "rule pack"), path)};
}

// A shipped document by name: MIGSAFE_RULES_DIR's copy (one being edited), else the one built
// into the binary, else the installed file.
PackDocument shipped_document(const std::string& name) {
  const std::string file = name + ".yaml";
  if (const char* env = std::getenv("MIGSAFE_RULES_DIR")) {
    std::filesystem::path f = std::filesystem::path(env) / file;
    std::error_code ec;
    if (std::filesystem::exists(f, ec)) return read_document(f.string());
  }
  for (const auto& e : embedded_packs())
    if (e.name == name) {
      std::string path = "<built in> rules/" + file;
      return {path, PackTree(*e.root)};
    }
  return read_document(find_shipped_pack(name));
}

class PackReader {
 public:
  explicit PackReader(std::string path) : path_(std::move(path)) {}

  Pack read(const PackNode& root) {
    if (!root.is_map()) fail(root, "a pack is a mapping with keys pack, dialect and rules");
    check_keys(root, {"pack", "dialect", "description", "rules"});
    Pack p;
    p.path = path_;
    p.name = scalar(root, "pack");
    std::string dialect = scalar(root, "dialect");
    auto d = dialect == "any" ? std::optional<Dialect>(Dialect::postgres) : parse_dialect(dialect);
    if (!d)
      fail(*root.get("dialect"),
           "unknown dialect '" + dialect + "' (postgres, mysql, mariadb, sqlite or any)");
    p.dialect = *d;
    p.any_dialect = dialect == "any";
    const PackNode* rules = root.get("rules");
    if (!rules || !rules->is_seq()) fail(root, "'rules' must be a list of rules");
    std::set<std::string> ids;
    p.rules.reserve(rules->items().size());
    for (const auto& r : rules->items()) {
      Rule rule = read_rule(r, p);
      if (!ids.insert(rule.id).second) fail(at(r, "id"), "rule id '" + rule.id + "' appears twice");
      p.rules.push_back(std::move(rule));
    }
    return p;
  }

 private:
  [[noreturn]] void fail(const PackNode& n, const std::string& msg) const {
    throw ConfigError(path_, msg, n.pos);
  }

  // The key's value, or the mapping itself (for an error's position) when it is absent.
  static const PackNode& at(const PackNode& map, std::string_view key) {
    const PackNode* n = map.get(key);
    return n ? *n : map;
  }

  void check_keys(const PackNode& map, std::initializer_list<std::string_view> allowed) const {
    if (!map.is_map()) fail(map, "expected a mapping (key: value lines)");
    for (const auto& [key, value] : map.entries()) {
      if (std::find(allowed.begin(), allowed.end(), key.text) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(key, "unknown key '" + std::string(key.text) + "' (valid keys: " + list + ")");
    }
  }

  std::string scalar(const PackNode& map, const char* key, bool required = true) const {
    if (!map.is_map()) fail(map, std::string("expected a mapping with '") + key + "'");
    const PackNode* n = map.get(key);
    if (!n) {
      if (required) fail(map, std::string("missing '") + key + "'");
      return {};
    }
    if (!n->is_scalar()) fail(*n, std::string("'") + key + "' must be a single value");
    return std::string(n->text);
  }

  static std::string normalize_value(std::string v) {
    std::string low;
    for (char c : v) low += ascii_lower(c);
    if (low == "true" || low == "yes" || low == "on") return "true";
    if (low == "false" || low == "no" || low == "off") return "false";
    return v;
  }

  bool truth(const PackNode& map, const char* key) const {
    return map.get(key) && normalize_value(scalar(map, key)) == "true";
  }

  std::vector<std::string> scalars(const PackNode& n) const {
    std::vector<std::string> out;
    if (n.is_scalar()) {
      out.push_back(normalize_value(std::string(n.text)));
    } else if (n.is_seq()) {
      for (const auto& x : n.items()) {
        if (!x.is_scalar()) fail(x, "expected a value");
        out.push_back(normalize_value(std::string(x.text)));
      }
    } else {
      fail(n, "expected a value or a list of values");
    }
    return out;
  }

  TargetVersion version(const PackNode& n, std::string_view s, Dialect d) const {
    auto v = parse_target_version(d, s);
    if (!v) v = parse_version_number(s);  // ranges may name any version number
    if (!v) fail(n, "'" + std::string(s) + "' is not a version number");
    return *v;
  }

  VersionRange version_range(const PackNode& n, Dialect d) const {
    VersionRange r;
    if (n.is_map()) {
      check_keys(n, {"min", "max"});
      if (n.get("min")) r.min = version(at(n, "min"), scalar(n, "min"), d);
      if (n.get("max")) r.max = version(at(n, "max"), scalar(n, "max"), d);
      return r;
    }
    if (!n.is_scalar()) fail(n, "a version range is a value or a mapping with min and max");
    std::string s(n.text);
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

  std::shared_ptr<const re2::RE2> regex(const PackNode& n) const {
    if (!n.is_scalar()) fail(n, "a pattern is a single regular expression (RE2 syntax)");
    re2::RE2::Options o;
    o.set_log_errors(false);
    auto re = std::make_shared<re2::RE2>(re2::StringPiece(n.text.data(), n.text.size()), o);
    if (!re->ok()) fail(n, "invalid regular expression: " + re->error());
    return re;
  }

  Condition read_condition(const PackNode& w, Dialect d) const {
    Condition c;
    if (!w.is_map()) fail(w, "'when' is a mapping of conditions");
    check_keys(
        w, {"kind", "table", "attrs", "effects", "lock_at_least", "version", "names", "pattern"});
    if (const PackNode* kinds = w.get("kind")) {
      for (const auto& k : scalars(*kinds)) {
        auto kind = parse_op_kind(k);
        if (!kind) fail(*kinds, "unknown operation kind '" + k + "'");
        c.kinds.push_back(*kind);
      }
    }
    if (w.get("table")) {
      std::string t = scalar(w, "table");
      if (t == "existing")
        c.table = TableScope::existing;
      else if (t == "new")
        c.table = TableScope::created_here;
      else if (t == "any")
        c.table = TableScope::any;
      else
        fail(at(w, "table"), "table must be existing, new or any");
    }
    auto tests = [&](const char* key, bool (*resolve)(ValueTest&), const char* what) {
      std::vector<ValueTest> out;
      const PackNode* m = w.get(key);
      if (!m) return out;
      if (!m->is_map()) fail(*m, std::string("'") + key + "' is a mapping of name: value");
      for (const auto& [name, value] : m->entries()) {
        ValueTest t;
        t.name = std::string(name.text);
        t.values = scalars(value);
        if (!resolve(t)) fail(name, std::string("unknown ") + what + " '" + t.name + "'");
        out.push_back(std::move(t));
      }
      return out;
    };
    c.attrs = tests("attrs", resolve_attribute, "attribute");
    c.effects = tests("effects", resolve_effect, "effect");
    if (w.get("lock_at_least")) {
      auto m = parse_lock_mode(scalar(w, "lock_at_least"));
      if (!m) fail(at(w, "lock_at_least"), "unknown lock mode");
      c.lock_at_least = m;
    }
    if (const PackNode* v = w.get("version")) c.versions = version_range(*v, d);
    if (const PackNode* names = w.get("names")) {
      if (!names->is_map()) fail(*names, "'names' maps table/column/index/constraint to a pattern");
      check_keys(*names, {"table", "column", "index", "constraint", "object"});
      for (const auto& [field, value] : names->entries()) {
        if (value.is_map()) {
          check_keys(value, {"not"});
          c.names.push_back({std::string(field.text), regex(at(value, "not")), true});
        } else {
          c.names.push_back({std::string(field.text), regex(value), false});
        }
      }
    }
    if (const PackNode* pattern = w.get("pattern")) c.pattern = regex(*pattern);
    return c;
  }

  Rule read_rule(const PackNode& r, const Pack& p) const {
    if (!r.is_map()) fail(r, "a rule is a mapping");
    if (r.get("extends")) return extend_hazard(r, p);
    check_keys(r, {"id", "severity", "title", "message", "why", "instead", "docs", "cause", "when",
                   "examples", "aliases", "builtin", "once", "twins", "size_dependent", "threshold",
                   "below_threshold", "defer", "secondary"});
    Rule rule;
    rule.pack = p.name;
    rule.id = scalar(r, "id");
    std::string sev = scalar(r, "severity");
    auto s = parse_severity(sev);
    if (!s) fail(at(r, "severity"), "severity must be error, warning or info");
    rule.severity = *s;
    rule.title = scalar(r, "title");
    rule.message = scalar(r, "message");
    rule.why = scalar(r, "why");
    rule.instead = scalar(r, "instead", false);
    rule.docs = scalar(r, "docs", false);
    if (rule.docs.empty()) rule.docs = "docs/rules.md#" + rule.id;
    rule.cause = scalar(r, "cause", false);
    rule.twins_elsewhere = scalar(r, "twins", false);
    rule.size_dependent = truth(r, "size_dependent");
    if (const PackNode* th = r.get("threshold")) {
      check_keys(*th, {"rows", "bytes"});
      try {
        if (th->get("rows")) rule.threshold_rows = std::stod(scalar(*th, "rows"));
        if (th->get("bytes")) rule.threshold_bytes = std::stoll(scalar(*th, "bytes"));
      } catch (const std::exception&) {
        fail(*th, "threshold values are numbers (rows, bytes)");
      }
    }
    if (r.get("below_threshold")) {
      std::string below = scalar(r, "below_threshold");
      if (below != "drop" && below != "warning")
        fail(at(r, "below_threshold"), "below_threshold is warning (the default) or drop");
      if (below == "drop" && !rule.size_dependent)
        fail(at(r, "below_threshold"), "below_threshold needs size_dependent: true");
      rule.drop_below_threshold = below == "drop";
    }
    rule.builtin = truth(r, "builtin");
    if (r.get("once")) {
      std::string once = scalar(r, "once");
      if (once != "per-file") fail(at(r, "once"), "once takes the value per-file");
      rule.once_per_file = true;
    }
    if (r.get("defer")) {
      std::string defer = scalar(r, "defer");
      if (defer != "later-statement") fail(at(r, "defer"), "defer takes the value later-statement");
      rule.defer_to_later_statement = true;
    }
    rule.secondary = truth(r, "secondary");
    if (const PackNode* a = r.get("aliases")) rule.aliases = scalars(*a);
    if (const PackNode* w = r.get("when"))
      rule.when = read_condition(*w, p.dialect);
    else if (!rule.builtin)
      fail(r, "rule '" + rule.id + "' has no 'when' condition");
    read_examples(r, p, rule);
    return rule;
  }

  void read_examples(const PackNode& r, const Pack& p, Rule& rule) const {
    const PackNode* ex = r.get("examples");
    if (!ex) return;
    check_keys(*ex, {"setup", "bad", "good", "version", "transactions"});
    rule.examples.setup = scalar(*ex, "setup", false);
    rule.examples.bad = scalar(*ex, "bad", false);
    rule.examples.good = scalar(*ex, "good", false);
    if (ex->get("version"))
      rule.examples.version = version(at(*ex, "version"), scalar(*ex, "version"), p.dialect);
    if (ex->get("transactions")) {
      rule.examples.transactions = parse_transaction_mode(scalar(*ex, "transactions"));
      if (!rule.examples.transactions)
        fail(at(*ex, "transactions"), "transactions is autocommit, per-file or single-query");
    }
  }

  // `- extends: ID`: a hazard of rules/hazards.yaml, with the pack's own advice, a fact of its
  // dialect added to the why, and examples. What makes the hazard (severity, message, condition)
  // is defined once, so a pack cannot restate it.
  Rule extend_hazard(const PackNode& r, const Pack& p) const {
    for (const auto& [key, value] : r.entries()) {
      const std::string k(key.text);
      if (k == "id" || k == "severity" || k == "title" || k == "message" || k == "why" ||
          k == "when" || k == "cause" || k == "size_dependent")
        fail(key, "'" + k + "' of a shared hazard is defined once, in rules/hazards.yaml");
    }
    check_keys(r, {"extends", "instead", "also", "examples", "aliases", "twins", "docs"});
    std::string id = scalar(r, "extends");
    if (!hazards_) hazards_ = shipped_document(kHazards);
    std::string known;
    if (const PackNode* list = hazards_->tree.root().get("hazards"))
      for (const auto& h : list->items()) {
        const PackNode* hid = h.get("id");
        if (!hid) continue;
        if (hid->text != id) {
          known += (known.empty() ? "" : ", ") + std::string(hid->text);
          continue;
        }
        Rule rule = PackReader(hazards_->path).read_rule(h, p);
        if (r.get("instead")) rule.instead = scalar(r, "instead");
        if (r.get("also")) rule.why += " " + scalar(r, "also");
        if (const PackNode* a = r.get("aliases"))
          for (auto& alias : scalars(*a)) rule.aliases.push_back(std::move(alias));
        if (r.get("twins")) rule.twins_elsewhere = scalar(r, "twins");
        if (r.get("docs")) rule.docs = scalar(r, "docs");
        read_examples(r, p, rule);
        return rule;
      }
    fail(at(r, "extends"), "no shared hazard '" + id + "' (rules/hazards.yaml has " + known + ")");
  }

  std::string path_;
  mutable std::optional<PackDocument> hazards_;
};

}  // namespace

Pack load_pack_text(const std::string& text, const std::string& path) {
  PackTree tree = pack_tree_from_yaml(text, path);
  return PackReader(path).read(tree.root());
}

Pack load_pack(const std::string& path) {
  PackDocument d = read_document(path);
  return PackReader(d.path).read(d.tree.root());
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
  PackDocument d = shipped_document(name);
  return PackReader(d.path).read(d.tree.root());
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
