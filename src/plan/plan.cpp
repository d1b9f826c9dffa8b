// migsafe plan: the workload planned on the snapshot, the migrations applied in the one trace
// session where nothing persists (the check's --trace, with hypothetical indexes when the engine
// has them), the workload planned again, and the two compared.
#include <algorithm>
#include <functional>
#include <set>

#include "migsafe/inputs.hpp"
#include "migsafe/plan.hpp"
#include "migsafe/stats.hpp"

namespace migsafe {
namespace {

// Findings of the trace that mean a statement did not apply as written: the after-phase ends.
bool stops_the_phase(const Finding& f) {
  return f.severity == Severity::error &&
         (f.rule_id == "engine-rejects" || f.rule_id == "snapshot-incomplete" ||
          f.rule_id == "trace-lock-timeout" || f.rule_id == "trace-statement-timeout");
}

std::optional<ApplyStop> first_stop(const CheckResult& r) {
  const Finding* first = nullptr;
  for (const auto& f : r.findings)
    if (stops_the_phase(f) && r.files[f.file].reported) {
      first = &f;
      break;  // findings are in file order, then line:col
    }
  if (!first) return std::nullopt;
  return ApplyStop{r.files[first->file].path, first->at, first->message};
}

void collect_relations(const PlanNode& n, std::set<std::string>& out) {
  if (!n.relation.empty()) out.insert(n.relation);
  for (const auto& c : n.children) collect_relations(c, out);
}

TableSizes sizes_of(const std::set<std::string>& relations, const SchemaModel& model) {
  TableSizes out;
  for (const auto& rel : relations) {
    size_t dot = rel.find('.');
    QualifiedName name = dot == std::string::npos
                             ? QualifiedName{"", rel}
                             : QualifiedName{rel.substr(0, dot), rel.substr(dot + 1)};
    TableSize s;
    if (const TableInfo* t = model.find(name); t && t->stats) {
      s.rows = t->stats->rows;
      s.bytes = t->stats->bytes;
    }
    out.push_back({rel, s});
  }
  return out;
}

int order(PlanVerdict v) {
  switch (v) {
    case PlanVerdict::regressed:
      return 0;
    case PlanVerdict::unplanned:
      return 1;
    case PlanVerdict::improved:
      return 2;
    case PlanVerdict::unchanged:
      return 3;
  }
  return 3;
}

}  // namespace

PlanRun run_plan(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                 const PlanOptions& opt) {
  PlanRun run;
  auto problem = [&](std::string path, Position pos, std::string message) {
    run.problems.push_back({std::move(path), pos, std::move(message), "input-error"});
  };
  if (opt.check.db.empty())
    problem("", {}, "migsafe plan needs a snapshot: give --db (or MIGSAFE_DB)");
  if (opt.queries_file.empty() && opt.from_stats <= 0)
    problem("", {}, "give the workload: --queries FILE, --from-stats N, or both");
  std::vector<WorkloadQuery> workload;
  if (!opt.queries_file.empty()) {
    try {
      workload = read_workload(opt.queries_file, opt.check.dialect);
    } catch (const InputError& e) {
      problem(e.path(), e.pos(), e.what());
    }
  }
  if (!run.problems.empty()) return run;

  try {
    std::unique_ptr<Snapshot> snapshot = connect_snapshot(
        opt.check.db, SnapshotLimits{opt.check.statement_timeout_ms, opt.check.lock_timeout_ms});
    run.server = std::string(dialect_display(snapshot->dialect())) + " " +
                 snapshot->server_version().display();
    if (opt.from_stats > 0) {
      ObservedQueries observed = opt.workload_file.empty()
                                     ? snapshot->top_queries(opt.from_stats)
                                     : load_stats(opt.workload_file)->top_queries(opt.from_stats);
      if (!observed.unavailable.empty()) {
        problem("", {}, "--from-stats: " + observed.unavailable);
        return run;
      }
      for (auto& o : observed.queries) {
        WorkloadQuery q;
        q.text = o.text;
        q.observed = std::move(o);
        workload.push_back(std::move(q));
      }
    }
    SchemaModel model;
    snapshot->load_schema(model);

    std::unique_ptr<StatementTracer> session = snapshot->begin_plan_trace();
    run.index_method = session->index_method();
    std::vector<QueryPlan> before, after;
    for (const auto& q : workload) before.push_back(session->explain(q.text));

    CheckOptions check = opt.check;
    check.trace = true;
    SnapshotSessions sessions{snapshot.get(), session.get()};
    run.check = check_paths(paths, packs, check, &sessions);
    if (!run.check.database_error.empty()) {
      run.database_error = run.check.database_error;
      return run;
    }
    run.problems = run.check.problems;
    for (const Finding& f : run.check.findings)
      if (f.rule_id == "trace" && f.message.find("not simulated on ") != std::string::npos)
        run.not_simulated.push_back(run.check.files[f.file].path + ":" +
                                    std::to_string(f.statement.start.line));
    run.stopped = first_stop(run.check);
    if (!run.stopped)
      for (const auto& q : workload) after.push_back(session->explain(q.text));
    session.reset();  // the transaction is rolled back here

    std::set<std::string> relations;
    for (const auto& p : before) collect_relations(p.root, relations);
    for (const auto& p : after) collect_relations(p.root, relations);
    TableSizes sizes = sizes_of(relations, model);
    for (size_t i = 0; i < workload.size(); ++i) {
      QueryPlan a;
      if (run.stopped)
        a.error = "the migrations stopped at " + run.stopped->path + ":" +
                  std::to_string(run.stopped->pos.line);
      else
        a = after[i];
      run.queries.push_back(diff_plans(workload[i], before[i], a, sizes, opt.thresholds));
    }
  } catch (const SnapshotError& e) {
    run.database_error = e.what();
    return run;
  }
  std::stable_sort(
      run.queries.begin(), run.queries.end(),
      [](const QueryDiff& a, const QueryDiff& b) { return order(a.verdict) < order(b.verdict); });
  return run;
}

}  // namespace migsafe
