#!/usr/bin/env bash
# Benchmarks migsafe against squawk's native binary (a peer, measured in the same run) on the
# deterministic workloads of ../shared/bench/gen_pg_migration.py: a 20k-statement file, the same
# SQL as 2,000 files, a 3-statement file, libpg_query's own parse as the floor, and peak memory
# at every size; then a full MySQL check at 10 and 20 MB; then the MySQL front end's parse speed on a
# 50 MB file of scripts/gen_mysql_migration.py, against node-sql-parser (a peer MySQL parser,
# same statements, same run); then SQLite's dry run at 2,000 and 8,000 statements
# (scripts/gen_sqlite_migration.py); then the Google Benchmark targets; then migsafe plan on 100
# queries against a 1,000,000-row table (scripts/plan-bench.sh). squawk and node-sql-parser are
# installed from npm into a temporary folder: benchmark tools, never build or test dependencies.
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

python3 - "$MIGSAFE" "$SQUAWK" "$SHARED/bench/gen_pg_migration.py" "$WORK" "$RUNS" \
  "$BUILD_DIR/bench/migsafe_bench" $SIZES <<'PY'
import glob, json, os, re, statistics, subprocess, sys, time

migsafe, squawk, gen, work, runs, bench = sys.argv[1:7]
runs = int(runs)
sizes = [int(s) for s in sys.argv[7:]]

def measure(cmd, n=None):
    """Median wall time (s) and median peak RSS (KiB) over n runs (default RUNS); output discarded."""
    times, rss = [], []
    for _ in range(n or runs):
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        rss.append(int(p.stderr.strip().splitlines()[-1]))
        if p.returncode not in (0, 1):
            sys.exit(f"bench: {cmd[0]} exited with {p.returncode}")
    return statistics.median(times), statistics.median(rss)

