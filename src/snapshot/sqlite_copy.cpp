#include "snapshot/sqlite_copy.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "migsafe/fd.hpp"
#include "migsafe/snapshot.hpp"

namespace migsafe::sqlite {
namespace {

// A copy's folder: kPrefix, the process id, a random tail.
constexpr const char* kPrefix = "migsafe-sqlite-";
// The copy, then what SQLite may create beside it; the cleanup removes these by name.
constexpr std::array<const char*, 5> kFiles = {"copy.db", "copy.db-journal", "copy.db-wal",
                                               "copy.db-shm", "copy.db-mj"};
constexpr const char* kCopyName = kFiles[0];

// Folders to remove when a signal ends the process. A signal handler can reach only state of
// its own, so this is a fixed table of paths (set before a slot is marked used).
constexpr int kSlots = 8;
struct Slot {
  std::atomic<bool> used{false};
  char dir[4096] = {};
};
std::array<Slot, kSlots> g_slots;
std::once_flag g_handlers;

// The signals that end a process by default, crashes included: each removes the copies, then
// goes on as it would have (the handler installed before, e.g. a sanitizer's, or the default).
constexpr std::array<int, 17> kEndingSignals = {
    SIGINT,  SIGTERM,   SIGHUP,  SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU,
    SIGXFSZ, SIGVTALRM, SIGPROF, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT};
std::array<struct sigaction, 65> g_previous{};

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

}  // namespace

void remove_copies_now() {
  for (auto& s : g_slots)
    if (s.used.load()) remove_folder(s.dir);
}

namespace {

extern "C" void on_signal(int sig) {
  remove_copies_now();
  sigaction(sig, &g_previous[static_cast<size_t>(sig)], nullptr);
  raise(sig);
}

void install_handlers() {
  std::call_once(g_handlers, [] {
    for (int sig : kEndingSignals) {
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) != 0) continue;
      // A signal the caller ignores stays ignored.
      if (old.sa_handler == SIG_IGN) continue;
      g_previous[static_cast<size_t>(sig)] = old;
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction(sig, &sa, nullptr);
    }
  });
}

int claim_slot(const std::string& dir) {
  if (dir.size() >= sizeof(Slot::dir)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].used.load()) continue;
    std::memcpy(g_slots[i].dir, dir.c_str(), dir.size() + 1);
    g_slots[i].used.store(true);
    return i;
  }
  return -1;
}

// Blocks the ending signals while a folder is made and listed, so that none is made unlisted.
class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kEndingSignals)
      if (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL) sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;

 private:
  sigset_t old_;
};

