#include "snapshot/sqlite_copy.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include "migsafe/snapshot.hpp"

namespace migsafe::sqlite {
namespace {

constexpr const char* kCopyName = "copy.db";
// What SQLite may create beside the copy; the interruption cleanup removes these by name.
constexpr std::array<const char*, 5> kFiles = {"copy.db", "copy.db-journal", "copy.db-wal",
                                               "copy.db-shm", "copy.db-mj"};

// Folders to remove when a signal ends the process. A signal handler can reach only state of
// its own, so this is a fixed table of paths (set before a slot is marked used).
constexpr int kSlots = 8;
struct Slot {
  std::atomic<bool> used{false};
  char dir[4096] = {};
};
std::array<Slot, kSlots> g_slots;
std::once_flag g_handlers;

void remove_folder(const char* dir) {
  char path[4200];
  for (const char* f : kFiles) {
    size_t n = std::strlen(dir);
    if (n + std::strlen(f) + 2 > sizeof path) continue;
    std::memcpy(path, dir, n);
    path[n] = '/';
    std::memcpy(path + n + 1, f, std::strlen(f) + 1);
    unlink(path);
  }
  rmdir(dir);
}

extern "C" void on_signal(int sig) {
  for (auto& s : g_slots)
    if (s.used.load()) remove_folder(s.dir);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int claim_slot(const std::string& dir) {
  std::call_once(g_handlers, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      struct sigaction old {};
      // A signal the caller ignores stays ignored.
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
      sigaction(sig, &sa, nullptr);
    }
  });
  if (dir.size() >= sizeof(Slot::dir)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].used.load()) continue;
    std::memcpy(g_slots[i].dir, dir.c_str(), dir.size() + 1);
    g_slots[i].used.store(true);
    return i;
  }
  return -1;
}

struct FileState {
  bool exists = false;
  off_t size = 0;
  struct timespec mtime {};
  bool operator==(const FileState& o) const {
    return exists == o.exists && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileState state_of(const std::string& path) {
  FileState s;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  return s;
}

void copy_bytes(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw SnapshotError("cannot read " + from + ": " + std::strerror(errno));
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out)
    throw SnapshotError("cannot write the database's copy: " + std::string(std::strerror(errno)));
  out << in.rdbuf();
  if (!out.flush()) throw SnapshotError("cannot write the database's copy (disk full?)");
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

std::optional<std::string> dsn_path(std::string_view dsn) {
  if (dsn.starts_with("sqlite://")) return std::string(dsn.substr(9));
  if (dsn.starts_with("sqlite:")) return std::string(dsn.substr(7));
  if (dsn.find("://") == std::string_view::npos &&
      (ends_with(dsn, ".db") || ends_with(dsn, ".sqlite") || ends_with(dsn, ".sqlite3")))
    return std::string(dsn);
  return std::nullopt;
}

Copy::Copy(const std::string& original) : original_(original) {
  struct stat st {};
  if (original.empty()) throw SnapshotError("the sqlite: DSN names no file");
  if (stat(original.c_str(), &st) != 0)
    throw SnapshotError("cannot read the SQLite database " + original + ": " +
                        std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw SnapshotError("the SQLite database " + original + " is not a regular file");
  {
    std::ifstream in(original, std::ios::binary);
    char header[16] = {};
    if (!in || !in.read(header, sizeof header) || std::memcmp(header, "SQLite format 3", 16) != 0)
      throw SnapshotError(original + " is not a SQLite 3 database (its header says otherwise)");
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/migsafe-sqlite-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw SnapshotError("cannot make a temporary folder for the database's copy: " +
                        std::string(std::strerror(errno)));
  dir_ = buf.data();
  file_ = dir_ + "/" + kCopyName;
  slot_ = claim_slot(dir_);
  try {
    // The bytes of a file that is being written may not agree with each other: the copy is
    // taken again while the original or its WAL / journal change under it.
    for (int attempt = 0;; ++attempt) {
      FileState main = state_of(original), wal = state_of(original + "-wal"),
                journal = state_of(original + "-journal");
      copy_bytes(original, file_);
      for (const char* side : {"-wal", "-journal"}) {
        std::string from = original + side;
        std::string to = file_ + side;
        if (state_of(from).exists)
          copy_bytes(from, to);
        else
          unlink(to.c_str());
      }
      if (state_of(original) == main && state_of(original + "-wal") == wal &&
          state_of(original + "-journal") == journal)
        break;
      if (attempt == 4)
        throw SnapshotError("the SQLite database " + original +
                            " kept changing while it was copied: copy it while nothing writes "
                            "to it, and give migsafe that copy");
    }
  } catch (...) {
    remove_folder(dir_.c_str());
    if (slot_ >= 0) g_slots[slot_].used.store(false);
    throw;
  }
}

Copy::~Copy() {
  remove_folder(dir_.c_str());
  if (slot_ >= 0) g_slots[slot_].used.store(false);
}

}  // namespace migsafe::sqlite
