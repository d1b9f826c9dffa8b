// The trace's sandbox against hostile migrations, on the real PostgreSQL server that
// scripts/test.sh starts. Each attack runs through the migsafe binary with --trace as a
// superuser (the worst case); then the server is asked whether anything persisted: data,
// catalog, roles, databases, prepared transactions, large objects, files, other sessions,
// statistics, sequences and postgresql.auto.conf. Controls show that the same attacks do leave
// traces when run naively in a rolled-back transaction, so the checks can fail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <filesystem>
#include <regex>
#include <thread>

#include "helpers.hpp"
#include "pg_server.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

using test::pg_dsn;
std::string dsn() {
  return pg_dsn();
}
void sql(const std::string& text) {
  test::pg_sql(text);
}
std::string one(const std::string& query) {
  return test::pg_one(query);
}
#define REQUIRE_SERVER() REQUIRE_PG_SERVER()

// The parts of the test DSN (postgresql://user:password@host:port/db).
struct DsnParts {
  std::string user, password, host, port, db;
};
DsnParts parts() {
  static const std::regex uri(R"(^postgresql://([^:]+):([^@]+)@([^:/]+):(\d+)/(.+)$)");
  std::smatch m;
  std::string d = dsn();
  if (!std::regex_match(d, m, uri)) return {};
  return {m[1], m[2], m[3], m[4], m[5]};
}

// Everything a hostile migration could leave behind on the server.
struct ServerState {
  std::string data, catalog, roles, databases, prepared, largeobjects, extensions, auto_conf,
      stats_reset, bgwriter_reset, sequence;
};

ServerState server_state() {
  ServerState s;
  s.data = one("SELECT md5(string_agg(v::text, ',' ORDER BY v::text)) FROM sb_victim v");
  s.catalog = one(R"(
      SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
        SELECT 'c' || c.oid || c.relname || c.relfilenode || c.relkind::text AS x
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        UNION ALL SELECT 'p' || p.oid || p.proname || md5(p.prosrc) FROM pg_proc p
        WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        UNION ALL SELECT 't' || oid || tgname || tgenabled::text FROM pg_trigger
        UNION ALL SELECT 'o' || oid || oprname FROM pg_operator WHERE oid >= 16384
        UNION ALL SELECT 'k' || oid FROM pg_cast WHERE oid >= 16384
        UNION ALL SELECT 'n' || oid || nspname FROM pg_namespace
        UNION ALL SELECT 'e' || oid || evtname || evtenabled::text FROM pg_event_trigger
        UNION ALL SELECT 'a' || adrelid || adnum || pg_get_expr(adbin, adrelid) FROM pg_attrdef
        UNION ALL SELECT 'r' || oid || rulename FROM pg_rewrite WHERE oid >= 16384
        UNION ALL SELECT 's' || oid || srvname FROM pg_foreign_server
        UNION ALL SELECT 'u' || umid || srvname FROM pg_user_mappings) t)");
  s.roles = one("SELECT string_agg(rolname || rolsuper::text, ',' ORDER BY rolname) FROM pg_roles");
  s.databases = one(
      "SELECT string_agg(datname || datallowconn::text, ',' ORDER BY datname) FROM pg_database");
  s.prepared = one("SELECT count(*) FROM pg_prepared_xacts");
  s.largeobjects = one("SELECT count(*) FROM pg_largeobject_metadata");
  s.extensions = one("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension");
  s.auto_conf = one("SELECT pg_read_file('postgresql.auto.conf')");
  s.stats_reset =
      one("SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()");
  s.bgwriter_reset = one("SELECT stats_reset::text FROM pg_stat_bgwriter");
  s.sequence = one("SELECT last_value::text || is_called::text FROM sb_seq");
  return s;
}

void expect_same(const ServerState& a, const ServerState& b, const std::string& what) {
  EXPECT_EQ(a.data, b.data) << what << ": table data changed";
  EXPECT_EQ(a.catalog, b.catalog) << what << ": the catalog changed";
  EXPECT_EQ(a.roles, b.roles) << what << ": roles changed";
  EXPECT_EQ(a.databases, b.databases) << what << ": databases changed";
  EXPECT_EQ(a.prepared, b.prepared) << what << ": a prepared transaction was left";
  EXPECT_EQ(a.largeobjects, b.largeobjects) << what << ": large objects changed";
  EXPECT_EQ(a.extensions, b.extensions) << what << ": extensions changed";
  EXPECT_EQ(a.auto_conf, b.auto_conf) << what << ": postgresql.auto.conf changed";
  EXPECT_EQ(a.stats_reset, b.stats_reset) << what << ": database statistics were reset";
  EXPECT_EQ(a.bgwriter_reset, b.bgwriter_reset) << what << ": shared statistics were reset";
  EXPECT_EQ(a.sequence, b.sequence) << what << ": a sequence was set";
}

struct Attack {
  const char* name;
  const char* sql;   // {CONN} the test DSN, {PID} a sentinel session, {DIR} a folder
  int line;          // where the refusal must be reported
  const char* says;  // part of the refusal's message
  // Objects the snapshot has for this attack only (made before, dropped after): some would
  // make the sandbox refuse every other test's statements.
  const char* setup = nullptr;
  const char* teardown = nullptr;
};

