// Loads a snapshot engine's module on first use (migsafe-pg-snapshot.so for PostgreSQL,
// migsafe-mysql-snapshot.so for MySQL and MariaDB), so that runs without --db never map libpq,
// libmysqlclient and their dependencies; and picks the engine from the DSN's scheme.
#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>

#include "migsafe/snapshot.hpp"
#include "snapshot/sqlite_copy.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

using ConnectFn = Snapshot* (*)(const std::string&, const SnapshotLimits&, std::string&);

// The loaded module: closed when the last snapshot object made by it is gone.
class Module {
 public:
  explicit Module(void* handle) : handle_(handle) {}
  ~Module() { dlclose(handle_); }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  void* symbol(const char* name) const { return dlsym(handle_, name); }

 private:
  void* handle_;
};

std::shared_ptr<Module> load_module(const char* kFile, const char* engine) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("MIGSAFE_MODULE_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path());
    dirs.push_back(exe.parent_path() / ".." / "lib" / "migsafe");
  }
  dirs.emplace_back(MIGSAFE_BUILD_MODULE_DIR);
  dirs.emplace_back(MIGSAFE_INSTALL_MODULE_DIR);
  std::string tried;
  for (const auto& d : dirs) {
    fs::path p = d / kFile;
    if (!fs::exists(p, ec)) continue;
    if (void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL)) return std::make_shared<Module>(h);
    tried += std::string(" (") + dlerror() + ")";
  }
  throw SnapshotError(std::string("the ") + engine + " snapshot module " + kFile +
                      " could not be loaded" +
                      (tried.empty() ? " (not found next to migsafe)" : tried));
}

// Keeps the module loaded for as long as the objects it made are alive.
class ModuleTracer : public StatementTracer {
 public:
  ModuleTracer(std::shared_ptr<Module> m, std::unique_ptr<StatementTracer> t)
      : inner_(std::move(t)), module_(std::move(m)) {}
  TraceResult trace(const Statement& st, const std::vector<std::string_view>& plan_texts) override {
    return inner_->trace(st, plan_texts);
  }
  QueryPlan explain(std::string_view query) override { return inner_->explain(query); }
  std::string index_method() const override { return inner_->index_method(); }

 private:
  std::unique_ptr<StatementTracer> inner_;  // destroyed before the module is closed
  std::shared_ptr<Module> module_;
};

class ModuleSnapshot : public Snapshot {
 public:
  ModuleSnapshot(std::shared_ptr<Module> m, std::unique_ptr<Snapshot> s)
      : inner_(std::move(s)), module_(std::move(m)) {}
  Dialect dialect() const override { return inner_->dialect(); }
  TargetVersion server_version() const override { return inner_->server_version(); }
  bool can_plan() const override { return inner_->can_plan(); }
  DataAnswer check_data(const DataQuestion& q) override { return inner_->check_data(q); }
  void load_schema(SchemaModel& model) override { inner_->load_schema(model); }
  bool superuser() const override { return inner_->superuser(); }
  PlanResult plan(std::string_view sql) override { return inner_->plan(sql); }
  std::vector<ObservedQuery> queries_using_index(std::string_view index) override {
    return inner_->queries_using_index(index);
  }
  std::unique_ptr<StatementTracer> begin_trace() override {
    return std::make_unique<ModuleTracer>(module_, inner_->begin_trace());
  }
  std::unique_ptr<StatementTracer> begin_plan_trace() override {
    return std::make_unique<ModuleTracer>(module_, inner_->begin_plan_trace());
  }
  ObservedQueries top_queries(int n) override { return inner_->top_queries(n); }

 private:
  std::unique_ptr<Snapshot> inner_;
  std::shared_ptr<Module> module_;
};

}  // namespace

std::optional<Dialect> dsn_dialect(std::string_view dsn) {
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://")) return Dialect::postgres;
  if (dsn.starts_with("mysql://")) return Dialect::mysql;
  if (dsn.starts_with("mariadb://")) return Dialect::mariadb;
  if (sqlite::dsn_path(dsn)) return Dialect::sqlite;
  // libpq's key=value form: host=... dbname=...
  if (dsn.find("://") == std::string_view::npos && dsn.find('=') != std::string_view::npos)
    return Dialect::postgres;
  return std::nullopt;
}

std::unique_ptr<Snapshot> connect_snapshot(const std::string& dsn, const SnapshotLimits& limits) {
  auto engine = dsn_dialect(dsn);
  if (!engine)
    throw SnapshotError(
        "the snapshot DSN names no engine migsafe reads: give postgresql://..., mysql://..., "
        "mariadb://... or sqlite:PATH");
  // SQLite is linked in already (the dry run): no module to load.
  if (*engine == Dialect::sqlite) return connect_sqlite_snapshot(*sqlite::dsn_path(dsn), limits);
  bool pg = *engine == Dialect::postgres;
  std::shared_ptr<Module> module = pg ? load_module("migsafe-pg-snapshot.so", "PostgreSQL")
                                      : load_module("migsafe-mysql-snapshot.so", "MySQL");
  const char* symbol = pg ? "migsafe_pg_connect" : "migsafe_mysql_connect";
  auto connect = reinterpret_cast<ConnectFn>(module->symbol(symbol));
  if (!connect) throw SnapshotError(std::string("the snapshot module has no ") + symbol);
  std::string error;
  std::unique_ptr<Snapshot> snapshot(connect(dsn, limits, error));
  if (!snapshot) throw SnapshotError(error);
  return std::make_unique<ModuleSnapshot>(module, std::move(snapshot));
}

}  // namespace migsafe
