#include "snapshot/sqlite_handle.hpp"

#include "snapshot/sqlite_copy.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace migsafe::sqlite {

Handle::Handle(const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(why);
  }
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  // fts3_tokenizer(name, pointer) registers a raw pointer as a tokenizer: code execution.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  limit_connection(db_);
  sqlite3_set_authorizer(db_, &Handle::authorize, this);
  sqlite3_progress_handler(db_, 1000, &Handle::progress, this);
  exec_trusted("PRAGMA temp.max_page_count = " + std::to_string(kTempBytes / 4096));
  watchdog_ = std::thread([this] { watch(); });
}

std::optional<Error> Handle::exec_trusted(const std::string& sql) {
  trusted_ = true;
  auto err = exec(sql);
  trusted_ = false;
  return err;
}

Handle::~Handle() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
  sqlite3_close_v2(db_);
}

namespace {
int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// Interrupts the connection once a statement is past its deadline, every 100 ms until it ends;
// ends the process when it does not end (see kGrace).
void Handle::watch() {
  std::unique_lock<std::mutex> lock(m_);
  const int64_t grace = std::chrono::duration_cast<std::chrono::nanoseconds>(kGrace).count();
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stop_ || !armed_.load()) continue;
    int64_t late = now_ns() - deadline_ns_.load();
    if (late <= 0) continue;
    sqlite3_interrupt(db_);
    if (late < grace) continue;
    std::string text = running_.substr(0, 160);
    for (char& c : text)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    std::fprintf(stderr,
                 "migsafe: error: a statement ran %lld s past the statement limit and SQLite could "
                 "not interrupt it (one long function call, such as instr() or LIKE over huge "
                 "strings), so the check cannot finish: %s\n",
                 static_cast<long long>(kGrace.count()), text.c_str());
    remove_copies_now();
    std::_Exit(2);
  }
}

std::optional<Error> Handle::exec(const std::string& sql, std::vector<Row>* rows,
                                  const std::vector<std::string>& params) {
  {
    std::lock_guard<std::mutex> lock(m_);
    running_ = sql;
  }
  deadline_ns_.store(now_ns() +
                     std::chrono::duration_cast<std::chrono::nanoseconds>(limit_).count());
  armed_.store(true);
  struct Disarm {
    Handle& h;
    ~Disarm() { h.armed_.store(false); }
  } disarm{*this};
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc == SQLITE_OK && stmt) {
    for (size_t i = 0; i < params.size(); ++i)
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (!rows) continue;
      Row row;
      int n = sqlite3_column_count(stmt);
      for (int c = 0; c < n; ++c) {
        const unsigned char* t = sqlite3_column_text(stmt, c);
        row.push_back(t ? std::optional<std::string>(reinterpret_cast<const char*>(t))
                        : std::nullopt);
      }
      rows->push_back(std::move(row));
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  std::optional<Error> err;
  if (rc != SQLITE_OK)
    err = Error{rc & 0xff, sqlite3_error_offset(db_), std::string(sqlite3_errmsg(db_))};
  sqlite3_finalize(stmt);
  return err;
}

std::optional<std::string> Handle::one(const std::string& sql,
                                       const std::vector<std::string>& params) {
  std::vector<Row> rows;
  if (exec(sql, &rows, params) || rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

// Files other than the database: ATTACH (also what VACUUM INTO does inside), the directory
// pragmas, and extensions; fts3_tokenizer, whose two-argument form takes a raw pointer; and the
// pragmas of migsafe's own limits (the growth cap, the process-wide heap limits), which only
// exec_trusted may set.
int Handle::authorize(void* self, int action, const char* a, const char* b, const char*,
                      const char*) {
  if (action == SQLITE_ATTACH || action == SQLITE_DETACH) return SQLITE_DENY;
  if (action == SQLITE_PRAGMA && a &&
      (sqlite3_stricmp(a, "temp_store_directory") == 0 ||
       sqlite3_stricmp(a, "data_store_directory") == 0))
    return SQLITE_DENY;
  if (action == SQLITE_PRAGMA && a && !static_cast<Handle*>(self)->trusted_ &&
      (sqlite3_stricmp(a, "max_page_count") == 0 || sqlite3_stricmp(a, "hard_heap_limit") == 0 ||
       sqlite3_stricmp(a, "soft_heap_limit") == 0))
    return SQLITE_DENY;
  if (action == SQLITE_FUNCTION && b &&
      (sqlite3_stricmp(b, "load_extension") == 0 || sqlite3_stricmp(b, "fts3_tokenizer") == 0))
    return SQLITE_DENY;
  return SQLITE_OK;
}

int Handle::progress(void* self) {
  return now_ns() > static_cast<Handle*>(self)->deadline_ns_.load() ? 1 : 0;
}

}  // namespace migsafe::sqlite