// Each of these would reach outside the transaction or the database if it ran.
const Attack kAttacks[] = {
    {"dblink_quoted", "SELECT \"dblink_exec\"('{CONN}', 'CREATE TABLE pwned (id int)');\n", 1,
     "dblink"},
    {"dblink_commented", "SELECT dblink_exec/**/('{CONN}', 'CREATE TABLE pwned (id int)');\n", 1,
     "dblink"},
    {"dblink_qualified", "SELECT public . dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)');\n",
     1, "dblink"},
    {"dblink_unicode_name",
     "SELECT U&\"dblink\\005fexec\"('{CONN}', 'CREATE TABLE pwned (id int)');\n", 1, "dblink"},
    {"dblink_in_from", "SELECT * FROM dblink('{CONN}', 'SELECT 1') AS t(x int);\n", 1, "dblink"},
    {"dblink_in_cte",
     "WITH x AS (SELECT dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)')) SELECT 1 FROM x;\n",
     1, "dblink"},
    {"dblink_in_create_table_as",
     "CREATE TABLE sb_new AS SELECT dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)');\n", 1,
     "dblink"},
    {"dblink_in_explain_analyze",
     "EXPLAIN ANALYZE SELECT dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)');\n", 1, "dblink"},
    {"dblink_in_do_execute_literal",
     "DO $$ BEGIN EXECUTE 'SELECT dblink_exec(''{CONN}'', ''CREATE TABLE pwned (id int)'')'; END "
     "$$;\n",
     1, "dblink"},
    {"dblink_in_do_execute_concatenated",
     "DO $$ BEGIN EXECUTE 'SELECT dbl' || 'ink_exec(''{CONN}'', ''CREATE TABLE pwned (id int)'')'; "
     "END $$;\n",
     1, "dblink"},
    {"dblink_in_do_execute_format",
     "DO $$ BEGIN EXECUTE format('SELECT %s(%L, %L)', 'dblink_exec', '{CONN}', 'CREATE TABLE pwned "
     "(id int)'); END $$;\n",
     1, "built at run time"},
    {"dblink_in_nested_do",
     "DO $a$ BEGIN EXECUTE $x$DO $b$ BEGIN PERFORM dblink_exec('{CONN}', 'CREATE TABLE pwned (id "
     "int)'); END $b$ $x$; END $a$;\n",
     1, "dblink"},
    {"dblink_in_own_function",
     "CREATE FUNCTION sb_harmless() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM "
     "dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)');\nEND $$;\nSELECT sb_harmless();\n",
     1, "dblink"},
    {"dblink_in_own_sql_function",
     "CREATE FUNCTION sb_harmless() RETURNS text LANGUAGE sql AS $$ SELECT dblink_exec('{CONN}', "
     "'CREATE TABLE pwned (id int)') $$;\nSELECT sb_harmless();\n",
     1, "dblink"},
    {"dblink_in_existing_function", "SELECT sb_exfil('{CONN}');\n", 1, "dblink"},
    {"dblink_in_immutable_default",
     "ALTER TABLE sb_victim ADD COLUMN c text DEFAULT sb_exfil_imm('{CONN}');\n", 1, "dblink"},
    {"internal_alias_of_terminate",
     "CREATE FUNCTION sb_kill(int) RETURNS bool LANGUAGE internal STRICT AS "
     "'pg_terminate_backend';\nSELECT sb_kill({PID});\n",
     1, "internal"},
    {"terminate_quoted", "SELECT \"pg_terminate_backend\"({PID});\n", 1, "ends another session"},
    {"terminate_qualified", "SELECT pg_catalog.pg_terminate_backend({PID});\n", 1,
     "ends another session"},
    {"terminate_in_existing_function", "SELECT sb_killer({PID});\n", 1, "ends another session"},
    {"terminate_in_trigger",
     "CREATE FUNCTION sb_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM "
     "pg_terminate_backend({PID}); RETURN NEW; END $$;\nCREATE TRIGGER sb_t BEFORE INSERT ON "
     "sb_victim FOR EACH ROW EXECUTE FUNCTION sb_trg();\nINSERT INTO sb_victim VALUES (100, "
     "'x');\n",
     1, "ends another session"},
    {"enable_existing_trigger",
     "ALTER TABLE sb_victim ENABLE TRIGGER sb_sleeping;\nINSERT INTO sb_victim VALUES (100, "
     "'x');\n",
     1, "setval"},
    {"copy_to_program", "COPY sb_victim TO PROGRAM 'touch {DIR}/program';\n", 1, "COPY"},
    {"copy_to_program_in_do",
     "DO $$ BEGIN COPY (SELECT 1) TO PROGRAM 'touch {DIR}/program'; END $$;\n", 1, "COPY"},
    {"copy_to_program_in_function",
     "CREATE FUNCTION sb_f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY (SELECT 1) TO PROGRAM "
     "'touch {DIR}/program'; END $$;\nSELECT sb_f();\n",
     1, "COPY"},
    {"copy_to_file", "COPY sb_victim TO '{DIR}/file.csv';\n", 1, "COPY"},
    {"prepare_transaction",
     "BEGIN;\nALTER TABLE sb_victim ADD COLUMN c int;\nPREPARE TRANSACTION "
     "'sb_pwn';\n",
     3, "prepared transaction"},
    {"setval", "SELECT setval('sb_seq', 999999);\n", 1, "setval"},
    {"setval_in_operator", "SELECT 1 @@@ 2;\n", 1, "setval"},
    {"setval_in_cast", "SELECT 1::sb_t;\n", 1, "setval"},
    {"setval_in_aggregate", "SELECT sb_agg(id) FROM sb_victim;\n", 1, "setval"},
    {"setval_in_functional_notation", "SELECT v.sb_rowfn FROM sb_victim v;\n", 1, "setval"},
    {"stats_reset", "SELECT pg_stat_reset();\n", 1, "resets statistics"},
    {"stats_reset_shared", "SELECT pg_stat_reset_shared('bgwriter');\n", 1, "resets statistics"},
    {"alter_system", "ALTER SYSTEM SET work_mem = '77MB';\n", 1, "ALTER SYSTEM"},
    {"lo_import", "SELECT lo_import('/etc/hostname');\n", 1, "large-object"},
    {"lo_export", "SELECT lo_export(1, '{DIR}/lo.bin');\n", 1, "large-object"},
    {"read_server_file", "SELECT pg_read_file('/etc/hostname');\n", 1, "server files"},
    {"advisory_lock", "SELECT pg_advisory_lock(4242);\n", 1, "advisory"},
    {"listen", "LISTEN sb_channel;\n", 1, "LISTEN"},
    {"set_role", "SET ROLE postgres;\n", 1, "role"},
    {"set_session_authorization", "SET SESSION AUTHORIZATION postgres;\n", 1, "role"},
    {"set_config_role", "SELECT set_config('role', 'postgres', false);\n", 1, "role"},
    {"set_config_timeout", "SELECT set_config('statement_timeout', '0', true);\n", 1, "timeouts"},
    {"function_without_timeout",
     "CREATE FUNCTION sb_slow() RETURNS void LANGUAGE sql SET statement_timeout = 0 AS $$ SELECT "
     "pg_sleep(60) $$;\n",
     1, "statement_timeout"},
    {"client_encoding", "SET client_encoding = 'SJIS';\n", 1, "text of later statements"},
    {"standard_conforming_strings", "SET standard_conforming_strings = off;\n", 1,
     "text of later statements"},
    {"query_to_xml",
     "SELECT query_to_xml('SELECT pg_terminate_backend({PID})', true, false, '');\n", 1,
     "SQL given as text"},
    {"procedure_commit",
     "CREATE PROCEDURE sb_p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;\nCALL sb_p();\n", 1,
     "commits"},
    {"foreign_table_update", "UPDATE sb_remote SET v = 'pwned';\n", 1, "foreign table"},
    {"foreign_table_through_view", "SELECT * FROM sb_remote_view;\n", 1, "foreign table"},
    {"create_foreign_table",
     "CREATE FOREIGN TABLE sb_remote2 (id int) SERVER sb_loop OPTIONS (table_name 'sb_victim');\n",
     1, "foreign tables"},
    {"untrusted_extension", "CREATE EXTENSION adminpack;\n", 1, "adminpack"},
    {"create_database", "CREATE DATABASE sb_pwned;\n", 1, "CREATE DATABASE"},
    {"rename_into_harmless_name",
     "ALTER FUNCTION sb_killer(int) RENAME TO sb_innocent;\nSELECT sb_innocent({PID});\n", 1,
     "ends another session"},
    {"event_trigger",
     "CREATE FUNCTION sb_evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM "
     "pg_terminate_backend({PID}); END $$;\n",
     1, "ends another session"},
    {"plpython", "DO LANGUAGE plpython3u $$ import os $$;\n", 1, "plpython3u"},
    {"checkpoint_in_do", "DO $$ BEGIN EXECUTE 'CHECKPOINT'; END $$;\n", 1, "CHECKPOINT"},
    {"deep_nesting", nullptr, 1, "nested deeper"},
    // Found by red-teaming the first version.
    {"catalog_reads_blinded_by_search_path",
     "CREATE SCHEMA sb_s;\n"
     "CREATE FUNCTION sb_s.never(name, name) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT "
     "false';\n"
     "CREATE OPERATOR sb_s.= (LEFTARG = name, RIGHTARG = name, PROCEDURE = sb_s.never);\n"
     "SET search_path = sb_s, pg_catalog, public;\n"
     "SELECT setval($$sb_seq$$, 454545);\n",
     5, "setval"},
    {"pg_settings_update",
     "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';\n", 1,
     "system catalog"},
    {"pg_proc_rename",
     "UPDATE pg_catalog.pg_proc SET proname = 'random' WHERE proname = "
     "'pg_terminate_backend';\nSELECT random({PID});\n",
     1, "system catalog"},
    {"lock_pg_authid", "LOCK pg_authid;\n", 1, "system catalog"},
    {"user_concat_operator_in_execute",
     "CREATE SCHEMA sb_s;\n"
     "CREATE FUNCTION sb_s.cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT "
     "'COPY (SELECT 1) TO PROGRAM ''touch {DIR}/program''' $$;\n"
     "CREATE OPERATOR sb_s.|| (LEFTARG = text, RIGHTARG = text, PROCEDURE = sb_s.cat);\n"
     "DO $$ BEGIN EXECUTE 'SELECT 1' OPERATOR(sb_s.||) ' '; END $$;\n",
     4, "built at run time"},
    {"setval_after_search_path_change",
     "SET search_path = pg_catalog;\nDO $$ BEGIN PERFORM set_config('search_path', 'public', "
     "true); PERFORM setval('sb_seq', 515151); END $$;\n",
     2, "setval"},
    {"negator_operator",
     "CREATE OPERATOR <=> (LEFTARG = int, RIGHTARG = int, PROCEDURE = int4eq, NEGATOR = @@@);\n"
     "SELECT NOT (id <=> 2) FROM sb_victim;\n",
     1, "setval"},
    {"operator_in_sublink", "SELECT 1 @@@ ANY (SELECT 2);\n", 1, "setval"},
    {"implicit_equals_through_search_path",
     "SET search_path = sb_s2, public;\nSELECT CASE id WHEN 2 THEN 'x' END FROM "
     "sb_victim;\n",
     1, "setval",
     "CREATE SCHEMA sb_s2; CREATE OPERATOR sb_s2.= (procedure = sb_op, leftarg = int, rightarg "
     "= int);",
     "DROP SCHEMA sb_s2 CASCADE;"},
    {"row_function_through_indirection", "SELECT (sb_victim.*).sb_rowfn FROM sb_victim;\n", 1,
     "setval"},
    {"enable_rule", "ALTER TABLE sb_rt ENABLE RULE sb_rule;\nINSERT INTO sb_rt VALUES (1);\n", 1,
     "rule",
     "CREATE TABLE sb_rt (id int); CREATE RULE sb_rule AS ON INSERT TO sb_rt DO ALSO SELECT "
     "setval('sb_seq', 999999); ALTER TABLE sb_rt DISABLE RULE sb_rule;",
     "DROP TABLE sb_rt;"},
    {"replica_triggers", "SET session_replication_role = replica;\n", 1, "replicas"},
    {"assignment_cast", "INSERT INTO sb_ctab VALUES (1);\n", 1, "setval",
     "CREATE TYPE sb_ct AS (a int); CREATE FUNCTION sb_ctf(int) RETURNS sb_ct LANGUAGE plpgsql "
     "AS $$ BEGIN PERFORM setval('sb_seq', 999999); RETURN ROW($1)::sb_ct; END $$; CREATE CAST "
     "(int AS sb_ct) WITH FUNCTION sb_ctf(int) AS ASSIGNMENT; CREATE TABLE sb_ctab (c sb_ct);",
     "DROP TABLE sb_ctab; DROP TYPE sb_ct CASCADE;"},
    {"server_file_view", "SELECT count(*) FROM pg_file_settings;\n", 1, "server files"},
    {"password_catalog", "SELECT rolpassword FROM pg_authid;\n", 1, "passwords"},
    {"table_to_xml_foreign", "SELECT table_to_xml('sb_remote', true, false, '');\n", 1,
     "foreign table"},
    // Found by the second round of red-teaming.
    {"write_through_view_of_pg_settings",
     "CREATE VIEW sb_settings AS SELECT name, setting FROM pg_settings;\n"
     "UPDATE sb_settings SET setting = 'SJIS' WHERE name = 'client_encoding';\n",
     1, "view over system catalog"},
    {"lock_through_view_of_catalog",
     "CREATE VIEW sb_vc AS SELECT datname FROM pg_catalog.pg_database;\n"
     "LOCK TABLE sb_vc IN SHARE MODE;\n",
     1, "view over system catalog"},
    {"select_for_update_on_catalog", "SELECT * FROM pg_catalog.pg_database FOR UPDATE;\n", 1,
     "system catalog"},
    {"replace_a_function_of_the_server",
     "CREATE OR REPLACE FUNCTION pg_catalog.pg_get_functiondef(oid) RETURNS text LANGUAGE sql "
     "STABLE AS $$ SELECT 'x' $$;\n",
     1, "of the server itself"},
    {"alter_a_function_of_the_server", "ALTER FUNCTION pg_rotate_logfile_old() STABLE;\n", 1,
     "of the server itself"},
    {"rename_an_existing_sequence_onto_a_judged_name",
     "CREATE SEQUENCE sb_tmp;\n"
     "DO $$ BEGIN DROP SEQUENCE sb_tmp; ALTER SEQUENCE sb_seq RENAME TO sb_tmp; PERFORM "
     "setval('sb_tmp', 171717); END $$;\n",
     2, "sb_seq"},
    {"default_judged_before_a_rename",
     "CREATE SEQUENCE sb_tmp;\n"
     "CREATE TABLE sb_t (id int, c bigint DEFAULT setval('sb_tmp'::text::regclass, 555555));\n"
     "DROP SEQUENCE sb_tmp;\nALTER SEQUENCE sb_seq RENAME TO sb_tmp;\n"
     "INSERT INTO sb_t (id) VALUES (1);\n",
     4, "renames or moves sequence sb_seq"},
    {"schema_renamed_under_a_qualified_call",
     "DO $$ BEGIN ALTER SCHEMA public RENAME TO sb_s; PERFORM sb_s.dblink_exec('{CONN}', "
     "'CREATE TABLE public.pwned (id int)'); END $$;\n",
     1, "dblink"},
    {"schema_renamed_under_a_foreign_table",
     "DO $$ BEGIN ALTER SCHEMA public RENAME TO sb_s; PERFORM count(*) FROM sb_s.sb_remote; END "
     "$$;\n",
     1, "foreign table"},
    {"pg_temp_function",
     "CREATE FUNCTION pg_temp.sb_f() RETURNS bigint LANGUAGE sql AS $$ SELECT "
     "setval('sb_seq'::text::regclass, 181818) $$;\nSELECT pg_temp.sb_f();\n",
     1, "setval"},
    {"domain_named_text_truncates_a_setting_name",
     "CREATE DOMAIN public.text AS pg_catalog.bpchar(15);\n"
     "SET search_path = public, pg_catalog;\n"
     "SELECT set_config('client_encodingX'::text, 'SJIS', false);\n",
     3, "computed at run time"},
    {"parameter_default_of_an_existing_function", "SELECT sb_pd();\n", 1, "setval",
     "CREATE FUNCTION sb_pd(x bigint DEFAULT setval('sb_seq', 333333)) RETURNS bigint LANGUAGE "
     "plpgsql AS $$ BEGIN RETURN x; END $$;",
     "DROP FUNCTION sb_pd(bigint);"},
    {"row_function_with_a_defaulted_parameter", "SELECT v.sb_df2 FROM sb_victim v;\n", 1, "setval",
     "CREATE FUNCTION sb_df2(sb_victim, x int DEFAULT 0) RETURNS bigint LANGUAGE plpgsql AS $$ "
     "BEGIN RETURN setval('sb_seq', 161616); END $$;",
     "DROP FUNCTION sb_df2(sb_victim, int);"},
    {"domain_check_constraint", "SELECT 1::sb_dom;\n", 1, "setval",
     "CREATE FUNCTION sb_chk(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN PERFORM "
     "setval('sb_seq', 131313); RETURN true; END $$; CREATE DOMAIN sb_dom AS int CHECK "
     "(sb_chk(VALUE));",
     "DROP DOMAIN sb_dom; DROP FUNCTION sb_chk(int);"},
    {"plpgsql_variable_of_a_type_with_a_cast", "DO $$ DECLARE x sb_t; BEGIN x := 1; END $$;\n", 1,
     "setval"},
    {"dormant_row_level_security",
     "ALTER TABLE sb_rls ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\n"
     "SELECT count(*) FROM sb_rls;\n",
     1, "setval",
     "CREATE TABLE sb_rls (id int); CREATE FUNCTION sb_pol(int) RETURNS bool LANGUAGE plpgsql "
     "AS $$ BEGIN PERFORM setval('sb_seq', 222222); RETURN true; END $$; CREATE POLICY sb_p ON "
     "sb_rls USING (sb_pol(id));",
     "DROP TABLE sb_rls; DROP FUNCTION sb_pol(int);"},
    {"bitcode_files_written_by_jit", "SET jit_dump_bitcode = on;\n", 1, "superuser"},
    {"statistics_turned_off", "SET track_counts = off;\n", 1, "superuser"},
    // Found by the third round of red-teaming.
    {"pg_catalog_first_in_search_path", "SET search_path = pg_catalog, public;\n", 1,
     "search_path"},
    {"move_a_function_into_pg_catalog", "ALTER FUNCTION sb_op(int, int) SET SCHEMA pg_catalog;\n",
     1, "the server's own schema"},
    {"varchar_length_cuts_a_sequence_name", "SELECT setval('sb_seqX'::varchar(6)::text, 424242);\n",
     1, "setval"},
    {"varchar_length_cuts_a_setting_name",
     "DO $$ BEGIN PERFORM set_config('standard_conforming_stringsX'::varchar(27), 'off', true); "
     "END $$;\n",
     1, "computed at run time"},
    {"rename_the_plpgsql_language", "ALTER LANGUAGE plpgsql RENAME TO \"PLPGSQL\";\n", 1,
     "procedural language"},
    {"language_name_in_other_case",
     "CREATE FUNCTION sb_f() RETURNS void LANGUAGE \"PLPGSQL\" AS $$ BEGIN PERFORM "
     "dblink_exec('{CONN}', 'CREATE TABLE pwned (id int)'); END $$;\n",
     1, "PLPGSQL"},
    {"lock_of_a_view_tower", "LOCK TABLE sb_tw12;\n", 1, "walk more than",
     "CREATE VIEW sb_tw0 AS SELECT id FROM sb_victim; CREATE VIEW sb_tw1 AS SELECT id FROM sb_tw0 "
     "UNION ALL SELECT id FROM sb_tw0 UNION ALL SELECT id FROM sb_tw0 UNION ALL SELECT id FROM "
     "sb_tw0; CREATE VIEW sb_tw2 AS SELECT id FROM sb_tw1 UNION ALL SELECT id FROM sb_tw1 UNION "
     "ALL SELECT id FROM sb_tw1 UNION ALL SELECT id FROM sb_tw1; CREATE VIEW sb_tw3 AS SELECT id "
     "FROM sb_tw2 UNION ALL SELECT id FROM sb_tw2 UNION ALL SELECT id FROM sb_tw2 UNION ALL SELECT "
     "id FROM sb_tw2; CREATE VIEW sb_tw4 AS SELECT id FROM sb_tw3 UNION ALL SELECT id FROM sb_tw3 "
     "UNION ALL SELECT id FROM sb_tw3 UNION ALL SELECT id FROM sb_tw3; CREATE VIEW sb_tw5 AS "
     "SELECT id FROM sb_tw4 UNION ALL SELECT id FROM sb_tw4 UNION ALL SELECT id FROM sb_tw4 UNION "
     "ALL SELECT id FROM sb_tw4; CREATE VIEW sb_tw6 AS SELECT id FROM sb_tw5 UNION ALL SELECT id "
     "FROM sb_tw5 UNION ALL SELECT id FROM sb_tw5 UNION ALL SELECT id FROM sb_tw5; CREATE VIEW "
     "sb_tw7 AS SELECT id FROM sb_tw6 UNION ALL SELECT id FROM sb_tw6 UNION ALL SELECT id FROM "
     "sb_tw6 UNION ALL SELECT id FROM sb_tw6; CREATE VIEW sb_tw8 AS SELECT id FROM sb_tw7 UNION "
     "ALL SELECT id FROM sb_tw7 UNION ALL SELECT id FROM sb_tw7 UNION ALL SELECT id FROM sb_tw7; "
     "CREATE VIEW sb_tw9 AS SELECT id FROM sb_tw8 UNION ALL SELECT id FROM sb_tw8 UNION ALL SELECT "
     "id FROM sb_tw8 UNION ALL SELECT id FROM sb_tw8; CREATE VIEW sb_tw10 AS SELECT id FROM sb_tw9 "
     "UNION ALL SELECT id FROM sb_tw9 UNION ALL SELECT id FROM sb_tw9 UNION ALL SELECT id FROM "
     "sb_tw9; CREATE VIEW sb_tw11 AS SELECT id FROM sb_tw10 UNION ALL SELECT id FROM sb_tw10 UNION "
     "ALL SELECT id FROM sb_tw10 UNION ALL SELECT id FROM sb_tw10; CREATE VIEW sb_tw12 AS SELECT "
     "id FROM sb_tw11 UNION ALL SELECT id FROM sb_tw11 UNION ALL SELECT id FROM sb_tw11 UNION ALL "
     "SELECT id FROM sb_tw11;",
     "DROP VIEW sb_tw0 CASCADE;"},
    // Found by the fourth round of red-teaming.
    {"view_over_a_catalog_made_and_written_in_one_block",
     "DO $$ BEGIN CREATE VIEW sb_p AS SELECT oid, proname FROM pg_catalog.pg_proc; UPDATE sb_p "
     "SET proname = 'sb_innocent' WHERE proname = 'dblink_exec'; PERFORM sb_innocent('{CONN}', "
     "'CREATE TABLE pwned (id int)'); END $$;\n",
     1, "view over system catalog"},
    {"operator_made_then_used_to_compute_sql",
     "DO $$ BEGIN CREATE SCHEMA sb_s; CREATE FUNCTION sb_s.cat(text, text) RETURNS text "
     "LANGUAGE sql IMMUTABLE AS $b$ SELECT 'COPY (SELECT 1) TO PROGRAM ''touch "
     "{DIR}/program''' $b$; CREATE OPERATOR sb_s.|| (LEFTARG = text, RIGHTARG = text, "
     "PROCEDURE = sb_s.cat); SET LOCAL search_path = sb_s, public; EXECUTE 'SELECT 1' || ' '; "
     "END $$;\n",
     1, "creates operators"},
    {"trigger_judged_before_the_view_it_writes",
     "CREATE TABLE sb_t4 (id int);\n"
     "CREATE FUNCTION sb_trg4() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE sb_p4 SET "
     "proname = 'sb_innocent' WHERE proname = 'dblink_exec'; RETURN NEW; END $$;\n"
     "CREATE TRIGGER sb_trg4 BEFORE INSERT ON sb_t4 FOR EACH ROW EXECUTE FUNCTION sb_trg4();\n"
     "CREATE VIEW sb_p4 AS SELECT oid, proname FROM pg_catalog.pg_proc;\n"
     "INSERT INTO sb_t4 VALUES (1);\n",
     4, "view over system catalog"},
    {"prepared_before_the_view_was_replaced",
     "CREATE TABLE sb_base (oid oid, proname name);\n"
     "CREATE VIEW sb_v5 AS SELECT oid, proname FROM sb_base;\n"
     "PREPARE sb_p5 AS UPDATE sb_v5 SET proname = 'sb_innocent' WHERE proname = "
     "'dblink_exec';\n"
     "CREATE OR REPLACE VIEW sb_v5 AS SELECT oid, proname FROM pg_catalog.pg_proc;\n"
     "EXECUTE sb_p5;\n",
     4, "view over system catalog"},
    {"search_path_with_a_missing_schema_first", "SET search_path = sb_nope, pg_catalog, public;\n",
     1, "search_path"},
    {"search_path_through_set_config_with_a_tab",
     "SELECT set_config('search_path', E'\\tpg_catalog, public', false);\n", 1, "search_path"},
    {"text_search_template_of_mismatched_functions",
     "CREATE TEXT SEARCH TEMPLATE sb_tmpl (INIT = dsimple_init, LEXIZE = thesaurus_lexize);\n", 1,
     "text search"},
    {"aggregate_with_an_internal_state",
     "CREATE AGGREGATE sb_agg2(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, "
     "FINALFUNC = string_agg_finalfn);\n",
     1, "internal state"},
    {"object_created_in_pg_catalog_by_a_routine",
     "CREATE FUNCTION sb_mk() RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $$ "
     "BEGIN CREATE FUNCTION array_length(text[], integer) RETURNS integer LANGUAGE sql "
     "IMMUTABLE AS 'SELECT 1'; END $$;\n"
     "SELECT sb_mk();\nSELECT setval('sb_seq', 999999);\n",
     2, "changed the server's own"},
    {"planner_support_function", "ALTER FUNCTION sb_killer(int) SUPPORT dsimple_init;\n", 1,
     "support"},
    {"alter_a_builtin_operator", "ALTER OPERATOR = (int4, int4) SET (RESTRICT = eqsel);\n", 1,
     "operator"},
    {"old_style_aggregate_options",
     "CREATE AGGREGATE sb_agg3(int) (SFUNC1 = sb_sfunc, STYPE1 = int, INITCOND1 = '0');\n"
     "SELECT sb_agg3(id) FROM sb_victim;\n",
     1, "setval"},
    {"internal_state_through_stype1",
     "CREATE AGGREGATE sb_agg4(numeric) (SFUNC1 = numeric_avg_accum, STYPE1 = internal, "
     "FINALFUNC = string_agg_finalfn);\n",
     1, "internal state"},
    {"internal_state_as_a_string",
     "CREATE AGGREGATE sb_agg5(numeric) (SFUNC = numeric_avg_accum, STYPE = 'internal', "
     "FINALFUNC = string_agg_finalfn);\n",
     1, "internal state"},
    {"trigger_creates_a_domain_while_sql_is_computed",
     "CREATE FUNCTION sb_trg_dom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
     "CREATE DOMAIN sb_trg_made AS text; RETURN NEW; END $$;\n"
     "CREATE TRIGGER sb_trg_dom BEFORE INSERT ON sb_victim FOR EACH ROW EXECUTE FUNCTION "
     "sb_trg_dom();\n"
     "DO $$ BEGIN INSERT INTO sb_victim VALUES (3000, 'x'); "
     "EXECUTE 'SELECT ' || 'count(*) FROM sb_victim'; END $$;\n",
     3, "computes SQL"},
    {"rename_pg_catalog", "ALTER SCHEMA pg_catalog RENAME TO sb_cat;\n", 1, "for itself"},
    {"rename_pg_catalog_then_write_it",
     "DO $$ BEGIN ALTER SCHEMA pg_catalog RENAME TO sb_cat; "
     "UPDATE sb_cat.pg_proc SET proname = 'sb_gone' WHERE proname = 'lower'; END $$;\n",
     1, "for itself"},
    {"grant_create_on_pg_catalog", "GRANT CREATE ON SCHEMA pg_catalog TO PUBLIC;\n", 1,
     "for itself"},
    {"table_turned_into_a_view_of_pg_proc",
     "CREATE TABLE sb_empty (oid oid, proname name);\n"
     "CREATE RULE \"_RETURN\" AS ON SELECT TO sb_empty DO INSTEAD SELECT oid, proname FROM "
     "pg_proc;\n",
     2, "ON SELECT rule"},
    {"catch_the_statement_timeout",
     "DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; "
     "END; END LOOP; END $$;\n",
     1, "query_canceled"},
    {"catch_the_statement_timeout_by_sqlstate",
     "DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN SQLSTATE '57014' THEN NULL; "
     "END; END LOOP; END $$;\n",
     1, "57014"},
    {"domain_renamed_then_used",
     "DO $$ BEGIN ALTER DOMAIN sb_evil RENAME TO sb_fine; PERFORM 1::sb_fine; END $$;\n", 1,
     "setval", "CREATE DOMAIN sb_evil AS int CHECK (sb_chkx(VALUE));",
     "DROP DOMAIN IF EXISTS sb_evil; DROP DOMAIN IF EXISTS sb_fine;"},
    {"table_renamed_then_its_disabled_trigger_enabled",
     "DO $$ BEGIN ALTER TABLE sb_victim RENAME TO sb_v2; "
     "ALTER TABLE sb_v2 ENABLE TRIGGER sb_sleeping; INSERT INTO sb_v2 VALUES (4000, 'x'); "
     "END $$;\n",
     1, "setval"},
    {"existing_enabled_trigger", "INSERT INTO sb_audited VALUES (1);\n", 1, "setval",
     "CREATE TABLE sb_audited (id int); CREATE TRIGGER sb_awake BEFORE INSERT ON sb_audited "
     "FOR EACH ROW EXECUTE FUNCTION sb_bump();",
     "DROP TABLE sb_audited;"},
    {"existing_view_calls_a_function", "SELECT * FROM sb_fnview;\n", 1, "setval",
     "CREATE VIEW sb_fnview AS SELECT sb_rowfn(t) AS x FROM sb_victim t;", "DROP VIEW sb_fnview;"},
    {"existing_column_default_calls_a_function", "INSERT INTO sb_defaulted DEFAULT VALUES;\n", 1,
     "setval", "CREATE TABLE sb_defaulted (id int DEFAULT sb_chk_int());",
     "DROP TABLE sb_defaulted;"},
    {"existing_check_constraint_calls_a_function", "UPDATE sb_checked SET id = id + 1;\n", 1,
     "setval",
     "CREATE TABLE sb_checked (id int CHECK (sb_chkx(id))); INSERT INTO sb_checked VALUES (1);",
     "DROP TABLE sb_checked;"},
    {"existing_operator_over_a_builtin", "SELECT !!! {PID};\n", 1, "pg_cancel_backend",
     "CREATE OPERATOR !!! (function = pg_cancel_backend, rightarg = int);",
     "DROP OPERATOR !!! (none, int);"},
    {"existing_event_trigger", "CREATE TABLE sb_whatever (id int);\n", 1, "event trigger",
     "CREATE FUNCTION sb_evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
     "PERFORM setval('sb_seq', 999999); END $$; "
     "CREATE EVENT TRIGGER sb_evt ON ddl_command_start EXECUTE FUNCTION sb_evt();",
     "DROP EVENT TRIGGER sb_evt; DROP FUNCTION sb_evt();"},
    {"procedure_hands_back_a_huge_value", "CALL sb_big(NULL);\n", 1, "OUT parameters",
     "CREATE PROCEDURE sb_big(OUT r text) LANGUAGE plpgsql AS $$ BEGIN "
     "r := repeat('x', 100000000); END $$;",
     "DROP PROCEDURE sb_big(text);"},
    {"alter_a_builtin_type", "ALTER TYPE int4 SET (SUBSCRIPT = raw_array_subscript_handler);\n", 1,
     "server itself"},
    {"estimator_as_a_string",
     "CREATE OPERATOR ### (function = int4eq, leftarg = int, rightarg = int, "
     "restrict = 'int4eq');\n",
     1, "estimator"},
    {"estimator_set_by_alter_operator", "ALTER OPERATOR #=# (int, int) SET (RESTRICT = int4eq);\n",
     1, "estimator", "CREATE OPERATOR #=# (function = int4eq, leftarg = int, rightarg = int);",
     "DROP OPERATOR #=# (int, int);"},
    {"setval_through_pg_get_serial_sequence",
     "SELECT setval(pg_get_serial_sequence('SB_Serial', 'id'), 500);\n", 1, "setval",
     "CREATE TABLE sb_serial (id serial);", "DROP TABLE sb_serial;"},
};

