// Turning PATH arguments into ordered migration sets.
#include <fnmatch.h>
#include <re2/re2.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "migsafe/inputs.hpp"

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

struct LayoutRule {
  Layout layout;
  std::string_view name;
  std::string_view include;  // RE2 on the path relative to the folder ('/' separators)
};

// Down migrations undo earlier files; replaying them forward would empty the schema model, so
// no layout includes them.
constexpr LayoutRule kLayouts[] = {
    {Layout::automatic, "auto", R"(\.sql$)"},
    {Layout::flyway, "flyway", R"((^|/)V[0-9][0-9._]*__[^/]*\.sql$)"},
    {Layout::golang_migrate, "golang-migrate", R"((^|/)[0-9]+_[^/]*\.up\.sql$)"},
    {Layout::diesel, "diesel", R"((^|/)[^/]+/up\.sql$)"},
    {Layout::sqlx, "sqlx", R"((^|/)[0-9]+_[^/]*\.sql$)"},
    {Layout::prisma, "prisma", R"((^|/)[^/]+/migration\.sql$)"},
    {Layout::plain, "plain", R"((^|/)[0-9][^/]*\.sql$)"},
};

bool is_down_migration(std::string_view rel) {
  return rel == "down.sql" || rel.ends_with("/down.sql") || rel.ends_with(".down.sql");
}

bool excluded(const std::vector<std::string>& patterns, const std::string& full,
              const std::string& rel) {
  for (const auto& p : patterns)
    if (fnmatch(p.c_str(), full.c_str(), 0) == 0 || fnmatch(p.c_str(), rel.c_str(), 0) == 0)
      return true;
  return false;
}

std::vector<std::string> sql_files_under(const fs::path& dir, const InputOptions& opt) {
  const LayoutRule* layout = &kLayouts[0];
  for (const auto& l : kLayouts)
    if (l.layout == opt.layout) layout = &l;
  RE2 include(layout->include);
  std::vector<std::string> rel;
  std::error_code ec;
  // A subfolder that cannot be read could hold migrations: that is an error, not a skip.
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) throw InputError(dir.string(), describe_errno(ec.value()));
  fs::path entered = dir;  // the folder the next step descends into, for messages
  auto fail = [&] { throw InputError(entered.string(), describe_errno(ec.value())); };
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) fail();
    const auto& entry = *it;
    if (entry.is_directory(ec)) {
      entered = entry.path();
      continue;
    }
    std::string r = entry.path().lexically_relative(dir).generic_string();
    if (is_down_migration(r) || !RE2::PartialMatch(r, include)) continue;
    if (excluded(opt.exclude, entry.path().string(), r)) continue;
    // A migration that is a symbolic link must lead somewhere; FIFOs and devices are read as
    // streams.
    if (!fs::exists(entry.path(), ec)) {
      struct stat st {};
      int err = ::stat(entry.path().c_str(), &st) == 0 ? 0 : errno;
      throw InputError(entry.path().string(), err == ELOOP
                                                  ? "cannot be read: a loop of symbolic links"
                                                  : "is a symbolic link to nothing");
    }
    rel.push_back(std::move(r));
  }
  // The iterator ends when it cannot open a subfolder; the error is only in ec.
  if (ec) fail();
  std::sort(rel.begin(), rel.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  std::vector<std::string> out;
  out.reserve(rel.size());
  for (const auto& r : rel) out.push_back((dir / r).string());
  return out;
}

}  // namespace

std::optional<Layout> parse_layout(std::string_view s) {
  for (const auto& l : kLayouts)
    if (l.name == s) return l.layout;
  return std::nullopt;
}

std::string_view layout_name(Layout layout) {
  for (const auto& l : kLayouts)
    if (l.layout == layout) return l.name;
  return "auto";
}

std::vector<MigrationSet> collect_inputs(const std::vector<std::string>& args,
                                         const InputOptions& opt) {
  std::vector<MigrationSet> sets;
  for (const auto& arg : args) {
    MigrationSet set{arg, {}};
    std::error_code ec;
    if (arg == "-") {
      set.files.push_back("-");
    } else if (fs::is_directory(arg, ec)) {
      set.files = sql_files_under(arg, opt);
      if (set.files.empty())
        throw InputError(arg, "is a folder with no " +
                                  std::string(opt.layout == Layout::automatic
                                                  ? ".sql"
                                                  : std::string(layout_name(opt.layout))) +
                                  " migration files in it");
    } else if (fs::exists(arg, ec)) {
      if (excluded(opt.exclude, arg, fs::path(arg).filename().string())) continue;
      set.files.push_back(arg);
    } else {
      struct stat st {};
      throw InputError(arg, describe_errno(::stat(arg.c_str(), &st) == 0 ? EIO : errno));
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

}  // namespace migsafe
