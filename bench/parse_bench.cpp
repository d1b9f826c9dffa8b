// Google Benchmark targets for the stages of the pipeline on a generated migration. Whole-run
// comparisons against squawk live in scripts/bench.sh.
#include <benchmark/benchmark.h>
#include <pg_query.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../src/parse/pg_tree.hpp"
#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/report.hpp"

namespace {

using namespace migsafe;

// A deterministic mix of the statements migrations are made of.
std::string workload(int statements) {
  std::ostringstream s;
  s << "CREATE TABLE t0 (id bigint PRIMARY KEY, a int, note varchar(20));\n";
  for (int i = 1; i < statements; ++i) {
    switch (i % 6) {
      case 0:
        s << "CREATE TABLE t" << i << " (id bigint PRIMARY KEY, a int);\n";
        break;
      case 1:
        s << "CREATE INDEX i" << i << " ON t0 (a);\n";
        break;
      case 2:
        s << "ALTER TABLE t0 ADD COLUMN c" << i << " uuid DEFAULT gen_random_uuid();\n";
        break;
      case 3:
        s << "ALTER TABLE t0 ALTER COLUMN note TYPE varchar(" << 20 + i << ");\n";
        break;
      case 4:
        s << "UPDATE t0 SET a = " << i << " WHERE id = " << i << ";\n";
        break;
      case 5:
        s << "-- a comment\nALTER TABLE t0 ADD CONSTRAINT k" << i << " CHECK (a > 0) NOT VALID;\n";
        break;
    }
  }
  return s.str();
}

void BM_Parse(benchmark::State& state) {
  auto src = make_source("bench.sql", workload(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(parse_postgres(src));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src->text().size()));
}
BENCHMARK(BM_Parse)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The floor under the PostgreSQL front end: libpg_query's raw parse of the file named by
// MIGSAFE_BENCH_PG_FILE (else the built-in mix) into the tree migsafe reads, in one call.
void BM_PgQueryFloor(benchmark::State& state) {
  std::string text;
  if (const char* path = std::getenv("MIGSAFE_BENCH_PG_FILE")) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  if (text.empty()) text = workload(20000);
  for (auto _ : state) {
    PgTree tree(text.c_str());
    benchmark::DoNotOptimize(tree.size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_PgQueryFloor)->Unit(benchmark::kMillisecond);

// The MySQL front end (splitter and parser, statements streamed and dropped) on the file named
// by MIGSAFE_BENCH_MYSQL_FILE (scripts/bench.sh writes it with scripts/gen_mysql_migration.py);
// without it, on a built-in mix. bytes_per_second is the front end's parse speed.
std::string mysql_workload() {
  if (const char* path = std::getenv("MIGSAFE_BENCH_MYSQL_FILE")) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (!s.str().empty()) return s.str();
  }
  std::ostringstream s;
  for (int i = 0; i < 20000; ++i)
    s << "ALTER TABLE `t" << i % 50 << "` ADD COLUMN `c" << i
      << "` VARCHAR(64) NOT NULL DEFAULT '', ADD INDEX i" << i << " (c" << i
      << "), ALGORITHM=INPLACE, LOCK=NONE;\n-- note\nUPDATE t SET a = 'x;y' WHERE id = " << i
      << ";\nDELIMITER $$\nCREATE TRIGGER g" << i
      << " BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END$$\nDELIMITER ;\n";
  return s.str();
}

void BM_MysqlParse(benchmark::State& state) {
  auto src = make_source("bench.sql", mysql_workload());
  size_t statements = 0;
  for (auto _ : state) {
    ParsedFile f = parse_mysql_each(Dialect::mysql, *src, [&](Statement&) { ++statements; });
    benchmark::DoNotOptimize(f);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src->text().size()));
  state.counters["statements"] =
      static_cast<double>(statements) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_MysqlParse)->Unit(benchmark::kMillisecond);

void BM_CheckAndReport(benchmark::State& state) {
  auto src = make_source("bench.sql", workload(static_cast<int>(state.range(0))));
  std::vector<Pack> packs{load_pack(std::string(MIGSAFE_SOURCE_DIR) + "/rules/postgres.yaml")};
  CheckOptions opt;
  for (auto _ : state) {
    CheckResult r = check_sets({{src}}, packs, opt);
    std::ostringstream out;
    report_text(r, ReportContext{opt, FailOn::error, false, &packs, ""}, out);
    benchmark::DoNotOptimize(out.str().size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src->text().size()));
}
BENCHMARK(BM_CheckAndReport)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The same statements as N files of 10, one migration set: the per-file path must stay linear
// (time per file flat from 500 to 2,000 files).
void BM_CheckFiles(benchmark::State& state) {
  int files = static_cast<int>(state.range(0));
  std::string text = workload(files * 10);
  SourceSet set;
  size_t at = 0;
  for (int f = 0; f < files; ++f) {
    size_t end = at;
    for (int k = 0; k < 10 && end != std::string::npos; ++k) {
      end = text.find(";\n", end);
      if (end != std::string::npos) end += 2;
    }
    if (end == std::string::npos) end = text.size();
    set.push_back(make_source("f" + std::to_string(f) + ".sql", text.substr(at, end - at)));
    at = end;
  }
  std::vector<Pack> packs = load_shipped_packs(Dialect::postgres);
  CheckOptions opt;
  for (auto _ : state) benchmark::DoNotOptimize(check_sets({set}, packs, opt).findings.size());
  state.counters["s_per_file"] =
      benchmark::Counter(static_cast<double>(files), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}
BENCHMARK(BM_CheckFiles)->Arg(500)->Arg(2000)->Unit(benchmark::kMillisecond);

// Start-up: the shipped packs of a run (core and the dialect's), built in as JSON.
void BM_LoadShippedPacks(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(load_shipped_packs(Dialect::postgres).size());
}
BENCHMARK(BM_LoadShippedPacks)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
