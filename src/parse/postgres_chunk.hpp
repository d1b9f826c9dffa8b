// Parsing a piece of PostgreSQL text into IR statements located in the file. Used for the
// batches of a file and for the SQL inside PL/pgSQL bodies.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lexer.hpp"
#include "migsafe/ir.hpp"
#include "pg_tree.hpp"

namespace migsafe {

struct ChunkError {
  uint32_t offset = 0;
  std::string message;
};

class ChunkParser {
 public:
  ChunkParser(const SourceText& src, const LexOptions& opt) : src_(src), opt_(opt) {}

  // Parses chunk (which starts at byte base of the file); appends statements or returns the
  // error. With with_bodies, DO blocks and PL/pgSQL functions get their inner statements.
  std::optional<ChunkError> parse(const std::string& chunk, uint32_t base,
                                  std::vector<Statement>& out, bool with_bodies = true);

 private:
  void append(const PgRawStatement& raw, const std::string& chunk, uint32_t base,
              std::vector<Statement>& out);
  std::optional<ChunkError> read_bodies(Statement& st, const std::string& chunk, uint32_t base);

  const SourceText& src_;
  const LexOptions& opt_;
};

// A statement a PL/pgSQL body runs, as its compiled form says: plain SQL, PERFORM, or EXECUTE.
struct PlpgsqlStep {
  enum class Kind { sql, perform, dynamic };
  Kind kind;
  int64_t lineno;  // in the body
  std::string query;
  bool in_loop = false;  // inside LOOP, WHILE or FOR: a data change there runs in batches
};

// Compiles a PL/pgSQL body as the server does when it creates the routine or runs the DO block.
// parse_input is the whole CREATE FUNCTION statement (or nullopt for a DO block, which gets
// wrapped); body_offset is where the body starts in the file.
struct PlpgsqlCheck {
  std::optional<ChunkError> error;  // the server would not compile it either
  std::string unreadable;           // compiles on the server, but migsafe's parser cannot read it
  std::vector<PlpgsqlStep> steps;   // what it runs, when it compiled
};
PlpgsqlCheck plpgsql_check(const SourceText& src, std::optional<std::string_view> parse_input,
                           std::string_view body, uint32_t body_offset);

// The SQL statements of a compiled body's steps (plain statements, PERFORM, EXECUTE of a string
// literal), with their places in the file.
std::vector<Statement> plpgsql_statements(const SourceText& src, const LexOptions& opt,
                                          const std::vector<PlpgsqlStep>& steps,
                                          std::string_view body, uint32_t body_offset);

}  // namespace migsafe
