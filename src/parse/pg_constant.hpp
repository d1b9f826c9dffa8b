// Strings the PostgreSQL parser can compute without running anything: what an EXECUTE will run
// when its argument is known before it runs. Read from a parse tree through the accessors the
// translation uses (member, get, items), so that the front end reads libpg_query's tree in place
// and the sandbox's judge its JSON, with one definition of what counts as constant.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace migsafe {

namespace pg_constant_detail {

template <class E>
std::optional<E> path(std::optional<E> e, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (!e) break;
    e = e->member(k);
  }
  return e;
}

template <class E>
std::optional<std::string_view> string_at(const std::optional<E>& e,
                                          std::initializer_list<std::string_view> keys) {
  std::string_view s;
  auto v = path(e, keys);
  if (!v || !v->get(s)) return std::nullopt;
  return s;
}

// The last name of a qualified name (a list of String nodes).
template <class E>
std::optional<std::string_view> last_name(const std::optional<E>& list) {
  if (!list) return std::nullopt;
  std::optional<E> last;
  list->items([&](E item) { last = item; });
  return string_at(last, {"String", "sval"});
}

template <class E>
std::optional<std::string> constant_string(const std::optional<E>& e) {
  if (auto konst = path(e, {"A_Const"})) {
    if (!konst->is_object()) return std::nullopt;
    auto sval = konst->member("sval");
    if (!sval) return std::nullopt;
    if (auto s = string_at(sval, {"sval"})) return std::string(*s);
    return std::string();  // the empty string has no sval inside
  }
  if (auto arg = path(e, {"TypeCast", "arg"})) {
    auto type = path(e, {"TypeCast", "typeName"});
    // A length (varchar(13)) cuts the string: then it is not the literal any more.
    if (path(type, {"typmods"})) return std::nullopt;
    auto t = last_name(path(type, {"names"}));
    if (t && (*t == "text" || *t == "varchar" || *t == "regclass")) return constant_string(arg);
    return std::nullopt;
  }
  if (auto expr = path(e, {"A_Expr"})) {
    auto op = last_name(path(expr, {"name"}));
    if (string_at(expr, {"kind"}) != "AEXPR_OP" || op != "||") return std::nullopt;
    auto l = constant_string(path(expr, {"lexpr"}));
    auto r = constant_string(path(expr, {"rexpr"}));
    if (l && r) return *l + *r;
  }
  return std::nullopt;
}

}  // namespace pg_constant_detail

// A literal ('...', E'...', $tag$...$tag$, U&'...'), a literal cast to a text type, or such
// strings joined with ||; nullopt for anything computed at run time.
template <class E>
std::optional<std::string> pg_constant_string(const E& expr) {
  return pg_constant_detail::constant_string(std::optional<E>(expr));
}

// The same for an expression given as text.
std::optional<std::string> pg_constant_string_of(std::string_view expr);

}  // namespace migsafe
