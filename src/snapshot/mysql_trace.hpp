// --trace and plan inspection on MySQL / MariaDB: sessions of their own beside the snapshot's
// read-only one.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "migsafe/snapshot.hpp"
#include "snapshot/mysql_session.hpp"

namespace migsafe::mysql_snapshot {

struct ServerFacts {
  Dsn dsn;
  std::string dsn_text;  // for redaction
  SnapshotLimits limits;
  Dialect dialect = Dialect::mariadb;
  TargetVersion version;
  std::vector<std::string> databases;  // those the role can see (SHOW DATABASES)
};

// The migration replayed on empty clones in a scratch database (migsafe_probe_<random>) that
// is dropped at the end, also when migsafe is killed, by a guardian process. plans: the
// snapshot whose read-only session plans data changes on the real rows.
std::unique_ptr<StatementTracer> make_mysql_tracer(const ServerFacts& server,
                                                   SnapshotSource& plans);

// Plan inspection: EXPLAIN FORMAT=JSON of the workload on the snapshot (read-only), with the
// indexes the migration drops ignored (IGNORE INDEX); other changes are not simulated.
// tables: the snapshot's tables.
std::unique_ptr<StatementTracer> make_mysql_plan_session(const ServerFacts& server,
                                                         std::set<std::string> tables);

// The plan tree of an EXPLAIN FORMAT=JSON document (MySQL's and MariaDB's shapes).
PlanNode plan_tree(const std::string& document);

}  // namespace migsafe::mysql_snapshot
