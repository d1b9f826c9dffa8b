// The database session as the migration runs it, statement by statement: whether a transaction
// is open (explicit, or the runner's), which table locks it holds, which constraints it added
// NOT VALID, and the lock_timeout in force. The rules engine reads it before each operation and
// updates it after.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "migsafe/check.hpp"

namespace migsafe {

class SessionState {
 public:
  struct Held {
    LockMode mode = LockMode::none;
    std::string by;      // SQL words of the statement that took it
    int statements = 0;  // statements of this transaction that took ACCESS EXCLUSIVE on it
  };

  // routine_is_transaction: PostgreSQL runs a DO block or function as one statement, in one
  // transaction; a MySQL stored procedure runs its statements one by one.
  explicit SessionState(TransactionMode mode, bool routine_is_transaction = true)
      : mode_(mode), routine_is_transaction_(routine_is_transaction) {}

  // Before a statement's operations: BEGIN opens a block (or nests in one).
  void begin_statement(const Statement& st);
  // After them: COMMIT / ROLLBACK end the transaction; in autocommit a statement outside a
  // block is a transaction of its own.
  void end_statement(const Statement& st);

  // A stretch of the file the runner sends on its own (the file, a section, a changeset): the
  // transaction of the one before is over (the runner committed it), session settings stay.
  // transaction / fix: who opens its transaction and what avoids it, in words.
  void start_unit(TransactionMode mode, std::string transaction, std::string fix);

  bool in_transaction() const {
    return explicit_open_ || runner_open() || (routine_depth_ > 0 && routine_is_transaction_);
  }
  // What makes the current statement run in a transaction block, and what would take it out,
  // in words for messages (empty outside a transaction).
  std::string transaction_source(const SourceText& src) const;
  std::string transaction_fix() const;
  // The file opened a transaction, or the runner's has already run statements: an implicit
  // commit (MySQL DDL) breaks something the migration meant to be atomic.
  bool transaction_begun() const {
    return explicit_open_ || (runner_open() && statements_in_tx_ > 0);
  }
  // A DO block or a function runs as one statement: its inner statements share one transaction.
  void enter_routine() { ++routine_depth_; }
  void leave_routine();
  bool explicit_open() const { return explicit_open_; }
  // A transaction of the file or the runner is open (not only a routine's own).
  bool file_transaction_open() const { return explicit_open_ || runner_open(); }
  bool in_routine() const { return routine_depth_ > 0; }
  bool nested_begin() const { return nested_begin_; }  // this statement's BEGIN nests
  // This statement's COMMIT / ROLLBACK ends the transaction the runner opened for the file (not
  // one a BEGIN of the file opened, nor one whose nested BEGIN was already reported).
  bool ends_runner_transaction() const { return ends_runner_; }
  uint32_t open_begin_offset() const { return begin_offset_; }

  Held held(const QualifiedName& t) const;
  // The strongest lock the transaction holds on any table other than t.
  Held strongest_elsewhere(const QualifiedName& t) const;
  bool added_not_valid(const QualifiedName& t, const std::string& constraint) const;
  bool lock_timeout_set() const;
  // SQLite: PRAGMA foreign_keys = OFF ran outside a transaction (inside one it is a no-op).
  // MySQL / MariaDB: SET foreign_key_checks = 0 is in force.
  bool foreign_keys_off() const { return foreign_keys_off_; }
  // What the effects layer needs of the session's settings.
  SessionSettings settings() const {
    return {!foreign_keys_off_, local_utc_.value_or(session_utc_)};
  }

  // Records what an operation did: locks taken, settings changed.
  void record(const Operation& op, const Effect& e);

 private:
  void end_transaction();
  void take(const QualifiedName& t, LockMode m, std::string_view by);
  static bool timeout_is_off(std::string_view v);

  bool runner_open() const { return mode_ != TransactionMode::autocommit && runner_tx_open_; }

  TransactionMode mode_;
  bool runner_tx_open_ = true;  // COMMIT in the file, or MySQL DDL, ends the runner's transaction
  std::string unit_transaction_;
  std::string unit_fix_;
  int statements_in_tx_ = 0;
  bool routine_is_transaction_ = true;
  bool explicit_open_ = false;
  int routine_depth_ = 0;
  bool nested_begin_ = false;
  bool nested_open_ = false;  // a nested BEGIN's block is open in the runner's transaction
  bool ends_runner_ = false;
  uint32_t begin_offset_ = 0;
  std::set<std::string> ae_this_statement_;
  std::map<std::string, Held> held_;
  std::set<std::string> not_valid_;
  bool foreign_keys_off_ = false;
  bool implicit_commit_ = false;  // MySQL DDL in this statement commits the open transaction
  std::optional<bool> session_lock_timeout_;  // set for the session; nullopt: server default (off)
  std::optional<bool> local_lock_timeout_;    // SET LOCAL, until the transaction ends
  bool session_utc_ = false;                  // SET timezone = 'UTC'
  std::optional<bool> local_utc_;             // SET LOCAL timezone, until the transaction ends
};

}  // namespace migsafe
