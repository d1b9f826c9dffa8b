#include "fingerprint.hpp"

#include <filesystem>
#include <map>
#include <tuple>

#include "../inputs/sha256.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

fs::path repository_root() {
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / ".git", ec)) return d;
    if (d == d.root_path()) break;
  }
  return dir;
}

std::string relative_to(const fs::path& root, const std::string& path) {
  if (path.empty() || path[0] == '<' || path == "-") return path;  // stdin
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  fs::path rel = abs.lexically_relative(fs::weakly_canonical(root, ec));
  if (rel.empty() || rel.native().starts_with("..")) return path;
  return rel.generic_string();
}

}  // namespace

std::string repository_path(const std::string& path) {
  return relative_to(repository_root(), path);
}

std::vector<FindingIdentity> finding_identities(const CheckResult& r) {
  const fs::path root = repository_root();
  std::map<size_t, std::string> paths;  // per file, computed once
  std::map<std::tuple<std::string, std::string, std::string>, int> seen;
  std::vector<FindingIdentity> out;
  out.reserve(r.findings.size());
  for (const Finding& f : r.findings) {
    const CheckedFile& file = r.files[f.file];
    auto [it, added] = paths.try_emplace(f.file);
    if (added) it->second = relative_to(root, file.path);
    std::string text;
    if (file.source && f.statement.end > f.statement.begin)
      text =
          normalize_statement(std::string_view(file.source->text())
                                  .substr(f.statement.begin, f.statement.end - f.statement.begin));
    int occurrence = seen[{it->second, f.rule_id, text}]++;
    std::string key = it->second;
    key.append(1, '\0').append(f.rule_id).append(1, '\0').append(text).append(1, '\0');
    key += std::to_string(occurrence);
    out.push_back({it->second, sha256_hex(key)});
  }
  return out;
}

}  // namespace migsafe
