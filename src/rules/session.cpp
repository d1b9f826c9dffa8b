#include "session.hpp"

#include <cctype>
#include <cstdlib>

#include "migsafe/ascii.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {

namespace {
bool has_op(const Statement& st, OpKind k) {
  for (const auto& op : st.ops)
    if (op.kind == k) return true;
  return false;
}

// Whether a statement changes data or schema (settings, reads and transaction control do not):
// work an implicit commit would make permanent.
bool does_work(const Statement& st) {
  for (const auto& op : st.ops) switch (op.kind) {
      case OpKind::select:
      case OpKind::set_setting:
      case OpKind::reset_setting:
      case OpKind::begin:
      case OpKind::commit:
      case OpKind::rollback:
      case OpKind::savepoint:
      case OpKind::meta_command:
        break;
      default:
        return true;
    }
  return false;
}
}  // namespace

void SessionState::start_unit(TransactionMode mode, std::string transaction, std::string fix) {
  end_transaction();
  explicit_open_ = false;
  nested_open_ = false;
  implicit_commit_ = false;
  mode_ = mode;
  runner_tx_open_ = true;
  unit_transaction_ = std::move(transaction);
  unit_fix_ = std::move(fix);
}

std::string SessionState::transaction_source(const SourceText& src) const {
  if (runner_open())
    return unit_transaction_.empty() ? "the runner's transaction" : unit_transaction_;
  if (explicit_open_)
    return "the BEGIN at line " + std::to_string(src.position(begin_offset_).line) +
           " opened a transaction";
  if (routine_depth_ > 0 && routine_is_transaction_)
    return "a DO block or function runs as one statement, in one transaction";
  return "";
}

std::string SessionState::transaction_fix() const {
  if (runner_open())
    return unit_fix_.empty() ? "move it to a migration that runs without a transaction block"
                             : unit_fix_;
  if (explicit_open_)
    return "take it out of BEGIN ... COMMIT, into a migration that runs without a transaction "
           "block";
  if (routine_depth_ > 0 && routine_is_transaction_)
    return "run it as a statement of its own, outside the DO block or function";
  return "";
}

void SessionState::begin_statement(const Statement& st) {
  nested_begin_ = false;
  ae_this_statement_.clear();
  const bool per_file_open = runner_open() && mode_ == TransactionMode::per_file;
  ends_runner_ = per_file_open && !explicit_open_ && !nested_open_ &&
                 (has_op(st, OpKind::commit) || has_op(st, OpKind::rollback));
  if (!has_op(st, OpKind::begin)) return;
  // In per-file mode the runner's transaction is already open: BEGIN only draws a warning
  // from PostgreSQL. In a single query string, BEGIN turns the implicit block explicit.
  if (explicit_open_ || per_file_open) {
    nested_begin_ = true;
    if (per_file_open) nested_open_ = true;
    return;
  }
  explicit_open_ = true;
  begin_offset_ = st.span.begin;
}

void SessionState::end_statement(const Statement& st) {
  for (const auto& k : ae_this_statement_) ++held_[k].statements;
  if (in_transaction() && does_work(st)) ++statements_in_tx_;
  if (has_op(st, OpKind::commit) || has_op(st, OpKind::rollback) || implicit_commit_) {
    implicit_commit_ = false;
    explicit_open_ = false;
    nested_open_ = false;
    // COMMIT ends the runner's transaction too; what follows runs in autocommit. In one query
    // string of several statements, each statement after it starts a new implicit block.
    if (mode_ == TransactionMode::per_file) runner_tx_open_ = false;
    end_transaction();
  } else if (!in_transaction()) {
    end_transaction();
  }
}

void SessionState::leave_routine() {
  if (routine_depth_ > 0) --routine_depth_;
  // The routine's statement is over: in autocommit its locks go with it. (end_statement of the
  // calling statement does the same; this keeps a routine's locks from leaking into the
  // caller's later operations.)
  for (const auto& k : ae_this_statement_) ++held_[k].statements;
  ae_this_statement_.clear();
  if (!in_transaction()) end_transaction();
}

void SessionState::end_transaction() {
  statements_in_tx_ = 0;
  held_.clear();
  not_valid_.clear();
  local_lock_timeout_.reset();
  local_utc_.reset();
}

SessionState::Held SessionState::held(const QualifiedName& t) const {
  auto it = held_.find(table_key(t));
  return it == held_.end() ? Held{} : it->second;
}

