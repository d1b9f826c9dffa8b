// What of a migration may run on migsafe's copy of a SQLite database (see sandbox.hpp).
#include <algorithm>

#include "migsafe/ir.hpp"
#include "migsafe/sandbox.hpp"

namespace migsafe {
namespace {

SandboxVerdict verdict(SandboxAction action, std::string reason = {}) {
  SandboxVerdict v;
  v.action = action;
  v.reason = std::move(reason);
  return v;
}

// Pragmas that point the connection at other directories.
bool reaches_other_files(const Operation& op) {
  std::string name = ascii_lower(op.object);
  return name == "temp_store_directory" || name == "data_store_directory";
}

// Pragmas of the limits migsafe sets on the copy: the growth cap, and the heap limits, which
// are the whole process's (lowering one made every later statement fail, and the run pass).
bool changes_limits(const Operation& op) {
  std::string name = ascii_lower(op.object);
  return name == "max_page_count" || name == "hard_heap_limit" || name == "soft_heap_limit";
}

}  // namespace

SandboxVerdict judge_sqlite(const Statement& st) {
  if (st.node == "attach" || st.node == "detach")
    return verdict(SandboxAction::refuse, "ATTACH and DETACH open other database files");
  if (st.ops.empty())
    return verdict(SandboxAction::refuse, "migsafe cannot tell what this statement does");
  SandboxVerdict v = verdict(SandboxAction::run);
  v.sql = std::string(st.text);
  for (const Operation& op : st.ops) {
    switch (op.kind) {
      case OpKind::vacuum:
        return verdict(SandboxAction::skip,
                       "VACUUM rewrites the whole file (VACUUM INTO writes another one); it is "
                       "not run on the copy");
      case OpKind::set_setting:
        if (reaches_other_files(op))
          return verdict(SandboxAction::refuse,
                         "PRAGMA " + op.object + " points SQLite at another directory");
        if (changes_limits(op))
          return verdict(SandboxAction::refuse,
                         "PRAGMA " + op.object + " changes the limits migsafe sets on the copy");
        break;
      case OpKind::select:
        // A query changes nothing, but may fail on the real rows (json() of a bad value, a
        // missing table) and end the migration there: it runs, its rows read and dropped. A
        // pragma that answers (foreign_key_check, integrity_check) runs too: its rows are the
        // answer.
        if (reaches_other_files(op))
          return verdict(SandboxAction::refuse,
                         "PRAGMA " + op.object + " points SQLite at another directory");
        v.returns_rows = true;
        break;
      case OpKind::other:
        return verdict(SandboxAction::refuse, "migsafe cannot tell what this statement does");
      default:
        break;
    }
  }
  return v;
}

}  // namespace migsafe
