// Plan inspection on MySQL / MariaDB: the workload's plans on the snapshot (EXPLAIN FORMAT=JSON
// in a READ ONLY transaction, never run), before the migration and after it. Neither server can
// hide an index without DDL, so a dropped index is simulated by an IGNORE INDEX hint on every
// reference to its table; the migration's other changes are not simulated, and are said so.
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "migsafe/sandbox.hpp"
#include "parse/mysql_lexer.hpp"
#include "snapshot/mysql_trace.hpp"

namespace migsafe::mysql_snapshot {
namespace {

std::string upper(std::string_view s) {
  return mysql::ascii_upper(s);
}

double number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      return std::stod(v.get<std::string>());
    } catch (...) {
    }
  }
  return 0;
}

std::string access_name(const std::string& type) {
  static const std::map<std::string, std::string> names = {{"ALL", "Full Table Scan"},
                                                           {"index", "Full Index Scan"},
                                                           {"range", "Index Range Scan"},
                                                           {"ref", "Index Lookup"},
                                                           {"eq_ref", "Unique Lookup"},
                                                           {"const", "Constant Lookup"},
                                                           {"system", "Constant Lookup"},
                                                           {"ref_or_null", "Index Lookup"},
                                                           {"fulltext", "Fulltext Search"},
                                                           {"index_merge", "Index Merge"},
                                                           {"unique_subquery", "Unique Subquery"},
                                                           {"index_subquery", "Index Subquery"}};
  auto it = names.find(type);
  return it == names.end() ? type : it->second;
}

// Operations that have a plan node of their own; everything else is looked into.
const std::map<std::string, std::string>& operations() {
  static const std::map<std::string, std::string> ops = {
      {"nested_loop", "Nested Loop"},
      {"ordering_operation", "Sort"},
      {"filesort", "Sort"},
      {"grouping_operation", "Group"},
      {"duplicates_removal", "Distinct"},
      {"temporary_table", "Temporary Table"},
      {"read_sorted_file", "Read Sorted"},
      {"union_result", "Union"},
      {"materialized_from_subquery", "Materialize"},
      {"attached_subqueries", "Subqueries"},
      {"subqueries", "Subqueries"},
      {"query_block", "Query Block"}};
  return ops;
}

void build(const nlohmann::json& j, PlanNode& parent);

void build_member(const std::string& key, const nlohmann::json& v, PlanNode& parent) {
  if (!v.is_object() && !v.is_array()) return;
  auto op = operations().find(key);
  if (op == operations().end()) {
    build(v, parent);
    return;
  }
  PlanNode n;
  n.type = op->second;
  if (v.is_object() && v.contains("cost_info") && v["cost_info"].is_object())
    for (const char* k : {"query_cost", "sort_cost", "prefix_cost"})
      if (v["cost_info"].contains(k)) n.total_cost = number(v["cost_info"][k]);
  build(v, n);
  parent.children.push_back(std::move(n));
}

void build(const nlohmann::json& j, PlanNode& parent) {
  if (j.is_array()) {
    for (const auto& e : j) build(e, parent);
    return;
  }
  if (!j.is_object()) return;
  if (j.contains("table_name") && j["table_name"].is_string()) {
    PlanNode n;
    n.relation = j["table_name"].get<std::string>();
    n.type = access_name(j.value("access_type", std::string()));
    if (j.contains("key") && j["key"].is_string()) n.index = j["key"].get<std::string>();
    for (const char* k : {"rows", "rows_examined_per_scan"})
      if (j.contains(k)) n.rows = number(j[k]);
    if (j.contains("cost_info") && j["cost_info"].is_object()) {
      const auto& c = j["cost_info"];
      for (const char* k : {"read_cost", "prefix_cost"})
        if (c.contains(k)) n.total_cost = number(c[k]);
    } else if (j.contains("cost")) {
      n.total_cost = number(j["cost"]);
    }
    for (const auto& [k, v] : j.items())
      if (k != "table_name" && (v.is_object() || v.is_array())) build_member(k, v, n);
    parent.children.push_back(std::move(n));
    return;
  }
  for (const auto& [k, v] : j.items()) build_member(k, v, parent);
}

// The tables the query names, where: each reference, with its alias.
struct TableRef {
  std::string table;
  std::string alias;
  uint32_t after = 0;  // the offset after the alias (or the name), where a hint goes
};

class PlanSession : public StatementTracer {
 public:
  PlanSession(const ServerFacts& server, std::set<std::string> tables)
      : server_(server),
        session_(server.dsn, server.dsn_text, server.dsn.database, server.limits),
        tables_(std::move(tables)) {
    session_.limit(server.dialect == Dialect::mariadb, server.limits);
    session_.exec("SET SESSION TRANSACTION READ ONLY");
  }

