// Inline suppressions: "-- migsafe:ignore rule-id[,rule-id] reason" on the line above a
// statement or at its end; "-- migsafe:ignore-file rule-id reason" for the whole file; and
// squawk's "-- squawk-ignore rule" / "-- squawk-ignore-file rule" so teams keep theirs.
#pragma once

#include <string>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

struct Suppression {
  uint32_t offset = 0;  // where the comment starts
  std::vector<std::string> rule_ids;
  std::string reason;
  int statement = -1;       // index of the statement it applies to, -1 if none follows
  bool whole_file = false;  // migsafe:ignore-file / squawk-ignore-file
  bool foreign = false;     // another tool's comment (squawk-ignore): no reason expected
  bool used = false;
};

// Where a statement is, as much as suppressions need: kept for every statement of a file, so
// it stays small (a file can hold hundreds of thousands).
struct StatementPlace {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t last_line = 0;
};

// places: the file's statements in order.
std::vector<Suppression> find_suppressions(const SourceText& src,
                                           const std::vector<Comment>& comments,
                                           const std::vector<StatementPlace>& places);

}  // namespace migsafe
