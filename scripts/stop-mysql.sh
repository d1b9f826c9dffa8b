#!/usr/bin/env bash
# Stops the MariaDB server scripts/start-mysql.sh started (nothing to do if none runs).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"  # the server needs absolute paths
BASE="$BUILD_DIR"
[[ -f "$BUILD_DIR/mysql-location" ]] && BASE="$(cat "$BUILD_DIR/mysql-location")"
SOCK="$BASE/mysql-run/mysqld.sock"
PIDFILE="$BASE/mysql-run/mysqld.pid"
[[ -S "$SOCK" ]] || exit 0
mariadb-admin --no-defaults --socket="$SOCK" -uroot shutdown >/dev/null 2>&1 ||
  { [[ -f "$PIDFILE" ]] && kill "$(cat "$PIDFILE")" 2>/dev/null; }
for _ in $(seq 1 40); do
  [[ -S "$SOCK" ]] || exit 0
  sleep 0.25
done
exit 0
