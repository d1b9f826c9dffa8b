#include <gtest/gtest.h>

#include "helpers.hpp"
#include "migsafe/schema.hpp"

namespace migsafe {
namespace {

SchemaModel replay(const std::string& sql, int file = 0) {
  SchemaModel model;
  Migration m = test::parse_pg(sql);
  for (const auto& s : m.statements)
    for (const auto& op : s.ops) model.apply(op, file, s.transaction);
  return model;
}

TEST(Schema, ReplaysTablesColumnsIndexesAndConstraints) {
  SchemaModel model = replay(
      "CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(50), amount numeric(10,2));"
      "ALTER TABLE orders ADD COLUMN customer_id bigint;"
      "CREATE INDEX orders_customer_idx ON orders (customer_id);"
      "ALTER TABLE orders ADD CONSTRAINT c CHECK (note IS NOT NULL) NOT VALID;"
      "ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);");
  const TableInfo* t = model.find({"", "orders"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->origin.file, 0);
  ASSERT_NE(t->column("customer_id"), nullptr);
  EXPECT_EQ(t->column("amount")->type.display(), "numeric(12,2)");
  EXPECT_TRUE(t->column("id")->not_null);
  EXPECT_EQ(model.table_of_index({"", "orders_customer_idx"}), t);
  ASSERT_NE(t->constraint("c"), nullptr);
  EXPECT_FALSE(t->constraint("c")->validated);
  EXPECT_FALSE(t->proves_not_null("note"));
  EXPECT_NE(model.find({"public", "orders"}), nullptr) << "unqualified names live in public";
}

TEST(Schema, ValidationRenamesAndDrops) {
  SchemaModel model = replay(
      "CREATE TABLE t (id int, a text);"
      "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;"
      "ALTER TABLE t VALIDATE CONSTRAINT c;"
      "CREATE INDEX t_a ON t (a); ALTER INDEX t_a RENAME TO t_a2;"
      "ALTER TABLE t RENAME COLUMN id TO ident; ALTER TABLE t RENAME TO u;");
  EXPECT_EQ(model.find({"", "t"}), nullptr);
  const TableInfo* u = model.find({"", "u"});
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->proves_not_null("a"));
  EXPECT_NE(u->column("ident"), nullptr);
  EXPECT_EQ(model.table_of_index({"", "t_a2"}), u);
  EXPECT_EQ(model.table_of_index({"", "t_a"}), nullptr);
  SchemaModel dropped = replay("CREATE TABLE t (id int); DROP TABLE t;");
  EXPECT_EQ(dropped.find({"", "t"}), nullptr);
}

TEST(Schema, UnknownTablesBecomePreExistingStubs) {
  SchemaModel model = replay("ALTER TABLE legacy ADD COLUMN note varchar(10);", 3);
  const TableInfo* t = model.find({"", "legacy"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->origin.file, -1);
  EXPECT_EQ(t->column("note")->type.display(), "varchar(10)");
}

TEST(Schema, UniqueUsingIndexAdoptsTheIndex) {
  SchemaModel model = replay(
      "CREATE TABLE t (id int, email text); CREATE UNIQUE INDEX t_email ON t (email);"
      "ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE USING INDEX t_email;");
  const TableInfo* t = model.find({"", "t"});
  ASSERT_NE(t->constraint("t_email_key"), nullptr);
  EXPECT_EQ(t->constraint("t_email_key")->columns, std::vector<std::string>{"email"});
}

}  // namespace
}  // namespace migsafe

namespace migsafe {
namespace {

// Past a few dozen entries a table keeps positions by name: lookups must agree with the
// linear search on every change.
TEST(Schema, LargeTablesKeepLookupsRight) {
  std::string sql = "CREATE TABLE big (id int);";
  for (int i = 0; i < 60; ++i) {
    sql += "ALTER TABLE big ADD COLUMN c" + std::to_string(i) + " varchar(" +
           std::to_string(i + 1) + ");";
    sql += "CREATE INDEX big_c" + std::to_string(i) + " ON big (c" + std::to_string(i) + ");";
    sql += "ALTER TABLE big ADD CONSTRAINT k" + std::to_string(i) + " CHECK (c" +
           std::to_string(i) + " IS NOT NULL) NOT VALID;";
  }
  sql +=
      "ALTER TABLE big RENAME COLUMN c10 TO renamed; ALTER TABLE big DROP COLUMN c20;"
      "ALTER INDEX big_c30 RENAME TO big_thirty; ALTER TABLE big VALIDATE CONSTRAINT k40;"
      "ALTER TABLE big DROP CONSTRAINT k41;";
  SchemaModel model;
  Migration m = test::parse_pg(sql);
  for (const auto& s : m.statements)
    for (const auto& op : s.ops) model.apply(op, 0, s.transaction);
  const TableInfo* t = model.find({"", "big"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->columns.size(), 60u);  // id + 60 - 1 dropped
  EXPECT_EQ(t->column("renamed")->type.display(), "varchar(11)");
  EXPECT_EQ(t->column("c10"), nullptr);
  EXPECT_EQ(t->column("c20"), nullptr);
  EXPECT_EQ(t->column("c59")->type.display(), "varchar(60)");
  EXPECT_EQ(t->index("big_c20"), nullptr) << "dropping a column drops its index";
  EXPECT_NE(t->index("big_thirty"), nullptr);
  EXPECT_EQ(t->index("big_c30"), nullptr);
  EXPECT_EQ(model.table_of_index({"", "big_thirty"}), t);
  EXPECT_TRUE(t->proves_not_null("c40"));
  EXPECT_FALSE(t->proves_not_null("c39"));
  EXPECT_EQ(t->constraint("k41"), nullptr);
  EXPECT_NE(t->constraint("k59"), nullptr);
  // Every entry after a dropped one moved: each name still finds its own.
  for (int i = 0; i < 60; ++i) {
    const std::string n = std::to_string(i);
    if (i != 10 && i != 20) {
      ASSERT_NE(t->column("c" + n), nullptr) << n;
      EXPECT_EQ(t->column("c" + n)->name, "c" + n);
      EXPECT_EQ(t->column("c" + n)->type.display(), "varchar(" + std::to_string(i + 1) + ")");
    }
    if (i != 20 && i != 30) {
      ASSERT_NE(t->index("big_c" + n), nullptr) << n;
      EXPECT_EQ(t->index("big_c" + n)->name, "big_c" + n);
    }
    if (i != 20 && i != 41) {
      ASSERT_NE(t->constraint("k" + n), nullptr) << n;
      EXPECT_EQ(t->constraint("k" + n)->name, "k" + n);
    }
  }
}

// Whether a table has a FULLTEXT index is counted as indexes come, are replaced and go, on
// small tables and on those that keep positions by name, and recounted for filled lists.
// MySQL names indexes per table: two tables may each have an idx, DROP INDEX names the table,
// and the model keeps no index of names alone.
TEST(Schema, IndexNamesPerTable) {
  Migration m =
      parse_migration(Dialect::mysql, make_source("m.sql",
                                                  "CREATE TABLE a (id INT, c INT, KEY idx (c));\n"
                                                  "CREATE TABLE b (id INT, c INT, KEY idx (c));\n"
                                                  "CREATE INDEX other ON a (id);\n"
                                                  "DROP INDEX idx ON a;\n"));
  for (IndexNames names : {IndexNames::per_table, IndexNames::per_schema}) {
    SchemaModel model(names);
    for (const auto& s : m.statements)
      for (const auto& op : s.ops) model.apply(op, 0, s.transaction);
    const TableInfo* a = model.find({"", "a"});
    const TableInfo* b = model.find({"", "b"});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->index("idx"), nullptr);
    EXPECT_NE(a->index("other"), nullptr);
    EXPECT_NE(b->index("idx"), nullptr);
    const TableInfo* owner = model.table_of_index({"", "other"});
    if (names == IndexNames::per_table)
      EXPECT_EQ(owner, nullptr);
    else
      EXPECT_EQ(owner, a);
  }
}

TEST(Schema, FulltextIndexesAreCountedThroughChanges) {
  auto index = [](std::string name, std::string method) {
    IndexInfo i;
    i.name = std::move(name);
    i.columns = {"body"};
    i.method = std::move(method);
    return i;
  };
  for (int others : {0, 40}) {
    TableInfo t;
    for (int i = 0; i < others; ++i) t.add_index(index("i" + std::to_string(i), "btree"));
    EXPECT_FALSE(t.has_fulltext_index());
    t.add_index(index("ft", "fulltext"));
    EXPECT_TRUE(t.has_fulltext_index()) << others;
    t.add_index(index("ft", "btree"));  // the same name replaces it
    EXPECT_FALSE(t.has_fulltext_index()) << others;
    t.add_index(index("ft", "fulltext"));
    t.add_index(index("ft2", "fulltext"));
    t.erase_indexes_if([](const IndexInfo& i) { return i.name == "ft"; });
    EXPECT_TRUE(t.has_fulltext_index()) << "one of two is left: " << others;
    TableInfo copy = t;
    t.erase_index("no such index");
    EXPECT_TRUE(t.has_fulltext_index()) << others;
    t.erase_index("ft2");
    EXPECT_EQ(t.index("ft2"), nullptr);
    EXPECT_FALSE(t.has_fulltext_index()) << others;
    EXPECT_EQ(t.indexes.size(), static_cast<size_t>(others) + 0u) << "ft and ft2 are gone";
    t.add_index(index("ft2", "fulltext"));
    t.erase_indexes_if([](const IndexInfo& i) { return i.method == "fulltext"; });
    EXPECT_FALSE(t.has_fulltext_index()) << others;
    EXPECT_TRUE(copy.has_fulltext_index()) << others;
    t.indexes.push_back(index("direct", "fulltext"));
    t.reindex();
    EXPECT_TRUE(t.has_fulltext_index()) << others;
  }
}

// find() keeps its last answer until the model changes: a dropped, renamed or newly made
// table is answered anew, and a copied model answers with its own tables.
TEST(Schema, LookupsFollowTheModelThroughChangesAndCopies) {
  SchemaModel model = replay("CREATE TABLE a (id int); CREATE TABLE b (id int);");
  const TableInfo* a = model.find({"", "a"});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(model.find({"", "a"}), a);
  EXPECT_EQ(model.find({"public", "a"}), a);
  Migration m = test::parse_pg("DROP TABLE a; ALTER TABLE b RENAME TO c; CREATE TABLE d (id int);");
  model.apply(m.statements[0].ops[0], 1, -1);
  EXPECT_EQ(model.find({"", "a"}), nullptr);
  ASSERT_NE(model.find({"", "b"}), nullptr);
  model.apply(m.statements[1].ops[0], 1, -1);
  EXPECT_EQ(model.find({"", "b"}), nullptr);
  EXPECT_EQ(model.find({"", "d"}), nullptr);
  model.apply(m.statements[2].ops[0], 1, -1);
  EXPECT_NE(model.find({"", "d"}), nullptr);

  const TableInfo* c = model.find({"", "c"});
  ASSERT_NE(c, nullptr);
  SchemaModel copy = model;
  const TableInfo* c_in_copy = copy.find({"", "c"});
  ASSERT_NE(c_in_copy, nullptr);
  EXPECT_NE(c_in_copy, c);
  SchemaModel assigned;
  assigned = model;
  EXPECT_NE(assigned.find({"", "c"}), c);
  EXPECT_EQ(model.find({"", "c"}), c);
}

// Operations keep their large parts on the heap: copies are deep and compare by value.
TEST(Ir, OperationPartsCopyDeepAndCompareByValue) {
  Operation a;
  a.column_spec = ColumnSpec{};
  a.column_spec->name = "x";
  Operation b = a;
  EXPECT_EQ(a, b);
  b.column_spec->name = "y";
  EXPECT_EQ(a.column_spec->name, "x");
  EXPECT_NE(a, b);
  Operation c = std::move(b);
  EXPECT_EQ(c.column_spec->name, "y");
  b = c;
  EXPECT_EQ(b, c);
  c.column_spec.reset();
  EXPECT_FALSE(c.column_spec);
  EXPECT_NE(b, c);
  const Operation& same = a;
  a = same;
  EXPECT_EQ(a.column_spec->name, "x");
  Operation none;
  EXPECT_EQ(none, Operation{});
  EXPECT_FALSE(none.index.has_value());
  none.index.emplace().name = "i";
  EXPECT_EQ(none.index->name, "i");
}

}  // namespace
}  // namespace migsafe
