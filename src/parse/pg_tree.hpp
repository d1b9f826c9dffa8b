// PostgreSQL parse trees read where libpg_query builds them, with no JSON in between. A PgNode
// shows a node as libpg_query's JSON output would: the same keys, the same fields left out
// (false, zero, NULL), enums by name, nodes wrapped in their type's name. The translation into
// IR (postgres_translate.hpp) reads it and the JSON alike, and tests/pg_tree_test.cpp holds the
// two to each other over the corpus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace migsafe {

namespace pgtree {
struct NodeType;
}

class PgNode {
 public:
  PgNode() = default;  // absent

  // An object's member; nullopt when absent or when this is no object.
  std::optional<PgNode> member(std::string_view key) const;
  bool get(std::string_view& out) const;
  bool get(int64_t& out) const;
  bool get(bool& out) const;
  bool get(double& out) const;
  bool is_object() const;
  bool is_array() const;
  bool is_null() const { return kind_ == Kind::absent; }

  // An object's members in libpg_query's order, the absent ones skipped.
  template <class F>
  void members(F&& f) const {
    for (uint32_t i = 0, n = member_slots(); i < n; ++i)
      if (auto m = member_at(i)) f(m->first, m->second);
  }
  // An array's items.
  template <class F>
  void items(F&& f) const {
    for (uint32_t i = 0, n = item_count(); i < n; ++i) f(item(i));
  }
  uint32_t member_slots() const;
  std::optional<std::pair<std::string_view, PgNode>> member_at(uint32_t slot) const;
  uint32_t item_count() const;
  PgNode item(uint32_t i) const;

  // A Node* as the JSON shows it, {"Type": {...}}; an empty object for NULL.
  static PgNode wrap(const void* node);

 private:
  enum class Kind : uint8_t {
    absent,
    wrapper,      // {"Type": fields}; ptr_ is the node
    fields,       // a node's fields; ptr_ is the node, type_ its table entry
    a_const,      // A_Const's fields, read by hand (its value is a union)
    list_object,  // {"items": [...]}, the fields of a List node
    list,         // an array of nodes; ptr_ is the List
    int_list,     // an array of integers (IntList, OidList)
    bitmapset,    // an array of integers; ptr_ is the Bitmapset
    empty_object,
    string,       // ptr_, and int_ the length (-1: up to the NUL)
    enumeration,  // type_ is unused; ptr_ is the Field, int_ the value: named when read
    integer,
    boolean,
    real,  // int_ holds the double's bits
  };
  PgNode(Kind k, const void* p, const pgtree::NodeType* t = nullptr, int64_t i = 0)
      : kind_(k), type_(t), ptr_(p), int_(i) {}
  static PgNode field_value(const void* base, uint32_t field_index, const pgtree::NodeType& t);
  std::string_view wrapper_name() const;
  PgNode unwrapped() const;

  Kind kind_ = Kind::absent;
  const pgtree::NodeType* type_ = nullptr;
  const void* ptr_ = nullptr;
  int64_t int_ = 0;
};

// One statement of a raw parse: its node and where it lies in the parsed text.
struct PgRawStatement {
  PgNode stmt;       // {"SelectStmt": {...}}
  int location = 0;  // byte offset, just after the previous statement's ';'
  int length = 0;    // 0: up to the end of the text
};

// libpg_query's raw parse of a text; the tree lives as long as this object, on this thread.
class PgTree {
 public:
  explicit PgTree(const char* sql);
  ~PgTree();
  PgTree(const PgTree&) = delete;
  PgTree& operator=(const PgTree&) = delete;

  // The parser's error, and its position in characters (1-based; 0 when unknown).
  bool failed() const { return error_ != nullptr; }
  std::string error_message() const;
  int error_cursor() const;

  uint32_t size() const;
  PgRawStatement statement(uint32_t i) const;

 private:
  void* context_ = nullptr;
  void* tree_ = nullptr;
  void* error_ = nullptr;
  char* stderr_buffer_ = nullptr;
};

}  // namespace migsafe
