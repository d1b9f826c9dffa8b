// A rule pack's document as the pack reader walks it: mappings keep their order, every scalar
// is text, and each node knows where it was written (for errors). A team's pack (or rules/*.yaml
// being edited) is read from YAML into a PackTree that owns the text; the shipped packs are
// built into the binary as constant PackNode arrays (tools/embed_packs.cpp), so loading one
// parses nothing and allocates nothing for its document.
#pragma once

#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "migsafe/rules.hpp"

namespace migsafe {

struct PackEntry;

// A literal type: the generated arrays of the shipped packs are constant-initialized.
struct PackNode {
  enum class Kind { null, scalar, map, seq };
  Kind kind = Kind::null;
  std::string_view text;              // scalar
  const PackEntry* map_at = nullptr;  // map: key, value
  size_t map_size = 0;
  const PackNode* seq_at = nullptr;  // seq
  size_t seq_size = 0;
  Position pos;  // line:col where it was written; 0:0 for the built-in packs

  bool is_map() const { return kind == Kind::map; }
  bool is_seq() const { return kind == Kind::seq; }
  bool is_scalar() const { return kind == Kind::scalar; }
  std::span<const PackEntry> entries() const;
  std::span<const PackNode> items() const;
  // The value of a mapping's key; null when the key is absent (or this is not a mapping).
  const PackNode* get(std::string_view key) const;
};

struct PackEntry {
  PackNode key;
  PackNode value;
};

inline std::span<const PackEntry> PackNode::entries() const {
  return {map_at, map_size};
}
inline std::span<const PackNode> PackNode::items() const {
  return {seq_at, seq_size};
}

inline const PackNode* PackNode::get(std::string_view key) const {
  for (const auto& [k, v] : entries())
    if (k.text == key) return &v;
  return nullptr;
}

// A document and the storage its nodes view (none for a built-in pack's). Moving it keeps the
// nodes valid: deques move their blocks, not their elements.
class PackTree {
 public:
  explicit PackTree(const PackNode& root = {}) : root_(root) {}
  const PackNode& root() const { return root_; }

 private:
  friend class PackTreeBuilder;
  std::deque<std::string> texts_;
  std::deque<std::vector<PackEntry>> maps_;
  std::deque<std::vector<PackNode>> seqs_;
  PackNode root_;
};

// YAML text: syntax errors are ConfigErrors at path:line:col.
PackTree pack_tree_from_yaml(const std::string& text, const std::string& path);

}  // namespace migsafe
