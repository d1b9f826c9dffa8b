// A rule pack's document as the pack reader walks it: mappings keep their order, every scalar
// is text, and each node knows where it was written (for errors). Built from YAML (a team's
// pack, rules/*.yaml being edited) or from the JSON the build embedded for the shipped packs;
// the second needs neither YAML's scanner nor its node graph, which were most of a short run.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "migsafe/rules.hpp"

namespace migsafe {

struct PackEntry;

struct PackNode {
  enum class Kind { null, scalar, map, seq };
  Kind kind = Kind::null;
  std::string text;            // scalar
  std::vector<PackEntry> map;  // key, value
  std::vector<PackNode> seq;
  Position pos;  // line:col where it was written; 0:0 for the embedded packs

  bool is_map() const { return kind == Kind::map; }
  bool is_seq() const { return kind == Kind::seq; }
  bool is_scalar() const { return kind == Kind::scalar; }
  // The value of a mapping's key; null when the key is absent (or this is not a mapping).
  const PackNode* get(std::string_view key) const;
};

struct PackEntry {
  PackNode key;
  PackNode value;
};

inline const PackNode* PackNode::get(std::string_view key) const {
  for (const auto& [k, v] : map)
    if (k.text == key) return &v;
  return nullptr;
}

// YAML text: syntax errors are ConfigErrors at path:line:col.
PackNode pack_node_from_yaml(const std::string& text, const std::string& path);
// JSON as tools/embed_packs.cpp writes it (every scalar a string, null for an empty value).
PackNode pack_node_from_json(std::string_view json, const std::string& path);

}  // namespace migsafe
