#include "helpers.hpp"

#include <gtest/gtest.h>

#include "migsafe/effects.hpp"
#include "migsafe/snapshot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace migsafe::test {
namespace fs = std::filesystem;

const std::vector<Pack>& shipped_postgres_packs() {
  // As the product loads them: the core pack beside the dialect's.
  static const std::vector<Pack> packs{
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/core.yaml"),
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/postgres.yaml")};
  return packs;
}

const std::vector<Pack>& all_postgres_packs() {
  static const std::vector<Pack> packs{
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/core.yaml"),
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/postgres.yaml"),
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/postgres-style.yaml")};
  return packs;
}

CheckResult check_files(const std::vector<std::string>& files, int pg_major,
                        const std::vector<Pack>* packs) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source("m" + std::to_string(i + 1) + ".sql", files[i]));
  CheckOptions opt;
  opt.version = TargetVersion{pg_major, 0};
  return check_sets({set}, packs ? *packs : shipped_postgres_packs(), opt);
}

std::vector<std::string> rule_ids_in_last_file(const CheckResult& r) {
  std::vector<std::string> ids;
  for (const auto& f : r.findings)
    if (f.file + 1 == r.files.size()) ids.push_back(f.rule_id);
  return ids;
}

size_t count_rule(const CheckResult& r, std::string_view id) {
  size_t n = 0;
  for (const auto& f : r.findings)
    if (f.rule_id == id) ++n;
  return n;
}

bool has_rule(const CheckResult& r, std::string_view id) {
  return find_finding(r, id) != nullptr;
}

const Finding* find_finding(const CheckResult& r, std::string_view id) {
  for (const auto& f : r.findings)
    if (f.rule_id == id) return &f;
  return nullptr;
}

const std::vector<Pack>& sqlite_packs() {
  static const std::vector<Pack> packs{
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/core.yaml"),
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/sqlite.yaml")};
  return packs;
}

CheckResult check_sqlite(const std::vector<std::string>& files) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source("m" + std::to_string(i + 1) + ".sql", files[i]));
  CheckOptions opt;
  opt.dialect = Dialect::sqlite;
  opt.version = linked_sqlite_version();
  return check_sets({set}, sqlite_packs(), opt);
}

const std::vector<Pack>& mysql_packs() {
  static const std::vector<Pack> packs{
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/core.yaml"),
      load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/mysql.yaml")};
  return packs;
}

CheckResult check_mysql(const std::vector<std::string>& files, Dialect flavor,
                        std::string_view version) {
  SourceSet set;
  for (size_t i = 0; i < files.size(); ++i)
    set.push_back(make_source("m" + std::to_string(i + 1) + ".sql", files[i]));
  CheckOptions opt;
  opt.dialect = flavor;
  opt.version = version.empty() ? default_target_version(flavor)
                                : parse_target_version(flavor, version).value();
  return check_sets({set}, mysql_packs(), opt);
}

StatementDdl predict_ddl(const std::string& setup, const std::string& alter, Dialect flavor,
                         TargetVersion v, bool foreign_key_checks) {
  SchemaModel model;
  Migration s = parse_migration(flavor, make_source("s.sql", setup), &v);
  for (const auto& st : s.statements)
    for (const auto& op : st.ops) model.apply(op, -1, -1);
  Migration m = parse_migration(flavor, make_source("m.sql", alter), &v);
  EXPECT_TRUE(m.syntax_errors.empty()) << alter << ": " << m.syntax_errors[0].message;
  if (m.statements.empty()) return {};
  std::vector<Effect> effects;
  for (const auto& op : m.statements.back().ops)
    effects.push_back(compute_effect(flavor, op, model, v, {foreign_key_checks}));
  return combine_ddl(effects);
}

Migration parse_pg(const std::string& sql) {
  return parse_postgres(make_source("t.sql", sql));
}

std::optional<MysqlServer> mysql_server() {
  const char* env = std::getenv("MIGSAFE_TEST_MYSQL");
  if (!env || !*env) return std::nullopt;
  std::vector<std::string> f;
  std::stringstream ss(env);
  for (std::string part; std::getline(ss, part, ':');) f.push_back(part);
  if (f.size() != 5) return std::nullopt;
  return MysqlServer{f[0], f[1], f[2], f[3], f[4]};
}

namespace {
// The folders this test process made, removed when it exits (each test runs in a process of
// its own, and thousands of folders were left behind in the temporary folder per suite run).
class TempDirs {
 public:
  TempDirs() = default;
  TempDirs(const TempDirs&) = delete;
  TempDirs& operator=(const TempDirs&) = delete;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& p : made_) fs::remove_all(p, ec);  // what cannot go stays; no test fails
  }
  fs::path make() {
    std::lock_guard lock(mu_);
    fs::path p = fs::temp_directory_path() / ("migsafe-test-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(made_.size()));
    fs::remove_all(p);
    fs::create_directories(p);
    made_.push_back(p);
    return p;
  }

 private:
  std::mutex mu_;
  std::vector<fs::path> made_;
};

TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace

std::string temp_dir() {
  return temp_dirs().make().string();
}

void write_file(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}
}  // namespace

CommandResult run_migsafe(const std::vector<std::string>& args, const std::string& stdin_file,
                          const std::string& cwd) {
  std::string dir = temp_dir();
  std::string cmd =
      (cwd.empty() ? std::string() : "cd " + quote(cwd) + " && ") + quote(MIGSAFE_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(dir + "/out") + " 2>" + quote(dir + "/err");
  cmd += " <" + quote(stdin_file.empty() ? "/dev/null" : stdin_file);
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(dir + "/out");
  r.err = read_file(dir + "/err");
  fs::remove_all(dir);
  return r;
}

bool shared_dir_available() {
  return fs::is_directory(shared_dir() + "/corpus");
}
std::string shared_dir() {
  return MIGSAFE_SHARED_DIR;
}

}  // namespace migsafe::test
