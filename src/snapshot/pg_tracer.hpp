// --trace on a PostgreSQL snapshot (part of the snapshot module).
#pragma once

#include <memory>
#include <string>

#include "migsafe/snapshot.hpp"

namespace migsafe {

// A session of its own that runs what the sandbox allows in one transaction that is never
// committed. plan_mode: index changes become HypoPG's hypothetical indexes and hidden indexes
// when the server has the extension. Throws SnapshotError when it cannot start.
std::unique_ptr<StatementTracer> make_pg_tracer(const std::string& dsn,
                                                const SnapshotLimits& limits,
                                                bool plan_mode = false);

}  // namespace migsafe
