// SQLite dry run: every statement of a migration runs on the real SQLite library against a
// scratch in-memory database that mirrors the schema migsafe has replayed. Whatever SQLite
// rejects is reported with SQLite's own message. Nothing outside that scratch database is ever
// touched: ATTACH, VACUUM and extension loading are refused.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "migsafe/snapshot.hpp"

namespace migsafe {
namespace {

class Db {
 public:
  Db() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
        SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    sqlite3_set_authorizer(db_, &Db::authorize, nullptr);
    sqlite3_progress_handler(db_, 10000, &Db::progress, this);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  bool ok() const { return db_ != nullptr; }

  // Runs one statement; returns SQLite's error and its offset in sql, if any.
  std::optional<std::pair<int, std::string>> exec(const std::string& sql) {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc == SQLITE_OK && stmt) {
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      }
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    std::optional<std::pair<int, std::string>> err;
    if (rc != SQLITE_OK)
      err = std::make_pair(sqlite3_error_offset(db_), std::string(sqlite3_errmsg(db_)));
    sqlite3_finalize(stmt);
    return err;
  }

  bool has_table(const std::string& name) {
    sqlite3_stmt* stmt = nullptr;
    const char* q = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND lower(name) = lower(?1)";
    if (sqlite3_prepare_v2(db_, q, -1, &stmt, nullptr) != SQLITE_OK) return false;
    sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
  }

  struct Column {
    std::string name, type;
    bool not_null, has_default;
  };
  std::vector<Column> columns(const std::string& table) {
    std::vector<Column> out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(
            db_,
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL FROM pragma_table_info(?1)", -1,
            &stmt, nullptr) != SQLITE_OK)
      return out;
    sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      auto text = [&](int i) {
        const unsigned char* t = sqlite3_column_text(stmt, i);
        return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
      };
      out.push_back(
          {text(0), text(1), sqlite3_column_int(stmt, 2) != 0, sqlite3_column_int(stmt, 3) != 0});
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  // Only the scratch database: no ATTACH (it would open files), no pragmas that touch files.
  static int authorize(void*, int action, const char*, const char*, const char*, const char*) {
    return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
  }
  static int progress(void* self) {
    return std::chrono::steady_clock::now() > static_cast<Db*>(self)->deadline_ ? 1 : 0;
  }

  sqlite3* db_ = nullptr;
  std::chrono::steady_clock::time_point deadline_;
};

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

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

class SqliteDryRun : public StatementProbe {
 public:
  void begin_file() override {
    created_here_.clear();
    applied_.clear();
    db_.exec("SAVEPOINT migsafe_file");
  }

  std::optional<Rejection> run(const Statement& st) override {
    if (!db_.ok() || !runnable(st)) return std::nullopt;
    bool stubbed = ensure_tables(st);
    auto err = db_.exec(std::string(st.text));
    if (!err) {
      applied_.push_back(std::string(st.text));
      for (const auto& op : st.ops)
        if (op.kind == OpKind::create_table || op.kind == OpKind::create_table_as)
          created_here_.insert(op.table.name);
      return std::nullopt;
    }
    // A missing table or column is the model's gap (a stub), never the migration's fault.
    const std::string& msg = err->second;
    // ("error in index x after drop column: no such column" is SQLite refusing the change.)
    // A stub only has the columns the statement named; an attached database or a collation the
    // application registers is not there either.
    bool model_gap = msg.rfind("no such table", 0) == 0 || msg.rfind("no such column", 0) == 0 ||
                     msg.rfind("no such index", 0) == 0 || msg.rfind("unknown database", 0) == 0 ||
                     msg.rfind("no such collation sequence", 0) == 0 ||
                     msg.rfind("no such function", 0) == 0 ||
                     (touches_stub(st) && (msg.find(" columns but ") != std::string::npos ||
                                           msg.find("has no column named") != std::string::npos));
    if (model_gap) return std::nullopt;
    // The seeded rows are made up: a data change that trips a constraint on them says nothing
    // about the real data.
    bool data_change = std::all_of(st.ops.begin(), st.ops.end(), [](const Operation& o) {
      return o.kind == OpKind::insert || o.kind == OpKind::update || o.kind == OpKind::delete_rows;
    });
    if (data_change && msg.find("constraint failed") != std::string::npos) return std::nullopt;
    (void)stubbed;
    uint32_t at = st.span.begin;
    if (err->first >= 0 && static_cast<size_t>(err->first) < st.text.size())
      at += static_cast<uint32_t>(err->first);
    return Rejection{at, msg};
  }

  void end_file() override {
    // Undo the file, then replay what it did (for the next file's view of the schema); tables
    // it created now count as existing, so they get a row too.
    db_.exec("ROLLBACK TO migsafe_file");
    db_.exec("RELEASE migsafe_file");
    for (const auto& sql : applied_) db_.exec(sql);
    for (const auto& t : created_here_) seed_row(t);
  }

 private:
  // Creates stub tables for the tables a statement acts on that the scratch database lacks.
  bool ensure_tables(const Statement& st) {
    bool stubbed = false;
    for (const auto& op : st.ops) {
      if (op.kind == OpKind::create_table || op.kind == OpKind::create_table_as ||
          op.kind == OpKind::create_view || op.table.name.empty())
        continue;
      if (db_.has_table(op.table.name) || created_here_.count(op.table.name)) continue;
      std::set<std::string> cols{"id"};
      if (!op.column.empty() && op.kind != OpKind::add_column) cols.insert(op.column);
      if (op.index)
        for (const auto& c : op.index->columns) cols.insert(c);
      std::string ddl = "CREATE TABLE " + quote_ident(op.table.name) + " (";
      bool first = true;
      for (const auto& c : cols) {
        ddl += (first ? "" : ", ") + quote_ident(c);
        first = false;
      }
      ddl += ")";
      db_.exec(ddl);
      seed_row(op.table.name);
      stubs_.insert(op.table.name);
      stubbed = true;
    }
    return stubbed;
  }

  // SQLite raises some ADD COLUMN errors only when the table has rows: give it one.
  void seed_row(const std::string& table) {
    if (!db_.exec("INSERT INTO " + quote_ident(table) + " DEFAULT VALUES")) return;
    std::string names, values;
    for (const auto& c : db_.columns(table)) {
      if (c.has_default) continue;
      std::string type = c.type;
      for (char& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string v =
          type.find("INT") != std::string::npos ? "1"
          : type.find("CHAR") != std::string::npos || type.find("TEXT") != std::string::npos ||
                  type.find("CLOB") != std::string::npos
              ? "'x'"
          : type.find("BLOB") != std::string::npos ? "x'00'"
          : type.find("REAL") != std::string::npos || type.find("FLOA") != std::string::npos ||
                  type.find("DOUB") != std::string::npos
              ? "1.0"
              : "1";
      names += (names.empty() ? "" : ", ") + quote_ident(c.name);
      values += (values.empty() ? "" : ", ") + v;
    }
    if (!names.empty())
      db_.exec("INSERT INTO " + quote_ident(table) + " (" + names + ") VALUES (" + values + ")");
  }

  bool touches_stub(const Statement& st) const {
    return std::any_of(st.ops.begin(), st.ops.end(),
                       [&](const Operation& o) { return stubs_.count(o.table.name) > 0; });
  }

  Db db_;
  std::set<std::string> stubs_;  // tables made up because the migrations never created them
  std::set<std::string> created_here_;
  std::vector<std::string> applied_;
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
