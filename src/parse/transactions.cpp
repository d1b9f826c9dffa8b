#include "migsafe/parse.hpp"

namespace migsafe {

void assign_transactions(Migration& m) {
  int current = -1;
  int next_id = 0;
  for (Statement& st : m.statements) {
    bool opens = false, closes = false;
    for (const Operation& op : st.ops) {
      if (op.kind == OpKind::begin) opens = true;
      if (op.kind == OpKind::commit || op.kind == OpKind::rollback) closes = true;
    }
    if (opens && current < 0) current = next_id++;
    st.in_transaction = current >= 0;
    st.transaction = current;
    if (closes) current = -1;
  }
}

}  // namespace migsafe
