#!/usr/bin/env bash
# Starts a throw-away MariaDB server on loopback for the online-DDL verification test. Its data
# folder lives under the build folder; scripts/stop-mysql.sh stops it. Prints the connection as
# host:port:user:password:database (the password exists only on this throw-away server).
#   BUILD_DIR (default build/), MYSQL_TEST_PORT (default 33069)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
PORT="${MYSQL_TEST_PORT:-33069}"
# As root the server runs as the mysql account.
BASE="$(server_base "$BUILD_DIR" mysql mysql)"
DATA="$BASE/mysql-data"
RUN="$BASE/mysql-run"
mkdir -p "$DATA" "$RUN"
USER_OPT=()
if [[ $(id -u) -eq 0 ]]; then
  chown mysql "$DATA" "$RUN"
  USER_OPT=(--user=mysql)
fi
SOCK="$RUN/mysqld.sock"

if [[ ! -d "$DATA/mysql" ]]; then
  mariadb-install-db --no-defaults "${USER_OPT[@]}" --datadir="$DATA" \
    --auth-root-authentication-method=socket --skip-test-db >"$RUN/install.log" 2>&1
fi
if ! mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; then
  mariadbd --no-defaults "${USER_OPT[@]}" --datadir="$DATA" --socket="$SOCK" \
    --pid-file="$RUN/mysqld.pid" --port="$PORT" --bind-address=127.0.0.1 \
    --log-error="$RUN/error.log" --skip-log-bin --innodb-buffer-pool-size=64M \
    --innodb-log-file-size=16M --performance-schema=ON \
    --performance-schema-instrument='%=OFF' --performance-schema-instrument='statement/%=ON' \
    --performance-schema-digests-size=2000 >/dev/null 2>&1 &
  for _ in $(seq 1 60); do
    mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1 ||
    { echo "start-mysql: the server did not start; see $RUN/error.log" >&2; exit 1; }
fi
mariadb --no-defaults --socket="$SOCK" -uroot <<'SQL'
CREATE DATABASE IF NOT EXISTS migsafe_test;
CREATE USER IF NOT EXISTS 'migsafe_test'@'127.0.0.1' IDENTIFIED BY 'migsafe-test-secret';
GRANT ALL ON migsafe_test.* TO 'migsafe_test'@'127.0.0.1';
-- The trace's scratch databases (migsafe_probe_<random>), and the statement digests.
GRANT ALL ON `migsafe\_probe\_%`.* TO 'migsafe_test'@'127.0.0.1';
GRANT SELECT ON performance_schema.* TO 'migsafe_test'@'127.0.0.1';
-- A read-only role, as the README advises for a plain check: --trace needs more.
CREATE USER IF NOT EXISTS 'migsafe_ro'@'127.0.0.1' IDENTIFIED BY 'migsafe-ro-secret';
GRANT SELECT, SHOW VIEW ON migsafe_test.* TO 'migsafe_ro'@'127.0.0.1';
SQL
echo "127.0.0.1:$PORT:migsafe_test:migsafe-test-secret:migsafe_test"
