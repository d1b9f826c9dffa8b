// MySQL / MariaDB lexical pass: tokens and statement boundaries in one streaming scan. It knows
// the client's DELIMITER command, executable comments (/*! ... */, /*!80000 ... */, MariaDB's
// /*M! ... */), '#' and '-- ' comments, backslash escapes and stored-program bodies that hold
// ';' without a DELIMITER change. It builds no syntax tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/ir.hpp"

namespace migsafe {
struct TargetVersion;
}

namespace migsafe::mysql {

enum class Tok : uint8_t {
  word,      // keyword or unquoted name
  ident,     // `quoted name`
  string,    // '...' or "..."
  number,    // 12, 1.5, 0x1f
  variable,  // @x, @@session.x
  punct,     // one character
};

struct Token {
  Tok kind;
  uint32_t offset;  // in the file
  uint32_t length;
};

// Which server reads the file: executable comments carry a minimum version, and /*M! ... */
// is for MariaDB only.
struct ServerTarget {
  bool mariadb = false;
  uint32_t version = 80000;  // major * 10000 + minor * 100 + patch, as in /*!80000 ... */
};

struct RawStatement {
  uint32_t begin = 0;  // first token
  uint32_t end = 0;    // after the last token (the delimiter is not included)
  uint32_t end_with_delimiter = 0;
  bool delimiter_command = false;  // a DELIMITER line, not SQL
  std::vector<Token> tokens;
};

struct LexFailure {
  uint32_t offset = 0;
  std::string message;
};

class Splitter {
 public:
  Splitter(std::string_view text, ServerTarget target) : s_(text), target_(target) {}
  // Splits [begin, end) of the text only: the statements of a stored program's body (offsets
  // stay those of the whole text).
  Splitter(std::string_view text, ServerTarget target, uint32_t begin, uint32_t end)
      : s_(text.substr(0, end)), target_(target), pos_(begin) {}
  // The next statement; false at the end of the text or after an error (see error()).
  bool next(RawStatement& out);
  const std::optional<LexFailure>& error() const { return error_; }
  std::vector<Comment>& comments() { return comments_; }

 private:
  bool at(size_t i, std::string_view w) const { return s_.compare(i, w.size(), w) == 0; }
  bool at_delimiter(size_t i) const {
    return s_[i] == delimiter_[0] && (delimiter_.size() == 1 || at(i, delimiter_));
  }
  bool skip_comment();  // at pos_: a comment or an inactive executable comment
  void lex_token(RawStatement& out);
  size_t quoted_end(size_t open) const;
  bool read_delimiter_command(RawStatement& out);
  void track_compound(const RawStatement& st, const Token& t);
  void fail(uint32_t offset, std::string message);

  std::string_view s_;
  ServerTarget target_;
  size_t pos_ = 0;
  std::string delimiter_ = ";";
  // The delimiter can start inside a word or a number ("$$", "//" cannot, "$" and "." can):
  // only then do word and number tokens look for it at every byte.
  bool delimiter_in_words_ = false;
  int executable_depth_ = 0;  // inside an active /*! ... */
  std::vector<Comment> comments_;
  std::optional<LexFailure> error_;
  // Stored programs written without DELIMITER: BEGIN ... END blocks keep their ';'.
  bool compound_ = false;
  int depth_ = 0;
  bool statement_start_ = true;  // the next word starts a statement of a stored program
};

// A token lies inside the text it was read from: no bounds check (the parser asks for tokens'
// text hundreds of thousands of times on a large file).
inline std::string_view token_text(std::string_view text, const Token& t) {
  return {text.data() + t.offset, t.length};
}
// Keywords compare in upper case (ASCII only: MySQL's keywords are).
std::string ascii_upper(std::string_view s);
// A name in backquotes, as the server reads it back (`a``b` for a`b).
std::string quote_ident(std::string_view name);
// The server a text is read for: MySQL or MariaDB at a version (null: the dialect's default).
ServerTarget server_target(Dialect d, const TargetVersion* v);

}  // namespace migsafe::mysql
