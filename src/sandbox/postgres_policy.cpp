#include "postgres_policy.hpp"

#include <algorithm>
#include <array>

namespace migsafe::sandbox {
namespace {

using A = SandboxAction;

// Every statement node of the PostgreSQL 15 grammar, each with what the trace does with it.
constexpr StatementPolicy kStatements[] = {
    // Data and schema changes that a rollback undoes.
    {"SelectStmt", A::run, ""},
    {"InsertStmt", A::run, ""},
    {"UpdateStmt", A::run, ""},
    {"DeleteStmt", A::run, ""},
    {"MergeStmt", A::run, ""},
    {"CreateStmt", A::run, ""},
    {"CreateTableAsStmt", A::run, ""},
    {"AlterTableStmt", A::run, ""},
    {"AlterTableMoveAllStmt", A::run, ""},
    {"ReplicaIdentityStmt", A::run, ""},
    {"IndexStmt", A::run, ""},
    {"DropStmt", A::run, ""},
    {"TruncateStmt", A::run, ""},
    {"RenameStmt", A::run, ""},
    {"AlterObjectSchemaStmt", A::run, ""},
    {"AlterObjectDependsStmt", A::run, ""},
    {"AlterOwnerStmt", A::run, ""},
    {"CommentStmt", A::run, ""},
    {"SecLabelStmt", A::run, ""},
    {"ViewStmt", A::run, ""},
    {"CreateSeqStmt", A::run, ""},
    {"AlterSeqStmt", A::run, ""},
    {"CreateFunctionStmt", A::run, ""},
    {"AlterFunctionStmt", A::run, ""},
    {"DoStmt", A::run, ""},
    {"CallStmt", A::run, ""},
    {"ReturnStmt", A::run, ""},
    {"PLAssignStmt", A::run, ""},
    {"CreateTrigStmt", A::run, ""},
    {"CreateEventTrigStmt", A::run, ""},
    {"CreateDomainStmt", A::run, ""},
    {"AlterDomainStmt", A::run, ""},
    {"CreateEnumStmt", A::run, ""},
    {"AlterEnumStmt", A::run, ""},
    {"CompositeTypeStmt", A::run, ""},
    {"CreateRangeStmt", A::run, ""},
    {"AlterTypeStmt", A::run, ""},
    {"DefineStmt", A::run, ""},
    {"AlterOperatorStmt", A::run, ""},
    {"CreateCastStmt", A::run, ""},
    {"CreateSchemaStmt", A::run, ""},
    {"CreateExtensionStmt", A::run, ""},
    {"CreatePolicyStmt", A::run, ""},
    {"AlterPolicyStmt", A::run, ""},
    {"RuleStmt", A::run, ""},
    {"CreateStatsStmt", A::run, ""},
    {"AlterStatsStmt", A::run, ""},
    {"AlterCollationStmt", A::run, ""},
    {"AlterTSConfigurationStmt", A::run, ""},
    {"AlterTSDictionaryStmt", A::run, ""},
    {"CreatePublicationStmt", A::run, ""},
    {"AlterPublicationStmt", A::run, ""},
    {"GrantStmt", A::run, ""},
    {"GrantRoleStmt", A::run, ""},
    {"AlterDefaultPrivilegesStmt", A::run, ""},
    {"CreateRoleStmt", A::run, ""},
    {"AlterRoleStmt", A::run, ""},
    {"AlterRoleSetStmt", A::run, ""},
    {"DropRoleStmt", A::run, ""},
    {"DropOwnedStmt", A::run, ""},
    {"ReassignOwnedStmt", A::run, ""},
    {"AlterDatabaseSetStmt", A::run, ""},
    {"ClusterStmt", A::run, ""},
    {"ReindexStmt", A::run, ""},
    {"RefreshMatViewStmt", A::run, ""},
    {"LockStmt", A::run, ""},
    {"ConstraintsSetStmt", A::run, ""},
    {"VariableSetStmt", A::run, ""},
    {"VariableShowStmt", A::run, ""},
    {"ExplainStmt", A::run, ""},
    {"DeclareCursorStmt", A::run, ""},
    {"FetchStmt", A::run, ""},
    {"ClosePortalStmt", A::run, ""},
    // Notifications are delivered only when the transaction commits, which the trace's never
    // does.
    {"NotifyStmt", A::run, ""},
    {"PrepareStmt", A::run, ""},
    {"ExecuteStmt", A::run, ""},
    {"DeallocateStmt", A::run, ""},
    // Harmless, but they cannot run inside the trace's one transaction, or their effect
    // (statistics) would outlive the rollback.
    {"TransactionStmt", A::skip,
     "transaction control: the trace runs the whole migration in one "
     "transaction"},
    {"VacuumStmt", A::skip,
     "VACUUM cannot run in the trace's transaction, and ANALYZE statistics "
     "would outlive its rollback"},
    {"DiscardStmt", A::skip, "DISCARD resets the trace's own session"},
    {"CheckPointStmt", A::skip, "CHECKPOINT acts on the whole server"},
    // Reaches outside the transaction or the database.
    {"CopyStmt", A::refuse, "COPY reads or writes outside the database"},
    {"AlterSystemStmt", A::refuse, "ALTER SYSTEM writes the server's configuration file"},
    {"CreatedbStmt", A::refuse, "CREATE DATABASE cannot be rolled back"},
    {"DropdbStmt", A::refuse, "DROP DATABASE cannot be rolled back"},
    {"AlterDatabaseStmt", A::refuse, "ALTER DATABASE changes the whole database"},
    {"AlterDatabaseRefreshCollStmt", A::refuse, "ALTER DATABASE changes the whole database"},
    {"CreateTableSpaceStmt", A::refuse,
     "tablespaces are server folders a rollback does not remove"},
    {"DropTableSpaceStmt", A::refuse, "tablespaces are server folders a rollback does not restore"},
    {"AlterTableSpaceOptionsStmt", A::refuse, "tablespaces belong to the whole server"},
    {"LoadStmt", A::refuse, "LOAD runs a shared library's code on the server"},
    {"CreatePLangStmt", A::refuse, "a new procedural language runs code the sandbox cannot read"},
    {"CreateTransformStmt", A::refuse,
     "transforms call functions in languages the sandbox cannot "
     "read"},
    {"CreateConversionStmt", A::refuse, "conversions call C functions"},
    {"CreateAmStmt", A::refuse, "access methods call C handlers"},
    {"CreateOpClassStmt", A::refuse,
     "operator classes call support functions the trace does not "
     "follow"},
    {"CreateOpFamilyStmt", A::refuse,
     "operator families call support functions the trace does "
     "not follow"},
    {"AlterOpFamilyStmt", A::refuse,
     "operator families call support functions the trace does not "
     "follow"},
    {"AlterExtensionStmt", A::refuse, "an extension update runs its script"},
    {"AlterExtensionContentsStmt", A::refuse, "it changes what an extension owns"},
    {"AlterEventTrigStmt", A::refuse, "enabling an event trigger runs a function on every DDL"},
    {"CreateFdwStmt", A::refuse, "foreign data wrappers reach other servers"},
    {"AlterFdwStmt", A::refuse, "foreign data wrappers reach other servers"},
    {"CreateForeignServerStmt", A::refuse, "foreign servers reach other servers"},
    {"AlterForeignServerStmt", A::refuse, "foreign servers reach other servers"},
    {"CreateUserMappingStmt", A::refuse, "user mappings hold credentials for other servers"},
    {"AlterUserMappingStmt", A::refuse, "user mappings hold credentials for other servers"},
    {"DropUserMappingStmt", A::refuse, "user mappings hold credentials for other servers"},
    {"CreateForeignTableStmt", A::refuse, "foreign tables reach other servers"},
    {"ImportForeignSchemaStmt", A::refuse, "IMPORT FOREIGN SCHEMA reads another server"},
    {"CreateSubscriptionStmt", A::refuse, "subscriptions connect to another server"},
    {"AlterSubscriptionStmt", A::refuse, "subscriptions connect to another server"},
    {"DropSubscriptionStmt", A::refuse,
     "dropping a subscription drops its slot on another "
     "server"},
    {"ListenStmt", A::refuse, "LISTEN waits for other sessions"},
    {"UnlistenStmt", A::refuse, "UNLISTEN belongs with LISTEN"},
};

struct SettingEntry {
  std::string_view name;
  SettingAction action;
  std::string_view reason;
};

constexpr SettingEntry kSettings[] = {
    {"statement_timeout", SettingAction::protect, "the trace keeps its own timeouts"},
    {"lock_timeout", SettingAction::protect, "the trace keeps its own timeouts"},
    {"idle_in_transaction_session_timeout", SettingAction::protect,
     "the trace keeps its own timeouts"},
    {"idle_session_timeout", SettingAction::protect, "the trace keeps its own timeouts"},
    {"client_connection_check_interval", SettingAction::protect,
     "the trace keeps its own timeouts"},
    {"transaction_isolation", SettingAction::protect, "the trace keeps its own transaction"},
    {"transaction_read_only", SettingAction::protect, "the trace keeps its own transaction"},
    {"transaction_deferrable", SettingAction::protect, "the trace keeps its own transaction"},
    {"default_transaction_isolation", SettingAction::protect,
     "the trace keeps its own transaction"},
    {"default_transaction_read_only", SettingAction::protect,
     "the trace keeps its own transaction"},
    {"default_transaction_deferrable", SettingAction::protect,
     "the trace keeps its own transaction"},
    {"role", SettingAction::refuse, "it changes the role the trace runs as"},
    {"session_authorization", SettingAction::refuse, "it changes the role the trace runs as"},
    {"client_encoding", SettingAction::refuse,
     "it changes how the server reads the text of later statements"},
    {"standard_conforming_strings", SettingAction::refuse,
     "it changes how the server reads the text of later statements"},
    {"backslash_quote", SettingAction::refuse,
     "it changes how the server reads the text of later statements"},
    {"zero_damaged_pages", SettingAction::refuse, "it can write to the snapshot's files"},
    {"ignore_invalid_pages", SettingAction::refuse, "it acts on the server's recovery"},
    {"max_stack_depth", SettingAction::refuse, "a deeper stack can crash the server"},
    {"dynamic_library_path", SettingAction::refuse, "it decides which server code is loaded"},
    {"session_preload_libraries", SettingAction::refuse, "it loads server code"},
    {"local_preload_libraries", SettingAction::refuse, "it loads server code"},
    {"session_replication_role", SettingAction::refuse,
     "it wakes triggers and rules that fire only on replicas, which the sandbox did not judge"},
};

struct FunctionEntry {
  std::string_view name;  // a full name, or a prefix ending in '*'
  BuiltinAction action;
  std::string_view reason;
};

// Built-in functions judged by name before their volatility: refused ones (including the
// stable ones that run SQL given as text) and the ones allowed only with checked arguments.
constexpr FunctionEntry kBuiltins[] = {
    {"set_config", BuiltinAction::special, ""},
    {"nextval", BuiltinAction::special, ""},
    {"setval", BuiltinAction::special, ""},
    {"pg_terminate_backend", BuiltinAction::refuse, "it ends another session"},
    {"pg_cancel_backend", BuiltinAction::refuse, "it cancels another session's query"},
    {"pg_stat_reset*", BuiltinAction::refuse,
     "it resets statistics, which a rollback does not restore"},
    {"pg_stat_clear_snapshot", BuiltinAction::refuse, "it acts on the statistics system"},
    // The triggers behind foreign keys.
    {"RI_FKey_*", BuiltinAction::allow, ""},
    // Transaction-level advisory locks end with the trace's rollback, like table locks.
    {"pg_advisory_xact_lock*", BuiltinAction::allow, ""},
    {"pg_try_advisory_xact_lock*", BuiltinAction::allow, ""},
    // Session-level advisory locks are not released by the rollback: they hold until the
    // session ends, which behind a pooler is not when migsafe exits.
    {"pg_advisory*", BuiltinAction::refuse,
     "a session-level advisory lock outlives the rollback (use pg_advisory_xact_lock)"},
    {"pg_try_advisory*", BuiltinAction::refuse,
     "a session-level advisory lock outlives the rollback (use pg_try_advisory_xact_lock)"},
    // Delivered only at commit, which the trace never reaches.
    {"pg_notify", BuiltinAction::allow, ""},
    {"lo_*", BuiltinAction::refuse, "large-object functions read and write server files"},
    {"be_lo_*", BuiltinAction::refuse, "large-object functions read and write server files"},
    {"pg_read_*", BuiltinAction::refuse, "it reads server files"},
    {"pg_ls_*", BuiltinAction::refuse, "it lists server folders"},
    {"pg_stat_file", BuiltinAction::refuse, "it reads server files"},
    {"pg_file_*", BuiltinAction::refuse, "it writes server files"},
    {"pg_reload_conf", BuiltinAction::refuse, "it reloads the server's configuration"},
    {"pg_rotate_logfile", BuiltinAction::refuse, "it acts on the server's log"},
    {"pg_log_backend_memory_contexts", BuiltinAction::refuse, "it signals another session"},
    {"pg_promote", BuiltinAction::refuse, "it acts on replication"},
    {"pg_switch_wal", BuiltinAction::refuse, "it acts on the server's write-ahead log"},
    {"pg_create_restore_point", BuiltinAction::refuse, "it acts on the server's write-ahead log"},
    {"pg_backup_*", BuiltinAction::refuse, "it acts on the server's backups"},
    {"pg_start_backup", BuiltinAction::refuse, "it acts on the server's backups"},
    {"pg_stop_backup", BuiltinAction::refuse, "it acts on the server's backups"},
    {"pg_*replication_slot*", BuiltinAction::refuse, "replication slots outlive the transaction"},
    {"pg_replication_origin*", BuiltinAction::refuse,
     "replication origins outlive the transaction"},
    {"pg_logical_*", BuiltinAction::refuse, "it acts on logical replication"},
    {"pg_import_system_collations", BuiltinAction::refuse,
     "it reads the operating system's locales"},
    {"pg_wal_replay_*", BuiltinAction::refuse, "it acts on replication"},
    {"query_to_xml*", BuiltinAction::refuse, "it runs SQL given as text, which cannot be checked"},
    {"query_to_xmlschema", BuiltinAction::refuse,
     "it runs SQL given as text, which cannot be checked"},
    {"ts_stat", BuiltinAction::refuse, "it runs SQL given as text, which cannot be checked"},
    {"ts_rewrite", BuiltinAction::refuse, "it may run SQL given as text, which cannot be checked"},
    {"database_to_xml*", BuiltinAction::refuse, "it reads the whole database"},
    {"table_to_xml*", BuiltinAction::refuse,
     "it reads a table named by a string, which may be a foreign table"},
    {"schema_to_xml*", BuiltinAction::refuse, "it reads whole schemas"},
};

// Volatile built-ins known to be harmless: they change nothing a rollback leaves behind.
constexpr std::string_view kHarmlessVolatile[] = {
    "random",
    "random_normal",
    "setseed",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v4",
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "txid_current",
    "txid_current_if_assigned",
    "txid_current_snapshot",
    "pg_current_xact_id",
    "pg_current_xact_id_if_assigned",
    "pg_current_snapshot",
    "currval",
    "lastval",
    "pg_relation_size",
    "pg_total_relation_size",
    "pg_table_size",
    "pg_indexes_size",
    "pg_database_size",
    "pg_tablespace_size",
    "pg_relation_filenode",
    "pg_current_wal_lsn",
    "pg_current_wal_insert_lsn",
    "pg_current_wal_flush_lsn",
    "pg_event_trigger_ddl_commands",
    "pg_event_trigger_dropped_objects",
    "pg_event_trigger_table_rewrite_oid",
    "pg_event_trigger_table_rewrite_reason",
    "pg_jit_available",
    "row_security_active",
    // TABLESAMPLE methods.
    "system",
    "bernoulli",
    // Trigger functions of the server, and what partitions and recovery look like.
    "tsvector_update_trigger",
    "tsvector_update_trigger_column",
    "suppress_redundant_updates_trigger",
    "pg_partition_tree",
    "pg_partition_root",
    "pg_partition_ancestors",
    "pg_is_in_recovery",
    "current_query",
};

// Internal functions the server gives new types (CREATE TYPE ... AS RANGE): constructors.
constexpr std::string_view kHarmlessInternal[] = {
    "range_constructor2",      "range_constructor3",      "multirange_constructor0",
    "multirange_constructor1", "multirange_constructor2",
};

// System views and catalogs a migration must not read: server files and passwords, which the
// trace's findings would print.
constexpr std::string_view kSecretRelations[] = {
    "pg_file_settings", "pg_hba_file_rules", "pg_ident_file_mappings", "pg_authid",
    "pg_shadow",        "pg_user_mappings",  "pg_user_mapping",
};

constexpr std::string_view kTrustedExtensions[] = {
    "btree_gin",       "btree_gist",      "citext",   "cube",      "earthdistance",
    "fuzzystrmatch",   "hstore",          "intarray", "isn",       "ltree",
    "pg_trgm",         "pgcrypto",        "plpgsql",  "postgis",   "seg",
    "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "vector",
    "bloom",           "intagg",          "dict_int", "dict_xsyn",
};

constexpr std::string_view kHarmlessVolatileExtension[] = {
    "gen_random_uuid",  "gen_random_bytes", "gen_salt",    "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "normal_rand",      "system_rows", "system_time",
};

struct ExtensionEntry {
  std::string_view name;
  std::string_view reason;
};
constexpr ExtensionEntry kExtensionReasons[] = {
    {"dblink", "it connects to another database"},
    {"postgres_fdw", "it reaches another server"},
    {"file_fdw", "it reads server files"},
    {"adminpack", "it writes server files"},
    {"lo", "it unlinks large objects"},
    {"pg_stat_statements", "it reads or resets the server's statement statistics"},
    {"tablefunc", "it runs SQL given as text"},
    {"pageinspect", "it reads the server's pages"},
    {"pg_prewarm", "it loads relations into the server's cache"},
};

// Options of CREATE AGGREGATE / OPERATOR / TYPE / COLLATION / TEXT SEARCH ... and ALTER TYPE /
// OPERATOR ... SET whose value is not a function. Every other option's value is judged as a
// function name: an old or new spelling (SFUNC1) cannot slip a function past the judge.
constexpr std::string_view kNonFunctionOptions[] = {
    // aggregates
    "basetype", "stype", "stype1", "sspace", "mstype", "msspace", "initcond", "initcond1",
    "minitcond", "sortop", "parallel", "hypothetical", "finalfunc_extra", "finalfunc_modify",
    "mfinalfunc_extra", "mfinalfunc_modify",
    // operators
    "leftarg", "rightarg", "commutator", "negator", "hashes", "merges",
    // types and ranges
    "internallength", "passedbyvalue", "alignment", "storage", "like", "category", "preferred",
    "default", "element", "delimiter", "collatable", "subtype", "subtype_opclass", "collation",
    "multirange_type_name",
    // collations, text search
    "locale", "lc_collate", "lc_ctype", "provider", "deterministic", "from", "version", "rules",
    "icu_locale", "parser", "copy", "template"};

bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) {
    std::string_view stem = pattern.substr(0, pattern.size() - 1);
    size_t star = stem.find('*');
    if (star == std::string_view::npos) return name.starts_with(stem);
    // "pg_*replication_slot*": a prefix and an inner part.
    return name.starts_with(stem.substr(0, star)) &&
           name.find(stem.substr(star + 1)) != std::string_view::npos;
  }
  return pattern == name;
}

