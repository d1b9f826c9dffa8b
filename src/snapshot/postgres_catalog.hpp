// The sandbox's catalog lookups over a snapshot session (part of the snapshot module). The
// queries run in the caller's transaction, so a traced migration's own routines are seen.
#pragma once

#include <pqxx/pqxx>

#include <set>

#include "migsafe/sandbox.hpp"
#include "pg_session.hpp"

namespace migsafe {

class PgCatalog : public PgSandboxCatalog {
 public:
  // preexisting_sequences: the sequences the snapshot had before the trace began; null when
  // nothing is traced (then every sequence predates it).
  // Every query is armed on the watchdog with the given budget.
  PgCatalog(pqxx::transaction_base& tx, const std::set<int64_t>* preexisting_sequences,
            Watchdog& watchdog, std::chrono::milliseconds budget)
      : tx_(tx), sequences_(preexisting_sequences), watchdog_(watchdog), budget_(budget) {}

  std::vector<PgRoutine> routines(std::string_view schema, std::string_view name) override;
  std::optional<PgRoutine> routine(int64_t oid) override;
  std::vector<int64_t> operator_functions(std::string_view schema, std::string_view name) override;
  std::vector<int64_t> type_functions(std::string_view schema, std::string_view name) override;
  bool user_type_named(std::string_view name) override;
  bool user_operator_named(std::string_view name) override;
  bool operator_in_pg_catalog(std::string_view name) override;
  std::vector<int64_t> trigger_functions(std::string_view schema, std::string_view table,
                                         std::string_view trigger) override;
  std::vector<std::string> policy_expressions(std::string_view schema,
                                              std::string_view table) override;
  RelationReach reach(std::string_view schema, std::string_view name) override;
  std::vector<std::string> view_definitions(std::string_view schema,
                                            std::string_view name) override;
  bool sequence_predates_trace(std::string_view regclass_text) override;
  std::vector<int64_t> column_type_functions(std::string_view schema,
                                             std::string_view table) override;
  std::string setting_context(std::string_view name) override;
  std::vector<int64_t> write_functions(std::string_view schema, std::string_view table) override;
  std::vector<int64_t> read_functions(std::string_view schema, std::string_view name) override;
  std::vector<int64_t> event_trigger_functions() override;
  std::vector<std::string> serial_sequences(std::string_view table,
                                            std::string_view column) override;
  bool builtin_type_named(std::string_view name) override;
  bool system_relation_named(std::string_view name) override;

  // The sequences that exist now (recorded when a trace begins).
  static std::set<int64_t> sequences(pqxx::transaction_base& tx);

 private:
  std::vector<int64_t> oids(const pqxx::result& r) const;
  template <class... Args>
  pqxx::result query(const std::string& sql, Args&&... args) {
    auto guard = watchdog_.arm(budget_);
    return tx_.exec_params(sql, std::forward<Args>(args)...);
  }

  pqxx::transaction_base& tx_;
  const std::set<int64_t>* sequences_;
  Watchdog& watchdog_;
  std::chrono::milliseconds budget_;
};

}  // namespace migsafe
