// The stats file (migsafe stats): what a snapshot tells the checks, without the database and
// without credentials. Tables, columns, indexes with use counts, constraints, rows and bytes,
// the server's version, and its busiest statements where it keeps them; no row data. check
// --stats reads it as --db reads a snapshot for catalog facts and size-aware severity; plans
// and row counts behind fails-on-data need a live snapshot, which findings say.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "migsafe/snapshot.hpp"

namespace migsafe {

constexpr int kStatsSchemaVersion = 1;

// Reads the snapshot's schema and sizes (and its top `top_queries` statements) and writes the
// stats document.
void write_stats(Snapshot& snapshot, int top_queries, std::ostream& out);
// The stats file as a snapshot that plans nothing. A file that is not a stats document of a
// version migsafe reads is an InputError at its place.
std::unique_ptr<Snapshot> load_stats(const std::string& path);
// The dialect a stats file was written for (as a DSN names its engine); nullopt when the file
// cannot say, which load_stats then reports.
std::optional<Dialect> stats_file_dialect(const std::string& path);

}  // namespace migsafe
