// The migration tools: how each names its files, which annotations it reads, and how it sends a
// file going up and down. The facts are the tools' own (their documentation and source, as the
// README's runner section cites); each tool's reading of its annotations is mirrored here, with
// its case rules: where the tool refuses a file, so does migsafe (an input error); where it
// ignores an annotation, migsafe warns.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "migsafe/ascii.hpp"
#include "migsafe/inputs.hpp"
#include "migsafe/ir.hpp"

namespace migsafe {
namespace {

// Several patterns searched in one pass over a file (RE2::Set), each also compiled alone to
// find where it matches. Most files hold none of a runner's markers, so the one pass is
// usually all there is. Every marker is a "--" comment: a text without one matches none, and
// until a text has one nothing is compiled (the set was a tenth of a pre-commit run).
class MarkerSet {
 public:
  explicit MarkerSet(std::initializer_list<const char*> patterns)
      : set_(RE2::DefaultOptions, RE2::UNANCHORED),
        patterns_(patterns),
        alone_(patterns_.size()),
        compiled_(patterns_.size()) {}
  // The patterns that match somewhere in text, in the order they were given.
  std::vector<size_t> matching(std::string_view text) const {
    if (text.find("--") == std::string_view::npos) return {};
    std::call_once(set_compiled_, [&] {
      for (const char* p : patterns_) set_.Add(p, nullptr);
      set_.Compile();
    });
    std::string comments = comment_lines(text);
    text = comments;
    std::vector<int> hits;
    RE2::Set::ErrorInfo error;
    std::vector<size_t> out;
    if (set_.Match(text, &hits, &error)) {
      for (int h : hits) out.push_back(static_cast<size_t>(h));
    } else if (error.kind != RE2::Set::kNoError) {
      // The set could not run (its DFA ran out of memory): each pattern alone.
      for (size_t i = 0; i < patterns_.size(); ++i)
        if (RE2::PartialMatch(text, alone(i))) out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Where pattern i first matches in text.
  std::optional<uint32_t> find(std::string_view text, size_t i) const {
    re2::StringPiece hit;
    if (!RE2::PartialMatch(text, alone(i), &hit)) return std::nullopt;
    return static_cast<uint32_t>(hit.data() - text.data());
  }

 private:
  // Every marker sits on a "--" line (at most after blanks): only those lines and the blank
  // lines between them can take part in a match, so the search reads those alone. They are
  // found from the "--" (memchr over the long stretches without one), not line by line; the
  // lines between two of them become one "\x01" line when any holds something, else one blank
  // line, which stops a match, or lets it run on, as their text would.
  static std::string comment_lines(std::string_view text) {
    std::string out;
    const char* b = text.data();
    const size_t n = text.size();
    size_t done = 0;  // text before this is accounted for; always at a line start
    auto gap = [&](size_t from, size_t to) {
      if (from >= to) return;
      bool filled = false;
      for (size_t k = from; k < to && !filled; ++k)
        filled = !(b[k] == ' ' || b[k] == '\t' || b[k] == '\r' || b[k] == '\f' || b[k] == '\v' ||
                   b[k] == '\n');
      out += filled ? "\x01\n" : "\n";
    };
    for (size_t at = 0; at + 1 < n;) {
      const void* dash = std::memchr(b + at, '-', n - at - 1);
      if (!dash) break;
      size_t h = static_cast<size_t>(static_cast<const char*>(dash) - b);
      if (b[h + 1] != '-') {
        at = h + 1;
        continue;
      }
      size_t line = h;
      while (line > done && b[line - 1] != '\n') --line;
      const void* nl = std::memchr(b + h, '\n', n - h);
      size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - b) : n;
      gap(done, line);
      out.append(b + line, end - line);
      if (end < n) out += '\n';
      done = at = std::min(end + 1, n);
    }
    gap(done, n);
    return out;
  }

  // Pattern i on its own, compiled the first time a file holds it (rarely: compiling them all
  // up front was a seventh of a short run).
  const RE2& alone(size_t i) const {
    std::call_once(compiled_[i], [&] {
      alone_[i] = std::make_unique<RE2>(std::string("(") + patterns_[i] + ")");
    });
    return *alone_[i];
  }

  mutable RE2::Set set_;
  mutable std::once_flag set_compiled_;
  std::vector<const char*> patterns_;
  mutable std::vector<std::unique_ptr<RE2>> alone_;
  mutable std::vector<std::once_flag> compiled_;
};

namespace fs = std::filesystem;

struct RunnerSpec {
  Layout layout;
  std::string_view name;
  // RE2 on the path relative to the set's folder: the files that run going up, and going down.
  std::string_view up_files;
  std::string_view down_files;
  std::string_view sending;  // how a file is sent by default, for the summary line
};

// automatic: every .sql file until a runner is known; plain: files whose names start with a
// digit, each run statement by statement.
constexpr RunnerSpec kRunners[] = {
    {Layout::automatic, "auto", R"(\.sql$)", "", "autocommit"},
    {Layout::plain, "plain", R"((^|/)[0-9][^/]*\.sql$)", "", "autocommit"},
    {Layout::flyway, "flyway", R"((^|/)(V[0-9][0-9._]*__[^/]*|R__[^/]*)\.[sS][qQ][lL]$)",
     R"((^|/)U[0-9][0-9._]*__[^/]*\.[sS][qQ][lL]$)", "a transaction per file"},
    {Layout::liquibase, "liquibase", R"(\.sql$)", R"(\.sql$)", "a transaction per changeset"},
    {Layout::goose, "goose", R"((^|/)[0-9]+_[^/]*\.sql$)", R"((^|/)[0-9]+_[^/]*\.sql$)",
     "a transaction per file"},
    {Layout::dbmate, "dbmate", R"((^|/)[0-9][^/]*\.sql$)", R"((^|/)[0-9][^/]*\.sql$)",
     "a transaction per section"},
    {Layout::golang_migrate, "golang-migrate", R"((^|/)[0-9]+_[^/]*\.up\.sql$)",
     R"((^|/)[0-9]+_[^/]*\.down\.sql$)", "each file as one query string"},
    {Layout::prisma, "prisma", R"((^|/)[^/]+/migration\.sql$)", "",
     "each file as one query string"},
    {Layout::sqlx, "sqlx", R"((^|/)[0-9]+_[^/]*\.sql$)", R"((^|/)[0-9]+_[^/]*\.down\.sql$)",
     "a transaction per file"},
    {Layout::diesel, "diesel", R"((^|/)[^/]+/up\.sql$)", R"((^|/)[^/]+/down\.sql$)",
     "a transaction per file"},
    {Layout::sql_migrate, "sql-migrate", R"(\.sql$)", R"(\.sql$)", "a transaction per file"},
    {Layout::atlas, "atlas", R"((^|/)[^/]+\.sql$)", "", "a transaction per file"},
    {Layout::drizzle, "drizzle", R"((^|/)[0-9]+_[^/]*\.sql$|(^|/)[^/]+/migration\.sql$)", "",
     "one transaction for all pending migrations"},
};

const RunnerSpec& spec(Layout l) {
  for (const auto& r : kRunners)
    if (r.layout == l) return r;
  return kRunners[0];
}

std::string name_of(Layout l) {
  return std::string(spec(l).name);
}

std::string trim(std::string_view s) {
  return std::string(trim_space(s));
}

// The lines of a text with their byte ranges (without the line break).
struct Line {
  uint32_t begin;
  uint32_t end;   // exclusive, before \r\n / \n / \r
  uint32_t next;  // start of the following line
  std::string_view text;
};

std::vector<Line> lines_of(std::string_view s) {
  std::vector<Line> out;
  uint32_t b = 0;
  for (uint32_t i = 0; i <= s.size(); ++i) {
    bool eol = i == s.size() || s[i] == '\n' || s[i] == '\r';
    if (!eol) continue;
    uint32_t next = i;
    if (i < s.size()) next = (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? i + 2 : i + 1;
    out.push_back({b, i, next, s.substr(b, i - b)});
    if (i == s.size()) break;
    i = next - 1;
    b = next;
  }
  return out;
}

// Whether a line holds SQL (not blank, not only a -- comment).
bool sql_line(std::string_view line) {
  std::string t = trim(line);
  return !t.empty() && !t.starts_with("--");
}

std::optional<std::string> read_small_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > (1u << 20)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A multi-statement string: PostgreSQL makes it one implicit transaction block.
constexpr std::string_view kOneString =
    ", which PostgreSQL runs as one transaction block when it holds several statements";

class Planner {
 public:
  Planner(const SourceText& src, Dialect dialect, Direction dir, const RunnerSettings& settings)
      : src_(src), text_(src.text()), dialect_(dialect), dir_(dir), settings_(settings) {}

  FilePlan plan(Layout runner) {
    plan_.runner = runner;
    switch (runner) {
      case Layout::goose:
        goose();
        break;
      case Layout::dbmate:
        dbmate();
        break;
      case Layout::liquibase:
        liquibase();
        break;
      case Layout::sql_migrate:
        sql_migrate();
        break;
      case Layout::flyway:
        flyway();
        break;
      case Layout::golang_migrate:
        // Its SQLite drivers wrap each file in a transaction; PostgreSQL and MySQL get the file
        // as one string with none.
        if (dialect_ == Dialect::sqlite)
          whole(TransactionMode::per_file, "golang-migrate runs the file in a transaction",
                "x-no-tx-wrap=true in the database URL");
        else
          whole(one_string(),
                "golang-migrate sends the file as one query string" + std::string(kOneString),
                "put the statement alone in a migration file of its own");
        break;
      case Layout::prisma:
        whole(one_string(),
              "Prisma sends migration.sql as one query string" + std::string(kOneString),
              "put the statement alone in a migration of its own");
        break;
      case Layout::sqlx:
        sqlx();
        break;
      case Layout::diesel:
        diesel();
        break;
      case Layout::atlas:
        atlas();
        break;
      case Layout::drizzle:
        whole(TransactionMode::per_file,
              "drizzle's migrator runs all pending migrations in one transaction",
              "run the statement outside drizzle's migrator: it has no way to run a migration "
              "without a transaction");
        break;
      case Layout::automatic:
      case Layout::plain:
        plain();
        break;
    }
    foreign_annotations(runner);
    return std::move(plan_);
  }

 private:
  void error(uint32_t offset, std::string message) {
    plan_.issues.push_back({offset, true, std::move(message)});
  }
  void warn(uint32_t offset, std::string message) {
    plan_.issues.push_back({offset, false, std::move(message)});
  }
  void marker(const Line& l) { plan_.markers.push_back({l.begin, l.end}); }

  void whole(TransactionMode mode, std::string transaction, std::string fix) {
    section(0, text_size(), mode, std::move(transaction), std::move(fix));
  }

  void section(uint32_t begin, uint32_t end, TransactionMode mode, std::string transaction,
               std::string fix) {
    if (end < begin) end = begin;
    plan_.units.push_back(
        {begin, end, mode, std::move(transaction), std::move(fix), plan_.units.size()});
  }

  // How a string of several statements is run: PostgreSQL makes it one implicit transaction;
  // MySQL and SQLite run the statements one by one.
  TransactionMode one_string() const {
    return dialect_ == Dialect::postgres ? TransactionMode::single_query
                                         : TransactionMode::autocommit;
  }

  void plain() {
    switch (settings_.default_mode) {
      case TransactionMode::autocommit:
        whole(TransactionMode::autocommit, "", "");
        break;
      case TransactionMode::per_file:
        whole(TransactionMode::per_file, "the runner wraps each file in a transaction",
              "move it to a migration the runner sends without a transaction");
        break;
      case TransactionMode::single_query:
        whole(TransactionMode::single_query,
              "the runner sends the file as one query string" + std::string(kOneString),
              "put the statement alone in a migration file of its own");
        break;
    }
  }

  // goose: -- +goose Up / Down (any case), StatementBegin / End, NO TRANSACTION (the whole
  // file, both directions), ENVSUB ON / OFF. goose refuses a file with a malformed annotation.
  void goose() {
    std::optional<size_t> up, down;
    std::optional<uint32_t> no_tx;
    bool no_tx_before_down = false;
    for (size_t i = 0; i < lines().size(); ++i) {
      std::string_view line = lines()[i].text;
      std::string t = trim(line);
      if (!t.starts_with("--") || t.find("+goose") == std::string::npos) {
        if (!up && sql_line(line))
          error(lines()[i].begin, "goose refuses SQL before '-- +goose Up'");
        continue;
      }
      marker(lines()[i]);
      if (!line.empty() && std::isspace(static_cast<unsigned char>(line[0])))
        error(lines()[i].begin, "goose refuses an annotation with white space before it");
      std::string cmd = t;
      for (size_t at = cmd.find("--"); at != std::string::npos; at = cmd.find("--"))
        cmd.erase(at, 2);
      cmd.erase(cmd.find("+goose"), 6);
      if (cmd.find("+goose") != std::string::npos)
        error(lines()[i].begin, "goose refuses two annotations on one line");
      std::string c = ascii_lower(trim(cmd));
      if (c == "up") {
        if (up) error(lines()[i].begin, "goose refuses a second '-- +goose Up'");
        up = i;
      } else if (c == "down") {
        if (!up) error(lines()[i].begin, "goose refuses '-- +goose Down' before '-- +goose Up'");
        if (down) error(lines()[i].begin, "goose refuses a second '-- +goose Down'");
        down = i;
      } else if (c == "no transaction") {
        no_tx = lines()[i].begin;
        if (!down) no_tx_before_down = true;
      } else if (c != "statementbegin" && c != "statementend" && c != "envsub on" &&
                 c != "envsub off") {
        error(lines()[i].begin, "goose refuses the unknown annotation '" + t +
                                    "' (it knows Up, Down, StatementBegin, StatementEnd, NO "
                                    "TRANSACTION, ENVSUB ON and ENVSUB OFF)");
      }
    }
    if (!up) {
      error(0, "goose refuses a file without '-- +goose Up'");
      return;
    }
    // NO TRANSACTION applies to the whole file wherever it stands; one only in the Down section
    // reads as if meant for Down alone, and is not.
    if (no_tx && !no_tx_before_down)
      error(*no_tx,
            "'-- +goose NO TRANSACTION' in the Down section applies to the whole file, Up "
            "included: put it at the top of the file");
    TransactionMode mode = no_tx ? TransactionMode::autocommit : TransactionMode::per_file;
    const char* fix =
        "add '-- +goose NO TRANSACTION' at the top of the file (it applies to Up and Down)";
    if (dir_ == Direction::up)
      section(lines()[*up].next, down ? lines()[*down].begin : text_size(), mode,
              "goose runs the Up section in a transaction", fix);
    else if (down)
      section(lines()[*down].next, text_size(), mode,
              "goose runs the Down section in a transaction", fix);
  }

  // dbmate: -- migrate:up / -- migrate:down at column 0 (case-sensitive), each with key:value
  // options; transaction:false (exactly) sends the section without a transaction. A section is
  // sent as one string.
  void dbmate() {
    static const RE2 kMarker(R"(--\s*migrate:(up|down)(\s.*)?)");
    struct Marker {
      size_t line;
      bool up;
      bool tx;
    };
    std::vector<Marker> markers;
    for (size_t i = 0; i < lines().size(); ++i) {
      std::string dir, rest;
      if (!RE2::FullMatch(lines()[i].text, kMarker, &dir, &rest)) {
        if (markers.empty() && sql_line(lines()[i].text))
          error(lines()[i].begin, "dbmate refuses SQL before '-- migrate:up'");
        continue;
      }
      marker(lines()[i]);
      bool tx = true;
      std::istringstream opts(rest);
      for (std::string opt; opts >> opt;) {
        size_t colon = opt.find(':');
        if (colon != std::string::npos && opt.substr(0, colon) == "transaction")
          tx = opt.substr(colon + 1) != "false";
        else
          warn(lines()[i].begin, "dbmate has no option '" + opt + "': it is ignored");
      }
      if (!markers.empty() && markers.back().up == (dir == "up"))
        error(lines()[i].begin, dir == "up" ? "dbmate refuses a '-- migrate:up' section without a "
                                              "'-- migrate:down' marker after it"
                                            : "dbmate refuses a second '-- migrate:down' marker "
                                              "for one '-- migrate:up'");
      if (markers.empty() && dir == "down")
        error(lines()[i].begin, "dbmate refuses '-- migrate:down' before '-- migrate:up'");
      markers.push_back({i, dir == "up", tx});
    }
    if (markers.empty()) {
      error(0, "dbmate refuses a file without '-- migrate:up'");
      return;
    }
    if (markers.back().up)
      error(lines()[markers.back().line].begin,
            "dbmate refuses a '-- migrate:up' section without a '-- migrate:down' marker after it");
    for (size_t k = 0; k < markers.size(); ++k) {
      const Marker& m = markers[k];
      if ((dir_ == Direction::up) != m.up) continue;
      uint32_t begin = lines()[m.line].next;
      uint32_t end = k + 1 < markers.size() ? lines()[markers[k + 1].line].begin : text_size();
      std::string name = m.up ? "migrate:up" : "migrate:down";
      if (m.tx)
        section(begin, end, TransactionMode::per_file,
                "dbmate runs the " + name + " section in a transaction",
                "'-- " + name +
                    " transaction:false', with the statement alone in its section "
                    "(dbmate sends a section as one query string)");
      else
        section(
            begin, end, one_string(),
            "dbmate sends the " + name + " section as one query string" + std::string(kOneString),
            "put the statement alone in a section of its own");
    }
  }

  // Liquibase formatted SQL: --liquibase formatted sql first, then --changeset author:id with
  // attributes (any case); each changeset its own transaction unless runInTransaction is not
  // true; --rollback lines run only going down, changesets newest first.
  void liquibase() {
    static const RE2 kHeader(R"((?i)\s*--\s*liquibase\s*formatted.*)");
    static const RE2 kChangeset(R"((?i)\s*--\s*changeset\s+(\S+)(.*))");
    static const RE2 kRollback(R"((?i)\s*--\s*rollback\b\s?)");
    static const RE2 kKnownLine(
        R"((?i)^\s*--\s*(rollback|comment|validchecksum|preconditions|precondition-|property|ignorelines))");
    size_t first = 0;
    while (first < lines().size() && trim(lines()[first].text).empty()) ++first;
    if (first == lines().size() || !RE2::FullMatch(lines()[first].text, kHeader)) {
      // Without the header Liquibase runs the file as one changeset: one string, in a
      // transaction.
      if (dir_ == Direction::up)
        whole(TransactionMode::per_file,
              "Liquibase runs the file as one changeset, in a transaction",
              "make it a formatted SQL changelog ('--liquibase formatted sql') with "
              "'--changeset author:id runInTransaction:false' before the statement");
      return;
    }
    marker(lines()[first]);
    struct Changeset {
      size_t line;
      std::string id;
      TransactionMode mode;
      bool runs;
      std::vector<std::pair<uint32_t, uint32_t>> rollback;  // the --rollback lines
    };
    std::vector<Changeset> sets;
    bool ignoring = false;
    std::vector<std::pair<uint32_t, uint32_t>> ignored;
    for (size_t i = first + 1; i < lines().size(); ++i) {
      std::string_view line = lines()[i].text;
      std::string id, attrs;
      std::string t = ascii_lower(trim(line));
      std::string squeezed = t;
      std::erase(squeezed, ' ');
      if (squeezed.starts_with("--ignorelines:start")) {
        ignoring = true;
        ignored.push_back({lines()[i].begin, text_size()});
        continue;
      }
      if (ignoring && squeezed.starts_with("--ignorelines:end")) {
        ignoring = false;
        ignored.back().second = lines()[i].next;
        continue;
      }
      if (ignoring) continue;
      if (RE2::FullMatch(line, kChangeset, &id, &attrs)) {
        marker(lines()[i]);
        sets.push_back({i, id, changeset_mode(attrs, lines()[i].begin), changeset_runs(attrs), {}});
        continue;
      }
      if (!sets.empty() && RE2::PartialMatch(line, kRollback)) {
        re2::StringPiece rest(line.data(), line.size());
        RE2::Consume(&rest, kRollback);
        auto prefix = static_cast<uint32_t>(line.size() - rest.size());
        sets.back().rollback.push_back({lines()[i].begin, lines()[i].end});
        if (dir_ == Direction::down)
          plan_.unmask.push_back({lines()[i].begin, lines()[i].begin + prefix});
        if (dir_ == Direction::down &&
            RE2::PartialMatch(rest, R"((?i)^changeset(id|author|path):)"))
          error(lines()[i].begin,
                "migsafe does not follow a --rollback that refers to another "
                "changeset; check that rollback by itself");
        continue;
      }
      if (t.starts_with("/*") && t.find("liquibase rollback") != std::string::npos &&
          dir_ == Direction::down)
        error(lines()[i].begin,
              "migsafe reads --rollback lines, not a /* liquibase rollback */ "
              "block; write the rollback as --rollback lines to have it checked");
      if (t.starts_with("--") && t.size() > 2 && std::isalpha(static_cast<unsigned char>(t[2])) &&
          !RE2::PartialMatch(line, kKnownLine)) {
        size_t colon = t.find(':'), space = t.find(' ');
        if (colon != std::string::npos && (space == std::string::npos || colon < space))
          warn(lines()[i].begin, "Liquibase has no '" + trim(line).substr(0, colon + 1) +
                                     "' line: it is read as a comment");
      }
      if (sets.empty() && sql_line(line))
        warn(lines()[i].begin,
             "SQL before the first --changeset belongs to no changeset: "
             "Liquibase does not run it");
    }
    if (sets.empty()) error(lines()[first].begin, "a formatted SQL changelog without --changeset");
    for (size_t k = 0; k < sets.size(); ++k) {
      const Changeset& c = sets[k];
      if (!c.runs) continue;
      std::string transaction = "Liquibase runs changeset " + c.id + " in a transaction";
      std::string fix = "add runInTransaction:false to '--changeset " + c.id + "'";
      if (c.mode == TransactionMode::single_query) {
        transaction = "Liquibase sends changeset " + c.id +
                      " (splitStatements:false) as one query string" + std::string(kOneString);
        fix = "put the statement alone in a changeset of its own";
      }
      if (dir_ == Direction::up) {
        uint32_t begin = lines()[c.line].next;
        uint32_t end = k + 1 < sets.size() ? lines()[sets[k + 1].line].begin : text_size();
        section(begin, end, c.mode, transaction, fix);
        continue;
      }
      if (c.rollback.empty()) continue;
      // The rollback lines of a changeset run together; lines between them do not.
      size_t group = plan_.units.size();
      for (const auto& [b, e] : c.rollback) {
        section(b, e, c.mode, transaction, fix);
        plan_.units.back().group = group;
      }
    }
    plan_.reverse = dir_ == Direction::down;
    // Ordinary SQL lines between --rollback lines do not run going down.
    for (auto& u : plan_.units)
      for (const auto& [b, e] : ignored) cut(u, b, e);
  }

  TransactionMode changeset_mode(const std::string& attrs, uint32_t at) {
    static const RE2 kAttr(R"((\w+):("[^"]*"|\S*))");
    static constexpr std::string_view kKnown[] = {"runintransaction",
                                                  "splitstatements",
                                                  "enddelimiter",
                                                  "stripcomments",
                                                  "failonerror",
                                                  "runwith",
                                                  "runwithspoolfile",
                                                  "runonchange",
                                                  "runalways",
                                                  "context",
                                                  "contextfilter",
                                                  "labels",
                                                  "dbms",
                                                  "ignore",
                                                  "logicalfilepath",
                                                  "rollbacksplitstatements",
                                                  "rollbackenddelimiter",
                                                  "created",
                                                  "runorder"};
    re2::StringPiece in(attrs);
    std::string key, value;
    bool tx = true, split = true;
    while (RE2::FindAndConsume(&in, kAttr, &key, &value)) {
      std::string k = ascii_lower(key);
      // Java's Boolean.parseBoolean: only "true", in any case, is true.
      if (k == "runintransaction") tx = ascii_lower(value) == "true";
      if (k == "splitstatements") split = ascii_lower(value) == "true";
      if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown))
        warn(at, "Liquibase has no changeset attribute '" + key + "': it is ignored");
    }
    if (!split)
      return one_string() == TransactionMode::single_query
                 ? TransactionMode::single_query
                 : (tx ? TransactionMode::per_file : TransactionMode::autocommit);
    return tx ? TransactionMode::per_file : TransactionMode::autocommit;
  }

