// The layout of PostgreSQL 15's parse-tree nodes as libpg_query builds them: for each node type,
// its fields, where they lie and how libpg_query's JSON output shows them. Generated at build
// time from the server headers (tools/gen_pg_nodes.py); pg_tree.cpp walks trees with it.
#pragma once

#include <cstdint>
#include <string_view>

namespace migsafe::pgtree {

enum class FieldKind : uint8_t {
  node,              // Node*: shown wrapped in its type's name
  list,              // List*: an array of nodes
  string,            // char*: absent when NULL
  bitmapset,         // Bitmapset*: an array of its members
  struct_ptr,        // pointer to a node of a known type: its fields, unwrapped
  struct_inline,     // a node embedded in this one: its fields, unwrapped
  boolean,           // absent when false
  boolean_always,    // Boolean.boolval: shown even when false
  character,         // a one-character string, absent when zero
  integer,           // absent when zero
  positive_integer,  // Integer.ival: absent unless above zero (as libpg_query 15 writes it)
  unsigned_integer,  // absent when zero
  real,              // double: always shown
  long_integer,      // absent when zero
  enumeration,       // always shown, by name
};

struct NodeType;

struct Field {
  std::string_view name;
  uint32_t offset;
  uint32_t size;
  FieldKind kind;
  const NodeType* type;                // struct_ptr and struct_inline
  std::string_view (*enum_name)(int);  // enumeration
};

struct NodeType {
  std::string_view name;
  const Field* fields;
  uint32_t count;
};

// The type of a node tag; nullptr for tags with no table entry (List, A_Const: pg_tree.cpp reads
// those itself).
const NodeType* node_type(int tag);

}  // namespace migsafe::pgtree
