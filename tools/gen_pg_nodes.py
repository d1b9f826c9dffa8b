#!/usr/bin/env python3
"""Writes the table of PostgreSQL 15's parse-tree node types that src/parse/pg_tree.cpp walks:
for each node type, its fields with their offsets (taken by the compiler from the server headers
of postgresql-server-dev-15) and how libpg_query's JSON output shows each one.

Usage: gen_pg_nodes.py SERVER_INCLUDE_DIR OUT.cpp

libpg_query 15-4.0 builds its trees with its own copy of PostgreSQL 15's headers. Debian's 15.x
headers differ from that copy in two places that matter here (found by comparing the two):
LimitOption's enumerators are in another order, and CreateStatsStmt has an `owner` field
appended. LIBPG_QUERY_ENUMS and LIBPG_QUERY_LACKS below state libpg_query's side;
tests/pg_tree_test.cpp proves the whole table on every corpus file and fixture."""
import os
import re
import sys

HEADERS = ["nodes/parsenodes.h", "nodes/primnodes.h", "nodes/value.h", "nodes/nodes.h",
           "nodes/lockoptions.h", "nodes/pg_list.h"]

# Enumerators in libpg_query's order where the server headers order them otherwise.
LIBPG_QUERY_ENUMS = {
    "LimitOption": ["LIMIT_OPTION_DEFAULT", "LIMIT_OPTION_COUNT", "LIMIT_OPTION_WITH_TIES"],
}
# Fields the server headers have and libpg_query's structs do not (appended, so the other
# offsets agree): never read.
LIBPG_QUERY_LACKS = {("CreateStatsStmt", "owner")}
# Fields libpg_query's JSON leaves out (Const's datum never occurs in a raw parse tree).
NOT_WRITTEN = {("Const", "constvalue")}
# libpg_query's JSON writes these value-node fields by their own rules.
SPECIAL_KINDS = {("Integer", "ival"): "positive_integer", ("Boolean", "boolval"): "boolean_always"}

INT = {"int", "int16", "int32", "AttrNumber", "int8"}
UINT = {"Oid", "Index", "uint32", "bits32", "SubTransactionId", "AclMode", "uint16", "uint8",
        "Size", "uint64"}
DECL = re.compile(r"^(?:struct\s+)?(\w+(?:\s+\w+)*?)\s*(\*?)\s*(\w+)(\[.*\])?$")


def read_headers(root):
    text = ""
    for name in HEADERS:
        with open(os.path.join(root, name)) as f:
            body = f.read()
        body = re.sub(r"/\*.*?\*/", " ", body, flags=re.S)
        body = re.sub(r"//[^\n]*", " ", body)
        text += "\n".join(l for l in body.split("\n") if not l.strip().startswith("#")) + "\n"
    return text


