#include "postgres_catalog.hpp"

#include <sstream>

namespace migsafe {
namespace {

// Objects with OIDs below FirstNormalObjectId were made by initdb: the server's own.
constexpr const char* kRoutineSelect = R"(
    SELECT p.oid::int8, n.nspname, p.proname, p.prokind::text, l.lanname, p.provolatile::text,
           p.oid < 16384::oid,
           COALESCE((SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                     WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                       AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1), ''),
           COALESCE(array_to_string(p.proconfig, E'\n'), ''),
           CASE WHEN p.oid >= 16384::oid AND p.prokind <> 'a' AND l.lanname IN ('sql', 'plpgsql')
                THEN pg_get_functiondef(p.oid) ELSE '' END,
           COALESCE((SELECT string_agg(f::int8::text, ',')
                     FROM pg_aggregate a,
                          unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                                       a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn,
                                       a.aggmfinalfn]::oid[]) AS f
                     WHERE a.aggfnoid = p.oid AND f <> 0), ''),
           p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1
             AND EXISTS (SELECT 1 FROM pg_type t
                         WHERE t.oid = p.proargtypes[0] AND t.typtype IN ('c', 'p', 'd')),
           COALESCE(p.prosrc, ''),
           COALESCE(p.proargmodes && ARRAY['o', 'b']::"char"[], false)
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
)";

PgRoutine routine_of(const pqxx::row& r) {
  PgRoutine p;
  p.oid = r[0].as<int64_t>();
  p.schema = r[1].as<std::string>();
  p.name = r[2].as<std::string>();
  p.kind = r[3].as<std::string>()[0];
  p.language = r[4].as<std::string>();
  p.volatility = r[5].as<std::string>()[0];
  p.builtin = r[6].as<bool>();
  p.extension = r[7].as<std::string>();
  std::istringstream config(r[8].as<std::string>());
  for (std::string line; std::getline(config, line);)
    if (!line.empty()) p.config.push_back(line);
  p.definition = r[9].as<std::string>();
  std::istringstream parts(r[10].as<std::string>());
  for (std::string part; std::getline(parts, part, ',');)
    if (!part.empty()) p.parts.push_back(std::stoll(part));
  p.takes_row = r[11].as<bool>();
  p.source = r[12].as<std::string>();
  p.out_args = r[13].as<bool>();
  return p;
}

}  // namespace

std::vector<int64_t> PgCatalog::oids(const pqxx::result& r) const {
  std::vector<int64_t> out;
  for (const auto& row : r) out.push_back(row[0].as<int64_t>());
  return out;
}

namespace {

// The schema filter of the lookups: any schema for "", the session's own temporary schema for
// "pg_temp" (whatever its real name), else that schema. $1 is the schema, n the namespace.
constexpr const char* kSchema =
    "($1 = '' OR n.nspname = $1 OR ($1 = 'pg_temp' AND n.oid = pg_my_temp_schema()))";

std::string with_schema(const std::string& sql) {
  std::string out = sql;
  for (size_t at = out.find("{schema}"); at != std::string::npos; at = out.find("{schema}", at))
    out.replace(at, 8, kSchema);
  return out;
}

// The functions that are not part of the server and that the types in a CTE ty(oid) call:
// casts into them, their input functions, and their domains' constraints (domains over domains
// followed through typbasetype by the CTE).
constexpr const char* kTypeFunctions = R"(
    , tyall(oid) AS (
      SELECT oid FROM ty
      UNION SELECT t.typbasetype FROM pg_type t JOIN tyall ON t.oid = tyall.oid
      WHERE t.typtype = 'd')
    SELECT DISTINCT f::int8 FROM (
      SELECT c.castfunc::oid AS f, c.oid AS o FROM pg_cast c JOIN tyall ON c.casttarget = tyall.oid
      UNION ALL SELECT t.typinput::oid, t.oid FROM pg_type t JOIN tyall ON t.oid = tyall.oid
      UNION ALL SELECT d.refobjid, k.oid FROM pg_constraint k JOIN tyall ON k.contypid = tyall.oid
        JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = k.oid
         AND d.refclassid = 'pg_proc'::regclass) x
    WHERE f <> 0 AND (f >= 16384::oid OR o >= 16384::oid))";

}  // namespace

std::vector<PgRoutine> PgCatalog::routines(std::string_view schema, std::string_view name) {
  std::vector<PgRoutine> out;
  for (const auto& r : query(std::string(kRoutineSelect) +
                                 with_schema(" WHERE p.proname = $2 AND {schema} ORDER BY 1"),
                             std::string(schema), std::string(name)))
    out.push_back(routine_of(r));
  return out;
}

