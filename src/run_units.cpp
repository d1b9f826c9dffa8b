#include "run_units.hpp"

#include <algorithm>

namespace migsafe {

UnitFeeder::UnitFeeder(SetAnalyzer& analyzer, const FilePlan& plan, const CheckOptions& opt)
    : analyzer_(analyzer), plan_(plan), opt_(opt) {}

size_t UnitFeeder::unit_of(uint32_t offset) const {
  // Units are in file order; a statement belongs to the last one that starts at or before it
  // (the parser only sees text inside units, so it lies within that one).
  size_t found = 0;
  for (size_t i = 0; i < plan_.units.size(); ++i)
    if (plan_.units[i].begin <= offset) found = i;
  return found;
}

void UnitFeeder::operator()(Statement& st) {
  if (plan_.units.empty()) return;
  size_t u = unit_of(st.span.begin);
  if (plan_.reverse) {
    size_t group = plan_.units[u].group;
    if (groups_.empty() || groups_.back().first != group) groups_.push_back({group, {}});
    groups_.back().second.push_back(std::move(st));
    return;
  }
  if (!unit_ || plan_.units[*unit_].group != plan_.units[u].group) {
    close_group();
    open_group(u);
  }
  accept(std::move(st));
}

void UnitFeeder::finish() {
  if (plan_.reverse) {
    for (auto it = groups_.rbegin(); it != groups_.rend(); ++it) {
      size_t first = 0;
      for (size_t i = 0; i < plan_.units.size(); ++i)
        if (plan_.units[i].group == it->first) {
          first = i;
          break;
        }
      open_group(first);
      for (auto& st : it->second) accept(std::move(st));
      close_group();
    }
    groups_.clear();
    return;
  }
  close_group();
}

void UnitFeeder::open_group(size_t unit) {
  unit_ = unit;
  held_.clear();
  any_non_transactional_ = false;
  mixed_reported_ = false;
  first_transactional_.reset();
  const RunUnit& u = plan_.units[unit];
  TransactionMode mode = opt_.transactions_given ? opt_.transactions : u.mode;
  if (mode == TransactionMode::single_query) {
    state_ = State::holding_one_string;
  } else if (plan_.decided_by_statements && !opt_.transactions_given) {
    state_ = State::flyway_undecided;
  } else {
    state_ = State::streaming;
    start(mode);
  }
}

void UnitFeeder::start(TransactionMode mode) {
  const RunUnit& u = plan_.units[*unit_];
  if (!opt_.transactions_given) {
    analyzer_.begin_unit(mode, u.transaction, u.fix);
    return;
  }
  // --transactions (or the config) overrides the runner: say so in its words.
  switch (mode) {
    case TransactionMode::autocommit:
      analyzer_.begin_unit(mode, "", "");
      break;
    case TransactionMode::per_file:
      analyzer_.begin_unit(mode,
                           "the runner wraps each file in a transaction (--transactions "
                           "per-file)",
                           "move it to a migration the runner sends without a transaction");
      break;
    case TransactionMode::single_query:
      analyzer_.begin_unit(mode,
                           "the runner sends the file as one query string of several statements "
                           "(--transactions single-query), which PostgreSQL runs as one "
                           "transaction block",
                           "put the statement alone in a migration file of its own");
      break;
  }
}

void UnitFeeder::feed(Statement& st) {
  analyzer_.statement(st);
}

void UnitFeeder::accept(Statement&& st) {
  switch (state_) {
    case State::streaming:
      feed(st);
      return;
    case State::holding_one_string:
      // One statement alone in the string runs outside any transaction block; a second makes
      // the string one implicit block.
      held_.push_back(std::move(st));
      if (held_.size() == 2) {
        start(TransactionMode::single_query);
        for (auto& h : held_) feed(h);
        held_.clear();
        state_ = State::streaming;
      }
      return;
    case State::flyway_undecided:
    case State::flyway_in_transaction:
      break;
  }
  bool non_tx = flyway_non_transactional(opt_.dialect, opt_.version.major, st.text);
  if (plan_.mixed_allowed) {
    // With mixed on, any such statement takes the whole file out of the transaction: all of it
    // must be seen first.
    any_non_transactional_ = any_non_transactional_ || non_tx;
    held_.push_back(std::move(st));
    return;
  }
  if (state_ == State::flyway_undecided) {
    if (non_tx) {
      held_.push_back(std::move(st));
      return;
    }
    start(TransactionMode::per_file);
    state_ = State::flyway_in_transaction;
    if (!held_.empty()) flyway_mixed(held_.front(), st);
    for (auto& h : held_) feed(h);
    held_.clear();
    first_transactional_ = st;
    feed(st);
    return;
  }
  if (non_tx && first_transactional_) flyway_mixed(st, *first_transactional_);
  feed(st);
}

void UnitFeeder::flyway_mixed(const Statement& non_transactional, const Statement& transactional) {
  if (mixed_reported_) return;
  mixed_reported_ = true;
  std::string where = transactional.span.start.line
                          ? " (line " + std::to_string(transactional.span.start.line) + ")"
                          : "";
  RunnerRefusal r;
  r.offset = non_transactional.span.begin;
  r.message =
      "Flyway refuses this file: this statement cannot run in a transaction and others" + where +
      " need one, so the file fails before any of it runs" +
      (plan_.mixed_from.empty() ? std::string() : " (mixed is off in " + plan_.mixed_from + ")");
  r.instead =
      "-- move it to a migration of its own: Flyway runs a file of only such statements "
      "without a transaction\n-- (or set flyway.mixed=true in flyway.conf, mixed = true under "
      "[flyway] in flyway.toml, or\n-- flyway_mixed: true in .migsafe.yaml, to run the whole "
      "file without a transaction)";
  refusals_.push_back(std::move(r));
}

void UnitFeeder::close_group() {
  if (!unit_) return;
  switch (state_) {
    case State::holding_one_string:
      start(held_.size() >= 2 ? TransactionMode::single_query : TransactionMode::autocommit);
      break;
    case State::flyway_undecided:
      if (plan_.mixed_allowed)
        start(any_non_transactional_ ? TransactionMode::autocommit : TransactionMode::per_file);
      else
        start(TransactionMode::autocommit);  // every statement held is non-transactional
      break;
    case State::streaming:
    case State::flyway_in_transaction:
      break;
  }
  for (auto& h : held_) feed(h);
  held_.clear();
  unit_.reset();
}

}  // namespace migsafe
