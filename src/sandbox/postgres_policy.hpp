// The PostgreSQL sandbox's policy as tables: which statement kinds run, which settings a
// migration may change, which functions of the server and of extensions are harmless. Compiled
// in, not read from a pack, so that no configuration can loosen it.
#pragma once

#include <optional>
#include <string_view>

#include "migsafe/sandbox.hpp"

namespace migsafe::sandbox {

// A statement node of the parse tree (top level, or nested in a rule, a routine, EXPLAIN ...).
// Nodes missing from the table are refused: a grammar newer than the policy fails closed.
struct StatementPolicy {
  std::string_view node;
  SandboxAction action;     // at the top level; nested, anything but run is refused
  std::string_view reason;  // for skip and refuse
};
const StatementPolicy* statement_policy(std::string_view node);

// A run-time setting. protect: the trace's own (timeouts, transaction characteristics), not
// changed but harmless to skip at the top level; refuse: changes who runs, how text is read,
// or reaches past the transaction.
enum class SettingAction { allow, protect, refuse };
struct SettingVerdict {
  SettingAction action = SettingAction::allow;
  std::string_view reason;
};
SettingVerdict setting_policy(std::string_view name);

// A function that is part of the server. special: allowed only with literal arguments the
// judge checks (set_config's setting name, the sequence of nextval / setval).
enum class BuiltinAction { allow, refuse, special };
struct BuiltinVerdict {
  BuiltinAction action = BuiltinAction::allow;
  std::string_view reason;
};
BuiltinVerdict builtin_policy(std::string_view name, char volatility);

// Extensions whose C functions are known not to reach outside the transaction.
bool trusted_extension(std::string_view name);
// A volatile function of a trusted extension that is harmless (random UUIDs, salts).
bool harmless_volatile_extension_function(std::string_view name);
// Why a call to a function of an untrusted extension is refused (dblink, postgres_fdw, ...).
std::string_view extension_reason(std::string_view extension);

// A selectivity estimator of the planner's, by name.
bool estimator(std::string_view name);
// An internal function the server creates for new types (range constructors), by C symbol.
bool harmless_internal(std::string_view symbol);
// A system view or catalog that holds server files or passwords.
bool secret_relation(std::string_view name);

// Languages whose bodies the sandbox reads; any other is refused.
bool checked_language(std::string_view language);

// DefElem names whose argument may name a function (CREATE AGGREGATE / OPERATOR / TYPE ...):
// all but those known not to.
bool function_valued_option(std::string_view defname);

}  // namespace migsafe::sandbox
