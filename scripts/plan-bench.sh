#!/usr/bin/env bash
# migsafe plan at the size the product promises: 100 workload queries against a table of
# 1,000,000 rows, on the loopback test server (started here when it is not running). Prints the
# wall time of the whole run (connect, 100 plans before, the migration, 100 plans after).
#   scripts/plan-bench.sh MIGSAFE_BINARY [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIGSAFE="$1"
BUILD_DIR="${2:-$ROOT/build}"
export PGOPTIONS="-c client_min_messages=warning"
# A port of its own: the test suite's server (54329, data under build/) may be running, and a
# second server on its port cannot start.
DSN="$(PGPORT="${PGPORT:-54339}" BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/start-postgres.sh")"
DB=migsafe_plan_bench
BENCH_DSN="${DSN%/*}/$DB"
WORK="$BUILD_DIR/plan-bench"
mkdir -p "$WORK/migration"

if [[ -z "$(psql "$DSN" -qAtX -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
  psql "$DSN" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
fi
if [[ -z "$(psql "$BENCH_DSN" -qAtX -c "SELECT 1 FROM pg_class WHERE relname = 'bench_done'")" ]]; then
  psql "$BENCH_DSN" -qAtX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DROP TABLE IF EXISTS events, accounts;
CREATE TABLE accounts (id bigint PRIMARY KEY, region text NOT NULL);
INSERT INTO accounts SELECT g, (ARRAY['eu', 'us', 'ap'])[1 + g % 3] FROM generate_series(1, 50000) g;
CREATE TABLE events (
  id bigint PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts,
  kind text NOT NULL,
  value numeric NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO events
SELECT g, 1 + g % 50000, (ARRAY['view', 'click', 'buy', 'refund'])[1 + g % 4], g % 997,
       timestamptz '2026-01-01' - g * interval '1 second'
FROM generate_series(1, 1000000) g;
CREATE INDEX events_account_id_idx ON events (account_id);
CREATE INDEX events_kind_created_at_idx ON events (kind, created_at);
VACUUM ANALYZE accounts;
VACUUM ANALYZE events;
CREATE TABLE bench_done ();
SQL
fi

# 100 queries of a few shapes, with parameters and constants.
python3 - "$WORK/queries.sql" <<'PY'
import sys
shapes = [
    "SELECT id, value FROM events WHERE account_id = $1",
    "SELECT count(*) FROM events WHERE kind = $1 AND created_at > $2",
    "SELECT e.id, a.region FROM events e JOIN accounts a ON a.id = e.account_id WHERE e.id = $1",
    "SELECT kind, sum(value) FROM events WHERE account_id = {n} GROUP BY kind",
    "SELECT id FROM events WHERE created_at BETWEEN $1 AND $2 ORDER BY created_at LIMIT 50",
    "SELECT a.region, count(*) FROM accounts a JOIN events e ON e.account_id = a.id WHERE a.id < {n} GROUP BY a.region",
    "SELECT max(value) FROM events WHERE kind = 'buy' AND account_id = {n}",
    "UPDATE events SET value = value + 1 WHERE id = {n}",
    "DELETE FROM events WHERE account_id = $1 AND kind = 'refund'",
    "SELECT * FROM accounts WHERE region = $1 ORDER BY id LIMIT 10",
]
with open(sys.argv[1], "w") as f:
    for i in range(100):
        f.write(shapes[i % len(shapes)].replace("{n}", str(1 + i * 37)) + ";\n")
PY
cat > "$WORK/migration/001_rework_indexes.sql" <<'SQL'
CREATE INDEX CONCURRENTLY events_created_at_idx ON events (created_at);
DROP INDEX CONCURRENTLY events_account_id_idx;
SQL

start=$(date +%s.%N)
status=0
"$MIGSAFE" plan --db "$BENCH_DSN" --queries "$WORK/queries.sql" --format json "$WORK/migration" \
  >"$WORK/plan.json" || status=$?
end=$(date +%s.%N)
python3 - "$WORK/plan.json" "$start" "$end" "$status" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
secs = float(sys.argv[3]) - float(sys.argv[2])
print(f"  100 queries on 1,000,000 rows: {secs:.2f} s in all (exit {sys.argv[4]}; "
      f"{s['regressed']} regressed, {s['improved']} improved, {s['unchanged']} unchanged, "
      f"{s['unplanned']} unplanned; indexes {doc['index_method']})")
PY
