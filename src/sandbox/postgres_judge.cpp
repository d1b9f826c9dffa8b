// The PostgreSQL sandbox's judge: walks libpg_query's parse tree of a statement, and of every
// SQL and PL/pgSQL body the statement creates, replaces or calls, and refuses at the first
// thing that could reach outside the transaction or that it cannot check.
#include <pg_query.h>
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <set>

#include "../parse/pg_constant.hpp"
#include "../parse/pg_json_node.hpp"
#include "../parse/pg_query_result.hpp"
#include "migsafe/ir.hpp"
#include "migsafe/sandbox.hpp"
#include "postgres_policy.hpp"
#include "sql_words.hpp"

namespace migsafe {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;
// A node that may be missing: a field looked up by name. Converting one that is missing to an
// element would throw, so helpers take this and test it.
using Node = simdjson::simdjson_result<element>;
using namespace sandbox;

// Deep enough for any real migration; deeper trees are refused rather than followed.
constexpr size_t kMaxJsonDepth = 3000;
constexpr int kMaxRoutineDepth = 32;
// How deep the walk of one tree goes before it refuses: well past any real statement, and well
// within the stack, measured as the server measures max_stack_depth (whose default is the same
// 2 MB), so that a sanitizer build's larger frames refuse sooner instead of overflowing.
constexpr int kMaxWalkDepth = 1000;
constexpr std::ptrdiff_t kMaxStackBytes = 2 << 20;
// How many relations a LOCK of a view may make the server walk (its views expanded).
constexpr double kMaxViewExpansion = 100000;
// How many catalog lookups one statement's judgment may make: a real migration needs tens, and
// each costs a round trip.
constexpr int kMaxLookups = 3000;

struct Refusal {
  std::string reason;
};

struct Name {
  std::string schema;
  std::string name;
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
  bool operator<(const Name& o) const {
    return schema != o.schema ? schema < o.schema : name < o.name;
  }
};

template <class E>  // element or Node
std::string_view str(E e, const char* key) {
  std::string_view s;
  if (e[key].get(s) != simdjson::SUCCESS) return {};
  return s;
}

template <class E>
bool flag(E e, const char* key) {
  bool b = false;
  if (e[key].get(b) != simdjson::SUCCESS) return false;
  return b;
}

// A list of String nodes ("schema", "name") as the parser writes qualified names.
template <class E>
std::optional<Name> name_of(E list) {
  array a;
  if (list.get(a) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> parts;
  for (element item : a) {
    std::string_view s;
    if (item["String"]["sval"].get(s) != simdjson::SUCCESS) return std::nullopt;
    parts.emplace_back(s);
  }
  if (parts.empty()) return std::nullopt;
  Name n;
  n.name = parts.back();
  if (parts.size() >= 2) n.schema = parts[parts.size() - 2];
  return n;
}

// The name a DefElem's argument gives, however the parser wrote it: a type name, a qualified
// name, or a bare string.
template <class E>
std::optional<Name> def_arg_name(E arg) {
  if (auto n = name_of(arg["TypeName"]["names"])) return n;
  if (auto n = name_of(arg["List"]["items"])) return n;
  std::string_view s;
  if (arg["String"]["sval"].get(s) == simdjson::SUCCESS) return Name{"", std::string(s)};
  return std::nullopt;
}

// The JSON of a parse tree, followed as deep as kMaxJsonDepth.
simdjson::error_code parse_json(simdjson::dom::parser& parser, const char* text, element& out) {
  size_t len = std::strlen(text);
  if (auto e = parser.allocate(len, kMaxJsonDepth)) return e;
  return parser.parse(text, len).get(out);
}

bool system_schema(std::string_view schema) {
  return schema == "pg_catalog" || schema == "information_schema" || schema == "pg_toast";
}

// A schema the server keeps for itself: its catalogs, and the pg_ prefix it reserves (toast and
// temporary schemas).
bool server_schema(std::string_view schema) {
  return system_schema(schema) || ascii_lower(schema).starts_with("pg_");
}

// A dollar-quote tag that does not occur in body.
std::string dollar_tag(std::string_view body) {
  std::string tag = "$migsafe$";
  for (int i = 0; body.find(tag) != std::string_view::npos; ++i)
    tag = "$migsafe" + std::to_string(i) + "$";
  return tag;
}

class Judge {
 public:
  explicit Judge(PgSandboxCatalog& catalog)
      : catalog_(catalog),
        stack_base_(reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0))) {}

  SandboxVerdict top(std::string_view sql, bool adapted_once = false) {
    SandboxVerdict v;
    v.sql = std::string(sql);
    try {
      std::string text(sql);
      PgParseResult parsed(text);
      if (parsed->error)
        throw Refusal{std::string("it does not parse as PostgreSQL 15 SQL (") +
                      parsed->error->message + ")"};
      simdjson::dom::parser json;
      element doc;
      if (parse_json(json, parsed->parse_tree, doc) != simdjson::SUCCESS)
        throw Refusal{"it is nested deeper than the sandbox follows"};
      array stmts;
      if (doc["stmts"].get(stmts) != simdjson::SUCCESS || stmts.size() == 0) {
        v.action = SandboxAction::skip;
        v.reason = "it holds no statement";
        return v;
      }
      if (stmts.size() != 1)
        throw Refusal{"the text holds " + std::to_string(stmts.size()) +
                      " statements where one was expected"};
      object node;
      if (stmts.at(0)["stmt"].get(node) != simdjson::SUCCESS || node.size() != 1)
        throw Refusal{"its parse tree has an unexpected shape"};
      std::string_view type = (*node.begin()).key;
      element body = (*node.begin()).value;
      if (auto skip = top_level_skip(type, body)) {
        v.action = SandboxAction::skip;
        v.reason = *skip;
        return v;
      }
      if (!adapted_once && concurrent(type, body)) return adapt(text, type);
      v.returns_rows = returns_rows(type, body);
      statement(type, body, text);
      if (serial_lookup_ && renames_)
        throw Refusal{
            "it calls setval on pg_get_serial_sequence of a table while it also renames "
            "objects, which could change which sequence that names"};
      if (folded_through_operators_ && creates_overrides_)
        throw Refusal{
            "it computes SQL with || or casts while it also creates operators, types, "
            "domains or casts, or changes search_path, which could change what they "
            "compute"};
      // CASE x WHEN, JOIN ... USING, IN, DISTINCT and the like resolve = and friends by name
      // without naming them: every operator of those names is judged.
      for (const char* op : {"=", "<>", "<", ">", "<=", ">="}) operator_named(Name{"", op});
    } catch (const Refusal& r) {
      v.action = SandboxAction::refuse;
      v.reason = r.reason;
    } catch (const simdjson::simdjson_error& e) {
      // A parse tree of a shape the judge does not expect: refused, never run.
      v.action = SandboxAction::refuse;
      v.reason = std::string(kUnreadableTree) + " (" + e.what() + ")";
    }
    return v;
  }

