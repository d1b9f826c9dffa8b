#include "postgres_catalog.hpp"

#include <sstream>

namespace migsafe {
namespace {

// Objects with OIDs below FirstNormalObjectId were made by initdb: the server's own.
constexpr const char* kRoutineSelect = R"(
    SELECT p.oid::int8, n.nspname, p.proname, p.prokind::text, l.lanname, p.provolatile::text,
           p.oid < 16384,
           COALESCE((SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                     WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                       AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1), ''),
           COALESCE(array_to_string(p.proconfig, E'\n'), ''),
           CASE WHEN p.oid >= 16384 AND p.prokind <> 'a' AND l.lanname IN ('sql', 'plpgsql')
                THEN pg_get_functiondef(p.oid) ELSE '' END,
           COALESCE((SELECT string_agg(f::int8::text, ',')
                     FROM pg_aggregate a,
                          unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                                       a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn,
                                       a.aggmfinalfn]::oid[]) AS f
                     WHERE a.aggfnoid = p.oid AND f <> 0), ''),
           p.pronargs = 1 AND EXISTS (SELECT 1 FROM pg_type t
                                      WHERE t.oid = p.proargtypes[0] AND t.typtype IN ('c', 'p')),
           COALESCE(p.prosrc, '')
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
  return p;
}

}  // namespace

std::vector<int64_t> PgCatalog::oids(const pqxx::result& r) const {
  std::vector<int64_t> out;
  for (const auto& row : r) out.push_back(row[0].as<int64_t>());
  return out;
}

std::vector<PgRoutine> PgCatalog::routines(std::string_view schema, std::string_view name) {
  std::vector<PgRoutine> out;
  for (const auto& r : query(std::string(kRoutineSelect) +
                                 " WHERE p.proname = $2 AND ($1 = '' OR n.nspname = $1) ORDER BY 1",
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
  return oids(query(R"(
      SELECT DISTINCT f::int8
      FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace,
           unnest(ARRAY[o.oprcode::oid, o.oprrest::oid, o.oprjoin::oid]) AS f
      WHERE o.oprname = $2 AND ($1 = '' OR n.nspname = $1) AND f >= 16384)",
                    std::string(schema), std::string(name)));
}

std::vector<int64_t> PgCatalog::type_functions(std::string_view schema, std::string_view name) {
  return oids(query(R"(
      SELECT DISTINCT f::int8
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      LEFT JOIN pg_cast c ON c.casttarget = t.oid,
           unnest(ARRAY[c.castfunc, t.typinput::oid]) AS f
      WHERE t.typname = $2 AND ($1 = '' OR n.nspname = $1) AND f >= 16384)",
                    std::string(schema), std::string(name)));
}

std::vector<int64_t> PgCatalog::trigger_functions(std::string_view schema, std::string_view table,
                                                  std::string_view trigger) {
  return oids(query(R"(
      SELECT DISTINCT g.tgfoid::int8
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $2 AND ($1 = '' OR n.nspname = $1) AND ($3 = '' OR g.tgname = $3))",
                    std::string(schema), std::string(table), std::string(trigger)));
}

std::string PgCatalog::foreign_reach(std::string_view schema, std::string_view name) {
  // The relation, its partitions and children, and what its views read, transitively.
  pqxx::result r = query(R"(
      WITH RECURSIVE edge(parent, child) AS (
        SELECT inhparent, inhrelid FROM pg_inherits
        UNION ALL
        SELECT w.ev_class, d.refobjid
        FROM pg_rewrite w
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> w.ev_class
      ), reach(oid) AS (
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $2 AND ($1 = '' OR n.nspname = $1)
        UNION
        SELECT e.child FROM edge e JOIN reach ON e.parent = reach.oid
      )
      SELECT n.nspname || '.' || c.relname
      FROM reach JOIN pg_class c ON c.oid = reach.oid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'f' LIMIT 1)",
                         std::string(schema), std::string(name));
  return r.empty() ? std::string() : r[0][0].as<std::string>();
}

bool PgCatalog::sequence_predates_trace(std::string_view regclass_text) {
  // The statement may run under another search_path than the one the sandbox reads with (a DO
  // block can change it before it calls setval): an unqualified name is every sequence of that
  // name.
  pqxx::result r = query(R"(
      WITH n AS (SELECT parse_ident($1) AS parts)
      SELECT c.oid::int8 FROM n, pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE c.relkind = 'S' AND c.relname = n.parts[array_length(n.parts, 1)]
        AND (array_length(n.parts, 1) = 1 OR s.nspname = n.parts[array_length(n.parts, 1) - 1]))",
                         std::string(regclass_text));
  for (const auto& row : r)
    if (!sequences_ || sequences_->count(row[0].as<int64_t>())) return true;
  return false;
}

bool PgCatalog::system_relation(std::string_view schema, std::string_view name) {
  return !query(R"(
      SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $2 AND n.nspname IN ('pg_catalog', 'information_schema')
        AND ($1 = '' OR n.nspname = $1) LIMIT 1)",
                std::string(schema), std::string(name))
              .empty();
}

std::vector<int64_t> PgCatalog::column_type_functions(std::string_view schema,
                                                      std::string_view table) {
  return oids(query(R"(
      SELECT DISTINCT k.castfunc::int8
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_cast k ON k.casttarget = a.atttypid
      WHERE c.relname = $2 AND ($1 = '' OR n.nspname = $1) AND k.castfunc >= 16384)",
                    std::string(schema), std::string(table)));
}

std::set<int64_t> PgCatalog::sequences(pqxx::transaction_base& tx) {
  std::set<int64_t> out;
  for (const auto& r : tx.exec("SELECT oid::int8 FROM pg_class WHERE relkind = 'S'"))
    out.insert(r[0].as<int64_t>());
  return out;
}

}  // namespace migsafe
