// libpg_query's JSON output, read through simdjson with the accessors the front end reads its
// parse trees by (member, get, members, items): the sandbox's judge reads statements this way,
// and the tree test holds the front end's tree to it.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

namespace migsafe {

class JsonNode {
 public:
  JsonNode() = default;
  explicit JsonNode(simdjson::dom::element e) : e_(e) {}
  std::optional<JsonNode> member(std::string_view key) const {
    simdjson::dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS) return std::nullopt;
    return JsonNode(v);
  }
  template <class T>
  bool get(T& out) const {
    return e_.get(out) == simdjson::SUCCESS;
  }
  bool is_object() const { return e_.is_object(); }
  bool is_array() const { return e_.is_array(); }
  template <class F>
  void members(F&& f) const {
    simdjson::dom::object o;
    if (e_.get(o) != simdjson::SUCCESS) return;
    for (auto kv : o) f(kv.key, JsonNode(kv.value));
  }
  template <class F>
  void items(F&& f) const {
    simdjson::dom::array a;
    if (e_.get(a) != simdjson::SUCCESS) return;
    for (simdjson::dom::element x : a) f(JsonNode(x));
  }

 private:
  simdjson::dom::element e_;
};

}  // namespace migsafe
