// The dialect-neutral intermediate representation: Migration > Statement > Operation.
// Front ends produce it; every later stage reads it and never looks at SQL syntax again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migsafe {

enum class Dialect { postgres, mysql, mariadb, sqlite };
std::string_view dialect_name(Dialect d);
// The engine's own name: "PostgreSQL", "MySQL", "MariaDB", "SQLite".
std::string_view dialect_display(Dialect d);
// ASCII letters in lower case (identifiers and keywords; other bytes unchanged).
std::string ascii_lower(std::string_view s);
// Without the white space (space, tab, line breaks, form feed, vertical tab) around it.
std::string_view trim_space(std::string_view s);
// Names in prose: "a", "a and b", "a, b and c".
std::string join_names(const std::vector<std::string>& names);
// An identifier in double quotes, inner quotes doubled, as standard SQL writes it (PostgreSQL,
// SQLite).
std::string quote_sql_ident(std::string_view name);
// One engine family: MySQL and MariaDB are one (a mysql:// DSN may reach either).
bool same_engine(Dialect a, Dialect b);
std::optional<Dialect> parse_dialect(std::string_view s);

// 1-based line and column; the column counts characters (UTF-8 code points), as editors do.
struct Position {
  uint32_t line = 0;
  uint32_t col = 0;
  bool operator==(const Position&) const = default;
};

struct Span {
  uint32_t begin = 0;  // byte offsets into the source, [begin, end)
  uint32_t end = 0;
  Position start;
  Position stop;  // position of the last character
  bool operator==(const Span&) const = default;
};

