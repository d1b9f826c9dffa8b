// The hygiene pack's checks of a whole file rather than a statement: the header comment and the
// down part. Their rules (severity, docs) live in rules/hygiene.yaml; these say where they fire,
// and fire only when that pack is active.
#pragma once

#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/runner.hpp"

namespace migsafe {

struct FileHygieneInput {
  const SourceText& src;  // the file as written
  const FilePlan& up;     // how its runner applies it going up
  Layout runner = Layout::plain;
  Dialect dialect = Dialect::postgres;
  size_t file_index = 0;
  // Flyway: the folder holds undo migrations (U files), so the team writes them.
  bool flyway_undo = false;
};

// migration-header and missing-down findings for one up migration.
std::vector<Finding> file_hygiene(const std::vector<Pack>& packs, const CheckOptions& opt,
                                  const FileHygieneInput& in);

}  // namespace migsafe