std::optional<PgRoutine> PgCatalog::routine(int64_t oid) {
  pqxx::result r = query(std::string(kRoutineSelect) + " WHERE p.oid = $1", oid);
  if (r.empty()) return std::nullopt;
  return routine_of(r[0]);
}

std::vector<int64_t> PgCatalog::operator_functions(std::string_view schema, std::string_view name) {
  return oids(query(with_schema(R"(
      SELECT DISTINCT f::int8
      FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace,
           unnest(ARRAY[o.oprcode::oid, o.oprrest::oid, o.oprjoin::oid]) AS f
      WHERE o.oprname = $2 AND {schema} AND f <> 0 AND (f >= 16384::oid OR o.oid >= 16384::oid))"),
                    std::string(schema), std::string(name)));
}

std::vector<int64_t> PgCatalog::type_functions(std::string_view schema, std::string_view name) {
  return oids(query(with_schema(R"(
      WITH RECURSIVE ty(oid) AS (
        SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typname = $2 AND {schema}))") +
                        kTypeFunctions,
                    std::string(schema), std::string(name)));
}

bool PgCatalog::user_type_named(std::string_view name) {
  return !query(R"(
      SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typname = $1 AND n.nspname <> 'pg_catalog' LIMIT 1)",
                std::string(name))
              .empty();
}

bool PgCatalog::user_operator_named(std::string_view name) {
  return !query(R"(
      SELECT 1 FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
      WHERE o.oprname = $1 AND n.nspname <> 'pg_catalog' LIMIT 1)",
                std::string(name))
              .empty();
}

bool PgCatalog::operator_in_pg_catalog(std::string_view name) {
  return !query(R"(
      SELECT 1 FROM pg_operator o
      WHERE o.oprname = $1 AND o.oprnamespace = 'pg_catalog'::regnamespace LIMIT 1)",
                std::string(name))
              .empty();
}

std::vector<int64_t> PgCatalog::trigger_functions(std::string_view schema, std::string_view table,
                                                  std::string_view trigger) {
  return oids(query(with_schema(R"(
      SELECT DISTINCT g.tgfoid::int8
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $2 AND {schema} AND ($3 = '' OR g.tgname = $3))"),
                    std::string(schema), std::string(table), std::string(trigger)));
}

std::vector<std::string> PgCatalog::policy_expressions(std::string_view schema,
                                                       std::string_view table) {
  std::vector<std::string> out;
  for (const auto& r : query(with_schema(R"(
      SELECT e FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace,
           unnest(ARRAY[pg_get_expr(p.polqual, p.polrelid),
                        pg_get_expr(p.polwithcheck, p.polrelid)]) AS e
      WHERE c.relname = $2 AND {schema} AND e IS NOT NULL)"),
                             std::string(schema), std::string(table)))
    out.push_back(r[0].as<std::string>());
  return out;
}

RelationReach PgCatalog::reach(std::string_view schema, std::string_view name) {
  // The relation, its partitions and children, and what its views read, transitively.
  pqxx::result r = query(with_schema(R"(
      WITH RECURSIVE edge(parent, child) AS (
        SELECT inhparent, inhrelid FROM pg_inherits
        UNION ALL
        SELECT w.ev_class, d.refobjid
        FROM pg_rewrite w
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> w.ev_class
      ), reach(oid) AS (
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $2 AND {schema}
        UNION
        SELECT e.child FROM edge e JOIN reach ON e.parent = reach.oid
      )
      SELECT COALESCE(max(n.nspname::text || '.' || c.relname::text) FILTER (WHERE c.relkind = 'f'), ''),
             COALESCE(max(n.nspname::text || '.' || c.relname::text)
                        FILTER (WHERE n.nspname IN ('pg_catalog', 'information_schema')), '')
      FROM reach JOIN pg_class c ON c.oid = reach.oid
      JOIN pg_namespace n ON n.oid = c.relnamespace)"),
                         std::string(schema), std::string(name));
  return {r[0][0].as<std::string>(), r[0][1].as<std::string>()};
}

std::vector<std::string> PgCatalog::view_definitions(std::string_view schema,
                                                     std::string_view name) {
  std::vector<std::string> out;
  for (const auto& r : query(with_schema(R"(
      SELECT pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $2 AND {schema} AND c.relkind IN ('v', 'm'))"),
                             std::string(schema), std::string(name)))
    out.push_back(r[0].as<std::string>());
  return out;
}

