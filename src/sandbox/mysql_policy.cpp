// What the MySQL / MariaDB trace may run in its scratch database. The statement is read by
// migsafe's own MySQL lexer with the server's version (so executable comments are read as the
// server will read them); its kind must be one a migration needs, and every name qualified with
// a database must be the snapshot's (mapped into the scratch database) or information_schema.
// Statement kinds and words that reach files, other databases or servers, accounts, the
// server's settings, replication or SQL built at run time are refused wherever they stand,
// inside stored-program bodies too.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>

#include "migsafe/sandbox.hpp"
#include "parse/mysql_lexer.hpp"

namespace migsafe {
namespace {

using mysql::Tok;
using mysql::Token;

std::string upper(std::string_view s) {
  return mysql::ascii_upper(s);
}

// A name as the server reads it: `a``b` is a`b, "x" is x (under ANSI_QUOTES).
std::string unquote(std::string_view text, const Token& t) {
  std::string_view s = mysql::token_text(text, t);
  if ((t.kind != Tok::ident && t.kind != Tok::string) || s.size() < 2) return std::string(s);
  char q = s.front();
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    out += s[i];
    if (s[i] == q && i + 2 < s.size() && s[i + 1] == q) ++i;
  }
  return out;
}

// 12, 1.5, 1e-3, .5, 0x1F, 0b101: a number token that is no name. "9db" lexes as a number too,
// and 9db.t would name a database.
bool plain_number(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'b' || s[1] == 'B'))
    return std::all_of(s.begin() + 2, s.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  bool exponent = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') continue;
    if ((c == 'e' || c == 'E') && !exponent) {
      exponent = true;
      continue;
    }
    return false;
  }
  return true;
}

// Words that reach outside the scratch database wherever they stand: files, dynamic SQL,
// privileges, sessions of others, the server's global settings, other servers.
// PROCESSLIST shows the queries of every session of the account (the application's, when it
// shares it), PERSISTENT writes the server's statistics tables.
constexpr std::array<std::string_view, 24> kOutsideWords = {
    "OUTFILE",      "DUMPFILE",   "INFILE",    "LOAD_FILE",  "SONAME",      "PREPARE",
    "EXECUTE",      "DEALLOCATE", "GRANT",     "REVOKE",     "KILL",        "SHUTDOWN",
    "FLUSH",        "PURGE",      "INSTALL",   "UNINSTALL",  "GLOBAL",      "PERSIST",
    "PERSIST_ONLY", "XA",         "DIRECTORY", "CONNECTION", "PROCESSLIST", "PERSISTENT"};

// Creating partitions is a loop the server does not interrupt, not even for KILL CONNECTION:
// clones with more than this many are not made, and the statement is not traced.
constexpr int64_t kMaxPartitions = 64;

// Word pairs with the same reach (the first word alone is common in migrations).
struct Pair {
  std::string_view first;
  std::initializer_list<std::string_view> second;
};
const Pair kOutsidePairs[] = {
    {"CREATE", {"USER", "ROLE", "DATABASE", "SCHEMA", "SERVER", "EVENT", "TABLESPACE", "LOGFILE"}},
    {"ALTER",
     {"USER", "ROLE", "DATABASE", "SCHEMA", "SERVER", "EVENT", "TABLESPACE", "LOGFILE",
      "INSTANCE"}},
    {"DROP", {"USER", "ROLE", "DATABASE", "SCHEMA", "SERVER", "EVENT", "TABLESPACE", "LOGFILE"}},
    {"RENAME", {"USER"}},
    {"SET", {"PASSWORD", "ROLE"}},
    {"LOAD", {"DATA", "XML", "INDEX"}},
    {"CHANGE", {"MASTER", "REPLICATION"}},
    {"START", {"SLAVE", "REPLICA", "GROUP_REPLICATION", "ALL"}},
    {"STOP", {"SLAVE", "REPLICA", "GROUP_REPLICATION", "ALL"}},
    {"RESET", {"MASTER", "SLAVE", "REPLICA", "QUERY", "PERSIST", "BINARY"}},
    {"CACHE", {"INDEX"}},
    {"LOCK", {"INSTANCE"}},
    {"CLONE", {"INSTANCE", "LOCAL"}},
    {"DEFAULT", {"ROLE"}},
};

