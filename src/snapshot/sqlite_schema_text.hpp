// The schema the migrations have built so far, as SQLite itself stores it (sqlite_schema's
// CREATE texts), kept outside any database so that the dry run can open a scratch database with
// only the entries a statement needs: the tables it names, with their indexes and triggers, and
// everything whose text names them (views, triggers, tables whose foreign keys point at them),
// with what those in turn need to compile. SQLite re-reads the whole schema for every ALTER
// TABLE, so a scratch database that held everything made a long history quadratic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace migsafe::sqlite {

// The identifiers of an SQL text, lower-case, strings and comments skipped: each once, sorted;
// or all of them in the order they come.
std::vector<std::string> words_of(std::string_view sql);
std::vector<std::string> words_in_order(std::string_view sql);

struct SchemaEntry {
  std::string type;   // table, index, view, trigger
  std::string name;   // as created
  std::string table;  // indexes and triggers: the table they belong to (lower-case)
  std::string sql;
  bool has_rows = true;  // tables: whether the next scratch database gives it a row
  uint64_t order = 0;    // creation order, kept when the text changes
  std::vector<std::string> words;
};

class SchemaText {
 public:
  const SchemaEntry* find(const std::string& lower_name) const;
  // Inserts or replaces an entry (by lower-case name).
  void put(SchemaEntry e);
  void erase(const std::string& lower_name);

  // The entries a scratch database needs for a statement: `primary` names (tables, views,
  // indexes, triggers the statement acts on) with what belongs to them and what names them,
  // `support` names (what the statement only reads) with what they need to compile. Those in
  // `present` are skipped. The result is in the order to create them.
  std::vector<const SchemaEntry*> closure(const std::vector<std::string>& primary,
                                          const std::vector<std::string>& support,
                                          const std::unordered_set<std::string>& present) const;
  // Views and triggers that named a table since dropped or renamed: every ALTER TABLE re-reads
  // them (and fails on them), as SQLite does with its whole schema.
  std::vector<std::string> dangling() const { return {dangling_.begin(), dangling_.end()}; }

 private:
  static std::string key(const std::string& name);
  void index_words(const SchemaEntry& e, bool add);

  std::unordered_map<std::string, SchemaEntry> entries_;
  std::unordered_map<std::string, std::unordered_set<std::string>> mentioned_by_;
  std::unordered_map<std::string, std::unordered_set<std::string>> owned_;  // table -> entries
  std::unordered_set<std::string> dangling_;
  uint64_t next_order_ = 0;
};

}  // namespace migsafe::sqlite
