// Golden output: the bundled fixtures through the real binary, text and JSON, byte for byte.
// After an intended change, regenerate with MIGSAFE_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>

#include "helpers.hpp"

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
               0}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& c : n)
        if (c == '.' || c == '-') c = '_';
      return n;
    });

}  // namespace
}  // namespace migsafe
