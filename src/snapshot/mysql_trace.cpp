// --trace on MySQL / MariaDB. DDL commits implicitly there, so nothing of the migration runs on
// the snapshot's tables: a scratch database (migsafe_probe_<random>) receives empty clones of
// the tables each statement names (with their keys and foreign keys, and the tables those
// reference), the statements run there in order after the sandbox has judged them, and each
// ALTER TABLE or index change is tried from the least blocking ALGORITHM= / LOCK= on: the
// first form the server accepts is its own answer. The scratch database is dropped at the end;
// when migsafe dies first (killed, interrupted), a guardian process it forked drops it, and a
// later run drops any whose owner's session is gone (each run holds a named lock for it).
#include "snapshot/mysql_trace.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "migsafe/sandbox.hpp"

namespace migsafe::mysql_snapshot {
namespace {

constexpr const char* kPrefix = "migsafe_probe_";

std::string scratch_name() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return kPrefix + std::string(buf);
}

// Drops the scratch database, waiting while a statement of the replay that the server does not
// interrupt (creating partitions ignores even KILL CONNECTION) still holds it, up to `patience`.
bool drop_scratch(Session& s, const std::string& scratch, std::chrono::seconds patience) {
  auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto refused = s.attempt("DROP DATABASE IF EXISTS " + quote_ident(scratch));
    if (!refused) return true;
    bool waiting = refused->code == 1205 || refused->code == 1969 || refused->code == 3024;
    if (!waiting || std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// A child process that drops the scratch database when migsafe ends without doing so (killed,
// interrupted, crashed): it waits on a pipe whose other end only migsafe holds.
class Guardian {
 public:
  // replay: the connection id of the replay's session, ended before the drop.
  Guardian(const ServerFacts& server, const std::string& scratch, const std::string& replay) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SnapshotError("cannot start the trace's guardian");
    pid_ = fork();
    if (pid_ < 0) {
      close(fds[0]);
      close(fds[1]);
      throw SnapshotError("cannot start the trace's guardian");
    }
    if (pid_ == 0) watch(server, scratch, replay, fds[0], fds[1]);
    close(fds[0]);
    write_end_ = fds[1];
  }
  Guardian(const Guardian&) = delete;
  Guardian& operator=(const Guardian&) = delete;
  // dropped: migsafe dropped the database itself, the guardian need not.
  void finish(bool dropped) {
    if (write_end_ < 0) return;
    if (dropped) {
      char done = 1;
      [[maybe_unused]] ssize_t n = write(write_end_, &done, 1);
    }
    close(write_end_);
    write_end_ = -1;
    waitpid(pid_, nullptr, 0);
  }
  ~Guardian() { finish(false); }

 private:
  [[noreturn]] static void watch(const ServerFacts& server, const std::string& scratch,
                                 const std::string& replay, int read_end, int write_end) {
    close(write_end);
    setsid();  // the terminal's Ctrl-C is for migsafe, not for the one who cleans up after it
    // Nothing of migsafe's stays open here: not its server sessions (the named lock must go
    // with migsafe), not the output a caller reads to its end.
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd)
      if (null >= 0) dup2(null, fd);
    if (read_end > 3) close_range(3, static_cast<unsigned>(read_end) - 1, 0);
    close_range(static_cast<unsigned>(read_end) + 1, ~0U, 0);
    char c = 0;
    ssize_t n;
    do n = read(read_end, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
      try {
        SnapshotLimits limits = server.limits;
        limits.lock_timeout_ms = 30000;
        Session s(server.dsn, server.dsn_text, "", limits);
        s.limit(server.dialect == Dialect::mariadb, limits);
        // A statement of the replay may still run (the server notices a client gone only when
        // it writes to it), holding locks the drop would wait for.
        s.attempt("KILL CONNECTION " + replay);
        drop_scratch(s, scratch, std::chrono::seconds(300));
      } catch (...) {
        // A later run drops it: its owner's named lock is gone.
      }
    }
    _exit(0);
  }
  pid_t pid_ = -1;
  int write_end_ = -1;
};

// Ends a replayed statement that outlasts the statement limit, from a session of its own:
// max_statement_time does not stop a stored program's loop (an interrupted SLEEP returns and the
// loop goes on), and MySQL's max_execution_time covers SELECT only. KILL QUERY a second past
// the limit, KILL CONNECTION two seconds later.
class Watchdog {
 public:
  Watchdog(const ServerFacts& server, std::string target)
      : killer_(server.dsn, server.dsn_text, "", server.limits),
        target_(std::move(target)),
        limit_(std::chrono::milliseconds(server.limits.statement_timeout_ms + 1000)),
        thread_([this] { watch(); }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  class Guard {
   public:
    explicit Guard(Watchdog& w) : w_(w) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { w_.disarm(); }

   private:
    Watchdog& w_;
  };
  // Armed for one statement, until the guard goes.
  [[nodiscard]] Guard arm() {
    {
      std::lock_guard<std::mutex> lock(m_);
      armed_ = true;
      fired_ = 0;
      deadline_ = std::chrono::steady_clock::now() + limit_;
    }
    cv_.notify_all();
    return Guard(*this);
  }
  // 0: it did not act; 1: it ended the statement; 2: it ended the session.
  int fired() {
    std::lock_guard<std::mutex> lock(m_);
    return fired_;
  }

 private:
  void disarm() {
    std::lock_guard<std::mutex> lock(m_);
    armed_ = false;
  }
  void watch() {
    std::unique_lock<std::mutex> lock(m_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (std::chrono::steady_clock::now() < deadline_) {
        cv_.wait_until(lock, deadline_);
        continue;
      }
      // Said before it is done: the replay's session may see its connection go before the KILL
      // returns here.
      int step = fired_++;
      lock.unlock();
      try {
        killer_.attempt((step == 0 ? "KILL QUERY " : "KILL CONNECTION ") + target_);
      } catch (...) {
        // The killer's own connection is gone: the client's read timeout ends the wait.
      }
      lock.lock();
      deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      if (fired_ >= 2) armed_ = false;
    }
  }

  Session killer_;
  std::string target_;
  std::chrono::milliseconds limit_;
  std::mutex m_;
  std::condition_variable cv_;
  bool armed_ = false, stop_ = false;
  int fired_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: it starts once the members above are ready
};

// The forms an ALTER is tried with, least blocking first. MariaDB tells an in-place change
// that rebuilds the table (INPLACE) from one that does not (NOCOPY); MySQL has no NOCOPY
// (from its manual: no MySQL server runs where migsafe is tested).
struct Form {
  const char* clauses;
  Algorithm algorithm;
  DdlLock lock;
  bool mariadb_only;
};
constexpr Form kForms[] = {
    {"ALGORITHM=INSTANT", Algorithm::instant, DdlLock::none, false},
    {"ALGORITHM=NOCOPY, LOCK=NONE", Algorithm::inplace, DdlLock::none, true},
    {"ALGORITHM=INPLACE, LOCK=NONE", Algorithm::rebuild, DdlLock::none, false},
    {"ALGORITHM=NOCOPY, LOCK=SHARED", Algorithm::inplace, DdlLock::shared, true},
    {"ALGORITHM=INPLACE, LOCK=SHARED", Algorithm::rebuild, DdlLock::shared, false},
    {"ALGORITHM=COPY, LOCK=SHARED", Algorithm::copy, DdlLock::shared, false},
    {"ALGORITHM=NOCOPY, LOCK=EXCLUSIVE", Algorithm::inplace, DdlLock::exclusive, true},
    {"ALGORITHM=INPLACE, LOCK=EXCLUSIVE", Algorithm::rebuild, DdlLock::exclusive, false},
    {"ALGORITHM=COPY, LOCK=EXCLUSIVE", Algorithm::copy, DdlLock::exclusive, false},
};

// The server's "this ALGORITHM= / LOCK= is not supported for this operation".
bool form_refused(unsigned code) {
  return code == 1845 || code == 1846 || code == 4092;
}

class MysqlTracer : public StatementTracer {
 public:
  MysqlTracer(const ServerFacts& server, SnapshotSource& plans) : server_(server), plans_(plans) {
    session_.emplace(server.dsn, server.dsn_text, "", server.limits);
    session_->limit(server.dialect == Dialect::mariadb, server.limits);
    // The sandbox reads quotes and backslashes as the defaults have them; the server's own
    // sql_mode may have ANSI_QUOTES or NO_BACKSLASH_ESCAPES on (the sandbox refuses changes).
    session_->exec(
        "SET SESSION sql_mode = REPLACE(REPLACE(REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''), "
        "'ANSI_QUOTES', ''), ',,', ',')");
    std::string mode = session_->one("SELECT @@sql_mode").value_or("");
    if (mode.find("ANSI_QUOTES") != std::string::npos ||
        mode.find("NO_BACKSLASH_ESCAPES") != std::string::npos)
      throw SnapshotError("the trace session cannot turn off ANSI_QUOTES / NO_BACKSLASH_ESCAPES");
    read_snapshot();
    drop_leftovers();
    scratch_ = scratch_name();
    // The lock first: from here on no other run takes the database for a leftover.
    session_->exec("DO GET_LOCK(" + quote_string(scratch_) + ", 0)");
    replay_ = session_->one("SELECT CONNECTION_ID()").value_or("0");
    // The guardian exists before the database does: a kill between the two would otherwise
    // leave it to a later run. It is forked before the watchdog's thread starts, as a fork
    // copies one thread only.
    guardian_.emplace(server, scratch_, replay_);
    if (auto refused = session_->attempt("CREATE DATABASE " + quote_ident(scratch_))) {
      guardian_->finish(true);  // nothing was made, nothing to drop
      guardian_.reset();
      unavailable_ = "the snapshot role may not create the trace's scratch database " + scratch_ +
                     " (" + refused->message +
                     "); grant it ALL ON `migsafe\\_probe\\_%`.* to trace on MySQL and MariaDB";
      return;
    }
    watchdog_.emplace(server, replay_);
    session_->exec("USE " + quote_ident(scratch_));
    context_.snapshot_db = server.dsn.database;
    context_.scratch_db = scratch_;
    mysql::ServerTarget target = mysql::server_target(server.dialect, &server.version);
    context_.mariadb = target.mariadb;
    context_.version = target.version;
    context_.databases = server.databases;
  }

