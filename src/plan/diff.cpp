// Before and after, compared: which scans and indexes a query's plan gained or lost, how its
// estimated cost moved, and whether that is a regression.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "migsafe/plan.hpp"

namespace migsafe {
namespace {

void walk(const PlanNode& n, const std::function<void(const PlanNode&)>& f) {
  f(n);
  for (const auto& c : n.children) walk(c, f);
}

std::multiset<std::string> seq_scans(const PlanNode& root) {
  std::multiset<std::string> out;
  walk(root, [&](const PlanNode& n) {
    // PostgreSQL's sequential scan, MySQL's access type ALL.
    if ((n.type == "Seq Scan" || n.type == "Full Table Scan") && !n.relation.empty())
      out.insert(n.relation);
  });
  return out;
}

std::vector<std::string> indexes(const PlanNode& root) {
  std::set<std::string> out;
  walk(root, [&](const PlanNode& n) {
    if (!n.index.empty()) out.insert(n.index);
  });
  return {out.begin(), out.end()};
}

// What a plan is made of, without costs: its nodes, tables and indexes.
std::string shape(const PlanNode& n) {
  std::string s = n.type + "[" + n.relation + "|" + n.index + "](";
  for (const auto& c : n.children) s += shape(c) + ",";
  return s + ")";
}

TableSize size_of(const TableSizes& sizes, const std::string& table) {
  for (const auto& [name, size] : sizes)
    if (name == table) return size;
  return {};
}

bool big(const TableSize& s, const PlanThresholds& t) {
  return (s.rows >= 0 && s.rows >= t.rows) || (s.bytes >= 0 && s.bytes >= t.bytes);
}

std::string describe(const ScanOfTable& s) {
  if (s.rows < 0) return s.table + " (size unknown)";
  std::ostringstream o;
  o << s.table << " (" << static_cast<long long>(std::llround(s.rows)) << " rows, "
    << (s.bytes >= 0 ? std::to_string(s.bytes / (1024 * 1024)) + " MB" : "size unknown") << ")";
  return o.str();
}

std::string ratio_text(double r) {
  std::ostringstream o;
  o.precision(r >= 10 ? 0 : 2);
  o << std::fixed << r;
  return o.str();
}

std::string cost_text(double c) {
  std::ostringstream o;
  o.precision(2);
  o << std::fixed << c;
  return o.str();
}

}  // namespace

std::string_view plan_verdict_name(PlanVerdict v) {
  switch (v) {
    case PlanVerdict::regressed:
      return "regressed";
    case PlanVerdict::improved:
      return "improved";
    case PlanVerdict::unchanged:
      return "unchanged";
    case PlanVerdict::unplanned:
      return "unplanned";
  }
  return "unchanged";
}

QueryDiff diff_plans(const WorkloadQuery& q, const QueryPlan& before, const QueryPlan& after,
                     const TableSizes& sizes, const PlanThresholds& t) {
  QueryDiff d;
  d.query = q;
  d.before = before;
  d.after = after;
  if (!before.planned || !after.planned) {
    // A query that cannot be planned is reported, never dropped.
    d.verdict = PlanVerdict::unplanned;
    if (!before.planned) d.reasons.push_back("no plan before the migrations: " + before.error);
    if (!after.planned) d.reasons.push_back("no plan after the migrations: " + after.error);
    return d;
  }
  auto scans_before = seq_scans(before.root);
  auto scans_after = seq_scans(after.root);
  for (const auto& table : std::set<std::string>(scans_after.begin(), scans_after.end()))
    if (scans_after.count(table) > scans_before.count(table)) {
      TableSize s = size_of(sizes, table);
      d.new_seq_scans.push_back({table, s.rows, s.bytes});
    }
  for (const auto& table : std::set<std::string>(scans_before.begin(), scans_before.end()))
    if (scans_before.count(table) > scans_after.count(table)) {
      TableSize s = size_of(sizes, table);
      d.gone_seq_scans.push_back({table, s.rows, s.bytes});
    }
  d.indexes_before = indexes(before.root);
  d.indexes_after = indexes(after.root);
  d.shape_changed = shape(before.root) != shape(after.root);
  double cb = before.root.total_cost, ca = after.root.total_cost;
  d.cost_ratio = cb > 0 ? ca / cb : (ca > 0 ? INFINITY : 1);

  for (const auto& s : d.new_seq_scans)
    if (big({s.rows, s.bytes}, t)) d.reasons.push_back("a new sequential scan of " + describe(s));
  if (d.cost_ratio > t.max_cost_ratio)
    d.reasons.push_back("its estimated cost grows " + ratio_text(d.cost_ratio) + " times (" +
                        cost_text(cb) + " to " + cost_text(ca) + ", over the limit of " +
                        ratio_text(t.max_cost_ratio) + ")");
  if (!d.reasons.empty()) {
    d.verdict = PlanVerdict::regressed;
    return d;
  }
  bool cheaper = ca > 0 && cb / ca > t.max_cost_ratio;
  bool scan_gone =
      std::any_of(d.gone_seq_scans.begin(), d.gone_seq_scans.end(), [&](const ScanOfTable& s) {
        return big({s.rows, s.bytes}, t);
      });
  if (cheaper || scan_gone) {
    d.verdict = PlanVerdict::improved;
    for (const auto& s : d.gone_seq_scans)
      d.reasons.push_back("no more sequential scan of " + describe(s));
    if (cheaper)
      d.reasons.push_back("its estimated cost falls " + ratio_text(cb / ca) + " times (" +
                          cost_text(cb) + " to " + cost_text(ca) + ")");
    return d;
  }
  d.verdict = PlanVerdict::unchanged;
  if (d.shape_changed)
    d.reasons.push_back("its plan changed at a similar cost (" + cost_text(cb) + " to " +
                        cost_text(ca) + ")");
  return d;
}

size_t PlanRun::count(PlanVerdict v) const {
  return static_cast<size_t>(std::count_if(queries.begin(), queries.end(),
                                           [&](const QueryDiff& d) { return d.verdict == v; }));
}

}  // namespace migsafe
