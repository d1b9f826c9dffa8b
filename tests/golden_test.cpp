// Golden output: the bundled fixtures through the real binary, text and JSON, byte for byte.
// After an intended change, regenerate with MIGSAFE_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

struct Golden {
  std::string name;
  std::vector<std::string> args;
  int exit_code;
};

// Readable test names in CTest instead of a byte dump of the parameter.
void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.name;
}

class GoldenOutput : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenOutput, MatchesTheRecordedOutput) {
  const Golden& g = GetParam();
  auto r = test::run_migsafe(g.args, "", MIGSAFE_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, g.exit_code) << r.out << r.err;
  std::string path = std::string(MIGSAFE_SOURCE_DIR) + "/tests/golden/" + g.name;
  if (const char* u = std::getenv("MIGSAFE_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    test::write_file(path, r.out);
    GTEST_SKIP() << "rewrote " << path;
  }
  std::string want = test::read_file(path);
  ASSERT_FALSE(want.empty()) << path << " is missing: run with MIGSAFE_UPDATE_GOLDEN=1";
  EXPECT_EQ(r.out, want);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, GoldenOutput,
    ::testing::Values(
        Golden{"unsafe.txt", {"check", "--color", "never", "fixtures/postgres/unsafe"}, 1},
        Golden{"unsafe.json", {"check", "--format", "json", "fixtures/postgres/unsafe"}, 1},
        Golden{"safe.txt", {"check", "--color", "never", "fixtures/postgres/safe"}, 0},
        Golden{"unsafe-pg11.txt",
               {"check", "--color", "never", "--target-version", "11",
                "fixtures/postgres/unsafe/004_archive.sql"},
               1},
        Golden{"mysql-unsafe.txt",
               {"check", "--color", "never", "--dialect", "mysql", "fixtures/mysql/unsafe"},
               1},
        Golden{"mariadb-unsafe.txt",
               {"check", "--color", "never", "--dialect", "mariadb", "fixtures/mysql/unsafe"},
               1},
        Golden{"mysql-unsafe.json",
               {"check", "--format", "json", "--dialect", "mysql", "fixtures/mysql/unsafe"},
               1},
        Golden{"mysql-safe.txt",
               {"check", "--color", "never", "--dialect", "mysql", "fixtures/mysql/safe"},
               0},
        // One set per runner, as the runner applies it (detected without a flag).
        Golden{"runners/goose-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/goose/unsafe"},
               1},
        Golden{"runners/goose-safe.txt",
               {"check", "--color", "never", "fixtures/runners/goose/safe"},
               0},
        Golden{"runners/dbmate-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/dbmate/unsafe/db/migrations"},
               1},
        Golden{"runners/dbmate-safe.txt",
               {"check", "--color", "never", "fixtures/runners/dbmate/safe/db/migrations"},
               0},
        Golden{"runners/liquibase-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/liquibase/unsafe"},
               1},
        Golden{"runners/liquibase-safe.txt",
               {"check", "--color", "never", "fixtures/runners/liquibase/safe"},
               0},
        Golden{"runners/flyway-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/flyway/unsafe/db/migration"},
               1},
        Golden{"runners/flyway-safe.txt",
               {"check", "--color", "never", "fixtures/runners/flyway/safe/db/migration"},
               0},
        Golden{"runners/golang-migrate-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/golang-migrate/unsafe/migrations"},
               1},
        Golden{"runners/golang-migrate-safe.txt",
               {"check", "--color", "never", "fixtures/runners/golang-migrate/safe/migrations"},
               0},
        Golden{"runners/prisma-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/prisma/unsafe/prisma/migrations"},
               1},
        Golden{"runners/prisma-safe.txt",
               {"check", "--color", "never", "fixtures/runners/prisma/safe/prisma/migrations"},
               0},
        Golden{"runners/sqlx-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/sqlx/unsafe/migrations"},
               1},
        Golden{"runners/sqlx-safe.txt",
               {"check", "--color", "never", "fixtures/runners/sqlx/safe/migrations"},
               0},
        Golden{"runners/diesel-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/diesel/unsafe/migrations"},
               1},
        Golden{"runners/diesel-safe.txt",
               {"check", "--color", "never", "fixtures/runners/diesel/safe/migrations"},
               0},
        Golden{"runners/sql-migrate-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/sql-migrate/unsafe/migrations"},
               1},
        Golden{"runners/sql-migrate-safe.txt",
               {"check", "--color", "never", "fixtures/runners/sql-migrate/safe/migrations"},
               0},
        Golden{"runners/atlas-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/atlas/unsafe/migrations"},
               1},
        Golden{"runners/atlas-safe.txt",
               {"check", "--color", "never", "fixtures/runners/atlas/safe/migrations"},
               0},
        Golden{"runners/drizzle-unsafe.txt",
               {"check", "--color", "never", "fixtures/runners/drizzle/unsafe/drizzle"},
               1},
        Golden{"runners/drizzle-safe.txt",
               {"check", "--color", "never", "fixtures/runners/drizzle/safe/drizzle"},
               0},
        // The demo's hygiene pair: the safety rules pass both, the hygiene pack tells them apart.
        Golden{"hygiene-unhygienic.txt",
               {"check", "--color", "never", "--pack", "hygiene", "fixtures/hygiene/unhygienic"},
               1},
        Golden{"hygiene-hygienic.txt",
               {"check", "--color", "never", "--pack", "hygiene", "fixtures/hygiene/hygienic"},
               0},
        Golden{"hygiene-unhygienic-no-pack.txt",
               {"check", "--color", "never", "fixtures/hygiene/unhygienic"},
               0}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& c : n)
        if (c == '.' || c == '-' || c == '/') c = '_';
      return n;
    });

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// The JSON report is written finding by finding; it must read back and dump to the very same
// bytes as nlohmann's dump(2) of the whole document (with findings, problems, and with none).
TEST(JsonReport, StreamedIsTheWholeDocumentsDump) {
  std::vector<Pack> packs = load_shipped_packs(Dialect::postgres);
  CheckOptions opt;
  for (const char* sql :
       {"CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN b int DEFAULT random();\n"
        "ALTER TABLE t ALTER COLUMN c TYPE \"text\\n\";\n",
        "SELECT 1;\n", "ALTER TABLE t ADD COLUMN;\n"}) {
    CheckResult r = check_sets({{make_source("a \"b\".sql", sql)}}, packs, opt);
    std::ostringstream out;
    report_json(r, ReportContext{opt, FailOn::error, false, &packs, ""}, out);
    auto doc = nlohmann::ordered_json::parse(out.str());
    EXPECT_EQ(doc.dump(2) + "\n", out.str()) << sql;
  }
}

}  // namespace
}  // namespace migsafe
