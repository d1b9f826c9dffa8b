#!/usr/bin/env bash
# Builds the .deb (the binary, the snapshot modules, the shipped packs, the man page and the
# bash and zsh completions) into $BUILD_DIR/package and prints its path. Install it with
# `sudo dpkg -i PATH` (or `sudo apt-get install ./PATH`, which also fetches the libraries).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-package}"
# A release build of its own, without the tests: what users get.
BUILD_DIR="$BUILD_DIR" BUILD_TYPE=Release CMAKE_EXTRA_ARGS="-DMIGSAFE_BUILD_TESTS=OFF" \
  "$ROOT/scripts/setup.sh" >/dev/null
mkdir -p "$BUILD_DIR/package"
(cd "$BUILD_DIR" && cpack -G DEB -B "$BUILD_DIR/package" >/dev/null)
ls "$BUILD_DIR"/package/migsafe_*.deb
