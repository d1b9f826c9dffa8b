// libpg_query's results, freed when they go out of scope.
#pragma once

#include <pg_query.h>

#include <string>

namespace migsafe {

template <class Result, Result (*Parse)(const char*), void (*Free)(Result)>
class PgQueryResult {
 public:
  explicit PgQueryResult(const char* sql) : r_(Parse(sql)) {}
  explicit PgQueryResult(const std::string& sql) : r_(Parse(sql.c_str())) {}
  ~PgQueryResult() { Free(r_); }
  PgQueryResult(const PgQueryResult&) = delete;
  PgQueryResult& operator=(const PgQueryResult&) = delete;
  const Result* operator->() const { return &r_; }

 private:
  Result r_;
};

// The parse tree of SQL (JSON), and the compiled form of PL/pgSQL CREATE FUNCTION statements.
using PgParseResult = PgQueryResult<PgQueryParseResult, pg_query_parse, pg_query_free_parse_result>;
using PlpgsqlResult = PgQueryResult<PgQueryPlpgsqlParseResult, pg_query_parse_plpgsql,
                                    pg_query_free_plpgsql_parse_result>;

}  // namespace migsafe
