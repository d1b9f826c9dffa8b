// Feeds one file's statements to the rules engine as its runner sends them: unit by unit, each
// in its own transaction when it has one; a query string of one statement outside any (a string
// of several is one implicit block); Flyway's choice made from the statements themselves.
#pragma once

#include <optional>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/runner.hpp"

namespace migsafe {

// Something the runner itself does with the file, found while feeding it (Flyway refusing a
// file of both kinds): a finding of the core pack.
struct RunnerRefusal {
  uint32_t offset = 0;
  std::string message;
  std::string instead;
};

class UnitFeeder {
 public:
  UnitFeeder(SetAnalyzer& analyzer, const FilePlan& plan, const CheckOptions& opt);
  void operator()(Statement& st);
  // After the last statement: runs what is still held, and the units in reverse order when the
  // plan says so.
  void finish();
  const std::vector<RunnerRefusal>& refusals() const { return refusals_; }

 private:
  enum class State { streaming, holding_one_string, flyway_undecided, flyway_in_transaction };

  size_t unit_of(uint32_t offset) const;
  void open_group(size_t unit);
  void close_group();
  void accept(Statement&& st);
  void start(TransactionMode mode);
  void feed(Statement& st);
  void flyway_mixed(const Statement& non_transactional, const Statement& transactional);

  SetAnalyzer& analyzer_;
  const FilePlan& plan_;
  const CheckOptions& opt_;
  std::optional<size_t> unit_;  // the unit whose group is running
  State state_ = State::streaming;
  std::vector<Statement> held_;
  bool any_non_transactional_ = false;
  bool mixed_reported_ = false;
  std::optional<Statement> first_transactional_;
  // Going down in reverse: each group's statements, fed at finish.
  std::vector<std::pair<size_t, std::vector<Statement>>> groups_;
  std::vector<RunnerRefusal> refusals_;
};

}  // namespace migsafe
