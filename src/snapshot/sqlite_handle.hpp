// One SQLite connection (RAII over sqlite3*), shared by the dry run's scratch database and the
// snapshot's copy, which run hostile SQL: statements end at a deadline (a watchdog thread
// interrupts the connection, since a single VM step can take long), strings and blobs are
// capped, and the connection itself refuses what reaches other files or memory it does not own
// (ATTACH, extensions, fts3_tokenizer, the directory pragmas), whatever the policy above it
// missed.
#pragma once

#include <sqlite3.h>

#include "parse/sqlite_limits.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace migsafe::sqlite {

using Row = std::vector<std::optional<std::string>>;

// What SQLite said when a statement failed.
struct Error {
  int code = 0;     // the primary result code (SQLITE_CONSTRAINT, SQLITE_INTERRUPT, ...)
  int offset = -1;  // where in the statement it points, when it does
  std::string message;
  bool interrupted() const { return code == SQLITE_INTERRUPT; }
  // What migsafe's own limits stopped (memory, the copy's growth), not the statement's fault.
  bool over_limit() const { return code == SQLITE_NOMEM || code == SQLITE_FULL; }
};

// What a scratch database's temporary tables may take on disk (its temporary file in TMPDIR).
constexpr int64_t kTempBytes = 1024LL * 1024 * 1024;
// A statement still running this long past its limit is one SQLite cannot interrupt (a single
// function call such as instr() or LIKE over huge strings): migsafe removes its copies and
// ends with exit status 2, since the check cannot finish.
constexpr std::chrono::seconds kGrace{10};

class Handle {
 public:
  // path: a file name, or ":memory:". Throws std::runtime_error when it cannot be opened.
  Handle(const std::string& path, int flags);
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // How long a statement may run; it is interrupted after that.
  void set_limit(std::chrono::milliseconds limit) { limit_ = limit; }
  // Runs one statement (the whole text is one statement), reading and dropping its rows; rows
  // receives them when given.
  std::optional<Error> exec(const std::string& sql, std::vector<Row>* rows = nullptr,
                            const std::vector<std::string>& params = {});
  // migsafe's own settings of the limits that migrations may not touch (max_page_count).
  std::optional<Error> exec_trusted(const std::string& sql);
  // The first column of the first row, if any.
  std::optional<std::string> one(const std::string& sql,
                                 const std::vector<std::string>& params = {});
  sqlite3* get() const { return db_; }

 private:
  static int authorize(void*, int action, const char* a, const char* b, const char*, const char*);
  static int progress(void* self);

  void watch();

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds limit_{2000};
  // Set by every statement without waking the watchdog, which looks every 100 ms (a wake-up per
  // statement made the dry run half as fast again).
  std::atomic<bool> armed_{false};
  bool trusted_ = false;  // exec_trusted is running: the authorizer lets the limits be set
  std::string running_;   // the statement, for the message when it cannot be stopped
  std::atomic<int64_t> deadline_ns_{0};  // steady_clock, nanoseconds
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread watchdog_;  // last: it starts once the members above are ready
};

}  // namespace migsafe::sqlite