class Sandbox : public ::testing::TestWithParam<Attack> {
 protected:
  static void SetUpTestSuite() {
    if (dsn().empty()) return;
    DsnParts p = parts();
    sql("CREATE EXTENSION IF NOT EXISTS dblink; CREATE EXTENSION IF NOT EXISTS postgres_fdw;");
    sql("DROP TABLE IF EXISTS pwned; DROP VIEW IF EXISTS sb_remote_view;"
        "DROP FOREIGN TABLE IF EXISTS sb_remote; DROP SERVER IF EXISTS sb_loop CASCADE;"
        "DROP EVENT TRIGGER IF EXISTS sb_evt; DROP TABLE IF EXISTS sb_audited, sb_defaulted, "
        "sb_checked, sb_serial; DROP VIEW IF EXISTS sb_fnview;"
        "DROP TABLE IF EXISTS sb_victim CASCADE; DROP SEQUENCE IF EXISTS sb_seq;"
        "DROP TYPE IF EXISTS sb_t CASCADE; DROP OPERATOR IF EXISTS @@@ (int, int);"
        "DROP AGGREGATE IF EXISTS sb_agg(int);"
        "CREATE TABLE sb_victim (id int PRIMARY KEY, v text);"
        "INSERT INTO sb_victim SELECT g, 'row ' || g FROM generate_series(1, 50) g;"
        "CREATE SEQUENCE sb_seq; SELECT setval('sb_seq', 100);"
        // Existing routines that reach outside: the snapshot's own, which the migration calls.
        "CREATE OR REPLACE FUNCTION sb_exfil(conn text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM dblink_exec(conn, 'CREATE TABLE pwned (id int)'); END $$;"
        "CREATE OR REPLACE FUNCTION sb_exfil_imm(conn text) RETURNS text IMMUTABLE LANGUAGE "
        "plpgsql AS $$ BEGIN PERFORM dblink_exec(conn, 'CREATE TABLE pwned (id int)'); "
        "RETURN 'x'; END $$;"
        "CREATE OR REPLACE FUNCTION sb_killer(pid int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN "
        "  RETURN pg_terminate_backend(pid); END $$;"
        "CREATE OR REPLACE FUNCTION sb_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN NEW; END $$;"
        "CREATE TRIGGER sb_sleeping BEFORE INSERT ON sb_victim FOR EACH ROW EXECUTE FUNCTION "
        "sb_bump(); ALTER TABLE sb_victim DISABLE TRIGGER sb_sleeping;"
        "CREATE OR REPLACE FUNCTION sb_op(int, int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN $1; END $$;"
        "CREATE OPERATOR @@@ (procedure = sb_op, leftarg = int, rightarg = int);"
        "CREATE TYPE sb_t AS (a int);"
        "CREATE OR REPLACE FUNCTION sb_cast(int) RETURNS sb_t LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN ROW($1)::sb_t; END $$;"
        "CREATE CAST (int AS sb_t) WITH FUNCTION sb_cast(int);"
        "CREATE OR REPLACE FUNCTION sb_sfunc(int, int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN $1; END $$;"
        "CREATE AGGREGATE sb_agg(int) (sfunc = sb_sfunc, stype = int, initcond = '0');"
        "CREATE OR REPLACE FUNCTION sb_rowfn(sb_victim) RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN 1; END $$;"
        "CREATE OR REPLACE FUNCTION sb_chkx(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN true; END $$;"
        "CREATE OR REPLACE FUNCTION sb_chk_int() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
        "  PERFORM setval('sb_seq', 999999); RETURN 1; END $$;"
        "CREATE SERVER sb_loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '" +
        p.host + "', port '" + p.port + "', dbname '" + p.db +
        "');"
        "CREATE USER MAPPING FOR CURRENT_USER SERVER sb_loop OPTIONS (user '" +
        p.user + "', password '" + p.password +
        "');"
        "CREATE FOREIGN TABLE sb_remote (id int, v text) SERVER sb_loop OPTIONS (table_name "
        "'sb_victim');"
        "CREATE VIEW sb_remote_view AS SELECT * FROM sb_remote;");
  }

