#!/usr/bin/env bash
# Stops the server scripts/start-postgres.sh started (its data folder stays for the next run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
BASE="$BUILD_DIR"
[[ -f "$BUILD_DIR/pg-location" ]] && BASE="$(cat "$BUILD_DIR/pg-location")"
DATA="$BASE/pg-data"
[[ -f "$DATA/PG_VERSION" ]] || exit 0
if [[ $(id -u) -eq 0 ]]; then
  runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
else
  "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
fi
