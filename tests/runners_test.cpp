// Runners: every fact migsafe models about how a migration tool applies a file, each with the
// form that must be flagged and the form that must pass, through the real binary on real
// folders. Also detection without a flag, annotation errors and warnings, a staged file judged
// in its folder, and down migrations.
#include <gtest/gtest.h>

#include <re2/re2.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "helpers.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;
using Files = std::vector<std::pair<std::string, std::string>>;

const char* kUsers = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n";
const char* kCic = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n";

struct Outcome {
  int exit_code = -1;
  nlohmann::json doc;
  std::string out, err;
  // The findings of a rule, as "file:line" (file relative to the folder).
  std::vector<std::string> where(const std::string& rule) const {
    std::vector<std::string> out;
    for (const auto& f : doc["findings"])
      if (f["rule"] == rule)
        out.push_back(fs::path(f["path"].get<std::string>()).filename().string() + ":" +
                      std::to_string(f["start"]["line"].get<int>()));
    return out;
  }
  bool has(const std::string& rule) const { return !where(rule).empty(); }
  std::string runner() const {
    return doc["runners"].empty() ? "" : doc["runners"][0]["runner"].get<std::string>();
  }
  std::string input_errors() const {
    std::string s;
    for (const auto& e : doc["errors"]) s += e.dump() + "\n";
    return s;
  }
};

std::string make(const Files& files) {
  std::string d = test::temp_dir();
  for (const auto& [path, text] : files) {
    fs::create_directories(fs::path(d + "/" + path).parent_path());
    test::write_file(d + "/" + path, text);
  }
  return d;
}

Outcome check(const std::string& target, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"check", "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(target);
  auto r = test::run_migsafe(args);
  Outcome out;
  out.exit_code = r.exit_code;
  out.out = r.out;
  out.err = r.err;
  try {
    out.doc = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.out << r.err;
  }
  return out;
}

// A runner fact: the folder that must be flagged (rule at file:line) and the one that must pass.
struct Fact {
  const char* name;
  const char* runner;  // what detection must find, without --layout
  Files dangerous;
  const char* rule;
  const char* at;  // file:line
  Files safe;
  const char* dir = "";  // the folder to check, inside the temporary one
};

