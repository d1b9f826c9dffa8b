// Rule packs (YAML) and their evaluation. Only this layer decides what is bad.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "migsafe/effects.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/runner.hpp"
#include "migsafe/schema.hpp"

namespace re2 {
class RE2;
}

namespace migsafe {

enum class Severity { info, warning, error };
std::string_view severity_name(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

// A malformed pack or config: path:line:col and exit status 2.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string path, std::string message, Position pos = {})
      : std::runtime_error(std::move(message)), path_(std::move(path)), pos_(pos) {}
  const std::string& path() const { return path_; }
  const Position& pos() const { return pos_; }
  std::string where() const;

 private:
  std::string path_;
  Position pos_;
};

// Which tables a rule looks at. A table created earlier in the same file is new and empty:
// locking it harms nobody, so most rules only look at existing tables.
enum class TableScope { existing, created_here, any };

struct EvalInput;

struct ValueTest {
  std::string name;                 // attribute or effect name
  std::vector<std::string> values;  // matches when the value equals any of these
  // Resolved when the pack loads, so evaluating a rule never looks a name up.
  std::string (*single)(const EvalInput&) = nullptr;
  // A value the input already holds, or a fixed name: read in place, nothing copied. With
  // lower_case, compared as if lower-cased (MySQL's ALGORITHM= and LOCK= words are kept as
  // written in upper case).
  std::string_view (*view)(const EvalInput&) = nullptr;
  bool lower_case = false;
  std::vector<std::string> (*multi)(const EvalInput&) = nullptr;
  // Several values the input already holds (ddl_change): read in place, nothing copied.
  std::span<const std::string_view> (*views)(const EvalInput&) = nullptr;
  // A yes / no attribute: read as a bool, and whether "true" / "false" is among the values.
  bool (*flag)(const EvalInput&) = nullptr;
  bool accepts_true = false;
  bool accepts_false = false;
};
// Binds a test to its reader; false when the name is unknown.
bool resolve_attribute(ValueTest& t);
bool resolve_effect(ValueTest& t);
bool value_test_matches(const ValueTest& t, const EvalInput& in);

struct NameTest {
  std::string field;  // table, column, index, constraint, object
  std::shared_ptr<const re2::RE2> re;
  bool negate = false;  // {not: pattern}: the name must not match
};

struct VersionRange {
  std::optional<TargetVersion> min;  // inclusive
  std::optional<TargetVersion> max;  // inclusive
  bool contains(TargetVersion v) const;
};

struct Condition {
  std::vector<OpKind> kinds;  // empty: any kind
  TableScope table = TableScope::existing;
  std::vector<ValueTest> attrs;
  std::vector<ValueTest> effects;
  std::optional<LockMode> lock_at_least;
  VersionRange versions;
  std::vector<NameTest> names;
  std::shared_ptr<const re2::RE2> pattern;  // on the normalized statement text
};

struct RuleExamples {
  std::string setup;  // earlier migration that creates what bad/good act on
  std::string bad;
  std::string good;
  std::optional<TargetVersion> version;
  // how the runner sends the files (per-file: in one transaction each, as goose or dbmate do);
  // unset: autocommit
  std::optional<TransactionMode> transactions;
};

struct Rule {
  std::string id;
  std::string pack;
  Severity severity = Severity::warning;
  std::string title;
  std::string message;  // template: {table}, {column}, {lock}, ... (see templates.cpp)
  std::string why;
  std::string instead;  // safer alternative, ideally SQL; template
  std::string docs;
  std::string cause;     // findings of rules with the same cause on one operation collapse into one
  bool builtin = false;  // emitted by migsafe itself (syntax, suppressions), no condition
  bool once_per_file = false;  // report only the first match in each file
  // defer: later-statement. The finding stands only once a later statement of the same unit
  // runs after this one's changes are committed: a failure there is what would leave them
  // behind. A statement that is not atomic by itself (CONCURRENTLY) stands at once; one whose
  // transaction rolls back, or that nothing follows, never does.
  bool defer_to_later_statement = false;
  // Beside another finding on the same statement, this one adds only its own point: no lock
  // note, its own why, and advice without the statement restated (missing-lock-timeout).
  bool secondary = false;
  // Harm grows with the table: with a snapshot, a table under the threshold turns an error into
  // a warning, and the message states the table's size.
  bool size_dependent = false;
  // With a snapshot, a table under the threshold drops the finding instead (below_threshold:
  // drop): the hazard is the table's size itself.
  bool drop_below_threshold = false;
  double threshold_rows = 10000;
  int64_t threshold_bytes = 100LL * 1024 * 1024;
  std::string twins_elsewhere;  // where the twin tests live when the examples are not SQL
  Condition when;
  RuleExamples examples;
  std::vector<std::string> aliases;  // other tools' ids (squawk) that name the same hazard
};

struct Pack {
  std::string name;
  std::string path;
  Dialect dialect = Dialect::postgres;
  bool any_dialect = false;  // the core pack
  std::vector<Rule> rules;
};

Pack load_pack(const std::string& path);
Pack load_pack_text(const std::string& text, const std::string& path);
// Finds the shipped pack for a dialect: next to the binary, then the source tree, then the
// install prefix. Throws ConfigError when none is found.
std::string find_shipped_pack(Dialect d);
// Names of all packs shipped next to the binary, core first.
std::vector<std::string> shipped_pack_names();
// The packs every run starts from: core plus the dialect's, as built into migsafe (no YAML is
// parsed for them; MIGSAFE_RULES_DIR names a folder of packs to read instead).
std::vector<Pack> load_shipped_packs(Dialect d);
// A shipped pack by name (core, postgres, postgres-style, ...), the same way.
Pack load_shipped_pack(const std::string& name);
std::string find_shipped_pack(const std::string& name);
// A pack named in --pack or a config: a path (has '/' or a .yaml/.yml suffix), else the name
// of a shipped pack.
bool is_pack_path(const std::string& s);  // e.g. "postgres-style"
const Rule* find_rule(const std::vector<Pack>& packs, std::string_view id);

// Facts about an operation that depend on its place in the migration, not on the operation alone.
struct OpFacts {
  bool table_known = false;                // the schema model knows the table
  bool table_new = false;                  // created earlier in the same file
  bool in_transaction = false;             // explicit BEGIN ... COMMIT
  LockMode held_lock = LockMode::none;     // strongest lock this transaction already holds on it
  std::string held_by;                     // the statement kind that took held_lock
  bool added_in_same_transaction = false;  // VALIDATE of a constraint added NOT VALID in this tx
  bool partitioned_table = false;
  bool lock_timeout_set = false;  // a non-zero lock_timeout is in force for this statement
  bool foreign_keys_off = false;  // SQLite: PRAGMA foreign_keys = OFF is in force
  bool snapshot = false;          // the schema model was read from a snapshot
  // snapshot, MySQL 8.0.29+: an instant ADD / DROP COLUMN past the table's row-version budget
  bool row_versions_exhausted = false;
  int row_versions = 0;       // the versions used before this change
  int row_version_limit = 0;  // 64, or 255 from MySQL 9.1
  bool data_fails = false;    // snapshot: rows already there make the change fail
  std::string data_failure;   // which rows, in words
  bool seq_scan = false;      // snapshot: the statement's plan reads the table sequentially
  double seq_scan_rows = 0;   // the plan's estimated rows of that scan
  bool nested_begin = false;  // BEGIN while a transaction is already open
  bool ends_runner_transaction = false;  // COMMIT / ROLLBACK of the runner's transaction
  int access_exclusive_statements =
      0;  // earlier statements of this tx holding ACCESS EXCLUSIVE on it
  LockMode other_held_lock = LockMode::none;  // strongest lock the tx holds on another table
  std::string other_held_by;
  size_t op_index = 0;  // position of the operation in its statement
  // A failure later in the file rolls this statement back too (transactional DDL, inside the
  // runner's transaction or the file's BEGIN ... COMMIT), so a second run starts clean.
  bool atomic = false;
  bool in_routine = false;     // inside a DO block or a routine the migration runs
  bool dropped_first = false;  // an earlier DROP ... IF EXISTS in the file removes the object
  // What makes it run in a transaction block (the runner, a BEGIN, a DO block) and what would
  // take it out, in words; and whether an implicit commit would split work meant as one.
  std::string transaction;
  std::string transaction_fix;
  bool transaction_begun = false;
  // MySQL / MariaDB: the statement as a whole (an ALTER with several specifications takes the
  // largest algorithm and lock any of them needs).
  StatementDdl statement_ddl;
};

struct EvalInput {
  const Statement& stmt;
  const Operation& op;
  const Effect& effect;
  const OpFacts& facts;
  const TableInfo* table;  // before the operation, when known
  TargetVersion version;
  std::string_view normalized_text;
  Dialect dialect = Dialect::postgres;
};

bool condition_matches(const Condition& c, const EvalInput& in);
// The same for a rule filed under the operation's kind and kept for the target version when
// the rules were loaded: the rest of the condition (the engine asks this millions of times).
bool filed_condition_matches(const Condition& c, const EvalInput& in);
// Attribute and effect names packs may use, for docs.
std::vector<std::string> known_attributes();
std::vector<std::string> known_effects();

// A message or advice template, read once: its text between placeholders, and what each
// {placeholder} writes. A large check expands tens of thousands; reading the template again
// each time was a tenth of the rules engine's work.
class Template {
 public:
  Template() = default;
  explicit Template(std::string_view text);
  std::string expand(const EvalInput& in) const;

 private:
  struct Part {
    uint32_t begin = 0;  // literal text before the placeholder, in text_
    uint32_t size = 0;
    void (*put)(const EvalInput&, std::string&) = nullptr;  // null: the literal ends the text
  };
  std::string text_;
  std::vector<Part> parts_;
};

// {placeholder} expansion of messages and safer alternatives, for a template used once.
std::string expand_template(std::string_view tmpl, const EvalInput& in);
std::string normalize_statement(std::string_view text);
// The SQL words for an operation kind ("CREATE INDEX"), for messages.
std::string_view op_sql_words(OpKind k);

}  // namespace migsafe
