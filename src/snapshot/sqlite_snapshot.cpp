// A SQLite snapshot: the user's database file, copied (sqlite_copy.hpp), is where every check
// runs the migration for real, statement by statement and timed. The copy's catalog gives the
// tables, columns and indexes (read back through migsafe's own SQLite front end, so the model
// sees them as it sees a migration's), row counts and sizes; EXPLAIN QUERY PLAN gives the plans.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "migsafe/inputs.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/sandbox.hpp"
#include "migsafe/snapshot.hpp"
#include "snapshot/sqlite_copy.hpp"
#include "snapshot/sqlite_handle.hpp"
#include "snapshot/sqlite_schema_text.hpp"

namespace migsafe {
namespace {

// CREATE VIRTUAL TABLE: a module's table (FTS, R*Tree), not one the model tracks.
bool virtual_table(const std::string& sql) {
  std::string head = ascii_lower(sql.substr(0, 32));
  size_t at = head.find_first_not_of(" \t\r\n");
  if (at == std::string::npos || head.compare(at, 6, "create") != 0) return false;
  at = head.find_first_not_of(" \t\r\n", at + 6);
  return at != std::string::npos && head.compare(at, 7, "virtual") == 0;
}

// One SELECT, VALUES or WITH ... SELECT, as the front end reads it.
bool is_query(std::string_view sql) {
  auto src = make_source("query", std::string(sql));
  size_t statements = 0;
  bool query = true;
  ParsedFile parsed = parse_each(Dialect::sqlite, *src, [&](Statement& st) {
    ++statements;
    query = query && st.node != "pragma" && !st.ops.empty() &&
            std::all_of(st.ops.begin(), st.ops.end(),
                        [](const Operation& o) { return o.kind == OpKind::select; });
  });
  return query && statements == 1 && parsed.syntax_errors.empty();
}

// A number SQLite gave as text; nullopt for anything else (sqlite_stat1 may hold any text).
std::optional<double> number(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str()) return std::nullopt;
  return v;
}

// Row counts and sizes of the copy's tables as they were before the migration ran, by lower-case
// name: what size-aware verdicts and plans are judged by.
using Sizes = std::map<std::string, TableStats>;

// One line of EXPLAIN QUERY PLAN, read into a plan node: SCAN t, SCAN t USING [COVERING] INDEX i,
// SEARCH t USING [COVERING] INDEX i (a=?), SEARCH t USING INTEGER PRIMARY KEY (rowid=?), and
// the rest (temporary B-trees, subqueries, compound queries) by their own words. SQLite gives no
// costs: a node's cost is the rows it reads, by the copy's row counts.
PlanNode plan_node(const std::string& detail, const Sizes& sizes,
                   const std::map<std::string, std::string>& aliases) {
  PlanNode n;
  n.type = detail;
  std::vector<std::string> w;
  for (size_t i = 0; i < detail.size();) {
    size_t j = detail.find(' ', i);
    if (j == std::string::npos) j = detail.size();
    if (j > i) w.push_back(detail.substr(i, j - i));
    i = j + 1;
  }
  if (w.size() < 2 || (w[0] != "SCAN" && w[0] != "SEARCH")) return n;
  if (w[1] == "CONSTANT" || w[1] == "SUBQUERY") return n;
  n.relation = w[1];
  // A statement that names main.t is planned as "SCAN main.t": the same table.
  if (n.relation.size() > 5 && ascii_lower(n.relation.substr(0, 5)) == "main.")
    n.relation = n.relation.substr(5);
  if (auto a = aliases.find(ascii_lower(n.relation)); a != aliases.end()) n.relation = a->second;
  size_t k = 2;
  if (k + 1 < w.size() && w[k] == "AS") k += 2;  // an alias: the table is still w[1]
  double rows = -1;
  if (auto it = sizes.find(ascii_lower(n.relation)); it != sizes.end()) rows = it->second.rows;
  bool by_index = k + 1 < w.size() && w[k] == "USING";
  std::string index;
  if (by_index) {
    size_t at = k + 1;
    if (at < w.size() && w[at] == "COVERING") ++at;
    if (at + 1 < w.size() && w[at] == "INDEX") index = w[at + 1];
    if (at + 2 < w.size() && w[at] == "INTEGER" && w[at + 1] == "PRIMARY") index = "";
  }
  if (w[0] == "SCAN") {
    n.type = by_index ? "Full Index Scan" : "Full Table Scan";
    n.rows = std::max(rows, 0.0);
    n.total_cost = n.rows;
  } else {
    n.type = index.empty() ? "Rowid Search" : "Index Search";
    n.rows = 1;
    n.total_cost = rows > 1 ? std::log2(rows) : 1;
  }
  n.index = index;
  return n;
}

// The plan of one statement on the copy, as a tree (EXPLAIN QUERY PLAN, which never runs it).
struct Explained {
  bool planned = false;
  PlanNode root;
  std::string document;
  std::string error;
};

// EXPLAIN QUERY PLAN names a table by its alias (UPDATE orders AS o: "SCAN o"): the aliases the
// statement gives tables the copy has.
std::map<std::string, std::string> aliases_of(std::string_view sql, const Sizes& sizes) {
  std::map<std::string, std::string> out;
  auto w = sqlite::words_in_order(sql);
  for (size_t i = 0; i + 2 < w.size(); ++i)
    if (w[i + 1] == "as" && sizes.count(w[i]) && !sizes.count(w[i + 2])) out[w[i + 2]] = w[i];
  return out;
}

Explained explain_on(sqlite::Handle& db, std::string_view sql, const Sizes& sizes) {
  Explained out;
  std::map<std::string, std::string> aliases = aliases_of(sql, sizes);
  std::vector<sqlite::Row> rows;
  if (auto err = db.exec("EXPLAIN QUERY PLAN " + std::string(sql), &rows)) {
    out.error = "SQLite could not plan it: " + err->message;
    return out;
  }
  out.planned = true;
  out.root.type = "Query";
  nlohmann::json doc = nlohmann::json::array();
  // id -> the node's place; parents come before their children in SQLite's output.
  std::map<long, std::vector<size_t>> path;
  for (const auto& r : rows) {
    if (r.size() < 4 || !r[0] || !r[1] || !r[3]) continue;
    long id = std::stol(*r[0]), parent = std::stol(*r[1]);
    doc.push_back({{"id", id}, {"parent", parent}, {"detail", *r[3]}});
    PlanNode* at = &out.root;
    std::vector<size_t> where;
    if (auto it = path.find(parent); it != path.end()) {
      for (size_t i : it->second) at = &at->children[i];
      where = it->second;
    }
    at->children.push_back(plan_node(*r[3], sizes, aliases));
    where.push_back(at->children.size() - 1);
    path[id] = where;
  }
  // A node's cost includes its children's, as the other engines' plans do.
  std::function<double(PlanNode&)> total = [&](PlanNode& n) {
    for (auto& c : n.children) n.total_cost += total(c);
    return n.total_cost;
  };
  total(out.root);
  out.document = doc.dump();
  return out;
}

PlanResult plan_result(sqlite::Handle& db, std::string_view sql, const Sizes& sizes) {
  PlanResult p;
  Explained e = explain_on(db, sql, sizes);
  p.planned = e.planned;
  p.error = e.error;
  std::function<void(const PlanNode&)> walk = [&](const PlanNode& n) {
    if (n.type == "Full Table Scan" && !n.relation.empty())
      p.seq_scans.push_back({n.relation, n.rows});
    for (const auto& c : n.children) walk(c);
  };
  walk(e.root);
  return p;
}

// Runs the migration on the copy: each statement as written (its BEGIN and COMMIT too), timed,
// under the statement limit the snapshot set on the connection.
class CopyTracer : public StatementTracer {
 public:
  CopyTracer(sqlite::Handle& db, const Sizes& sizes) : db_(db), sizes_(sizes) {}