// The text of one input with a line index, shared by every statement cut from it.
class SourceText {
 public:
  // threads 2 or more: a large text's line index is read as two halves at once.
  SourceText(std::string path, std::string text, int threads = 1);
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  Position position(uint32_t offset) const;
  // The same, searched from a line known to start at or before the offset (an operation inside
  // its statement, a statement's last character): a few lines on instead of the whole index.
  Position position(uint32_t offset, uint32_t from_line) const;
  Span span(uint32_t begin, uint32_t end) const;
  std::string_view line(uint32_t line_no) const;  // without the newline
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  uint32_t code_points(uint32_t begin, uint32_t end) const;

  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

struct QualifiedName {
  std::string schema;  // empty when the migration did not qualify it
  std::string name;
  bool empty() const { return name.empty(); }
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
  // display(), appended to out: messages spell tens of thousands of names in place.
  void append_display(std::string& out) const {
    if (!schema.empty()) {
      out += schema;
      out += '.';
    }
    out += name;
  }
  bool operator==(const QualifiedName&) const = default;
};

struct TypeRef {
  std::string name;           // canonical: "varchar", "int4", "numeric", "timestamptz", ...
  std::vector<int64_t> mods;  // length / precision / scale as written; empty when unconstrained
  bool array = false;
  bool user_defined = false;  // not a pg_catalog type (a domain, an enum, ...)
  std::string display() const;
  bool operator==(const TypeRef&) const = default;
};

// What a default (or USING) expression calls, so the effects tables can judge volatility.
struct ExprInfo {
  bool present = false;
  bool is_null = false;                // DEFAULT NULL
  bool has_subquery = false;           // never allowed in a default, kept for completeness
  std::vector<std::string> functions;  // function names called, lower-case, schema stripped
  std::string text;                    // as written (PostgreSQL column defaults; else empty)
  std::string column_ref;              // the expression is only this column (USING col)
  bool operator==(const ExprInfo&) const = default;
};

enum class Generated { none, stored, identity, virtual_column };

struct ForeignKeyRef {
  QualifiedName table;
  std::vector<std::string> columns;
  bool operator==(const ForeignKeyRef&) const = default;
};

struct ColumnSpec {
  std::string name;
  TypeRef type;
  bool not_null = false;
  bool primary_key = false;
  bool unique = false;
  bool has_check = false;
  bool serial = false;  // serial / bigserial / smallserial: an implicit nextval() default
  Generated generated = Generated::none;
  ExprInfo default_expr;
  std::optional<ForeignKeyRef> references;
  std::string collation;
  std::string charset;   // MySQL: CHARACTER SET of the column, lower-case; empty = the table's
  std::string position;  // MySQL: "first" or the column named by AFTER; empty = last
  bool explicit_null = false;  // NULL was written: a MODIFY that drops NOT NULL means it
  bool operator==(const ColumnSpec&) const = default;
};

enum class ConstraintKind { check, foreign_key, unique, primary_key, exclusion, not_null, other };
std::string_view constraint_kind_name(ConstraintKind k);

struct ConstraintSpec {
  ConstraintKind kind = ConstraintKind::other;
  std::string name;
  bool not_valid = false;
  std::string using_index;  // ADD ... UNIQUE / PRIMARY KEY USING INDEX idx
  std::vector<std::string> columns;
  ForeignKeyRef references;           // foreign keys only
  std::string not_null_check_column;  // CHECK (col IS NOT NULL): proves col is never null
  std::string check_expr;             // CHECK: the expression as written, without its parentheses
  bool operator==(const ConstraintSpec&) const = default;
};

struct IndexSpec {
  std::string name;
  std::vector<std::string> columns;  // expressions appear as "(expr)"
  std::string method;                // btree, gin, ...
  bool unique = false;
  bool partial = false;
  bool operator==(const IndexSpec&) const = default;
};

// Operation kinds; names are the strings packs use (see ir.cpp).
enum class OpKind {
  create_table,
  create_table_as,
  create_view,
  create_index,
  drop_index,
  add_column,
  drop_column,
  alter_column_type,
  set_not_null,
  drop_not_null,
  set_default,
  drop_default,
  add_constraint,
  validate_constraint,
  drop_constraint,
  rename_column,
  rename_table,
  rename_index,
  rename_constraint,
  drop_table,
  drop_view,
  drop_schema,
  drop_database,
  drop_other,
  truncate,
  update,
  delete_rows,
  insert,
  select,
  set_setting,
  reset_setting,
  begin,
  commit,
  rollback,
  savepoint,
  lock_table,
  vacuum,
  analyze,
  cluster,
  reindex,
  refresh_matview,
  set_logged,
  set_unlogged,
  set_tablespace,
  set_access_method,
  attach_partition,
  detach_partition,
  create_trigger,
  enable_disable_trigger,
  add_enum_value,
  rename_enum_value,  // ALTER TYPE ... RENAME VALUE (object: the type; value: the new label)
  rename_schema,      // ALTER SCHEMA ... RENAME TO (object: the schema)
  create_type,
  create_domain,  // object: the domain; has_where: it carries CHECK / NOT NULL constraints
  alter_domain_add_constraint,
  create_extension,
  create_sequence,
  create_schema,  // CREATE SCHEMA; MySQL / MariaDB: CREATE DATABASE (object: its name)
  create_function,
  do_block,
  comment,
  alter_table_other,
  meta_command,
  // MySQL / MariaDB
  modify_column,    // MODIFY / CHANGE: the column is defined anew (column_spec)
  convert_charset,  // CONVERT TO CHARACTER SET (value: the charset)
  table_options,    // ENGINE=, ROW_FORMAT=, FORCE, ... (detail: which)
  partition_op,     // ADD / DROP / REORGANIZE ... PARTITION (detail: which)
  optimize_table,
  other,
};
std::string_view op_kind_name(OpKind k);
std::optional<OpKind> parse_op_kind(std::string_view s);

struct Statement;

// The SQL statements a PL/pgSQL routine runs, located in the file. Parsed on first use: most
// functions a migration creates are never called by it.
class RoutineBody {
 public:
  virtual ~RoutineBody() = default;
  virtual const std::vector<Statement>& statements() const = 0;
};

// An optional part of an operation, kept on the heap and read like std::optional. Most
// operations carry none of their large parts (a column definition, a constraint, an index),
// and operations move often: into their statement, across to the rules thread, through
// vectors. Held inline, those parts made an Operation 1.6 KB and its moves a tenth of the
// MySQL front end's work.
template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(const T& v) : p_(std::make_unique<T>(v)) {}        // NOLINT: as std::optional
  Boxed(T&& v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: as std::optional
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(const T& v) { return *this = Boxed(v); }
  Boxed& operator=(T&& v) { return *this = Boxed(std::move(v)); }

  explicit operator bool() const { return p_ != nullptr; }
  bool has_value() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  void reset() { p_.reset(); }
  template <class... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }
  friend bool operator==(const Boxed& a, const Boxed& b) {
    return a.p_ && b.p_ ? *a.p_ == *b.p_ : a.p_ == b.p_;
  }

 private:
  std::unique_ptr<T> p_;
};

