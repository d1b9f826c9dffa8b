// Keeps the PostgreSQL effects table honest: every case runs on the real test server
// (scripts/start-postgres.sh; other majors from scripts/start-pg-majors.sh) inside a transaction
// that is always rolled back, and what the server did must be what migsafe predicts for that
// server's major:
// - the lock on every table, partition, view and materialized view that existed before (from
//   pg_locks, the strongest mode this session holds on each);
// - which of them were rewritten (a new relfilenode);
// - which were read in full (pg_stat_xact_user_tables.seq_scan, with enable_seqscan off so
//   that a scan only happens where no index can serve);
// - whether the statement refuses to run inside a transaction block.
// Left out on purpose: a table the statement only queries under ACCESS SHARE (a view's or a
// materialized view's query), its lock and its reads. ACCESS SHARE conflicts with ACCESS
// EXCLUSIVE alone, and migsafe names the tables a statement changes or checks, not every table a
// query reads. And TRUNCATE's new, empty storage is not called a rewrite.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "migsafe/check.hpp"
#include "migsafe/inputs.hpp"
#include "pg_server.hpp"

namespace migsafe {
namespace {

// The tables every case starts from, with rows, in a schema of the case's own.
const char* kBase = R"sql(
CREATE TABLE p (id int PRIMARY KEY, name text);
CREATE TABLE t (id int PRIMARY KEY, p_id int REFERENCES p (id), a int, b text, ts timestamp,
                c int CONSTRAINT t_c_check CHECK (c > 0));
CREATE INDEX t_a_idx ON t (a);
INSERT INTO p VALUES (1, 'x'), (2, 'y');
INSERT INTO t VALUES (1, 1, 1, 'a', '2026-01-01', 1), (2, 2, 2, 'b', '2026-01-02', 2);
CREATE TABLE pt (id int, k int, v text) PARTITION BY RANGE (k);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (200);
INSERT INTO pt VALUES (1, 1, 'a'), (2, 150, 'b');
CREATE TABLE loose (id int, k int, v text);
INSERT INTO loose VALUES (1, 250, 'c');
CREATE VIEW tv AS SELECT id FROM t;
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE DOMAIN posint AS int;
CREATE TABLE d (id int, x posint);
INSERT INTO d VALUES (1, 1);
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();
)sql";

struct Case {
  const char* statement;
  const char* setup = "";  // after the base tables
  int min_major = 11;      // the first major with the syntax
};

// Every ALTER TABLE form and the statements around it that migrations use.
const Case kCases[] = {
    {"ALTER TABLE t ADD COLUMN x int"},
    {"ALTER TABLE t ADD COLUMN x int DEFAULT 0"},
    {"ALTER TABLE t ADD COLUMN x float8 DEFAULT random()"},
    {"ALTER TABLE t ADD COLUMN x serial"},
    {"ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a + 1) STORED", "", 12},
    {"ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS IDENTITY"},
    {"ALTER TABLE t ADD COLUMN x int CHECK (x > 0)"},
    {"ALTER TABLE t ADD COLUMN x int UNIQUE"},
    {"ALTER TABLE t ADD COLUMN x int REFERENCES p (id)"},
    {"ALTER TABLE t ADD COLUMN x posint", "ALTER DOMAIN posint ADD CHECK (VALUE > 0)"},
    {"ALTER TABLE t DROP COLUMN b"},
    {"ALTER TABLE t ALTER COLUMN a TYPE bigint"},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(10)"},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar"},
    {"ALTER TABLE t ALTER COLUMN a TYPE int USING a + 1"},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar USING b"},
    {"ALTER TABLE t ALTER COLUMN a TYPE bigint USING a"},
    {"SET timezone = 'Europe/Berlin'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"},
    {"SET timezone = 'UTC'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"},
    {"SET timezone = 'UTC'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz", "", 12},
    {"ALTER TABLE t ALTER COLUMN a SET NOT NULL"},
    {"ALTER TABLE p ALTER COLUMN name DROP NOT NULL"},
    {"ALTER TABLE t ALTER COLUMN a SET DEFAULT 1"},
    {"ALTER TABLE t ALTER COLUMN a DROP DEFAULT"},
    {"ALTER TABLE t ALTER COLUMN a SET STATISTICS 100"},
    {"ALTER TABLE t ALTER COLUMN a SET (n_distinct = 10)"},
    {"ALTER TABLE t SET (fillfactor = 70)"},
    {"ALTER TABLE t RESET (fillfactor)"},
    {"ALTER TABLE t SET (autovacuum_enabled = false)"},
    {"ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0)"},
    {"ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID"},
    {"ALTER TABLE t VALIDATE CONSTRAINT t_a_check",
     "ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID"},
    {"ALTER TABLE t ADD CONSTRAINT t_a_fk FOREIGN KEY (a) REFERENCES p (id)"},
    {"ALTER TABLE t ADD CONSTRAINT t_a_fk FOREIGN KEY (a) REFERENCES p (id) NOT VALID"},
    {"ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b)"},
    {"ALTER TABLE t DROP CONSTRAINT t_c_check"},
    {"ALTER TABLE t DROP CONSTRAINT t_p_id_fkey"},
    {"ALTER TABLE t RENAME COLUMN b TO bb"},
    {"ALTER TABLE t RENAME TO t2"},
    {"ALTER TABLE t RENAME CONSTRAINT t_c_check TO t_c_chk"},
    {"ALTER TABLE t CLUSTER ON t_pkey"},
    {"ALTER TABLE t SET WITHOUT CLUSTER"},
    {"ALTER TABLE t SET UNLOGGED"},
    {"ALTER TABLE t DISABLE TRIGGER t_trg"},
    {"ALTER TABLE t ENABLE TRIGGER t_trg"},
    {"CREATE INDEX t_b_idx ON t (b)"},
    {"CREATE UNIQUE INDEX t_b_idx ON t (b)"},
    {"CREATE INDEX CONCURRENTLY t_b_idx ON t (b)"},
    {"DROP INDEX t_a_idx"},
    {"DROP INDEX CONCURRENTLY t_a_idx"},
    {"REINDEX TABLE t"},
    {"REINDEX INDEX t_a_idx"},
    {"REINDEX TABLE CONCURRENTLY t", "", 12},
    {"CLUSTER t USING t_pkey"},
    {"VACUUM t"},
    {"VACUUM FULL t"},
    {"ANALYZE t"},
    {"DROP TABLE t"},
    {"TRUNCATE t"},
    {"DROP VIEW tv"},
    {"DROP MATERIALIZED VIEW mv"},
    {"REFRESH MATERIALIZED VIEW mv"},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY mv"},
    {"CREATE TRIGGER t_trg2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg()"},
    {"LOCK TABLE t IN SHARE MODE"},
    {"LOCK TABLE t"},
    {"UPDATE t SET a = 5"},
    {"UPDATE t SET a = 5 WHERE id = 1"},
    {"DELETE FROM t"},
    {"DELETE FROM t WHERE id = 1"},
    {"ALTER TABLE pt DETACH PARTITION pt_2"},
    {"ALTER TABLE pt DETACH PARTITION pt_2 CONCURRENTLY", "", 14},
    {"CREATE TABLE n (id int PRIMARY KEY, p_id int REFERENCES p (id))"},
    {"ALTER INDEX t_a_idx RENAME TO t_a_idx2"},
    {"CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)"},
    {"DROP INDEX IF EXISTS no_such_idx"},
    {"ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'", "CREATE TYPE mood AS ENUM ('sad', 'ok')"},
    {"ALTER TABLE t SET ACCESS METHOD heap", "", 15},
    {"COMMENT ON TABLE t IS 'x'"},
    {"COMMENT ON COLUMN t.a IS 'x'"},
    {"COMMENT ON CONSTRAINT t_c_check ON t IS 'x'"},
    {"COMMENT ON TRIGGER t_trg ON t IS 'x'"},
    {"DROP TRIGGER t_trg ON t"},
    {"DROP TABLE p CASCADE"},
    {"TRUNCATE p CASCADE"},
    // what the server refuses as the schema stands
    {"ALTER TABLE t ALTER COLUMN id TYPE bigint"},
    {"ALTER TABLE t DROP COLUMN id"},
    {"ALTER TABLE t DROP COLUMN id CASCADE"},
    {"ALTER TABLE t ALTER COLUMN id DROP NOT NULL"},
    {"DROP TABLE t CASCADE"},
    {"DROP TABLE p"},
    {"DROP VIEW tv; DROP MATERIALIZED VIEW mv; DROP TABLE p, t"},
    {"DROP TABLE p, t"},
    {"TRUNCATE p"},
    {"TRUNCATE p, t"},
    {"DROP VIEW tv"},
    {"ALTER TABLE t ADD COLUMN a int"},
    {"ALTER TABLE t ADD COLUMN IF NOT EXISTS a int"},
    {"CREATE TABLE n (id int, id int)"},
    {"INSERT INTO p (id, name, name) VALUES (3, 'a', 'b')"},
    {"INSERT INTO p (id, name) VALUES (3, 'a')"},
    {"UPDATE t SET a = 1, a = 2 WHERE id = 1"},
    {"UPDATE t SET (a, b) = (1, 'x') WHERE id = 1"},
    {"UPDATE pc SET c[0] = 1, c[1] = 2 WHERE id = 1",
     "CREATE TABLE pc (id int PRIMARY KEY, c point); INSERT INTO pc VALUES (1, point(0, 0)), (2, "
     "point(1, 1))"},
    {"CREATE VIEW tw AS SELECT id, a, t.a FROM t"},
    {"CREATE VIEW tw (x, a) AS SELECT id, id, a FROM t"},
    {"CREATE VIEW tw (x, y) AS SELECT id, id FROM t"},
    {"CREATE MATERIALIZED VIEW mw AS SELECT id, a AS id FROM t"},
    {"CREATE TABLE tc AS SELECT id, count(*), count(a) FROM t GROUP BY id"},
    {"ALTER TABLE t ALTER COLUMN a TYPE bigint", "CREATE VIEW ta AS SELECT * FROM t"},
    {"ALTER TABLE t DROP COLUMN a",
     "ALTER TABLE t ADD COLUMN z int; CREATE VIEW ta AS SELECT z FROM t"},
    {"ALTER TABLE t DROP COLUMN a",
     "CREATE VIEW ta AS SELECT * FROM t; ALTER TABLE t ADD COLUMN z int"},
    {"ALTER TABLE t DROP COLUMN z",
     "CREATE VIEW ta AS SELECT * FROM t; ALTER TABLE t ADD COLUMN z int"},
    {"ALTER TABLE t DROP CONSTRAINT t_p_id_fkey; DROP TABLE p"},
    {"ALTER TABLE p DROP CONSTRAINT p_pkey"},
    {"ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE"},
    {"DROP INDEX p_pkey"},
    {"DROP INDEX uq_a", "CREATE UNIQUE INDEX uq_a ON t (a)"},
    {"ALTER TABLE t DROP CONSTRAINT t_a_key", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)"},
    {"DROP INDEX t_a_key", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)"},
    {"ALTER TABLE nv ALTER COLUMN a SET NOT NULL",
     "CREATE TABLE nv (a int, CONSTRAINT nv_a CHECK (a IS NOT NULL) NOT VALID); "
     "INSERT INTO nv VALUES (1), (2)",
     12},
    {"ALTER TABLE nv VALIDATE CONSTRAINT nv_a",
     "CREATE TABLE nv (a int, CONSTRAINT nv_a CHECK (a IS NOT NULL) NOT VALID); "
     "INSERT INTO nv VALUES (1), (2)"},
    {"ALTER TABLE t DROP COLUMN p_id; DROP TABLE p"},
    {"ALTER TABLE t ALTER COLUMN a TYPE bigint", "CREATE VIEW ta AS SELECT t.a + 1 AS a1 FROM t"},
    {"ALTER TABLE t ALTER COLUMN b TYPE varchar(5)",
     "CREATE VIEW ta AS WITH w AS (SELECT b FROM t) SELECT * FROM w"},
    // partitions: what reaches every partition, and what ATTACH reads
    {"ALTER TABLE pt ADD COLUMN x int"},
    {"ALTER TABLE pt ADD COLUMN x int DEFAULT 0"},
    {"ALTER TABLE pt ALTER COLUMN v SET NOT NULL"},
    {"ALTER TABLE pt ALTER COLUMN id TYPE bigint"},
    {"ALTER TABLE pt ADD CONSTRAINT pt_id_check CHECK (id > 0)"},
    {"ALTER TABLE pt DROP COLUMN v"},
    {"ALTER TABLE pt RENAME COLUMN v TO w"},
    {"CREATE INDEX pt_v_idx ON pt (v)"},
    {"TRUNCATE pt"},
    {"DROP TABLE pt"},
    {"LOCK TABLE pt IN SHARE MODE"},
    {"ALTER TABLE pt ATTACH PARTITION loose FOR VALUES FROM (200) TO (300)"},
    // domains: every table using one is checked
    {"ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0)"},
    {"ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0) NOT VALID"},
    {"ALTER DOMAIN posint SET NOT NULL"},
};

