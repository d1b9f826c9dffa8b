#!/usr/bin/env bash
# Stops the MariaDB server scripts/start-mysql.sh started (nothing to do if none runs).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
BASE="$(saved_base "$BUILD_DIR" mysql)"
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
