#!/usr/bin/env bash
# The .deb as a user gets it: built with cpack from this build, unpacked into a scratch root,
# run from another directory; with its man page, completions and library dependencies.
set -euo pipefail
BUILD="$(cd "$1" && pwd)"
SRC="$(cd "$2" && pwd)"
WORK="$BUILD/test-artifacts/package"
rm -rf "$WORK"
mkdir -p "$WORK/root" "$WORK/elsewhere"
fail() { echo "package_test: $*" >&2; exit 1; }

(cd "$BUILD" && cpack -G DEB -B "$WORK" >/dev/null) || fail "cpack failed"
DEB=$(ls "$WORK"/migsafe_*.deb) || fail "no .deb written"
dpkg-deb -x "$DEB" "$WORK/root"
for f in usr/bin/migsafe usr/lib/migsafe/migsafe-pg-snapshot.so usr/lib/migsafe/migsafe-mysql-snapshot.so \
  usr/share/migsafe/rules/core.yaml usr/share/migsafe/rules/hygiene.yaml usr/share/man/man1/migsafe.1.gz \
  usr/share/bash-completion/completions/migsafe usr/share/zsh/vendor-completions/_migsafe; do
  [[ -f "$WORK/root/$f" ]] || fail "$f is not in the package"
done
# Its dependencies are the libraries the binaries link (dpkg-shlibdeps), not a guess.
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
for lib in libpg-query libre2 libsqlite3 libpqxx libmariadb3; do
  [[ "$DEPENDS" == *"$lib"* ]] || fail "Depends lacks $lib: $DEPENDS"
done
# From any directory: a blocked migration, a safe one, a rule's docs, a snapshot module found
# beside the binary (a PostgreSQL DSN that refuses the connection is a database error, exit 3).
BIN="$WORK/root/usr/bin/migsafe"
cp "$SRC/fixtures/postgres/unsafe/002_orders_customer_index.sql" "$WORK/elsewhere/"
cd "$WORK/elsewhere"
set +e
"$BIN" check 002_orders_customer_index.sql >/dev/null; [[ $? -eq 1 ]] || fail "unsafe file not blocked"
"$BIN" check --pack hygiene "$SRC/fixtures/hygiene/hygienic" >/dev/null; [[ $? -eq 0 ]] || fail "hygienic set blocked"
"$BIN" explain not-repeatable | grep -q "Flagged (bad)" || fail "explain does not work"
"$BIN" check --db postgresql://nobody@127.0.0.1:1/none 002_orders_customer_index.sql >/dev/null 2>"$WORK/db.err"
[[ $? -eq 3 ]] || fail "the PostgreSQL module was not loaded: $(cat "$WORK/db.err")"
set -e
# The man page renders without warnings and lists every command.
zcat "$WORK/root/usr/share/man/man1/migsafe.1.gz" > "$WORK/migsafe.1"
WARN=$(groff -man -Tutf8 -ww -z "$WORK/migsafe.1" 2>&1) || fail "groff failed"
[[ -z "$WARN" ]] || fail "man page warnings: $WARN"
for c in check plan rules explain docs sum completions; do
  grep -q "^\.SS $c\$" "$WORK/migsafe.1" || fail "man page lacks $c"
done
# bash completion: the options of check, completed.
REPLY=$(bash -c "source '$WORK/root/usr/share/bash-completion/completions/migsafe'
  COMP_WORDS=(migsafe check --dia); COMP_CWORD=2; _migsafe; echo \"\${COMPREPLY[*]}\"")
[[ "$REPLY" == "--dialect" ]] || fail "bash completion of 'check --dia' gave '$REPLY'"
REPLY=$(bash -c "source '$WORK/root/usr/share/bash-completion/completions/migsafe'
  COMP_WORDS=(migsafe ex); COMP_CWORD=1; _migsafe; echo \"\${COMPREPLY[*]}\"")
[[ "$REPLY" == "explain" ]] || fail "bash completion of 'ex' gave '$REPLY'"
# zsh: the script parses, and defines the function.
zsh -n "$WORK/root/usr/share/zsh/vendor-completions/_migsafe" || fail "zsh completion does not parse"
zsh -c "autoload -U compinit; compinit -u -D; source '$WORK/root/usr/share/zsh/vendor-completions/_migsafe' 2>/dev/null; whence -w _migsafe" \
  | grep -q function || fail "zsh completion defines no _migsafe"
echo "package_test: $(basename "$DEB") installs and runs"