// "AccessExclusiveLock" -> ACCESS EXCLUSIVE
LockMode server_mode(std::string mode) {
  if (mode.ends_with("Lock")) mode.resize(mode.size() - 4);
  std::string words;
  for (char ch : mode) {
    if (std::isupper(static_cast<unsigned char>(ch)) && !words.empty()) words += ' ';
    words += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  auto m = parse_lock_mode(words);
  if (!m) ADD_FAILURE() << "unknown lock mode " << mode;
  return m.value_or(LockMode::none);
}

// What one statement did (as the server shows it) or is predicted to do (as migsafe says).
struct Outcome {
  std::map<std::string, LockMode> locks;  // table -> strongest mode
  std::set<std::string> rewritten;
  std::set<std::string> read;
  bool outside_block = false;
  std::string refused;  // the server's SQLSTATE, or migsafe's reason

  std::string describe() const {
    std::ostringstream s;
    if (outside_block) s << "refused inside a transaction block";
    if (!refused.empty()) s << "refused (" << refused << ")";
    for (const auto& [t, m] : locks) s << ' ' << t << '=' << lock_mode_name(m);
    s << " | rewritten:";
    for (const auto& t : rewritten) s << ' ' << t;
    s << " | read:";
    for (const auto& t : read) s << ' ' << t;
    return s.str();
  }
};

using Relations = std::map<std::string, std::string>;  // oid -> name

Relations relations(pqxx::work& tx, const std::string& schema) {
  Relations out;
  for (auto row :
       tx.exec("SELECT c.oid::text, c.relname FROM pg_class c WHERE c.relnamespace = " +
               tx.quote(schema) + "::regnamespace AND c.relkind IN ('r', 'p', 'm', 'v')"))
    out[row[0].as<std::string>()] = row[1].as<std::string>();
  return out;
}

std::map<std::string, std::string> filenodes(pqxx::work& tx, const Relations& rels) {
  std::map<std::string, std::string> out;
  for (auto row : tx.exec("SELECT oid::text, relfilenode::text FROM pg_class WHERE relkind IN "
                          "('r', 'm')"))
    if (rels.count(row[0].as<std::string>()))
      out[row[0].as<std::string>()] = row[1].as<std::string>();
  return out;
}

// The session's reads so far, per relation: sequential scans, and rows read by any means.
// They count since the statistics were last sent, which is never in the middle of a
// transaction, so two readings in one compare.
struct Reads {
  long scans = 0;
  long rows = 0;
};
std::map<std::string, Reads> reads(pqxx::work& tx, const Relations& rels) {
  std::map<std::string, Reads> out;
  for (auto row : tx.exec("SELECT relid::text, seq_scan, seq_tup_read + coalesce(idx_tup_fetch, "
                          "0) FROM pg_stat_xact_user_tables"))
    if (rels.count(row[0].as<std::string>()))
      out[row[0].as<std::string>()] = {row[1].as<long>(), row[2].as<long>()};
  return out;
}

// The rows of each table before the statement (read after the baseline of reads would count).
std::map<std::string, long> row_counts(pqxx::work& tx, const Relations& rels) {
  std::map<std::string, long> out;
  for (auto row :
       tx.exec("SELECT c.oid::text, c.relname, c.relkind FROM pg_class c WHERE "
               "c.relkind IN ('r', 'm') AND c.relnamespace = current_schema()::regnamespace"))
    if (rels.count(row[0].as<std::string>()))
      out[row[0].as<std::string>()] =
          tx.exec1("SELECT count(*) FROM " + tx.quote_name(row[1].as<std::string>()))[0].as<long>();
  return out;
}

// Runs the case on the server in a transaction that is rolled back.
Outcome observe(pqxx::connection& c, const std::string& schema, const Case& k,
                std::set<std::string>& existing) {
  Outcome o;
  {
    pqxx::nontransaction setup(c);
    setup.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema +
               "; SET search_path = " + schema + "; RESET timezone");
    setup.exec(kBase);
    if (*k.setup) setup.exec(k.setup);
  }
  pqxx::work tx(c);
  tx.exec("SET LOCAL enable_seqscan = off");
  Relations rels = relations(tx, schema);
  for (const auto& [oid, name] : rels) existing.insert(name);
  auto before = filenodes(tx, rels);
  auto rows = row_counts(tx, rels);
  auto reads_before = reads(tx, rels);
  std::vector<std::pair<std::string, std::string>> links;  // partitioned table, partition
  for (auto row : tx.exec("SELECT inhparent::text, inhrelid::text FROM pg_inherits"))
    if (rels.count(row[0].as<std::string>()) && rels.count(row[1].as<std::string>()))
      links.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  try {
    pqxx::subtransaction sub(tx);
    sub.exec(k.statement);
    sub.commit();
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "25001") {
      o.outside_block = true;
    } else {
      o.refused = e.sqlstate();
    }
    return o;
  }
  for (auto row : tx.exec("SELECT relation::text, mode FROM pg_locks WHERE pid = "
                          "pg_backend_pid() AND locktype = 'relation' AND granted")) {
    auto it = rels.find(row[0].as<std::string>());
    if (it == rels.end()) continue;
    LockMode m = server_mode(row[1].as<std::string>());
    LockMode& have = o.locks[it->second];
    have = std::max(have, m);
  }
  for (const auto& [oid, node] : filenodes(tx, rels))
    if (before.count(oid) && before[oid] != node) o.rewritten.insert(rels[oid]);
  // Read in full: a sequential scan, or as many rows as the table had through an index.
  for (const auto& [oid, now] : reads(tx, rels)) {
    const Reads& was = reads_before[oid];
    if (now.scans > was.scans || (rows[oid] > 0 && now.rows - was.rows >= rows[oid]))
      o.read.insert(rels[oid]);
  }
  // A partitioned table has no storage of its own: it counts as rewritten or read when one of
  // the partitions it had was, as migsafe names the table the statement names.
  for (const auto& [parent, child] : links) {
    if (o.rewritten.count(rels[child])) o.rewritten.insert(rels[parent]);
    if (o.read.count(rels[child])) o.read.insert(rels[parent]);
  }
  tx.abort();
  return o;
}

