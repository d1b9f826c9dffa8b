#!/usr/bin/env bash
# The integration database of plan inspection: customers (100,000 rows) and orders (200,000
# rows) with the indexes a small workload uses, analyzed, and pg_stat_statements installed.
# Made once in its own database beside the one of DSN (a role that may create databases);
# prints its connection string.
#   scripts/plan-fixture.sh DSN
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
DSN="$1"
DB="migsafe_plan"
PLAN_DSN="${DSN%/*}/$DB"

exists="$(psql "$DSN" -qAtX -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")"
if [[ -z "$exists" ]]; then
  psql "$DSN" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
fi
ready="$(psql "$PLAN_DSN" -qAtX -c "SELECT 1 FROM pg_class WHERE relname = 'plan_fixture_done'")"
if [[ -z "$ready" ]]; then
  psql "$PLAN_DSN" -qAtX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
DROP TABLE IF EXISTS orders, customers;
CREATE TABLE customers (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO customers
SELECT g, 'customer' || g || '@example.com', timestamptz '2026-01-01' - g * interval '1 minute'
FROM generate_series(1, 100000) g;
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  status text NOT NULL,
  total numeric(12, 2) NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO orders
SELECT g, 1 + g % 100000, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       (g % 1000) / 10.0, timestamptz '2026-01-01' - g * interval '10 seconds'
FROM generate_series(1, 200000) g;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX customers_email_idx ON customers (email);
VACUUM ANALYZE customers;
VACUUM ANALYZE orders;
CREATE TABLE plan_fixture_done ();
SQL
fi
echo "$PLAN_DSN"
