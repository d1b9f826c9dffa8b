// Machine-readable output. The schema is documented in the README; change it only additively.
#include <nlohmann/json.hpp>

#include "migsafe/report.hpp"

namespace migsafe {
namespace {

using json = nlohmann::ordered_json;

json position(Position p) {
  return {{"line", p.line}, {"column", p.col}};
}

json effect_json(const FindingEffect& e) {
  json others = json::array();
  for (const auto& o : e.other_locks)
    others.push_back({{"table", o.table.display()}, {"lock", lock_mode_name(o.mode)}});
  json j = {{"table", e.table},
            {"lock", lock_mode_name(e.lock)},
            {"blocks_reads", e.blocks_reads},
            {"blocks_writes", e.blocks_writes},
            {"rewrite", e.rewrite},
            {"scan", e.scan},
            {"other_locks", others}};
  if (e.algorithm != Algorithm::none) {  // MySQL / MariaDB
    j["algorithm"] = algorithm_name(e.algorithm);
    j["min_lock"] = ddl_lock_name(e.min_lock);
  }
  return j;
}

}  // namespace

void report_json(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  json doc;
  doc["schema_version"] = 1;
  doc["tool"] = {{"name", "migsafe"}, {"version", MIGSAFE_VERSION}};
  doc["dialect"] = dialect_name(ctx.options.dialect);
  doc["target_version"] = ctx.options.version.display();
  doc["transactions"] = transaction_mode_name(ctx.options.transactions);
  json runners = json::array();
  for (const auto& sr : r.runners)
    runners.push_back({{"root", sr.root},
                       {"runner", layout_name(sr.runner)},
                       {"sending", sr.sending},
                       {"dialect", dialect_name(sr.dialect)},
                       {"target_version", sr.version.display()}});
  doc["runners"] = std::move(runners);
  doc["direction"] = ctx.options.inputs.direction == Direction::down ? "down" : "up";
  json files = json::array();
  for (const auto& f : r.files)
    files.push_back({{"path", f.path}, {"statements", f.statements}, {"reported", f.reported}});
  doc["files"] = std::move(files);
  json findings = json::array();
  for (const auto& f : r.findings) {
    json j;
    j["rule"] = f.rule_id;
    j["severity"] = severity_name(f.severity);
    j["path"] = r.files[f.file].path;
    j["start"] = position(f.at);
    j["end"] = position(f.statement.stop);
    j["statement"] = {{"start", position(f.statement.start)},
                      {"end", position(f.statement.stop)},
                      {"offset", f.statement.begin},
                      {"length", f.statement.end - f.statement.begin}};
    j["title"] = f.title;
    j["message"] = f.message;
    j["notes"] = f.lines();
    j["instead"] = f.instead;
    j["docs"] = f.docs;
    j["effect"] = f.effect ? effect_json(*f.effect) : json(nullptr);
    findings.push_back(std::move(j));
  }
  doc["findings"] = std::move(findings);
  json problems = json::array();
  for (const auto& p : r.problems) {
    json j{{"kind", p.kind}, {"path", p.path}, {"message", p.message}};
    j["start"] = p.pos.line ? position(p.pos) : json(nullptr);
    problems.push_back(std::move(j));
  }
  doc["errors"] = std::move(problems);
  doc["summary"] = {{"files", r.migration_files()},
                    {"statements", r.statements},
                    {"errors", r.count(Severity::error)},
                    {"warnings", r.count(Severity::warning)},
                    {"infos", r.count(Severity::info)},
                    {"input_errors", r.problems.size()},
                    {"fail_on", ctx.fail_on == FailOn::error     ? "error"
                                : ctx.fail_on == FailOn::warning ? "warning"
                                                                 : "never"},
                    {"blocked", is_blocked(r, ctx.fail_on)},
                    {"traced_as_superuser", r.trace_superuser}};
  out << doc.dump(2) << '\n';
}

}  // namespace migsafe
