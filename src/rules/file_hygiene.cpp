// migration-header and missing-down: the hygiene pack's rules about a file as a whole.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "migsafe/hygiene.hpp"
#include "migsafe/inputs.hpp"

namespace migsafe {
namespace {

bool in_ranges(const std::vector<std::pair<uint32_t, uint32_t>>& ranges, uint32_t at) {
  for (const auto& [b, e] : ranges)
    if (at >= b && at < e) return true;
  return false;
}

// "owner: payments team" -> {"owner", "payments team"}; nullopt for a line without a key.
std::optional<std::pair<std::string, std::string>> key_line(std::string_view text) {
  while (!text.empty() && (text.front() == '*' || text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  size_t k = 0;
  while (k < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[k])) || text[k] == '_' || text[k] == '-'))
    ++k;
  size_t colon = k;
  while (colon < text.size() && text[colon] == ' ') ++colon;
  if (k == 0 || colon >= text.size() || text[colon] != ':') return std::nullopt;
  std::string_view value = text.substr(colon + 1);
  if (size_t end = value.find("*/"); end != std::string_view::npos) value = value.substr(0, end);
  return std::make_pair(ascii_lower(text.substr(0, k)), std::string(trim_space(value)));
}

// The keys of the comment block the file begins with: comment and blank lines before the first
// SQL, the runner's own lines (-- +goose Up, --changeset ...) skipped.
std::map<std::string, std::string> header_keys(const SourceText& src, const FilePlan& plan,
                                               Dialect dialect) {
  std::map<std::string, std::string> keys;
  const bool hash_comments = dialect == Dialect::mysql || dialect == Dialect::mariadb;
  bool in_block = false;
  std::string last;  // the key a continuation line belongs to
  for (uint32_t n = 1; n <= src.line_count(); ++n) {
    std::string_view line = src.line(n);
    const uint32_t begin = static_cast<uint32_t>(line.data() - src.text().data());
    if (in_ranges(plan.markers, begin)) continue;
    std::string_view t = trim_space(line);
    std::string_view content;
    if (in_block) {
      content = t;
      in_block = t.find("*/") == std::string_view::npos;
    } else if (t.empty()) {
      continue;
    } else if (t.starts_with("--")) {
      content = t.substr(2);
    } else if (hash_comments && t.starts_with("#")) {
      content = t.substr(1);
    } else if (t.starts_with("/*")) {
      content = t.substr(2);
      in_block = t.find("*/", 2) == std::string_view::npos;
    } else {
      break;  // the first SQL line ends the header
    }
    if (auto kv = key_line(content)) {
      std::string& value = keys[kv->first];
      if (value.empty()) value = std::move(kv->second);  // a repeated key fills an empty one
      last = kv->first;
    } else if (!last.empty() && keys[last].empty()) {
      // "-- rollback:" with the statements on the lines below it.
      std::string_view rest = trim_space(content);
      if (size_t end = rest.find("*/"); end != std::string_view::npos)
        rest = trim_space(rest.substr(0, end));
      keys[last] = std::string(rest);
    }
  }
  return keys;
}

std::optional<Finding> header_finding(const std::vector<Pack>& packs, const CheckOptions& opt,
                                      const FileHygieneInput& in) {
  if (!find_rule(packs, "migration-header")) return std::nullopt;
  std::map<std::string, std::string> keys = header_keys(in.src, in.up, in.dialect);
  std::vector<std::string> absent, blank;
  for (const auto& want : opt.header_keys) {
    auto it = keys.find(want);
    if (it == keys.end())
      absent.push_back(want);
    else if (it->second.empty())
      blank.push_back(want);
  }
  // 'owner:', 'expected:' or 'rollback:'
  auto words = [](const std::vector<std::string>& list, std::string_view last) {
    std::string out;
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += i + 1 == list.size() ? std::string(last) : std::string(", ");
      out += "'" + list[i] + ":'";
    }
    return out;
  };
  const std::string missing = words(absent, " or "), empty = words(blank, " and ");
  if (missing.empty() && empty.empty()) return std::nullopt;
  std::string message =
      keys.empty() && empty.empty()
          ? "the migration does not begin with a header comment (" + words(absent, ", ") + ")"
          : "the header comment";
  if (!keys.empty() || !empty.empty()) {
    if (!missing.empty()) message += " has no " + missing + " line";
    if (!missing.empty() && !empty.empty()) message += ", and";
    if (!empty.empty()) message += " leaves " + empty + " empty";
  }
  return builtin_finding(packs, "migration-header", in.file_index, in.src, 0, message);
}

