// The trace's sandbox judge on arbitrary statements, over the catalog of a database that has
// no objects of its own (every name resolves to nothing), so only the parse-tree walk is
// exercised: it must refuse or allow, never crash.
#include "migsafe/sandbox.hpp"

namespace {

class NoObjects : public migsafe::PgSandboxCatalog {
 public:
  std::vector<migsafe::PgRoutine> routines(std::string_view, std::string_view) override {
    return {};
  }
  std::optional<migsafe::PgRoutine> routine(int64_t) override { return std::nullopt; }
  std::vector<int64_t> operator_functions(std::string_view, std::string_view) override {
    return {};
  }
  std::vector<int64_t> type_functions(std::string_view, std::string_view) override { return {}; }
  bool user_type_named(std::string_view) override { return false; }
  bool user_operator_named(std::string_view) override { return false; }
  bool operator_in_pg_catalog(std::string_view) override { return false; }
  std::vector<int64_t> trigger_functions(std::string_view, std::string_view,
                                         std::string_view) override {
    return {};
  }
  std::vector<std::string> policy_expressions(std::string_view, std::string_view) override {
    return {};
  }
  migsafe::RelationReach reach(std::string_view, std::string_view) override { return {}; }
  std::vector<std::string> view_definitions(std::string_view, std::string_view) override {
    return {};
  }
  bool sequence_predates_trace(std::string_view) override { return true; }
  std::vector<int64_t> column_type_functions(std::string_view, std::string_view) override {
    return {};
  }
  std::string setting_context(std::string_view) override { return "user"; }
  std::vector<int64_t> write_functions(std::string_view, std::string_view) override { return {}; }
  std::vector<int64_t> read_functions(std::string_view, std::string_view) override { return {}; }
  std::vector<int64_t> event_trigger_functions() override { return {}; }
  std::vector<std::string> serial_sequences(std::string_view, std::string_view) override {
    return {};
  }
  bool builtin_type_named(std::string_view) override { return false; }
  bool system_relation_named(std::string_view) override { return false; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  NoObjects catalog;
  std::string sql(reinterpret_cast<const char*>(data), size);
  if (sql.find('\0') != std::string::npos) return 0;  // not text; the front end refuses it first
  migsafe::SandboxVerdict v = migsafe::judge_postgres(sql, catalog);
  // A tree the judge cannot read is refused, which is safe, but it is the judge's bug.
  if (v.reason.starts_with(migsafe::kUnreadableTree)) __builtin_trap();
  return 0;
}
