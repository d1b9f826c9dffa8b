// migsafe stats: the snapshot's facts as JSON, and that JSON as a snapshot again.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "migsafe/inputs.hpp"
#include "migsafe/stats.hpp"

namespace migsafe {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kNoPlans =
    "the stats file has sizes and definitions, not plans: EXPLAIN needs a live snapshot (--db)";

json type_json(const TypeRef& t) {
  return {{"name", t.name}, {"mods", t.mods}, {"array", t.array}, {"user_defined", t.user_defined}};
}

TypeRef type_of(const json& j) {
  TypeRef t;
  t.name = j.at("name").get<std::string>();
  t.mods = j.at("mods").get<std::vector<int64_t>>();
  t.array = j.at("array").get<bool>();
  t.user_defined = j.at("user_defined").get<bool>();
  return t;
}

json table_json(const TableInfo& t) {
  json columns = json::array(), indexes = json::array(), constraints = json::array();
  for (const auto& c : t.columns)
    columns.push_back({{"name", c.name},
                       {"type", type_json(c.type)},
                       {"not_null", c.not_null},
                       {"charset", std::string(charset_name(c.charset))},
                       {"generated", static_cast<int>(c.generated)}});
  for (const auto& i : t.indexes)
    indexes.push_back({{"name", i.name},
                       {"columns", i.columns},
                       {"unique", i.unique},
                       {"partial", i.partial},
                       {"valid", i.valid},
                       {"method", i.method},
                       {"scans", i.scans},
                       {"backs_constraint", i.backs_constraint}});
  for (const auto& c : t.constraints)
    constraints.push_back(
        {{"name", c.name},
         {"kind", std::string(constraint_kind_name(c.kind))},
         {"validated", c.validated},
         {"columns", c.columns},
         {"not_null_check_column", c.not_null_check_column},
         {"references", {{"schema", c.references.schema}, {"name", c.references.name}}}});
  json j = {{"schema", t.name.schema},      {"name", t.name.name},
            {"partitioned", t.partitioned}, {"charset", std::string(charset_name(t.charset))},
            {"row_format", t.row_format},   {"columns", columns},
            {"indexes", indexes},           {"constraints", constraints}};
  if (t.stats)
    j["stats"] = {{"rows", t.stats->rows},
                  {"bytes", t.stats->bytes},
                  {"row_versions", t.stats->row_versions},
                  {"rows_note", t.stats->rows_note}};
  return j;
}

ConstraintKind kind_of(const std::string& s) {
  for (auto k : {ConstraintKind::check, ConstraintKind::foreign_key, ConstraintKind::unique,
                 ConstraintKind::primary_key, ConstraintKind::exclusion, ConstraintKind::not_null})
    if (constraint_kind_name(k) == s) return k;
  return ConstraintKind::other;
}

TableInfo table_of(const json& j) {
  TableInfo t;
  t.name = {j.at("schema").get<std::string>(), j.at("name").get<std::string>()};
  t.partitioned = j.at("partitioned").get<bool>();
  t.charset = charset_id(j.at("charset").get<std::string>());
  t.row_format = j.at("row_format").get<std::string>();
  for (const auto& c : j.at("columns")) {
    ColumnInfo ci;
    ci.name = c.at("name").get<std::string>();
    ci.type = type_of(c.at("type"));
    ci.not_null = c.at("not_null").get<bool>();
    ci.charset = charset_id(c.at("charset").get<std::string>());
    int g = c.at("generated").get<int>();
    if (g < 0 || g > static_cast<int>(Generated::virtual_column))
      throw std::out_of_range("generated");
    ci.generated = static_cast<Generated>(g);
    t.columns.push_back(std::move(ci));
  }
  for (const auto& i : j.at("indexes")) {
    IndexInfo ii;
    ii.name = i.at("name").get<std::string>();
    ii.columns = i.at("columns").get<std::vector<std::string>>();
    ii.unique = i.at("unique").get<bool>();
    ii.partial = i.at("partial").get<bool>();
    ii.valid = i.at("valid").get<bool>();
    ii.method = i.at("method").get<std::string>();
    ii.scans = i.at("scans").get<int64_t>();
    ii.backs_constraint = i.at("backs_constraint").get<bool>();
    t.indexes.push_back(std::move(ii));
  }
  for (const auto& c : j.at("constraints")) {
    ConstraintInfo ci;
    ci.name = c.at("name").get<std::string>();
    ci.kind = kind_of(c.at("kind").get<std::string>());
    ci.validated = c.at("validated").get<bool>();
    ci.columns = c.at("columns").get<std::vector<std::string>>();
    ci.not_null_check_column = c.at("not_null_check_column").get<std::string>();
    ci.references = {c.at("references").at("schema").get<std::string>(),
                     c.at("references").at("name").get<std::string>()};
    t.constraints.push_back(std::move(ci));
  }
  // Filled directly: the positions by name and the FULLTEXT count follow from the lists.
  t.reindex();
  if (j.contains("stats")) {
    const json& s = j["stats"];
    TableStats st;
    st.rows = s.at("rows").get<double>();
    st.bytes = s.at("bytes").get<int64_t>();
    st.row_versions = s.at("row_versions").get<int>();
    st.rows_note = s.at("rows_note").get<std::string>();
    t.stats = st;
  }
  return t;
}

// The file's facts, served as a snapshot that cannot plan, count or trace.
class StatsSnapshot : public Snapshot {
 public:
  StatsSnapshot(Dialect d, TargetVersion v, SchemaModel model, ObservedQueries workload)
      : dialect_(d), version_(v), model_(std::move(model)), workload_(std::move(workload)) {}

