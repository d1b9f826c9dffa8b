#include "rules/pack_node.hpp"

#include <yaml-cpp/yaml.h>

#include <simdjson.h>

#include "yaml_load.hpp"

namespace migsafe {
namespace {

// No pack nests deeper than a few levels; a document that does is not a pack, and walking it
// must not exhaust the stack.
constexpr int kMaxDepth = 64;

PackNode from_yaml(const YAML::Node& n, const std::string& path, int depth = 0) {
  PackNode out;
  out.pos = yaml_position(n.Mark());
  if (depth > kMaxDepth) throw ConfigError(path, "nested too deeply for a rule pack", out.pos);
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      out.kind = PackNode::Kind::scalar;
      out.text = n.Scalar();
      break;
    case YAML::NodeType::Map:
      out.kind = PackNode::Kind::map;
      out.map.reserve(n.size());
      for (const auto& kv : n)
        out.map.push_back(
            {from_yaml(kv.first, path, depth + 1), from_yaml(kv.second, path, depth + 1)});
      break;
    case YAML::NodeType::Sequence:
      out.kind = PackNode::Kind::seq;
      out.seq.reserve(n.size());
      for (const auto& x : n) out.seq.push_back(from_yaml(x, path, depth + 1));
      break;
    default:
      break;
  }
  return out;
}

PackNode from_json(simdjson::dom::element e) {
  PackNode out;
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      out.kind = PackNode::Kind::scalar;
      out.text = std::string(e.get_string().value_unsafe());
      break;
    case simdjson::dom::element_type::OBJECT: {
      out.kind = PackNode::Kind::map;
      simdjson::dom::object o = e.get_object().value_unsafe();
      out.map.reserve(o.size());
      for (auto field : o) {
        PackNode key;
        key.kind = PackNode::Kind::scalar;
        key.text = std::string(field.key);
        out.map.push_back({std::move(key), from_json(field.value)});
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      out.kind = PackNode::Kind::seq;
      simdjson::dom::array a = e.get_array().value_unsafe();
      out.seq.reserve(a.size());
      for (auto x : a) out.seq.push_back(from_json(x));
      break;
    }
    default:
      break;  // null: an empty value
  }
  return out;
}

}  // namespace

PackNode pack_node_from_yaml(const std::string& text, const std::string& path) {
  YAML::Node root = load_yaml(text, path);
  try {
    return from_yaml(root, path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.msg, yaml_position(e.mark));
  }
}

PackNode pack_node_from_json(std::string_view json, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root))
    throw ConfigError(
        path, std::string("the built-in pack is not valid JSON: ") + simdjson::error_message(err));
  return from_json(root);
}

}  // namespace migsafe
