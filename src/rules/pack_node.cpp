#include "rules/pack_node.hpp"

#include <yaml-cpp/yaml.h>

#include "yaml_load.hpp"

namespace migsafe {
namespace {

// No pack nests deeper than a few levels; a document that does is not a pack, and walking it
// must not exhaust the stack.
constexpr int kMaxDepth = 64;

}  // namespace

class PackTreeBuilder {
 public:
  explicit PackTreeBuilder(const std::string& path) : path_(path) {}

  PackTree build(const YAML::Node& root) {
    tree_.root_ = node(root, 0);
    return std::move(tree_);
  }

 private:
  PackNode node(const YAML::Node& n, int depth) {
    PackNode out;
    out.pos = yaml_position(n.Mark());
    if (depth > kMaxDepth) throw ConfigError(path_, "nested too deeply for a rule pack", out.pos);
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = PackNode::Kind::scalar;
        out.text = tree_.texts_.emplace_back(n.Scalar());
        break;
      case YAML::NodeType::Map: {
        std::vector<PackEntry> entries;
        entries.reserve(n.size());
        for (const auto& kv : n)
          entries.push_back({node(kv.first, depth + 1), node(kv.second, depth + 1)});
        const auto& kept = tree_.maps_.emplace_back(std::move(entries));
        out.kind = PackNode::Kind::map;
        out.map_at = kept.data();
        out.map_size = kept.size();
        break;
      }
      case YAML::NodeType::Sequence: {
        std::vector<PackNode> items;
        items.reserve(n.size());
        for (const auto& x : n) items.push_back(node(x, depth + 1));
        const auto& kept = tree_.seqs_.emplace_back(std::move(items));
        out.kind = PackNode::Kind::seq;
        out.seq_at = kept.data();
        out.seq_size = kept.size();
        break;
      }
      default:
        break;
    }
    return out;
  }

  const std::string& path_;
  PackTree tree_;
};

PackTree pack_tree_from_yaml(const std::string& text, const std::string& path) {
  YAML::Node root = load_yaml(text, path);
  try {
    return PackTreeBuilder(path).build(root);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.msg, yaml_position(e.mark));
  }
}

}  // namespace migsafe