  ~MysqlTracer() override {
    if (!guardian_) return;
    // The replay's session may hold locks (LOCK TABLES, an open transaction) that a DROP from
    // it, or from the guardian, would wait for: it ends first.
    watchdog_.reset();
    session_.reset();
    bool dropped = false;
    try {
      Session s(server_.dsn, server_.dsn_text, "", server_.limits);
      s.limit(server_.dialect == Dialect::mariadb, server_.limits);
      // The replay's statement may still run on the server after its client went.
      s.attempt("KILL CONNECTION " + replay_);
      dropped = drop_scratch(s, scratch_, std::chrono::seconds(30));
    } catch (...) {
      // The server cannot be reached: the guardian tries, and a later run after it.
    }
    guardian_->finish(dropped);
  }

  TraceResult trace(const Statement& st, const std::vector<std::string_view>& plan_texts) override {
    TraceResult t;
    t.server_version = server_.version;
    for (auto text : plan_texts) t.plans.push_back(plans_.plan(text));
    if (!unavailable_.empty()) {
      t.traced = false;
      t.incomplete = true;
      t.note = unavailable_;
      return t;
    }
    MysqlSandboxVerdict v = judge_mysql(st.text, context_);
    if (v.action == SandboxAction::refuse) {
      t.traced = false;
      t.refused = true;
      t.note = v.reason;
      return t;
    }
    if (v.action == SandboxAction::skip) {
      t.traced = false;
      t.note = v.reason;
      return t;
    }
    t.note = v.adaptation;
    t.adapted = false;
    for (const auto& name : v.names)
      if (std::string why = clone(name); !why.empty()) {
        t.traced = false;
        t.incomplete = true;
        t.note = why;
        return t;
      }
    try {
      auto guard = watchdog_->arm();
      if (v.ddl != MysqlSandboxVerdict::Ddl::none && !v.own_clauses)
        try_forms(v, t);
      else
        run(v.sql, t);
    } catch (const SnapshotError&) {
      // Once the watchdog has acted the statement ran past the limit, whichever ended the
      // session then (the watchdog's KILL CONNECTION, or the client's read timeout on a
      // loaded server); the replay cannot go on without the state it built.
      if (watchdog_->fired() == 0) throw;
      session_.reset();
      unavailable_ =
          "an earlier statement ran past the statement limit and its session was "
          "ended: later statements are not traced";
      t.failure = TraceResult::Failure::statement_timeout;
      t.error = "ended after the statement limit";
      return t;
    }
    if (watchdog_->fired() > 0) {
      t.failure = TraceResult::Failure::statement_timeout;
      if (t.error.empty()) t.error = "ended after the statement limit";
    }
    if (t.failure == TraceResult::Failure::rejected && uses_uncloned(v.names)) {
      t.traced = false;
      t.incomplete = true;
      t.note =
          "it uses a view or routine of the snapshot, which the scratch database does not "
          "clone (" +
          t.error + ")";
      t.error.clear();
      t.failure = TraceResult::Failure::none;
    }
    for (const auto& name : v.names) seen_.insert(name);
    return t;
  }

