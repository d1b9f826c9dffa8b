#!/usr/bin/env bash
# Stops the server scripts/start-postgres.sh started (its data folder stays for the next run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
BASE="$(saved_base "$BUILD_DIR" pg)"
DATA="$BASE/pg-data"
[[ -f "$DATA/PG_VERSION" ]] || exit 0
if [[ $(id -u) -eq 0 ]]; then
  runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
else
  "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
fi