  void SetUp() override {
    if (dsn().empty()) return;
    dir_ = "/tmp/migsafe-sandbox-" + std::to_string(::getpid());
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::all);
    sentinel_ = std::make_unique<pqxx::connection>(dsn());
    pqxx::nontransaction tx(*sentinel_);
    pid_ = tx.exec1("SELECT pg_backend_pid()")[0].as<std::string>();
    tx.exec("LISTEN sb_channel");
  }

  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string fill(std::string s) const {
    for (auto [key, value] :
         {std::pair<std::string, std::string>{"{CONN}", dsn()}, {"{PID}", pid_}, {"{DIR}", dir_}})
      for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at))
        s.replace(at, key.size(), value);
    return s;
  }

  bool sentinel_alive() {
    try {
      pqxx::nontransaction tx(*sentinel_);
      tx.exec("SELECT 1");
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  std::string dir_, pid_;
  std::unique_ptr<pqxx::connection> sentinel_;
};

std::string deep_do_block() {
  std::string body;
  for (int i = 0; i < 1500; ++i) body += "BEGIN ";
  body += "PERFORM 1; ";
  for (int i = 0; i < 1500; ++i) body += "END; ";
  return "DO $$ " + body + "$$;\n";
}

TEST_P(Sandbox, HostileMigrationLeavesNothingBehind) {
  REQUIRE_SERVER();
  const Attack& a = GetParam();
  std::string migration = a.sql ? fill(a.sql) : deep_do_block();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", migration);
  if (a.setup) sql(a.setup);
  ServerState before = server_state();
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", "--format", "json", d + "/m.sql"});
  ServerState after = server_state();
  if (a.teardown) sql(a.teardown);

  // Refused, reported where it is, and the run is blocked: a refusal is a missing fact.
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  bool reported = false;
  std::string all;
  for (const auto& f : doc["findings"]) {
    all += f["rule"].get<std::string>() + " " + f["message"].get<std::string>() + "\n";
    if (f["rule"] == "snapshot-incomplete" && f["severity"] == "error" &&
        f["start"]["line"] == a.line &&
        f["message"].get<std::string>().find(a.says) != std::string::npos)
      reported = true;
  }
  EXPECT_TRUE(reported) << "expected a refusal at line " << a.line << " saying '" << a.says
                        << "'; findings:\n"
                        << all;
  expect_same(before, after, a.name);
  EXPECT_EQ(one("SELECT to_regclass('pwned')::text"), "") << "dblink committed a table";
  EXPECT_TRUE(fs::is_empty(dir_)) << "a file was written on the server";
  EXPECT_TRUE(sentinel_alive()) << "another session was ended";
  EXPECT_EQ(sentinel_->get_notifs(), 0) << "a notification was delivered";
}

INSTANTIATE_TEST_SUITE_P(Attacks, Sandbox, ::testing::ValuesIn(kAttacks),
                         [](const ::testing::TestParamInfo<Attack>& i) { return i.param.name; });

// What an ordinary migration does is still run, and reported.
TEST_F(Sandbox, OrdinaryMigrationsStillRun) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(
      d + "/m.sql",
      "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
      "ALTER TABLE sb_victim ADD COLUMN uid uuid DEFAULT gen_random_uuid();\n"
      "CREATE FUNCTION sb_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.v := lower(NEW.v) || now()::text; RETURN NEW; END $$;\n"
      "CREATE TRIGGER sb_touch BEFORE INSERT ON sb_victim FOR EACH ROW EXECUTE "
      "FUNCTION sb_touch();\n"
      "INSERT INTO sb_victim (id, v) VALUES (1000, 'X');\n"
      "DO $$ BEGIN EXECUTE 'ALTER TABLE sb_victim ADD COLUMN n int'; "
      "PERFORM pg_sleep(0); END $$;\n"
      "CREATE SEQUENCE sb_new_seq;\n"
      "SELECT setval('sb_new_seq', 10);\n"
      "SELECT nextval('sb_seq');\n"
      "CREATE INDEX CONCURRENTLY sb_v_idx ON sb_victim (v);\n"
      "SET search_path = public;\n"
      "SELECT count(*) FROM sb_victim TABLESAMPLE BERNOULLI (10);\n"
      "CREATE TYPE sb_range AS RANGE (subtype = int);\n"
      "SELECT sb_range(1, 5);\n"
      "SELECT pg_advisory_xact_lock(4242);\n"
      "ALTER SEQUENCE sb_seq RESTART WITH 5;\n"
      "SELECT v.id FROM sb_victim v JOIN sb_victim w USING (id) WHERE v.id IN (1, 2);\n"
      "UPDATE sb_victim SET v = (SELECT max(v) FROM sb_victim) WHERE EXISTS (SELECT 1 FROM "
      "sb_victim w WHERE w.id = -1);\n"
      "CREATE TABLE sb_docs (id int PRIMARY KEY, body text, tsv tsvector, victim int "
      "REFERENCES sb_victim);\n"
      "CREATE TRIGGER sb_tsv BEFORE INSERT ON sb_docs FOR EACH ROW EXECUTE FUNCTION "
      "tsvector_update_trigger(tsv, 'pg_catalog.english', body);\n"
      "ALTER TABLE sb_docs ENABLE TRIGGER ALL;\n"
      "SET client_encoding = 'UTF8';\n"
      "SET standard_conforming_strings = on;\n"
      "SELECT repeat('x', 10000000) FROM generate_series(1, 20);\n"
      "CREATE FUNCTION sb_definer() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path "
      "= pg_catalog, pg_temp AS 'SELECT 1';\n"
      "SET lock_timeout = '5s';\n"
      "CREATE TABLE sb_ser (id serial PRIMARY KEY, v text DEFAULT now()::text);\n"
      "INSERT INTO sb_ser (v) VALUES ('a');\n"
      "SELECT setval(pg_get_serial_sequence('sb_ser', 'id'), 10);\n"
      "INSERT INTO sb_victim (id, v) VALUES (1001, 'Y');\n"
      "DO $$ BEGIN PERFORM 1; EXCEPTION WHEN others THEN NULL; END $$;\n");
  ServerState before = server_state();
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", "--format", "json", d + "/m.sql"});
  ServerState after = server_state();
  auto doc = nlohmann::json::parse(r.out);
  std::map<int, std::string> traced;
  for (const auto& f : doc["findings"]) {
    EXPECT_NE(f["rule"], "snapshot-incomplete") << f["message"];
    EXPECT_NE(f["rule"], "engine-rejects") << f["message"];
    if (f["rule"] == "trace") traced[f["start"]["line"].get<int>()] = f["message"];
  }
  for (int line = 1; line <= 25; ++line)
    EXPECT_NE(traced[line].find("on the snapshot: "), std::string::npos)
        << "line " << line << ": " << traced[line];
  EXPECT_NE(traced[26].find("not traced: the trace keeps its own timeouts"), std::string::npos);
  for (int line = 27; line <= 31; ++line)
    EXPECT_NE(traced[line].find("on the snapshot: "), std::string::npos)
        << "line " << line << ": " << traced[line];
  // RESTART is rolled back: nothing is said to be left behind.
  EXPECT_EQ(r.out.find("now ()"), std::string::npos) << r.out;
  // nextval on a sequence the snapshot had: tolerated, and said.
  bool noted = false;
  for (const auto& f : doc["findings"])
    if (f["rule"] == "trace" && f["start"]["line"] == 9)
      for (const auto& n : f["notes"])
        noted |= n.get<std::string>().find("consumed values of sequence public.sb_seq") !=
                 std::string::npos;
  EXPECT_TRUE(noted) << r.out;
  after.sequence = before.sequence;  // the consumed value, tolerated
  expect_same(before, after, "ordinary migration");
}