struct Operation {
  OpKind kind = OpKind::other;
  uint32_t location = 0;  // byte offset where the operation starts (the statement's when unknown)
  QualifiedName table;    // the table (or view, matview) acted on; empty if none
  std::string column;
  std::string object;    // index, constraint, trigger, schema, database or setting name
  std::string new_name;  // renames
  std::string detail;    // free-form fact for messages: the ALTER subcommand, the lock mode, ...
  Boxed<ColumnSpec> column_spec;  // add_column
  Boxed<TypeRef> new_type;        // alter_column_type
  ExprInfo using_expr;            // alter_column_type ... USING
  std::string collation;          // alter_column_type ... COLLATE
  Boxed<ConstraintSpec> constraint;
  Boxed<IndexSpec> index;
  std::vector<ColumnSpec> columns;  // create_table
  std::vector<ConstraintSpec> table_constraints;
  bool concurrently = false;
  bool if_exists = false;
  bool if_not_exists = false;
  bool cascade = false;
  bool has_where = false;      // update / delete
  bool from_select = false;    // insert ... select
  bool full = false;           // vacuum full
  bool local = false;          // SET LOCAL
  bool partitioned = false;    // create_table ... PARTITION BY
  QualifiedName partition_of;  // create_table ... PARTITION OF: the partitioned table
  std::string access_method;   // create_table ... USING method (PostgreSQL); empty: the default
  // create_view / create_table_as: the tables the query reads, and the column names it uses
  // ("*" when it selects every column); the server refuses to drop or retype them under it.
  std::vector<QualifiedName> reads;
  std::vector<std::string> read_columns;
  // drop_table / drop_view / truncate: every relation the statement names (what depends on one
  // of them is no obstacle when it goes too).
  std::vector<QualifiedName> together;
  // create_table / insert / update / create_view / create_table_as (PostgreSQL): a column the
  // statement names twice where the server refuses it (a table's columns, an INSERT column
  // list, UPDATE ... SET, a view's columns)
  std::string named_twice;
  bool or_replace = false;  // CREATE OR REPLACE (views, routines, triggers; MariaDB tables)
  bool temporary = false;   // CREATE / DROP TEMPORARY TABLE: gone when the session ends
  // insert: rows already there are skipped or replaced (ON CONFLICT, INSERT IGNORE, REPLACE,
  // ON DUPLICATE KEY UPDATE, INSERT OR IGNORE, or a SELECT guarded by NOT EXISTS)
  bool skips_existing = false;
  // update / delete: the statement changes a bounded batch of rows (a LIMIT, BETWEEN, or a key
  // between a lower and an upper bound), or runs inside a loop of a routine
  bool batched = false;
  // update: SET computes a column from itself (balance = balance + 10) and the WHERE does not
  // look at it, so running it again changes the rows again
  bool reapplies = false;
  std::string row_format;  // MySQL create_table: ROW_FORMAT=, upper-case
  std::string value;       // set_setting value, lock mode for lock_table
  // do_block / create_function in PL/pgSQL: what the body runs. Shared, so copying an
  // operation stays cheap.
  std::shared_ptr<const RoutineBody> body;
  std::vector<std::string> calls;  // functions / procedures a SELECT or CALL invokes
  // do_block / create_function: why the SQL inside the body could not be read (its statements
  // are then not checked); empty when it was.
  std::string body_unchecked;
  // MySQL / MariaDB ALTER TABLE: the statement's ALGORITHM= and LOCK= clauses, upper-case,
  // empty when not given; every operation of the statement carries them.
  std::string algorithm;
  std::string lock_clause;
  bool operator==(const Operation&) const = default;
};

// attach_partition / detach_partition: the partition as the statement names it ("s.p" or "p");
// an unqualified one is taken to be in the parent's schema.
QualifiedName partition_name(const Operation& op);

// MySQL / MariaDB: the operation commits the open transaction before it runs (the manual's
// "statements that cause an implicit commit"); temporary tables are the exception.
bool commits_implicitly(const Operation& op);

struct Statement {
  Span span;
  std::string_view text;        // points into the Migration's SourceText
  std::string node;             // parser node name ("IndexStmt"), "meta" for psql commands
  bool in_transaction = false;  // inside an explicit BEGIN ... COMMIT block of the file
  int transaction = -1;         // index of that block in the file, -1 when autocommit
  std::vector<Operation> ops;
  bool operator==(const Statement&) const = default;
};

struct Comment {
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string_view text;  // including the -- or /* */ markers
};

struct SyntaxError {
  Position pos;
  std::string message;
};

struct Migration {
  std::string path;  // as the user named it (or "<stdin>")
  Dialect dialect = Dialect::postgres;
  std::shared_ptr<const SourceText> source;
  std::vector<Statement> statements;
  std::vector<Comment> comments;
  // Statements that did not parse; each is reported (exit status 2) and the rest of the file is
  // still analysed.
  std::vector<SyntaxError> syntax_errors;
};

}  // namespace migsafe