std::string bare(const QualifiedName& n) {
  return n.name;
}

// What migsafe says the statement does, after replaying the same base tables.
Outcome predict(const Case& k, int major) {
  std::string setup = std::string(kBase) + ";\n" + k.setup + ";\n";
  SourceSet set{make_source("setup.sql", setup), make_source("case.sql", k.statement)};
  CheckOptions opt;
  opt.version = TargetVersion{major, 0};
  opt.collect_effects = true;
  CheckResult r = check_sets({set}, test::shipped_postgres_packs(), opt);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front().message;
  Outcome o;
  for (const auto& op : r.effects) {
    if (op.file != 1) continue;
    const Effect& e = op.effect;
    if (e.tx == TxRule::outside_block) o.outside_block = true;
    for (const auto& l : table_locks(e)) {
      LockMode& have = o.locks[bare(l.table)];
      have = std::max(have, l.mode);
    }
    if (!e.refused.empty()) o.refused = e.refused;
    if (e.rewrite && !e.table.name.empty()) o.rewritten.insert(bare(e.table));
    if ((e.scan || e.rewrite) && !e.table.name.empty()) o.read.insert(bare(e.table));
    for (const auto& t : e.also_read) o.read.insert(bare(t));
    for (const auto& t : e.also_rewritten) {
      o.rewritten.insert(bare(t));
      o.read.insert(bare(t));
    }
  }
  return o;
}

