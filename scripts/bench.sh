#!/usr/bin/env bash
# Benchmarks migsafe against squawk (a peer, measured in the same run) on the deterministic
# workloads of ../shared/bench/gen_pg_migration.py, then runs the Google Benchmark targets.
# squawk is installed from npm into a temporary folder: a benchmark tool, never a build or
# test dependency.
#
#   scripts/bench.sh                 # sizes 5000 20000 100000 200000, 5 runs each (medians)
#   SIZES="20000" RUNS=9 scripts/bench.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-release}"
SHARED="${SHARED_DIR:-$ROOT/../shared}"
SIZES="${SIZES:-5000 20000 100000 200000}"
RUNS="${RUNS:-5}"
WORK="${BENCH_DIR:-$BUILD_DIR/bench-work}"

if [[ ! -f "$SHARED/bench/gen_pg_migration.py" ]]; then
  echo "bench: $SHARED/bench/gen_pg_migration.py not found; the benchmark needs ../shared beside the checkout" >&2
  exit 2
fi

BUILD_TYPE=Release BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/setup.sh" >/dev/null
MIGSAFE="$BUILD_DIR/migsafe"
mkdir -p "$WORK"

# squawk: the native binary npm ships (the node wrapper would add node's start-up and memory).
SQUAWK_DIR="$WORK/squawk"
if [[ ! -x "$SQUAWK_DIR/node_modules/.bin/squawk" ]]; then
  command -v npm >/dev/null || { apt-get install -y -qq npm >/dev/null; }
  mkdir -p "$SQUAWK_DIR"
  (cd "$SQUAWK_DIR" && npm install --silent --no-audit --no-fund squawk-cli@2 >/dev/null)
fi
SQUAWK="$(find "$SQUAWK_DIR/node_modules/@squawk-cli" -path '*/bin/squawk' -type f 2>/dev/null | head -1)"
[[ -n "$SQUAWK" ]] || SQUAWK="$SQUAWK_DIR/node_modules/.bin/squawk"

python3 - "$MIGSAFE" "$SQUAWK" "$SHARED/bench/gen_pg_migration.py" "$WORK" "$RUNS" $SIZES <<'PY'
import os, statistics, subprocess, sys, time

migsafe, squawk, gen, work, runs = sys.argv[1:6]
runs = int(runs)
sizes = [int(s) for s in sys.argv[6:]]

def measure(cmd):
    """Median wall time (s) and median peak RSS (KiB) over `runs` runs; output discarded."""
    times, rss = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        rss.append(int(p.stderr.strip().splitlines()[-1]))
        if p.returncode not in (0, 1):
            sys.exit(f"bench: {cmd[0]} exited with {p.returncode}")
    return statistics.median(times), statistics.median(rss)

ver = subprocess.run([squawk, "--version"], capture_output=True, text=True).stdout.strip()
print(f"peer: {ver} ({squawk}); {runs} runs per cell, medians")
print(f"{'statements':>10} {'bytes':>11} | {'migsafe text':>12} {'migsafe json':>12} {'squawk json':>12} | "
      f"{'speed-up':>8} | {'migsafe MiB':>11} {'squawk MiB':>10} {'mem ratio':>9}")
for n in sizes:
    path = os.path.join(work, f"pg_{n}.sql")
    if not os.path.exists(path):
        subprocess.run([sys.executable, gen, "-n", str(n), "-s", "42", "-o", path], check=True,
                       stderr=subprocess.DEVNULL)
    size = os.path.getsize(path)
    mt, mrss = measure([migsafe, "check", "--fail-on", "never", path])
    mj, _ = measure([migsafe, "check", "--fail-on", "never", "--format", "json", path])
    sj, srss = measure([squawk, "--reporter", "json", path])
    print(f"{n:>10} {size:>11} | {mt:>11.3f}s {mj:>11.3f}s {sj:>11.3f}s | {sj / mt:>7.1f}x | "
          f"{mrss / 1024:>11.1f} {srss / 1024:>10.1f} {mrss / srss:>9.2f}")
PY

if [[ -x "$BUILD_DIR/bench/migsafe_bench" ]]; then
  echo
  echo "Google Benchmark, pipeline stages:"
  "$BUILD_DIR/bench/migsafe_bench" --benchmark_min_time=0.2
fi
