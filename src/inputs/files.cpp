// Turning PATH arguments into ordered migration sets.
#include <fnmatch.h>
#include <re2/re2.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <map>
#include <system_error>
#include <unordered_set>

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

// The files of a folder that could be migrations.
struct Listing {
  std::vector<std::string> files;         // relative, '/' separators
  std::unordered_set<std::string> links;  // those of them that are symbolic links
};

// An entry's path below the folder listed: the iterator builds it as dir / name, so the folder's
// own spelling is cut off (lexically_relative was most of the listing's time in big folders).
std::string relative_to(const fs::path& entry, const fs::path& dir) {
  const std::string& full = entry.native();
  const std::string& base = dir.native();
  if (full.size() > base.size() && full.compare(0, base.size(), base) == 0) {
    size_t at = base.size();
    if (!base.empty() && base.back() != '/') {
      if (full[at] != '/') return entry.lexically_relative(dir).generic_string();
      ++at;
    }
    if (at < full.size()) return full.substr(at);
  }
  return entry.lexically_relative(dir).generic_string();
}

// Every regular file under dir that no --exclude glob matches.
Listing files_under(const fs::path& dir, const InputOptions& opt) {
  Listing out;
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
    const std::string& name = entry.path().native();
    if (!name.ends_with(".sql") && !name.ends_with(".SQL") && !name.ends_with(".Sql")) continue;
    std::string r = relative_to(entry.path(), dir);
    if (excluded(opt.exclude, name, r)) continue;
    // The listing says what each entry is: only links need a look at where they lead.
    if (entry.is_symlink(ec)) out.links.insert(r);
    out.files.push_back(std::move(r));
  }
  // The iterator ends when it cannot open a subfolder; the error is only in ec.
  if (ec) fail();
  return out;
}

// A migration that is a symbolic link must lead somewhere; FIFOs and devices are read as
// streams.
void check_link(const fs::path& p) {
  std::error_code ec;
  if (fs::exists(p, ec)) return;
  struct stat st {};
  int err = ::stat(p.c_str(), &st) == 0 ? 0 : errno;
  throw InputError(p.string(), err == ELOOP ? "cannot be read: a loop of symbolic links"
                                            : "is a symbolic link to nothing");
}

// The files of rel that run in a direction under a runner, in its order.
std::vector<std::string> select(Layout runner, Direction dir, const std::vector<std::string>& rel,
                                bool forced) {
  std::string_view pattern = layout_files(runner, dir);
  // Unknown runner: every .sql file but the down migrations of the tools that keep them apart.
  // plain, when detected rather than asked for, keeps that breadth.
  bool broad = runner == Layout::automatic || (runner == Layout::plain && !forced);
  if (pattern.empty() && !broad) return {};
  RE2 include(broad ? R"(\.sql$)" : std::string(pattern));
  // Down migrations in files of their own are no up migrations (sqlx's N_x.down.sql).
  std::string_view down = layout_files(runner, Direction::down);
  bool own_down = dir == Direction::up && !down.empty() && down != pattern;
  RE2 down_files(own_down ? std::string(down) : std::string("$^"));
  std::vector<std::string> out;
  for (const auto& r : rel) {
    if (broad && is_down_migration(r)) continue;
    if (own_down && RE2::PartialMatch(r, down_files)) continue;
    if (RE2::PartialMatch(r, include)) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    return run_order_less(runner, a, b);
  });
  return out;
}

bool separate_down_files(Layout runner) {
  return down_parts(runner) == DownParts::own_files;
}

// A migration folder: its runner and its migrations in order.
struct Folder {
  fs::path dir;
  Layout runner = Layout::automatic;
  std::vector<std::string> up;    // relative
  std::vector<std::string> down;  // relative, newest first
};

