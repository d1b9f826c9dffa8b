// GitLab Code Quality: the JSON array GitLab reads from artifacts:reports:codequality and shows in
// merge requests. Severities map as: info -> info, warning -> minor, error -> critical; what
// migsafe could not read or check (a syntax or input error) -> blocker.
#include <nlohmann/json.hpp>

#include "../inputs/sha256.hpp"
#include "fingerprint.hpp"
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

using json = nlohmann::ordered_json;

std::string_view gitlab_severity(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "minor";
    case Severity::error:
      return "critical";
  }
  return "minor";
}

json issue(std::string description, std::string check, std::string fingerprint,
           std::string_view severity, std::string path, uint32_t line) {
  json j;
  j["description"] = std::move(description);
  j["check_name"] = std::move(check);
  j["fingerprint"] = std::move(fingerprint);
  j["severity"] = severity;
  j["location"] = {{"path", std::move(path)}, {"lines", {{"begin", std::max<uint32_t>(line, 1)}}}};
  return j;
}

}  // namespace

void report_gitlab(const CheckResult& r, const ReportContext&, std::ostream& out) {
  json issues = json::array();
  std::vector<FindingIdentity> ids = finding_identities(r);
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const Finding& f = r.findings[i];
    issues.push_back(issue(f.message, f.rule_id, ids[i].fingerprint, gitlab_severity(f.severity),
                           ids[i].path, f.at.line));
  }
  // A file migsafe could not read or check blocks: it must not look like a clean one.
  for (const auto& p : r.problems) {
    std::string path = repository_path(p.path);
    std::string key = path + '\0' + p.kind + '\0' + p.message;
    issues.push_back(
        issue(p.kind + ": " + p.message, p.kind, sha256_hex(key), "blocker", path, p.pos.line));
  }
  out << issues.dump(2) << '\n';
}

}  // namespace migsafe