  bool changeset_runs(const std::string& attrs) {
    static const RE2 kDbms(R"((?i)\bdbms:("[^"]*"|\S+))");
    static const RE2 kIgnore(R"((?i)\bignore:true\b)");
    if (RE2::PartialMatch(attrs, kIgnore)) return false;
    std::string list;
    if (!RE2::PartialMatch(attrs, kDbms, &list)) return true;
    std::string me = dialect_ == Dialect::postgres  ? "postgresql"
                     : dialect_ == Dialect::sqlite  ? "sqlite"
                     : dialect_ == Dialect::mariadb ? "mariadb"
                                                    : "mysql";
    list = ascii_lower(list);
    std::erase(list, '"');
    bool any_positive = false, listed = false;
    std::istringstream items(list);
    for (std::string item; std::getline(items, item, ',');) {
      item = trim(item);
      if (item.starts_with("!")) {
        if (item.substr(1) == me) return false;
      } else {
        any_positive = true;
        if (item == me || item == "all") listed = true;
      }
    }
    return !any_positive || listed;
  }

  // sql-migrate: -- +migrate Up [notransaction] / Down at column 0, exactly so; unknown commands
  // are ignored by the tool; sections may repeat.
  void sql_migrate() {
    constexpr std::string_view kPrefix = "-- +migrate ";
    bool any = false;
    std::optional<size_t> open;
    bool open_up = false, open_tx = true;
    auto close = [&](uint32_t end) {
      if (!open) return;
      if (open_up == (dir_ == Direction::up)) {
        std::string name = open_up ? "Up" : "Down";
        section(lines()[*open].next, end,
                open_tx ? TransactionMode::per_file : TransactionMode::autocommit,
                "sql-migrate runs the " + name + " section in a transaction",
                "'-- +migrate " + name + " notransaction'");
      }
      open.reset();
    };
    for (size_t i = 0; i < lines().size(); ++i) {
      std::string_view line = lines()[i].text;
      if (!line.starts_with(kPrefix)) continue;
      marker(lines()[i]);
      std::istringstream words(std::string(line.substr(kPrefix.size())));
      std::string cmd, opt;
      words >> cmd;
      if (cmd == "Up" || cmd == "Down") {
        close(lines()[i].begin);
        any = true;
        open = i;
        open_up = cmd == "Up";
        open_tx = true;
        while (words >> opt) {
          if (opt == "notransaction")
            open_tx = false;
          else
            warn(lines()[i].begin, "sql-migrate has no option '" + opt + "': it is ignored");
        }
      } else if (cmd != "StatementBegin" && cmd != "StatementEnd") {
        warn(lines()[i].begin, "sql-migrate has no annotation '" + trim(line) + "': it is ignored");
      }
    }
    close(text_size());
    if (!any) error(0, "sql-migrate refuses a file without '-- +migrate Up' or '-- +migrate Down'");
  }