  void load_schema(SchemaModel& model) override {
    for (const auto& [key, t] : model_.tables()) model.add_existing_table(t);
    for (const auto& [name, v] : model_.functions()) model.set_function_volatility(name, v);
    for (const auto& d : model_.constrained_domains()) model.add_constrained_domain(d);
  }
  PlanResult plan(std::string_view) override {
    PlanResult r;
    r.error = kNoPlans;
    return r;
  }
  bool can_plan() const override { return true; }  // so that a finding says what is missing
  DataAnswer check_data(const DataQuestion&) override {
    DataAnswer a;
    a.error = "the stats file holds no rows: counting them needs a live snapshot (--db)";
    return a;
  }
  std::vector<ObservedQuery> queries_using_index(std::string_view) override { return {}; }
  Dialect dialect() const override { return dialect_; }
  TargetVersion server_version() const override { return version_; }
  bool superuser() const override { return false; }
  std::unique_ptr<StatementTracer> begin_trace() override {
    throw SnapshotError("--trace needs a live snapshot (--db), not a stats file");
  }
  std::unique_ptr<StatementTracer> begin_plan_trace() override {
    throw SnapshotError("migsafe plan needs a live snapshot (--db), not a stats file");
  }
  ObservedQueries top_queries(int n) override {
    ObservedQueries q = workload_;
    if (q.queries.size() > static_cast<size_t>(std::max(n, 0))) q.queries.resize(n);
    return q;
  }

 private:
  Dialect dialect_;
  TargetVersion version_;
  SchemaModel model_;
  ObservedQueries workload_;
};

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void write_stats(Snapshot& snapshot, int top_queries, std::ostream& out) {
  SchemaModel model;
  snapshot.load_schema(model);
  std::vector<const TableInfo*> tables;
  for (const auto& [key, t] : model.tables()) tables.push_back(&t);
  std::sort(tables.begin(), tables.end(), [](const TableInfo* a, const TableInfo* b) {
    return a->name.display() < b->name.display();
  });
  json doc;
  doc["migsafe_stats"] = kStatsSchemaVersion;
  doc["dialect"] = std::string(dialect_name(snapshot.dialect()));
  doc["server_version"] = snapshot.server_version().display();
  doc["written_at"] = utc_now();
  json t = json::array();
  for (const TableInfo* ti : tables) t.push_back(table_json(*ti));
  doc["tables"] = std::move(t);
  std::map<std::string, int> functions(model.functions().begin(), model.functions().end());
  doc["function_volatility"] = functions;
  std::vector<std::string> domains(model.constrained_domains().begin(),
                                   model.constrained_domains().end());
  std::sort(domains.begin(), domains.end());
  doc["constrained_domains"] = domains;
  json workload = json::object();
  if (top_queries > 0) {
    ObservedQueries q = snapshot.top_queries(top_queries);
    json list = json::array();
    for (const auto& o : q.queries)
      list.push_back(
          {{"text", o.text}, {"calls", o.calls}, {"total_ms", o.total_ms}, {"source", o.source}});
    workload["queries"] = std::move(list);
    if (!q.unavailable.empty()) workload["unavailable"] = q.unavailable;
  }
  doc["workload"] = std::move(workload);
  out << doc.dump(2) << '\n';
}

std::optional<Dialect> stats_file_dialect(const std::string& path) {
  try {
    json doc = json::parse(read_bounded(path));
    return parse_dialect(doc.at("dialect").get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::unique_ptr<Snapshot> load_stats(const std::string& path) {
  std::string text = read_bounded(path);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(path, std::string("is not JSON: ") + e.what());
  }
  try {
    if (!doc.is_object() || !doc.contains("migsafe_stats"))
      throw InputError(path, "is not a migsafe stats file (write one with `migsafe stats`)");
    int version = doc["migsafe_stats"].get<int>();
    if (version != kStatsSchemaVersion)
      throw InputError(path, "is a stats file of version " + std::to_string(version) +
                                 "; this migsafe reads version " +
                                 std::to_string(kStatsSchemaVersion));
    auto dialect = parse_dialect(doc.at("dialect").get<std::string>());
    if (!dialect) throw InputError(path, "names an unknown dialect");
    auto v = parse_target_version(*dialect, doc.at("server_version").get<std::string>());
    if (!v) v = parse_version_number(doc.at("server_version").get<std::string>());
    if (!v) throw InputError(path, "has no server version migsafe knows");
    SchemaModel model;
    for (const auto& t : doc.at("tables")) model.add_existing_table(table_of(t));
    for (const auto& [name, vol] : doc.at("function_volatility").items())
      model.set_function_volatility(name, static_cast<char>(vol.get<int>()));
    for (const auto& d : doc.at("constrained_domains")) model.add_constrained_domain(d);
    ObservedQueries workload;
    const json& w = doc.at("workload");
    if (w.contains("queries"))
      for (const auto& q : w["queries"])
        workload.queries.push_back({q.at("text").get<std::string>(), q.at("calls").get<double>(),
                                    q.at("total_ms").get<double>(),
                                    q.at("source").get<std::string>()});
    if (w.contains("unavailable"))
      workload.unavailable = w["unavailable"].get<std::string>();
    else if (!w.contains("queries"))
      workload.unavailable = "the stats file was written without its workload (--top 0)";
    return std::make_unique<StatsSnapshot>(*dialect, *v, std::move(model), std::move(workload));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("is not a stats file migsafe can read: ") + e.what());
  }
}

}  // namespace migsafe