// User-defined functions that run programs, as shipped by well-known UDF libraries: they are
// global to the server, so the scratch database does not contain them.
constexpr std::array<std::string_view, 5> kProgramFunctions = {"SYS_EXEC", "SYS_EVAL", "SYS_GET",
                                                               "SYS_SET", "LIB_MYSQLUDF_SYS_INFO"};

// The trace's own limits: a statement may not lift them.
constexpr std::array<std::string_view, 4> kLimits = {
    "MAX_STATEMENT_TIME", "MAX_EXECUTION_TIME", "LOCK_WAIT_TIMEOUT", "INNODB_LOCK_WAIT_TIMEOUT"};

// Names a statement may not use however they are quoted: settings that decide how the server
// reads quotes, backslashes and engines (migsafe's lexer reads them with the defaults), and the
// named-lock functions (each trace holds one that keeps other runs from dropping its scratch
// database).
constexpr std::array<std::string_view, 13> kGuardedNames = {"SQL_MODE",
                                                            "DEFAULT_STORAGE_ENGINE",
                                                            "DEFAULT_TMP_STORAGE_ENGINE",
                                                            "STORAGE_ENGINE",
                                                            "GET_LOCK",
                                                            "RELEASE_LOCK",
                                                            "RELEASE_ALL_LOCKS",
                                                            "IS_FREE_LOCK",
                                                            "IS_USED_LOCK",
                                                            "CHARACTER_SET_CLIENT",
                                                            "CHARACTER_SET_CONNECTION",
                                                            "CHARACTER_SET_RESULTS",
                                                            "COLLATION_CONNECTION"};

// Character sets a session may switch to with SET NAMES / CHARACTER SET: those in which no byte
// of a multi-byte character can be a quote or a backslash (in GBK, Big5, SJIS and others a
// character's second byte can be one, and the server would then read a string differently).
constexpr std::array<std::string_view, 7> kSessionCharsets = {
    "UTF8MB4", "UTF8MB3", "UTF8", "LATIN1", "ASCII", "BINARY", "DEFAULT"};

// The bare name of a variable token: "@@session.Max_Statement_Time" -> MAX_STATEMENT_TIME.
std::string variable_name(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '@' && c != '`' && c != '\'' && c != '"') out += c;
  out = upper(out);
  for (std::string_view scope : {"SESSION.", "LOCAL.", "GLOBAL.", "PERSIST.", "PERSIST_ONLY."})
    if (out.starts_with(scope)) out = out.substr(scope.size());
  return out;
}

// Executable comments whose bodies hold quotes, backslashes or comment marks: where migsafe and
// the server disagreed on whether the comment runs, such a body would hide text from the judge.
bool suspicious_executable_comment(std::string_view sql) {
  for (size_t at = sql.find("/*"); at != std::string_view::npos; at = sql.find("/*", at + 2)) {
    if (at + 2 >= sql.size() || (sql[at + 2] != '!' && sql.compare(at + 2, 2, "M!") != 0)) continue;
    size_t close = sql.find("*/", at + 2);
    std::string_view body = sql.substr(
        at + 2, close == std::string_view::npos ? std::string_view::npos : close - at - 2);
    // The version, if any, has five or six digits: others the server and the lexer may read
    // differently.
    size_t v = body.front() == 'M' ? 2 : 1, digits = 0;
    while (v + digits < body.size() && std::isdigit(static_cast<unsigned char>(body[v + digits])))
      ++digits;
    if (digits != 0 && digits != 5 && digits != 6) return true;
    if (body.find_first_of("'\"`\\#") != std::string_view::npos ||
        body.find("--") != std::string_view::npos || body.find("/*") != std::string_view::npos)
      return true;
  }
  return false;
}

