#!/usr/bin/env python3
"""Validates migsafe's real SARIF output against the official SARIF 2.1.0 schema.

Usage: validate_sarif.py MIGSAFE SCHEMA SOURCE_DIR
Exit 77 (CTest's skip code) when the schema, which lives in ../shared, is not there.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

migsafe, schema_path, source_dir = sys.argv[1:4]
if not os.path.exists(schema_path):
    print(f"skipped: {schema_path} not found (../shared is absent; this test runs in CI)")
    sys.exit(77)

import jsonschema  # Debian: python3-jsonschema

with open(schema_path) as f:
    schema = json.load(f)
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())

with tempfile.TemporaryDirectory() as tmp:
    broken = os.path.join(tmp, "broken.sql")
    with open(broken, "w") as f:
        f.write("CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN;\n")
    cases = {
        "unsafe fixtures": ["fixtures/postgres/unsafe"],
        "safe fixtures": ["fixtures/postgres/safe"],
        "syntax error and findings": [broken],
        "mysql unsafe fixtures": ["--dialect", "mysql", "fixtures/mysql/unsafe"],
        "mariadb syntax error": ["--dialect", "mariadb", broken],
        "missing file": [os.path.join(tmp, "missing.sql")],
    }
    failed = 0
    for name, args in cases.items():
        p = subprocess.run([migsafe, "check", "--format", "sarif", *args], cwd=source_dir,
                           capture_output=True, text=True)
        if p.returncode not in (0, 1, 2):
            print(f"FAIL {name}: exit {p.returncode}\n{p.stderr}")
            failed += 1
            continue
        doc = json.loads(p.stdout)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            print(f"FAIL {name}: {'/'.join(map(str, e.path))}: {e.message}")
        failed += bool(errors)
        run = doc["runs"][0]
        # What the schema cannot say: rules carry help and an absolute help URI, and results
        # point at real regions.
        for rule in run["tool"]["driver"]["rules"]:
            if not re.match(r"^[a-z][a-z0-9+.-]*:", rule.get("helpUri", "")) or "markdown" not in rule["help"]:
                print(f"FAIL {name}: rule {rule['id']} lacks help text or an absolute help URI")
                failed += 1
        for res in run["results"]:
            region = res["locations"][0]["physicalLocation"]["region"]
            if region["startLine"] < 1 or region["startColumn"] < 1:
                print(f"FAIL {name}: result {res['ruleId']} has no real region")
                failed += 1
        print(f"{'ok  ' if not errors else 'FAIL'} {name}: {len(run['results'])} results, "
              f"{len(run['tool']['driver']['rules'])} rules")
    sys.exit(1 if failed else 0)
