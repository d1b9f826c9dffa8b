#include "pg_tree.hpp"

#include <cstdlib>
#include <cstring>

#include "pg_node_table.hpp"

#include <pg_query.h>

// libpg_query's header names the PostgreSQL release it was built from; the server headers below
// name theirs. Both must be 15: the node layout is that major's.
constexpr int kLibpgQueryMajor = PG_VERSION_NUM / 10000;
#undef PG_MAJORVERSION
#undef PG_VERSION
#undef PG_VERSION_NUM

extern "C" {
// postgres.h comes first, as every server header expects.
// clang-format off
#include "postgres.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
// clang-format on

// libpg_query's raw parse and its memory contexts: exported by the library, declared in its
// internal header only.
struct PgQueryRawResult {
  List* tree;
  char* stderr_buffer;
  PgQueryError* error;
};
PgQueryRawResult pg_query_raw_parse(const char* input);
MemoryContext pg_query_enter_memory_context();
void pg_query_exit_memory_context(MemoryContext ctx);
void pg_query_free_error(PgQueryError* error);
}

static_assert(kLibpgQueryMajor == PG_MAJORVERSION_NUM,
              "libpg_query and the server headers are of different PostgreSQL majors");

namespace migsafe {
namespace {

using pgtree::Field;
using pgtree::FieldKind;
using pgtree::NodeType;

// A_Const's value is one of the value nodes, shown with that node's fields, except that a false
// Boolean there is {} (a Boolean node elsewhere shows false).
const Field kConstBooleanFields[] = {
    {"boolval", offsetof(Boolean, boolval), sizeof(bool), FieldKind::boolean, nullptr, nullptr}};
const NodeType kConstBoolean{"Boolean", kConstBooleanFields, 1};

struct ConstValue {
  std::string_view key;
  const NodeType* type;
};
ConstValue const_value(const A_Const& c) {
  const NodeTag tag = nodeTag(&c.val);
  switch (tag) {
    case T_Integer:
      return {"ival", pgtree::node_type(tag)};
    case T_Float:
      return {"fval", pgtree::node_type(tag)};
    case T_Boolean:
      return {"boolval", &kConstBoolean};
    case T_String:
      return {"sval", pgtree::node_type(tag)};
    case T_BitString:
      return {"bsval", pgtree::node_type(tag)};
    default:
      return {{}, nullptr};
  }
}

int64_t signed_at(const char* p, uint32_t size) {
  switch (size) {
    case 1:
      return *reinterpret_cast<const int8_t*>(p);
    case 2:
      return *reinterpret_cast<const int16_t*>(p);
    case 4:
      return *reinterpret_cast<const int32_t*>(p);
    default:
      return *reinterpret_cast<const int64_t*>(p);
  }
}

int64_t unsigned_at(const char* p, uint32_t size) {
  switch (size) {
    case 1:
      return *reinterpret_cast<const uint8_t*>(p);
    case 2:
      return *reinterpret_cast<const uint16_t*>(p);
    case 4:
      return *reinterpret_cast<const uint32_t*>(p);
    default:
      return static_cast<int64_t>(*reinterpret_cast<const uint64_t*>(p));
  }
}

template <class T>
const T* pointer_at(const char* p) {
  return *reinterpret_cast<const T* const*>(p);
}

// The members of a Bitmapset, in order; the i-th one, or -1.
int bitmap_member(const Bitmapset* b, uint32_t i) {
  for (int w = 0; w < b->nwords; ++w)
    for (int bit = 0; bit < BITS_PER_BITMAPWORD; ++bit)
      if ((b->words[w] >> bit) & 1) {
        if (i == 0) return w * BITS_PER_BITMAPWORD + bit;
        --i;
      }
  return -1;
}

uint32_t bitmap_count(const Bitmapset* b) {
  uint32_t n = 0;
  for (int w = 0; w < b->nwords; ++w)
    for (int bit = 0; bit < BITS_PER_BITMAPWORD; ++bit) n += (b->words[w] >> bit) & 1;
  return n;
}

}  // namespace

PgNode PgNode::wrap(const void* node) {
  if (!node) return PgNode(Kind::empty_object, nullptr);
  return PgNode(Kind::wrapper, node);
}

PgNode PgNode::field_value(const void* base, uint32_t index, const NodeType& t) {
  const Field& f = t.fields[index];
  const char* p = static_cast<const char*>(base) + f.offset;
  switch (f.kind) {
    case FieldKind::node: {
      const void* n = pointer_at<void>(p);
      return n ? PgNode(Kind::wrapper, n) : PgNode();
    }
    case FieldKind::list: {
      const List* l = pointer_at<List>(p);
      return l ? PgNode(nodeTag(l) == T_List ? Kind::list : Kind::int_list, l) : PgNode();
    }
    case FieldKind::string: {
      const char* s = pointer_at<char>(p);
      return s ? PgNode(Kind::string, s, nullptr, -1) : PgNode();
    }
    case FieldKind::bitmapset: {
      const Bitmapset* b = pointer_at<Bitmapset>(p);
      return b && bitmap_count(b) > 0 ? PgNode(Kind::bitmapset, b) : PgNode();
    }
    case FieldKind::struct_ptr: {
      const void* n = pointer_at<void>(p);
      return n ? PgNode(Kind::fields, n, f.type) : PgNode();
    }
    case FieldKind::struct_inline:
      return PgNode(Kind::fields, p, f.type);
    case FieldKind::boolean:
      return *reinterpret_cast<const bool*>(p) ? PgNode(Kind::boolean, nullptr, nullptr, 1)
                                               : PgNode();
    case FieldKind::boolean_always:
      return PgNode(Kind::boolean, nullptr, nullptr, *reinterpret_cast<const bool*>(p) ? 1 : 0);
    case FieldKind::character:
      return *p ? PgNode(Kind::string, p, nullptr, 1) : PgNode();
    case FieldKind::integer:
    case FieldKind::long_integer: {
      int64_t v = signed_at(p, f.size);
      return v != 0 ? PgNode(Kind::integer, nullptr, nullptr, v) : PgNode();
    }
    case FieldKind::positive_integer: {
      int64_t v = signed_at(p, f.size);
      return v > 0 ? PgNode(Kind::integer, nullptr, nullptr, v) : PgNode();
    }
    case FieldKind::unsigned_integer: {
      int64_t v = unsigned_at(p, f.size);
      return v != 0 ? PgNode(Kind::integer, nullptr, nullptr, v) : PgNode();
    }
    case FieldKind::real: {
      int64_t bits = 0;
      std::memcpy(&bits, p, sizeof(double));
      return PgNode(Kind::real, nullptr, nullptr, bits);
    }
    case FieldKind::enumeration:
      return PgNode(Kind::enumeration, &f, nullptr, signed_at(p, f.size));
  }
  return PgNode();
}

std::string_view PgNode::wrapper_name() const {
  const Node* n = static_cast<const Node*>(ptr_);
  switch (nodeTag(n)) {
    case T_List:
      return "List";
    case T_IntList:
      return "IntList";
    case T_OidList:
      return "OidList";
    case T_A_Const:
      return "A_Const";
    default: {
      const NodeType* t = pgtree::node_type(nodeTag(n));
      return t ? t->name : std::string_view();
    }
  }
}

// What a wrapper wraps: the node's fields.
PgNode PgNode::unwrapped() const {
  const Node* n = static_cast<const Node*>(ptr_);
  switch (nodeTag(n)) {
    case T_List:
    case T_IntList:
    case T_OidList:
      return PgNode(Kind::list_object, n);
    case T_A_Const:
      return PgNode(Kind::a_const, n);
    default: {
      const NodeType* t = pgtree::node_type(nodeTag(n));
      return t ? PgNode(Kind::fields, n, t) : PgNode(Kind::empty_object, nullptr);
    }
  }
}

bool PgNode::is_object() const {
  switch (kind_) {
    case Kind::wrapper:
    case Kind::fields:
    case Kind::a_const:
    case Kind::list_object:
    case Kind::empty_object:
      return true;
    default:
      return false;
  }
}

bool PgNode::is_array() const {
  return kind_ == Kind::list || kind_ == Kind::int_list || kind_ == Kind::bitmapset;
}

uint32_t PgNode::member_slots() const {
  switch (kind_) {
    case Kind::wrapper:
    case Kind::list_object:
      return 1;
    case Kind::fields:
      return type_->count;
    case Kind::a_const:
      return 2;  // the value (or isnull), and the location
    default:
      return 0;
  }
}

std::optional<std::pair<std::string_view, PgNode>> PgNode::member_at(uint32_t slot) const {
  switch (kind_) {
    case Kind::wrapper: {
      std::string_view name = wrapper_name();
      if (name.empty()) return std::nullopt;
      return std::pair{name, unwrapped()};
    }
    case Kind::list_object: {
      const List* l = static_cast<const List*>(ptr_);
      return std::pair{std::string_view("items"),
                       PgNode(nodeTag(l) == T_List ? Kind::list : Kind::int_list, l)};
    }
    case Kind::fields: {
      PgNode v = field_value(ptr_, slot, *type_);
      if (v.kind_ == Kind::absent) return std::nullopt;
      return std::pair{type_->fields[slot].name, v};
    }
    case Kind::a_const: {
      const A_Const& c = *static_cast<const A_Const*>(ptr_);
      if (slot == 1)
        return std::pair{std::string_view("location"),
                         PgNode(Kind::integer, nullptr, nullptr, c.location)};
      if (c.isnull)
        return std::pair{std::string_view("isnull"), PgNode(Kind::boolean, nullptr, nullptr, 1)};
      ConstValue v = const_value(c);
      if (!v.type) return std::nullopt;
      return std::pair{v.key, PgNode(Kind::fields, &c.val, v.type)};
    }
    default:
      return std::nullopt;
  }
}

std::optional<PgNode> PgNode::member(std::string_view key) const {
  switch (kind_) {
    case Kind::fields:
      for (uint32_t i = 0; i < type_->count; ++i) {
        std::string_view name = type_->fields[i].name;
        if (name.size() != key.size() || name[0] != key[0] || name != key) continue;
        PgNode v = field_value(ptr_, i, *type_);
        if (v.kind_ == Kind::absent) return std::nullopt;
        return v;
      }
      return std::nullopt;
    case Kind::wrapper:
    case Kind::list_object:
    case Kind::a_const:
      for (uint32_t i = 0, n = member_slots(); i < n; ++i)
        if (auto m = member_at(i); m && m->first == key) return m->second;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

uint32_t PgNode::item_count() const {
  switch (kind_) {
    case Kind::list:
    case Kind::int_list:
      return static_cast<uint32_t>(list_length(static_cast<const List*>(ptr_)));
    case Kind::bitmapset:
      return bitmap_count(static_cast<const Bitmapset*>(ptr_));
    default:
      return 0;
  }
}

PgNode PgNode::item(uint32_t i) const {
  switch (kind_) {
    case Kind::list:
      return wrap(list_nth(static_cast<const List*>(ptr_), static_cast<int>(i)));
    case Kind::int_list: {
      const List* l = static_cast<const List*>(ptr_);
      int64_t v = nodeTag(l) == T_IntList ? list_nth_int(l, static_cast<int>(i))
                                          : list_nth_oid(l, static_cast<int>(i));
      return PgNode(Kind::integer, nullptr, nullptr, v);
    }
    case Kind::bitmapset:
      return PgNode(Kind::integer, nullptr, nullptr,
                    bitmap_member(static_cast<const Bitmapset*>(ptr_), i));
    default:
      return PgNode();
  }
}

// Strings are measured, and enumerators named, only when read: the generic walks visit every
// field of every node.
bool PgNode::get(std::string_view& out) const {
  if (kind_ == Kind::enumeration) {
    out = static_cast<const Field*>(ptr_)->enum_name(static_cast<int>(int_));
    return true;
  }
  if (kind_ != Kind::string) return false;
  const char* s = static_cast<const char*>(ptr_);
  out = int_ < 0 ? std::string_view(s) : std::string_view(s, static_cast<size_t>(int_));
  return true;
}

bool PgNode::get(int64_t& out) const {
  if (kind_ != Kind::integer) return false;
  out = int_;
  return true;
}

bool PgNode::get(bool& out) const {
  if (kind_ != Kind::boolean) return false;
  out = int_ != 0;
  return true;
}

bool PgNode::get(double& out) const {
  if (kind_ == Kind::real) {
    std::memcpy(&out, &int_, sizeof(double));
    return true;
  }
  if (kind_ != Kind::integer) return false;
  out = static_cast<double>(int_);
  return true;
}

PgTree::PgTree(const char* sql) {
  MemoryContext ctx = pg_query_enter_memory_context();
  context_ = ctx;
  PgQueryRawResult r = pg_query_raw_parse(sql);
  tree_ = r.tree;
  error_ = r.error;
  stderr_buffer_ = r.stderr_buffer;
}

PgTree::~PgTree() {
  if (error_) pg_query_free_error(static_cast<PgQueryError*>(error_));
  std::free(stderr_buffer_);
  pg_query_exit_memory_context(static_cast<MemoryContext>(context_));
}

std::string PgTree::error_message() const {
  const auto* e = static_cast<const PgQueryError*>(error_);
  return e && e->message ? e->message : "syntax error";
}

int PgTree::error_cursor() const {
  const auto* e = static_cast<const PgQueryError*>(error_);
  return e ? e->cursorpos : 0;
}

uint32_t PgTree::size() const {
  return error_ ? 0 : static_cast<uint32_t>(list_length(static_cast<const List*>(tree_)));
}

PgRawStatement PgTree::statement(uint32_t i) const {
  const auto* raw =
      static_cast<const RawStmt*>(list_nth(static_cast<const List*>(tree_), static_cast<int>(i)));
  return PgRawStatement{PgNode::wrap(raw->stmt), raw->stmt_location, raw->stmt_len};
}

}  // namespace migsafe
