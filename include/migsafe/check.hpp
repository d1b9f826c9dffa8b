// The pipeline end to end: inputs -> IR -> schema replay -> effects -> rules -> findings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migsafe/effects.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {

struct FindingEffect {
  std::string table;
  LockMode lock = LockMode::none;
  bool blocks_reads = false;
  bool blocks_writes = false;
  bool rewrite = false;
  bool scan = false;
  std::vector<TableLock> other_locks;
};

struct Finding {
  std::string rule_id;
  Severity severity = Severity::warning;
  size_t file = 0;  // index into CheckResult::files
  Span statement;   // the whole statement
  Position at;      // where the operation starts
  std::string title;
  std::string message;
  std::vector<std::string> notes;  // "lock: ...", "rewrite: ..." in plain words
  std::string instead;
  std::string docs;
  std::optional<FindingEffect> effect;
};

struct CheckedFile {
  std::string path;
  std::shared_ptr<const SourceText> source;
  size_t statements = 0;
  bool reported = true;  // false for files only replayed into the schema model
};

struct InputProblem {
  std::string path;
  Position pos;
  std::string message;
  std::string kind;  // "syntax-error", "input-error"
};

enum class TransactionMode { autocommit };
std::string_view transaction_mode_name(TransactionMode m);

struct CheckOptions {
  Dialect dialect = Dialect::postgres;
  TargetVersion version = default_target_version(Dialect::postgres);
  TransactionMode transactions = TransactionMode::autocommit;
};

struct CheckResult {
  std::vector<CheckedFile> files;
  std::vector<Finding> findings;
  std::vector<InputProblem> problems;  // any of these makes the exit status 2
  size_t statements = 0;
  size_t count(Severity s) const;
};

// One migration set: files in order; earlier files feed the schema model of later ones.
using SourceSet = std::vector<std::shared_ptr<const SourceText>>;

CheckResult check_sets(const std::vector<SourceSet>& sets, const std::vector<Pack>& packs,
                       const CheckOptions& opt);
// Reads and checks the user's PATH arguments. Unreadable inputs become problems, not exceptions.
CheckResult check_paths(const std::vector<std::string>& paths, const std::vector<Pack>& packs,
                        const CheckOptions& opt);

// Analysis of one parsed migration set (the rules engine): appends findings.
void analyze_set(const std::vector<Migration>& migrations, const std::vector<Pack>& packs,
                 const CheckOptions& opt, size_t first_file_index, std::vector<Finding>& out);

}  // namespace migsafe