Folder read_folder(const fs::path& dir, const InputOptions& opt) {
  Folder f;
  f.dir = dir;
  Listing listing = files_under(dir, opt);
  const std::vector<std::string>& rel = listing.files;
  bool forced = opt.layout != Layout::automatic;
  f.runner = forced ? opt.layout : detect_runner_by_files(dir.string(), rel);
  f.up = select(f.runner, Direction::up, rel, forced);
  if (opt.direction == Direction::down && separate_down_files(f.runner)) {
    f.down = select(f.runner, Direction::down, rel, forced);
    std::reverse(f.down.begin(), f.down.end());
  }
  for (const auto* list : {&f.up, &f.down})
    for (const auto& r : *list)
      if (listing.links.count(r)) check_link(dir / r);
  return f;
}

// The folder a migration file belongs to: its own, or for runners that keep each migration in a
// folder of its own (up.sql, migration.sql), the one above.
fs::path folder_of(const fs::path& file) {
  fs::path parent = file.parent_path();
  if (parent.empty()) parent = ".";
  std::string name = file.filename().string();
  if (name == "up.sql" || name == "down.sql" || name == "migration.sql") {
    fs::path above = parent.parent_path();
    return above.empty() ? fs::path(".") : above;
  }
  return parent;
}

// Paths as the user would write them: a file of the working directory without "./".
std::string join(const fs::path& dir, const std::string& rel) {
  return dir == "." ? rel : (dir / rel).string();
}

std::vector<std::string> full_paths(const fs::path& dir, const std::vector<std::string>& rel) {
  std::vector<std::string> out;
  out.reserve(rel.size());
  for (const auto& r : rel) out.push_back(join(dir, r));
  return out;
}

// A folder argument: every migration of it, reported.
MigrationSet folder_set(const std::string& arg, const InputOptions& opt) {
  Folder f = read_folder(arg, opt);
  MigrationSet set;
  set.root = arg;
  set.is_folder = true;
  set.runner = f.runner;
  set.files = full_paths(arg, f.up);
  set.down_files = full_paths(arg, f.down);
  if (set.files.empty())
    throw InputError(arg, "is a folder with no " +
                              std::string(opt.layout == Layout::automatic
                                              ? ".sql"
                                              : std::string(layout_name(opt.layout))) +
                              " migration files in it");
  return set;
}

// Where a file argument sits among the migrations of its folder; -1 when it is not one of them.
long index_in(const std::vector<std::string>& rel, const fs::path& dir, const fs::path& file) {
  std::error_code ec;
  fs::path want = fs::weakly_canonical(file, ec);
  for (size_t i = 0; i < rel.size(); ++i)
    if (fs::weakly_canonical(dir / rel[i], ec) == want) return static_cast<long>(i);
  return -1;
}

// A file argument: judged in the context of its migration folder when it is one of the
// folder's migrations (the earlier ones replayed, not reported); else alone.
void add_file_argument(const std::string& arg, const InputOptions& opt,
                       std::vector<MigrationSet>& sets, std::map<std::string, size_t>& by_folder) {
  fs::path file(arg);
  fs::path dir = folder_of(file);
  std::error_code ec;
  Folder f = read_folder(dir, opt);
  bool ordered = std::isdigit(static_cast<unsigned char>(file.filename().string()[0])) ||
                 (f.runner != Layout::automatic && f.runner != Layout::plain);
  long up = ordered ? index_in(f.up, dir, file) : -1;
  long down = ordered ? index_in(f.down, dir, file) : -1;
  if (up < 0 && down < 0) {
    MigrationSet set;
    set.root = arg;
    set.files.push_back(arg);
    std::string name = file.filename().string();
    set.runner =
        opt.layout != Layout::automatic ? opt.layout : detect_runner_by_files(dir.string(), {name});
    sets.push_back(std::move(set));
    return;
  }
  std::string key = fs::weakly_canonical(dir, ec).string();
  auto it = by_folder.find(key);
  if (it == by_folder.end()) {
    MigrationSet set;
    set.root = dir.string();
    set.is_folder = true;
    set.runner = f.runner;
    set.files = full_paths(dir, f.up);
    set.down_files = full_paths(dir, f.down);
    set.reported.assign(set.files.size(), false);
    set.down_reported.assign(set.down_files.size(), false);
    it = by_folder.emplace(key, sets.size()).first;
    sets.push_back(std::move(set));
  }
  MigrationSet& set = sets[it->second];
  if (up >= 0) {
    set.files[static_cast<size_t>(up)] = arg;  // as the user wrote it
    if (opt.direction == Direction::up || !separate_down_files(f.runner)) {
      set.reported[static_cast<size_t>(up)] = true;
    } else {
      // Going down, an up migration given stands for its down migration.
      std::string counterpart = down_counterpart(f.runner, f.up[static_cast<size_t>(up)]);
      auto at = std::find(f.down.begin(), f.down.end(), counterpart);
      if (at == f.down.end())
        throw InputError(arg, "has no down migration (" + join(dir, counterpart) + ")");
      set.down_reported[static_cast<size_t>(at - f.down.begin())] = true;
    }
  }
  if (down >= 0) {
    set.down_files[static_cast<size_t>(down)] = arg;
    set.down_reported[static_cast<size_t>(down)] = true;
  }
}

}  // namespace

