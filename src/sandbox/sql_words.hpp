// The words and operators of a PostgreSQL text outside its comments, strings and quoted names:
// enough for the sandbox to find the CONCURRENTLY keyword it takes out and the ':=' of a
// PL/pgSQL assignment. What it finds is always parsed again before anything runs.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace migsafe::sandbox {

struct SqlToken {
  enum Kind { word, symbol } kind = word;
  uint32_t begin = 0;
  uint32_t end = 0;
};

std::vector<SqlToken> sql_tokens(std::string_view sql);

}  // namespace migsafe::sandbox