  // Flyway: a transaction per file, unless every statement is one PostgreSQL refuses in a
  // transaction; a file of both is refused unless mixed is on. A <file>.conf sidecar's
  // executeInTransaction wins.
  void flyway() {
    std::string file = fs::path(src_.path()).filename().string();
    whole(TransactionMode::per_file,
          "Flyway runs the file in a transaction, since it holds statements that need one",
          "move it to a migration of its own (Flyway runs a file of only such statements "
          "without a transaction), or set executeInTransaction=false in " +
              file + ".conf");
    if (auto conf = read_small_file(src_.path() + ".conf")) {
      static const RE2 kTx(R"((?m)^\s*executeInTransaction\s*=\s*(\w+))");
      std::string value;
      if (RE2::PartialMatch(*conf, kTx, &value)) {
        RunUnit& u = plan_.units.back();
        u.mode =
            ascii_lower(value) == "false" ? TransactionMode::autocommit : TransactionMode::per_file;
        u.transaction = "Flyway runs the file in a transaction (executeInTransaction=" + value +
                        " in " + file + ".conf)";
        u.fix = "set executeInTransaction=false in " + file + ".conf";
        return;
      }
    }
    if (dialect_ == Dialect::mysql || dialect_ == Dialect::mariadb) return;  // no such test
    plan_.decided_by_statements = true;
    if (settings_.flyway_mixed) {
      plan_.mixed_allowed = *settings_.flyway_mixed;
      plan_.mixed_from = ".migsafe.yaml";
      return;
    }
    // flyway.conf (flyway.mixed=true) or flyway.toml ([flyway] mixed = true), in the folder of
    // the file or the folders above it.
    static const RE2 kConfMixed(R"((?m)^\s*flyway\.mixed\s*=\s*(\w+))");
    static const RE2 kTomlMixed(R"((?m)^\s*mixed\s*=\s*(\w+))");
    std::error_code ec;
    fs::path dir = fs::absolute(src_.path(), ec).parent_path();
    for (int depth = 0; depth < 8 && !dir.empty(); ++depth, dir = dir.parent_path()) {
      std::string value;
      if (auto conf = read_small_file(dir / "flyway.conf");
          conf && RE2::PartialMatch(*conf, kConfMixed, &value)) {
        plan_.mixed_allowed = ascii_lower(value) == "true";
        plan_.mixed_from = (dir / "flyway.conf").string();
        return;
      }
      if (auto toml = read_small_file(dir / "flyway.toml");
          toml && RE2::PartialMatch(*toml, kTomlMixed, &value)) {
        plan_.mixed_allowed = ascii_lower(value) == "true";
        plan_.mixed_from = (dir / "flyway.toml").string();
        return;
      }
      if (dir == dir.parent_path()) break;
    }
  }

