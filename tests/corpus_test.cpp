// Robustness on real migrations: every file of ../shared/corpus/postgres goes through the whole
// pipeline without a crash, and the share of statements parsed and the findings per rule are
// printed so parser gaps and rule noise stay visible. Skips (with a message) outside CI, where
// ../shared is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "../src/parse/lexer.hpp"
#include "helpers.hpp"

namespace migsafe {
namespace {
namespace fs = std::filesystem;

TEST(Corpus, EveryPostgresFileGoesThroughThePipeline) {
  if (!test::shared_dir_available())
    GTEST_SKIP() << "../shared/corpus is not beside this checkout; the corpus test runs in CI";
  fs::path root = fs::path(test::shared_dir()) / "corpus" / "postgres";
  size_t files = 0, unreadable = 0, with_error = 0, syntax_errors = 0, statements = 0, meta = 0,
         other = 0, pieces = 0;
  std::map<std::string, size_t> per_rule;
  std::vector<std::string> failed;
  CheckOptions opt;
  for (const auto& project : fs::directory_iterator(root)) {
    if (!project.is_directory()) continue;
    CheckResult r = check_paths({project.path().string()}, test::shipped_postgres_packs(), opt);
    for (const auto& f : r.files) {
      ++files;
      pieces += lex_sql(f.source->text(), postgres_lex_options()).statements.size();
    }
    std::string last_error_path;
    for (const auto& p : r.problems) {
      if (p.kind == "syntax-error") {
        ++syntax_errors;
        if (p.path != last_error_path) ++with_error;
        last_error_path = p.path;
        failed.push_back(p.path + ":" + std::to_string(p.pos.line) + ":" +
                         std::to_string(p.pos.col) + " " + p.message);
      } else {
        ++unreadable;
      }
    }
    statements += r.statements;
    for (const auto& f : r.findings) {
      ++per_rule[f.rule_id];
      ASSERT_GT(f.at.line, 0u) << f.rule_id << " finding without a location";
      ASSERT_GT(f.at.col, 0u);
    }
    // Count statement kinds through the parser directly.
    for (const auto& f : r.files) {
      Migration m = parse_postgres(f.source);
      for (const auto& s : m.statements) {
        if (s.node == "meta")
          ++meta;
        else if (!s.ops.empty() && s.ops[0].kind == OpKind::other)
          ++other;
      }
    }
  }
  ASSERT_GT(files, 1000u);
  double parsed_share =
      pieces ? 100.0 * static_cast<double>(statements - meta) / static_cast<double>(pieces) : 0;
  std::cout << "[corpus] postgres: " << files << " files, " << statements << " statements parsed ("
            << meta << " psql meta-commands, " << other << " kept as 'other'), " << syntax_errors
            << " statements with a syntax error in " << with_error << " files, " << unreadable
            << " unreadable; "
            << "parsed statements / lexer statements = " << parsed_share << "%\n";
  // Group the syntax errors by message so the kinds of gaps stay readable.
  std::map<std::string, std::pair<size_t, std::string>> by_message;
  for (const auto& f : failed) {
    std::string msg = f.substr(f.find(' ') + 1);
    auto& slot = by_message[msg];
    if (slot.first++ == 0) slot.second = f.substr(0, f.find(' '));
  }
  std::vector<std::pair<size_t, std::string>> groups;
  for (const auto& [msg, v] : by_message) groups.push_back({v.first, msg + "   e.g. " + v.second});
  std::sort(groups.rbegin(), groups.rend());
  for (size_t i = 0; i < groups.size() && i < 20; ++i)
    std::cout << "[corpus]   " << groups[i].first << "x syntax error: " << groups[i].second << "\n";
  std::cout << "[corpus] findings per rule:\n";
  for (const auto& [rule, n] : per_rule) std::cout << "[corpus]   " << rule << ": " << n << "\n";
}

}  // namespace
}  // namespace migsafe