  QueryPlan explain(std::string_view) override {
    QueryPlan p;
    p.error = "plans are read in plan inspection's own session on MySQL";
    return p;
  }
  std::string index_method() const override { return "scratch"; }

 private:
  void read_snapshot() {
    for (const auto& r : session_->rows(
             "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
             quote_string(server_.dsn.database))) {
      if (!r[0]) continue;
      (r[1] && *r[1] == "BASE TABLE" ? tables_ : uncloned_).insert(*r[0]);
    }
    for (const auto& r : session_->rows(
             "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = " +
             quote_string(server_.dsn.database)))
      if (r[0]) uncloned_.insert(*r[0]);
  }

  // Scratch databases of runs whose session is gone (killed before their guardian could act).
  void drop_leftovers() {
    for (const auto& r : session_->rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                                        "WHERE SCHEMA_NAME LIKE 'migsafe\\_probe\\_%'")) {
      if (!r[0]) continue;
      if (session_->one("SELECT IS_FREE_LOCK(" + quote_string(*r[0]) + ")").value_or("0") == "1")
        session_->attempt("DROP DATABASE IF EXISTS " + quote_ident(*r[0]));
    }
  }

  // An empty clone of a table of the snapshot, and of the tables its foreign keys reference,
  // the first time a statement names it. "" when done (or not a table of the snapshot).
  std::string clone(const std::string& name) {
    if (!tables_.count(name) || seen_.count(name)) return {};
    seen_.insert(name);
    auto create = session_->rows("SHOW CREATE TABLE " + quote_ident(server_.dsn.database) + "." +
                                 quote_ident(name));
    if (create.empty() || create[0].size() < 2 || !create[0][1])
      return "the server did not describe " + name;
    const std::string& ddl = *create[0][1];
    MysqlSandboxVerdict v = judge_mysql(ddl, context_);
    if (v.action != SandboxAction::run)
      return "the snapshot's table " + name + " cannot be cloned: " + v.reason;
    std::string checks = session_->one("SELECT @@foreign_key_checks").value_or("1");
    session_->exec("SET SESSION foreign_key_checks = 0");
    auto refused = session_->attempt(v.sql);
    session_->exec("SET SESSION foreign_key_checks = " + checks);
    if (refused) return "the snapshot's table " + name + " cannot be cloned: " + refused->message;
    static const std::regex reference(R"(REFERENCES `((?:[^`]|``)+)`)");
    for (std::sregex_iterator it(ddl.begin(), ddl.end(), reference), end; it != end; ++it) {
      std::string ref = std::regex_replace((*it)[1].str(), std::regex("``"), "`");
      if (std::string why = clone(ref); !why.empty()) return why;
    }
    return {};
  }

