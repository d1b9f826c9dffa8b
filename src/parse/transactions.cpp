#include "migsafe/parse.hpp"

namespace migsafe {

void TransactionTracker::assign(Statement& st) {
  bool opens = false, closes = false;
  for (const Operation& op : st.ops) {
    if (op.kind == OpKind::begin) opens = true;
    if (op.kind == OpKind::commit || op.kind == OpKind::rollback) closes = true;
  }
  if (opens && current_ < 0) current_ = next_id_++;
  st.in_transaction = current_ >= 0;
  st.transaction = current_;
  if (closes) current_ = -1;
}

}  // namespace migsafe