// Storage engines whose tables live in the server's data directory; the others (CONNECT,
// FEDERATED, SPIDER, S3, ...) read or write files or other servers.
constexpr std::array<std::string_view, 9> kLocalEngines = {
    "INNODB", "MYISAM", "ARIA", "MEMORY", "HEAP", "ARCHIVE", "BLACKHOLE", "CSV", "SEQUENCE"};

template <class List>
bool in(const List& list, std::string_view w) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

class Judge {
 public:
  Judge(std::string_view sql, const MysqlSandboxContext& ctx) : ctx_(ctx) {
    mysql::Splitter split(sql, mysql::ServerTarget{ctx.mariadb, ctx.version});
    mysql::RawStatement st;
    int statements = 0;
    while (split.next(st)) {
      if (st.tokens.empty()) continue;
      if (++statements > 1) break;
      raw_ = st;
    }
    if (split.error()) {
      refuse("migsafe cannot read it: " + split.error()->message);
    } else if (statements > 1) {
      refuse("it holds more than one statement");
    } else if (statements == 0) {
      v_.action = SandboxAction::skip;
      v_.reason = "it holds no statement";
    }
    text_ = std::string(sql.substr(0, raw_.end));
    tokens_ = raw_.tokens;
    // Cut before a "-- " comment, a run of dashes can end the text: at the end the server reads
    // its last two as a comment of their own, so it would not run what was judged.
    if (!done_ && text_.ends_with("--"))
      refuse("it ends in '--', which the server reads as the start of a comment");
  }

  MysqlSandboxVerdict judge() {
    if (done_) return v_;
    if (raw_.delimiter_command) {
      v_.action = SandboxAction::skip;
      v_.reason = "it is the client's DELIMITER command";
      return v_;
    }
    words_.reserve(tokens_.size());
    for (const Token& t : tokens_)
      words_.push_back(t.kind == Tok::word ? upper(mysql::token_text(text_, t)) : std::string());
    if (!scan_words() || !leading()) return v_;
    if (!map_names()) return v_;
    v_.action = v_.action == SandboxAction::skip ? SandboxAction::skip : SandboxAction::run;
    return v_;
  }

 private:
  void refuse(std::string why) {
    v_.action = SandboxAction::refuse;
    v_.reason = std::move(why);
    done_ = true;
  }
  const std::string& word(size_t i) const {
    static const std::string none;
    return i < words_.size() ? words_[i] : none;
  }
  bool punct(size_t i, char c) const {
    return i < tokens_.size() && tokens_[i].kind == Tok::punct && text_[tokens_[i].offset] == c;
  }
  bool name_like(size_t i) const {
    return i < tokens_.size() && (tokens_[i].kind == Tok::word || tokens_[i].kind == Tok::ident ||
                                  tokens_[i].kind == Tok::string);
  }

