// What a data change says about the rows it touches, read from its words: whether it works in
// batches, and whether an INSERT ... SELECT skips rows that are already there. Every front end
// asks the same question the same way, so the dialects batch by the same words.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "lexer.hpp"

namespace migsafe {

struct RowScope {
  // UPDATE / DELETE: a LIMIT (the statement's own or a subquery's in WHERE), a FETCH FIRST, a
  // BETWEEN, or a column given both a lower and an upper bound in the WHERE clause.
  bool batched = false;
  // NOT EXISTS, NOT IN or EXCEPT: an INSERT ... SELECT that leaves out rows already there,
  // and the words of those subqueries (the table they read must be the one the rows go into).
  bool not_exists = false;
  std::set<std::string> guard_words;
  // UPDATE: a SET that computes a column from itself (balance = balance + 10) while the WHERE
  // does not look at that column: a second run applies the change again.
  bool reapplies = false;
};

RowScope read_row_scope(std::string_view statement, const LexOptions& opt);
// Sets what the statement's text says on its data changes: batched on UPDATE / DELETE,
// skips_existing on an INSERT ... SELECT that leaves out existing rows. Reads the text only when
// the statement has such an operation.
void mark_row_scope(std::string_view statement, const LexOptions& opt, Statement& st);

}  // namespace migsafe