def generated(n):
    # Each file in a folder of its own: migsafe reads a file's folder as its migration set.
    folder = os.path.join(work, f"pg_{n}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"pg_{n}.sql")
    if not os.path.exists(path):
        subprocess.run([sys.executable, gen, "-n", str(n), "-s", "42", "-o", path], check=True,
                       stderr=subprocess.DEVNULL)
    return path

def split(path, folder, per):
    """The same statements as files of `per` statements (dollar-quoted bodies kept whole)."""
    if os.path.isdir(folder):
        return sorted(glob.glob(os.path.join(folder, "*.sql")))
    os.makedirs(folder)
    stmts, cur, inside = [], [], False
    for line in open(path):
        cur.append(line)
        if len(re.findall(r"\$[A-Za-z_0-9]*\$", line)) % 2:
            inside = not inside
        if not inside and line.rstrip().endswith(";"):
            stmts.append("".join(cur))
            cur = []
    if cur:
        stmts.append("".join(cur))
    for i in range(0, len(stmts), per):
        with open(os.path.join(folder, f"{i // per + 1:05d}_m.sql"), "w") as f:
            f.write("".join(stmts[i:i + per]))
    return sorted(glob.glob(os.path.join(folder, "*.sql")))

ver = subprocess.run([squawk, "--version"], capture_output=True, text=True).stdout.strip()
print(f"peer: {ver} ({squawk}); medians of {runs} runs (21 for the 3-statement file)")
print(f"{'case':<44} {'migsafe':>10} {'squawk':>10} {'ratio':>8}  target")

def row(case, m, s, target, unit="s"):
    ratio = s / m
    word = "faster" if ratio >= 1 else "slower"
    shown = ratio if ratio >= 1 else 1 / ratio
    print(f"{case:<44} {m:>9.4f}{unit} {s:>9.4f}{unit} {shown:>6.1f}x {word[:1]}  {target}")

big = generated(20000)
mt, _ = measure([migsafe, "check", "--fail-on", "never", big])
st, _ = measure([squawk, "--reporter", "json", big])
row("20k-statement file (2 MB)", mt, st, ">= 5x faster")
files = split(big, os.path.join(work, "pg_20000_files"), 10)
mf, _ = measure([migsafe, "check", "--fail-on", "never", os.path.dirname(files[0])])
sf, _ = measure([squawk, "--reporter", "json", *files])
row(f"the same SQL as {len(files)} files of 10 statements", mf, sf, ">= 3x faster")
small_dir = os.path.join(work, "pg_small")
os.makedirs(small_dir, exist_ok=True)
small = os.path.join(small_dir, "001_add_note.sql")
with open(small, "w") as f:
    f.write("SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n"
            "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n")
ms, _ = measure([migsafe, "check", "--fail-on", "never", small], 21)
ss, _ = measure([squawk, "--reporter", "json", small], 21)
row("a 3-statement file (the pre-commit case)", ms, ss, "no slower")
one, _ = measure([migsafe, "check", "--fail-on", "never", "--jobs", "1", big])
print(f"{'  20k file with --jobs 1 (one core)':<44} {one:>9.4f}s")

floor = json.loads(subprocess.run(
    [bench, "--benchmark_filter=BM_PgQueryFloor", "--benchmark_format=json"],
    env={**os.environ, "MIGSAFE_BENCH_PG_FILE": big}, capture_output=True, text=True,
    check=True).stdout)["benchmarks"][0]
floor_s = floor["real_time"] / 1000.0
print(f"libpg_query floor (its raw parse of the 20k file, the tree migsafe reads): {floor_s:.4f}s; "
      f"migsafe takes {mt / floor_s:.1f}x that, squawk {st / floor_s:.1f}x")

print()
print(f"{'statements':>10} {'bytes':>11} | {'migsafe text':>12} {'migsafe json':>12} {'squawk json':>12} | "
      f"{'speed-up':>8} | {'text MiB':>8} {'json MiB':>8} {'squawk MiB':>10} {'json/text':>9} {'text/squawk':>11}")
for n in sizes:
    path = generated(n)
    size = os.path.getsize(path)
    mt, mrss = measure([migsafe, "check", "--fail-on", "never", path])
    mj, jrss = measure([migsafe, "check", "--fail-on", "never", "--format", "json", path])
    sj, srss = measure([squawk, "--reporter", "json", path])
    print(f"{n:>10} {size:>11} | {mt:>11.3f}s {mj:>11.3f}s {sj:>11.3f}s | {sj / mt:>7.1f}x | "
          f"{mrss / 1024:>8.1f} {jrss / 1024:>8.1f} {srss / 1024:>10.1f} {jrss / mrss:>9.2f} "
          f"{mrss / srss:>11.2f}")
PY

echo
echo "MySQL full check (parse, rules, text report) of scripts/gen_mysql_migration.py files:"
PYTHONPATH="$ROOT/scripts" python3 - "$MIGSAFE" "$ROOT/scripts/gen_mysql_migration.py" "$WORK" \
  "$RUNS" <<'PY'
import os, subprocess, sys
from bench_timing import median_check_seconds
migsafe, gen, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t = {}
for mb in (10, 20):
    folder = os.path.join(work, f"mysql_{mb}mb")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "m.sql")
    if not os.path.exists(path):
        subprocess.run([sys.executable, gen, "-b", str(mb * 1000000), "-s", "42", "-o", path],
                       check=True, stderr=subprocess.DEVNULL)
    t[mb] = median_check_seconds(migsafe, "mysql", path, runs)
    print(f"  {mb} MB: {t[mb]:.2f}s, {mb / t[mb]:.1f} MB/s")
print(f"  20 MB / 10 MB time: x{t[20] / t[10]:.2f} (linear is x2.0; target >= 50 MB/s, linear)")
PY

echo
echo "MySQL front end, parse only (splitter + parser, statements streamed), MB/s:"
NSP_DIR="$WORK/node-sql-parser"
if [[ ! -d "$NSP_DIR/node_modules/node-sql-parser" ]]; then
  mkdir -p "$NSP_DIR"
  (cd "$NSP_DIR" && npm install --silent --no-audit --no-fund node-sql-parser@5 >/dev/null)