// A statement whose judgment would look up thousands of names is refused, not judged for
// minutes.
TEST_F(Sandbox, JudgmentHasABudget) {
  REQUIRE_SERVER();
  std::string select = "SELECT 1";
  for (int i = 0; i < 3100; ++i) select += ", sb_no_such_fn_" + std::to_string(i) + "()";
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", select + ";\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", "--format", "json", d + "/m.sql"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("catalog lookups"), std::string::npos) << r.out.substr(0, 2000);
}

TEST_F(Sandbox, SuperuserIsSaidInTheSummary) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", "ALTER TABLE sb_victim ADD COLUMN z int;\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", d + "/m.sql"});
  EXPECT_NE(r.out.find("traced as a superuser"), std::string::npos) << r.out;
  auto plain = test::run_migsafe({"check", "--db", dsn(), d + "/m.sql"});
  EXPECT_EQ(plain.out.find("superuser"), std::string::npos) << plain.out;
}

// Views over views are followed once each: a migration that builds a tower of views whose
// definitions repeat each other does not make the judgment exponential (seven levels of four
// copies each are 16,384 paths; the server's own LOCK walks them all, the judge each view once).
TEST_F(Sandbox, ViewsAreFollowedOnceEach) {
  REQUIRE_SERVER();
  std::string migration = "CREATE VIEW sb_v0 AS SELECT id FROM sb_victim;\n";
  for (int i = 1; i <= 7; ++i) {
    std::string prev = "sb_v" + std::to_string(i - 1);
    migration += "CREATE VIEW sb_v" + std::to_string(i) + " AS SELECT id FROM " + prev +
                 " UNION ALL SELECT id FROM " + prev + " UNION ALL SELECT id FROM " + prev +
                 " UNION ALL SELECT id FROM " + prev + ";\n";
  }
  migration += "LOCK TABLE sb_v7;\n";
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql", migration);
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", d + "/m.sql"});
  EXPECT_NE(r.out.find("m.sql:9:1: info[trace]: on the snapshot"), std::string::npos) << r.out;
}