  // sqlx: -- no-transaction as the very first bytes (case-sensitive); ignored on MySQL. The
  // file is sent as one string either way.
  void sqlx() {
    bool no_tx = text_.starts_with("-- no-transaction") && dialect_ != Dialect::mysql &&
                 dialect_ != Dialect::mariadb;
    if (no_tx)
      whole(one_string(),
            "sqlx sends the file (-- no-transaction) as one query string" + std::string(kOneString),
            "keep the statement alone in its file");
    else
      whole(TransactionMode::per_file, "sqlx runs the file in a transaction",
            "start the file with '-- no-transaction' and keep the statement alone in it (sqlx "
            "sends the file as one query string)");
  }

  // diesel: metadata.toml beside up.sql; run_in_transaction = false turns the transaction off
  // (so does a metadata.toml without the key, as diesel reads it). The file is sent as one
  // string either way.
  void diesel() {
    bool tx = true;
    fs::path meta = fs::path(src_.path()).parent_path() / "metadata.toml";
    if (auto text = read_small_file(meta)) {
      static const RE2 kKey(R"((?m)^\s*run_in_transaction\s*=\s*(true|false))");
      std::string value;
      tx = RE2::PartialMatch(*text, kKey, &value) && value == "true";
    }
    if (tx)
      whole(TransactionMode::per_file, "diesel runs the migration in a transaction",
            "set run_in_transaction = false in metadata.toml beside it, with the statement alone "
            "in the file (diesel sends the file as one query string)");
    else
      whole(one_string(),
            "diesel sends the file (run_in_transaction = false) as one query string" +
                std::string(kOneString),
            "keep the statement alone in its file");
  }

