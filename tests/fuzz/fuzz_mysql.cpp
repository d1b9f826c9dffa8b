// The MySQL / MariaDB front end and the static pipeline; the first byte picks the flavor. The
// same text goes to the trace's sandbox: what it lets run must be stable (judging its own output
// again lets it run unchanged), or the mapping into the scratch database missed a name.
#include <cstdlib>

#include "fuzz_pipeline.hpp"
#include "migsafe/sandbox.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto flavor = data[0] & 1 ? migsafe::Dialect::mariadb : migsafe::Dialect::mysql;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  migsafe::fuzz::check_text(flavor, text);

  migsafe::MysqlSandboxContext ctx;
  ctx.snapshot_db = "app";
  ctx.scratch_db = "migsafe_probe_0";
  ctx.databases = {"app", "other"};
  ctx.mariadb = flavor == migsafe::Dialect::mariadb;
  ctx.version = ctx.mariadb ? 101119 : 80036;
  migsafe::MysqlSandboxVerdict v = migsafe::judge_mysql(text, ctx);
  if (v.action == migsafe::SandboxAction::run && !v.sql.starts_with("USE ")) {
    migsafe::MysqlSandboxVerdict again = migsafe::judge_mysql(v.sql, ctx);
    if (again.action != migsafe::SandboxAction::run || again.sql != v.sql) std::abort();
  }
  return 0;
}
