#!/usr/bin/env bash
# The pre-commit integration, end to end with the real pre-commit tool: a project uses the
# README's .pre-commit-config.yaml example; a bad migration is refused with migsafe's message,
# the fixed one is committed.
#   precommit_test.sh MIGSAFE_BINARY SOURCE_DIR
set -euo pipefail
migsafe_bin="$1"
src="$2"
command -v pre-commit >/dev/null || { echo "pre-commit is not installed (scripts/setup.sh installs it)"; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin_dir="$(cd "$(dirname "$migsafe_bin")" && pwd)"
export HOME="$work/home" PRE_COMMIT_HOME="$work/cache" PATH="$bin_dir:$PATH"
mkdir -p "$HOME"
git config --global user.email test@example.com
git config --global user.name test
git config --global init.defaultBranch main

# A repository holding this checkout's hook definitions, as pre-commit would clone it.
hooks="$work/migsafe-hooks"
mkdir -p "$hooks"
cp "$src/.pre-commit-hooks.yaml" "$hooks/"
git -C "$hooks" init -q
git -C "$hooks" add -A
git -C "$hooks" commit -qm hooks
rev="$(git -C "$hooks" rev-parse HEAD)"

# The project, configured with the README's example (repository and revision filled in).
project="$work/project"
mkdir -p "$project/migrations"
git -C "$project" init -q
python3 - "$src/README.md" "$project/.pre-commit-config.yaml" "$hooks" "$rev" <<'PY'
import re, sys
readme, out, repo, rev = sys.argv[1:5]
text = open(readme).read()
m = re.search(r"<!-- example: pre-commit -->\s*```yaml\n(.*?)```", text, re.S)
if not m:
    sys.exit("README has no pre-commit example")
block = m.group(1)
block = re.sub(r"repo: \S+", "repo: " + repo, block, count=1)
block = re.sub(r"rev: \S+", "rev: " + rev, block, count=1)
open(out, "w").write(block)
PY
cd "$project"
pre-commit install >/dev/null
git add .pre-commit-config.yaml
git commit -qm "pre-commit config" --no-verify

cat > migrations/002_orders_index.sql <<'SQL'
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
SQL
git add migrations/002_orders_index.sql
if git commit -m "bad migration" >"$work/bad.log" 2>&1; then
  echo "FAIL: the commit of an unsafe migration went through"; cat "$work/bad.log"; exit 1
fi
grep -q "error\[create-index-not-concurrent\]" "$work/bad.log" || {
  echo "FAIL: the refused commit does not show migsafe's finding"; cat "$work/bad.log"; exit 1; }
echo "ok: unsafe migration refused with migsafe's message"

cat > migrations/002_orders_index.sql <<'SQL'
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
SQL
git add migrations/002_orders_index.sql
git commit -qm "safe migration" >"$work/good.log" 2>&1 || {
  echo "FAIL: the commit of the fixed migration was refused"; cat "$work/good.log"; exit 1; }
echo "ok: fixed migration committed"

# A widening that is safe only given the history: the hook passes the staged file alone, and
# migsafe replays the earlier migrations of its folder, as CI does on the whole folder.
cat > migrations/001_accounts.sql <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(10));
SQL
git add migrations/001_accounts.sql
git commit -qm "accounts" >"$work/accounts.log" 2>&1 || {
  echo "FAIL: the commit of a new table was refused"; cat "$work/accounts.log"; exit 1; }
cat > migrations/003_widen_name.sql <<'SQL'
SET lock_timeout = '2s';
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(20);
SQL
# Control: without its folder the same file is a type change of unknown size, and blocked.
mkdir -p "$work/alone"
cp migrations/003_widen_name.sql "$work/alone/"
if migsafe check "$work/alone/003_widen_name.sql" >"$work/alone.log" 2>&1; then
  echo "FAIL: the widening passes even without its history, so this test proves nothing"
  cat "$work/alone.log"; exit 1
fi
git add migrations/003_widen_name.sql
git commit -qm "widen" >"$work/widen.log" 2>&1 || {
  echo "FAIL: the hook blocked a widening its folder's history makes safe"; cat "$work/widen.log"; exit 1; }
migsafe check migrations >"$work/ci.log" 2>&1 || true
if grep -q "003_widen_name.sql" "$work/ci.log"; then
  echo "FAIL: CI on the whole folder reports the widening, the hook did not"; cat "$work/ci.log"; exit 1
fi
echo "ok: staged widening judged with its folder's history, as CI judges it"

# An applied migration edited later: the folder's migsafe.sum catches it when it is staged.
migsafe sum migrations >/dev/null
git add migrations/migsafe.sum
git commit -qm "sum" --no-verify
echo "ALTER TABLE accounts ADD COLUMN email text;" >> migrations/001_accounts.sql
git add migrations/001_accounts.sql
if git commit -m "edit an applied migration" >"$work/edit.log" 2>&1; then
  echo "FAIL: the commit of an edited applied migration went through"; cat "$work/edit.log"; exit 1
fi
grep -q "migration-sum-mismatch" "$work/edit.log" || {
  echo "FAIL: the refused commit does not name migsafe.sum's mismatch"; cat "$work/edit.log"; exit 1; }
echo "ok: edited applied migration refused by the folder's migsafe.sum"
