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

// Writes `value` as it would appear `depth` levels into a document dumped with an indent of 2:
// its lines after the first indented by the depth.
void write_nested(std::ostream& out, const json& value, int depth) {
  std::string text = value.dump(2);
  std::string pad(static_cast<size_t>(depth) * 2, ' ');
  size_t from = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    out << pad;
    from = nl + 1;
  }
  out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

json finding_json(const CheckResult& r, const Finding& f) {
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
  j["title"] = f.title ? *f.title : std::string();
  j["message"] = f.message;
  j["notes"] = f.lines();
  j["instead"] = f.instead;
  j["docs"] = f.docs ? *f.docs : std::string();
  j["effect"] = f.effect ? effect_json(*f.effect) : json(nullptr);
  return j;
}

}  // namespace

// The document is written as it is made, one finding at a time, byte for byte as one
// nlohmann dump(2) of the whole would be (a test compares): building it whole held every
// finding twice.
void report_json(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  bool first = true;
  auto key = [&](const char* name) {
    out << (first ? "{\n  \"" : ",\n  \"") << name << "\": ";
    first = false;
  };
  auto field = [&](const char* name, const json& value) {
    key(name);
    write_nested(out, value, 1);
  };
  field("schema_version", 1);
  field("tool", {{"name", "migsafe"}, {"version", MIGSAFE_VERSION}});
  field("dialect", dialect_name(ctx.options.dialect));
  field("target_version", ctx.options.version.display());
  field("transactions", transaction_mode_name(ctx.options.transactions));
  json runners = json::array();
  for (const auto& sr : r.runners)
    runners.push_back({{"root", sr.root},
                       {"runner", layout_name(sr.runner)},
                       {"sending", sr.sending},
                       {"dialect", dialect_name(sr.dialect)},
                       {"target_version", sr.version.display()}});
  field("runners", runners);
  field("direction", ctx.options.inputs.direction == Direction::down ? "down" : "up");
  json files = json::array();
  for (const auto& f : r.files)
    files.push_back({{"path", f.path}, {"statements", f.statements}, {"reported", f.reported}});
  field("files", files);
  key("findings");
  if (r.findings.empty()) {
    out << "[]";
  } else {
    out << "[";
    for (size_t i = 0; i < r.findings.size(); ++i) {
      out << (i ? ",\n    " : "\n    ");
      write_nested(out, finding_json(r, r.findings[i]), 2);
    }
    out << "\n  ]";
  }
  json problems = json::array();
  for (const auto& p : r.problems) {
    json j{{"kind", p.kind}, {"path", p.path}, {"message", p.message}};
    j["start"] = p.pos.line ? position(p.pos) : json(nullptr);
    problems.push_back(std::move(j));
  }
  field("errors", problems);
  // A snapshot that failed: the document stays valid, and says so (the exit status is 3).
  if (!r.database_error.empty()) field("database_error", r.database_error);
  const auto counts = r.counts();
  field("summary", {{"files", r.migration_files()},
                    {"history_files", r.history_files},
                    {"statements", r.statements},
                    {"errors", counts.errors},
                    {"warnings", counts.warnings},
                    {"infos", counts.infos},
                    {"input_errors", r.problems.size()},
                    {"fail_on", ctx.fail_on == FailOn::error     ? "error"
                                : ctx.fail_on == FailOn::warning ? "warning"
                                                                 : "never"},
                    {"blocked", is_blocked(r, ctx.fail_on)},
                    {"traced_as_superuser", r.trace_superuser}});
  out << "\n}\n";
}

}  // namespace migsafe