// NOTIFY is delivered only when its transaction commits, which the trace's never does: it runs,
// and the listening session hears nothing. A committed NOTIFY from another session is heard,
// so the listener works.
TEST_F(Sandbox, NotificationsAreNeverDelivered) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   "NOTIFY sb_channel, 'from the trace';\n"
                   "SELECT pg_notify('sb_channel', 'from the trace');\n"
                   "CREATE RULE sb_r AS ON INSERT TO sb_victim DO ALSO NOTIFY sb_channel;\n"
                   "INSERT INTO sb_victim VALUES (1001, 'x');\n");
  auto r = test::run_migsafe({"check", "--db", dsn(), "--trace", d + "/m.sql"});
  for (int line = 1; line <= 4; ++line)
    EXPECT_NE(r.out.find("m.sql:" + std::to_string(line) + ":1: info[trace]: on the snapshot"),
              std::string::npos)
        << r.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sentinel_->get_notifs(), 0) << "a notification of the trace was delivered";
  sql("NOTIFY sb_channel, 'committed'");
  int heard = 0;
  for (int i = 0; i < 20 && heard == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    heard = sentinel_->get_notifs();
  }
  EXPECT_EQ(heard, 1) << "the listener should hear a committed notification";
}

// The planner runs immutable functions while it plans: an EXPLAIN is judged like a trace.
TEST_F(Sandbox, PlansAreJudgedToo) {
  REQUIRE_SERVER();
  std::string d = test::temp_dir();
  test::write_file(d + "/m.sql",
                   fill("UPDATE sb_victim SET v = 'x' WHERE v = sb_exfil_imm('{CONN}');\n"));
  ServerState before = server_state();
  auto r = test::run_migsafe({"check", "--db", dsn(), "--format", "json", d + "/m.sql"});
  ServerState after = server_state();
  EXPECT_NE(r.out.find("snapshot-incomplete"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("dblink"), std::string::npos) << r.out;
  EXPECT_EQ(one("SELECT to_regclass('pwned')::text"), "");
  expect_same(before, after, "plan");
}

// The checks above can fail: run naively, in a transaction that is rolled back, the same
// statements leave traces.
TEST_F(Sandbox, AttacksAreRealWhenRunNaively) {
  REQUIRE_SERVER();
  ServerState before = server_state();
  {
    pqxx::connection c(dsn());
    pqxx::work tx(c);
    tx.exec("SELECT dblink_exec('" + dsn() + "', 'CREATE TABLE pwned (id int)')");
    tx.exec("SELECT setval('sb_seq', 999999)");
    tx.exec("SELECT pg_stat_reset()");
    tx.exec("COPY (SELECT 1) TO PROGRAM 'touch " + dir_ + "/program'");
    tx.exec("SELECT pg_terminate_backend(" + pid_ + ")");
    tx.abort();
  }
  ServerState after = server_state();
  EXPECT_NE(one("SELECT to_regclass('pwned')::text"), "");
  EXPECT_NE(before.sequence, after.sequence);
  EXPECT_NE(before.stats_reset, after.stats_reset);
  EXPECT_TRUE(fs::exists(dir_ + "/program"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(sentinel_alive());
  sql("DROP TABLE pwned; SELECT setval('sb_seq', 100);");
}

}  // namespace
}  // namespace migsafe
