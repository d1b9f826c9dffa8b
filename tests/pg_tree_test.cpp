// The PostgreSQL front end reads libpg_query's parse tree in place, through a table of node
// layouts generated from PostgreSQL 15's server headers (tools/gen_pg_nodes.py). Those headers
// are Debian's, not the copy libpg_query was built with, so this proves the table: every
// statement of the fixtures and the corpus is parsed both ways, as libpg_query's JSON and as the
// tree, and the two must agree on every node and field, and give the same IR.
#include <gtest/gtest.h>
#include <pg_query.h>
#include <simdjson.h>

#include <filesystem>

#include "../src/parse/lexer.hpp"
#include "../src/parse/pg_json_node.hpp"
#include "../src/parse/pg_query_result.hpp"
#include "../src/parse/pg_tree.hpp"
#include "../src/parse/postgres_translate.hpp"
#include "helpers.hpp"

namespace migsafe {
namespace {
namespace fs = std::filesystem;

template <class E>
std::vector<std::pair<std::string_view, E>> members_of(const E& e) {
  std::vector<std::pair<std::string_view, E>> out;
  e.members([&](std::string_view k, E v) { out.emplace_back(k, v); });
  return out;
}

template <class E>
std::vector<E> items_of(const E& e) {
  std::vector<E> out;
  e.items([&](E v) { out.push_back(v); });
  return out;
}

// "" when the two trees agree; else where they part.
std::string difference(const JsonNode& json, const PgNode& tree) {
  if (json.is_object() != tree.is_object()) return ": object on one side only";
  if (json.is_object()) {
    auto a = members_of(json);
    auto b = members_of(tree);
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      std::string_view ka = i < a.size() ? a[i].first : "(none)";
      std::string_view kb = i < b.size() ? b[i].first : "(none)";
      if (ka != kb)
        return ": member " + std::to_string(i) + " is " + std::string(ka) + " in the JSON, " +
               std::string(kb) + " in the tree";
      if (auto d = difference(a[i].second, b[i].second); !d.empty())
        return "." + std::string(ka) + d;
    }
    return {};
  }
  if (json.is_array() != tree.is_array()) return ": array on one side only";
  if (json.is_array()) {
    auto a = items_of(json);
    auto b = items_of(tree);
    if (a.size() != b.size())
      return ": " + std::to_string(a.size()) + " items in the JSON, " + std::to_string(b.size());
    for (size_t i = 0; i < a.size(); ++i)
      if (auto d = difference(a[i], b[i]); !d.empty()) return "[" + std::to_string(i) + "]" + d;
    return {};
  }
  std::string_view sa, sb;
  if (json.get(sa)) {
    if (!tree.get(sb) || sa != sb)
      return ": \"" + std::string(sa) + "\" in the JSON, \"" + std::string(sb) + "\" in the tree";
    return {};
  }
  bool ba = false, bb = false;
  if (json.get(ba)) return tree.get(bb) && ba == bb ? "" : ": a boolean differs";
  int64_t ia = 0, ib = 0;
  if (json.get(ia)) {
    if (!tree.get(ib) || ia != ib)
      return ": " + std::to_string(ia) + " in the JSON, " + std::to_string(ib) + " in the tree";
    return {};
  }
  double da = 0, db = 0;
  if (json.get(da)) return tree.get(db) && std::abs(da - db) < 1e-6 ? "" : ": a number differs";
  return ": a value the JSON has and the tree does not read";
}

struct Tally {
  size_t statements = 0;
  size_t not_parsed = 0;  // refused by the parser both ways
  std::vector<std::string> failures;
};

// Parses sql both ways; every statement must agree node for node, and translate alike.
void compare(const std::string& where, const std::string& sql, Tally& tally) {
  PgParseResult json(sql);
  PgTree tree(sql.c_str());
  if (json->error || tree.failed()) {
    if (!(json->error && tree.failed()))
      tally.failures.push_back(where + ": the parser refuses it one way only");
    ++tally.not_parsed;
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json->parse_tree, std::strlen(json->parse_tree)).get(doc)) {
    tally.failures.push_back(where + ": libpg_query's JSON does not read");
    return;
  }
  std::vector<JsonNode> stmts = items_of(JsonNode(doc).member("stmts").value_or(JsonNode()));
  if (stmts.size() != tree.size()) {
    tally.failures.push_back(where + ": " + std::to_string(stmts.size()) +
                             " statements in the JSON, " + std::to_string(tree.size()));
    return;
  }
  for (uint32_t i = 0; i < tree.size(); ++i) {
    ++tally.statements;
    PgRawStatement raw = tree.statement(i);
    auto json_stmt = stmts[i].member("stmt");
    int64_t location = 0, length = 0;
    if (auto l = stmts[i].member("stmt_location")) l->get(location);
    if (auto l = stmts[i].member("stmt_len")) l->get(length);
    std::string at = where + " statement " + std::to_string(i + 1);
    if (!json_stmt || location != raw.location || length != raw.length) {
      tally.failures.push_back(at + ": the statement's place differs");
      continue;
    }
    if (std::string d = difference(*json_stmt, raw.stmt); !d.empty()) {
      tally.failures.push_back(at + d);
      continue;
    }
    PgNodeContext ctx{100, 100 + static_cast<uint32_t>(location)};
    Statement from_json, from_tree;
    pg_translate::translate_statement(*json_stmt, ctx, from_json);
    pg_translate::translate_statement(raw.stmt, ctx, from_tree);
    if (!(from_json == from_tree)) tally.failures.push_back(at + ": the IR differs");
  }
}

