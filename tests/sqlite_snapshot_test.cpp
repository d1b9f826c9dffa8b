// The SQLite snapshot, end to end through the binary: a migration runs on a copy of a real
// database file (scripts/sqlite-fixture.sh: orders with 120,000 rows), the real rows decide
// which statements fail and which are slow, the original file and its WAL are never written,
// and no copy is left behind, also when migsafe is killed mid-statement.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "helpers.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The generated database, made once per build folder.
std::string fixture_db() {
  static const std::string path = [] {
    std::string dir = std::string(MIGSAFE_ARTIFACTS_DIR) + "/sqlite";
    fs::create_directories(dir);
    std::string db = dir + "/app.db";
    std::string cmd =
        std::string(MIGSAFE_SOURCE_DIR) + "/scripts/sqlite-fixture.sh '" + db + "' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0 ? db : std::string();
  }();
  return path;
}

const json* at_line(const json& doc, const std::string& rule, int line) {
  for (const auto& f : doc["findings"])
    if (f["rule"] == rule && f["start"]["line"] == line) return &f;
  return nullptr;
}

size_t count(const json& doc, const std::string& rule) {
  size_t n = 0;
  for (const auto& f : doc["findings"]) n += f["rule"] == rule;
  return n;
}

// Every test runs migsafe with TMPDIR pointing at a folder of its own, so that the copies it
// makes (and must remove) can be seen.
class SqliteSnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = fixture_db();
    if (db_.empty())
      GTEST_SKIP() << "scripts/sqlite-fixture.sh failed (is the sqlite3 CLI there? "
                      "scripts/setup.sh installs it)";
    before_ = test::read_file(db_);
    work_ = test::temp_dir();
    tmp_ = work_ + "/tmp";
    fs::create_directories(tmp_);
    if (const char* t = std::getenv("TMPDIR")) old_tmp_ = t;
    setenv("TMPDIR", tmp_.c_str(), 1);
  }
  void TearDown() override {
    if (db_.empty()) return;
    if (old_tmp_)
      setenv("TMPDIR", old_tmp_->c_str(), 1);
    else
      unsetenv("TMPDIR");
    EXPECT_EQ(test::read_file(db_), before_) << "the original database changed";
    EXPECT_FALSE(fs::exists(db_ + "-journal") || fs::exists(db_ + "-wal") ||
                 fs::exists(db_ + "-shm"))
        << "a file was created beside the original";
    EXPECT_EQ(copies_left(), 0u);
  }
  size_t copies_left() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(tmp_))
      n += e.path().filename().string().rfind("migsafe-sqlite-", 0) == 0;
    return n;
  }
  test::CommandResult check(const std::string& sql, std::vector<std::string> extra = {},
                            const std::string& db = "") {
    std::string dir = work_ + "/m" + std::to_string(runs_++);
    test::write_file(dir + "/001_change.sql", sql);
    std::vector<std::string> args = {"check",
                                     "--format",
                                     "json",
                                     "--dialect",
                                     "sqlite",
                                     "--db",
                                     "sqlite:" + (db.empty() ? db_ : db)};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir);
    return test::run_migsafe(args);
  }

  std::string db_, before_, work_, tmp_;
  std::optional<std::string> old_tmp_;
  int runs_ = 0;
};

