# Sourced by scripts/start-*.sh and scripts/stop-*.sh: where a throw-away test server keeps its
# files.

# The build folder as an absolute path (servers want one), created if missing.
absolute_build_dir() {
  mkdir -p "$1"
  (cd "$1" && pwd)
}

# server_base BUILD_DIR ACCOUNT NAME: the folder for the server's data. It is the build folder,
# unless we are root, the server runs as ACCOUNT, and that account cannot reach the build folder
# (a checkout under /root, say): then a folder of its own under /tmp. The choice is recorded in
# BUILD_DIR/NAME-location for saved_base.
server_base() {
  local build="$1" account="$2" name="$3" base="$1"
  if [[ $(id -u) -eq 0 ]] && ! runuser -u "$account" -- test -x "$build" 2>/dev/null; then
    base="/tmp/migsafe-$name-$(printf '%s' "$build" | md5sum | cut -c1-12)"
    mkdir -p "$base"
    chmod 755 "$base"
    echo "${0##*/}: $build is not reachable by the $account account; using $base" >&2
  fi
  echo "$base" > "$build/$name-location"
  echo "$base"
}

# saved_base BUILD_DIR NAME: the folder server_base chose (the build folder if none was recorded).
saved_base() {
  if [[ -f "$1/$2-location" ]]; then cat "$1/$2-location"; else echo "$1"; fi
}