  // Atlas: directives in the comment block at the top of the file, which must be followed by a
  // blank line; -- atlas:txmode none|file.
  void atlas() {
    static const RE2 kDirective(R"(\s*(?:--|#)\s*atlas:(\w+)\s*(.*))");
    std::optional<std::string> txmode;
    size_t i = 0;
    std::vector<std::tuple<uint32_t, std::string, std::string>> found;
    for (; i < lines().size(); ++i) {
      std::string t = trim(lines()[i].text);
      if (!(t.starts_with("--") || t.starts_with("#"))) break;
      std::string name, args;
      if (RE2::FullMatch(lines()[i].text, kDirective, &name, &args))
        found.emplace_back(lines()[i].begin, name, trim(args));
    }
    bool block = i < lines().size() && trim(lines()[i].text).empty();
    for (const auto& [at, name, args] : found) {
      if (!block) {
        warn(at,
             "Atlas reads file directives only in a comment block followed by a blank line: "
             "'atlas:" +
                 name + "' is ignored here");
        continue;
      }
      if (name == "txmode") {
        if (txmode) error(at, "Atlas refuses a second atlas:txmode directive");
        if (args == "all")
          error(at, "Atlas refuses atlas:txmode all in a file (file or none)");
        else if (args != "none" && args != "file")
          error(at, "Atlas refuses atlas:txmode " + args + " (file or none)");
        txmode = args;
      } else if (name != "delimiter" && name != "nolint" && name != "checkpoint" && name != "sum") {
        warn(at, "Atlas has no directive 'atlas:" + name + "': it is ignored");
      }
    }
    whole(txmode && *txmode == "none" ? TransactionMode::autocommit : TransactionMode::per_file,
          "Atlas runs the file in a transaction (txmode file)",
          "'-- atlas:txmode none' at the top of the file, followed by a blank line");
  }