  // Bytes the server and migsafe's lexer could read differently: control characters (DEL
  // completes a "--" comment marker for the server) and NUL.
  bool plain_text() {
    for (char c : text_) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) {
        refuse("it holds a control character, which the server and migsafe may read differently");
        return false;
      }
    }
    if (suspicious_executable_comment(text_)) {
      refuse("an executable comment (/*! ... */) holds quotes, backslashes or comment marks");
      return false;
    }
    return true;
  }

  bool guarded(const std::string& name, std::string_view written) {
    if (in(kLimits, name)) return limits(written);
    if (in(kGuardedNames, name)) {
      refuse("it uses " + name + ", which the trace keeps as it set it");
      return false;
    }
    return true;
  }

  // Words and pairs that reach outside, anywhere in the statement.
  bool scan_words() {
    if (!plain_text()) return false;
    if (count_word("PARTITION") > static_cast<size_t>(kMaxPartitions)) {
      refuse("it names more partitions than the trace makes (" + std::to_string(kMaxPartitions) +
             "): the server cannot interrupt creating them");
      return false;
    }
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      std::string_view s = mysql::token_text(text_, t);
      // A number after "name." is a name to the server (app.1e1), not a decimal (.5).
      bool after_qualifier = i > 1 && punct(i - 1, '.') && name_like(i - 2);
      if (t.kind == Tok::number && (!plain_number(s) || after_qualifier)) {
        refuse("it names something starting with a digit (" + std::string(s) +
               "), which the sandbox does not read as a name");
        return false;
      }
      if (t.kind == Tok::variable) {
        std::string v = upper(s);
        if (v.starts_with("@@GLOBAL.") || v.starts_with("@@PERSIST")) {
          refuse("it sets the server's global settings (" + std::string(s) + ")");
          return false;
        }
        // "@@session.`x`" lexes as the variable and a quoted name right after it.
        std::string name = variable_name(s);
        if (i + 1 < tokens_.size() && tokens_[i + 1].kind == Tok::ident &&
            tokens_[i + 1].offset == t.offset + t.length)
          name += upper(unquote(text_, tokens_[i + 1]));
        if (!guarded(name, s)) return false;
        continue;
      }
      if (t.kind == Tok::ident) {
        if (!guarded(upper(unquote(text_, t)), s)) return false;
        continue;
      }
      const std::string& w = words_[i];
      if (w.empty()) continue;
      if (in(kOutsideWords, w)) {
        refuse("it uses " + w + ", which reaches outside the scratch database");
        return false;
      }
      if (in(kProgramFunctions, w)) {
        refuse("it calls " + w + ", a server-wide function that runs programs");
        return false;
      }
      if (!guarded(w, s)) return false;
      if (ctx_.snapshot_reads &&
          ((w == "FOR" && (word(i + 1) == "UPDATE" || word(i + 1) == "SHARE")) ||
           (w == "IN" && word(i + 1) == "SHARE"))) {
        refuse("it locks rows of the snapshot (" + w + " " + word(i + 1) +
               "), which would hold up the application's writes");
        return false;
      }
      if ((w == "PARTITIONS" || w == "SUBPARTITIONS") && i + 1 < tokens_.size() &&
          tokens_[i + 1].kind == Tok::number) {
        std::string n(mysql::token_text(text_, tokens_[i + 1]));
        if (n.size() > 6 || std::stoll(n) > kMaxPartitions) {
          refuse(w + " " + n + " is more than the trace makes (" + std::to_string(kMaxPartitions) +
                 "): the server cannot interrupt creating them");
          return false;
        }
      }
      if (w == "WAIT" && i + 1 < tokens_.size() && tokens_[i + 1].kind == Tok::number) {
        refuse("WAIT " + std::string(mysql::token_text(text_, tokens_[i + 1])) +
               " lifts the trace's lock wait limit for the statement");
        return false;
      }
      if ((w == "NAMES" || w == "CHARSET" || (w == "CHARACTER" && word(i + 1) == "SET")) && i > 0 &&
          (word(i - 1) == "SET" || punct(i - 1, ','))) {
        size_t c = w == "CHARACTER" ? i + 2 : i + 1;
        std::string charset = name_like(c) ? upper(unquote(text_, tokens_[c])) : std::string();
        if (!in(kSessionCharsets, charset)) {
          refuse("it switches the session to the character set " +
                 (charset.empty() ? std::string("given") : charset) +
                 ", in which the server could read quotes and backslashes differently");
          return false;
        }
      }
      for (const Pair& p : kOutsidePairs)
        if (w == p.first &&
            std::find(p.second.begin(), p.second.end(), word(i + 1)) != p.second.end()) {
          refuse("it uses " + w + " " + word(i + 1) +
                 ", which reaches outside the scratch database");
          return false;
        }
      if (w == "ENGINE") {
        size_t e = punct(i + 1, '=') ? i + 2 : i + 1;
        if (name_like(e) && !in(kLocalEngines, upper(unquote(text_, tokens_[e])))) {
          refuse("it uses the storage engine " + unquote(text_, tokens_[e]) +
                 ", whose tables reach files or other servers");
          return false;
        }
      }
    }
    return true;
  }

  // Setting the trace's own limits: a top-level SET is skipped; anything else is refused.
  bool limits(std::string_view what) {
    if (word(0) == "SET" && !has_word("FOR")) {
      v_.action = SandboxAction::skip;
      v_.reason = "it sets the trace's own limits (" + std::string(what) + ")";
    } else {
      refuse("it changes the trace's own limits (" + std::string(what) + ")");
    }
    done_ = true;
    return false;
  }

  bool has_word(std::string_view w) const {
    return std::find(words_.begin(), words_.end(), w) != words_.end();
  }

  // The object a CREATE / DROP / ALTER names: the first of these words after the verb.
  std::string object_word() const {
    static const std::set<std::string, std::less<>> objects = {
        "TABLE",    "TABLES",   "INDEX",      "VIEW",    "TRIGGER", "PROCEDURE",
        "FUNCTION", "SEQUENCE", "EVENT",      "USER",    "ROLE",    "DATABASE",
        "SCHEMA",   "SERVER",   "TABLESPACE", "LOGFILE", "PACKAGE", "INSTANCE"};
    for (size_t i = 1; i < words_.size() && i < 24; ++i)
      if (objects.count(words_[i])) return words_[i];
    return {};
  }

  // The statement's kind must be one a migration needs.
  bool leading() {
    const std::string& w = word(0);
    static const std::set<std::string, std::less<>> plain = {
        "INSERT", "REPLACE", "UPDATE",   "DELETE", "SELECT",   "WITH",      "VALUES",  "TABLE",
        "CALL",   "DO",      "TRUNCATE", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "UNLOCK",
        "LOCK",   "ANALYZE", "OPTIMIZE", "CHECK",  "REPAIR",   "CHECKSUM",  "SHOW",    "DESCRIBE",
        "DESC",   "EXPLAIN", "RENAME",   "SET",    "BEGIN",    "START"};
    if (punct(0, '(')) return true;  // a parenthesized query
    if (w == "ANALYZE" || w == "OPTIMIZE" || w == "REPAIR" || w == "CHECK" || w == "CHECKSUM") {
      // On empty clones they tell nothing, and ANALYZE writes the server's statistics tables.
      v_.action = SandboxAction::skip;
      v_.reason = w + " TABLE tells nothing on empty clones";
      done_ = true;
      return false;
    }
    if (w == "USE") return use();
    if (w == "START" && word(1) != "TRANSACTION") {
      refuse("START " + word(1) + " is not a statement a migration's trace runs");
      return false;
    }
    if (w == "RENAME" && word(1) != "TABLE") {
      refuse("RENAME " + word(1) + " is not a statement a migration's trace runs");
      return false;
    }
    if (plain.count(w)) return true;
    if (w == "CREATE" || w == "DROP" || w == "ALTER") {
      std::string object = object_word();
      static const std::set<std::string, std::less<>> allowed = {
          "TABLE", "TABLES", "INDEX", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "SEQUENCE"};
      if (!allowed.count(object)) {
        refuse(w + (object.empty() ? std::string(" of this kind") : " " + object) +
               " reaches outside the scratch database");
        return false;
      }
      if (object == "TABLE" && w == "ALTER") alter_table();
      if (object == "INDEX" && w != "ALTER") {
        v_.ddl = MysqlSandboxVerdict::Ddl::index;
        v_.own_clauses = has_word("ALGORITHM") || count_word("LOCK") > 0;
      }
      return true;
    }
    refuse((w.empty() ? std::string("this statement") : w) +
           " is not a statement a migration's trace runs");
    return false;
  }

  size_t count_word(std::string_view w) const {
    return static_cast<size_t>(std::count(words_.begin(), words_.end(), w));
  }

  void alter_table() {
    size_t i = 1;
    while (i < words_.size() && words_[i] != "TABLE") ++i;
    size_t name = i + 1;
    if (!name_like(name)) return;
    size_t last = punct(name + 1, '.') && name_like(name + 2) ? name + 2 : name;
    v_.ddl = MysqlSandboxVerdict::Ddl::alter_table;
    v_.clause_at = tokens_[last].offset + tokens_[last].length;
    v_.own_clauses = has_word("ALGORITHM") || has_word("LOCK");
  }

  bool use() {
    if (!name_like(1) || tokens_.size() != 2) {
      refuse("USE names no single database");
      return false;
    }
    std::string db = unquote(text_, tokens_[1]);
    if (db != ctx_.snapshot_db && db != ctx_.scratch_db) {
      refuse("USE " + db + " leaves the snapshot's database");
      return false;
    }
    v_.sql = "USE " + mysql::quote_ident(ctx_.scratch_db);
    v_.adaptation = "USE of the snapshot's database is the scratch database";
    done_ = true;
    v_.action = SandboxAction::run;
    return false;  // judged: the verdict is complete
  }

  // Every database-qualified name: the snapshot's is mapped into the scratch database,
  // information_schema is read-only, anything else is refused. The names it may use as tables
  // are collected.
  bool map_names() {
    struct Replace {
      uint32_t offset, length;
    };
    std::vector<Replace> replaced;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (!name_like(i)) continue;
      std::string n = unquote(text_, tokens_[i]);
      if (tokens_[i].kind != Tok::string) v_.names.push_back(n);
      bool qualifier = punct(i + 1, '.') && (name_like(i + 2) || punct(i + 2, '*')) &&
                       !(i > 0 && punct(i - 1, '.'));
      if (!qualifier) continue;
      bool three_parts = punct(i + 3, '.') && name_like(i + 4);
      if (n == ctx_.snapshot_db) {
        replaced.push_back({tokens_[i].offset, tokens_[i].length});
        continue;
      }
      if (n == ctx_.scratch_db || upper(n) == "INFORMATION_SCHEMA") continue;
      static const std::set<std::string, std::less<>> system = {"MYSQL", "PERFORMANCE_SCHEMA",
                                                                "SYS"};
      if (three_parts || upper(n) == upper(ctx_.snapshot_db) || system.count(upper(n)) ||
          databases_named(n)) {
        refuse("it names " + n + "." + unquote(text_, tokens_[i + 2]) +
               ", in a database other than the snapshot's");
        return false;
      }
    }
    std::string sql = text_;
    for (auto it = replaced.rbegin(); it != replaced.rend(); ++it) {
      sql.replace(it->offset, it->length, mysql::quote_ident(ctx_.scratch_db));
      if (v_.clause_at > it->offset)
        v_.clause_at +=
            static_cast<uint32_t>(mysql::quote_ident(ctx_.scratch_db).size()) - it->length;
    }
    if (!replaced.empty()) v_.adaptation = "names in the snapshot's database are the scratch's";
    v_.sql = std::move(sql);
    return true;
  }

  bool databases_named(const std::string& n) const {
    return std::find(ctx_.databases.begin(), ctx_.databases.end(), n) != ctx_.databases.end();
  }

  const MysqlSandboxContext& ctx_;
  mysql::RawStatement raw_;
  std::string text_;
  std::vector<Token> tokens_;
  std::vector<std::string> words_;
  MysqlSandboxVerdict v_;
  bool done_ = false;
};

}  // namespace

MysqlSandboxVerdict judge_mysql(std::string_view sql, const MysqlSandboxContext& ctx) {
  return Judge(sql, ctx).judge();
}

}  // namespace migsafe
