#include "snapshot/sqlite_schema_text.hpp"

#include <algorithm>
#include <functional>

#include "migsafe/ir.hpp"

namespace migsafe::sqlite {
namespace {

char lower_char(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool ident_part(unsigned char c) {
  return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

int rank(const std::string& type) {
  if (type == "table") return 0;
  if (type == "index") return 1;
  if (type == "view") return 2;
  return 3;
}

}  // namespace

std::vector<std::string> words_in_order(std::string_view sql) {
  std::vector<std::string> out;
  size_t i = 0, n = sql.size();
  auto quoted = [&](char close) {
    std::string w;
    for (++i; i < n; ++i) {
      if (sql[i] == close) {
        if (close != ']' && i + 1 < n && sql[i + 1] == close) {
          w += close;
          ++i;
          continue;
        }
        ++i;
        break;
      }
      w += lower_char(sql[i]);
    }
    out.push_back(std::move(w));
  };
  while (i < n) {
    char c = sql[i];
    if (c == '\'') {
      for (++i; i < n; ++i)
        if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            ++i;
            continue;
          }
          ++i;
          break;
        }
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
    } else if (c == '"' || c == '`') {
      quoted(c);
    } else if (c == '[') {
      quoted(']');
    } else if (ident_start(static_cast<unsigned char>(c))) {
      std::string w;
      while (i < n && ident_part(static_cast<unsigned char>(sql[i]))) w += lower_char(sql[i++]);
      out.push_back(std::move(w));
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<std::string> words_of(std::string_view sql) {
  std::vector<std::string> out = words_in_order(sql);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string SchemaText::key(const std::string& name) {
  return ascii_lower(name);
}

const SchemaEntry* SchemaText::find(const std::string& lower_name) const {
  auto it = entries_.find(lower_name);
  return it == entries_.end() ? nullptr : &it->second;
}

void SchemaText::index_words(const SchemaEntry& e, bool add) {
  std::string k = key(e.name);
  for (const auto& w : e.words) {
    if (w == k) continue;
    if (add) {
      mentioned_by_[w].insert(k);
    } else if (auto it = mentioned_by_.find(w); it != mentioned_by_.end()) {
      it->second.erase(k);
      if (it->second.empty()) mentioned_by_.erase(it);
    }
  }
  if (e.type == "index" || e.type == "trigger") {
    if (add)
      owned_[e.table].insert(k);
    else if (auto it = owned_.find(e.table); it != owned_.end())
      it->second.erase(k);
  }
}

void SchemaText::put(SchemaEntry e) {
  std::string k = key(e.name);
  e.words = words_of(e.sql);
  if (auto it = entries_.find(k); it != entries_.end()) {
    e.order = it->second.order;
    index_words(it->second, false);
  } else {
    e.order = next_order_++;
  }
  dangling_.erase(k);
  index_words(e, true);
  entries_[k] = std::move(e);
}

void SchemaText::erase(const std::string& lower_name) {
  auto it = entries_.find(lower_name);
  if (it == entries_.end()) return;
  if (it->second.type == "table" || it->second.type == "view")
    if (auto m = mentioned_by_.find(lower_name); m != mentioned_by_.end())
      for (const auto& other : m->second)
        if (const SchemaEntry* e = find(other); e && (e->type == "view" || e->type == "trigger"))
          dangling_.insert(other);
  index_words(it->second, false);
  entries_.erase(it);
  dangling_.erase(lower_name);
}

std::vector<const SchemaEntry*> SchemaText::closure(
    const std::vector<std::string>& primary, const std::vector<std::string>& support,
    const std::unordered_set<std::string>& present) const {
  std::vector<const SchemaEntry*> out;
  std::unordered_set<std::string> seen;
  // What an entry needs to be created and to compile: its table, and the tables and views a
  // view or trigger names.
  std::function<void(const std::string&)> need = [&](const std::string& k) {
    if (present.count(k) || !seen.insert(k).second) return;
    const SchemaEntry* e = find(k);
    if (!e) return;
    out.push_back(e);
    if (e->type == "index" || e->type == "trigger") need(e->table);
    if (e->type == "view" || e->type == "trigger")
      for (const auto& w : e->words)
        if (const SchemaEntry* d = find(w); d && (d->type == "table" || d->type == "view")) need(w);
  };
  // What a change of an entry reaches: its indexes and triggers, and what names it.
  std::unordered_set<std::string> expanded;
  std::function<void(const std::string&)> acted_on = [&](const std::string& k) {
    const SchemaEntry* e = find(k);
    if (!e || !expanded.insert(k).second) return;
    if (e->type == "index" || e->type == "trigger") return acted_on(e->table);
    need(k);
    if (auto o = owned_.find(k); o != owned_.end())
      for (const auto& x : o->second) need(x);
    if (auto m = mentioned_by_.find(k); m != mentioned_by_.end())
      for (const auto& x : m->second) need(x);
  };
  for (const auto& k : primary) acted_on(k);
  for (const auto& k : support) need(k);
  std::sort(out.begin(), out.end(), [](const SchemaEntry* a, const SchemaEntry* b) {
    int ra = rank(a->type), rb = rank(b->type);
    return ra != rb ? ra < rb : a->order < b->order;
  });
  return out;
}

}  // namespace migsafe::sqlite