// Copies left by a run that was killed outright (SIGKILL, the OOM killer). A live run holds an
// exclusive flock on its folder (across processes and pid namespaces alike), so a folder whose
// lock can be taken is an orphan. Only real folders of this user are touched, never through a
// link, and only the copy's own file names inside them.
void remove_orphans(const std::string& tmp) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(tmp, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    Fd dir(open(e.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() < 0) continue;
    struct stat st {};
    if (fstat(dir.get(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
        flock(dir.get(), LOCK_EX | LOCK_NB) == 0) {
      for (const char* f : kFiles) unlinkat(dir.get(), f, 0);
      rmdir(e.path().c_str());
    }
  }
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

// Copies the bytes of `from`, keeping its holes: a sparse file that claims gigabytes of zeros
// is copied as the little it holds.
void copy_bytes(const std::string& from, const std::string& to) {
  Fd in(open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (in.get() < 0) throw SnapshotError("cannot read " + from + ": " + std::strerror(errno));
  Fd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.get() < 0)
    throw SnapshotError("cannot write the database's copy: " + std::string(std::strerror(errno)));
  struct stat st {};
  if (fstat(in.get(), &st) != 0) throw SnapshotError("cannot read " + from);
  auto fail = [] { throw SnapshotError("cannot write the database's copy (disk full?)"); };
  std::vector<char> buf(1 << 20);
  auto copy_range = [&](off_t begin, off_t end) {
    for (off_t at = begin; at < end;) {
      size_t n = static_cast<size_t>(std::min<off_t>(end - at, static_cast<off_t>(buf.size())));
      ssize_t got = pread(in.get(), buf.data(), n, at);
      if (got <= 0) throw SnapshotError("cannot read " + from + ": " + std::strerror(errno));
      if (pwrite(out.get(), buf.data(), static_cast<size_t>(got), at) != got) fail();
      at += got;
    }
  };
  off_t at = 0;
  while (at < st.st_size) {
    off_t data = lseek(in.get(), at, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;   // only a hole is left
      copy_range(at, st.st_size);  // the filesystem cannot say where the holes are
      break;
    }
    off_t hole = lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) hole = st.st_size;
    copy_range(data, hole);
    at = hole;
  }
  if (ftruncate(out.get(), st.st_size) != 0) fail();
}

// A side file SQLite reads with the database: absent, or a regular file.
bool side_file(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return false;
  if (S_ISLNK(st.st_mode) && stat(path.c_str(), &st) != 0) return false;
  if (!S_ISREG(st.st_mode))
    throw SnapshotError(path +
                        " is not a regular file: migsafe reads a database's WAL and "
                        "journal only as plain files");
  return true;
}

// A rollback journal that begins with its header's magic number is hot: a write was cut off,
// and opening the database would play it back (and delete the super-journal file it names,
// wherever that is). migsafe does not open such a database.
bool hot_journal(const std::string& path) {
  static const unsigned char kMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  std::ifstream in(path, std::ios::binary);
  unsigned char head[8] = {};
  return in.read(reinterpret_cast<char*>(head), sizeof head) &&
         std::memcmp(head, kMagic, sizeof kMagic) == 0;
}

}  // namespace

std::optional<std::string> dsn_path(std::string_view dsn) {
  if (dsn.starts_with("sqlite://")) return std::string(dsn.substr(9));
  if (dsn.starts_with("sqlite:")) return std::string(dsn.substr(7));
  if (dsn.find("://") == std::string_view::npos &&
      (dsn.ends_with(".db") || dsn.ends_with(".sqlite") || dsn.ends_with(".sqlite3")))
    return std::string(dsn);
  return std::nullopt;
}

Copy::Copy(const std::string& original) : original_(original) {
  if (original.empty()) throw SnapshotError("the sqlite: DSN names no file");
  struct stat st {};
  if (stat(original.c_str(), &st) != 0)
    throw SnapshotError("cannot read the SQLite database " + original + ": " +
                        std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw SnapshotError("the SQLite database " + original + " is not a regular file");
  // SQLite finds the WAL and the journal beside the file a link points to.
  std::error_code ec;
  std::string real = std::filesystem::canonical(original, ec).string();
  if (ec) throw SnapshotError("cannot resolve " + original + ": " + ec.message());
  {
    std::ifstream in(real, std::ios::binary);
    char header[16] = {};
    if (!in || !in.read(header, sizeof header) || std::memcmp(header, "SQLite format 3", 16) != 0)
      throw SnapshotError(original + " is not a SQLite 3 database (its header says otherwise)");
  }
  if (side_file(real + "-journal") && hot_journal(real + "-journal"))
    throw SnapshotError(original +
                        " has a hot journal (a write to it was cut off, or one is under way): "
                        "open it once with sqlite3 to recover it, or give migsafe a copy made "
                        "while nothing writes to it");
  const char* tmp_env = std::getenv("TMPDIR");
  std::string tmp = tmp_env && *tmp_env ? tmp_env : "/tmp";
  remove_orphans(tmp);
  install_handlers();
  {
    SignalsHeld held;
    std::string templ = tmp + "/" + kPrefix + std::to_string(getpid()) + "-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      throw SnapshotError("cannot make a temporary folder for the database's copy: " +
                          std::string(std::strerror(errno)));
    dir_ = buf.data();
    slot_ = claim_slot(dir_);
    // Held until the copy goes: the folder is not an orphan while this run lives.
    lock_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock_fd_ >= 0) flock(lock_fd_, LOCK_EX);
  }
  file_ = dir_ + "/" + kCopyName;
  try {
    // The bytes of a file that is being written may not agree with each other: the copy is
    // taken again while the original or its WAL change under it.
    for (int attempt = 0;; ++attempt) {
      FileState main = state_of(real), wal = state_of(real + "-wal");
      copy_bytes(real, file_);
      if (side_file(real + "-wal"))
        copy_bytes(real + "-wal", file_ + "-wal");
      else
        unlink((file_ + "-wal").c_str());
      if (state_of(real) == main && state_of(real + "-wal") == wal) break;
      if (attempt == 4)
        throw SnapshotError("the SQLite database " + original +
                            " kept changing while it was copied: copy it while nothing writes "
                            "to it, and give migsafe that copy");
    }
  } catch (...) {
    remove_folder(dir_.c_str());
    if (lock_fd_ >= 0) close(lock_fd_);
    if (slot_ >= 0) g_slots[slot_].used.store(false);
    throw;
  }
}

int64_t Copy::bytes_on_disk() const {
  struct stat st {};
  if (stat(file_.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_blocks) * 512;
}

Copy::~Copy() {
  remove_folder(dir_.c_str());
  if (lock_fd_ >= 0) close(lock_fd_);
  if (slot_ >= 0) g_slots[slot_].used.store(false);
}

}  // namespace migsafe::sqlite
