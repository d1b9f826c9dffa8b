#!/usr/bin/env bash
# The integration tables of the MySQL / MariaDB snapshot: snap_customers (1,000 rows) and
# snap_orders (100,000 rows) with column definitions no migration describes (a utf8mb4
# VARCHAR(60), a latin1 one, a FULLTEXT index), and snap_archive (20,000 rows,
# ROW_FORMAT=COMPRESSED), made once in the test database; analyzed so that
# information_schema's row counts are the real ones.
#   scripts/mysql-fixture.sh HOST:PORT:USER:PASSWORD:DATABASE   (as start-mysql.sh prints it)
set -euo pipefail
IFS=: read -r HOST PORT USER PASSWORD DB <<<"$1"
client=(mariadb --no-defaults -h"$HOST" -P"$PORT" -u"$USER" -p"$PASSWORD" "$DB")
ready="$("${client[@]}" -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'snap_done'")"
if [[ "$ready" != "1" ]]; then
  "${client[@]}" <<'SQL'
DROP TABLE IF EXISTS snap_orders, snap_customers, snap_done;
CREATE TABLE snap_customers (
  id BIGINT PRIMARY KEY,
  email VARCHAR(60) CHARACTER SET utf8mb4 NOT NULL,
  legacy_code VARCHAR(200) CHARACTER SET latin1,
  bio TEXT,
  FULLTEXT KEY snap_customers_bio (bio)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO snap_customers SELECT seq, CONCAT('c', seq, '@example.com'), CONCAT('L', seq), NULL
FROM seq_1_to_1000;
CREATE TABLE snap_orders (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  note VARCHAR(60) NOT NULL DEFAULT '',
  total DECIMAL(12, 2) NOT NULL,
  KEY snap_orders_customer (customer_id),
  CONSTRAINT snap_orders_customer_fk FOREIGN KEY (customer_id) REFERENCES snap_customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO snap_orders SELECT seq, 1 + seq MOD 1000, '', seq MOD 997 FROM seq_1_to_100000;
ANALYZE TABLE snap_customers, snap_orders;
CREATE TABLE snap_done (id INT);
SQL
fi
# A compressed table (no instant column changes there), added to fixtures made before it.
"${client[@]}" <<'SQL'
CREATE TABLE IF NOT EXISTS snap_archive (
  id BIGINT PRIMARY KEY,
  note VARCHAR(60) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=COMPRESSED;
INSERT IGNORE INTO snap_archive SELECT seq, '' FROM seq_1_to_20000;
SQL