const Fact kFacts[] = {
    {"goose_transaction_per_file",
     "goose",
     {{"1_users.sql", std::string("-- +goose Up\n") + kUsers},
      {"2_idx.sql", std::string("-- +goose Up\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.sql:2",
     {{"1_users.sql", std::string("-- +goose Up\n") + kUsers},
      {"2_idx.sql", std::string("-- +goose NO TRANSACTION\n-- +goose Up\n") + kCic}}},
    {"goose_annotations_any_case",
     "goose",
     {{"1_users.sql", std::string("-- +goose up\n") + kUsers},
      {"2_idx.sql", std::string("--+goose UP\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.sql:2",
     {{"1_users.sql", std::string("-- +goose up\n") + kUsers},
      {"2_idx.sql", std::string("-- +goose no transaction\n-- +goose up\n") + kCic}}},
    {"goose_statement_block_is_one_statement",
     "goose",
     {{"1_users.sql", std::string("-- +goose Up\n") + kUsers},
      {"2_fn.sql",
       "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS "
       "$$ SELECT 1; $$;\n-- +goose StatementEnd\nDROP TABLE users;\n"}},
     "drop-table",
     "2_fn.sql:5",
     {{"1_users.sql", std::string("-- +goose Up\n") + kUsers},
      {"2_fn.sql",
       "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS "
       "$$ SELECT 1; $$;\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE users;\n"}}},
    {"dbmate_transaction_per_section",
     "dbmate",
     {{"db/migrations/1_users.sql", std::string("-- migrate:up\n") + kUsers + "-- migrate:down\n"},
      {"db/migrations/2_idx.sql", std::string("-- migrate:up\n") + kCic + "-- migrate:down\n"}},
     "concurrently-in-transaction",
     "2_idx.sql:2",
     {{"db/migrations/1_users.sql", std::string("-- migrate:up\n") + kUsers + "-- migrate:down\n"},
      {"db/migrations/2_idx.sql",
       std::string("-- migrate:up transaction:false\n") + kCic + "-- migrate:down\n"}},
     "db/migrations"},
    {"dbmate_section_is_one_string",
     "dbmate",
     {{"db/migrations/1_users.sql", std::string("-- migrate:up\n") + kUsers + "-- migrate:down\n"},
      {"db/migrations/2_idx.sql", std::string("-- migrate:up transaction:false\nSET lock_timeout "
                                              "= '2s';\n") +
                                      kCic + "-- migrate:down\n"}},
     "concurrently-in-transaction",
     "2_idx.sql:3",
     {{"db/migrations/1_users.sql", std::string("-- migrate:up\n") + kUsers + "-- migrate:down\n"},
      {"db/migrations/2_idx.sql",
       std::string("-- migrate:up transaction:false\n") + kCic + "-- migrate:down\n"}},
     "db/migrations"},
    {"liquibase_transaction_per_changeset",
     "liquibase",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2\n" + kCic}},
     "concurrently-in-transaction",
     "changelog.sql:5",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2 runInTransaction:false\n" + kCic}}},
    {"liquibase_rollback_lines_do_not_run_up",
     "liquibase",
     {{"1.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers},
      {"2.sql", "--liquibase formatted sql\n--changeset a:2\nDROP TABLE users;\n"}},
     "drop-table",
     "2.sql:3",
     {{"1.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers},
      {"2.sql",
       "--liquibase formatted sql\n--changeset a:2\nCREATE TABLE x (id int);\n"
       "--rollback DROP TABLE users;\n"}}},
    {"liquibase_other_dbms_does_not_run",
     "liquibase",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2 dbms:postgresql\n" + kCic}},
     "concurrently-in-transaction",
     "changelog.sql:5",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2 dbms:mysql\n" + kCic}}},
    {"liquibase_split_statements_false_is_one_string",
     "liquibase",
     {{"changelog.sql",
       std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
           "--changeset a:2 runInTransaction:false splitStatements:false\nSET lock_timeout = "
           "'2s';\n" +
           kCic}},
     "concurrently-in-transaction",
     "changelog.sql:6",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2 runInTransaction:false\nSET lock_timeout = '2s';\n" +
                            kCic}}},
    {"liquibase_ignored_changeset_does_not_run",
     "liquibase",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2\n" + kCic}},
     "concurrently-in-transaction",
     "changelog.sql:5",
     {{"changelog.sql", std::string("--liquibase formatted sql\n--changeset a:1\n") + kUsers +
                            "--changeset a:2 ignore:true\n" + kCic}}},
    {"golang_migrate_down_files_do_not_run_up",
     "golang-migrate",
     {{"migrations/1_users.up.sql", kUsers}, {"migrations/2_drop.up.sql", "DROP TABLE users;\n"}},
     "drop-table",
     "2_drop.up.sql:1",
     {{"migrations/1_users.up.sql", kUsers},
      {"migrations/1_users.down.sql", "DROP TABLE users;\n"}},
     "migrations"},
    {"sqlx_reversible_files",
     "sqlx",
     {{"Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"},
      {"migrations/1_users.up.sql", kUsers},
      {"migrations/1_users.down.sql", "DROP TABLE users;\n"},
      {"migrations/2_idx.up.sql", kCic},
      {"migrations/2_idx.down.sql", "DROP INDEX users_email_idx;\n"}},
     "concurrently-in-transaction",
     "2_idx.up.sql:1",
     {{"Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"},
      {"migrations/1_users.up.sql", kUsers},
      {"migrations/1_users.down.sql", "DROP TABLE users;\n"},
      {"migrations/2_idx.up.sql", std::string("-- no-transaction\n") + kCic},
      {"migrations/2_idx.down.sql", "DROP INDEX users_email_idx;\n"}},
     "migrations"},
    {"flyway_mixed_file_is_refused",
     "flyway",
     {{"db/migration/V1__users.sql", kUsers},
      {"db/migration/V2__idx.sql", std::string("ALTER TABLE users ADD COLUMN n int;\n") + kCic}},
     "runner-refuses-file",
     "V2__idx.sql:2",
     {{"db/migration/V1__users.sql", kUsers}, {"db/migration/V2__idx.sql", kCic}},
     "db/migration"},
    {"flyway_mixed_allowed_by_flyway_conf",
     "flyway",
     {{"db/migration/V1__users.sql", kUsers},
      {"db/migration/V2__idx.sql", std::string("ALTER TABLE users ADD COLUMN n int;\n") + kCic}},
     "runner-refuses-file",
     "V2__idx.sql:2",
     {{"flyway.conf", "flyway.mixed=true\n"},
      {"db/migration/V1__users.sql", kUsers},
      {"db/migration/V2__idx.sql",
       std::string("SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN n int;\n") + kCic}},
     "db/migration"},
    {"flyway_execute_in_transaction_conf",
     "flyway",
     {{"db/migration/V1__users.sql", kUsers},
      {"db/migration/V2__idx.sql", std::string("SELECT 1;\n") + kCic}},
     "concurrently-in-transaction",
     "V2__idx.sql:2",
     {{"db/migration/V1__users.sql", kUsers},
      {"db/migration/V2__idx.sql", std::string("SELECT 1;\n") + kCic},
      {"db/migration/V2__idx.sql.conf", "executeInTransaction=false\n"}},
     "db/migration"},
    {"golang_migrate_file_is_one_string",
     "golang-migrate",
     {{"migrations/1_users.up.sql", kUsers},
      {"migrations/2_idx.up.sql", std::string("SET lock_timeout = '2s';\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.up.sql:2",
     {{"migrations/1_users.up.sql", kUsers}, {"migrations/2_idx.up.sql", kCic}},
     "migrations"},
    {"prisma_migration_is_one_string",
     "prisma",
     {{"migrations/migration_lock.toml", "provider = \"postgresql\"\n"},
      {"migrations/20240101000000_users/migration.sql", kUsers},
      {"migrations/20240102000000_idx/migration.sql",
       std::string("SET lock_timeout = '2s';\n") + kCic}},
     "concurrently-in-transaction",
     "migration.sql:2",
     {{"migrations/migration_lock.toml", "provider = \"postgresql\"\n"},
      {"migrations/20240101000000_users/migration.sql", kUsers},
      {"migrations/20240102000000_idx/migration.sql", kCic}},
     "migrations"},
    {"sqlx_no_transaction_first_line",
     "sqlx",
     {{"Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"},
      {"migrations/1_users.sql", kUsers},
      {"migrations/2_idx.sql", std::string("\n-- no-transaction\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.sql:3",
     {{"Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"},
      {"migrations/1_users.sql", kUsers},
      {"migrations/2_idx.sql", std::string("-- no-transaction\n") + kCic}},
     "migrations"},
    {"diesel_metadata_toml",
     "diesel",
     {{"migrations/2024-01-01-000000_users/up.sql", kUsers},
      {"migrations/2024-01-02-000000_idx/up.sql", kCic},
      {"migrations/2024-01-02-000000_idx/metadata.toml", "run_in_transaction = true\n"}},
     "concurrently-in-transaction",
     "up.sql:1",
     {{"migrations/2024-01-01-000000_users/up.sql", kUsers},
      {"migrations/2024-01-02-000000_idx/up.sql", kCic},
      {"migrations/2024-01-02-000000_idx/metadata.toml", "run_in_transaction = false\n"}},
     "migrations"},
    {"sql_migrate_notransaction",
     "sql-migrate",
     {{"migrations/1_users.sql", std::string("-- +migrate Up\n") + kUsers},
      {"migrations/2_idx.sql", std::string("-- +migrate Up\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.sql:2",
     {{"migrations/1_users.sql", std::string("-- +migrate Up\n") + kUsers},
      {"migrations/2_idx.sql", std::string("-- +migrate Up notransaction\n") + kCic}},
     "migrations"},
    {"atlas_txmode_none_needs_its_blank_line",
     "atlas",
     {{"migrations/atlas.sum", "h1:x=\n"},
      {"migrations/1_users.sql", kUsers},
      {"migrations/2_idx.sql", std::string("-- atlas:txmode none\n") + kCic}},
     "concurrently-in-transaction",
     "2_idx.sql:2",
     {{"migrations/atlas.sum", "h1:x=\n"},
      {"migrations/1_users.sql", kUsers},
      {"migrations/2_idx.sql", std::string("-- atlas:txmode none\n\n") + kCic}},
     "migrations"},
    {"drizzle_one_transaction_for_all",
     "drizzle",
     {{"drizzle/meta/_journal.json", "{\"entries\": []}\n"},
      {"drizzle/0000_users.sql", kUsers},
      {"drizzle/0001_idx.sql", kCic}},
     "concurrently-in-transaction",
     "0001_idx.sql:1",
     {{"drizzle/meta/_journal.json", "{\"entries\": []}\n"},
      {"drizzle/0000_users.sql", kUsers},
      {"drizzle/0001_idx.sql",
       "CREATE TABLE s (id int);\n--> statement-breakpoint\nCREATE INDEX s_id ON s (id);\n"}},
     "drizzle"},
};

class RunnerFacts : public ::testing::TestWithParam<Fact> {};

TEST_P(RunnerFacts, DangerousIsFlaggedAndSafePasses) {
  const Fact& f = GetParam();
  std::string bad = make(f.dangerous);
  Outcome b = check(bad + "/" + f.dir);
  EXPECT_EQ(b.runner(), f.runner) << b.out;
  EXPECT_EQ(b.exit_code, 1) << b.out << b.err;
  auto at = b.where(f.rule);
  EXPECT_NE(std::find(at.begin(), at.end(), f.at), at.end())
      << f.rule << " expected at " << f.at << "; output:\n"
      << b.out;

  std::string good = make(f.safe);
  Outcome g = check(good + "/" + f.dir);
  EXPECT_EQ(g.runner(), f.runner) << g.out;
  EXPECT_EQ(g.exit_code, 0) << g.out << g.err;
  EXPECT_FALSE(g.has(f.rule)) << g.out;
}

INSTANTIATE_TEST_SUITE_P(Runners, RunnerFacts, ::testing::ValuesIn(kFacts),
                         [](const auto& i) { return std::string(i.param.name); });

// The message names the runner and the annotation that fixes it.
TEST(Runners, MessageNamesTheRunnerAndTheFix) {
  std::string d = make({{"1_users.sql", std::string("-- +goose Up\n") + kUsers},
                        {"2_idx.sql", std::string("-- +goose Up\n") + kCic}});
  Outcome r = check(d);
  bool found = false;
  for (const auto& f : r.doc["findings"])
    if (f["rule"] == "concurrently-in-transaction") {
      found = true;
      EXPECT_NE(f["message"].get<std::string>().find("goose"), std::string::npos) << f.dump();
      EXPECT_NE(f.dump().find("+goose NO TRANSACTION"), std::string::npos) << f.dump();
    }
  EXPECT_TRUE(found) << r.out;
}

// --layout forces a runner over what the files say.
TEST(Runners, LayoutFlagWins) {
  std::string d = make({{"1_users.sql", kUsers}, {"2_idx.sql", kCic}});
  Outcome plain = check(d);
  EXPECT_EQ(plain.exit_code, 0) << plain.out;
  Outcome goose = check(d, {"--layout", "dbmate"});
  EXPECT_EQ(goose.runner(), "dbmate");
  Outcome flyway = check(d, {"--layout", "sqlx"});
  EXPECT_EQ(flyway.runner(), "sqlx");
  EXPECT_TRUE(flyway.has("concurrently-in-transaction")) << flyway.out;
}

// Annotations a runner documents but migsafe does not use are accepted; unknown ones are a
// warning naming them, or an error where the runner itself refuses them; contradictory ones are
// an input error.
TEST(Runners, AnnotationsKnownUnknownAndContradictory) {
  Outcome envsub = check(make({{"1_x.sql", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT 1;\n"}}));
  EXPECT_EQ(envsub.exit_code, 0) << envsub.out;
  EXPECT_FALSE(envsub.has("runner-annotation-ignored")) << envsub.out;

  Outcome context = check(make({{"c.sql",
                                 "--liquibase formatted sql\n--changeset a:1 context:prod labels:x "
                                 "dbms:postgresql\nSELECT 1;\n"}}));
  EXPECT_EQ(context.exit_code, 0) << context.out;
  EXPECT_FALSE(context.has("runner-annotation-ignored")) << context.out;

  Outcome unknown =
      check(make({{"c.sql",
                   "--liquibase formatted sql\n--changeset a:1 runInTransacton:false\n"
                   "SELECT 1;\n"}}));
  EXPECT_EQ(unknown.where("runner-annotation-ignored"), std::vector<std::string>{"c.sql:2"})
      << unknown.out;
  EXPECT_NE(unknown.out.find("runInTransacton"), std::string::npos);

  Outcome goose_unknown = check(make({{"1_x.sql", "-- +goose Up\nSELECT 1;\n-- +goose FOO\n"}}));
  EXPECT_EQ(goose_unknown.exit_code, 2) << goose_unknown.out;
  EXPECT_NE(goose_unknown.input_errors().find("FOO"), std::string::npos) << goose_unknown.out;

  Outcome down_only = check(make({{"1_x.sql",
                                   "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- +goose NO "
                                   "TRANSACTION\nSELECT 2;\n"}}));
  EXPECT_EQ(down_only.exit_code, 2) << down_only.out;
  EXPECT_NE(down_only.input_errors().find("\"line\":4"), std::string::npos)
      << down_only.input_errors();

  std::string two_dir = make({{"1_x.sql", "-- +goose Up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n"}});
  Outcome two = check(two_dir);
  EXPECT_EQ(two.exit_code, 2) << two.out;
  EXPECT_NE(two.input_errors().find("dbmate"), std::string::npos) << two.input_errors();
  // Not checked is never "passed".
  auto text = test::run_migsafe({"check", "--color", "never", two_dir});
  EXPECT_NE(text.out.find("· incomplete"), std::string::npos) << text.out;
}

// A file given alone is judged after the earlier files of its folder, and only it is reported:
// the verdict is the folder's for that file.
TEST(Runners, StagedFileIsJudgedInItsFolder) {
  std::string d = make({{"db/migration/V1__t.sql", "CREATE TABLE t (name varchar(10));\n"},
                        {"db/migration/V2__widen.sql",
                         "SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN name TYPE "
                         "varchar(20);\n"},
                        {"db/migration/V3__drop.sql", "DROP TABLE t;\n"}});
  Outcome folder = check(d + "/db/migration");
  Outcome staged = check(d + "/db/migration/V2__widen.sql");
  std::vector<std::string> in_v2;
  for (const auto& f : folder.doc["findings"])
    if (f["path"].get<std::string>().ends_with("V2__widen.sql")) in_v2.push_back(f.dump());
  std::vector<std::string> staged_all;
  for (const auto& f : staged.doc["findings"]) staged_all.push_back(f.dump());
  EXPECT_EQ(staged_all, in_v2);
  EXPECT_EQ(staged.exit_code, 0) << staged.out;  // a widening needs the history to be safe
  EXPECT_EQ(folder.exit_code, 1) << folder.out;  // V3's DROP TABLE
  EXPECT_EQ(staged.doc["summary"]["files"], 1);
}

// An edited old migration is caught by migsafe.sum even when only a new file is staged.
TEST(Runners, StagedFileChecksTheFoldersSum) {
  std::string d = make(
      {{"m/1_t.sql", "CREATE TABLE t (id int);\n"}, {"m/2_u.sql", "CREATE TABLE u (id int);\n"}});
  auto sum = test::run_migsafe({"sum", d + "/m"});
  ASSERT_EQ(sum.exit_code, 0) << sum.out << sum.err;
  test::write_file(d + "/m/1_t.sql", "CREATE TABLE t (id bigint);\n");
  test::write_file(d + "/m/3_v.sql", "CREATE TABLE v (id int);\n");
  Outcome staged = check(d + "/m/3_v.sql");
  EXPECT_NE(staged.exit_code, 0) << staged.out;
  EXPECT_NE(staged.out.find("1_t.sql"), std::string::npos) << staged.out;
}

// --direction down runs the down parts, newest first, against the schema the up parts built.
TEST(Runners, DownDirection) {
  std::string goose = make(
      {{"1_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n"},
       {"2_i.sql", "-- +goose Up\nCREATE INDEX i ON t (id);\n-- +goose Down\nDROP INDEX i;\n"}});
  Outcome up = check(goose);
  EXPECT_FALSE(up.has("drop-table")) << up.out;
  Outcome down = check(goose, {"--direction", "down"});
  EXPECT_EQ(down.doc["direction"], "down");
  EXPECT_EQ(down.where("drop-table"), std::vector<std::string>{"1_t.sql:4"}) << down.out;

  std::string gm = make({{"1_t.up.sql", "CREATE TABLE t (id int);\n"},
                         {"1_t.down.sql", "DROP TABLE t;\n"},
                         {"2_c.up.sql", "ALTER TABLE t ADD COLUMN c int;\n"},
                         {"2_c.down.sql", "ALTER TABLE t DROP COLUMN c;\n"}});
  Outcome gm_down = check(gm, {"--direction", "down"});
  auto drops = gm_down.where("drop-table");
  EXPECT_EQ(drops, std::vector<std::string>{"1_t.down.sql:1"}) << gm_down.out;
  EXPECT_TRUE(gm_down.has("drop-column")) << gm_down.out;

  std::string lb = make({{"c.sql",
                          "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n"
                          "--rollback DROP TABLE t;\n"}});
  Outcome lb_down = check(lb, {"--direction", "down"});
  EXPECT_EQ(lb_down.where("drop-table"), std::vector<std::string>{"c.sql:4"}) << lb_down.out;
}

// MySQL: DDL commits whatever transaction the runner opened.
TEST(Runners, MysqlDdlCommitsTheRunnersTransaction) {
  std::string d = make({{"0_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n"},
                        {"1_x.sql",
                         "-- +goose Up\nINSERT INTO t VALUES (1);\nALTER TABLE t ADD COLUMN c int, "
                         "ALGORITHM=INSTANT;\n"}});
  Outcome r = check(d, {"--dialect", "mysql"});
  EXPECT_EQ(r.runner(), "goose");
  EXPECT_EQ(r.where("ddl-in-transaction"), std::vector<std::string>{"1_x.sql:3"}) << r.out;
  std::string alone =
      make({{"0_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n"},
            {"1_x.sql", "-- +goose Up\nALTER TABLE t ADD COLUMN c int, ALGORITHM=INSTANT;\n"}});
  Outcome a = check(alone, {"--dialect", "mysql"});
  EXPECT_FALSE(a.has("ddl-in-transaction")) << a.out;
}

// .migsafe.yaml maps folders to their dialect and runner: a repository holding a PostgreSQL
// set and a MySQL set is checked in one run, each by its own rules; a file of a folder gets the
// folder's settings.
TEST(Runners, ConfigMapsFoldersToDialectAndRunner) {
  std::string d =
      make({{".migsafe.yaml",
             "paths:\n  db/pg:\n    layout: goose\n  db/my:\n    dialect: mysql\n"
             "    target_version: \"5.7\"\n    transactions: per-file\n"},
            {"db/pg/1_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n"},
            {"db/pg/2_i.sql", std::string("-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t "
                                          "(id);\n")},
            {"db/my/1_t.sql", "CREATE TABLE t (id int);\n"},
            {"db/my/2_c.sql", "ALTER TABLE t ADD COLUMN c int;\n"}});
  std::string cfg = d + "/.migsafe.yaml";
  Outcome all = check(d + "/db", {"--config", cfg});
  ASSERT_EQ(all.doc["runners"].size(), 2u) << all.out;
  std::map<std::string, std::string> dialect_of;
  for (const auto& sr : all.doc["runners"])
    dialect_of[fs::path(sr["root"].get<std::string>()).filename().string()] =
        sr["dialect"].get<std::string>() + " " + sr["target_version"].get<std::string>() + " " +
        sr["runner"].get<std::string>();
  EXPECT_EQ(dialect_of["pg"], "postgres 16 goose") << all.out;
  EXPECT_EQ(dialect_of["my"], "mysql 5.7 plain") << all.out;
  // Each set judged by its own dialect's rules: CIC in goose's transaction (PostgreSQL), and
  // an ADD COLUMN that copies the table on MySQL 5.7.
  EXPECT_EQ(all.where("concurrently-in-transaction"), std::vector<std::string>{"2_i.sql:2"})
      << all.out;
  bool mysql_rule = false;
  for (const auto& f : all.doc["findings"])
    mysql_rule |= f["path"].get<std::string>().ends_with("my/2_c.sql");
  EXPECT_TRUE(mysql_rule) << all.out;

  // One file of the MySQL folder: MySQL, whatever the top level says.
  Outcome one = check(d + "/db/my/2_c.sql", {"--config", cfg});
  EXPECT_EQ(one.doc["dialect"], "mysql") << one.out;
  EXPECT_EQ(one.doc["summary"]["files"], 1);

  // An unknown setting in a paths: entry is an error with its place.
  test::write_file(cfg, "paths:\n  db/pg:\n    dialekt: mysql\n");
  auto bad = test::run_migsafe({"check", "--config", cfg, d + "/db"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("dialekt"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(":3:"), std::string::npos) << bad.err;
}

// SQLite runs DDL in transactions: a runner's transaction makes VACUUM fail, as it does on the
// real library.
TEST(Runners, SqliteVacuumInTheRunnersTransaction) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
  EXPECT_EQ(sqlite3_exec(db.get(), "VACUUM;", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db.get(), "BEGIN;", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db.get(), "VACUUM;", nullptr, nullptr, nullptr), SQLITE_OK)
      << "SQLite ran VACUUM inside a transaction";

  Outcome goose = check(make({{"1_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n"},
                              {"2_v.sql", "-- +goose Up\nVACUUM;\n"}}),
                        {"--dialect", "sqlite"});
  EXPECT_EQ(goose.where("vacuum-in-transaction"), std::vector<std::string>{"2_v.sql:2"})
      << goose.out;
  Outcome no_tx = check(make({{"1_t.sql", "-- +goose Up\nCREATE TABLE t (id int);\n"},
                              {"2_v.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n"}}),
                        {"--dialect", "sqlite"});
  EXPECT_FALSE(no_tx.has("vacuum-in-transaction")) << no_tx.out;

  // golang-migrate's SQLite drivers wrap each file in a transaction, unlike its PostgreSQL ones.
  Outcome gm =
      check(make({{"1_t.up.sql", "CREATE TABLE t (id int);\n"}, {"2_v.up.sql", "VACUUM;\n"}}),
            {"--dialect", "sqlite"});
  EXPECT_EQ(gm.where("vacuum-in-transaction"), std::vector<std::string>{"2_v.up.sql:1"}) << gm.out;
  EXPECT_NE(gm.out.find("x-no-tx-wrap=true"), std::string::npos) << gm.out;
  Outcome gm_pg =
      check(make({{"1_t.up.sql", "CREATE TABLE t (id int);\n"}, {"2_v.up.sql", "VACUUM;\n"}}));
  EXPECT_FALSE(gm_pg.has("vacuum-in-transaction")) << gm_pg.out;
}

// Every shipped runner fixture is detected without a flag and gives its verdict.
TEST(Runners, FixturesAreDetectedWithoutAFlag) {
  struct F {
    const char* runner;
    const char* dir;
  };
  const F fixtures[] = {{"goose", ""},
                        {"dbmate", "db/migrations"},
                        {"liquibase", ""},
                        {"flyway", "db/migration"},
                        {"golang-migrate", "migrations"},
                        {"prisma", "prisma/migrations"},
                        {"sqlx", "migrations"},
                        {"diesel", "migrations"},
                        {"sql-migrate", "migrations"},
                        {"atlas", "migrations"},
                        {"drizzle", "drizzle"}};
  for (const auto& f : fixtures)
    for (const char* kind : {"safe", "unsafe"}) {
      std::string dir = std::string(MIGSAFE_SOURCE_DIR) + "/fixtures/runners/" + f.runner + "/" +
                        kind + "/" + f.dir;
      Outcome r = check(dir);
      EXPECT_EQ(r.runner(), f.runner) << dir;
      EXPECT_EQ(r.exit_code, std::string(kind) == "safe" ? 0 : 1) << dir << "\n" << r.out;
    }
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// The markers are searched in the file's comment lines only: the verdicts stay those of the
// whole text, anchors and all.
TEST(Runners, MarkersInLargeFilesAsInSmallOnes) {
  std::string filler;
  while (filler.size() < 100 * 1024) filler += "CREATE TABLE IF NOT EXISTS t (id int); -- note\n";
  auto detect = [](const std::string& text) { return detect_runner_by_text({text}); };
  EXPECT_EQ(detect("-- +goose Up\n" + filler), Layout::goose);
  EXPECT_EQ(detect(filler + "\n\n-- +goose Up\n" + filler), Layout::goose);
  EXPECT_EQ(detect(filler + "-- migrate:up\n"), Layout::dbmate);
  EXPECT_EQ(detect("\n\n-- liquibase formatted sql\n" + filler), Layout::liquibase);
  // Anchored at the start of the file: not found after a line of code.
  EXPECT_EQ(detect("SELECT 1;\n-- liquibase formatted sql\n" + filler), Layout::plain);
  EXPECT_EQ(detect("SELECT 1;\n-- no-transaction\n" + filler), Layout::plain);
  EXPECT_EQ(detect("-- no-transaction\n" + filler), Layout::sqlx);
  EXPECT_EQ(detect(filler + "CREATE TABLE u (id int);--> statement-breakpoint\n"), Layout::drizzle);
  EXPECT_EQ(detect(filler), Layout::plain);
  // Each verdict is the small file's.
  for (const std::string head : {"-- +goose Up\n", "SELECT 1;\n-- liquibase formatted sql\n",
                                 "\n-- liquibase formatted sql\n", "-- no-transaction\n"})
    EXPECT_EQ(detect(head + filler), detect(head + "SELECT 1;\n")) << head;
  // The stretches between comment lines, in every shape.
  EXPECT_EQ(detect("-- +goose Up"), Layout::goose);              // no newline at the end
  EXPECT_EQ(detect("SELECT 1; -- +goose Up\n"), Layout::plain);  // not at a line's start
  EXPECT_EQ(detect(" \t\n\r\n-- liquibase formatted sql"), Layout::liquibase);
  EXPECT_EQ(detect("SELECT '--';\n-- liquibase formatted sql\n"), Layout::plain);
  EXPECT_EQ(detect("-- a\n\n\n-- +migrate Up\nSELECT 1;\n"), Layout::sql_migrate);
  EXPECT_EQ(detect("SELECT 1;\n\n  \nSELECT 2;\n-- migrate:up\n"), Layout::dbmate);
  EXPECT_EQ(detect("SELECT 1 - 2;\n-- a-b -- c\n"), Layout::plain);
}

// The runners' file-name shapes are read by hand; each must say what its regular expression
// says, on names built to sit on every edge of it.
TEST(Runners, FileNameShapesAgreeWithTheirPatterns) {
  const RE2 flyway(R"((^|/)(V[0-9][0-9._]*|R)__[^/]*\.[sS][qQ][lL]$)");
  const RE2 up_down(R"((^|/)[0-9]+_[^/]*\.up\.sql$)");
  const RE2 diesel(R"((^|/)[^/]+/up\.sql$)");
  const RE2 folder(R"((^|/)[^/]+/migration\.sql$)");
  const std::vector<std::string> heads = {"",  "V",  "V1", "V1.2", "V1_2", "V1._", "Vx1",  "v1",
                                          "R", "R_", "1",  "12",   "a1",   "0",    "V1__", "R__"};
  const std::vector<std::string> mids = {"", "_", "__", "___", "_x", "__x", "x__", "__a__b"};
  const std::vector<std::string> tails = {
      "",          ".sql",   ".SQL",    ".SqL",           ".sql.bak",      "sql",    ".up.sql",
      ".down.sql", "up.sql", "/up.sql", "/migration.sql", "migration.sql", ".up.SQL"};
  const std::vector<std::string> dirs = {"", "a/", "a/b/", "/", "a//", "V1__x.sql/"};
  const std::string dir = test::temp_dir();
  int checked = 0;
  for (const auto& d : dirs)
    for (const auto& h : heads)
      for (const auto& m : mids)
        for (const auto& t : tails) {
          std::string rel = d + h + m + t;
          if (rel.empty()) continue;
          Layout want = Layout::automatic;
          if (RE2::PartialMatch(rel, flyway))
            want = Layout::flyway;
          else if (RE2::PartialMatch(rel, up_down))
            want = Layout::golang_migrate;
          else if (RE2::PartialMatch(rel, diesel))
            want = Layout::diesel;
          else if (RE2::PartialMatch(rel, folder))
            want = Layout::prisma;
          EXPECT_EQ(detect_runner_by_files(dir, {rel}), want) << rel;
          ++checked;
        }
  EXPECT_GT(checked, 6000);
}

}  // namespace
}  // namespace migsafe
