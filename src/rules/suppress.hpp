// Inline suppressions: "-- migsafe:ignore rule-id[,rule-id] reason" on the line above a
// statement or at its end.
#pragma once

#include <string>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

struct Suppression {
  uint32_t offset = 0;  // where the comment starts
  std::vector<std::string> rule_ids;
  std::string reason;
  int statement = -1;  // index of the statement it applies to, -1 if none follows
  bool used = false;
};

// spans: the file's statements in order.
std::vector<Suppression> find_suppressions(const SourceText& src,
                                           const std::vector<Comment>& comments,
                                           const std::vector<Span>& spans);

}  // namespace migsafe
