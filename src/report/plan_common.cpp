#include "plan_common.hpp"

#include <cmath>
#include <set>
#include <sstream>

namespace migsafe::plan_report {
namespace {

std::string signature(const PlanNode& n) {
  return n.type + "|" + n.relation + "|" + n.index;
}

void signatures(const PlanNode& n, std::multiset<std::string>& out) {
  out.insert(signature(n));
  for (const auto& c : n.children) signatures(c, out);
}

// HypoPG names its hypothetical indexes "<oid>btree_table_column".
std::string index_text(const std::string& index) {
  size_t close = index.find('>');
  if (index.starts_with('<') && close != std::string::npos)
    return index.substr(close + 1) + " (hypothetical)";
  return index;
}

std::string node_text(const PlanNode& n) {
  std::string s = n.type;
  if (!n.index.empty()) s += " using " + index_text(n.index);
  if (!n.relation.empty()) s += " on " + n.relation;
  return s;
}

void lines(const PlanNode& n, int depth, std::multiset<std::string>& other, bool compare,
           std::vector<TreeLine>& out) {
  TreeLine l;
  l.text = std::string(static_cast<size_t>(depth) * 2, ' ') + (depth ? "-> " : "") + node_text(n);
  l.cost = n.total_cost;
  if (compare) {
    auto it = other.find(signature(n));
    if (it == other.end())
      l.changed = true;
    else
      other.erase(it);  // each node of the other side matches once
  }
  out.push_back(std::move(l));
  for (const auto& c : n.children) lines(c, depth + 1, other, compare, out);
}

}  // namespace

std::vector<TreeLine> tree_lines(const PlanNode& plan, const PlanNode* other) {
  std::multiset<std::string> theirs;
  if (other) signatures(*other, theirs);
  std::vector<TreeLine> out;
  lines(plan, 0, theirs, other != nullptr, out);
  return out;
}

std::string cost(double c) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(2);
  o << c;
  return o.str();
}

std::string ratio(double r) {
  if (std::isinf(r)) return "×∞";
  // A cost that falls reads as a division: "÷5955" rather than "×0.00".
  bool falls = r > 0 && r < 1;
  double v = falls ? 1 / r : r;
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(v >= 10 ? 0 : 2);
  o << v;
  return (falls ? "÷" : "×") + o.str();
}

std::string one_line(const std::string& sql, size_t max) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  while (!out.empty() && out.back() == ';') out.pop_back();
  if (out.size() > max) {
    size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::string summary_line(const PlanRun& run) {
  std::string s = "migsafe plan";
  if (!run.server.empty()) s += " · " + run.server;
  s += " · " + std::to_string(run.queries.size()) +
       (run.queries.size() == 1 ? " query" : " queries");
  if (run.index_method == "hypothetical")
    s += " · new indexes hypothetical (HypoPG)";
  else if (run.index_method == "ignore-index")
    s += " · dropped indexes ignored (IGNORE INDEX)" +
         (run.not_simulated.empty()
              ? std::string()
              : ", " + std::to_string(run.not_simulated.size()) +
                    (run.not_simulated.size() == 1 ? " statement" : " statements") +
                    " not simulated");
  else if (run.index_method == "copy")
    s += " · migrations applied to a copy of the database";
  else if (!run.index_method.empty())
    s += " · migrations applied in a rolled-back transaction";
  s += " · " + std::to_string(run.count(PlanVerdict::regressed)) + " regressed, " +
       std::to_string(run.count(PlanVerdict::improved)) + " improved, " +
       std::to_string(run.count(PlanVerdict::unchanged)) + " unchanged";
  if (size_t n = run.count(PlanVerdict::unplanned)) s += ", " + std::to_string(n) + " unplanned";
  if (run.stopped)
    s += " · the migrations stopped at " + run.stopped->path + ":" +
         std::to_string(run.stopped->pos.line);
  s += run.regressed() ? " · blocked" : run.problems.empty() ? " · passed" : " · incomplete";
  return s;
}

}  // namespace migsafe::plan_report
