#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the snapshot tests. Its data folder lives
# under the build folder; scripts/stop-postgres.sh stops it. Prints the connection string.
#   BUILD_DIR (default build/), PGPORT (default 54329)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
PORT="${PGPORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
BASE="$(server_base "$BUILD_DIR" postgres pg)"
DATA="$BASE/pg-data"
RUN="$BASE/pg-run"
mkdir -p "$RUN"

# initdb and the server refuse to run as root: use the postgres account the package creates.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [[ $(id -u) -eq 0 ]]; then chown postgres "$RUN"; fi

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  mkdir -p "$DATA"
  [[ $(id -u) -eq 0 ]] && chown postgres "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$RUN/pg.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$RUN -c fsync=off -c shared_preload_libraries=pg_stat_statements" >/dev/null
fi
# The tests' role and database (scripts/lib/test-role.sql).
as_pg "$BIN/psql" -h "$RUN" -p "$PORT" -U postgres -qtA -v ON_ERROR_STOP=1 \
  <"$ROOT/scripts/lib/test-role.sql" >/dev/null
echo "postgresql://migsafe_test:migsafe-test-secret@127.0.0.1:$PORT/migsafe_test"