// What the real rows make fail is engine-rejects with SQLite's message; the safe forms pass.
TEST_F(SqliteSnapshot, RowsThatMakeAChangeFail) {
  auto bad = check(
      "CREATE UNIQUE INDEX customers_email ON customers (email);\n"
      "ALTER TABLE customers ADD COLUMN score INTEGER DEFAULT -1 CHECK (score >= 0);\n"
      "PRAGMA foreign_key_check;\n"
      "BEGIN;\n"
      "CREATE TABLE new_customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT "
      "NOT NULL);\n"
      "INSERT INTO new_customers SELECT id, email, nickname FROM customers;\n"
      "DROP TABLE customers;\n"
      "ALTER TABLE new_customers RENAME TO customers;\n"
      "COMMIT;\n");
  ASSERT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  json doc = json::parse(bad.out);
  const json* unique = at_line(doc, "engine-rejects", 1);
  ASSERT_NE(unique, nullptr) << bad.out;
  EXPECT_NE((*unique)["message"].get<std::string>().find("UNIQUE constraint failed"),
            std::string::npos);
  const json* check_fails = at_line(doc, "engine-rejects", 2);
  ASSERT_NE(check_fails, nullptr) << bad.out;
  EXPECT_NE((*check_fails)["message"].get<std::string>().find("CHECK constraint failed"),
            std::string::npos);
  const json* nulls = at_line(doc, "engine-rejects", 6);
  ASSERT_NE(nulls, nullptr) << bad.out;
  EXPECT_NE((*nulls)["message"].get<std::string>().find("NOT NULL constraint failed"),
            std::string::npos);
  const json* orphans = at_line(doc, "engine-rejects", 3);
  ASSERT_NE(orphans, nullptr) << bad.out;
  EXPECT_NE((*orphans)["message"].get<std::string>().find("foreign_key_check reports 3 rows"),
            std::string::npos);

  auto good = check(
      "CREATE INDEX customers_email ON customers (email);\n"
      "ALTER TABLE customers ADD COLUMN score INTEGER DEFAULT 0 CHECK (score >= 0);\n"
      "PRAGMA foreign_keys = OFF;\n"
      "BEGIN;\n"
      "CREATE TABLE new_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
      "INSERT INTO new_settings SELECT key, value FROM settings;\n"
      "DROP TABLE settings;\n"
      "ALTER TABLE new_settings RENAME TO settings;\n"
      "PRAGMA foreign_key_check(settings);\n"
      "COMMIT;\n");
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_EQ(count(json::parse(good.out), "engine-rejects"), 0u) << good.out;
}

// Size decides: the same statements on the 120,000-row table and on the 10-row one.
TEST_F(SqliteSnapshot, BigTables) {
  auto bad = check(
      "CREATE INDEX orders_status ON orders (status);\n"
      "UPDATE orders SET status = 'closed' WHERE total > 100;\n"
      "ALTER TABLE orders DROP COLUMN total;\n"
      "BEGIN;\n"
      "CREATE TABLE new_orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status "
      "TEXT NOT NULL);\n"
      "INSERT INTO new_orders SELECT id, customer_id, status FROM orders;\n"
      "DROP TABLE orders;\n"
      "ALTER TABLE new_orders RENAME TO orders;\n"
      "COMMIT;\n");
  ASSERT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  json doc = json::parse(bad.out);
  for (int line : {1, 3})
    EXPECT_NE(at_line(doc, "write-lock-on-big-table", line), nullptr) << line << bad.out;
  const json* scan = at_line(doc, "unindexed-data-change", 2);
  ASSERT_NE(scan, nullptr) << bad.out;
  EXPECT_EQ((*scan)["severity"], "error");
  EXPECT_NE((*scan)["message"].get<std::string>().find("120000 rows"), std::string::npos);
  EXPECT_NE(at_line(doc, "rebuild-of-big-table", 7), nullptr) << bad.out;

  auto good = check(
      "CREATE INDEX settings_value ON settings (value);\n"
      "UPDATE orders SET status = 'closed' WHERE customer_id = 3;\n"
      "ALTER TABLE customers DROP COLUMN nickname;\n"
      "BEGIN;\n"
      "CREATE TABLE new_settings (key TEXT PRIMARY KEY);\n"
      "INSERT INTO new_settings SELECT key FROM settings;\n"
      "DROP TABLE settings;\n"
      "ALTER TABLE new_settings RENAME TO settings;\n"
      "COMMIT;\n");
  json ok = json::parse(good.out);
  for (const char* rule : {"write-lock-on-big-table", "rebuild-of-big-table",
                           "unindexed-data-change", "engine-rejects"})
    EXPECT_EQ(count(ok, rule), 0u) << rule << good.out;
}

// Each statement is timed on the copy: with --trace every one says how long it took; a time is
// never a verdict by itself; past the statement limit it is interrupted.
TEST_F(SqliteSnapshot, TimedAndLimited) {
  auto r = check("CREATE INDEX orders_total ON orders (total);\nSELECT 1;\n", {"--trace"});
  json doc = json::parse(r.out);
  const json* timed = at_line(doc, "trace", 1);
  ASSERT_NE(timed, nullptr) << r.out;
  EXPECT_EQ((*timed)["severity"], "info");
  EXPECT_NE((*timed)["message"].get<std::string>().find("ran in"), std::string::npos);
  EXPECT_NE(at_line(doc, "trace", 2), nullptr) << "a query is not run, and says so: " << r.out;

  auto slow = check(
      "UPDATE orders SET total = (SELECT count(*) FROM orders o WHERE o.total < orders.total);\n",
      {"--snapshot-statement-timeout", "1500"});
  json s = json::parse(slow.out);
  EXPECT_NE(at_line(s, "trace-statement-timeout", 1), nullptr) << slow.out;
}

