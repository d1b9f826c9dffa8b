// SQLite dry run: every statement of a migration runs on the real SQLite library, with no
// database from the user. The schema the earlier statements built is kept as SQLite's own
// CREATE texts (sqlite_schema_text.hpp); each statement runs in a scratch in-memory database
// holding only what it needs, built from those texts, where tables that existed before the file
// hold one row (SQLite refuses some ADD COLUMN forms only on tables with rows). What SQLite
// rejects is reported with SQLite's own message. Nothing outside the scratch database is ever
// touched: ATTACH, VACUUM and extension loading are refused.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>

#include "migsafe/ir.hpp"
#include "migsafe/snapshot.hpp"
#include "snapshot/sqlite_handle.hpp"
#include "snapshot/sqlite_schema_text.hpp"

namespace migsafe {
namespace {

// Statements worth running: schema changes and data changes. Transaction control, VACUUM,
// PRAGMA and queries are not (the dry run manages its own transaction).
bool runnable(const Statement& st) {
  for (const auto& op : st.ops) {
    switch (op.kind) {
      case OpKind::create_table:
      case OpKind::create_table_as:
      case OpKind::create_index:
      case OpKind::create_view:
      case OpKind::create_trigger:
      case OpKind::add_column:
      case OpKind::drop_column:
      case OpKind::rename_column:
      case OpKind::rename_table:
      case OpKind::drop_table:
      case OpKind::drop_index:
      case OpKind::drop_view:
      case OpKind::drop_other:
      case OpKind::insert:
      case OpKind::update:
      case OpKind::delete_rows:
        continue;
      default:
        return false;
    }
  }
  return !st.ops.empty();
}

bool alters_table(const Statement& st) {
  return std::any_of(st.ops.begin(), st.ops.end(), [](const Operation& o) {
    return o.kind == OpKind::add_column || o.kind == OpKind::drop_column ||
           o.kind == OpKind::rename_column || o.kind == OpKind::rename_table;
  });
}

// One scratch database and what of the schema text it holds. Past kMaxEntries it is written
// back and a fresh one is opened, so that SQLite's whole-schema work per ALTER stays bounded.
class Scratch {
 public:
  static constexpr size_t kMaxEntries = 32;

  explicit Scratch(sqlite::SchemaText& schema)
      : schema_(schema), db_(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY) {}

  sqlite::Handle& db() { return db_; }
  size_t size() const { return present_.size(); }
  bool has(const std::string& k) {
    if (present_.count(k)) return true;
    if (db_.one("SELECT 1 FROM sqlite_schema WHERE lower(name) = ?1", {k})) {
      present_.insert(k);
      return true;
    }
    return false;
  }

  // Creates what the statement needs from the schema text: tables first (then a row in those
  // that have rows, before their triggers exist), indexes, views, triggers.
  void bring(const std::vector<std::string>& primary, const std::vector<std::string>& support) {
    auto entries = schema_.closure(primary, support, present_);
    std::vector<std::string> seeded;
    bool triggers = false;
    for (const sqlite::SchemaEntry* e : entries) {
      if (e->type == "trigger" && !triggers) {
        for (const auto& t : seeded) seed_row(t);
        seeded.clear();
        triggers = true;
      }
      db_.exec(e->sql);
      present_.insert(ascii_lower(e->name));
      from_text_.insert(ascii_lower(e->name));
      if (e->type == "table" && e->has_rows) seeded.push_back(e->name);
    }
    for (const auto& t : seeded) seed_row(t);
  }

  void stub(const std::string& table, const std::set<std::string>& columns) {
    std::string ddl = "CREATE TABLE " + quote_sql_ident(table) + " (";
    bool first = true;
    for (const auto& c : columns) {
      ddl += (first ? "" : ", ") + quote_sql_ident(c);
      first = false;
    }
    db_.exec(ddl + ")");
    seed_row(table);
    present_.insert(ascii_lower(table));
    stubs_.insert(ascii_lower(table));
  }
  bool is_stub(const std::string& k) const { return stubs_.count(k) > 0; }

  // Writes what the database now holds back into the schema text: changed texts replace the
  // old, and what was brought in but is gone (dropped, renamed) leaves it. every_table_has_rows:
  // the file is over, and its tables exist before the next one.
  void write_back(bool every_table_has_rows) {
    std::vector<sqlite::Row> rows;
    db_.exec(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT "
        "LIKE 'sqlite\\_%' ESCAPE '\\'",
        &rows);
    std::unordered_set<std::string> now;
    for (const auto& r : rows) {
      if (r.size() < 4 || !r[0] || !r[1] || !r[2] || !r[3]) continue;
      std::string k = ascii_lower(*r[1]);
      now.insert(k);
      if (stubs_.count(k)) continue;
      sqlite::SchemaEntry e;
      e.type = *r[0];
      e.name = *r[1];
      e.table = ascii_lower(*r[2]);
      e.sql = *r[3];
      if (e.type == "table")
        e.has_rows = every_table_has_rows ||
                     db_.one("SELECT 1 FROM " + quote_sql_ident(e.name) + " LIMIT 1").has_value();
      schema_.put(std::move(e));
    }
    for (const auto& k : from_text_)
      if (!now.count(k)) schema_.erase(k);
  }

