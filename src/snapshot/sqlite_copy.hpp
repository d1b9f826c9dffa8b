// The user's SQLite database, copied before anything runs on it. The original file and its
// journal or WAL are only ever read (a WAL database opened normally would create a -shm file
// beside it): their bytes are copied into a private temporary folder, and SQLite opens the copy
// there, folding the copied WAL or hot journal in. The folder goes when the copy object does,
// and on SIGINT, SIGTERM or SIGHUP before the process ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace migsafe::sqlite {

// The file a DSN names: sqlite:PATH, sqlite:///abs/path, sqlite://rel/path, or a plain path
// ending in .db, .sqlite or .sqlite3; nullopt when the DSN is not SQLite's.
std::optional<std::string> dsn_path(std::string_view dsn);

class Copy {
 public:
  // Throws SnapshotError when the file cannot be read, is not a SQLite database, or keeps
  // changing while it is copied.
  explicit Copy(const std::string& original);
  ~Copy();
  Copy(const Copy&) = delete;
  Copy& operator=(const Copy&) = delete;

  const std::string& path() const { return file_; }          // the copy, to open read-write
  const std::string& original() const { return original_; }  // as the user named it
  // What the copy holds on disk now (holes of a sparse original stay holes in the copy).
  int64_t bytes_on_disk() const;

 private:
  std::string original_, dir_, file_;
  int slot_ = -1;     // in the interruption cleanup's list
  int lock_fd_ = -1;  // the folder, flocked while this run lives
};

// Removes every copy this process holds, at once; safe in a signal handler, and for a run that
// must end without unwinding (a statement SQLite cannot interrupt).
void remove_copies_now();

}  // namespace migsafe::sqlite
