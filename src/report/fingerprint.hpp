// Stable identities of findings, for dashboards that follow them from run to run (GitLab Code
// Quality, SARIF's partialFingerprints). A finding is its file's path from the repository root,
// its rule, its statement's text with the white space collapsed, and an occurrence number among
// identical statements of the file: never a line number, so an edit above a statement keeps the
// identity of its findings.
#pragma once

#include <string>
#include <vector>

#include "migsafe/check.hpp"

namespace migsafe {

struct FindingIdentity {
  std::string path;         // from the repository root ('/' separators), or as given outside one
  std::string fingerprint;  // 64 hex digits
};

// One per finding of r, in the same order.
std::vector<FindingIdentity> finding_identities(const CheckResult& r);
// A path as the repository root (the nearest folder above the working directory holding .git)
// sees it; outside a repository, relative to the working directory.
std::string repository_path(const std::string& path);

}  // namespace migsafe
