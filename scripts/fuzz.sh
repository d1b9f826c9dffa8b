#!/usr/bin/env bash
# Fuzzes migsafe's input-facing code with libFuzzer: builds the targets of tests/fuzz/ with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, then runs each for SECONDS
# (default 60), starting from its seeds (fixtures, rule packs, and ../shared/corpus when it is
# beside the checkout). A crash, a leak, undefined behaviour or a timeout fails the run; the
# input that caused it is kept in build-fuzz/crashes/<target>/. Fix the bug and copy the input
# into tests/fuzz/regressions/<target>/, where the test suite replays it in every build.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: postgres plpgsql mysql sqlite pack lsp
#                                             config sandbox (default: all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${1:-60}"
shift || true
BUILD_DIR="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"

echo "== fuzz: setup"
SETUP_SKIP_BUILD=1 "$ROOT/scripts/setup.sh"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMIGSAFE_FUZZ=ON -DMIGSAFE_SANITIZE=ON -DMIGSAFE_BUILD_TESTS=OFF -DMIGSAFE_BUILD_BENCH=OFF \
  -DMIGSAFE_WERROR=OFF >/dev/null

mapfile -t ALL < <(cut -d= -f1 "$BUILD_DIR/fuzz-seeds.txt")
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]/#/fuzz_}"

# The migration corpus of real projects, when it is there, seeds the SQL front ends.
SHARED="$ROOT/../shared/corpus"
shared_seeds() {
  case "$1" in
    postgres | sandbox) echo "$SHARED/postgres" ;;
    mysql) echo "$SHARED/mysql" ;;
    sqlite) echo "$SHARED/sqlite" ;;
  esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
export MIGSAFE_RULES_DIR="$ROOT/rules"

failed=()
for t in "${TARGETS[@]}"; do
  IFS=';' read -r -a seeds <<<"$(grep "^$t=" "$BUILD_DIR/fuzz-seeds.txt" | cut -d= -f2-)"
  extra="$(shared_seeds "$t")"
  [[ -n "$extra" && -d "$extra" ]] && seeds+=("$extra")
  [[ -d "$ROOT/tests/fuzz/regressions/$t" ]] && seeds+=("$ROOT/tests/fuzz/regressions/$t")
  mkdir -p "$BUILD_DIR/corpus/$t" "$BUILD_DIR/crashes/$t"
  echo "== fuzz: $t for ${SECONDS_EACH}s"
  if ! "$BUILD_DIR/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=20 \
    -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/crashes/$t/" "$BUILD_DIR/corpus/$t" "${seeds[@]}" \
    >"$BUILD_DIR/fuzz-$t.log" 2>&1; then
    failed+=("$t")
    tail -40 "$BUILD_DIR/fuzz-$t.log"
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE" "$BUILD_DIR/fuzz-$t.log" |
    tr '\n' ' '
  echo
done

if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}; inputs in $BUILD_DIR/crashes/" >&2
  exit 1
fi
echo "fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH}s each, no crash"
