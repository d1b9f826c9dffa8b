// migsafe plan as JSON: both plans in full (the engine's own documents), the diff and the
// verdicts.
#include <nlohmann/json.hpp>

#include "plan_common.hpp"

namespace migsafe {
namespace {

using json = nlohmann::json;

json plan_json(const QueryPlan& p) {
  if (!p.planned) return {{"planned", false}, {"error", p.error}, {"refused", p.refused}};
  json doc = json::parse(p.document, nullptr, false);
  return {{"planned", true},
          {"generic", p.generic},
          {"cost", p.root.total_cost},
          {"document", doc.is_discarded() ? json(p.document) : doc}};
}

json scans_json(const std::vector<ScanOfTable>& scans) {
  json out = json::array();
  for (const auto& s : scans)
    out.push_back({{"table", s.table},
                   {"rows", s.rows < 0 ? json(nullptr) : json(s.rows)},
                   {"bytes", s.bytes < 0 ? json(nullptr) : json(s.bytes)}});
  return out;
}

}  // namespace

void report_plan_json(const PlanRun& run, std::ostream& out) {
  json doc;
  doc["schema_version"] = 1;
  doc["tool"] = {{"name", "migsafe"}, {"version", MIGSAFE_VERSION}};
  doc["server"] = run.server;
  doc["index_method"] = run.index_method;
  doc["not_simulated"] = run.not_simulated;
  json queries = json::array();
  for (const auto& d : run.queries) {
    json q = {{"query", d.query.text},
              {"source", d.query.label()},
              {"verdict", plan_verdict_name(d.verdict)},
              {"reasons", d.reasons},
              {"before", plan_json(d.before)},
              {"after", plan_json(d.after)},
              {"new_seq_scans", scans_json(d.new_seq_scans)},
              {"gone_seq_scans", scans_json(d.gone_seq_scans)},
              {"indexes_before", d.indexes_before},
              {"indexes_after", d.indexes_after},
              {"shape_changed", d.shape_changed}};
    if (d.before.planned && d.after.planned)
      q["cost_ratio"] = std::isfinite(d.cost_ratio) ? json(d.cost_ratio) : json(nullptr);
    if (!d.query.path.empty())
      q["start"] = {{"line", d.query.pos.line}, {"column", d.query.pos.col}};
    if (d.query.observed)
      q["observed"] = {{"calls", d.query.observed->calls},
                       {"total_ms", d.query.observed->total_ms}};
    queries.push_back(std::move(q));
  }
  doc["queries"] = std::move(queries);
  json migrations = json::array();
  for (const auto& f : run.check.files)
    if (f.is_migration && f.reported) migrations.push_back(f.path);
  doc["migrations"] = std::move(migrations);
  doc["stopped"] =
      run.stopped
          ? json{{"path", run.stopped->path},
                 {"start", {{"line", run.stopped->pos.line}, {"column", run.stopped->pos.col}}},
                 {"message", run.stopped->message}}
          : json(nullptr);
  json errors = json::array();
  for (const auto& p : run.problems)
    errors.push_back({{"kind", p.kind},
                      {"path", p.path},
                      {"message", p.message},
                      {"start", {{"line", p.pos.line}, {"column", p.pos.col}}}});
  doc["errors"] = std::move(errors);
  doc["summary"] = {{"queries", run.queries.size()},
                    {"regressed", run.count(PlanVerdict::regressed)},
                    {"improved", run.count(PlanVerdict::improved)},
                    {"unchanged", run.count(PlanVerdict::unchanged)},
                    {"unplanned", run.count(PlanVerdict::unplanned)},
                    {"blocked", run.regressed()}};
  out << doc.dump(2) << "\n";
}

}  // namespace migsafe
