// SARIF 2.1.0: what GitHub code scanning and other CI dashboards read natively.
#include <nlohmann/json.hpp>

#include <set>

#include "fingerprint.hpp"
#include "markdown_escape.hpp"
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

using json = nlohmann::ordered_json;

std::string_view level(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "note";
  }
  return "warning";
}

// A code block whose closing fence is on a line of its own, however the body ends.
std::string fenced(std::string body) {
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return "```sql\n" + body + "\n```\n";
}

json rule_descriptor(const Rule& r, const ReportContext& ctx) {
  std::string markdown = markdown_text(r.why) + "\n\n";
  if (!r.examples.bad.empty()) markdown += "Flagged:\n\n" + fenced(r.examples.bad) + "\n";
  if (!r.examples.good.empty()) markdown += "Passes:\n\n" + fenced(r.examples.good);
  json d;
  d["id"] = r.id;
  d["name"] = r.id;
  d["shortDescription"] = {{"text", r.title}};
  d["fullDescription"] = {{"text", r.why}};
  d["help"] = {{"text", r.why}, {"markdown", markdown}};
  d["helpUri"] = rule_docs_uri(ctx, r.id);
  d["defaultConfiguration"] = {{"level", level(r.severity)}};
  d["properties"] = {{"tags", json::array({"migration", r.pack})}};
  return d;
}

// A path already relative to the repository root (repository_path) as a URI: spaces and '%'
// escaped.
std::string uri_of(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ')
      out += "%20";
    else if (c == '%')
      out += "%25";
    else
      out += c;
  }
  return out;
}

// A file as SARIF names it, from its path relative to the repository root (repository_path):
// against %SRCROOT% unless it lies outside the repository or is stdin.
json artifact_location(const std::string& rel) {
  json artifact = {{"uri", uri_of(rel)}};
  if (!rel.empty() && rel[0] != '/' && rel[0] != '<') artifact["uriBaseId"] = "%SRCROOT%";
  return artifact;
}

// The advice without its comment lines, when it is one statement that can stand where the
// flagged one is (CREATE INDEX CONCURRENTLY for CREATE INDEX); empty otherwise.
std::string replacement_statement(std::string_view instead) {
  std::string sql;
  for (size_t at = 0; at < instead.size();) {
    size_t nl = instead.find('\n', at);
    std::string_view line = instead.substr(at, nl == std::string_view::npos ? nl : nl - at);
    at = nl == std::string_view::npos ? instead.size() : nl + 1;
    if (trim_space(line).starts_with("--")) continue;
    sql += std::string(line) + '\n';
  }
  std::string_view body = trim_space(sql);
  size_t ends = 0;
  char quote = 0;
  for (char c : body) {
    if (quote) {
      quote = c == quote ? 0 : quote;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ';') {
      ++ends;
    } else if (c == '<' || c == '{') {
      return {};  // a placeholder left for the reader: not something to apply
    }
  }
  if (body.empty() || ends != 1 || body.back() != ';') return {};
  return std::string(body);
}

json statement_fix(const Finding& f, const std::string& rel, std::string_view snippet) {
  std::string with = replacement_statement(f.instead);
  if (with.empty() || snippet.empty()) return nullptr;
  // The flagged statement's text may end before its semicolon.
  std::string_view was = trim_space(snippet);
  if (!was.ends_with(';') && with.back() == ';') with.pop_back();
  json deleted = {{"startLine", f.statement.start.line},
                  {"startColumn", f.statement.start.col},
                  {"endLine", f.statement.stop.line},
                  {"endColumn", f.statement.stop.col + 1}};
  json artifact = artifact_location(rel);
  return json::array(
      {{{"description", {{"text", "replace the statement with the safer form"}}},
        {"artifactChanges",
         json::array(
             {{{"artifactLocation", artifact},
               {"replacements", json::array({{{"deletedRegion", deleted},
                                              {"insertedContent", {{"text", with}}}}})}}})}}});
}