 private:
  // What the trace leaves out at the top level without refusing it.
  std::optional<std::string> top_level_skip(std::string_view type, element body) {
    const StatementPolicy* p = statement_policy(type);
    if (!p) throw Refusal{std::string(type) + " is not on the sandbox's list of statements"};
    if (type == "TransactionStmt") {
      std::string_view kind = str(body, "kind");
      if (kind == "TRANS_STMT_PREPARE" || kind == "TRANS_STMT_COMMIT_PREPARED" ||
          kind == "TRANS_STMT_ROLLBACK_PREPARED")
        throw Refusal{
            "two-phase commit leaves a prepared transaction behind that outlives the "
            "trace"};
    }
    if (type == "CopyStmt" && str(body, "filename").empty() && !flag(body, "is_program"))
      return std::string(flag(body, "is_from")
                             ? "COPY ... FROM stdin: its rows come from the client"
                             : "COPY ... TO stdout only prints rows");
    if (type == "VariableSetStmt") {
      std::string name = ascii_lower(str(body, "name"));
      std::string_view kind = str(body, "kind");
      if (kind == "VAR_RESET_ALL") return "RESET ALL would reset the trace's own timeouts";
      if (name == "transaction" || name == "session characteristics")
        return "the trace keeps its own transaction";
      SettingVerdict s = setting_policy(name);
      if (s.action == SettingAction::protect) return std::string(s.reason);
    }
    if (type == "FetchStmt" && !flag(body, "ismove"))
      return "FETCH only hands a cursor's rows to the client";
    if (type == "AlterTableStmt" && has_subcommand(body, "AT_DetachPartitionFinalize"))
      return "DETACH PARTITION ... FINALIZE cannot run in a transaction";
    if (p->action == SandboxAction::skip) return std::string(p->reason);
    if (p->action == SandboxAction::refuse) throw Refusal{std::string(p->reason)};
    return std::nullopt;
  }

