// What the PostgreSQL snapshot's sessions share (part of the snapshot module): a client-side
// deadline on every query, connection options, and reading plans and errors.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "migsafe/snapshot.hpp"

namespace migsafe {

// The server enforces statement_timeout, but a frozen server or network never answers at all.
// The watchdog ends such a wait: when a query runs past its deadline it shuts the connection's
// socket down, the blocked read returns, and libpq reports the connection lost. on_fire then
// runs (on the watchdog's thread), for what must also end on the server.
class Watchdog {
 public:
  explicit Watchdog(int socket, std::function<void()> on_fire = {});
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Armed for one query (or a short run of them) while the guard lives.
  class Guard {
   public:
    explicit Guard(Watchdog& w) : w_(w) {}
    ~Guard() { w_.disarm(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Watchdog& w_;
  };
  [[nodiscard]] Guard arm(std::chrono::milliseconds budget);
  bool fired() const;

 private:
  void disarm();
  void run();

  int socket_;
  std::function<void()> on_fire_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool stop_ = false;
  bool fired_ = false;
  std::thread thread_;
};

// How long past the statement timeout migsafe waits for an answer before it gives up.
inline constexpr std::chrono::milliseconds kDeadlineMargin{5000};

// The error for a connection that broke: the watchdog's deadline, or the server going away.
// during: "" or " during the trace".
SnapshotError connection_lost(const Watchdog& watchdog, std::chrono::milliseconds budget,
                              const std::exception& e, const std::string& dsn,
                              const std::string& during);

// libpqxx would otherwise reconnect a lost connection by itself; a trace that went on in a new
// session would run its statements outside the rolled-back transaction.
void no_reconnect(pqxx::connection& conn);

// The DSN with a connect timeout and an application name (unless it has its own).
std::string session_dsn(const std::string& dsn, const std::string& application);
std::string first_line(const std::string& s);
// The SQLSTATE of a server error. libpqxx 6 leaves it empty on the errors it has a class of its
// own for, and raises deadlocks and serialization failures outside sql_error.
std::string sqlstate_of(const pqxx::failure& e);
// The sequential scans of an EXPLAIN (FORMAT JSON) document.
std::vector<SeqScan> seq_scans_of(const std::string& explain_json);
// The plan tree of an EXPLAIN (FORMAT JSON) document (VERBOSE, for schema names).
PlanNode plan_tree_of(const std::string& explain_json);
// EXPLAIN (FORMAT JSON, VERBOSE) of one statement the sandbox allowed, in a transaction or
// savepoint the caller rolls back. A statement with $n parameters gets a generic plan, good for
// any values (PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN)): it is prepared and explained with
// generic plans forced; generic says so. Throws pqxx errors; then call forget_prepared after the
// rollback, since a prepared statement outlives it.
std::string explain_document(pqxx::transaction_base& tx, const std::string& sql, bool& generic);
void forget_prepared(pqxx::transaction_base& tx);

}  // namespace migsafe