fi
cat > "$NSP_DIR/parse.js" <<'JS'
// Times node-sql-parser's MySQL parse of one file (after reading it), as JSON.
const { Parser } = require('node-sql-parser');
const text = require('fs').readFileSync(process.argv[2], 'utf8');
const t0 = process.hrtime.bigint();
const ast = new Parser().astify(text, { database: 'MySQL' });
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ statements: ast.length, mb_per_s: Buffer.byteLength(text) / 1e6 / secs }));
JS
BIG="$WORK/mysql_50mb.sql"
PLAIN="$WORK/mysql_plain_200kb.sql"
[[ -f "$BIG" ]] || python3 "$ROOT/scripts/gen_mysql_migration.py" -b 50000000 -s 42 -o "$BIG"
[[ -f "$PLAIN" ]] || python3 "$ROOT/scripts/gen_mysql_migration.py" --plain -b 200000 -s 42 -o "$PLAIN"
python3 - "$BUILD_DIR/bench/migsafe_bench" "$NSP_DIR/parse.js" "$BIG" "$PLAIN" <<'PY'
import json, os, subprocess, sys
bench, peer, big, plain = sys.argv[1:5]

def ours(path):
    out = subprocess.run([bench, "--benchmark_filter=BM_MysqlParse", "--benchmark_format=json",
                          "--benchmark_min_time=1"], env={**os.environ, "MIGSAFE_BENCH_MYSQL_FILE": path},
                         capture_output=True, text=True, check=True).stdout
    b = json.loads(out)["benchmarks"][0]
    return b["bytes_per_second"] / 1e6, int(b["statements"])

def theirs(path):
    r = json.loads(subprocess.run(["node", peer, path], capture_output=True, text=True, check=True).stdout)
    return r["mb_per_s"], r["statements"]

big_speed, big_n = ours(big)
print(f"  migsafe, {os.path.getsize(big) / 1e6:.0f} MB with DELIMITER blocks and executable comments: "
      f"{big_speed:.1f} MB/s ({big_n} statements)")
m, mn = ours(plain)
p, pn = theirs(plain)
print(f"  {os.path.getsize(plain) / 1e3:.0f} kB of plain statements: migsafe {m:.1f} MB/s ({mn} statements), "
      f"node-sql-parser {p:.2f} MB/s ({pn} statements): {m / p:.0f}x")
PY

# SQLite's dry run must grow linearly: 8,000 statements at most 5x the time of 2,000, as one
# file and as files of 10 statements (scripts/gen_sqlite_migration.py; no peer has a dry run).
echo
echo "SQLite dry run (the statements run on the embedded engine), median of $RUNS runs:"
PYTHONPATH="$ROOT/scripts" python3 - "$MIGSAFE" "$ROOT/scripts/gen_sqlite_migration.py" "$WORK" \
  "$RUNS" <<'PY'
import os, subprocess, sys
from bench_timing import median_check_seconds
migsafe, gen, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

for layout in ("one file", "files of 10"):
    t = {}
    for n in (2000, 8000):
        if layout == "one file":
            path = os.path.join(work, f"sqlite_{n}.sql")
            args = ["-o", path]
        else:
            path = os.path.join(work, f"sqlite_{n}_files")
            args = ["--files", str(n // 10), "--dir", path]
        if not os.path.exists(path):
            subprocess.run([sys.executable, gen, "-n", str(n), "-s", "42", *args], check=True)
        t[n] = median_check_seconds(migsafe, "sqlite", path, runs)
    ratio = t[8000] / t[2000]
    print(f"  {layout:>12}: 2,000 statements {t[2000]:.2f}s, 8,000 {t[8000]:.2f}s: x{ratio:.1f} "
          f"(linear is x4; target at most x5{', and under 2 s' if layout == 'one file' else ''})")
PY

if [[ -x "$BUILD_DIR/bench/migsafe_bench" ]]; then
  echo
  echo "Google Benchmark, pipeline stages:"
  "$BUILD_DIR/bench/migsafe_bench" --benchmark_min_time=0.2
fi

# Plan inspection at scale, on a throw-away PostgreSQL server under the build folder (no peer
# plans a workload before and after a migration, so this is a time, not a ratio).
echo
echo "migsafe plan:"
"$ROOT/scripts/plan-bench.sh" "$MIGSAFE" "$BUILD_DIR"
BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/stop-postgres.sh" >/dev/null