  // The migration's statements: a dropped index is hidden from the plans after it; nothing
  // else is simulated.
  TraceResult trace(const Statement& st, const std::vector<std::string_view>&) override {
    TraceResult t;
    bool simulated = !st.ops.empty();
    for (const Operation& op : st.ops) {
      if (op.kind == OpKind::drop_index && !op.table.name.empty() && !op.object.empty())
        hidden_[op.table.name].insert(op.object);
      else
        simulated = false;
    }
    if (!simulated) {
      t.traced = false;
      t.note =
          "not simulated on MySQL: plans after the migration see the snapshot without this "
          "change (only dropped indexes are, with IGNORE INDEX)";
    } else {
      t.note = "the plans after it ignore the dropped index (IGNORE INDEX)";
      t.adapted = true;
    }
    return t;
  }

  QueryPlan explain(std::string_view query) override {
    QueryPlan p;
    std::string sql = bind_placeholders(std::string(query), p.generic);
    MysqlSandboxContext ctx;
    ctx.snapshot_db = server_.dsn.database;
    ctx.scratch_db = server_.dsn.database;
    ctx.databases = server_.databases;
    ctx.snapshot_reads = true;
    ctx.mariadb = target().mariadb;
    ctx.version = target().version;
    MysqlSandboxVerdict v = judge_mysql(sql, ctx);
    std::string first = first_word(sql);
    if (v.action != SandboxAction::run || (first != "SELECT" && first != "WITH")) {
      p.refused = true;
      p.error = v.action == SandboxAction::run ? "only queries (SELECT, WITH) are planned"
                                               : "the sandbox refused it: " + v.reason;
      return p;
    }
    std::vector<TableRef> refs = table_refs(sql);
    std::map<std::string, std::string> alias_of;
    for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
      alias_of[it->alias.empty() ? it->table : it->alias] = it->table;
      auto h = hidden_.find(it->table);
      if (h == hidden_.end()) continue;
      std::string hint = " IGNORE INDEX (";
      bool first_index = true;
      for (const auto& i : h->second) {
        hint += (first_index ? "" : ", ") + quote_ident(i);
        first_index = false;
      }
      sql.insert(it->after, hint + ")");
    }
    try {
      session_.exec("START TRANSACTION READ ONLY");
      auto r = session_.rows("EXPLAIN FORMAT=JSON " + sql);
      session_.rollback();
      if (r.empty() || r[0].empty() || !r[0][0]) {
        p.error = "the server gave no plan";
        return p;
      }
      p.document = *r[0][0];
      p.root = plan_tree(p.document);
      name_tables(p.root, alias_of);
      if (std::string used = uses_hidden(p.root); !used.empty()) {
        p.error = "the plan still uses " + used +
                  ", which the migration drops: migsafe could not place IGNORE INDEX in this "
                  "query";
        return p;
      }
      p.planned = true;
    } catch (const SnapshotError& e) {
      session_.rollback();
      std::string what = e.what();
      if (what.starts_with("the snapshot connection was lost")) throw;
      p.error = what;
    }
    return p;
  }

  std::string index_method() const override { return "ignore-index"; }

 private:
  std::string first_word(const std::string& sql) const {
    size_t i = sql.find_first_not_of(" \t\r\n(");
    size_t j = i == std::string::npos ? i : sql.find_first_of(" \t\r\n(", i);
    return i == std::string::npos ? "" : upper(sql.substr(i, j - i));
  }

  // Statement digests have '?' where the constants were: '0' (1 after LIMIT or OFFSET) stands
  // in, which any column type compares with; a digest's "(...)" list becomes ('0').
  std::string bind_placeholders(std::string sql, bool& generic) const {
    mysql::Splitter split(sql, target());
    mysql::RawStatement st;
    if (!split.next(st)) return sql;
    std::string out;
    uint32_t at = 0;
    std::string previous;
    for (size_t i = 0; i < st.tokens.size(); ++i) {
      const mysql::Token& t = st.tokens[i];
      std::string_view s = mysql::token_text(sql, t);
      if (t.kind == mysql::Tok::punct && s == "?") {
        out += sql.substr(at, t.offset - at);
        out += previous == "LIMIT" || previous == "OFFSET" || previous == "," ? "1" : "'0'";
        at = t.offset + 1;
        generic = true;
      }
      previous = t.kind == mysql::Tok::word ? upper(s) : std::string(s);
    }
    out += sql.substr(at);
    size_t dots;
    while ((dots = out.find("(...)")) != std::string::npos) {
      out.replace(dots, 5, "('0')");
      generic = true;
    }
    return out;
  }

  mysql::ServerTarget target() const {
    return mysql::server_target(server_.dialect, &server_.version);
  }

  // Each table reference of a FROM list or a JOIN: the name, then an optional alias.
  std::vector<TableRef> table_refs(const std::string& sql) const {
    static const std::set<std::string> not_alias = {
        "WHERE",         "JOIN",    "INNER",  "LEFT",      "RIGHT", "CROSS",
        "STRAIGHT_JOIN", "NATURAL", "ON",     "USING",     "GROUP", "ORDER",
        "LIMIT",         "HAVING",  "WINDOW", "UNION",     "FOR",   "LOCK",
        "USE",           "IGNORE",  "FORCE",  "PARTITION", "INTO",  "EXCEPT",
        "INTERSECT",     "FULL",    "OUTER",  "SET",       "AS",    "STRAIGHT_JOIN"};
    std::vector<TableRef> out;
    mysql::Splitter split(sql, target());
    mysql::RawStatement st;
    if (!split.next(st)) return out;
    const auto& tk = st.tokens;
    auto word = [&](size_t i) {
      return i < tk.size() && tk[i].kind == mysql::Tok::word ? upper(mysql::token_text(sql, tk[i]))
                                                             : std::string();
    };
    auto is_name = [&](size_t i) {
      return i < tk.size() && (tk[i].kind == mysql::Tok::word || tk[i].kind == mysql::Tok::ident);
    };
    auto punct = [&](size_t i, char c) {
      return i < tk.size() && tk[i].kind == mysql::Tok::punct && sql[tk[i].offset] == c;
    };
    auto name = [&](size_t i) {
      std::string s(mysql::token_text(sql, tk[i]));
      if (tk[i].kind == mysql::Tok::ident) s = s.substr(1, s.size() - 2);
      return s;
    };
    std::vector<bool> in_from(1, false);
    for (size_t i = 0; i < tk.size(); ++i) {
      if (punct(i, '(')) in_from.push_back(false);
      if (punct(i, ')') && in_from.size() > 1) in_from.pop_back();
      std::string w = word(i);
      if (w == "FROM") in_from.back() = true;
      if (w == "WHERE" || w == "GROUP" || w == "ORDER" || w == "HAVING" || w == "LIMIT" ||
          w == "WINDOW" || w == "UNION" || w == "SELECT")
        in_from.back() = false;
      bool starts =
          w == "FROM" || w == "JOIN" || w == "STRAIGHT_JOIN" || (punct(i, ',') && in_from.back());
      if (!starts || !is_name(i + 1)) continue;
      size_t n = i + 1;
      if (punct(n + 1, '.') && is_name(n + 2)) {
        if (name(n) != server_.dsn.database) continue;
        n += 2;
      }
      TableRef ref;
      ref.table = name(n);
      if (!tables_.count(ref.table)) continue;
      size_t last = n;
      if (word(n + 1) == "AS" && is_name(n + 2))
        last = n + 2;
      else if (is_name(n + 1) && !not_alias.count(word(n + 1)))
        last = n + 1;
      if (last != n) ref.alias = name(last);
      ref.after = tk[last].offset + tk[last].length;
      out.push_back(ref);
    }
    return out;
  }

  // EXPLAIN names a table by its alias: the plan shows the table.
  static void name_tables(PlanNode& n, const std::map<std::string, std::string>& alias_of) {
    if (auto it = alias_of.find(n.relation); it != alias_of.end()) n.relation = it->second;
    for (auto& c : n.children) name_tables(c, alias_of);
  }

  std::string uses_hidden(const PlanNode& n) const {
    if (auto h = hidden_.find(n.relation); h != hidden_.end() && h->second.count(n.index))
      return n.index + " on " + n.relation;
    for (const auto& c : n.children)
      if (std::string u = uses_hidden(c); !u.empty()) return u;
    return {};
  }

  ServerFacts server_;
  Session session_;
  std::set<std::string> tables_;
  std::map<std::string, std::set<std::string>> hidden_;  // table -> dropped indexes
};

