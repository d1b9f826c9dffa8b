// Behaviour of the rules engine beyond the twins: new-table exemptions, version gates on both
// sides, transactions, suppressions and precision (one finding per cause).
#include <gtest/gtest.h>

#include <algorithm>

#include "helpers.hpp"

namespace migsafe {
namespace {

using test::check_files;
using test::count_rule;
using test::find_finding;
using test::has_rule;

// Placeholders expand; a brace that opens none (empty, spaced, unclosed) stays as written, and
// so does an unknown name, so a typo shows in the output.
TEST(Templates, PlaceholdersAndLiteralBraces) {
  Statement st;
  Operation op;
  op.kind = OpKind::add_column;
  op.table = {"app", "orders"};
  op.column = "note";
  Effect effect;
  OpFacts facts;
  EvalInput in{st, op, effect, facts, nullptr, TargetVersion{}, "", Dialect::postgres};
  EXPECT_EQ(expand_template("{table}.{column} added", in), "app.orders.note added");
  EXPECT_EQ(expand_template("no placeholder", in), "no placeholder");
  EXPECT_EQ(expand_template("", in), "");
  EXPECT_EQ(expand_template("{}", in), "{}");
  EXPECT_EQ(expand_template("{ table}", in), "{ table}");
  EXPECT_EQ(expand_template("open { only", in), "open { only");
  EXPECT_EQ(expand_template("{a{column}}", in), "{anote}");
  EXPECT_EQ(expand_template("{colum}", in), "{colum}");
  EXPECT_EQ(expand_template("x{column}", in), "xnote");
  EXPECT_EQ(expand_template("{column}", in), "note");
  EXPECT_EQ(expand_template("}{column}{", in), "}note{");
}

// The lock notes of operations that say the same are one list, held by all their findings;
// another table's are its own. What a report prints is the same either way.
TEST(Engine, OperationsWithTheSameNotesShareThem) {
  auto r = check_files({"CREATE TABLE a (id int); CREATE TABLE b (id int);",
                        "CREATE INDEX a1 ON a (id);\nCREATE INDEX a2 ON a (id);\n"
                        "CREATE INDEX b1 ON b (id);\n"});
  std::vector<const Finding*> found;
  for (const auto& f : r.findings)
    if (f.rule_id == "create-index-not-concurrent") found.push_back(&f);
  ASSERT_EQ(found.size(), 3u);
  for (const Finding* f : found) ASSERT_NE(f->operation_notes, nullptr);
  EXPECT_EQ(found[0]->operation_notes, found[1]->operation_notes);
  EXPECT_NE(found[0]->operation_notes, found[2]->operation_notes);
  ASSERT_FALSE(found[2]->operation_notes->empty());
  EXPECT_NE(found[2]->operation_notes->front().find(" on b"), std::string::npos)
      << found[2]->operation_notes->front();
  EXPECT_EQ(found[0]->lines().front(), found[0]->operation_notes->front());
  ASSERT_NE(found[0]->title, nullptr);
  EXPECT_EQ(found[0]->title, found[2]->title) << "one title for the rule's findings";

  // Notes that say what the transaction holds, or name a second table, are told apart.
  auto t = check_files({"CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE a (id int, pid int);",
                        "BEGIN;\nALTER TABLE a ADD COLUMN x int;\nCREATE INDEX ai ON a (id);\n"
                        "COMMIT;\nCREATE INDEX aj ON a (id);\n"
                        "ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id);\n"});
  auto all_lines = [](const Finding& f) {
    std::string s;
    for (const auto& l : f.lines()) s += l + "\n";
    return s;
  };
  const Finding* in_tx = nullptr;
  const Finding* after = nullptr;
  for (const auto& f : t.findings)
    if (f.rule_id == "create-index-not-concurrent") (f.at.line == 3 ? in_tx : after) = &f;
  ASSERT_NE(in_tx, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_NE(all_lines(*in_tx).find("held: ACCESS EXCLUSIVE on a since"), std::string::npos)
      << all_lines(*in_tx);
  EXPECT_NE(all_lines(*in_tx).find("until the transaction commits"), std::string::npos);
  EXPECT_EQ(all_lines(*after).find("held: "), std::string::npos) << all_lines(*after);
  EXPECT_EQ(all_lines(*after).find("until the transaction commits"), std::string::npos);
  EXPECT_NE(in_tx->operation_notes, after->operation_notes);
  const Finding* fk = find_finding(t, "add-foreign-key-validates");
  ASSERT_NE(fk, nullptr);
  EXPECT_NE(all_lines(*fk).find("; also SHARE ROW EXCLUSIVE on p"), std::string::npos)
      << all_lines(*fk);
}

// A statement rewrites its table once: a second rewrite finding of the same rule on the
// statement becomes a note on the first; another statement's rewrite is a finding of its own,
// however many came before it.
TEST(Engine, OneRewritePerStatement) {
  std::string sql = "ALTER TABLE t ALTER COLUMN a TYPE text, ALTER COLUMN b TYPE text;\n";
  for (int i = 0; i < 300; ++i)
    sql += "ALTER TABLE t" + std::to_string(i % 7) + " ALTER COLUMN c" + std::to_string(i) +
           " TYPE text, ALTER COLUMN d" + std::to_string(i) + " TYPE text;\n";
  auto r = check_files({sql});
  ASSERT_EQ(count_rule(r, "alter-column-type-rewrite"), 301u);
  const Finding* first = find_finding(r, "alter-column-type-rewrite");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->at.line, 1u);
  EXPECT_NE(std::find(first->notes.begin(), first->notes.end(),
                      "the same rewrite: ALTER COLUMN b TYPE text rewrites t and its indexes "
                      "under ACCESS EXCLUSIVE"),
            first->notes.end());
  for (const auto& f : r.findings) {
    if (f.rule_id != "alter-column-type-rewrite") continue;
    size_t merged = std::count_if(f.notes.begin(), f.notes.end(), [](const std::string& n) {
      return n.starts_with("the same rewrite: ");
    });
    EXPECT_EQ(merged, 1u) << f.message;
  }
}

TEST(Engine, TableCreatedInTheSameFileIsExempt) {
  auto same =
      check_files({"CREATE TABLE t (id int, a int); CREATE INDEX t_a ON t (a);"
                   "ALTER TABLE t ADD COLUMN b uuid DEFAULT gen_random_uuid();"
                   "ALTER TABLE t ALTER COLUMN a TYPE bigint; DROP INDEX t_a;"});
  EXPECT_TRUE(same.findings.empty());
  auto later = check_files({"CREATE TABLE t (id int, a int);", "CREATE INDEX t_a ON t (a);"});
  EXPECT_TRUE(has_rule(later, "create-index-not-concurrent"));
}

TEST(Engine, UnknownTablesCountAsExisting) {
  auto r = check_files({"CREATE INDEX legacy_a ON legacy (a);"});
  EXPECT_TRUE(has_rule(r, "create-index-not-concurrent"));
}

TEST(Engine, SchemaQualifiedNamesAreDistinct) {
  auto r =
      check_files({"CREATE TABLE public.widgets (id int); CREATE INDEX w ON other.widgets (id);"});
  EXPECT_TRUE(has_rule(r, "create-index-not-concurrent"));
}

TEST(Engine, ConcurrentlyInTransactionFailsEvenOnNewTables) {
  auto r = check_files(
      {"BEGIN; CREATE TABLE t (id int); CREATE INDEX CONCURRENTLY t_id ON t (id); COMMIT;"});
  EXPECT_TRUE(has_rule(r, "concurrently-in-transaction"));
  auto drop =
      check_files({"CREATE TABLE t (id int);", "BEGIN; DROP INDEX CONCURRENTLY t_id; COMMIT;"});
  EXPECT_TRUE(has_rule(drop, "concurrently-in-transaction"));
  auto reindex = check_files({"BEGIN; REINDEX TABLE CONCURRENTLY t; COMMIT;"});
  EXPECT_TRUE(has_rule(reindex, "concurrently-in-transaction"));
}

TEST(Engine, SetNotNullVersionGate) {
  std::vector<std::string> files{
      "CREATE TABLE t (id int, a int);",
      "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;",
      "ALTER TABLE t VALIDATE CONSTRAINT a_nn;", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"};
  EXPECT_FALSE(has_rule(check_files(files, 12), "set-not-null-scan"));
  EXPECT_FALSE(has_rule(check_files(files, 17), "set-not-null-scan"));
  EXPECT_TRUE(has_rule(check_files(files, 11), "set-not-null-scan"));
  // A NOT VALID check does not prove anything yet.
  std::vector<std::string> unvalidated{files[0], files[1], files[3]};
  EXPECT_TRUE(has_rule(check_files(unvalidated, 16), "set-not-null-scan"));
}

TEST(Engine, ReindexVersionGate) {
  auto on11 = check_files({"REINDEX TABLE t;"}, 11);
  EXPECT_TRUE(has_rule(on11, "reindex-before-12"));
  EXPECT_FALSE(has_rule(on11, "reindex-not-concurrent"));
  auto on12 = check_files({"REINDEX TABLE t;"}, 12);
  EXPECT_TRUE(has_rule(on12, "reindex-not-concurrent"));
  EXPECT_FALSE(has_rule(on12, "reindex-before-12"));
}

TEST(Engine, TypeChangeNeedsTheOldType) {
  auto known = check_files(
      {"CREATE TABLE t (id int, v varchar(10), n numeric(8,2));",
       "ALTER TABLE t ALTER COLUMN v TYPE varchar(20), ALTER COLUMN n TYPE numeric(9,2);"
       "ALTER TABLE t ALTER COLUMN v TYPE text;"});
  EXPECT_FALSE(has_rule(known, "alter-column-type-rewrite"));
  auto unknown = check_files({"ALTER TABLE t ALTER COLUMN v TYPE text;"});
  ASSERT_TRUE(has_rule(unknown, "alter-column-type-rewrite"));
  EXPECT_NE(unknown.findings[0].lines().back().find("not known"), std::string::npos);
  // The replayed type follows earlier changes.
  auto chain = check_files({"CREATE TABLE t (v varchar(10));",
                            "ALTER TABLE t ALTER COLUMN v TYPE varchar(5);",
                            "ALTER TABLE t ALTER COLUMN v TYPE varchar(8);"});
  EXPECT_EQ(count_rule(chain, "alter-column-type-rewrite"), 1u);
}

TEST(Engine, StableDefaultsDoNotRewrite) {
  auto r = check_files(
      {"CREATE TABLE t (id int);",
       "SET lock_timeout = '1s';"
       "ALTER TABLE t ADD COLUMN a timestamptz DEFAULT now(), ADD COLUMN b int DEFAULT 0,"
       " ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP, ADD COLUMN d text DEFAULT "
       "lower('X');"});
  EXPECT_TRUE(r.findings.empty());
  auto v = check_files({"CREATE TABLE t (id int);",
                        "ALTER TABLE t ADD COLUMN a timestamptz DEFAULT clock_timestamp();"
                        "ALTER TABLE t ADD COLUMN b text DEFAULT my_fn();"});
  EXPECT_EQ(count_rule(v, "add-column-volatile-default"), 2u);
}

TEST(Engine, DataChangeUnderLockOnlyInsideExplicitTransactions) {
  auto autocommit = check_files(
      {"CREATE TABLE t (id int);", "ALTER TABLE t ADD COLUMN a int; UPDATE t SET a = 1;"});
  EXPECT_FALSE(has_rule(autocommit, "data-change-under-lock"));
  auto tx = check_files(
      {"CREATE TABLE t (id int);",
       "BEGIN; ALTER TABLE t ADD COLUMN a int; UPDATE t SET a = 1 WHERE id > 0; COMMIT;"});
  ASSERT_TRUE(has_rule(tx, "data-change-under-lock"));
  auto other_table = check_files(
      {"CREATE TABLE t (id int); CREATE TABLE u (id int);",
       "BEGIN; ALTER TABLE t ADD COLUMN a int; UPDATE u SET id = 1 WHERE id = 2; COMMIT;"});
  EXPECT_FALSE(has_rule(other_table, "data-change-under-lock"));
  auto after_commit = check_files({"CREATE TABLE t (id int);",
                                   "BEGIN; ALTER TABLE t ADD COLUMN a int; COMMIT; BEGIN; UPDATE t "
                                   "SET a = 1 WHERE id = 1; COMMIT;"});
  EXPECT_FALSE(has_rule(after_commit, "data-change-under-lock"));
}

TEST(Engine, ForeignKeyLockOnReferencedTableIsReported) {
  auto r = check_files({"CREATE TABLE c (id int primary key); CREATE TABLE o (id int, c_id int);",
                        "ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (c_id) REFERENCES c (id);"});
  ASSERT_TRUE(has_rule(r, "add-foreign-key-validates"));
  const Finding& f = r.findings[0];
  ASSERT_TRUE(f.effect);
  ASSERT_EQ(f.effect->other_locks.size(), 1u);
  EXPECT_EQ(f.effect->other_locks[0].table.name, "c");
  EXPECT_EQ(f.effect->lock, LockMode::share_row_exclusive);
  EXPECT_TRUE(f.effect->blocks_writes);
  EXPECT_FALSE(f.effect->blocks_reads);
}

TEST(Engine, SuppressionForms) {
  std::string setup = "CREATE TABLE t (id int, a int);";
  std::string timeout = "SET lock_timeout = '1s';\n";
  auto above = check_files(
      {setup,
       timeout + "-- migsafe:ignore drop-column unused since 4.2\nALTER TABLE t DROP COLUMN a;"});
  EXPECT_TRUE(above.findings.empty());
  auto trailing = check_files(
      {setup,
       timeout + "ALTER TABLE t DROP COLUMN a; -- migsafe:ignore drop-column unused since 4.2"});
  EXPECT_TRUE(trailing.findings.empty());
  auto several = check_files({setup,
                              "-- migsafe:ignore drop-column,create-index-not-concurrent cleanup\n"
                              "ALTER TABLE t DROP COLUMN a;"});
  EXPECT_FALSE(has_rule(several, "drop-column"));
  EXPECT_TRUE(has_rule(several, "suppression-unused") == false);
  // A suppression covers only the next statement.
  auto next_only = check_files(
      {setup, "-- migsafe:ignore drop-column reason\nSELECT 1;\nALTER TABLE t DROP COLUMN a;"});
  EXPECT_TRUE(has_rule(next_only, "drop-column"));
  EXPECT_TRUE(has_rule(next_only, "suppression-unused"));
  auto no_reason =
      check_files({setup, "-- migsafe:ignore drop-column\nALTER TABLE t DROP COLUMN a;"});
  // Without a reason it suppresses nothing, and says so; squawk's comment needs none.
  EXPECT_TRUE(has_rule(no_reason, "drop-column"));
  EXPECT_TRUE(has_rule(no_reason, "suppression-without-reason"));
  EXPECT_FALSE(has_rule(no_reason, "suppression-unused"));
  auto squawk =
      check_files({setup, "-- squawk-ignore ban-drop-column\nALTER TABLE t DROP COLUMN a;"});
  EXPECT_FALSE(has_rule(squawk, "drop-column"));
  EXPECT_FALSE(has_rule(squawk, "suppression-without-reason"));
  auto unknown =
      check_files({setup, "-- migsafe:ignore drop-colum typo\nALTER TABLE t DROP COLUMN a;"});
  EXPECT_TRUE(has_rule(unknown, "drop-column"));
  EXPECT_TRUE(has_rule(unknown, "suppression-unknown-rule"));
}

TEST(Engine, OneFindingPerCause) {
  Pack p = load_pack_text(R"(
pack: causes
dialect: postgres
rules:
  - id: weak
    severity: warning
    title: t
    message: weak
    why: w
    cause: same
    when: {kind: create_index}
  - id: strong
    severity: error
    title: t
    message: strong
    why: w
    cause: same
    when: {kind: create_index}
  - id: independent
    severity: info
    title: t
    message: other
    why: w
    when: {kind: create_index}
)",
                          "causes.yaml");
  std::vector<Pack> packs{p};
  auto r = check_files({"CREATE INDEX i ON t (a);"}, 16, &packs);
  EXPECT_TRUE(has_rule(r, "strong"));
  EXPECT_FALSE(has_rule(r, "weak"));
  EXPECT_TRUE(has_rule(r, "independent"));
}

TEST(Engine, FindingsCarryExactLocations) {
  auto r = check_files({"CREATE TABLE t (id int, a int);",
                        "SET lock_timeout = 1000;\n\n  ALTER TABLE t\n    ADD COLUMN b uuid "
                        "DEFAULT gen_random_uuid();"});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].at.line, 4u);
  EXPECT_EQ(r.findings[0].at.col, 16u);
  EXPECT_EQ(r.findings[0].statement.start.line, 3u);
  EXPECT_EQ(r.findings[0].statement.start.col, 3u);
}

