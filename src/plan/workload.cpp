// The workload of plan inspection: the queries of a --queries file, read with the dialect's own
// front end so that every query keeps its file:line:col.
#include "migsafe/inputs.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/plan.hpp"

namespace migsafe {

std::string WorkloadQuery::label() const {
  if (!path.empty()) return path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col);
  return observed ? observed->source : "pg_stat_statements";
}

std::vector<WorkloadQuery> read_workload(const std::string& path, Dialect dialect) {
  std::shared_ptr<const SourceText> src = read_source(path);
  std::vector<WorkloadQuery> out;
  ParsedFile parsed = parse_each(dialect, *src, [&](Statement& st) {
    if (st.node == "meta") return;  // psql commands are not queries
    WorkloadQuery q;
    q.text = std::string(st.text);
    q.path = path;
    q.pos = st.span.start;
    out.push_back(std::move(q));
  });
  // A query that does not parse is the file's error, at its place: it is never dropped.
  if (!parsed.syntax_errors.empty())
    throw InputError(path, "the workload query does not parse: " + parsed.syntax_errors[0].message,
                     parsed.syntax_errors[0].pos);
  if (out.empty()) throw InputError(path, "the workload file holds no query");
  return out;
}

}  // namespace migsafe
