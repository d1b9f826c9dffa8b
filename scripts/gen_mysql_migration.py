#!/usr/bin/env python3
"""Writes a deterministic MySQL migration for the front-end benchmark: CREATE TABLE, multi-part
ALTER TABLE, indexes, data changes, SET, comments and executable comments, and (unless --plain)
DELIMITER blocks with triggers. --plain leaves out what generic SQL parsers do not read
(DELIMITER, executable comments), so a peer parser can take the same statements."""
import argparse
import random

p = argparse.ArgumentParser()
p.add_argument("-b", "--bytes", type=int, default=50_000_000, help="approximate output size")
p.add_argument("-s", "--seed", type=int, default=42)
p.add_argument("--plain", action="store_true")
p.add_argument("-o", "--out", required=True)
a = p.parse_args()
rng = random.Random(a.seed)
types = ["INT", "BIGINT UNSIGNED", "VARCHAR(64)", "VARCHAR(255)", "TEXT", "DATETIME", "DECIMAL(12,2)", "TINYINT(1)"]

def stmt(i):
    t = f"t{rng.randrange(200)}"
    k = i % (9 if a.plain else 11)
    if k == 0:
        cols = ",\n  ".join(f"`c{j}` {rng.choice(types)} {'NOT NULL' if rng.random() < .5 else 'NULL'}"
                            f"{' DEFAULT 0' if j % 3 == 0 else ''} COMMENT 'column {j}; ok'"
                            for j in range(rng.randrange(3, 9)))
        return (f"CREATE TABLE IF NOT EXISTS `{t}_{i}` (\n  `id` BIGINT NOT NULL AUTO_INCREMENT,\n  {cols},\n"
                f"  PRIMARY KEY (`id`),\n  KEY `idx_{i}` (`c1`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n")
    if k == 1:
        return (f"ALTER TABLE `{t}` ADD COLUMN `n{i}` {rng.choice(types)} NULL AFTER `id`, "
                f"ADD INDEX `ix{i}` (`n{i}`), ALGORITHM=INPLACE, LOCK=NONE;\n")
    if k == 2:
        return f"ALTER TABLE {t} MODIFY COLUMN c1 VARCHAR({rng.randrange(10, 300)}) NOT NULL DEFAULT '';\n"
    if k == 3:
        return f"UPDATE {t} SET c2 = 'it''s \\\\ {i}' WHERE id BETWEEN {i} AND {i + 1000};\n"
    if k == 4:
        vals = ", ".join(f"({i + j}, 'v{j}', {rng.randrange(1000)})" for j in range(rng.randrange(1, 20)))
        return f"INSERT INTO {t} (id, c1, c2) VALUES {vals};\n"
    if k == 5:
        return f"-- step {i}: backfill\n# legacy comment\nSET SESSION lock_wait_timeout = {rng.randrange(1, 10)};\n"
    if k == 6:
        return (f"ALTER TABLE {t} DROP FOREIGN KEY fk_{i}, ADD CONSTRAINT fk_{i} FOREIGN KEY (c3) "
                f"REFERENCES parent_{i % 7} (id) ON DELETE CASCADE;\n")
    if k == 7:
        return f"CREATE INDEX i_{i} ON {t} (c1, c2(10));\n"
    if k == 8:
        return f"/* multi-line\n   comment {i} */\nDELETE FROM {t} WHERE created_at < '2020-01-01' LIMIT 1000;\n"
    if k == 9:
        return f"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!80023 ALTER TABLE {t} ADD COLUMN v{i} INT INVISIBLE */;\n"
    return (f"DELIMITER $$\nCREATE TRIGGER trg_{i} BEFORE INSERT ON {t} FOR EACH ROW\nBEGIN\n"
            f"  IF NEW.c1 IS NULL THEN SET NEW.c1 = 'x; y'; END IF;\n  SET NEW.c2 = NEW.c2 + 1;\nEND$$\nDELIMITER ;\n")

with open(a.out, "w") as f:
    size, i = 0, 0
    while size < a.bytes:
        s = stmt(i)
        f.write(s)
        size += len(s)
        i += 1