  TraceResult trace(const Statement& st, const std::vector<std::string_view>& plan_texts) override {
    TraceResult t;
    for (auto text : plan_texts) t.plans.push_back(plan_result(db_, text, sizes_));
    SandboxVerdict v = judge_sqlite(st);
    if (v.action != SandboxAction::run) {
      t.traced = false;
      t.refused = v.action == SandboxAction::refuse;
      t.note = v.reason;
      return t;
    }
    std::vector<sqlite::Row> rows;
    auto start = std::chrono::steady_clock::now();
    auto err = db_.exec(v.sql, v.returns_rows ? &rows : nullptr);
    t.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (err && err->over_limit()) {
      // migsafe's own limits on the copy, not SQLite judging the migration.
      t.traced = false;
      t.incomplete = true;
      t.note =
          "it went past what migsafe lets a statement use on the copy (" +
          std::string(err->code == SQLITE_FULL ? "the copy's growth limit" : "1 GiB of memory") +
          "): SQLite said \"" + err->message + "\"";
      return t;
    }
    if (err) {
      t.failure = err->interrupted() ? TraceResult::Failure::statement_timeout
                                     : TraceResult::Failure::rejected;
      t.error = err->message;
      return t;
    }
    // PRAGMA foreign_key_check answers with the rows that break a foreign key (table, rowid,
    // parent, constraint index) instead of failing.
    bool fk_check = st.node == "pragma" && !st.ops.empty() &&
                    ascii_lower(st.ops[0].object) == "foreign_key_check";
    if (fk_check && !rows.empty()) {
      const auto& r = rows.front();
      auto at = [&](size_t i) { return i < r.size() && r[i] ? *r[i] : std::string("?"); };
      t.failure = TraceResult::Failure::rejected;
      t.error = "PRAGMA foreign_key_check reports " + std::to_string(rows.size()) +
                (rows.size() == 1 ? " row" : " rows") + " whose parent row is missing, e.g. " +
                at(0) + " rowid " + at(1) + " references " + at(2);
    }
    return t;
  }

