// What SQLite may use while it handles migration SQL, in every connection migsafe opens (the
// front end's syntax check, the dry run, the snapshot's copy): the SQL is hostile.
#pragma once

#include <sqlite3.h>

#include <cstdint>

namespace migsafe::sqlite {

// The biggest string or blob a statement may make (SQLite's default is 1,000,000,000 bytes):
// one VM step that builds it is then short, so an interrupt lands soon.
constexpr int kMaxLength = 256 * 1024 * 1024;
// The heap SQLite may use in this process: past it a statement (or its preparation, which can
// grow exponentially with nested CTEs) fails with "out of memory" instead of the process being
// killed. sqlite3_hard_heap_limit64 is process-wide by SQLite's design, so it is set once by
// whichever connection opens first.
constexpr int64_t kHeapLimit = 1024LL * 1024 * 1024;

// Applies both to a connection just opened.
inline void limit_connection(sqlite3* db) {
  sqlite3_hard_heap_limit64(kHeapLimit);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kMaxLength);
}

}  // namespace migsafe::sqlite
