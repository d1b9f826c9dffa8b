// Which migrations to report and whether the set is intact: git changes and migsafe.sum.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

// Files of a migration set compared with a git revision.
struct GitChanges {
  std::set<std::string> added;     // absolute paths: new since REF (committed or not, untracked)
  std::set<std::string> modified;  // absolute paths: existed at REF and differ now
};
// Runs git in the folder; an unknown revision or a folder outside a repository throws
// InputError with git's message.
GitChanges git_changes_since(const std::string& dir, const std::string& ref);

// migsafe.sum: one line per migration, each hash covering its file and every file before it,
// so two branches that each add a migration conflict in git.
constexpr const char* kSumFile = "migsafe.sum";

struct SumLine {
  std::string path;        // relative to the folder, '/' separators
  std::string file_hash;   // SHA-256 of the file's bytes, hex
  std::string cumulative;  // SHA-256 over the previous line's cumulative hash, path and file hash
};
std::vector<SumLine> compute_sum(const std::string& dir, const std::vector<std::string>& files);
std::string format_sum(const std::vector<SumLine>& lines);
// Parses a migsafe.sum; a malformed line is an InputError with its line number.
std::vector<SumLine> parse_sum(const std::string& path, const std::string& text);

struct SumProblem {
  std::string path;       // the migration (relative) the problem is about
  uint32_t sum_line = 0;  // line of migsafe.sum it concerns, 0 when none
  std::string message;
};
std::vector<SumProblem> verify_sum(const std::vector<SumLine>& recorded,
                                   const std::vector<SumLine>& actual);

}  // namespace migsafe
