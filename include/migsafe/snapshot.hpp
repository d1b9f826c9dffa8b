// Running migrations against a real engine. SQLite's dry run needs no database from the user:
// the real SQLite library, on a scratch in-memory database.
#pragma once

#include <memory>

#include "migsafe/check.hpp"

namespace migsafe {

// A probe that replays each file on a scratch in-memory SQLite database: tables that existed
// before the file (replayed or stubbed) hold one row, each file runs inside a savepoint that is
// rolled back, then its schema changes are replayed for the next file.
std::unique_ptr<StatementProbe> make_sqlite_dry_run();
// The version of the SQLite library migsafe is linked with (the default target).
TargetVersion linked_sqlite_version();

}  // namespace migsafe
