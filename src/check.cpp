#include "migsafe/check.hpp"

#include <algorithm>

#include "migsafe/parse.hpp"

namespace migsafe {

std::string_view transaction_mode_name(TransactionMode m) {
  switch (m) {
    case TransactionMode::autocommit:
      return "autocommit";
    case TransactionMode::per_file:
      return "per-file";
    case TransactionMode::single_query:
      return "single-query";
  }
  return "autocommit";
}

std::optional<TransactionMode> parse_transaction_mode(std::string_view s) {
  if (s == "autocommit") return TransactionMode::autocommit;
  if (s == "per-file") return TransactionMode::per_file;
  if (s == "single-query") return TransactionMode::single_query;
  return std::nullopt;
}

size_t CheckResult::count(Severity s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [&](const Finding& f) { return f.severity == s; }));
}

CheckResult check_sets(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                       const CheckOptions& opt) {
  CheckResult r;
  for (const auto& set : sets) {
    SetAnalyzer analyzer(packs, opt);
    for (size_t i = 0; i < set.size(); ++i) {
      const auto& src = set[i];
      size_t file_index = r.files.size();
      analyzer.begin_file(*src, file_index, static_cast<int>(i));
      ParsedFile parsed =
          parse_each(opt.dialect, *src, [&](Statement& st) { analyzer.statement(st); });
      analyzer.end_file(parsed.comments, r.findings);
      for (const auto& e : parsed.syntax_errors)
        r.problems.push_back({src->path(), e.pos, e.message, "syntax-error"});
      r.files.push_back({src->path(), src, parsed.statements, true});
      r.statements += parsed.statements;
    }
  }
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.at.line != b.at.line) return a.at.line < b.at.line;
    return a.at.col < b.at.col;
  });
  return r;
}

CheckResult check_paths(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                        const CheckOptions& opt) {
  std::vector<SourceSet> sets;
  std::vector<InputProblem> problems;
  std::vector<MigrationSet> inputs;
  try {
    inputs = collect_inputs(paths);
  } catch (const InputError& e) {
    CheckResult r;
    r.problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
    return r;
  }
  for (const auto& in : inputs) {
    SourceSet set;
    for (const auto& f : in.files) {
      try {
        set.push_back(read_source(f));
      } catch (const InputError& e) {
        problems.push_back({e.path(), e.pos(), e.what(), "input-error"});
      }
    }
    sets.push_back(std::move(set));
  }
  CheckResult r = check_sets(sets, packs, opt);
  r.problems.insert(r.problems.begin(), problems.begin(), problems.end());
  return r;
}

}  // namespace migsafe
