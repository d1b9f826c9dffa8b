// Plan inspection (migsafe plan): how the application's queries are planned on a snapshot before
// and after the migrations, and which of them regress. The model and the verdicts know no
// engine; the snapshot gives the plans (snapshot.hpp) and the reporters print them.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/snapshot.hpp"

namespace migsafe {

// One query of the workload: from the --queries file (with its place) or from the server's
// statistics (with how often it ran).
struct WorkloadQuery {
  std::string text;
  std::string path;  // the queries file; empty for the server's statistics
  Position pos;
  std::optional<ObservedQuery> observed;
  std::string label() const;  // "queries.sql:3:1" or "pg_stat_statements #2"
};

// The queries of a --queries file: ';'-separated statements, comments allowed. Throws
// InputError (unreadable file, a statement that does not parse) with file:line:col.
std::vector<WorkloadQuery> read_workload(const std::string& path, Dialect dialect);

enum class PlanVerdict { regressed, improved, unchanged, unplanned };
std::string_view plan_verdict_name(PlanVerdict v);

// A sequential scan of a table, with the table's size from the snapshot.
struct ScanOfTable {
  std::string table;
  double rows = -1;  // the table's rows; -1 when unknown
  int64_t bytes = -1;
};

// What a query's plans before and after say.
struct QueryDiff {
  WorkloadQuery query;
  QueryPlan before, after;
  PlanVerdict verdict = PlanVerdict::unchanged;
  std::vector<std::string> reasons;  // why the verdict, in words
  double cost_ratio = 1;             // after / before
  std::vector<ScanOfTable> new_seq_scans, gone_seq_scans;
  std::vector<std::string> indexes_before, indexes_after;
  bool shape_changed = false;  // other nodes, tables or indexes, whatever the costs
};

// Where a regression starts: a new sequential scan of a table this big, or a cost this many
// times higher.
struct PlanThresholds {
  double rows = 10000;
  int64_t bytes = 100LL * 1024 * 1024;
  double max_cost_ratio = 2;
};

// Sizes of the snapshot's tables by name ("table" in public, else "schema.table").
struct TableSize {
  double rows = -1;
  int64_t bytes = -1;
};
using TableSizes = std::vector<std::pair<std::string, TableSize>>;

QueryDiff diff_plans(const WorkloadQuery& q, const QueryPlan& before, const QueryPlan& after,
                     const TableSizes& sizes, const PlanThresholds& t);

// A migration statement the after-phase could not apply: the phase ends there.
struct ApplyStop {
  std::string path;
  Position pos;
  std::string message;
};

struct PlanOptions {
  CheckOptions check;  // dialect, version, layout, transactions, snapshot, limits
  std::string queries_file;
  int from_stats = 0;  // the top N of the server's statistics
  // --stats FILE: the workload comes from that stats file (written from production) instead of
  // the snapshot's own statistics, which a restored copy does not have
  std::string workload_file;
  PlanThresholds thresholds;
};

struct PlanRun {
  std::vector<QueryDiff> queries;  // regressed first, then improved, unchanged, unplanned
  // "hypothetical", "transaction", or "ignore-index" (MySQL / MariaDB: dropped indexes are
  // hinted away, other changes are not simulated)
  std::string index_method;
  // MySQL / MariaDB: the migration's statements the plans after it do not see ("file:line").
  std::vector<std::string> not_simulated;
  std::optional<ApplyStop> stopped;
  CheckResult check;   // the migrations as applied (their files, and what the trace said)
  std::string server;  // "PostgreSQL 15"
  std::vector<InputProblem> problems;  // exit 2
  std::string database_error;          // exit 3
  size_t count(PlanVerdict v) const;
  bool regressed() const { return count(PlanVerdict::regressed) > 0 || stopped.has_value(); }
};

// Plans the workload on the snapshot, applies the migrations where nothing persists, plans
// again, and compares.
PlanRun run_plan(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                 const PlanOptions& opt);

enum class PlanFormat { text, json, markdown, html };
std::optional<PlanFormat> parse_plan_format(std::string_view s);
void report_plan(PlanFormat f, const PlanRun& run, const PlanOptions& opt, std::ostream& out);

}  // namespace migsafe