template <class Range>
bool contains(const Range& r, std::string_view s) {
  return std::find(std::begin(r), std::end(r), s) != std::end(r);
}

}  // namespace

const StatementPolicy* statement_policy(std::string_view node) {
  for (const auto& p : kStatements)
    if (p.node == node) return &p;
  return nullptr;
}

SettingVerdict setting_policy(std::string_view name) {
  for (const auto& s : kSettings)
    if (s.name == name) return {s.action, s.reason};
  return {};
}

BuiltinVerdict builtin_policy(std::string_view name, char volatility) {
  for (const auto& f : kBuiltins)
    if (name_matches(f.name, name)) return {f.action, f.reason};

  if (volatility != 'v' || contains(kHarmlessVolatile, name)) return {};
  return {BuiltinAction::refuse,
          "it is a volatile built-in function that migsafe does not know to be harmless"};
}

bool trusted_extension(std::string_view name) {
  return contains(kTrustedExtensions, name);
}

bool harmless_volatile_extension_function(std::string_view name) {
  return contains(kHarmlessVolatileExtension, name);
}

std::string_view extension_reason(std::string_view extension) {
  for (const auto& e : kExtensionReasons)
    if (e.name == extension) return e.reason;
  return "its C code is not on migsafe's list of extensions known to stay inside the "
         "transaction";
}

