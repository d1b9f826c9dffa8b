// Turning PATH arguments into ordered migration sets.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "migsafe/parse.hpp"

namespace migsafe {
namespace fs = std::filesystem;

bool natural_less(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    unsigned char ca = static_cast<unsigned char>(a[i]);
    unsigned char cb = static_cast<unsigned char>(b[j]);
    if (std::isdigit(ca) && std::isdigit(cb)) {
      size_t ia = i, jb = j;
      while (ia < a.size() && a[ia] == '0') ++ia;
      while (jb < b.size() && b[jb] == '0') ++jb;
      size_t ea = ia, eb = jb;
      while (ea < a.size() && std::isdigit(static_cast<unsigned char>(a[ea]))) ++ea;
      while (eb < b.size() && std::isdigit(static_cast<unsigned char>(b[eb]))) ++eb;
      if (ea - ia != eb - jb) return ea - ia < eb - jb;
      int c = a.substr(ia, ea - ia).compare(b.substr(jb, eb - jb));
      if (c != 0) return c < 0;
      i = ea;
      j = eb;
      continue;
    }
    if (ca != cb) return ca < cb;
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

namespace {

// Down migrations undo earlier files; replaying them forward would empty the schema model.
bool is_down_migration(const fs::path& p) {
  std::string name = p.filename().string();
  return name == "down.sql" || (name.size() > 9 && name.ends_with(".down.sql"));
}

std::vector<std::string> sql_files_under(const fs::path& dir) {
  std::vector<std::string> rel;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw InputError(dir.string(), "cannot be read: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError(dir.string(), "cannot be listed: " + ec.message());
    const auto& entry = *it;
    if (!entry.is_regular_file(ec)) continue;
    if (entry.path().extension() != ".sql" || is_down_migration(entry.path())) continue;
    rel.push_back(fs::relative(entry.path(), dir, ec).generic_string());
  }
  std::sort(rel.begin(), rel.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  std::vector<std::string> out;
  out.reserve(rel.size());
  for (const auto& r : rel) out.push_back((dir / r).string());
  return out;
}

}  // namespace

std::vector<MigrationSet> collect_inputs(const std::vector<std::string>& args) {
  std::vector<MigrationSet> sets;
  for (const auto& arg : args) {
    MigrationSet set{arg, {}};
    std::error_code ec;
    if (arg == "-") {
      set.files.push_back("-");
    } else if (fs::is_directory(arg, ec)) {
      set.files = sql_files_under(arg);
      if (set.files.empty())
        throw InputError(arg, "is a folder with no .sql migration files in it");
    } else if (fs::exists(arg, ec)) {
      set.files.push_back(arg);
    } else {
      throw InputError(arg, "does not exist");
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

}  // namespace migsafe