def parse_enums(text):
    enums = {}
    for m in re.finditer(r"typedef\s+enum\s*\w*\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
        names = []
        for item in m.group(1).split(","):
            item = item.strip()
            if item:
                names.append(item.split("=", 1)[0].strip())
        enums[m.group(2)] = names
    return enums


def parse_fields(body):
    fields = []
    for decl in body.split(";"):
        decl = " ".join(decl.split())
        m = DECL.match(decl) if decl else None
        if m:
            typ, ptr, name, arr = m.groups()
            fields.append((typ + ptr, name, arr or ""))
    return fields


def parse_structs(text):
    structs = {}
    for m in re.finditer(r"typedef\s+struct\s+\w+\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
        # A union (A_Const's value) is read by hand in pg_tree.cpp.
        structs[m.group(2)] = None if "union" in m.group(1) else parse_fields(m.group(1))
    # Nodes declared "struct X {...};" with the typedef elsewhere (PartitionBoundSpec).
    for m in re.finditer(r"(?<!typedef )struct\s+(\w+)\s*\{(.*?)\}\s*;", text, re.S):
        if m.group(1) not in structs and "union" not in m.group(2):
            structs[m.group(1)] = parse_fields(m.group(2))
    return structs


def node_structs_of(structs):
    nodes = {n for n, f in structs.items()
             if f and f[0][0] in ("NodeTag", "Expr") and f[0][1] in ("type", "xpr")
             and n not in ("Node", "Expr", "List")}
    # A node can begin with another node embedded (CreateForeignTableStmt: CreateStmt base).
    grew = True
    while grew:
        grew = False
        for n, f in structs.items():
            if f and n not in nodes and f[0][0] in nodes:
                nodes.add(n)
                grew = True
    return nodes


def kind_of(typ, nodes, enums):
    if typ in ("Node*", "Expr*"):
        return "node", None
    if typ == "List*":
        return "list", None
    if typ in ("char*", "const char*"):
        return "string", None
    if typ == "Bitmapset*":
        return "bitmapset", None
    if typ.endswith("*") and typ[:-1] in nodes:
        return "struct_ptr", typ[:-1]
    if typ in nodes:
        return "struct_inline", typ
    if typ == "bool":
        return "boolean", None
    if typ == "char":
        return "character", None
    if typ in INT:
        return "integer", None
    if typ in UINT:
        return "unsigned_integer", None
    if typ in ("Cost", "Cardinality", "double"):
        return "real", None
    if typ == "long":
        return "long_integer", None
    if typ in enums:
        return "enumeration", typ
    return None, None


def own_fields(structs, name):
    f = structs[name]
    return f[1:] if f[0][0] in ("NodeTag", "Expr") else f


def main():
    root, out_path = sys.argv[1], sys.argv[2]
    text = read_headers(root)
    enums, structs = parse_enums(text), parse_structs(text)
    nodes = sorted(node_structs_of(structs))
    rows, used_enums, unknown = {}, set(), []
    for n in nodes:
        rows[n] = []
        for typ, fname, arr in own_fields(structs, n):
            if arr or (n, fname) in LIBPG_QUERY_LACKS or (n, fname) in NOT_WRITTEN:
                continue
            kind, arg = kind_of(typ, set(nodes), enums)
            if kind is None:
                unknown.append("%s.%s (%s)" % (n, fname, typ))
                continue
            kind = SPECIAL_KINDS.get((n, fname), kind)
            if kind == "enumeration":
                used_enums.add(arg)
            rows[n].append((fname, kind, arg))
    if unknown:
        sys.exit("gen_pg_nodes.py: fields of unknown type: " + ", ".join(unknown))

    w = ["// Generated by tools/gen_pg_nodes.py from PostgreSQL 15's server headers; do not edit.",
         "#include <cstddef>", "#include <string_view>", "", '#include "parse/pg_node_table.hpp"',
         "", 'extern "C" {']
    w += ['#include "postgres.h"'] + ['#include "%s"' % h for h in HEADERS] + ["}", ""]
    w += ["static_assert(PG_MAJORVERSION_NUM == 15, \"the table is for PostgreSQL 15's nodes\");",
          "", "namespace migsafe::pgtree {", "namespace {", ""]
    for e in sorted(used_enums):
        w.append("std::string_view enum_%s(int v) {" % e)
        if e in LIBPG_QUERY_ENUMS:
            for i, k in enumerate(LIBPG_QUERY_ENUMS[e]):
                w.append('  if (v == %d) return "%s";' % (i, k))
        else:
            # An if-chain, not a switch: some enumerators are aliases of others, and the first
            # name wins, as in libpg_query's output.
            for k in enums[e]:
                w.append('  if (v == static_cast<int>(%s)) return "%s";' % (k, k))
        w.append("  return {};")
        w.append("}")
        w.append("")
    for n in nodes:
        w.append("extern const NodeType type_%s;" % n)
    w.append("")
    for n in nodes:
        w.append("const Field fields_%s[] = {" % n)
        for fname, kind, arg in rows[n]:
            ref = "&type_%s" % arg if kind in ("struct_ptr", "struct_inline") else "nullptr"
            en = "enum_%s" % arg if kind == "enumeration" else "nullptr"
            w.append('    {"%s", offsetof(%s, %s), sizeof(%s::%s), FieldKind::%s, %s, %s},'
                     % (fname, n, fname, n, fname, kind, ref, en))
        if not rows[n]:
            w.append('    {"", 0, 0, FieldKind::boolean, nullptr, nullptr},')
        w.append("};")
        w.append('const NodeType type_%s = {"%s", fields_%s, %d};' % (n, n, n, len(rows[n])))
        w.append("")
    w += ["}  // namespace", "", "const NodeType* node_type(int tag) {", "  switch (tag) {"]
    for n in nodes:
        w.append("    case T_%s:" % n)
        w.append("      return &type_%s;" % n)
    w += ["    default:", "      return nullptr;", "  }", "}", "", "}  // namespace migsafe::pgtree"]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write("\n".join(w) + "\n")


if __name__ == "__main__":
    main()