// The runner's marker that opens a down section, for messages.
std::string_view down_marker(Layout runner) {
  switch (runner) {
    case Layout::goose:
      return "-- +goose Down";
    case Layout::dbmate:
      return "-- migrate:down";
    case Layout::sql_migrate:
      return "-- +migrate Down";
    default:
      return "";
  }
}

// Anything but white space and the runner's markers in the unit.
bool has_content(std::string_view text, const RunUnit& u, const FilePlan& plan) {
  for (uint32_t i = u.begin; i < u.end && i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') continue;
    if (!in_ranges(plan.markers, i)) return true;
  }
  return false;
}

// Where the line before the one at `offset` starts: the runner's marker line above a section.
uint32_t line_before(const SourceText& src, uint32_t offset) {
  if (offset == 0) return 0;
  return line_offset(src, src.position(offset - 1).line);
}

// Liquibase: every changeset that runs has --rollback lines.
void changeset_rollbacks(const std::vector<Pack>& packs, const FileHygieneInput& in,
                         const FilePlan& down, std::vector<Finding>& out) {
  for (const RunUnit& u : in.up.units) {
    bool has = false;
    for (const RunUnit& d : down.units) has = has || (d.begin >= u.begin && d.begin < u.end);
    if (has) continue;
    out.push_back(builtin_finding(
        packs, "missing-down", in.file_index, in.src, line_before(in.src, u.begin),
        "this changeset has no --rollback lines: write the statements that undo it, or "
        "'--rollback not required' when it cannot be undone"));
  }
}

// Anything but white space in the file.
bool blank_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char c;
  while (f.get(c))
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f') return false;
  return true;
}

std::optional<Finding> own_down_file(const std::vector<Pack>& packs, const FileHygieneInput& in) {
  const std::string& path = in.src.path();
  const std::string name = std::filesystem::path(path).filename().string();
  // sqlx: a simple migration (no .up.sql) is irreversible by design.
  if (in.runner == Layout::sqlx && !path.ends_with(".up.sql")) return std::nullopt;
  std::string down;
  if (in.runner == Layout::diesel) {
    down = down_counterpart(in.runner, path);
    std::error_code ec;
    if (down == path) return std::nullopt;
    if (!std::filesystem::exists(down, ec)) down.clear();
  } else {
    // The runner pairs them by version, whatever the rest of the names say.
    if (!in.down_files) return std::nullopt;
    const std::map<std::string, std::string>& files = in.down_files();
    if (in.runner == Layout::flyway && (files.empty() || name.empty() || name[0] != 'V'))
      return std::nullopt;
    std::string version = up_file_version(in.runner, name);
    if (version.empty()) return std::nullopt;
    if (auto it = files.find(version); it != files.end()) down = it->second;
  }
  if (down.empty())
    return builtin_finding(
        packs, "missing-down", in.file_index, in.src, 0,
        "no down migration: no " +
            std::string(in.runner == Layout::flyway ? "undo migration U"
                                                    : "down file of version ") +
            (in.runner == Layout::flyway ? up_file_version(in.runner, name) + "__*.sql"
             : in.runner == Layout::diesel
                 ? std::filesystem::path(down_counterpart(in.runner, path)).filename().string()
                 : up_file_version(in.runner, name)) +
            " beside it");
  if (blank_file(down))
    return builtin_finding(packs, "missing-down", in.file_index, in.src, 0,
                           "the down migration " + std::filesystem::path(down).filename().string() +
                               " is empty: write the statements that undo this migration, or a "
                               "comment saying why it cannot be undone");
  return std::nullopt;
}