TEST(Engine, SaferAlternativeIsConcreteSql) {
  auto r = check_files({"CREATE TABLE orders (id int, c int);",
                        "SET lock_timeout = '2s'; CREATE UNIQUE INDEX orders_c ON orders (c);"});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_NE(r.findings[0].instead.find("CREATE UNIQUE INDEX CONCURRENTLY orders_c ON orders (c);"),
            std::string::npos);
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(Engine, DuplicateIndexNeedsSameMethodAndPlainColumns) {
  std::string setup =
      "CREATE TABLE u (id int, email text, name text, tags text[]);"
      "CREATE UNIQUE INDEX CONCURRENTLY u_email ON u (lower(email));"
      "CREATE INDEX CONCURRENTLY u_tags ON u USING gin (tags);"
      "CREATE INDEX CONCURRENTLY u_name_id ON u (name, id);";
  auto expr =
      test::check_files({setup, "CREATE UNIQUE INDEX CONCURRENTLY u_name ON u (lower(name));"});
  EXPECT_FALSE(test::has_rule(expr, "duplicate-index"));
  auto method = test::check_files({setup, "CREATE INDEX CONCURRENTLY u_tags_btree ON u (tags);"});
  EXPECT_FALSE(test::has_rule(method, "duplicate-index"));
  auto prefix = test::check_files({setup, "CREATE INDEX CONCURRENTLY u_name ON u (name);"});
  EXPECT_TRUE(test::has_rule(prefix, "duplicate-index"));
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

TEST(OneFindingPerCause, TwoTypeChangesRewriteOnce) {
  auto r =
      test::check_files({"CREATE TABLE w (id int, a int, b int);",
                         "SET lock_timeout = '1s';\n"
                         "ALTER TABLE w ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;"});
  ASSERT_EQ(test::count_rule(r, "alter-column-type-rewrite"), 1u);
  const Finding* f = test::find_finding(r, "alter-column-type-rewrite");
  bool names_b = false;
  for (const auto& n : f->notes) names_b = names_b || n.find("COLUMN b") != std::string::npos;
  EXPECT_TRUE(names_b);
}

TEST(OneFindingPerCause, MissingLockTimeoutAddsOnlyItsOwnPoint) {
  auto r = test::check_files({"CREATE TABLE o (id int);", "CREATE INDEX o_id ON o (id);"});
  const Finding* timeout = test::find_finding(r, "missing-lock-timeout");
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->operation_notes, nullptr);
  EXPECT_TRUE(timeout->notes.empty());
  EXPECT_EQ(timeout->instead.find("CREATE INDEX"), std::string::npos) << timeout->instead;
  // Alone on its statement it keeps the lock note and the statement.
  auto alone = test::check_files({"CREATE TABLE o (id int);", "ALTER TABLE o ADD COLUMN n int;"});
  const Finding* only = test::find_finding(alone, "missing-lock-timeout");
  ASSERT_NE(only, nullptr);
  ASSERT_NE(only->operation_notes, nullptr);
  EXPECT_FALSE(only->operation_notes->empty());
  EXPECT_NE(only->instead.find("ADD COLUMN n int"), std::string::npos);
}

TEST(Messages, BatchesWalkTheTablesOwnKey) {
  CheckResult r = test::check_files(
      {"CREATE TABLE orders (order_no bigint PRIMARY KEY, s text);", "UPDATE orders SET s = 'x';"});
  const Finding* f = test::find_finding(r, "update-without-where");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->instead.find("WHERE order_no BETWEEN <from> AND <to>"), std::string::npos)
      << f->instead;
  // A table the model does not know: the placeholder a reader adjusts.
  CheckResult unknown_table = test::check_files({"UPDATE ledger SET s = 'x';"});
  const Finding* unknown = test::find_finding(unknown_table, "update-without-where");
  ASSERT_NE(unknown, nullptr);
  EXPECT_NE(unknown->instead.find("WHERE id BETWEEN"), std::string::npos) << unknown->instead;
}

TEST(Messages, SelfReferencingForeignKeyNamesItsTableOnce) {
  auto r = test::check_files(
      {"CREATE TABLE c (id int PRIMARY KEY, parent int);",
       "ALTER TABLE c ADD CONSTRAINT c_parent_fk FOREIGN KEY (parent) REFERENCES c (id);"});
  const Finding* f = test::find_finding(r, "add-foreign-key-validates");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->message.find("c and c"), std::string::npos) << f->message;
  for (const auto& n : f->lines()) EXPECT_EQ(n.find("also"), std::string::npos) << n;
}

}  // namespace
}  // namespace migsafe