  QueryPlan explain(std::string_view query) override {
    QueryPlan q;
    // Some pragmas act while SQLite prepares them, EXPLAIN or not (ignore_check_constraints in
    // a workload file let the migration's CHECK violation pass): only queries are planned.
    if (!is_query(query)) {
      q.refused = true;
      q.error = "only queries are planned (SELECT, VALUES, WITH ... SELECT), one per entry";
      return q;
    }
    Explained e = explain_on(db_, query, sizes_);
    q.planned = e.planned;
    q.root = std::move(e.root);
    q.document = std::move(e.document);
    q.error = std::move(e.error);
    q.generic =
        query.find('?') != std::string_view::npos || query.find('$') != std::string_view::npos;
    return q;
  }

  std::string index_method() const override { return "copy"; }

 private:
  sqlite::Handle& db_;
  const Sizes& sizes_;
};

class SqliteSnapshot : public Snapshot {
 public:
  SqliteSnapshot(const std::string& path, const SnapshotLimits& limits)
      : limits_(limits), copy_(path), db_(copy_.path(), SQLITE_OPEN_READWRITE) {
    db_.set_limit(std::chrono::milliseconds(limits.statement_timeout_ms));
    if (auto err = db_.exec("SELECT count(*) FROM sqlite_schema"))
      throw SnapshotError("cannot read the SQLite database " + path + ": " + err->message);
    read_sizes();
    cap_growth();
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  TargetVersion server_version() const override { return linked_sqlite_version(); }
  bool superuser() const override { return false; }
  bool traces_every_check() const override { return true; }
  bool can_plan() const override { return true; }

  void load_schema(SchemaModel& model) override {
    std::vector<sqlite::Row> rows;
    if (auto err = db_.exec(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE "
            "'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid",
            &rows))
      throw SnapshotError("cannot read the SQLite database's schema: " + err->message);
    // The schema as SQLite stores it, read by the same front end as a migration, one entry at
    // a time: an entry is one statement (a stored text may end in a comment, and a crafted
    // file may hold more than one), and one migsafe cannot read is an error, never a table
    // left out of the model.
    SchemaModel scratch;
    std::vector<std::string> tables;
    for (const auto& r : rows) {
      if (!r[0] || !r[1] || !r[2]) continue;
      const std::string &type = *r[0], &name = *r[1];
      bool is_table = type == "table" && !virtual_table(*r[2]);
      auto src = make_source(copy_.original() + " (schema of " + name + ")", *r[2]);
      size_t statements = 0;
      ParsedFile parsed = parse_each(Dialect::sqlite, *src, [&](Statement& st) {
        ++statements;
        for (const auto& op : st.ops) scratch.apply(op, -1, -1);
      });
      if (!parsed.syntax_errors.empty() || statements != 1)
        throw SnapshotError("the SQLite database's schema entry for " + type + " " + name +
                            " is not one statement migsafe can read" +
                            (parsed.syntax_errors.empty()
                                 ? std::string()
                                 : ": " + parsed.syntax_errors.front().message));
      if (is_table) tables.push_back(name);
    }
    for (const auto& name : tables) {
      const TableInfo* t = scratch.find({"", name});
      if (!t)
        throw SnapshotError("the SQLite database's table " + name +
                            " could not be read into migsafe's schema model");
      TableInfo copy = *t;
      if (auto it = sizes_.find(ascii_lower(name)); it != sizes_.end()) copy.stats = it->second;
      model.add_existing_table(std::move(copy));
    }
  }

  PlanResult plan(std::string_view sql) override { return plan_result(db_, sql, sizes_); }

  DataAnswer check_data(const DataQuestion&) override {
    // Not asked: the migration runs on the copy, and the rows that make a change fail make
    // SQLite reject it there (engine-rejects, with SQLite's message).
    DataAnswer a;
    a.error = "SQLite answers by running the change on the copy";
    return a;
  }
  std::vector<ObservedQuery> queries_using_index(std::string_view) override { return {}; }

  std::unique_ptr<StatementTracer> begin_trace() override {
    return std::make_unique<CopyTracer>(db_, sizes_);
  }
  std::unique_ptr<StatementTracer> begin_plan_trace() override { return begin_trace(); }

  ObservedQueries top_queries(int) override {
    ObservedQueries q;
    q.unavailable =
        "SQLite keeps no statistics of the statements applications run: give the workload "
        "with --queries";
    return q;
  }

 private:
  // Rows by COUNT(*), bytes from dbstat where SQLite was built with it, else the file's pages
  // shared out by rows.
  void read_sizes() {
    std::vector<sqlite::Row> names;
    db_.exec(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
        "'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL",
        &names);
    // One statement limit for all of it: a crafted file can make every count as slow as the
    // limit allows. A table not counted in time is taken as big (its rows unknown), never as
    // small: sqlite_stat1 may be old, or say anything.
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.statement_timeout_ms);
    auto left = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
    };
    bool dbstat = !db_.exec("SELECT 1 FROM dbstat LIMIT 1");
    double all_rows = 0;
    for (const auto& r : names) {
      if (!r[0] || !r[1] || virtual_table(*r[1])) continue;
      const std::string& name = *r[0];
      TableStats s;
      s.rows_note = "rows not counted within the statement limit";
      if (left().count() > 0) {
        db_.set_limit(left());
        if (auto n = number(db_.one("SELECT count(*) FROM " + quote_sql_ident(name)))) {
          s.rows = *n;
          s.rows_note.clear();
        }
      }
      if (dbstat && left().count() > 0) {
        db_.set_limit(left());
        if (auto b = number(db_.one("SELECT sum(pgsize) FROM dbstat WHERE name = ?1", {name})))
          s.bytes = static_cast<int64_t>(*b);
      }
      all_rows += std::max(0.0, s.rows);
      sizes_[ascii_lower(name)] = s;
    }
    db_.set_limit(std::chrono::milliseconds(limits_.statement_timeout_ms));
    if (dbstat || all_rows <= 0) return;
    auto pages = number(db_.one("PRAGMA page_count")), size = number(db_.one("PRAGMA page_size"));
    if (!pages || !size) return;
    double file = *pages * *size;
    for (auto& [name, s] : sizes_)
      s.bytes = static_cast<int64_t>(file * std::max(0.0, s.rows) / all_rows);
  }