json location(const std::string& rel, Position start, Position end, std::string_view snippet) {
  json region = {{"startLine", start.line}, {"startColumn", start.col}};
  if (end.line >= start.line && end.line > 0) {
    region["endLine"] = end.line;
    region["endColumn"] = end.col + 1;  // SARIF end columns are exclusive
  }
  if (!snippet.empty()) region["snippet"] = {{"text", std::string(snippet)}};
  return {{"physicalLocation", {{"artifactLocation", artifact_location(rel)}, {"region", region}}}};
}

}  // namespace

void report_sarif(const CheckResult& r, const ReportContext& ctx, std::ostream& out) {
  json rules = json::array();
  std::map<std::string, size_t> index;
  if (ctx.packs)
    for (const auto& p : *ctx.packs)
      for (const auto& rule : p.rules) {
        if (index.count(rule.id)) continue;  // the same rule of another set's packs
        index[rule.id] = rules.size();
        rules.push_back(rule_descriptor(rule, ctx));
      }

  json results = json::array();
  std::vector<FindingIdentity> ids = finding_identities(r);
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const Finding& f = r.findings[i];
    const CheckedFile& file = r.files[f.file];
    std::string text = f.message;
    for (const auto& n : f.lines()) text += "\n" + n;
    if (!f.instead.empty()) text += "\ninstead:\n" + f.instead;
    json res;
    res["ruleId"] = f.rule_id;
    if (auto it = index.find(f.rule_id); it != index.end()) res["ruleIndex"] = it->second;
    res["level"] = level(f.severity);
    res["message"] = {{"text", text}};
    std::string_view snippet;
    if (file.source)
      snippet = std::string_view(file.source->text())
                    .substr(f.statement.begin, f.statement.end - f.statement.begin);
    Position end = f.statement.stop;
    // The identity already holds the path from the repository root: found once per file.
    res["locations"] = json::array({location(ids[i].path, f.at, end, snippet)});
    if (auto fix = statement_fix(f, ids[i].path, snippet); !fix.is_null())
      res["fixes"] = std::move(fix);
    // The same identity GitLab's fingerprint uses: path, rule, statement text, occurrence.
    res["partialFingerprints"] = {{"migsafeFinding/v1", ids[i].fingerprint}};
    results.push_back(std::move(res));
  }

  json notifications = json::array();
  for (const auto& p : r.problems) {
    json n = {{"level", "error"},
              {"message", {{"text", p.kind + ": " + p.message}}},
              {"descriptor", {{"id", p.kind}}}};
    if (p.pos.line)
      n["locations"] = json::array({location(repository_path(p.path), p.pos, {}, {})});
    else
      n["locations"] =
          json::array({{{"physicalLocation",
                         {{"artifactLocation", {{"uri", uri_of(repository_path(p.path))}}}}}}});
    notifications.push_back(std::move(n));
  }

  json run;
  run["tool"] = {{"driver",
                  {{"name", "migsafe"},
                   {"version", MIGSAFE_VERSION},
                   {"semanticVersion", MIGSAFE_VERSION},
                   {"rules", rules}}}};
  if (!r.database_error.empty())
    notifications.push_back({{"level", "error"},
                             {"message", {{"text", "database error: " + r.database_error}}},
                             {"descriptor", {{"id", "database-error"}}}});
  run["invocations"] =
      json::array({{{"executionSuccessful", r.problems.empty() && r.database_error.empty()},
                    {"toolExecutionNotifications", notifications}}});
  run["originalUriBaseIds"] = {
      {"%SRCROOT%",
       {{"description",
         {{"text",
           "The repository root (git's top level), or the directory migsafe ran in "
           "outside a repository."}}}}}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);
  run["properties"] = {{"dialect", dialect_name(ctx.options.dialect)},
                       {"targetVersion", ctx.options.version.display()},
                       {"transactions", transaction_mode_name(ctx.options.transactions)},
                       {"runners", runner_words(r, ctx)},
                       {"blocked", is_blocked(r, ctx.fail_on)}};

  json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = json::array({std::move(run)});
  out << doc.dump(2) << '\n';
}

}  // namespace migsafe
