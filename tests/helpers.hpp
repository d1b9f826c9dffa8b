// Shared helpers for the test suite: run the real pipeline on SQL held in strings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/rules.hpp"

namespace migsafe::test {

const std::vector<Pack>& shipped_postgres_packs();
// The shipped pack plus the opt-in postgres-style pack.
const std::vector<Pack>& all_postgres_packs();

// Checks one migration set made of the given files (earlier files feed the schema model).
CheckResult check_files(const std::vector<std::string>& files, int pg_major = 16,
                        const std::vector<Pack>* packs = nullptr);
// Rule ids of the findings in the last file of the set.
std::vector<std::string> rule_ids_in_last_file(const CheckResult& r);
bool has_rule(const CheckResult& r, std::string_view id);
const Finding* find_finding(const CheckResult& r, std::string_view id);  // the first, or null
size_t count_rule(const CheckResult& r, std::string_view id);

Migration parse_pg(const std::string& sql);

// SQLite: core + sqlite packs, and a check of a migration set in that dialect.
const std::vector<Pack>& sqlite_packs();
CheckResult check_sqlite(const std::vector<std::string>& files);

// MySQL / MariaDB: core + mysql packs; version empty = the flavor's default.
const std::vector<Pack>& mysql_packs();
CheckResult check_mysql(const std::vector<std::string>& files, Dialect flavor = Dialect::mysql,
                        std::string_view version = "");

// MySQL / MariaDB: what the last statement of `alter` needs as a whole (its specifications
// combined), after `setup` built the schema; as the effects table predicts it.
StatementDdl predict_ddl(const std::string& setup, const std::string& alter, Dialect flavor,
                         TargetVersion v, bool foreign_key_checks = true);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the migsafe binary with the arguments (shell-quoted here), stdin from a file if given.
CommandResult run_migsafe(const std::vector<std::string>& args, const std::string& stdin_file = "",
                          const std::string& cwd = "");
std::string temp_dir();  // a fresh folder in the temporary folder, removed when the process exits
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);
// The MariaDB test server that scripts/test.sh starts: MIGSAFE_TEST_MYSQL is
// host:port:user:password:database, as start-mysql.sh prints it; nullopt without one.
struct MysqlServer {
  std::string host, port, user, password, db;
};
std::optional<MysqlServer> mysql_server();
bool shared_dir_available();
std::string shared_dir();

}  // namespace migsafe::test