 private:
  // One row in every column that has no default (an INSERT of DEFAULT VALUES first).
  void seed_row(const std::string& table) {
    if (!db_.exec("INSERT INTO " + quote_sql_ident(table) + " DEFAULT VALUES")) return;
    std::vector<sqlite::Row> cols;
    db_.exec("SELECT name, upper(type) FROM pragma_table_info(?1) WHERE dflt_value IS NULL", &cols,
             {table});
    std::string names, values;
    for (const auto& c : cols) {
      if (c.size() < 2 || !c[0]) continue;
      std::string type = c[1].value_or("");
      auto has = [&](const char* w) { return type.find(w) != std::string::npos; };
      std::string v = has("INT")                                  ? "1"
                      : has("CHAR") || has("TEXT") || has("CLOB") ? "'x'"
                      : has("BLOB")                               ? "x'00'"
                      : has("REAL") || has("FLOA") || has("DOUB") ? "1.0"
                                                                  : "1";
      names += (names.empty() ? "" : ", ") + quote_sql_ident(*c[0]);
      values += (values.empty() ? "" : ", ") + v;
    }
    if (!names.empty())
      db_.exec("INSERT INTO " + quote_sql_ident(table) + " (" + names + ") VALUES (" + values +
               ")");
  }

  sqlite::SchemaText& schema_;
  sqlite::Handle db_;
  std::unordered_set<std::string> present_;    // in the database, lower-case
  std::unordered_set<std::string> from_text_;  // brought in from the schema text
  std::unordered_set<std::string> stubs_;      // made up: the migrations never created them
};

class SqliteDryRun : public StatementProbe {
 public:
  void begin_file() override {}

  std::optional<Rejection> run(const Statement& st) override {
    if (!runnable(st)) return std::nullopt;
    Scratch& s = scratch();
    prepare(s, st);
    auto err = s.db().exec(std::string(st.text));
    if (!err) return std::nullopt;
    // A missing table or column is the model's gap (a stub), never the migration's fault.
    const std::string& msg = err->message;
    // ("error in index x after drop column: no such column" is SQLite refusing the change.)
    // A stub only has the columns the statement named; an attached database or a collation the
    // application registers is not there either.
    bool stubbed = std::any_of(st.ops.begin(), st.ops.end(), [&](const Operation& o) {
      return s.is_stub(ascii_lower(o.table.name));
    });
    bool model_gap = msg.rfind("no such table", 0) == 0 || msg.rfind("no such column", 0) == 0 ||
                     msg.rfind("no such index", 0) == 0 || msg.rfind("unknown database", 0) == 0 ||
                     msg.rfind("no such collation sequence", 0) == 0 ||
                     msg.rfind("no such function", 0) == 0 ||
                     (stubbed && (msg.find(" columns but ") != std::string::npos ||
                                  msg.find("has no column named") != std::string::npos));
    if (model_gap) return std::nullopt;
    // The seeded rows are made up: a data change that trips a constraint on them says nothing
    // about the real data.
    bool data_change = std::all_of(st.ops.begin(), st.ops.end(), [](const Operation& o) {
      return o.kind == OpKind::insert || o.kind == OpKind::update || o.kind == OpKind::delete_rows;
    });
    if (data_change && msg.find("constraint failed") != std::string::npos) return std::nullopt;
    uint32_t at = st.span.begin;
    if (err->offset >= 0 && static_cast<size_t>(err->offset) < st.text.size())
      at += static_cast<uint32_t>(err->offset);
    // Said as what happened: on tables of one row each, the statement's own work ran past the
    // dry run's limit (or past the memory migsafe gives SQLite), which no data explains.
    if (err->interrupted())
      return Rejection{at,
                       "it did not finish within the dry run's 2 s limit, on tables of one "
                       "row each: its own work (a recursive query, a huge value) is that slow"};
    if (err->over_limit())
      return Rejection{at, "it went past what the dry run lets a statement use (" + msg + ")"};
    return Rejection{at, msg};
  }

  // The file is over: what it built goes into the schema text, and its tables count as existing
  // (with a row) for the next file.
  void end_file() override {
    if (!scratch_) return;
    scratch_->write_back(true);
    scratch_.reset();
  }

 private:
  Scratch& scratch() {
    if (scratch_ && scratch_->size() > Scratch::kMaxEntries) {
      scratch_->write_back(false);
      scratch_.reset();
    }
    if (!scratch_) scratch_ = std::make_unique<Scratch>(schema_);
    return *scratch_;
  }

  // Brings in what the statement names from the schema text (what it acts on in full, what it
  // only reads for compiling), and stubs the tables it acts on that nothing created.
  void prepare(Scratch& s, const Statement& st) {
    std::vector<std::string> primary, support;
    for (const auto& op : st.ops)
      for (const std::string* n : {&op.table.name, &op.object, &op.new_name})
        if (!n->empty()) primary.push_back(ascii_lower(*n));
    for (const auto& w : sqlite::words_of(st.text))
      if (schema_.find(w)) support.push_back(w);
    if (alters_table(st))
      for (auto& d : schema_.dangling()) support.push_back(std::move(d));
    s.bring(primary, support);
    for (const auto& op : st.ops) {
      if (op.kind == OpKind::create_table || op.kind == OpKind::create_table_as ||
          op.kind == OpKind::create_view || op.table.name.empty())
        continue;
      if (s.has(ascii_lower(op.table.name))) continue;
      std::set<std::string> cols{"id"};
      if (!op.column.empty() && op.kind != OpKind::add_column) cols.insert(op.column);
      if (op.index)
        for (const auto& c : op.index->columns) cols.insert(c);
      s.stub(op.table.name, cols);
    }
  }

  sqlite::SchemaText schema_;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace

std::unique_ptr<StatementProbe> make_sqlite_dry_run() {
  return std::make_unique<SqliteDryRun>();
}

TargetVersion linked_sqlite_version() {
  int v = sqlite3_libversion_number();  // e.g. 3040001
  return TargetVersion{v / 1000000, (v / 1000) % 1000};
}

}  // namespace migsafe
