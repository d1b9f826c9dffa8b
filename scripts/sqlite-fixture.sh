#!/usr/bin/env bash
# The SQLite snapshot's test database: customers (1,000 rows, two share an email, some have no
# nickname), orders (120,000 rows, indexed on customer_id only, a few reference customers that
# do not exist), settings (10 rows). Written once to the given path (made under the build
# folder by the tests; never committed), then left alone: the tests compare its bytes.
#   scripts/sqlite-fixture.sh OUT.db
set -euo pipefail
out="$1"
[[ -s "$out" ]] && exit 0
tmp="$out.tmp.$$"
rm -f "$tmp"
sqlite3 "$tmp" <<'SQL'
PRAGMA journal_mode = DELETE;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  status TEXT NOT NULL,
  total REAL NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO customers SELECT i, CASE WHEN i = 7 THEN 'c6@example.com' ELSE 'c' || i || '@example.com' END,
  CASE WHEN i % 10 = 0 THEN NULL ELSE 'nick' || i END FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
INSERT INTO orders SELECT i, CASE WHEN i % 40000 = 0 THEN 5000 + i ELSE 1 + i % 1000 END,
  CASE i % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'paid' ELSE 'shipped' END, i * 0.5 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO settings SELECT 'k' || i, 'v' || i FROM n;
SQL
mv "$tmp" "$out"
