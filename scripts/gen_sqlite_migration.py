#!/usr/bin/env python3
"""A deterministic SQLite migration of N statements, for scripts/bench.sh: what SQLite
migrations are made of (tables, indexes, ADD / RENAME / DROP COLUMN, views, triggers, seed
rows, data fixes, 12-step rebuilds, drops), over a schema that keeps growing.

  scripts/gen_sqlite_migration.py -n 8000 -o out.sql [--files 10 --dir out/]
"""
import argparse
import os
import random


def statements(n, seed):
    rnd = random.Random(seed)
    tables = []  # live tables: (name, columns)
    viewed = set()  # tables a view or trigger names: never rebuilt (the view would dangle)
    out = []
    k = 0
    while len(out) < n:
        k += 1
        choice = rnd.random()
        if not tables or choice < 0.22:
            name = f"t{k}"
            cols = ["name", "created_at"]
            ref = f", owner_id INTEGER REFERENCES {tables[-1][0]} (id)" if tables and k % 3 == 0 else ""
            out.append(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       f"created_at INTEGER NOT NULL DEFAULT 0{ref});")
            tables.append((name, cols))
            continue
        name, cols = rnd.choice(tables)
        if choice < 0.36:
            out.append(f"CREATE INDEX {name}_{cols[-1]}_{k} ON {name} ({cols[-1]});")
        elif choice < 0.50:
            col = f"c{k}"
            out.append(f"ALTER TABLE {name} ADD COLUMN {col} TEXT NOT NULL DEFAULT '';")
            cols.append(col)
        elif choice < 0.56 and len(cols) > 2:
            old = cols[-1]
            new = f"r{k}"
            out.append(f"ALTER TABLE {name} RENAME COLUMN {old} TO {new};")
            cols[-1] = new
        elif choice < 0.66:
            out.append(f"INSERT INTO {name} (name, created_at) VALUES ('seed {k}', {k});")
        elif choice < 0.74:
            out.append(f"UPDATE {name} SET created_at = {k} WHERE id = {k % 97};")
        elif choice < 0.79:
            out.append(f"CREATE VIEW v{k} AS SELECT id, name FROM {name};")
            viewed.add(name)
        elif choice < 0.83:
            out.append(f"CREATE TRIGGER g{k} AFTER INSERT ON {name} BEGIN "
                       f"UPDATE {name} SET created_at = 1 WHERE id = NEW.id; END;")
            viewed.add(name)
        elif choice < 0.88 and len(out) + 4 <= n and name not in viewed:
            # The 12-step rebuild, without its pragmas.
            cl = ", ".join(f"{c} TEXT" for c in cols[2:])
            extra = (", " + cl) if cl else ""
            sel = ", ".join(["id", "name", "created_at"] + cols[2:])
            out.append(f"CREATE TABLE new_{name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       f"created_at INTEGER NOT NULL DEFAULT 0{extra});")
            out.append(f"INSERT INTO new_{name} ({sel}) SELECT {sel} FROM {name};")
            out.append(f"DROP TABLE {name};")
            out.append(f"ALTER TABLE new_{name} RENAME TO {name};")
        elif choice < 0.92 and len(cols) > 2:
            out.append(f"ALTER TABLE {name} DROP COLUMN {cols.pop()};")
        else:
            out.append(f"DELETE FROM {name} WHERE created_at < {k % 50};")
    return out[:n]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, required=True)
    p.add_argument("-s", "--seed", type=int, default=42)
    p.add_argument("-o", "--output")
    p.add_argument("--files", type=int, default=1, help="split into this many files in --dir")
    p.add_argument("--dir")
    a = p.parse_args()
    st = statements(a.n, a.seed)
    if a.files <= 1:
        with open(a.output, "w") as f:
            f.write("\n".join(st) + "\n")
        return
    os.makedirs(a.dir, exist_ok=True)
    per = (len(st) + a.files - 1) // a.files
    for i in range(a.files):
        part = st[i * per:(i + 1) * per]
        with open(os.path.join(a.dir, f"{i + 1:05d}_step.sql"), "w") as f:
            f.write("\n".join(part) + "\n")


if __name__ == "__main__":
    main()