// Each file whole, and each of its statements alone (so files the parser refuses whole, for a
// psql command or one bad statement, still count).
Tally compare_folder(const fs::path& root) {
  Tally tally;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string text = test::read_file(f.string());
    compare(f.string(), text, tally);
    LexResult lex = lex_sql(text, postgres_lex_options());
    std::string_view body = parse_text(lex, text);
    for (const TextRange& r : lex.statements)
      compare(f.string() + " at byte " + std::to_string(r.begin),
              std::string(body.substr(r.begin, r.end - r.begin)), tally);
  }
  return tally;
}

void expect_agreement(const Tally& t, size_t at_least) {
  EXPECT_GE(t.statements, at_least);
  for (size_t i = 0; i < std::min<size_t>(t.failures.size(), 20); ++i)
    ADD_FAILURE() << t.failures[i];
  EXPECT_TRUE(t.failures.empty()) << t.failures.size() << " disagreements";
  std::cout << "[ tree ] " << t.statements << " statements agree; " << t.not_parsed
            << " texts the parser refuses both ways\n";
}

TEST(PgTree, AgreesWithLibpgQueryJsonOnTheFixtures) {
  Tally t = compare_folder(fs::path(MIGSAFE_SOURCE_DIR) / "fixtures");
  expect_agreement(t, 250);
}

TEST(PgTree, AgreesWithLibpgQueryJsonOnTheCorpus) {
  if (!test::shared_dir_available())
    GTEST_SKIP() << "../shared/corpus is not beside this checkout; the corpus test runs in CI";
  Tally t = compare_folder(fs::path(test::shared_dir()) / "corpus" / "postgres");
  expect_agreement(t, 20000);
}

// What the JSON writer leaves out, the tree leaves out too; what differs between Debian's
// headers and libpg_query's reads as libpg_query's.
TEST(PgTree, ShowsFieldsAsTheJsonDoes) {
  PgTree tree(
      "SELECT 1 FROM t LIMIT 5; SELECT * FROM t ORDER BY a FETCH FIRST 2 ROWS WITH TIES;"
      "CREATE STATISTICS s ON a, b FROM t; SELECT -1, 0, NULL, false, true;");
  ASSERT_FALSE(tree.failed());
  ASSERT_EQ(tree.size(), 4u);
  auto select = tree.statement(0).stmt.member("SelectStmt");
  ASSERT_TRUE(select);
  std::string_view s;
  ASSERT_TRUE(select->member("limitOption") && select->member("limitOption")->get(s));
  EXPECT_EQ(s, "LIMIT_OPTION_COUNT");
  EXPECT_FALSE(select->member("distinctClause"));  // NULL: absent
  EXPECT_FALSE(select->member("all"));             // false: absent
  auto ties = tree.statement(1).stmt.member("SelectStmt");
  ASSERT_TRUE(ties && ties->member("limitOption")->get(s));
  EXPECT_EQ(s, "LIMIT_OPTION_WITH_TIES");
  auto stats = tree.statement(2).stmt.member("CreateStatsStmt");
  ASSERT_TRUE(stats);
  std::vector<std::string_view> keys;
  stats->members([&](std::string_view k, PgNode) { keys.push_back(k); });
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "owner"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "relations"), keys.end());

  // A_Const: libpg_query 15 writes an Integer's value only above zero, a false Boolean as {}.
  std::vector<PgNode> targets;
  tree.statement(3).stmt.member("SelectStmt")->member("targetList")->items([&](PgNode t) {
    targets.push_back(*t.member("ResTarget")->member("val")->member("A_Const"));
  });
  ASSERT_EQ(targets.size(), 5u);
  EXPECT_TRUE(targets[0].member("ival") && !targets[0].member("ival")->member("ival"));
  EXPECT_TRUE(targets[1].member("ival") && !targets[1].member("ival")->member("ival"));
  bool b = false;
  EXPECT_TRUE(targets[2].member("isnull") && targets[2].member("isnull")->get(b) && b);
  EXPECT_TRUE(targets[3].member("boolval") && !targets[3].member("boolval")->member("boolval"));
  EXPECT_TRUE(targets[4].member("boolval")->member("boolval")->get(b) && b);
  int64_t location = 0;
  EXPECT_TRUE(targets[4].member("location")->get(location));
  EXPECT_GT(location, 0);
}

}  // namespace
}  // namespace migsafe