bool run_order_less(Layout runner, std::string_view a, std::string_view b) {
  if (runner != Layout::flyway) return natural_less(a, b);
  // Flyway: versioned migrations by version (parts split on '.' or '_', compared as numbers),
  // then the repeatable ones by description.
  auto base = [](std::string_view p) {
    size_t slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
  };
  std::string_view na = base(a), nb = base(b);
  bool ra = na.starts_with("R__"), rb = nb.starts_with("R__");
  if (ra != rb) return rb;
  if (ra) return na < nb;
  auto version = [](std::string_view n) {
    std::vector<unsigned long long> parts;
    size_t end = n.find("__");
    std::string_view v = n.substr(1, end == std::string_view::npos ? 0 : end - 1);
    unsigned long long cur = 0;
    bool any = false;
    for (char c : v) {
      if (c >= '0' && c <= '9') {
        cur = cur * 10 + static_cast<unsigned>(c - '0');
        any = true;
      } else if (any) {
        parts.push_back(cur);
        cur = 0;
        any = false;
      }
    }
    if (any) parts.push_back(cur);
    while (!parts.empty() && parts.back() == 0) parts.pop_back();  // 1.0 is 1
    return parts;
  };
  auto va = version(na), vb = version(nb);
  if (va != vb) return va < vb;
  return natural_less(a, b);
}

std::vector<MigrationSet> collect_inputs(const std::vector<std::string>& args,
                                         const InputOptions& opt) {
  std::vector<MigrationSet> sets;
  // File arguments in the same migration folder share one set: the folder's root -> set index.
  std::map<std::string, size_t> by_folder;
  for (const auto& arg : args) {
    std::error_code ec;
    if (arg == "-") {
      MigrationSet set;
      set.root = "-";
      set.files.push_back("-");
      set.runner = opt.layout;
      sets.push_back(std::move(set));
    } else if (fs::is_directory(arg, ec)) {
      sets.push_back(folder_set(arg, opt));
    } else if (fs::exists(arg, ec)) {
      if (excluded(opt.exclude, arg, fs::path(arg).filename().string())) continue;
      add_file_argument(arg, opt, sets, by_folder);
    } else {
      struct stat st {};
      throw InputError(arg, describe_errno(::stat(arg.c_str(), &st) == 0 ? EIO : errno));
    }
  }
  return sets;
}

// The down migration of an up one, for runners that keep them in files of their own.
std::string down_counterpart(Layout runner, const std::string& rel) {
  std::string out = rel;
  auto replace_tail = [&](std::string_view from, std::string_view to) {
    if (!out.ends_with(from)) return false;
    out.replace(out.size() - from.size(), from.size(), to);
    return true;
  };
  if (runner == Layout::flyway) {
    size_t slash = out.rfind('/');
    size_t at = slash == std::string::npos ? 0 : slash + 1;
    if (at < out.size() && out[at] == 'V') out[at] = 'U';
    return out;
  }
  if (replace_tail(".up.sql", ".down.sql") || replace_tail("/up.sql", "/down.sql") ||
      (out == "up.sql" && replace_tail("up.sql", "down.sql")))
    return out;
  // sqlx: a simple migration has no down file.
  if (replace_tail(".sql", ".down.sql")) return out;
  return out;
}

}  // namespace migsafe