bool has_costs(const PlanNode& n) {
  if (n.total_cost > 0) return true;
  for (const auto& c : n.children)
    if (has_costs(c)) return true;
  return false;
}

// MariaDB's EXPLAIN FORMAT=JSON gives no costs: the rows the plan reads stand in (a table's
// estimated rows, times the rows of the tables before it in a nested loop).
double row_costs(PlanNode& n) {
  double own = n.relation.empty() ? 0 : std::max(1.0, n.rows);
  double children = 0, outer = 1;
  for (auto& c : n.children) {
    double cost = row_costs(c);
    children += n.type == "Nested Loop" ? outer * cost : cost;
    if (n.type == "Nested Loop") outer *= std::max(1.0, c.rows);
  }
  n.total_cost = own + children;
  if (n.type == "Nested Loop" || n.rows == 0) n.rows = n.relation.empty() ? outer : n.rows;
  return n.total_cost;
}

}  // namespace

PlanNode plan_tree(const std::string& document) {
  PlanNode root;
  root.type = "Query";
  nlohmann::json j = nlohmann::json::parse(document, nullptr, false);
  if (j.is_discarded()) return root;
  build(j, root);
  if (!has_costs(root)) row_costs(root);
  // The query block is the root when it is the only thing there.
  if (root.children.size() == 1) {
    PlanNode only = std::move(root.children[0]);
    return only;
  }
  return root;
}

std::unique_ptr<StatementTracer> make_mysql_plan_session(const ServerFacts& server,
                                                         std::set<std::string> tables) {
  return std::make_unique<PlanSession>(server, std::move(tables));
}

}  // namespace migsafe::mysql_snapshot