  // A query, or a data change with RETURNING: rows come back to whoever runs it.
  static bool returns_rows(std::string_view type, element body) {
    if (type == "SelectStmt") return body["intoClause"].error() != simdjson::SUCCESS;
    if (type == "ExecuteStmt") return true;  // EXPLAIN ANALYZE EXECUTE runs it all the same
    if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt") {
      array returning;
      return body["returningList"].get(returning) == simdjson::SUCCESS && returning.size() > 0;
    }
    return false;
  }

  static bool has_subcommand(element body, std::string_view subtype) {
    array cmds;
    if (body["cmds"].get(cmds) != simdjson::SUCCESS) return false;
    for (element c : cmds)
      if (str(c["AlterTableCmd"], "subtype") == subtype) return true;
    return false;
  }

  // CONCURRENTLY forms cannot run in a transaction block; the trace runs their plain form.
  static bool concurrent(std::string_view type, element body) {
    if (type == "IndexStmt" || type == "DropStmt") return flag(body, "concurrent");
    if (type == "ReindexStmt") {
      array params;
      if (body["params"].get(params) != simdjson::SUCCESS) return false;
      for (element p : params)
        if (str(p["DefElem"], "defname") == "concurrently") return true;
      return false;
    }
    if (type == "AlterTableStmt") {
      array cmds;
      if (body["cmds"].get(cmds) != simdjson::SUCCESS) return false;
      for (element c : cmds)
        if (str(c["AlterTableCmd"], "subtype") == "AT_DetachPartition" &&
            flag(c["AlterTableCmd"]["def"]["PartitionCmd"], "concurrent"))
          return true;
    }
    return false;
  }

  SandboxVerdict adapt(const std::string& text, std::string_view type) {
    for (const SqlToken& t : sql_tokens(text)) {
      if (t.kind != SqlToken::word ||
          ascii_lower(text.substr(t.begin, t.end - t.begin)) != "concurrently")
        continue;
      std::string plain = text.substr(0, t.begin) + text.substr(t.end);
      SandboxVerdict v = Judge(catalog_).top(plain, /*adapted_once=*/true);
      if (v.action != SandboxAction::run) return v;
      // The plain form must be the same kind of statement without CONCURRENTLY, or the word
      // taken out was not the keyword.
      PgParseResult check(plain);
      simdjson::dom::parser json;
      element doc;
      object node;
      if (check->error || parse_json(json, check->parse_tree, doc) ||
          doc["stmts"].at(0)["stmt"].get(node) || node.size() != 1 || (*node.begin()).key != type ||
          concurrent(type, (*node.begin()).value))
        break;
      v.adaptation =
          "run without CONCURRENTLY, which cannot run in a transaction: these are the plain "
          "form's locks";
      return v;
    }
    SandboxVerdict v;
    v.action = SandboxAction::refuse;
    v.reason =
        "its CONCURRENTLY form cannot run in the trace's transaction, and the plain form "
        "could not be made from it";
    return v;
  }

  // One statement node with the text it was parsed from (for the bodies of CREATE FUNCTION).
  void statement(std::string_view type, element body, const std::string& text) {
    text_stack_.push_back(text);
    node(type, body);
    text_stack_.pop_back();
  }

  // Every SQL statement in a text: a routine body, a string EXECUTE runs.
  void sql_text(const std::string& text, const std::string& what) {
    PgParseResult parsed(text);
    if (parsed->error)
      throw Refusal{what + " does not parse as PostgreSQL 15 SQL (" + parsed->error->message + ")"};
    simdjson::dom::parser json;
    element doc;
    if (parse_json(json, parsed->parse_tree, doc))
      throw Refusal{what + " is nested deeper than the sandbox follows"};
    array stmts;
    if (doc["stmts"].get(stmts) != simdjson::SUCCESS) return;
    for (element s : stmts) {
      int64_t loc = 0, len = 0;
      if (s["stmt_location"].get(loc) != simdjson::SUCCESS) loc = 0;
      if (s["stmt_len"].get(len) != simdjson::SUCCESS || len == 0)
        len = static_cast<int64_t>(text.size()) - loc;
      object node;
      if (s["stmt"].get(node) != simdjson::SUCCESS || node.size() != 1)
        throw Refusal{what + " has a parse tree of an unexpected shape"};
      statement((*node.begin()).key, (*node.begin()).value,
                text.substr(static_cast<size_t>(loc), static_cast<size_t>(len)));
    }
  }

  // Counts the levels of the walk it guards, and refuses past kMaxWalkDepth.
  class Deeper {
   public:
    Deeper(int& depth, std::uintptr_t stack_base) : depth_(depth) {
      auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
      auto used = static_cast<std::ptrdiff_t>(stack_base - here);
      if (++depth_ > kMaxWalkDepth || used > kMaxStackBytes || used < -kMaxStackBytes)
        throw Refusal{"it is nested deeper than the sandbox follows"};
    }
    ~Deeper() { --depth_; }
    Deeper(const Deeper&) = delete;
    Deeper& operator=(const Deeper&) = delete;

   private:
    int& depth_;
  };

  void walk(element e) {
    Deeper level(walk_depth_, stack_base_);
    object o;
    if (e.get(o) == simdjson::SUCCESS) {
      // Structures the parser writes inline, without a node name around them.
      if (o["relname"].error() == simdjson::SUCCESS) relation(e);
      if (o["names"].error() == simdjson::SUCCESS && o["typemod"].error() == simdjson::SUCCESS)
        type_name(e);
      if (o["funcname"].error() == simdjson::SUCCESS &&
          o["funcformat"].error() == simdjson::SUCCESS)
        func_call(e);
      for (auto [key, value] : o) {
        if (!key.empty() && std::isupper(static_cast<unsigned char>(key[0])))
          node(key, value);
        else
          walk(value);
      }
      return;
    }
    array a;
    if (e.get(a) == simdjson::SUCCESS)
      for (element x : a) walk(x);
  }

  void node(std::string_view type, element body) {
    bool is_statement = type.ends_with("Stmt");
    if (is_statement) {
      const StatementPolicy* p = statement_policy(type);
      if (!p) throw Refusal{std::string(type) + " is not on the sandbox's list of statements"};
      // Only the top-level statement may be skipped; inside a routine or a rule it would run.
      if (!stmt_stack_.empty() && p->action != SandboxAction::run)
        throw Refusal{"it holds " + std::string(type) + ": " +
                      std::string(p->reason.empty() ? "not allowed inside a routine" : p->reason)};
      if (p->action == SandboxAction::refuse) throw Refusal{std::string(p->reason)};
      stmt_stack_.push_back(type);
      if (!event_triggers_judged_ && ddl(type)) {
        // Event triggers run their functions on DDL, whatever the statement names.
        event_triggers_judged_ = true;
        spend();
        for (int64_t oid : catalog_.event_trigger_functions())
          routine_oid(oid, "an event trigger on DDL", /*dependency=*/true);
      }
      statement_facts(type, body);
    }
    // SELECT ... FOR UPDATE / SHARE locks the rows of what it reads.
    array locking;
    bool locks = type == "SelectStmt" && body["lockingClause"].get(locking) == simdjson::SUCCESS &&
                 locking.size() > 0;
    if (locks) ++locking_;
    if (type == "A_Expr") operator_use(body);
    if (type == "SubLink") operator_list(body["operName"]);
    if (type == "ColumnRef") functional_notation(body["fields"], 2);
    if (type == "A_Indirection") functional_notation(body["indirection"], 1);
    if (type == "RangeTableSample") routine_names(body["method"], "a table sample method");
    walk(body);
    if (locks) --locking_;
    if (is_statement) stmt_stack_.pop_back();
  }

  static bool ddl(std::string_view type) {
    static constexpr std::string_view kNotDdl[] = {
        "SelectStmt",       "InsertStmt",        "UpdateStmt",
        "DeleteStmt",       "MergeStmt",         "CopyStmt",
        "LockStmt",         "TransactionStmt",   "VariableSetStmt",
        "VariableShowStmt", "ExplainStmt",       "PrepareStmt",
        "ExecuteStmt",      "DeallocateStmt",    "DoStmt",
        "CallStmt",         "DeclareCursorStmt", "FetchStmt",
        "ClosePortalStmt",  "NotifyStmt",        "ListenStmt",
        "UnlistenStmt",     "CheckPointStmt",    "DiscardStmt",
        "LoadStmt",         "VacuumStmt",        "ConstraintsSetStmt",
        "PLAssignStmt",     "ReturnStmt"};
    return std::find(std::begin(kNotDdl), std::end(kNotDdl), type) == std::end(kNotDdl);
  }

  std::string_view parent_statement() const {
    return stmt_stack_.size() >= 2 ? stmt_stack_[stmt_stack_.size() - 2] : std::string_view();
  }

  // What a statement node needs beyond the walk of its tree.
  void statement_facts(std::string_view type, element body) {
    write_targets(type, body);
    server_objects(type, body);
    risky_definitions(type, body);
    if (type == "DefineStmt" || type == "CreateDomainStmt" || type == "CreateCastStmt" ||
        type == "CompositeTypeStmt" || type == "CreateEnumStmt" || type == "CreateRangeStmt" ||
        type == "AlterObjectSchemaStmt" || type == "RenameStmt")
      creates_overrides_ = true;
    if (type == "AlterObjectSchemaStmt" || type == "RenameStmt") {
      renames_ = true;
      renamed_objects(type, body);
    }
    if (type == "CallStmt" && stmt_stack_.size() == 1)
      if (auto n = name_of(body["funccall"]["funcname"]))
        for (const PgRoutine& r : routines(*n))
          if (r.out_args)
            throw Refusal{"it calls procedure " + r.display() +
                          " with OUT parameters, whose values CALL would hand to migsafe"};
    if (type == "ViewStmt") {
      // A view over the server's catalogs can be written through (an UPDATE of it updates the
      // catalog), and a statement judged before the view existed would not know.
      std::vector<Name> read;
      element query;
      if (body["query"].get(query) == simdjson::SUCCESS) collect_relations(query, read);
      for (const Name& n : read)
        if (system_schema(n.schema) || !catalog_.reach(n.schema, n.name).system.empty())
          throw Refusal{"it creates a view over system catalog " + n.display() +
                        ", which could be written through"};
    }
    if (type == "VariableSetStmt") return setting(body);
    if (type == "CreateFunctionStmt") return create_function(body);
    if (type == "DoStmt") return do_block(body);
    if (type == "CreateExtensionStmt") {
      std::string name(str(body, "extname"));
      if (!trusted_extension(name))
        throw Refusal{"it creates extension " + name + ": " + std::string(extension_reason(name))};
      return;
    }
    if (type == "CreateTrigStmt" || type == "CreateEventTrigStmt")
      return routine_names(body["funcname"], "its trigger function");
    if (type == "CreateCastStmt")
      return routine_names(body["func"]["objname"], "its cast function");
    if (type == "DefineStmt") {
      function_options(body["definition"]);
      return operator_options(body["definition"]);
    }
    if (type == "CreateRangeStmt") return function_options(body["params"]);
    if (type == "AlterTypeStmt" || type == "AlterOperatorStmt") {
      function_options(body["options"]);
      return operator_options(body["options"]);
    }
    if (type == "AlterTableStmt") return enabled_triggers(body);
    if (type == "RenameStmt" || type == "AlterObjectSchemaStmt") {
      std::string_view kind = str(body, type == "RenameStmt" ? "renameType" : "objectType");
      if (kind == "OBJECT_FUNCTION" || kind == "OBJECT_PROCEDURE" || kind == "OBJECT_ROUTINE" ||
          kind == "OBJECT_AGGREGATE")
        // A renamed or moved routine is what later calls of its new name run.
        return routine_names(body["object"]["ObjectWithArgs"]["objname"], "the routine it renames");
    }
  }

  // What a renamed or moved object runs when a later statement (in the same block) uses it by
  // its new name, which the judgment cannot look up yet: judged by its old one.
  void renamed_objects(std::string_view type, element body) {
    std::string_view kind = str(body, type == "RenameStmt" ? "renameType" : "objectType");
    if (kind == "OBJECT_TYPE" || kind == "OBJECT_DOMAIN") {
      auto n = name_of(body["object"]["List"]["items"]);
      if (!n) n = name_of(body["object"]["TypeName"]["names"]);
      if (n) {
        spend();
        for (int64_t oid : catalog_.type_functions("", n->name))
          routine_oid(oid, "type " + n->display() + ", which it renames", /*dependency=*/true);
      }
      return;
    }
    Name rel{std::string(str(body["relation"], "schemaname")),
             std::string(str(body["relation"], "relname"))};
    if (rel.name.empty()) return;
    spend();
    for (int64_t oid : catalog_.trigger_functions("", rel.name, ""))
      routine_oid(oid, "a trigger of " + rel.display() + ", which it renames", true);
    existing_code(rel, true);
  }

  // What a table's existing code runs when a statement writes to it (enabled triggers, defaults,
  // CHECK constraints, index expressions, rules), and what its views call when it is read:
  // judged, as the migration's own would be.
  void existing_code(const Name& n, bool writes) {
    if (writes && judged_writes_.insert(n.name).second) {
      spend();
      for (int64_t oid : catalog_.write_functions("", n.name))
        routine_oid(oid, "what writing to " + n.display() + " runs", /*dependency=*/true);
    }
    if (judged_reads_.insert(n.name).second) {
      spend();
      for (int64_t oid : catalog_.read_functions("", n.name))
        routine_oid(oid, "what reading " + n.display() + " runs", /*dependency=*/true);
    }
  }

  // The relations a statement writes to, changes or locks: never a system catalog or view (a
  // write to pg_settings calls set_config, one to pg_proc renames the server's functions), and
  // the casts into their columns that INSERT and UPDATE call are judged.
  void write_targets(std::string_view type, element body) {
    static constexpr std::string_view kSingle[] = {"InsertStmt",      "UpdateStmt",
                                                   "DeleteStmt",      "MergeStmt",
                                                   "AlterTableStmt",  "CreateTrigStmt",
                                                   "RuleStmt",        "CreatePolicyStmt",
                                                   "AlterPolicyStmt", "IndexStmt",
                                                   "ClusterStmt",     "ReindexStmt",
                                                   "RenameStmt",      "AlterObjectSchemaStmt",
                                                   "CreateStatsStmt", "RefreshMatViewStmt"};
    std::vector<Node> targets;
    if (std::find(std::begin(kSingle), std::end(kSingle), type) != std::end(kSingle)) {
      targets.push_back(body["relation"]);
    }
    if (type == "TruncateStmt" || type == "LockStmt") {
      array rels;
      if (body["relations"].get(rels) == simdjson::SUCCESS)
        for (element r : rels) targets.push_back(r["RangeVar"]);
    }
    for (Node rv : targets) {
      Name n{std::string(str(rv, "schemaname")), std::string(str(rv, "relname"))};
      if (n.name.empty()) continue;
      lock_target(n);
      if (type != "LockStmt") existing_code(n, true);
      if (type == "InsertStmt" || type == "UpdateStmt" || type == "MergeStmt" || type == "CopyStmt")
        for (int64_t oid : (spend(), catalog_.column_type_functions("", n.name)))
          routine_oid(oid, "a cast into a column of " + n.display());
    }
  }

  // Definitions whose parts the server trusts to fit (superuser-only features): a mismatch
  // crashes the server rather than failing.
  void risky_definitions(std::string_view type, element body) {
    if (type == "CreateCastStmt" && body["func"].error() != simdjson::SUCCESS &&
        !flag(body, "inout"))
      throw Refusal{"it creates a cast WITHOUT FUNCTION, which reinterprets bytes"};
    if (type == "AlterTypeStmt") return altered_type(body);
    if (type == "AlterOperatorStmt") return estimators(body["options"]);
    if (type == "RuleStmt" && str(body, "event") == "CMD_SELECT")
      throw Refusal{"it creates an ON SELECT rule, which turns a table into a view of anything"};
    if (type != "DefineStmt") return;
    std::string_view kind = str(body, "kind");
    if (kind == "OBJECT_TSPARSER" || kind == "OBJECT_TSTEMPLATE")
      throw Refusal{
          "it creates a text search parser or template, whose C functions must fit "
          "each other"};
    array defs;
    if (body["definition"].get(defs) != simdjson::SUCCESS) return;
    for (element d : defs) {
      std::string name = ascii_lower(str(d["DefElem"], "defname"));
      auto arg = def_arg_name(d["DefElem"]["arg"]);
      if (kind == "OBJECT_AGGREGATE" &&
          (name == "stype" || name == "stype1" || name == "mstype" || name == "sstype") && arg &&
          ascii_lower(arg->name) == "internal")
        throw Refusal{
            "it creates an aggregate with an internal state, whose functions must "
            "fit each other"};
      if (kind == "OBJECT_TYPE" && (name == "input" || name == "output"))
        throw Refusal{"it creates a base type, whose C functions must fit its storage"};
    }
    if (kind == "OBJECT_OPERATOR") estimators(body["definition"]);
  }

  // An operator's selectivity estimators get the planner's internal structures: only the
  // server's own known ones.
  template <class E>
  void estimators(E list) {
    array defs;
    if (list.get(defs) != simdjson::SUCCESS) return;
    for (element d : defs) {
      std::string name = ascii_lower(str(d["DefElem"], "defname"));
      if (name != "restrict" && name != "join") continue;
      auto arg = def_arg_name(d["DefElem"]["arg"]);
      if (arg && ((!arg->schema.empty() && arg->schema != "pg_catalog") || !estimator(arg->name)))
        throw Refusal{"it gives an operator an estimator the planner does not know: " +
                      arg->display()};
    }
  }

  // ALTER TYPE ... SET (...): never on the server's own types, and of the options only STORAGE;
  // the others are C functions that must fit the type's storage.
  void altered_type(element body) {
    auto n = name_of(body["typeName"]);
    if (n && (system_schema(n->schema) ||
              (n->schema.empty() && (spend(), catalog_.builtin_type_named(n->name)))))
      throw Refusal{"it changes type " + n->display() + ", a type of the server itself"};
    array defs;
    if (body["options"].get(defs) != simdjson::SUCCESS) return;
    for (element d : defs) {
      std::string name = ascii_lower(str(d["DefElem"], "defname"));
      if (name != "storage")
        throw Refusal{"it sets the " + name + " of a type, which must fit its C storage"};
    }
  }

  // DDL on the server's own objects (a built-in replaced, altered or renamed would change what
  // every later judgment relies on), and renames that would let a name judged new point at a
  // sequence the snapshot had.
  void server_objects(std::string_view type, element body) {
    auto routine_names_changed = [&](Node names, bool builtins_too) {
      auto n = name_of(names);
      if (!n) return;
      if (system_schema(n->schema))
        throw Refusal{"it changes " + n->display() + ", an object of the server itself"};
      if (builtins_too)
        for (const PgRoutine& r : routines(*n))
          if (r.builtin)
            throw Refusal{"it changes " + r.display() + ", a function of the server itself"};
    };
    if (type == "CreateFunctionStmt")
      return routine_names_changed(body["funcname"], flag(body, "replace"));
    if (type == "AlterFunctionStmt") {
      array actions;
      if (body["actions"].get(actions) == simdjson::SUCCESS)
        for (element a : actions)
          if (str(a["DefElem"], "defname") == "support")
            throw Refusal{"it gives a routine a planner support function"};
      return routine_names_changed(body["func"]["objname"], true);
    }
    if (type == "AlterOperatorStmt")
      if (auto n = name_of(body["opername"]["objname"]))
        if (system_schema(n->schema) || catalog_.operator_in_pg_catalog(n->name))
          throw Refusal{"it changes operator " + n->display() +
                        ", which the server's own operators answer to"};
    if (type == "AlterObjectSchemaStmt" && system_schema(str(body, "newschema")))
      throw Refusal{"it moves an object into " + std::string(str(body, "newschema")) +
                    ", the server's own schema"};
    if (type == "DefineStmt") return routine_names_changed(body["defnames"], false);
    server_schemas(type, body);
    std::string_view kind = str(body, type == "RenameStmt" ? "renameType"
                                      : type == "DropStmt" ? "removeType"
                                                           : "objectType");
    bool routine = kind == "OBJECT_FUNCTION" || kind == "OBJECT_PROCEDURE" ||
                   kind == "OBJECT_ROUTINE" || kind == "OBJECT_AGGREGATE";
    if (kind == "OBJECT_LANGUAGE" && type != "CommentStmt")
      throw Refusal{
          "it renames or hands over a procedural language, which decides how "
          "routine bodies are read"};
    if (type == "RenameStmt" || type == "AlterObjectSchemaStmt" || type == "AlterOwnerStmt" ||
        type == "CommentStmt") {
      if (routine)
        routine_names_changed(body["object"]["ObjectWithArgs"]["objname"], true);
      else if (auto n = name_of(body["object"]["List"]["items"]); n && system_schema(n->schema))
        throw Refusal{"it changes " + n->display() + ", an object of the server itself"};
      std::string_view seq = str(body["relation"], "relname");
      if (!seq.empty() && (type == "RenameStmt" || type == "AlterObjectSchemaStmt") &&
          catalog_.sequence_predates_trace(quote_sql_ident(seq)))
        throw Refusal{"it renames or moves sequence " + std::string(seq) +
                      ", which the snapshot had: a name judged new could then reach it"};
    }
    if (type == "DropStmt" && routine) {
      array objects;
      if (body["objects"].get(objects) == simdjson::SUCCESS)
        for (element o : objects) routine_names_changed(o["ObjectWithArgs"]["objname"], true);
    }
  }

  // A system schema renamed, handed to another owner or opened for CREATE: its catalogs could
  // then be written under another name, or the server's names shadowed.
  void server_schemas(std::string_view type, element body) {
    std::vector<std::string> schemas;
    if (type == "RenameStmt" && str(body, "renameType") == "OBJECT_SCHEMA")
      schemas.emplace_back(str(body, "subname"));
    if (type == "AlterOwnerStmt" && str(body, "objectType") == "OBJECT_SCHEMA")
      schemas.emplace_back(str(body["object"]["String"], "sval"));
    if (type == "GrantStmt" && str(body, "objtype") == "OBJECT_SCHEMA") {
      array objects;
      if (body["objects"].get(objects) == simdjson::SUCCESS)
        for (element o : objects) schemas.emplace_back(str(o["String"], "sval"));
    }
    for (const std::string& s : schemas)
      if (server_schema(s))
        throw Refusal{"it renames, hands over or grants on schema " + s +
                      ", which the server keeps for itself"};
  }

  void setting(element body) {
    std::string name = ascii_lower(str(body, "name"));
    std::string_view parent = parent_statement();
    // ALTER ROLE / DATABASE ... SET only changes future sessions, and is rolled back.
    if (parent == "AlterRoleSetStmt" || parent == "AlterDatabaseSetStmt") return;
    if (name == "transaction" || name == "session characteristics") return;
    std::string_view kind = str(body, "kind");
    SettingVerdict s = setting_policy(name);
    if (stmt_stack_.size() == 1 && (kind == "VAR_RESET_ALL" || s.action == SettingAction::protect))
      return;  // the top level skips these (top_level_skip)
    if (kind == "VAR_RESET_ALL") throw Refusal{"it resets every setting, the trace's own too"};
    std::optional<std::string> value;
    array args;
    if (kind == "VAR_SET_VALUE" && body["args"].get(args) == simdjson::SUCCESS && args.size() > 0) {
      value = std::string();
      for (element a : args)
        *value += (value->empty() ? "" : ",") + pg_constant_string(JsonNode(a)).value_or("?");
    }
    routine_setting_ = parent == "CreateFunctionStmt" || parent == "AlterFunctionStmt";
    std::string why = setting_refusal(name, value);
    routine_setting_ = false;
    if (!why.empty())
      throw Refusal{(parent == "CreateFunctionStmt" || parent == "AlterFunctionStmt"
                         ? "it gives a routine a SET of " + name + ": "
                         : "it sets " + name + ": ") +
                    why};
  }

  // Why a setting may not change in the trace's session ("" when it may): the policy's list,
  // and anything only a superuser or the server's configuration may set (writing bitcode files,
  // turning statistics off, waking replica triggers, ...).
  std::string setting_refusal(const std::string& name, const std::optional<std::string>& value) {
    std::string v = ascii_lower(value.value_or(""));
    // The values the trace itself uses (pg_dump writes them at the top of every dump).
    if (name == "client_encoding" && (v == "utf8" || v == "unicode" || v == "utf-8")) return "";
    if (name == "standard_conforming_strings" && (v == "on" || v == "true" || v == "1")) return "";
    if (name == "search_path") {
      creates_overrides_ = true;  // names may resolve elsewhere from here on
      // The first existing schema of the path is where unqualified CREATE puts new objects, and
      // a schema that does not exist is skipped: a session whose path names a system schema
      // anywhere could create among the server's own objects. A routine's own SET search_path
      // (the usual hardening of SECURITY DEFINER) holds only while it runs; the guard after
      // each statement catches what it would create there.
      std::string path = v;
      std::erase_if(path,
                    [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == '"'; });
      if (!routine_setting_ && value)
        for (std::string_view sys : {"pg_catalog", "information_schema", "pg_toast"})
          for (size_t at = path.find(sys); at != std::string::npos; at = path.find(sys, at + 1)) {
            bool starts = at == 0 || path[at - 1] == ',';
            bool ends = at + sys.size() == path.size() || path[at + sys.size()] == ',';
            if (starts && ends)
              return "it names " + std::string(sys) +
                     " in the session's search_path, where new objects could be created among "
                     "the server's own";
          }
      if (!value) return "";
    }
    SettingVerdict s = setting_policy(name);
    if (s.action != SettingAction::allow) return std::string(s.reason);
    std::string context = catalog_.setting_context(name);
    if (!context.empty() && context != "user")
      return "only a superuser or the server's configuration may set it (" + context + ")";
    return "";
  }

  void create_function(element body) {
    std::string language = "sql";
    std::vector<std::string> bodies;
    array options;
    if (body["options"].get(options) == simdjson::SUCCESS) {
      for (element o : options) {
        element d = o["DefElem"];
        std::string_view name = str(d, "defname");
        if (name == "language") {
          // As written: the server's language names are case-sensitive, and a quoted
          // "PLPGSQL" is not the language the sandbox reads.
          std::string_view l;
          if (d["arg"]["String"]["sval"].get(l) == simdjson::SUCCESS) language = std::string(l);
        } else if (name == "as") {
          array parts;
          if (d["arg"]["List"]["items"].get(parts) == simdjson::SUCCESS)
            for (element p : parts) {
              std::string_view s;
              if (p["String"]["sval"].get(s) == simdjson::SUCCESS) bodies.emplace_back(s);
            }
        } else if (name == "support") {
          // A planner support function gets the planner's internal nodes: a wrong one crashes
          // the server.
          throw Refusal{"it gives a routine a planner support function"};
        }
      }
    }
    if (bodies.size() > 1 && checked_language(language))
      throw Refusal{"its body is given in several parts, which a " + language +
                    " routine does not have"};
    if (!checked_language(language))
      throw Refusal{"it creates a routine in " + language +
                    ", which the sandbox cannot read (only SQL and PL/pgSQL)"};
    if (language == "plpgsql") {
      if (text_stack_.empty()) throw Refusal{"it creates a routine whose text cannot be located"};
      // libpg_query's PL/pgSQL parser asserts (aborts) on a CREATE FUNCTION without AS; the
      // server refuses one anyway.
      if (bodies.empty()) throw Refusal{"it creates a PL/pgSQL routine without a body"};
      plpgsql(text_stack_.back(), "the PL/pgSQL body it creates");
    } else {
      for (const auto& b : bodies) sql_text(b, "the SQL body it creates");
    }
    // A BEGIN ATOMIC / RETURN body is part of the tree: the walk judges it.
  }

  void do_block(element body) {
    std::string language = "plpgsql", code;
    array args;
    if (body["args"].get(args) == simdjson::SUCCESS) {
      for (element a : args) {
        element d = a["DefElem"];
        std::string_view s;
        if (d["arg"]["String"]["sval"].get(s) != simdjson::SUCCESS) continue;
        if (str(d, "defname") == "language") language = std::string(s);
        if (str(d, "defname") == "as") code = std::string(s);
      }
    }
    if (language != "plpgsql")
      throw Refusal{"it runs a DO block in " + language + ", which the sandbox cannot read"};
    std::string tag = dollar_tag(code);
    plpgsql(
        "CREATE FUNCTION migsafe_do_block() RETURNS void LANGUAGE plpgsql AS " + tag + code + tag,
        "its DO block");
  }

  // A PL/pgSQL routine, given as its CREATE FUNCTION statement.
  void plpgsql(const std::string& create, const std::string& what) {
    if (++routine_depth_ > kMaxRoutineDepth)
      throw Refusal{"its routines call each other deeper than the sandbox follows"};
    PlpgsqlResult parsed(create);
    if (parsed->error)
      throw Refusal{what + " does not parse as PL/pgSQL (" + parsed->error->message + ")"};
    simdjson::dom::parser json;
    element doc;
    if (!parsed->plpgsql_funcs || parse_json(json, parsed->plpgsql_funcs, doc))
      throw Refusal{what + " is nested deeper than the sandbox follows"};
    plpgsql_walk(doc, "", "", what);
    --routine_depth_;
  }

  void plpgsql_walk(element e, std::string_view stmt, std::string_view field,
                    const std::string& what) {
    Deeper level(walk_depth_, stack_base_);
    object o;
    if (e.get(o) == simdjson::SUCCESS) {
      for (auto [key, value] : o) {
        if (key == "PLpgSQL_expr") {
          plpgsql_expr(str(value, "query"), stmt, field, what);
          continue;
        }
        if (key == "PLpgSQL_type") {
          declared_type(std::string(str(value, "typname")), what);
          continue;
        }
        if (key == "PLpgSQL_condition") {
          // A handler of cancellation catches the statement timeout: the block would run on
          // after migsafe gave up on it, holding its locks.
          std::string cond = ascii_lower(str(value, "condname"));
          if (cond == "query_canceled" || cond == "operator_intervention" || cond.starts_with("57"))
            throw Refusal{what + " catches " + cond +
                          ", which would let it outlive the trace's statement timeout"};
          continue;
        }
        if (key.starts_with("PLpgSQL_stmt_")) {
          if (key == "PLpgSQL_stmt_commit" || key == "PLpgSQL_stmt_rollback")
            throw Refusal{what + " commits or rolls back, which would end the trace's transaction"};
          plpgsql_walk(value, key, "", what);
          continue;
        }
        plpgsql_walk(value, stmt, key.starts_with("PLpgSQL_") ? field : key, what);
      }
      return;
    }
    array a;
    if (e.get(a) == simdjson::SUCCESS)
      for (element x : a) plpgsql_walk(x, stmt, field, what);
  }

  // A variable's declared type: assigning to it casts into it, as an INSERT into a column does.
  void declared_type(const std::string& typname, const std::string& what) {
    std::string low = ascii_lower(typname);
    if (low.empty() || low == "unknown") return;
    auto parts_of = [](std::string n) {
      std::vector<std::string> parts;
      size_t start = 0;
      for (size_t dot = n.find('.'); dot != std::string::npos; dot = n.find('.', start)) {
        parts.push_back(n.substr(start, dot - start));
        start = dot + 1;
      }
      parts.push_back(n.substr(start));
      for (auto& p : parts) std::erase(p, '"');
      return parts;
    };
    if (low.ends_with("%rowtype")) {
      auto parts = parts_of(typname.substr(0, typname.size() - 8));
      for (int64_t oid : catalog_.type_functions("", parts.back()))
        routine_oid(oid, what + ": a variable's type " + parts.back());
      return;
    }
    if (low.ends_with("%type")) {
      auto parts = parts_of(typname.substr(0, typname.size() - 5));
      if (parts.size() < 2) return;  // another variable's type, judged where it is declared
      std::string table = parts[parts.size() - 2];
      for (int64_t oid : catalog_.column_type_functions("", table))
        routine_oid(oid, what + ": a variable's type from " + table);
      return;
    }
    sql_text("SELECT NULL::" + typname, what + ": a variable's type " + typname);
  }

  void plpgsql_expr(std::string_view query, std::string_view stmt, std::string_view field,
                    const std::string& what) {
    std::string q(query);
    bool dynamic = (stmt == "PLpgSQL_stmt_dynexecute" && field == "query") ||
                   (stmt == "PLpgSQL_stmt_dynfors" && field == "query") || field == "dynquery";
    if (dynamic) return dynamic_sql(q, what);
    bool statement = (stmt == "PLpgSQL_stmt_execsql" && field == "sqlstmt") ||
                     stmt == "PLpgSQL_stmt_perform" || stmt == "PLpgSQL_stmt_call" ||
                     (field == "query" &&
                      (stmt == "PLpgSQL_stmt_fors" || stmt == "PLpgSQL_stmt_forc" ||
                       stmt == "PLpgSQL_stmt_return_query" || stmt == "PLpgSQL_stmt_open")) ||
                     field == "cursor_explicit_expr";
    if (statement) return sql_text(q, what);
    if (stmt == "PLpgSQL_stmt_assign" && field == "expr") q = assignment_as_comparison(q);
    // Every other expression runs as SELECT <expression>.
    PgParseResult as_select("SELECT " + q);
    if (!as_select->error) return sql_text("SELECT " + q, what);
    sql_text(q, what);
  }

  // "target := value" judged as the comparison "target = value": both sides are evaluated.
  static std::string assignment_as_comparison(std::string q) {
    for (const SqlToken& t : sql_tokens(q))
      if (t.kind == SqlToken::symbol && q.compare(t.begin, t.end - t.begin, ":=") == 0) {
        q.replace(t.begin, 2, " =");
        break;
      }
    return q;
  }

  // EXECUTE: judged only when the string is known before it runs.
  void dynamic_sql(const std::string& expr, const std::string& what) {
    std::string select = "SELECT " + expr;
    PgParseResult parsed(select);
    simdjson::dom::parser json;
    element doc, val;
    if (!parsed->error && !parse_json(json, parsed->parse_tree, doc) &&
        !doc["stmts"].at(0)["stmt"]["SelectStmt"]["targetList"].at(0)["ResTarget"]["val"].get(
            val)) {
      walk(val);  // what computes the string is judged like any expression
      if (auto text = known_string(val))
        return sql_text(*text, "the SQL that " + what + " EXECUTEs");
    }
    throw Refusal{what + " EXECUTEs SQL built at run time, which cannot be checked before it runs"};
  }

  template <class E>
  void function_options(E list) {
    array defs;
    if (list.get(defs) != simdjson::SUCCESS) return;
    for (element d : defs) {
      std::string_view name = str(d["DefElem"], "defname");
      if (!function_valued_option(ascii_lower(name))) continue;
      element arg = d["DefElem"]["arg"];
      if (arg["TypeName"].error() == simdjson::SUCCESS)
        routine_names(arg["TypeName"]["names"], "its " + std::string(name) + " function");
      else if (arg["List"].error() == simdjson::SUCCESS)
        routine_names(arg["List"]["items"], "its " + std::string(name) + " function");
      else
        routine_names(arg, "its " + std::string(name) + " function");
    }
  }

  void enabled_triggers(element body) {
    array cmds;
    if (body["cmds"].get(cmds) != simdjson::SUCCESS) return;
    auto table = Name{std::string(str(body["relation"], "schemaname")),
                      std::string(str(body["relation"], "relname"))};
    for (element c : cmds) {
      std::string_view sub = str(c["AlterTableCmd"], "subtype");
      // A rule's actions are stored as query trees the sandbox cannot read.
      if (sub.starts_with("AT_Enable") && sub.find("Rule") != std::string_view::npos)
        throw Refusal{"it enables a rule, whose actions the sandbox cannot read"};
      if (!sub.starts_with("AT_Enable") || sub.find("Trig") == std::string_view::npos) continue;
      std::string trigger = sub == "AT_EnableTrigAll" || sub == "AT_EnableTrigUser"
                                ? ""
                                : std::string(str(c["AlterTableCmd"], "name"));
      for (int64_t oid : (spend(), catalog_.trigger_functions(table.schema, table.name, trigger)))
        routine_oid(oid, "the trigger it enables");
    }
  }

  void func_call(element call) {
    auto n = name_of(call["funcname"]);
    if (!n) return;
    array args;
    std::vector<element> arg_list;
    if (call["args"].get(args) == simdjson::SUCCESS)
      for (element a : args) arg_list.push_back(a);
    for (const PgRoutine& r : routines(*n)) judge(r, &arg_list);
  }

  template <class E>
  void routine_names(E list, const std::string& what) {
    auto n = name_of(list);
    if (!n) {
      std::string_view s;
      if (list["String"]["sval"].get(s) != simdjson::SUCCESS) return;
      n = Name{"", std::string(s)};
    }
    for (const PgRoutine& r : routines(*n)) {
      try {
        judge(r, nullptr);
      } catch (const Refusal& f) {
        throw Refusal{what + " " + r.display() + " cannot be run: " + f.reason};
      }
    }
  }

  // dependency: called by the database's own code (a default, a trigger), whose arguments the
  // judgment does not see.
  void routine_oid(int64_t oid, const std::string& what, bool dependency = false) {
    auto known = routine_by_oid_.find(oid);
    if (known == routine_by_oid_.end()) {
      spend();
      known = routine_by_oid_.emplace(oid, catalog_.routine(oid)).first;
    }
    if (!known->second) return;
    try {
      judge(*known->second, nullptr, dependency);
    } catch (const Refusal& f) {
      throw Refusal{what + ": " + f.reason};
    }
  }

  // Every routine of that name in every schema, whatever schema the statement names: a schema
  // can be renamed, or the search_path changed, between the judgment and the call.
  const std::vector<PgRoutine>& routines(const Name& n) {
    auto it = routine_cache_.find(n.name);
    if (it == routine_cache_.end()) {
      spend();
      it = routine_cache_.emplace(n.name, catalog_.routines("", n.name)).first;
    }
    return it->second;
  }

  void operator_use(element expr) {
    std::string_view kind = str(expr, "kind");
    if (kind.starts_with("AEXPR_BETWEEN") || kind.starts_with("AEXPR_NOT_BETWEEN")) {
      operator_named(Name{"", "<="});
      operator_named(Name{"", ">="});
    } else {
      operator_list(expr["name"]);
    }
  }

  template <class E>
  void operator_list(E names) {
    if (auto n = name_of(names)) operator_named(*n);
  }

  void operator_named(const Name& op) {
    if (!judged_operators_.insert(op).second) return;
    spend();
    for (int64_t oid : catalog_.operator_functions("", op.name))
      routine_oid(oid, "operator " + op.display());
  }

  // CREATE / ALTER OPERATOR ... NEGATOR, COMMUTATOR: the planner swaps in those operators.
  template <class E>
  void operator_options(E list) {
    array defs;
    if (list.get(defs) != simdjson::SUCCESS) return;
    for (element d : defs) {
      std::string name = ascii_lower(str(d["DefElem"], "defname"));
      if (name != "negator" && name != "commutator") continue;
      element arg = d["DefElem"]["arg"];
      if (auto n = name_of(arg["List"]["items"])) operator_named(*n);
      if (auto n = name_of(arg["TypeName"]["names"])) operator_named(*n);
      std::string_view bare;
      if (arg["String"]["sval"].get(bare) == simdjson::SUCCESS)
        operator_named(Name{"", std::string(bare)});
    }
  }

  // t.f and (row).f are f(t) when f takes one row: judged like a call. min_size: the fewest
  // names the list needs for its last one to be a function (t.f: 2; (row).f: 1).
  template <class E>
  void functional_notation(E list, size_t min_size) {
    array fields;
    if (list.get(fields) != simdjson::SUCCESS || fields.size() < min_size) return;
    std::string_view last;
    if (fields.at(fields.size() - 1)["String"]["sval"].get(last) != simdjson::SUCCESS) return;
    for (const PgRoutine& r : routines(Name{"", std::string(last)}))
      if (r.takes_row) judge(r, nullptr);
  }

  // A string the server computes from literals alone, as it will compute it: a || or a cast
  // that a routine of the database could take over is not one.
  template <class E>
  std::optional<std::string> known_string(E e) {
    if (!only_builtins(e)) return std::nullopt;
    if (e["A_Const"].error() != simdjson::SUCCESS) folded_through_operators_ = true;
    element x;
    if constexpr (std::is_same_v<E, element>)
      x = e;
    else if (e.get(x) != simdjson::SUCCESS)
      return std::nullopt;
    return pg_constant_string(JsonNode(x));
  }

  template <class E>
  bool only_builtins(E e) {
    element arg;
    if (e["TypeCast"]["arg"].get(arg) == simdjson::SUCCESS) {
      auto t = name_of(e["TypeCast"]["typeName"]["names"]);
      // A type of that name outside pg_catalog (a domain called text that truncates) could be
      // what the cast means.
      return t && (t->schema.empty() || t->schema == "pg_catalog") &&
             !catalog_.user_type_named(t->name) && only_builtins(arg);
    }
    object expr;
    if (e["A_Expr"].get(expr) == simdjson::SUCCESS) {
      auto op = name_of(expr["name"]);
      return op && (op->schema.empty() || op->schema == "pg_catalog") &&
             !catalog_.user_operator_named(op->name) && only_builtins(expr["lexpr"]) &&
             only_builtins(expr["rexpr"]);
    }
    return e["A_Const"].error() == simdjson::SUCCESS;
  }

  void type_name(element t) {
    auto n = name_of(t["names"]);
    if (!n || !judged_types_.insert(*n).second) return;
    spend();
    for (int64_t oid : catalog_.type_functions("", n->name))
      routine_oid(oid, "type " + n->display());
  }

  void relation(element rv) {
    Name n{std::string(str(rv, "schemaname")), std::string(str(rv, "relname"))};
    if (n.name.empty()) return;
    if ((n.schema.empty() || n.schema == "pg_catalog") && secret_relation(n.name))
      throw Refusal{"it reads " + n.name +
                    ", which holds server files or passwords that the findings would print"};
    if (locking_ > 0) lock_target(n);
    if (!judged_relations_.insert(n).second) return;
    // Any schema: a schema can be renamed between the judgment and the run.
    spend();
    RelationReach r = catalog_.reach("", n.name);
    if (!r.foreign.empty())
      throw Refusal{"it uses " + n.display() + ", which reaches foreign table " + r.foreign +
                    " on another server"};
    // Row-level security policies run their expressions on every row read or written.
    for (const std::string& expr : (spend(), catalog_.policy_expressions("", n.name)))
      sql_text("SELECT " + expr, "a row-level security policy of " + n.display());
    existing_code(n, false);
  }

  // A relation a statement writes to, changes or locks: never one that is or reaches a system
  // catalog (an UPDATE of pg_settings, or of a view over it, calls set_config).
  // Returns how many relations the server walks to lock it: a view expands into what it reads,
  // as often as it reads it, and the server's walk of that cannot be interrupted.
  double lock_target(const Name& n, int depth = 0) {
    if (system_schema(n.schema))
      throw Refusal{"it writes to or locks " + n.display() + ", a system catalog"};
    // Whatever schema is named: a system schema could have been renamed in the same block.
    if (ascii_lower(n.name).starts_with("pg_") && (spend(), catalog_.system_relation_named(n.name)))
      throw Refusal{"it writes to or locks " + n.display() + ", the name of a system catalog"};
    // A name without a schema may resolve to pg_catalog's; one in another schema never does.
    spend();
    RelationReach r = catalog_.reach(n.schema, n.name);
    if (!r.system.empty())
      throw Refusal{"it writes to or locks " + n.display() + ", which reaches system catalog " +
                    r.system};
    // A view's rule records no dependency on the server's own catalogs: read its definition,
    // each view once, and not without end.
    if (depth > 16) throw Refusal{"its views are nested deeper than the sandbox follows"};
    if (auto known = expansion_.find(n); known != expansion_.end()) return known->second;
    if (expansion_.size() > 200) throw Refusal{"it reaches more views than the sandbox follows"};
    expansion_[n] = 1;  // a view that reads itself ends here
    double walked = 1;
    for (const std::string& def : (spend(), catalog_.view_definitions(n.schema, n.name)))
      for (const Name& read : relations_in(def)) {
        try {
          walked += lock_target(read, depth + 1);
        } catch (const Refusal& f) {
          throw Refusal{"it writes to or locks view " + n.display() + ", which reads " +
                        read.display() + ": " + f.reason};
        }
      }
    if (walked > kMaxViewExpansion)
      throw Refusal{"locking " + n.display() + " makes the server walk more than " +
                    std::to_string(static_cast<long>(kMaxViewExpansion)) +
                    " relations through its views, which it cannot be interrupted in"};
    expansion_[n] = walked;
    return walked;
  }

  // The relations a query text names.
  std::vector<Name> relations_in(const std::string& sql) {
    PgParseResult parsed(sql);
    simdjson::dom::parser json;
    element doc;
    if (parsed->error || parse_json(json, parsed->parse_tree, doc))
      throw Refusal{"a view's definition could not be read"};
    std::vector<Name> out;
    collect_relations(doc, out);
    return out;
  }

  void collect_relations(element e, std::vector<Name>& out) {
    Deeper level(walk_depth_, stack_base_);
    object o;
    if (e.get(o) == simdjson::SUCCESS) {
      std::string_view rel;
      if (o["relname"].get(rel) == simdjson::SUCCESS)
        out.push_back({std::string(str(e, "schemaname")), std::string(rel)});
      for (auto [key, value] : o) collect_relations(value, out);
      return;
    }
    array a;
    if (e.get(a) == simdjson::SUCCESS)
      for (element x : a) collect_relations(x, out);
  }

  void judge(const PgRoutine& r, const std::vector<element>* args, bool dependency = false) {
    if (r.builtin) {
      BuiltinVerdict v = builtin_policy(r.name, r.volatility);
      if (v.action == BuiltinAction::refuse)
        throw Refusal{"it calls " + r.display() + ": " + std::string(v.reason)};
      // A column default's nextval('seq'): consumed values are tolerated, and noted.
      if (v.action == BuiltinAction::special && dependency && r.name == "nextval") return;
      if (v.action == BuiltinAction::special) special_call(r, args);
      return;
    }
    if (!judged_routines_.insert(r.oid).second) return;  // judged, or being judged (recursion)
    for (const auto& c : r.config) {
      size_t eq = c.find('=');
      std::string name = ascii_lower(c.substr(0, eq));
      routine_setting_ = true;
      std::string why = setting_refusal(name, eq == std::string::npos
                                                  ? std::nullopt
                                                  : std::optional<std::string>(c.substr(eq + 1)));
      routine_setting_ = false;
      if (!why.empty())
        throw Refusal{"it calls " + r.display() + ", which sets " + name + ": " + why};
    }
    if (r.kind == 'a') {
      for (int64_t part : r.parts) routine_oid(part, "aggregate " + r.display());
      return;
    }
    if (!r.extension.empty() && !checked_language(r.language)) {
      if (!trusted_extension(r.extension))
        throw Refusal{"it calls " + r.display() + " of extension " + r.extension + ": " +
                      std::string(extension_reason(r.extension))};
      if (r.volatility == 'v' && !harmless_volatile_extension_function(r.name))
        throw Refusal{"it calls " + r.display() + ", a volatile function of extension " +
                      r.extension + " that migsafe does not know to be harmless"};
      return;
    }
    if (r.language == "internal" && harmless_internal(r.source)) return;
    if (!checked_language(r.language))
      throw Refusal{"it calls " + r.display() + ", written in " + r.language +
                    ", which the sandbox cannot read"};
    if (r.definition.empty())
      throw Refusal{"it calls " + r.display() + ", whose definition could not be read"};
    std::string what = "routine " + r.display();
    try {
      // The whole CREATE statement: its parameters' defaults run too, and its body.
      sql_text(r.definition, what);
    } catch (const Refusal& f) {
      throw Refusal{f.reason.starts_with("it calls " + r.display())
                        ? f.reason
                        : "it calls " + r.display() + ": " + f.reason};
    }
  }

  void special_call(const PgRoutine& r, const std::vector<element>* args) {
    if (!args || args->empty())
      throw Refusal{"it calls " + r.display() + " in a way whose arguments cannot be checked"};
    auto first = known_string((*args)[0]);
    if (r.name == "set_config") {
      if (!first) throw Refusal{"it calls set_config with a setting name computed at run time"};
      std::string name = ascii_lower(*first);
      std::optional<std::string> value = args->size() > 1 ? known_string((*args)[1]) : std::nullopt;
      if (!value && (name == "search_path" || name == "client_encoding" ||
                     name == "standard_conforming_strings"))
        throw Refusal{"it sets " + name + " through set_config to a value computed at run time"};
      std::string why = setting_refusal(name, value);
      if (!why.empty()) throw Refusal{"it sets " + name + " through set_config: " + why};
      return;
    }
    if (r.name == "nextval") return;  // consumed values are tolerated, and noted by the trace
    // setval: only sequences the trace created are rolled back with it.
    if (!first) {
      if (auto serial = serial_sequence_argument((*args)[0])) {
        for (const std::string& seq : *serial)
          if (!seq.empty() && catalog_.sequence_predates_trace(seq))
            throw Refusal{"it calls setval on sequence " + seq +
                          ", which a rollback does not undo"};
        return;
      }
      throw Refusal{
          "it calls setval on a sequence named at run time; setval is not undone by a "
          "rollback"};
    }
    if (catalog_.sequence_predates_trace(*first))
      throw Refusal{"it calls setval on sequence " + *first + ", which a rollback does not undo"};
  }

  // setval(pg_get_serial_sequence('table', 'column'), ...): the sequences that can name, every
  // table of that name in any schema (a schema can be renamed, or the search_path changed).
  template <class E>
  std::optional<std::vector<std::string>> serial_sequence_argument(E arg) {
    auto fn = name_of(arg["FuncCall"]["funcname"]);
    array args;
    if (!fn || fn->name != "pg_get_serial_sequence" ||
        (!fn->schema.empty() && fn->schema != "pg_catalog") ||
        arg["FuncCall"]["args"].get(args) != simdjson::SUCCESS || args.size() != 2)
      return std::nullopt;
    auto table = known_string(args.at(0));
    auto column = known_string(args.at(1));
    if (!table || !column) return std::nullopt;
    // The server reads the table as an identifier, folded to lower case unless quoted; quoted
    // forms are left to the refusal.
    std::string t = *table;
    if (t.find('"') != std::string::npos) return std::nullopt;
    if (size_t dot = t.rfind('.'); dot != std::string::npos) t = t.substr(dot + 1);
    serial_lookup_ = true;
    spend();
    return catalog_.serial_sequences(ascii_lower(t), *column);
  }

  // One catalog lookup more for this statement's judgment.
  void spend() {
    if (++lookups_ > kMaxLookups)
      throw Refusal{"judging it takes more than " + std::to_string(kMaxLookups) +
                    " catalog lookups, more than the sandbox makes for one statement"};
  }

  PgSandboxCatalog& catalog_;
  std::vector<std::string> text_stack_;
  std::vector<std::string_view> stmt_stack_;
  std::map<std::string, std::vector<PgRoutine>> routine_cache_;
  std::set<int64_t> judged_routines_;
  std::map<int64_t, std::optional<PgRoutine>> routine_by_oid_;
  std::set<std::string> judged_writes_, judged_reads_;  // tables whose existing code was judged
  bool event_triggers_judged_ = false;
  bool renames_ = false;        // the statement renames or moves objects
  bool serial_lookup_ = false;  // a setval's sequence was found through pg_get_serial_sequence
  int lookups_ = 0;
  std::set<Name> judged_operators_, judged_types_, judged_relations_;
  int routine_depth_ = 0;
  int locking_ = 0;  // inside a SELECT ... FOR UPDATE / SHARE
  int walk_depth_ = 0;
  // A string was folded through || or a cast, assuming pg_catalog's; the statement creates
  // operators, types, domains or casts, or changes search_path, which could change what they
  // mean by the time the string is computed (in a loop, or later in the block).
  bool folded_through_operators_ = false;
  bool creates_overrides_ = false;
  bool routine_setting_ = false;      // judging a routine's own SET clause
  std::map<Name, double> expansion_;  // by lock_target: relations a view expands into
  std::uintptr_t stack_base_;         // where the judgment's stack began
};

}  // namespace

SandboxVerdict judge_postgres(std::string_view sql, PgSandboxCatalog& catalog) {
  return Judge(catalog).top(sql);
}

}  // namespace migsafe