  // Annotations of a tool other than the file's: the file cannot be meant for both.
  void foreign_annotations(Layout runner) {
    static const Layout kLayouts[] = {Layout::goose, Layout::dbmate, Layout::liquibase,
                                      Layout::sql_migrate};
    static const MarkerSet kMarkers({
        R"((?im)^\s*--.*\+goose\s+up\b)",
        R"((?m)^--\s*migrate:up\b)",
        R"((?im)^\s*--\s*liquibase\s*formatted)",
        R"((?m)^-- \+migrate (Up|Down)\b)",
    });
    std::vector<std::pair<Layout, uint32_t>> hits;
    for (size_t i : kMarkers.matching(text_))
      if (auto at = kMarkers.find(text_, i)) hits.push_back({kLayouts[i], *at});
    if (runner == Layout::plain || runner == Layout::automatic) {
      if (hits.size() > 1)
        error(hits[1].second, "this file has annotations of " + name_of(hits[0].first) +
                                  " and of " + name_of(hits[1].first) +
                                  ": it cannot be meant for both");
      return;
    }
    for (const auto& [layout, at] : hits)
      if (layout != runner)
        error(at, "this file has annotations of " + name_of(layout) + " in a set run by " +
                      name_of(runner) + ": it cannot be meant for both");
  }