  // The copy may grow by twice its size plus 1 GiB (a rebuild of its biggest table fits), and
  // the temporary database as much: past that a statement fails with SQLITE_FULL, a limit of
  // migsafe's, not a verdict on the migration.
  // (The bytes the copy holds on disk count, not its page count: a sparse file may claim
  // terabytes.)
  void cap_growth() {
    double pages = number(db_.one("PRAGMA page_count")).value_or(0);
    double page = number(db_.one("PRAGMA page_size")).value_or(4096);
    double held = static_cast<double>(copy_.bytes_on_disk());
    long long cap = static_cast<long long>(pages + (2 * held + 1024.0 * 1024 * 1024) / page);
    for (const char* schema : {"main", "temp"})
      db_.exec_trusted("PRAGMA " + std::string(schema) +
                       ".max_page_count = " + std::to_string(cap));
  }

  SnapshotLimits limits_;
  sqlite::Copy copy_;
  sqlite::Handle db_;
  Sizes sizes_;
};

}  // namespace

std::unique_ptr<Snapshot> connect_sqlite_snapshot(const std::string& path,
                                                  const SnapshotLimits& limits) {
  try {
    return std::make_unique<SqliteSnapshot>(path, limits);
  } catch (const SnapshotError&) {
    throw;
  } catch (const std::exception& e) {
    throw SnapshotError("cannot open the copy of the SQLite database " + path + ": " + e.what());
  }
}

}  // namespace migsafe
