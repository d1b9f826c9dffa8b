// Shared lexical pass: comments, quoting, statement boundaries. Each dialect sets the options
// that match its quoting rules; none of this builds a syntax tree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {

struct LexOptions {
  bool dollar_quotes = false;
  bool nested_block_comments = false;
  bool escape_strings = false;        // E'...' with backslash escapes (PostgreSQL)
  bool backslash_in_strings = false;  // every '...' takes backslash escapes (MySQL)
  bool hash_comments = false;
  bool backtick_identifiers = false;
  bool bracket_identifiers = false;
  bool psql_meta_commands = false;    // \set, \connect ... lines and COPY ... FROM stdin data
  bool cr_ends_line_comment = false;  // a lone CR ends a -- comment (PostgreSQL's scanner)
};
LexOptions postgres_lex_options();
LexOptions sqlite_lex_options();

struct TextRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct LexError {
  uint32_t offset = 0;
  std::string message;
};

struct LexResult {
  // Same length as the input, with psql-only lines and COPY data blanked; empty when the
  // input needed no change (use text() then).
  std::string sanitized;
  std::vector<Comment> comments;
  std::vector<TextRange> meta_commands;
  std::vector<TextRange> statements;  // split at top-level ';' (which is included)
  std::optional<LexError> error;
};

LexResult lex_sql(std::string_view text, const LexOptions& opt);
// The text to parse: the sanitized copy if one was made, else the input itself.
inline std::string_view parse_text(const LexResult& r, std::string_view input) {
  return r.sanitized.empty() ? input : std::string_view(r.sanitized);
}

// First offset at or after pos that is not whitespace or a comment.
uint32_t skip_trivia(std::string_view text, uint32_t pos, const LexOptions& opt);

}  // namespace migsafe
