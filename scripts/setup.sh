#!/usr/bin/env bash
# Installs everything migsafe needs to build and test on Debian 12, then builds it.
# Idempotent: packages already present are left alone; the build is incremental.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"

PACKAGES=(
  build-essential cmake pkg-config git clang-format
  libpg-query-dev libsimdjson-dev postgresql-server-dev-15 libmimalloc-dev
  libpqxx-dev libpq-dev default-libmysqlclient-dev libsqlite3-dev sqlite3
  libre2-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jsonschema pre-commit postgresql postgresql-15-hypopg mariadb-server chromium
  clang libclang-rt-14-dev
  groff-base zsh file
)

# MIGSAFE_SETUP=build: only what building migsafe needs (the GitHub Action), no servers or test
# tools.
if [[ "${MIGSAFE_SETUP:-all}" == "build" ]]; then
  PACKAGES=(
    build-essential cmake pkg-config git python3
    libpg-query-dev libsimdjson-dev postgresql-server-dev-15 libmimalloc-dev
    libpqxx-dev libpq-dev default-libmysqlclient-dev libsqlite3-dev
    libre2-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  )
fi

# Node.js and npm fetch the other PostgreSQL majors (scripts/start-pg-majors.sh); a machine
# that already has them (from anywhere) keeps its own.
if [[ "${MIGSAFE_SETUP:-all}" != "build" ]] && ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${SETUP_SKIP_BUILD:-0}" != "1" ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_EXTRA_ARGS:-} >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
fi