// The migration is hostile: it may do anything to the copy, nothing to other files.
TEST_F(SqliteSnapshot, HostileStatementsStayInTheCopy) {
  std::string out = work_ + "/outside";
  fs::create_directories(out);
  auto r = check("ATTACH DATABASE '" + out + "/attached.db' AS other;\n" + "VACUUM INTO '" + out +
                 "/vacuumed.db';\n" + "PRAGMA temp_store_directory = '" + out + "';\n" +
                 "SELECT load_extension('" + out + "/evil');\n" +
                 "DROP TABLE orders;\n"
                 "PRAGMA writable_schema = ON;\n"
                 "UPDATE sqlite_schema SET sql = 'x' WHERE name = 'customers';\n"
                 "CREATE TABLE attacked AS SELECT * FROM customers;\n"
                 // fts3_tokenizer's two-argument form registers a raw pointer (it crashed
                 // migsafe, and can run code); its one-argument form leaks an address.
                 "CREATE TABLE leak AS SELECT hex(fts3_tokenizer('simple')) AS p;\n"
                 "UPDATE customers SET nickname = fts3_tokenizer('evil', x'4141414141414141') "
                 "WHERE id = 1;\n"
                 "CREATE VIRTUAL TABLE f USING fts3(body, tokenize=evil);\n"
                 // Strings and blobs are capped, so that one step of the VM stays short.
                 "CREATE TABLE big AS SELECT randomblob(300000000) AS b;\n");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.out << r.err;
  json doc = json::parse(r.out);
  EXPECT_NE(at_line(doc, "snapshot-incomplete", 1), nullptr) << r.out;  // ATTACH: refused
  EXPECT_NE(at_line(doc, "snapshot-incomplete", 3), nullptr) << r.out;  // the directory pragma
  EXPECT_NE(at_line(doc, "engine-rejects", 7), nullptr) << r.out;       // defensive mode
  for (int line : {9, 10}) {
    const json* denied = at_line(doc, "engine-rejects", line);
    ASSERT_NE(denied, nullptr) << line << r.out;
    EXPECT_NE((*denied)["message"].get<std::string>().find("not authorized"), std::string::npos);
  }
  const json* big = at_line(doc, "engine-rejects", 12);
  ASSERT_NE(big, nullptr) << r.out;
  EXPECT_NE((*big)["message"].get<std::string>().find("too big"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(out)) << "a file was written outside the copy";
}

// Runs SQL on a database file with SQLite itself, outside migsafe (defensive mode off, so that a
// test can craft what a hostile file may hold).
void run_sql(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

// The schema is read entry by entry: a stored text that ends in a comment (SQLite keeps it so
// for a STRICT table or a view) hides nothing after it; an entry of two statements (only a
// crafted file has one) is a database error, never a table left out.
TEST_F(SqliteSnapshot, SchemaEntriesAreReadOneByOne) {
  std::string db = work_ + "/commented.db";
  fs::copy_file(db_, db);
  run_sql(db,
          "CREATE TABLE aaa (x INTEGER) STRICT -- settings table\n;"
          "CREATE VIEW w AS SELECT 1 AS one -- a note\n;"
          "CREATE TABLE big AS SELECT * FROM orders;");
  auto r = check("CREATE INDEX big_status ON big (status);\n", {}, db);
  EXPECT_NE(at_line(json::parse(r.out), "write-lock-on-big-table", 1), nullptr) << r.out;

  std::string crafted = work_ + "/crafted.db";
  fs::copy_file(db_, crafted);
  run_sql(crafted,
          "CREATE TABLE aaa (x);"
          "PRAGMA writable_schema = ON;"
          "UPDATE sqlite_schema SET sql = 'CREATE TABLE aaa (x);CREATE TABLE orders (id) /*' "
          "WHERE name = 'aaa';");
  auto bad = check("CREATE INDEX orders_status ON orders (status);\n", {}, crafted);
  EXPECT_EQ(bad.exit_code, 3) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("not one statement"), std::string::npos) << bad.err;
}

// A sparse file that claims gigabytes of zeros is copied as the little it holds, and the copy's
// growth is capped by what it holds, not by what it claims.
TEST_F(SqliteSnapshot, SparseFilesStaySparse) {
  std::string db = work_ + "/sparse.db";
  fs::copy_file(db_, db);
  fs::resize_file(db, 2LL * 1024 * 1024 * 1024);  // 2 GiB apparent, a few MB held
  test::write_file(work_ + "/slow/001_slow.sql",
                   "UPDATE orders SET total = (SELECT count(*) FROM orders o WHERE o.total < "
                   "orders.total);\n");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(MIGSAFE_BINARY, MIGSAFE_BINARY, "check", "--dialect", "sqlite", "--db",
          ("sqlite:" + db).c_str(), "--snapshot-statement-timeout", "3000",
          (work_ + "/slow").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct stat copy {};
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& e : fs::directory_iterator(tmp_))
      if (stat((e.path() / "copy.db").c_str(), &copy) == 0 && copy.st_size > 1LL << 30) seen = true;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(seen) << "the copy was not seen at its full apparent size";
  EXPECT_LT(static_cast<long long>(copy.st_blocks) * 512, 64LL * 1024 * 1024)
      << "the copy wrote the holes out";
}

// What a statement is, however it is written: WITH ... INSERT is a data change (it ran on the
// copy before the index), main. names the same table (its size counts), a query runs (it may
// fail on the real rows), and a plan that names a table by its alias is that table's.
TEST_F(SqliteSnapshot, StatementsAreRunAsTheyAre) {
  auto r = check(
      "WITH d (e) AS (VALUES ('c2@example.com')) INSERT INTO customers (email) SELECT e FROM d;\n"
      "CREATE UNIQUE INDEX settings_value ON settings (value);\n"
      "WITH s AS (SELECT 1) UPDATE main.orders SET status = 'x' WHERE total > 0;\n"
      "CREATE INDEX main.orders_status ON orders (status);\n"
      "SELECT json('{bad');\n"
      "UPDATE orders AS o SET status = 'y' WHERE o.total > 1;\n");
  json doc = json::parse(r.out);
  EXPECT_NE(at_line(doc, "unindexed-data-change", 6), nullptr)
      << "the plan's SCAN o is orders: " << r.out;
  EXPECT_NE(at_line(doc, "unindexed-data-change", 3), nullptr) << r.out;
  EXPECT_NE(at_line(doc, "write-lock-on-big-table", 4), nullptr) << r.out;
  EXPECT_NE(at_line(doc, "engine-rejects", 5), nullptr) << r.out;
  auto dup = check(
      "WITH d (e) AS (VALUES ('c1@example.com')) INSERT INTO settings (key, value) "
      "SELECT 'new', 'v1' FROM d;\n"
      "CREATE UNIQUE INDEX settings_value ON settings (value);\n");
  EXPECT_NE(at_line(json::parse(dup.out), "engine-rejects", 2), nullptr)
      << "the WITH ... INSERT did not run on the copy: " << dup.out;
}

// One VM step may take long (randomblob of 100 MB): the limit is kept by interrupting the
// connection from a watchdog, not only between steps.
TEST_F(SqliteSnapshot, LongStepsAreInterrupted) {
  auto r = check(
      "CREATE TABLE s AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x "
      "< 3000) SELECT sum(length(randomblob(100000000))) AS n FROM c;\n",
      {"--snapshot-statement-timeout", "1500"});
  EXPECT_NE(at_line(json::parse(r.out), "trace-statement-timeout", 1), nullptr) << r.out << r.err;
}

// What is beside the database is read as SQLite would, or refused: a hot journal (opening the
// database would play it back, and delete the super-journal file it names), a WAL or journal
// that is no plain file (a FIFO blocks, /dev/zero never ends), a link to the database (its WAL
// is beside the file it points to).
TEST_F(SqliteSnapshot, FilesBesideTheDatabase) {
  std::string dir = work_ + "/beside";
  fs::create_directories(dir);
  std::string db = dir + "/app.db";
  fs::copy_file(db_, db);
  const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  test::write_file(db + "-journal",
                   std::string(reinterpret_cast<const char*>(magic), 8) + std::string(504, '\0'));
  auto hot = check("SELECT 1;\n", {}, db);
  EXPECT_EQ(hot.exit_code, 3) << hot.out << hot.err;
  EXPECT_NE(hot.err.find("hot journal"), std::string::npos) << hot.err;
  fs::remove(db + "-journal");
  ASSERT_EQ(mkfifo((db + "-journal").c_str(), 0600), 0);
  auto fifo = check("SELECT 1;\n", {}, db);
  EXPECT_EQ(fifo.exit_code, 3) << fifo.out << fifo.err;
  EXPECT_NE(fifo.err.find("not a regular file"), std::string::npos) << fifo.err;
  fs::remove(db + "-journal");
  fs::create_symlink("/dev/zero", db + "-wal");
  auto zero = check("SELECT 1;\n", {}, db);
  EXPECT_EQ(zero.exit_code, 3) << zero.out << zero.err;
  fs::remove(db + "-wal");
  EXPECT_EQ(copies_left(), 0u);
}

// A run killed outright (SIGKILL: no handler runs) leaves its copy; the next run removes the
// copies no live run holds (a live run flocks its folder), and nothing through a link.
TEST_F(SqliteSnapshot, CopiesOfKilledRunsAreRemoved) {
  std::string dead = tmp_ + "/migsafe-sqlite-999999999-abcdef";
  std::string alive = tmp_ + "/migsafe-sqlite-1-held";
  for (const auto& d : {dead, alive}) test::write_file(d + "/copy.db", "x");
  int held = open(alive.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(flock(held, LOCK_EX), 0);
  std::string victim = work_ + "/victim";
  test::write_file(victim + "/copy.db", "someone's database");
  fs::create_symlink(victim, tmp_ + "/migsafe-sqlite-999999998-link");
  auto r = check("SELECT 1;\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive + "/copy.db"));
  EXPECT_EQ(test::read_file(victim + "/copy.db"), "someone's database");
  close(held);
  fs::remove_all(alive);
  fs::remove(tmp_ + "/migsafe-sqlite-999999998-link");
}

// The limits migsafe sets are not the migration's to change: the copy's growth cap, and the
// heap limit, which is the whole process's (a migration that lowered it made every later
// statement fail for want of memory, and the run pass). Pragmas act while SQLite prepares them,
// so the front end's own syntax check must not let them through either.
TEST_F(SqliteSnapshot, LimitsAreNotTheMigrations) {
  auto r = check(
      "PRAGMA main.max_page_count = 1073741823;\n"
      "PRAGMA hard_heap_limit = 1;\n"
      "PRAGMA soft_heap_limit = 1;\n"
      "CREATE UNIQUE INDEX customers_email ON customers (email);\n");
  json doc = json::parse(r.out);
  for (int line : {1, 2, 3}) EXPECT_NE(at_line(doc, "snapshot-incomplete", line), nullptr) << r.out;
  const json* dup = at_line(doc, "engine-rejects", 4);
  ASSERT_NE(dup, nullptr) << r.out;
  EXPECT_NE((*dup)["message"].get<std::string>().find("UNIQUE constraint failed"),
            std::string::npos);
}

// A single function call SQLite cannot interrupt (instr over megabytes) runs past the limit:
// the check cannot finish, which is an error (exit 2) naming the statement, and the copy goes.
TEST_F(SqliteSnapshot, AStatementThatCannotBeStoppedEndsTheRun) {
  auto r = check(
      "CREATE TABLE u (a);\n"
      "INSERT INTO u (a) VALUES (instr(hex(zeroblob(2000000)), hex(zeroblob(1000000)) || '1'));\n",
      {"--snapshot-statement-timeout", "1500"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("could not interrupt it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("instr(hex(zeroblob(2000000))"), std::string::npos) << r.err;
}

// A WAL database: what is only in its WAL is part of the copy (also when it is named by a
// link), and neither the file, its WAL, nor a -shm beside them is written.
TEST_F(SqliteSnapshot, WalDatabaseIsCopiedWithItsWal) {
  std::string dir = work_ + "/wal";
  fs::create_directories(dir);
  std::string db = dir + "/app.db";
  fs::copy_file(db_, db);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    ASSERT_EQ(sqlite3_exec(h,
                           "PRAGMA journal_mode = WAL; CREATE TABLE wal_only (v TEXT); INSERT "
                           "INTO wal_only VALUES ('a'), ('a');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  ASSERT_TRUE(fs::exists(db + "-wal"));
  fs::remove(db + "-shm");
  std::string main_bytes = test::read_file(db), wal_bytes = test::read_file(db + "-wal");
  std::string link = work_ + "/link.db";
  fs::create_symlink(db, link);
  auto linked = check("CREATE UNIQUE INDEX wal_only_v ON wal_only (v);\n", {}, link);
  EXPECT_NE(at_line(json::parse(linked.out), "engine-rejects", 1), nullptr)
      << "the WAL beside the linked file was not read: " << linked.out;
  auto r = check("CREATE UNIQUE INDEX wal_only_v ON wal_only (v);\n", {}, db);
  json doc = json::parse(r.out);
  const json* dup = at_line(doc, "engine-rejects", 1);
  ASSERT_NE(dup, nullptr) << "the WAL's table and rows were not in the copy: " << r.out;
  EXPECT_NE((*dup)["message"].get<std::string>().find("UNIQUE constraint failed"),
            std::string::npos);
  EXPECT_EQ(test::read_file(db), main_bytes);
  EXPECT_EQ(test::read_file(db + "-wal"), wal_bytes);
  EXPECT_FALSE(fs::exists(db + "-shm")) << "a -shm file was created beside the original";
}

// Killed mid-statement (SIGTERM, SIGINT), migsafe removes its copy before it ends.
TEST_F(SqliteSnapshot, InterruptedRunLeavesNoCopy) {
  std::string dir = work_ + "/slow";
  test::write_file(dir + "/001_slow.sql",
                   "UPDATE orders SET total = (SELECT count(*) FROM orders o WHERE o.total < "
                   "orders.total);\n");
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      execl(MIGSAFE_BINARY, MIGSAFE_BINARY, "check", "--dialect", "sqlite", "--db",
            ("sqlite:" + db_).c_str(), "--snapshot-statement-timeout", "60000", dir.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Until the copy exists and the statement runs.
    for (int i = 0; i < 100 && copies_left() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(copies_left(), 1u) << "the copy was not made where TMPDIR says";
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
    EXPECT_EQ(copies_left(), 0u) << "signal " << sig;
  }
}

// migsafe plan: EXPLAIN QUERY PLAN of the workload before and after the migration, on the copy.
TEST_F(SqliteSnapshot, PlanFindsTheQueryThatLosesItsIndex) {
  test::write_file(work_ + "/queries.sql",
                   "SELECT * FROM orders WHERE customer_id = ?;\n"
                   "SELECT * FROM settings WHERE key = ?;\n");
  test::write_file(work_ + "/plan/001_drop.sql", "DROP INDEX orders_customer;\n");
  auto r =
      test::run_migsafe({"plan", "--format", "json", "--dialect", "sqlite", "--db", "sqlite:" + db_,
                         "--queries", work_ + "/queries.sql", work_ + "/plan"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json doc = json::parse(r.out);
  std::map<std::string, std::string> verdicts;
  for (const auto& q : doc["queries"])
    verdicts[q["query"].get<std::string>()] = q["verdict"].get<std::string>();
  EXPECT_EQ(verdicts["SELECT * FROM orders WHERE customer_id = ?;"], "regressed") << r.out;
  EXPECT_EQ(verdicts["SELECT * FROM settings WHERE key = ?;"], "unchanged") << r.out;

  // A workload entry that is no query is not planned: some pragmas act while SQLite prepares
  // them (ignore_check_constraints would have let the migration's CHECK violation pass).
  test::write_file(work_ + "/pragma.sql", "PRAGMA ignore_check_constraints = 1;\n");
  auto pragma =
      test::run_migsafe({"plan", "--format", "json", "--dialect", "sqlite", "--db", "sqlite:" + db_,
                         "--queries", work_ + "/pragma.sql", work_ + "/plan"});
  json pd = json::parse(pragma.out);
  ASSERT_EQ(pd["queries"].size(), 1u) << pragma.out;
  EXPECT_EQ(pd["queries"][0]["verdict"], "unplanned") << pragma.out;
  EXPECT_NE(pragma.out.find("only queries are planned"), std::string::npos) << pragma.out;

  test::write_file(work_ + "/safe/001_add.sql", "CREATE INDEX orders_status ON orders (status);\n");
  auto safe =
      test::run_migsafe({"plan", "--format", "json", "--dialect", "sqlite", "--db", "sqlite:" + db_,
                         "--queries", work_ + "/queries.sql", work_ + "/safe"});
  EXPECT_EQ(safe.exit_code, 0) << safe.out << safe.err;
}

// What cannot be read is a database error (exit 3); a dialect that contradicts the file is a
// usage error (exit 2).
TEST_F(SqliteSnapshot, BadSnapshotsFailClosed) {
  auto missing = check("SELECT 1;\n", {}, work_ + "/no-such.db");
  EXPECT_EQ(missing.exit_code, 3) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("no-such.db"), std::string::npos) << missing.err;
  test::write_file(work_ + "/text.db", "this is not a database\n");
  auto text = check("SELECT 1;\n", {}, work_ + "/text.db");
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_NE(text.err.find("not a SQLite 3 database"), std::string::npos) << text.err;
  // A plain path ending in .db names SQLite by itself, as MIGSAFE_DB does.
  test::write_file(work_ + "/plain/001_index.sql",
                   "CREATE UNIQUE INDEX c_email ON customers (email);\n");
  auto plain = test::run_migsafe({"check", "--format", "json", "--db", db_, work_ + "/plain"});
  EXPECT_EQ(plain.exit_code, 1) << plain.out << plain.err;
  EXPECT_EQ(json::parse(plain.out)["dialect"], "sqlite") << plain.out;
  EXPECT_NE(at_line(json::parse(plain.out), "engine-rejects", 1), nullptr) << plain.out;
  setenv("MIGSAFE_DB", ("sqlite://" + db_).c_str(), 1);
  auto env = test::run_migsafe({"check", "--format", "json", work_ + "/plain"});
  unsetenv("MIGSAFE_DB");
  EXPECT_EQ(env.exit_code, 1) << env.out << env.err;
  EXPECT_NE(at_line(json::parse(env.out), "engine-rejects", 1), nullptr) << env.out;
  auto contradicts = test::run_migsafe(
      {"check", "--dialect", "mysql", "--db", "sqlite:" + db_, work_ + "/text.db"});
  EXPECT_EQ(contradicts.exit_code, 2) << contradicts.out << contradicts.err;
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// migsafe stats on a SQLite file, and check --stats from it: the sizes decide as the file does.
TEST(SqliteStats, CheckFromTheFileSeesTheSizes) {
  std::string d = test::temp_dir();
  std::string db = d + "/app.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE big (id INTEGER PRIMARY KEY, s TEXT);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i "
                         "< 30000) INSERT INTO big SELECT i, 'x' FROM n;"
                         "CREATE TABLE small (id INTEGER PRIMARY KEY, s TEXT);"
                         "INSERT INTO small VALUES (1, 'a');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto written = test::run_migsafe({"stats", "--db", "sqlite:" + db});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  auto stats = nlohmann::json::parse(written.out);
  EXPECT_EQ(stats["dialect"], "sqlite");
  test::write_file(d + "/stats.json", written.out);
  test::write_file(d + "/m/001_idx.sql",
                   "CREATE INDEX big_s ON big (s);\nCREATE INDEX small_s ON small (s);\n");
  auto r = test::run_migsafe({"check", "--format", "json", "--stats", d + "/stats.json", d + "/m"});
  auto doc = nlohmann::json::parse(r.out);
  std::vector<std::string> on_big, on_small;
  for (const auto& f : doc["findings"]) {
    if (f["rule"] != "write-lock-on-big-table") continue;
    std::string m = f["message"];
    (m.find("big") != std::string::npos && m.find("small") == std::string::npos ? on_big : on_small)
        .push_back(m);
  }
  EXPECT_EQ(on_big.size(), 1u) << r.out;
  EXPECT_TRUE(on_small.empty()) << r.out;  // under the threshold: no finding, as with --db
}

}  // namespace
}  // namespace migsafe