SessionState::Held SessionState::strongest_elsewhere(const QualifiedName& t) const {
  Held best;
  std::string self = table_key(t);
  for (const auto& [k, h] : held_)
    if (k != self && h.mode > best.mode) best = h;
  return best;
}

bool SessionState::added_not_valid(const QualifiedName& t, const std::string& constraint) const {
  return not_valid_.count(table_key(t) + "/" + constraint) > 0;
}

bool SessionState::timeout_is_off(std::string_view v) {
  // 0 in any unit switches the timeout off; so does the server default.
  size_t i = 0;
  while (i < v.size() && (v[i] == '0' || v[i] == '.')) ++i;
  while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
  std::string unit;
  for (; i < v.size(); ++i) unit += ascii_lower(v[i]);
  bool all_zero = !v.empty() && (v[0] == '0' || v[0] == '.');
  if (all_zero && (unit.empty() || unit == "ms" || unit == "s" || unit == "min" || unit == "h" ||
                   unit == "d" || unit == "us"))
    return true;
  return v.empty() || v == "default" || v == "DEFAULT";
}

bool SessionState::lock_timeout_set() const {
  if (local_lock_timeout_ && in_transaction()) return *local_lock_timeout_;
  return session_lock_timeout_.value_or(false);
}

void SessionState::take(const QualifiedName& t, LockMode m, std::string_view by) {
  if (t.name.empty() || m == LockMode::none || !in_transaction()) return;
  std::string k = table_key(t);
  Held& h = held_[k];
  if (m > h.mode) {
    h.mode = m;
    h.by = std::string(by);
  }
  if (m == LockMode::access_exclusive) ae_this_statement_.insert(k);
}

namespace {
// Names PostgreSQL resolves to UTC itself (the zone with no offset and no daylight saving).
bool is_utc(std::string v) {
  for (auto& ch : v) ch = ascii_lower(ch);
  for (std::string_view z : {"utc", "etc/utc", "gmt", "etc/gmt", "zulu", "etc/zulu", "universal",
                             "etc/universal", "uct", "etc/uct", "gmt0", "etc/gmt0", "utc0"})
    if (v == z) return true;
  return false;
}
}  // namespace

void SessionState::record(const Operation& op, const Effect& e) {
  const std::string_view by = op_sql_words(op.kind);  // a fixed name: copied only when held
  take(e.table, e.lock, by);
  for (const auto& o : e.other_locks) take(o.table, o.mode, by);
  if (op.kind == OpKind::add_constraint && op.constraint && op.constraint->not_valid)
    not_valid_.insert(table_key(e.table) + "/" + op.constraint->name);
  bool all = op.object == "all";
  if (e.implicit_commit && (explicit_open_ || runner_open())) implicit_commit_ = true;
  // MySQL: SET GLOBAL changes new sessions, not this one.
  const bool this_session = op.detail != "global";
  if (op.kind == OpKind::set_setting && op.object == "foreign_key_checks" && this_session)
    foreign_keys_off_ = op.value == "0" || op.value == "off" || op.value == "false";
  if (op.kind == OpKind::set_setting && op.object == "lock_wait_timeout" && this_session) {
    // The server default is a year (MySQL) or a day (MariaDB): only a short wait protects.
    long secs = std::strtol(op.value.c_str(), nullptr, 10);
    session_lock_timeout_ = op.value != "default" && secs > 0 && secs <= 3600;
  }
  if (op.kind == OpKind::set_setting && op.object == "foreign_keys" && !in_transaction())
    foreign_keys_off_ =
        op.value == "off" || op.value == "0" || op.value == "false" || op.value == "no";
  if (op.kind == OpKind::set_setting && op.object == "timezone") {
    if (!op.local)
      session_utc_ = is_utc(op.value);
    else if (in_transaction())
      local_utc_ = is_utc(op.value);
  } else if (op.kind == OpKind::reset_setting && (op.object == "timezone" || all)) {
    session_utc_ = false;
    local_utc_.reset();
  }
  if (op.kind == OpKind::set_setting && op.object == "lock_timeout") {
    bool on = !timeout_is_off(op.value);
    if (op.local) {
      if (in_transaction())
        local_lock_timeout_ = on;  // outside a transaction SET LOCAL does nothing
    } else {
      session_lock_timeout_ = on;
      local_lock_timeout_.reset();
    }
  } else if (op.kind == OpKind::reset_setting && (op.object == "lock_timeout" || all)) {
    session_lock_timeout_.reset();
    local_lock_timeout_.reset();
  }
}

}  // namespace migsafe
