// migsafe lsp: a Language Server Protocol server on a pair of streams (stdin and stdout). An
// open migration is checked as the command line checks it (its folder's earlier migrations
// replayed, .migsafe.yaml honoured) on every open, change and save: findings are diagnostics,
// a safer alternative that replaces the statement is a quick fix, and hovering a statement
// shows what it does to the database.
#pragma once

#include <istream>
#include <ostream>

namespace migsafe::cli {

// Serves until `exit` or the end of input; returns the process's exit status (0 after a
// shutdown request, 1 otherwise, as the protocol asks).
int run_lsp(std::istream& in, std::ostream& out);

}  // namespace migsafe::cli