// Aligns what the server shows with what migsafe can say: tables created by the statement are
// not compared, and a table only read (ACCESS SHARE) need not be named.
void reconcile(Outcome& server, Outcome& predicted, const std::set<std::string>& existing,
               bool truncates) {
  std::erase_if(predicted.locks, [&](const auto& kv) { return !existing.count(kv.first); });
  // A statement refused, or refused in a transaction block, did nothing to compare.
  for (Outcome* o : {&server, &predicted})
    if (o->outside_block || !o->refused.empty()) {
      o->locks.clear();
      o->rewritten.clear();
      o->read.clear();
      if (!o->refused.empty()) o->refused = "refused";
    }
  if (server.outside_block || !server.refused.empty()) return;
  // TRUNCATE gives a table new, empty storage without reading or copying a row; migsafe does
  // not call that a rewrite.
  if (truncates) {
    server.rewritten.clear();
    server.read.clear();
  }
  std::erase_if(server.read, [&](const std::string& t) {
    auto lock = server.locks.find(t);
    return lock != server.locks.end() && lock->second == LockMode::access_share &&
           !predicted.read.count(t);
  });
  std::erase_if(server.locks, [&](const auto& kv) {
    return kv.second == LockMode::access_share && !predicted.locks.count(kv.first);
  });
}