  bool uses_uncloned(const std::vector<std::string>& names) const {
    for (const auto& n : names)
      if (uncloned_.count(n) && !seen_.count(n)) return true;
    return false;
  }

  // Runs the statement as written; the server's answer in t.
  bool run(const std::string& sql, TraceResult& t) {
    auto start = std::chrono::steady_clock::now();
    auto refused = session_->attempt(sql);
    t.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!refused) return true;
    t.error = refused->message;
    t.sqlstate = refused->sqlstate;
    switch (refused->code) {
      case 1205:  // lock wait timeout
        t.failure = TraceResult::Failure::lock_timeout;
        break;
      case 1969:  // MariaDB: max_statement_time
      case 3024:  // MySQL: max_execution_time
        t.failure = TraceResult::Failure::statement_timeout;
        break;
      case 1044:
      case 1142:
      case 1143:
      case 1227:
      case 1370:  // access denied: database, table, column, SUPER, routine
        t.failure = TraceResult::Failure::privilege;
        break;
      default:
        t.failure = TraceResult::Failure::rejected;
    }
    return false;
  }

  // The ALTER or index change with each form in turn: the first the server accepts tells its
  // algorithm and least lock. A refusal for another reason than the form ends the ladder, and
  // the statement as written gives the server's real answer.
  void try_forms(const MysqlSandboxVerdict& v, TraceResult& t) {
    bool mariadb = server_.dialect == Dialect::mariadb;
    for (const Form& f : kForms) {
      if (f.mariadb_only && !mariadb) continue;
      std::string sql = v.sql;
      if (v.ddl == MysqlSandboxVerdict::Ddl::alter_table) {
        sql.insert(v.clause_at, std::string(" ") + f.clauses + ",");
      } else {
        std::string c = f.clauses;
        c.erase(std::remove(c.begin(), c.end(), ','), c.end());
        sql += " " + c;
      }
      auto start = std::chrono::steady_clock::now();
      auto refused = session_->attempt(sql);
      if (!refused) {
        t.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count();
        t.server_algorithm = f.algorithm;
        t.algorithm_exact = mariadb || f.algorithm != Algorithm::rebuild;
        t.server_lock = f.lock;
        t.accepted = f.clauses;
        return;
      }
      if (!form_refused(refused->code)) break;
      t.refused_forms.push_back(std::string(f.clauses) + ": " + refused->message);
    }
    run(v.sql, t);
  }

  ServerFacts server_;
  SnapshotSource& plans_;
  std::optional<Session> session_;  // the replay's; ended before the scratch database is dropped
  std::string scratch_;
  std::string unavailable_;
  std::string replay_;  // the replay session's connection id
  std::optional<Guardian> guardian_;
  std::optional<Watchdog> watchdog_;
  MysqlSandboxContext context_;
  std::set<std::string> tables_;    // the snapshot's base tables
  std::set<std::string> uncloned_;  // its views and routines
  std::set<std::string> seen_;      // names already cloned or met by the replay
};

}  // namespace

std::unique_ptr<StatementTracer> make_mysql_tracer(const ServerFacts& server,
                                                   SnapshotSource& plans) {
  return std::make_unique<MysqlTracer>(server, plans);
}

}  // namespace migsafe::mysql_snapshot
