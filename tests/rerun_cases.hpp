// The hygiene pack's not-repeatable rule against the engines themselves: each case runs its
// statement twice on a real PostgreSQL, MariaDB or SQLite database, and whether the second run
// fails (or inserts rows again) must be what migsafe says. The statements of each dialect live
// here, the engine-specific runners in rerun_verify_*.cpp.
#pragma once

#include <string>
#include <vector>

#include "helpers.hpp"

namespace migsafe::test {

struct RerunCase {
  const char* setup;              // run once before (may be empty)
  const char* statement;          // run twice
  bool harmful;                   // the second run fails, or adds rows
  const char* counted = nullptr;  // a table whose rows must not grow on the second run
  // The dialect has no repeatable form of it: harmful, and still not reported.
  bool no_form = false;
  // A query whose answer must not change on the second run (the rows an UPDATE changed).
  const char* observed = nullptr;
};

// What the second run must leave as it was: the rows of `counted`, the answer of `observed`.
inline std::string watched_query(const RerunCase& c) {
  if (c.observed) return c.observed;
  if (c.counted) return std::string("SELECT count(*) FROM ") + c.counted;
  return {};
}

inline const std::vector<RerunCase>& postgres_rerun_cases() {
  static const std::vector<RerunCase> cases = {
      {"", "CREATE TABLE t (id int)", true},
      {"", "CREATE TABLE IF NOT EXISTS t (id int)", false},
      {"CREATE TABLE t (a int)", "CREATE INDEX t_a ON t (a)", true},
      {"CREATE TABLE t (a int)", "CREATE INDEX IF NOT EXISTS t_a ON t (a)", false},
      {"CREATE TABLE t (a int)", "ALTER TABLE t ADD COLUMN b int", true},
      {"CREATE TABLE t (a int)", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b int", false},
      {"CREATE TABLE t (a int, b int)", "ALTER TABLE t DROP COLUMN b", true},
      {"CREATE TABLE t (a int, b int)", "ALTER TABLE t DROP COLUMN IF EXISTS b", false},
      {"CREATE TABLE t (a int)", "DROP TABLE t", true},
      {"CREATE TABLE t (a int)", "DROP TABLE IF EXISTS t", false},
      {"CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)", "DROP INDEX t_a", true},
      {"CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)", "DROP INDEX IF EXISTS t_a", false},
      {"", "CREATE VIEW v AS SELECT 1 AS one", true},
      {"", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one", false},
      {"", "CREATE SEQUENCE s", true},
      {"", "CREATE SEQUENCE IF NOT EXISTS s", false},
      {"", "CREATE TYPE mood AS ENUM ('calm')", true},
      {"",
       "DO $$ BEGIN CREATE TYPE mood AS ENUM ('calm'); "
       "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
       false},
      {"CREATE TYPE mood AS ENUM ('calm')", "ALTER TYPE mood ADD VALUE 'glad'", true},
      {"CREATE TYPE mood AS ENUM ('calm')", "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'glad'",
       false},
      {"CREATE TABLE t (a int)", "ALTER TABLE t RENAME TO u", true},
      {"CREATE TABLE t (a int)", "ALTER TABLE IF EXISTS t RENAME TO u", false},
      {"CREATE TABLE t (a int)", "ALTER TABLE t RENAME COLUMN a TO b", true},
      {"CREATE TABLE t (a int)", "ALTER TABLE IF EXISTS t RENAME COLUMN a TO b", true},
      {"CREATE TABLE t (a int)",
       "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = "
       "current_schema() AND table_name = 't' AND column_name = 'a') THEN ALTER TABLE t RENAME "
       "COLUMN a TO b; END IF; END $$",
       false},
      {"CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)", "ALTER INDEX t_a RENAME TO t_b", true},
      {"CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)",
       "ALTER INDEX IF EXISTS t_a RENAME TO t_b", false},
      {"CREATE TABLE t (a int)", "ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0)", true},
      {"CREATE TABLE t (a int)",
       "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_pos; "
       "ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0)",
       false},
      {"CREATE TABLE t (a int CONSTRAINT t_pos CHECK (a > 0))",
       "ALTER TABLE t DROP CONSTRAINT t_pos", true},
      {"CREATE TABLE t (a int CONSTRAINT t_pos CHECK (a > 0))",
       "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_pos", false},
      {"CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)", true, "t"},
      {"CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
       false, "t"},
      {"CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)", true, "t"},
      {"CREATE TABLE t (id int)",
       "INSERT INTO t SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM t WHERE id = 1)", false, "t"},
      {"CREATE TABLE t (a int); CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS "
       "$$ BEGIN RETURN NEW; END $$",
       "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", true},
      {"CREATE TABLE t (a int); CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS "
       "$$ BEGIN RETURN NEW; END $$",
       "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", false},
      {"", "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'", true},
      {"", "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'", false},
      // Statements that repeat by themselves.
      {"CREATE TABLE t (a int)", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", false},
      {"CREATE TABLE t (a int)", "COMMENT ON TABLE t IS 'ledger'", false},
      {"CREATE TABLE t (id int, a int)", "UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 100", false},
      // A change computed from the column itself: the second run changes the row again.
      {"CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 100)",
       "UPDATE t SET n = n + 10 WHERE id = 1", true, nullptr, false, "SELECT n FROM t"},
      {"CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 100)",
       "UPDATE t SET n = n + 10 WHERE id = 1 AND n = 100", false, nullptr, false,
       "SELECT n FROM t"},
  };
  return cases;
}

inline const std::vector<RerunCase>& mariadb_rerun_cases() {
  static const std::vector<RerunCase> cases = {
      {"", "CREATE TABLE t (id INT)", true},
      {"", "CREATE TABLE IF NOT EXISTS t (id INT)", false},
      {"CREATE TABLE t (a INT)", "CREATE INDEX t_a ON t (a)", true},
      {"CREATE TABLE t (a INT)", "CREATE INDEX IF NOT EXISTS t_a ON t (a)", false},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t ADD COLUMN b INT", true},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT", false},
      {"CREATE TABLE t (a INT, b INT)", "ALTER TABLE t DROP COLUMN b", true},
      {"CREATE TABLE t (a INT, b INT)", "ALTER TABLE t DROP COLUMN IF EXISTS b", false},
      {"CREATE TABLE t (a INT)", "DROP TABLE t", true},
      {"CREATE TABLE t (a INT)", "DROP TABLE IF EXISTS t", false},
      {"CREATE TABLE t (a INT, KEY t_a (a))", "DROP INDEX t_a ON t", true},
      {"CREATE TABLE t (a INT, KEY t_a (a))", "DROP INDEX IF EXISTS t_a ON t", false},
      {"", "CREATE VIEW v AS SELECT 1 AS one", true},
      {"", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one", false},
      {"", "CREATE SEQUENCE s", true},
      {"", "CREATE SEQUENCE IF NOT EXISTS s", false},
      {"CREATE TABLE t (a INT)", "RENAME TABLE t TO u", true},
      {"CREATE TABLE t (a INT)", "RENAME TABLE IF EXISTS t TO u", false},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t CHANGE COLUMN a b INT", true},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t CHANGE COLUMN IF EXISTS a b INT", false},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t RENAME COLUMN a TO b", true},
      {"CREATE TABLE t (a INT, b INT)", "ALTER TABLE IF EXISTS t DROP COLUMN b", true},
      {"CREATE TABLE t (a INT)", "ALTER TABLE IF EXISTS t RENAME TO u", false},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0)", true},
      {"CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE t (c INT)",
       "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (c) REFERENCES p (id)", true},
      {"CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE t (c INT)",
       "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY IF NOT EXISTS (c) REFERENCES p (id)", false},
      {"CREATE TABLE t (a INT, CONSTRAINT t_pos CHECK (a > 0))",
       "ALTER TABLE t DROP CONSTRAINT t_pos", true},
      {"CREATE TABLE t (a INT, CONSTRAINT t_pos CHECK (a > 0))",
       "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_pos", false},
      {"CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)", true, "t"},
      {"CREATE TABLE t (id INT PRIMARY KEY)", "INSERT IGNORE INTO t VALUES (1)", false, "t"},
      {"CREATE TABLE t (id INT PRIMARY KEY)", "REPLACE INTO t VALUES (1)", false, "t"},
      {"CREATE TABLE t (id INT PRIMARY KEY, n INT)",
       "INSERT INTO t VALUES (1, 1) ON DUPLICATE KEY UPDATE n = 1", false, "t"},
      {"CREATE TABLE t (id INT)", "INSERT INTO t VALUES (1)", true, "t"},
      {"CREATE TABLE t (a INT)", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1",
       true},
      {"CREATE TABLE t (a INT)",
       "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1", false},
      {"CREATE TABLE t (a INT); CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1",
       "DROP TRIGGER tr", true},
      {"CREATE TABLE t (a INT); CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1",
       "DROP TRIGGER IF EXISTS tr", false},
      {"", "CREATE FUNCTION one() RETURNS INT RETURN 1", true},
      {"", "CREATE OR REPLACE FUNCTION one() RETURNS INT RETURN 1", false},
      {"CREATE TABLE t (a INT)", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", false},
      {"CREATE TABLE t (id INT, a INT)", "UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 100", false},
      {"CREATE TABLE t (id INT PRIMARY KEY, n INT); INSERT INTO t VALUES (1, 100)",
       "UPDATE t SET n = n + 10 WHERE id = 1", true, nullptr, false, "SELECT n FROM t"},
  };
  return cases;
}

inline const std::vector<RerunCase>& sqlite_rerun_cases() {
  static const std::vector<RerunCase> cases = {
      {"", "CREATE TABLE t (id INTEGER)", true},
      {"", "CREATE TABLE IF NOT EXISTS t (id INTEGER)", false},
      {"CREATE TABLE t (a INTEGER)", "CREATE INDEX t_a ON t (a)", true},
      {"CREATE TABLE t (a INTEGER)", "CREATE INDEX IF NOT EXISTS t_a ON t (a)", false},
      {"", "CREATE VIEW v AS SELECT 1 AS one", true},
      {"", "CREATE VIEW IF NOT EXISTS v AS SELECT 1 AS one", false},
      {"CREATE TABLE t (a INTEGER)", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
       true},
      {"CREATE TABLE t (a INTEGER)",
       "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; END", false},
      {"CREATE TABLE t (a INTEGER)", "DROP TABLE t", true},
      {"CREATE TABLE t (a INTEGER)", "DROP TABLE IF EXISTS t", false},
      {"CREATE TABLE t (a INTEGER); CREATE INDEX t_a ON t (a)", "DROP INDEX t_a", true},
      {"CREATE TABLE t (a INTEGER); CREATE INDEX t_a ON t (a)", "DROP INDEX IF EXISTS t_a", false},
      {"CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)", true, "t"},
      {"CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT OR IGNORE INTO t VALUES (1)", false, "t"},
      {"CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
       false, "t"},
      {"CREATE TABLE t (id INTEGER)", "INSERT INTO t VALUES (1)", true, "t"},
      // SQLite has no ADD COLUMN IF NOT EXISTS: harmful, and nothing to suggest.
      {"CREATE TABLE t (a INTEGER)", "ALTER TABLE t ADD COLUMN b INTEGER", true, nullptr, true},
      {"CREATE TABLE t (id INTEGER, a INTEGER)", "UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 100",
       false},
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 100)",
       "UPDATE t SET n = n + 10 WHERE id = 1", true, nullptr, false, "SELECT n FROM t"},
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 100)",
       "UPDATE t SET n = 110 WHERE id = 1", false, nullptr, false, "SELECT n FROM t"},
  };
  return cases;
}

// Whether migsafe's hygiene pack calls the statement not repeatable, after the setup as an
// earlier migration, sent as autocommit statements, with a statement after it (a failure there
// is what makes the file run again).
inline bool reported_not_repeatable(Dialect d, TargetVersion v, const RerunCase& c) {
  static const std::vector<Pack> packs = [] {
    std::vector<Pack> p;
    p.push_back(load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/core.yaml"));
    p.push_back(load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/hygiene.yaml"));
    return p;
  }();
  SourceSet set;
  if (*c.setup) set.push_back(make_source("1_setup.sql", std::string(c.setup) + ";\n"));
  set.push_back(make_source("2_change.sql", std::string(c.statement) + ";\nSELECT 1;\n"));
  CheckOptions opt;
  opt.dialect = d;
  opt.version = v;
  CheckResult r = check_sets({set}, packs, opt);
  for (const auto& f : r.findings)
    if (f.rule_id == "not-repeatable" && f.file + 1 == r.files.size()) return true;
  return false;
}

}  // namespace migsafe::test