  // Takes [b, e) out of a unit (Liquibase's ignored lines): the part before stays.
  static void cut(RunUnit& u, uint32_t b, uint32_t e) {
    if (e <= u.begin || b >= u.end) return;
    if (b <= u.begin)
      u.begin = std::min(e, u.end);
    else
      u.end = b;
  }

  uint32_t text_size() const { return static_cast<uint32_t>(text_.size()); }

  const SourceText& src_;
  std::string_view text_;
  // The text's lines, split when a runner's markers are read (a plain file needs none).
  const std::vector<Line>& lines() {
    if (!lines_) lines_ = lines_of(text_);
    return *lines_;
  }
  std::optional<std::vector<Line>> lines_;
  Dialect dialect_;
  Direction dir_;
  const RunnerSettings& settings_;
  FilePlan plan_;
};

// The file-name shapes of the runners, read by hand: compiling them as RE2s was a tenth of a
// pre-commit run. tests/runners_test.cpp holds each against its regular expression.
std::string_view base_name(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

bool is_digit(char c) {  // [0-9], whatever the locale
  return c >= '0' && c <= '9';
}

// (^|/)(V[0-9][0-9._]*|R)__[^/]*\.[sS][qQ][lL]$
bool flyway_name(std::string_view rel) {
  std::string_view b = base_name(rel);
  auto sql_after = [&](size_t from) {  // ".sql" in any case, ending b, at or after from
    if (b.size() < from + 4 || b[b.size() - 4] != '.') return false;
    for (size_t i = b.size() - 3; i < b.size(); ++i)
      if (ascii_lower(b[i]) != "sql"[i - (b.size() - 3)]) return false;
    return true;
  };
  if (b.substr(0, 3) == "R__") return sql_after(3);
  if (b.size() < 2 || b[0] != 'V' || !is_digit(b[1])) return false;
  for (size_t k = 2; k < b.size(); ++k) {
    if (b.substr(k, 2) == "__" && sql_after(k + 2)) return true;
    if (!is_digit(b[k]) && b[k] != '.' && b[k] != '_') return false;
  }
  return false;
}

// (^|/)[0-9]+_[^/]*\.up\.sql$
bool up_down_name(std::string_view rel) {
  std::string_view b = base_name(rel);
  size_t d = 0;
  while (d < b.size() && is_digit(b[d])) ++d;
  return d > 0 && d < b.size() && b[d] == '_' && b.size() >= d + 1 + 7 && b.ends_with(".up.sql");
}

// (^|/)[^/]+/NAME$: NAME inside a folder of the set.
bool in_folder_named(std::string_view rel, std::string_view name) {
  if (base_name(rel) != name || rel.size() < name.size() + 2) return false;
  return rel[rel.size() - name.size() - 2] != '/';
}

template <class Match>
bool any_matches(const std::vector<std::string>& rel, Match&& match) {
  return std::any_of(rel.begin(), rel.end(), [&](const std::string& r) { return match(r); });
}

bool file_mentions(const fs::path& path, std::string_view word) {
  auto text = read_small_file(path);
  return text && text->find(word) != std::string::npos;
}

// The project manifest nearest above dir that names one of the tools (a tie-breaker for names
// two tools share).
std::optional<Layout> manifest_runner(const fs::path& dir) {
  struct Mention {
    const char* manifest;
    const char* word;
    Layout layout;
  };
  static const Mention kMentions[] = {
      {"Cargo.toml", "sqlx", Layout::sqlx},
      {"Cargo.toml", "diesel", Layout::diesel},
      {"go.mod", "golang-migrate/migrate", Layout::golang_migrate},
      {"go.mod", "pressly/goose", Layout::goose},
      {"go.mod", "rubenv/sql-migrate", Layout::sql_migrate},
      {"package.json", "drizzle-kit", Layout::drizzle},
      {"package.json", "\"prisma\"", Layout::prisma},
  };
  std::error_code ec;
  fs::path d = fs::absolute(dir, ec);
  for (int depth = 0; depth < 4 && !d.empty(); ++depth, d = d.parent_path()) {
    for (const auto& m : kMentions)
      if (file_mentions(d / m.manifest, m.word)) return m.layout;
    if (d == d.parent_path()) break;
  }
  return std::nullopt;
}

}  // namespace

std::string_view transaction_mode_name(TransactionMode m) {
  switch (m) {
    case TransactionMode::autocommit:
      return "autocommit";
    case TransactionMode::per_file:
      return "per-file";
    case TransactionMode::single_query:
      return "single-query";
  }
  return "autocommit";
}

std::optional<TransactionMode> parse_transaction_mode(std::string_view s) {
  if (s == "autocommit") return TransactionMode::autocommit;
  if (s == "per-file") return TransactionMode::per_file;
  if (s == "single-query") return TransactionMode::single_query;
  return std::nullopt;
}

std::optional<Layout> parse_layout(std::string_view s) {
  for (const auto& r : kRunners)
    if (r.name == s) return r.layout;
  return std::nullopt;
}

std::string_view layout_name(Layout l) {
  return spec(l).name;
}

std::string_view layout_default_sending(Layout l) {
  return spec(l).sending;
}

std::string_view layout_files(Layout l, Direction d) {
  return d == Direction::up ? spec(l).up_files : spec(l).down_files;
}

DownParts down_parts(Layout l) {
  switch (l) {
    case Layout::goose:
    case Layout::dbmate:
    case Layout::liquibase:
    case Layout::sql_migrate:
      return DownParts::same_file;
    case Layout::golang_migrate:
    case Layout::sqlx:
    case Layout::diesel:
    case Layout::flyway:
      return DownParts::own_files;
    default:
      return DownParts::none;
  }
}

std::string layout_names() {
  std::string out;
  for (const auto& r : kRunners) out += (out.empty() ? "" : ", ") + std::string(r.name);
  return out;
}

Layout detect_runner_by_files(const std::string& dir, const std::vector<std::string>& rel) {
  std::error_code ec;
  fs::path d(dir);
  if (fs::exists(d / "atlas.sum", ec)) return Layout::atlas;
  if (fs::exists(d / "meta" / "_journal.json", ec)) return Layout::drizzle;
  if (fs::exists(d / "migration_lock.toml", ec)) return Layout::prisma;
  if (any_matches(rel, flyway_name)) return Layout::flyway;
  std::optional<Layout> manifest = manifest_runner(d);
  if (any_matches(rel, up_down_name))
    return manifest == Layout::sqlx ? Layout::sqlx : Layout::golang_migrate;
  if (any_matches(rel, [](std::string_view r) { return in_folder_named(r, "up.sql"); }))
    return Layout::diesel;
  if (any_matches(rel, [](std::string_view r) { return in_folder_named(r, "migration.sql"); }))
    return manifest == Layout::drizzle ? Layout::drizzle : Layout::prisma;
  // Flat numbered files: the annotations decide, or a manifest naming a tool without any.
  if (manifest == Layout::sqlx) return Layout::sqlx;
  return Layout::automatic;
}

Layout detect_runner_by_text(const std::vector<std::string_view>& texts) {
  static const Layout kLayouts[] = {Layout::liquibase,   Layout::goose,   Layout::dbmate,
                                    Layout::sql_migrate, Layout::drizzle, Layout::sqlx};
  static const MarkerSet kMarkers({
      R"((?i)\A\s*--\s*liquibase\s*formatted)",
      R"((?im)^--.*\+goose\s+up\s*$)",
      R"((?m)^--\s*migrate:up\b)",
      R"((?m)^-- \+migrate (Up|Down)\b)",
      R"(--> statement-breakpoint)",
      R"(\A-- no-transaction)",
  });
  for (std::string_view t : texts)
    if (auto hits = kMarkers.matching(t); !hits.empty()) return kLayouts[hits.front()];
  return Layout::plain;
}

FilePlan plan_file(Layout runner, const SourceText& src, Dialect dialect, Direction dir,
                   const RunnerSettings& settings) {
  return Planner(src, dialect, dir, settings).plan(runner);
}

std::string running_text(const std::string& text, const FilePlan& plan) {
  std::vector<char> keep(text.size(), 0);  // 1: a byte that runs; 2: a comment line kept
  for (const auto& u : plan.units)
    for (uint32_t i = u.begin; i < u.end && i < text.size(); ++i) keep[i] = 1;
  std::vector<char> is_marker(text.size(), 0);
  for (const auto& [b, e] : plan.markers)
    for (uint32_t i = b; i < e && i < text.size(); ++i) is_marker[i] = 1;
  // Comment lines outside the units stay (suppressions, file-level ignores).
  for (const auto& l : lines_of(text)) {
    if (l.begin < text.size() && keep[l.begin] == 1) continue;
    if (l.begin < text.size() && is_marker[l.begin]) continue;
    if (!trim(l.text).starts_with("--")) continue;
    for (uint32_t i = l.begin; i < l.end; ++i)
      if (!keep[i]) keep[i] = 2;
  }
  std::string out(text.size(), ' ');
  for (size_t i = 0; i < text.size(); ++i)
    if (keep[i] || text[i] == '\n' || text[i] == '\r') out[i] = text[i];
  for (const auto& [b, e] : plan.unmask)
    for (uint32_t i = b; i < e && i < text.size(); ++i)
      if (text[i] != '\n' && text[i] != '\r') out[i] = ' ';
  // A unit ends a statement, as the runner sends it alone: a ';' at the first blanked byte after
  // it, before anything else runs.
  for (const auto& u : plan.units) {
    for (uint32_t i = u.end; i < text.size() && keep[i] != 1; ++i) {
      if (keep[i] == 0 && text[i] != '\n' && text[i] != '\r') {
        out[i] = ';';
        break;
      }
    }
  }
  return out;
}

bool flyway_non_transactional(Dialect dialect, int server_major, std::string_view statement) {
  // Flyway reads the leading words of the statement, after its comments, uppercased.
  std::string words;
  size_t i = 0;
  while (i < statement.size() && words.size() < 80) {
    char c = statement[i];
    if (c == '-' && i + 1 < statement.size() && statement[i + 1] == '-') {
      while (i < statement.size() && statement[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < statement.size() && statement[i + 1] == '*') {
      size_t end = statement.find("*/", i + 2);
      i = end == std::string_view::npos ? statement.size() : end + 2;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!words.empty() && words.back() != ' ') words += ' ';
    } else {
      words += ascii_upper(c);
    }
    ++i;
  }
  if (dialect == Dialect::sqlite) return RE2::PartialMatch(words, R"(^PRAGMA FOREIGN_KEYS)");
  if (dialect != Dialect::postgres) return false;
  static const RE2 kNonTx(
      R"(^((CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)\b|ALTER SYSTEM\b|(CREATE|DROP) (UNIQUE )?INDEX CONCURRENTLY\b|REINDEX (VERBOSE )?(SCHEMA|DATABASE|SYSTEM)\b|VACUUM\b|DISCARD ALL\b))");
  if (RE2::PartialMatch(words, kNonTx)) return true;
  static const RE2 kAddValue(R"(^ALTER TYPE \S+ ADD VALUE\b)");
  return server_major < 12 && RE2::PartialMatch(words, kAddValue);
}

}  // namespace migsafe
