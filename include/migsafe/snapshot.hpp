// Running migrations against a real engine. SQLite's dry run needs no database from the user:
// the real SQLite library, on a scratch in-memory database.
#pragma once

#include <memory>

#include "migsafe/check.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {

// A database error: exit status 3. The message never holds a password.
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SnapshotLimits {
  int statement_timeout_ms = 10000;
  int lock_timeout_ms = 1000;
};

// A connection to a copy of real data. Read-only: every query runs in a READ ONLY transaction
// with the limits set, and is rolled back.
// load_schema reads tables, columns, indexes (with use counts), constraints and sizes;
// seq_scans plans a statement (EXPLAIN, never ANALYZE) and is empty when it cannot be planned.
class PgSnapshot : public SnapshotSource {
 public:
  virtual TargetVersion server_version() const = 0;
  // A session that runs statements in one transaction that is always rolled back (when the
  // tracer is destroyed, or when the connection dies), with lock and statement timeouts.
  virtual std::unique_ptr<StatementTracer> begin_trace() = 0;
};
// Throws SnapshotError (connection refused, bad credentials, ...).
std::unique_ptr<PgSnapshot> connect_postgres(const std::string& dsn,
                                             const SnapshotLimits& limits = {});
// Masks the DSN's password (and any URI userinfo password) in a message.
std::string redact(std::string text, const std::string& dsn);

// A probe that replays each file on a scratch in-memory SQLite database: tables that existed
// before the file (replayed or stubbed) hold one row, each file runs inside a savepoint that is
// rolled back, then its schema changes are replayed for the next file.
std::unique_ptr<StatementProbe> make_sqlite_dry_run();
// The version of the SQLite library migsafe is linked with (the default target).
TargetVersion linked_sqlite_version();

}  // namespace migsafe
