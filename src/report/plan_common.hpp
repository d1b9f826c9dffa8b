// What the plan reporters share: a plan tree as indented lines with the nodes that differ from
// the other side marked, numbers as people read them, and the run's summary line.
#pragma once

#include <string>
#include <vector>

#include "migsafe/plan.hpp"

namespace migsafe::plan_report {

struct TreeLine {
  std::string text;  // indented: "  -> Index Scan using orders_customer_idx on orders"
  double cost = 0;
  bool changed = false;  // no node like it (type, table, index) on the other side
};
// The tree of `plan`, each node marked when `other` has no node like it.
std::vector<TreeLine> tree_lines(const PlanNode& plan, const PlanNode* other);
std::string cost(double c);
std::string ratio(double r);
std::string one_line(const std::string& sql, size_t max = 100);
// "migsafe plan · PostgreSQL 15 · 3 queries · indexes: hypothetical (HypoPG) · 1 regressed, ..."
std::string summary_line(const PlanRun& run);

}  // namespace migsafe::plan_report
