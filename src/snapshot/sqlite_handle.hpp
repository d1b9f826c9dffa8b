// One SQLite connection (RAII over sqlite3*), shared by the dry run's scratch database and the
// snapshot's copy: statements end at a deadline, and the connection itself refuses what reaches
// other files (ATTACH, extensions, the directory pragmas), whatever the policy above it missed.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace migsafe::sqlite {

using Row = std::vector<std::optional<std::string>>;

// What SQLite said when a statement failed.
struct Error {
  int code = 0;     // the primary result code (SQLITE_CONSTRAINT, SQLITE_INTERRUPT, ...)
  int offset = -1;  // where in the statement it points, when it does
  std::string message;
  bool interrupted() const { return code == SQLITE_INTERRUPT; }
};

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
  // The first column of the first row, if any.
  std::optional<std::string> one(const std::string& sql,
                                 const std::vector<std::string>& params = {});
  sqlite3* get() const { return db_; }

 private:
  static int authorize(void*, int action, const char* a, const char* b, const char*, const char*);
  static int progress(void* self);

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds limit_{2000};
  std::chrono::steady_clock::time_point deadline_;
};

std::string quote_ident(const std::string& name);
std::string quote_string(const std::string& text);

}  // namespace migsafe::sqlite