void verify(const std::string& dsn, const std::string& label) {
  pqxx::connection c(dsn);
  int major = c.server_version() / 10000;
  int n = 0, compared = 0;
  for (const Case& k : kCases) {
    if (major < k.min_major) continue;
    SCOPED_TRACE(label + " (PostgreSQL " + std::to_string(major) + "): " + k.statement +
                 (*k.setup ? std::string(" after ") + k.setup : std::string()));
    std::string schema = "pv_" + std::to_string(n++);
    std::set<std::string> existing;
    Outcome server = observe(c, schema, k, existing);
    Outcome predicted = predict(k, major);
    reconcile(server, predicted, existing, std::string_view(k.statement).starts_with("TRUNCATE"));
    EXPECT_EQ(predicted.describe(), server.describe()) << "migsafe (left) and the server (right)";
    ++compared;
    pqxx::nontransaction drop(c);
    drop.exec("SET search_path = public; DROP SCHEMA " + schema + " CASCADE");
  }
  std::cout << "PostgreSQL " << major << ": " << compared
            << " statements compared with the server\n";
  EXPECT_GT(compared, 100);
}

TEST(PostgresVerify, EffectsAgreeWithTheServer) {
  REQUIRE_PG_SERVER();
  verify(test::pg_dsn(), "test server");
}

// The other majors migsafe targets, as real servers (scripts/start-pg-majors.sh prints their
// DSNs for MIGSAFE_TEST_PG_MAJORS): version-gated effects measured, not only read.
TEST(PostgresVerify, EffectsAgreeWithEveryMajor) {
  const char* dsns = std::getenv("MIGSAFE_TEST_PG_MAJORS");
  if (!dsns || !*dsns)
    GTEST_SKIP() << "no other PostgreSQL majors: scripts/start-pg-majors.sh starts 11 to 14, 16 "
                    "and 17 (it prints their DSNs for MIGSAFE_TEST_PG_MAJORS)";
  std::istringstream in(dsns);
  int servers = 0;
  for (std::string dsn; in >> dsn; ++servers) verify(dsn, "major server");
  EXPECT_GT(servers, 0);
}

}  // namespace
}  // namespace migsafe
