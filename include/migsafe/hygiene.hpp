// The hygiene pack's checks of a whole file rather than a statement: the header comment and the
// down part. Their rules (severity, docs) live in rules/hygiene.yaml; these say where they fire,
// and fire only when that pack is active.
#pragma once

#include <functional>
#include <map>
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
  // golang-migrate, sqlx, Flyway: the set's down files by version (down_file_version), read
  // when first asked for. For Flyway an empty index means the team writes no undo migrations.
  std::function<const std::map<std::string, std::string>&()> down_files;
};

// Whether the packs hold a rule of a whole file (the hygiene pack's): otherwise file_hygiene
// has nothing to do.
bool has_file_rules(const std::vector<Pack>& packs);

// The version a down (or up) migration's name starts with, as its runner pairs them:
// golang-migrate and sqlx "000001_x.down.sql" -> "1"; Flyway "U1_1__x.sql" -> "1.1" (an
// underscore is a dot, leading zeros do not count). Empty for a name that is no down file.
std::string down_file_version(Layout runner, std::string_view file_name);
// The same for an up migration's name (V1__x.sql, 1_x.up.sql).
std::string up_file_version(Layout runner, std::string_view file_name);

// migration-header and missing-down findings for one up migration.
std::vector<Finding> file_hygiene(const std::vector<Pack>& packs, const CheckOptions& opt,
                                  const FileHygieneInput& in);

}  // namespace migsafe