bool PgCatalog::sequence_predates_trace(std::string_view regclass_text) {
  // Every sequence of that name, whatever schema the text names: the statement may run under
  // another search_path, or after a schema was renamed.
  pqxx::result r = query(R"(
      WITH p AS (SELECT parse_ident($1) AS parts)
      SELECT c.oid::int8 FROM p, pg_class c
      WHERE c.relkind = 'S' AND c.relname = p.parts[array_length(p.parts, 1)])",
                         std::string(regclass_text));
  for (const auto& row : r)
    if (!sequences_ || sequences_->count(row[0].as<int64_t>())) return true;
  return false;
}

std::vector<int64_t> PgCatalog::column_type_functions(std::string_view schema,
                                                      std::string_view table) {
  return oids(query(with_schema(R"(
      WITH RECURSIVE ty(oid) AS (
        SELECT a.atttypid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relname = $2 AND {schema}))") +
                        kTypeFunctions,
                    std::string(schema), std::string(table)));
}

std::string PgCatalog::setting_context(std::string_view name) {
  pqxx::result r =
      query("SELECT context FROM pg_settings WHERE name = lower($1)", std::string(name));
  return r.empty() ? std::string() : r[0][0].as<std::string>();
}

std::vector<int64_t> PgCatalog::write_functions(std::string_view schema, std::string_view table) {
  return oids(query(with_schema(R"(
      WITH t AS (
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $2 AND {schema}),
      parts(classid, objid) AS (
        SELECT 'pg_attrdef'::regclass::oid, a.oid FROM pg_attrdef a JOIN t ON a.adrelid = t.oid
        UNION ALL SELECT 'pg_constraint'::regclass::oid, k.oid FROM pg_constraint k
          JOIN t ON k.conrelid = t.oid
        UNION ALL SELECT 'pg_class'::regclass::oid, i.indexrelid FROM pg_index i
          JOIN t ON i.indrelid = t.oid
        UNION ALL SELECT 'pg_rewrite'::regclass::oid, w.oid FROM pg_rewrite w
          JOIN t ON w.ev_class = t.oid)
      SELECT DISTINCT d.refobjid::int8 FROM pg_depend d
      JOIN parts p ON d.classid = p.classid AND d.objid = p.objid
      WHERE d.refclassid = 'pg_proc'::regclass
      UNION
      SELECT g.tgfoid::int8 FROM pg_trigger g JOIN t ON g.tgrelid = t.oid
      WHERE g.tgenabled IN ('O', 'A'))"),
                    std::string(schema), std::string(table)));
}

std::vector<int64_t> PgCatalog::read_functions(std::string_view schema, std::string_view name) {
  return oids(query(with_schema(R"(
      WITH RECURSIVE reach(oid) AS (
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $2 AND {schema}
        UNION
        SELECT d.refobjid FROM pg_rewrite w JOIN reach ON w.ev_class = reach.oid
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> w.ev_class)
      SELECT DISTINCT d.refobjid::int8 FROM reach
      JOIN pg_rewrite w ON w.ev_class = reach.oid
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
       AND d.refclassid = 'pg_proc'::regclass)"),
                    std::string(schema), std::string(name)));
}

std::vector<int64_t> PgCatalog::event_trigger_functions() {
  return oids(query("SELECT evtfoid::int8 FROM pg_event_trigger WHERE evtenabled IN ('O', 'A')"));
}

std::vector<std::string> PgCatalog::serial_sequences(std::string_view table,
                                                     std::string_view column) {
  std::vector<std::string> out;
  for (const auto& r : query(R"(
      SELECT pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), $2)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2
                    AND a.attnum > 0 AND NOT a.attisdropped))",
                             std::string(table), std::string(column)))
    out.push_back(r[0].is_null() ? std::string() : r[0].as<std::string>());
  return out;
}

bool PgCatalog::builtin_type_named(std::string_view name) {
  return !query("SELECT 1 FROM pg_type WHERE typname = $1 AND typnamespace = 11 LIMIT 1",
                std::string(name))
              .empty();
}

bool PgCatalog::system_relation_named(std::string_view name) {
  return !query(R"(
      SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND n.oid < 16384::oid AND n.oid <> 2200::oid LIMIT 1)",
                std::string(name))
              .empty();
}

std::set<int64_t> PgCatalog::sequences(pqxx::transaction_base& tx) {
  std::set<int64_t> out;
  for (const auto& r : tx.exec("SELECT oid::int8 FROM pg_class WHERE relkind = 'S'"))
    out.insert(r[0].as<int64_t>());
  return out;
}

}  // namespace migsafe