// The planner's own selectivity estimators, which an operator may name as RESTRICT or JOIN.
constexpr std::string_view kEstimators[] = {
    "eqsel",           "neqsel",           "scalarltsel",     "scalarlesel",
    "scalargtsel",     "scalargesel",      "eqjoinsel",       "neqjoinsel",
    "scalarltjoinsel", "scalarlejoinsel",  "scalargtjoinsel", "scalargejoinsel",
    "areasel",         "areajoinsel",      "positionsel",     "positionjoinsel",
    "contsel",         "contjoinsel",      "likesel",         "likejoinsel",
    "iclikesel",       "iclikejoinsel",    "nlikesel",        "nlikejoinsel",
    "icnlikesel",      "icnlikejoinsel",   "regexeqsel",      "regexeqjoinsel",
    "icregexeqsel",    "icregexeqjoinsel", "regexnesel",      "regexnejoinsel",
    "icregexnesel",    "icregexnejoinsel", "matchingsel",     "matchingjoinsel",
    "arraycontsel",    "arraycontjoinsel", "tsmatchsel",      "tsmatchjoinsel",
    "rangesel",        "multirangesel",    "networksel",      "networkjoinsel",
    "prefixsel",       "prefixjoinsel",
};

bool estimator(std::string_view name) {
  return contains(kEstimators, name);
}

bool harmless_internal(std::string_view symbol) {
  return contains(kHarmlessInternal, symbol);
}

bool secret_relation(std::string_view name) {
  return contains(kSecretRelations, name);
}

bool checked_language(std::string_view language) {
  return language == "sql" || language == "plpgsql";
}

bool function_valued_option(std::string_view defname) {
  return !contains(kNonFunctionOptions, defname);
}

}  // namespace migsafe::sandbox