void down_part(const std::vector<Pack>& packs, const CheckOptions& opt, const FileHygieneInput& in,
               std::vector<Finding>& out) {
  if (!find_rule(packs, "missing-down")) return;
  DownParts parts = down_parts(in.runner);
  if (parts == DownParts::none) return;
  if (parts == DownParts::own_files) {
    if (auto f = own_down_file(packs, in)) out.push_back(std::move(*f));
    return;
  }
  RunnerSettings settings;
  settings.default_mode = opt.transactions;
  settings.flyway_mixed = opt.flyway_mixed;
  FilePlan down = plan_file(in.runner, in.src, in.dialect, Direction::down, settings);
  if (in.runner == Layout::liquibase) return changeset_rollbacks(packs, in, down, out);
  std::string marker(down_marker(in.runner));
  if (down.units.empty()) {
    out.push_back(builtin_finding(
        packs, "missing-down", in.file_index, in.src, 0,
        "no down section: add '" + marker + "' with the statements that undo this migration"));
    return;
  }
  // Statements, or a comment saying why it cannot be undone.
  if (std::any_of(down.units.begin(), down.units.end(),
                  [&](const RunUnit& u) { return has_content(in.src.text(), u, down); }))
    return;
  out.push_back(builtin_finding(
      packs, "missing-down", in.file_index, in.src, line_before(in.src, down.units.front().begin),
      "the down section is empty: write the statements that undo this migration, or a comment "
      "saying why it cannot be undone"));
}

// "0012" -> "12", "0" -> "0".
std::string without_leading_zeros(std::string_view s) {
  size_t i = 0;
  while (i + 1 < s.size() && s[i] == '0') ++i;
  return std::string(s.substr(i));
}

// Flyway's version: the part after the prefix letter up to "__", '_' read as '.', each part
// without its leading zeros.
std::string flyway_version(std::string_view name) {
  size_t end = name.find("__");
  if (name.size() < 2 || end == std::string_view::npos) return {};
  std::string out, part;
  for (char c : name.substr(1, end - 1)) {
    if (c == '.' || c == '_') {
      out += without_leading_zeros(part) + ".";
      part.clear();
    } else {
      part += c;
    }
  }
  return out + without_leading_zeros(part);
}

// golang-migrate and sqlx: the digits before the first '_'.
std::string numbered_version(std::string_view name) {
  size_t k = 0;
  while (k < name.size() && std::isdigit(static_cast<unsigned char>(name[k]))) ++k;
  if (k == 0 || k >= name.size() || name[k] != '_') return {};
  return without_leading_zeros(name.substr(0, k));
}

}  // namespace

std::string down_file_version(Layout runner, std::string_view name) {
  if (runner == Layout::flyway) return name.starts_with("U") ? flyway_version(name) : "";
  if (!name.ends_with(".down.sql")) return {};
  return numbered_version(name);
}

std::string up_file_version(Layout runner, std::string_view name) {
  if (runner == Layout::flyway) return name.starts_with("V") ? flyway_version(name) : "";
  return numbered_version(name);
}

bool has_file_rules(const std::vector<Pack>& packs) {
  return find_rule(packs, "migration-header") || find_rule(packs, "missing-down");
}

std::vector<Finding> file_hygiene(const std::vector<Pack>& packs, const CheckOptions& opt,
                                  const FileHygieneInput& in) {
  std::vector<Finding> out;
  if (auto f = header_finding(packs, opt, in)) out.push_back(std::move(*f));
  down_part(packs, opt, in, out);
  return out;
}

}  // namespace migsafe
