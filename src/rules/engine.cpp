// The rules engine: walks a migration set in order, keeps the schema model and the transaction
// state current, and asks every rule about every operation.
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "data_questions.hpp"
#include "migsafe/check.hpp"
#include "migsafe/schema.hpp"
#include "session.hpp"
#include "suppress.hpp"

namespace migsafe {
namespace {

// Everything an operation's notes are written from, and nothing else: operations with equal
// inputs have equal notes, so a run writes each distinct set once (a long MySQL file's 124,000
// notes were 17.5 MB, 1.2 MB of them different).
struct NotesInputs {
  QualifiedName table;
  LockMode lock = LockMode::none;
  std::vector<TableLock> other_locks;
  LockMode index_lock = LockMode::none;
  Hold hold = Hold::brief;
  bool blocks_reads = false;
  bool blocks_writes = false;
  Algorithm algorithm = Algorithm::none;
  DdlLock min_lock = DdlLock::none;
  bool in_transaction = false;
  LockMode held_lock = LockMode::none;
  std::string held_by;
  bool operator==(const NotesInputs&) const = default;
};

NotesInputs notes_inputs(const Effect& e, const OpFacts& f) {
  NotesInputs in;
  in.table = e.table;
  in.lock = e.lock;
  in.other_locks = e.other_locks;
  in.index_lock = e.index_lock;
  in.hold = e.hold;
  in.blocks_reads = e.blocks_reads();
  in.blocks_writes = e.blocks_writes();
  in.algorithm = e.algorithm;
  in.min_lock = e.min_lock;
  in.in_transaction = f.in_transaction;
  in.held_lock = f.held_lock;
  // Only read below when it shows: an unused value would tell equal notes apart.
  if (f.in_transaction && f.held_lock > e.lock) in.held_by = f.held_by;
  return in;
}

struct NotesInputsHash {
  size_t operator()(const NotesInputs& in) const {
    auto mix = [](size_t h, size_t v) { return (h ^ v) * 0x9E3779B97F4A7C15ull; };
    size_t h = std::hash<std::string>{}(in.table.name);
    h = mix(h, std::hash<std::string>{}(in.table.schema));
    h = mix(h, static_cast<size_t>(in.lock) | static_cast<size_t>(in.index_lock) << 8 |
                   static_cast<size_t>(in.hold) << 16 | static_cast<size_t>(in.algorithm) << 24 |
                   static_cast<size_t>(in.min_lock) << 32 |
                   static_cast<size_t>(in.held_lock) << 40 |
                   static_cast<size_t>(in.in_transaction) << 48 |
                   static_cast<size_t>(in.blocks_reads) << 49 |
                   static_cast<size_t>(in.blocks_writes) << 50);
    h = mix(h, std::hash<std::string>{}(in.held_by));
    for (const auto& l : in.other_locks)
      h = mix(h, std::hash<std::string>{}(l.table.name) ^ static_cast<size_t>(l.mode));
    return h;
  }
};

std::string hold_phrase(const NotesInputs& e) {
  std::string s;
  switch (e.hold) {
    case Hold::index_build:
      s = "held for the whole build";
      break;
    case Hold::rewrite:
      s = "held while the table is rewritten";
      break;
    case Hold::scan:
      s = "held while every row is read";
      break;
    case Hold::data_change:
      s = "held while the rows change";
      break;
    case Hold::brief:
      s = e.blocks_reads || e.blocks_writes
              ? "held briefly, but while it waits behind running queries everything after it queues"
              : "held briefly";
      break;
  }
  if (e.in_transaction) s += ", and until the transaction commits";
  return s;
}

std::string blocks_phrase(LockMode m) {
  if (lock_blocks_reads(m)) return "reads and writes wait";
  if (lock_blocks_writes(m)) return "INSERT, UPDATE and DELETE wait; reads go on";
  return "reads and writes go on";
}

// Each note is appended in place.
std::vector<std::string> effect_notes(const NotesInputs& e) {
  std::vector<std::string> notes;
  const bool has_table = !e.table.name.empty();
  if (e.lock != LockMode::none && has_table) {
    std::string& s = notes.emplace_back("lock: ");
    s += lock_mode_name(e.lock);
    s += " on ";
    e.table.append_display(s);
    s += ", ";
    s += hold_phrase(e);
    s += ": ";
    s += blocks_phrase(e.lock);
    // The other tables, each once (a self-referencing foreign key locks its table once).
    std::vector<TableLock> all = table_locks(e.table, e.lock, e.other_locks);
    for (size_t i = 1; i < all.size(); ++i) {
      s += "; also ";
      s += lock_mode_name(all[i].mode);
      s += " on ";
      all[i].table.append_display(s);
    }
  }
  if (e.index_lock != LockMode::none) {
    std::string& s = notes.emplace_back("lock: ");
    s += lock_mode_name(e.index_lock);
    s += " on the index";
    if (has_table) {
      s += " of ";
      e.table.append_display(s);
    }
    s += e.index_lock == LockMode::access_exclusive
             ? ": every query planned on the table waits (each locks the table's indexes)"
             : ": reads and writes go on";
  }
  if (e.algorithm != Algorithm::none && has_table) {
    // MySQL / MariaDB: the online-DDL algorithm, what it lets go on, and the metadata lock
    // every ALTER takes, however cheap.
    std::string& s = notes.emplace_back();
    s.reserve(240 + 2 * e.table.name.size());
    s += "online DDL: ";
    s += algorithm_name(e.algorithm);
    s += " with LOCK=";
    s += ddl_lock_name(e.min_lock);
    s += " at least on ";
    e.table.append_display(s);
    s += ": ";
    s += e.min_lock == DdlLock::exclusive ? "reads and writes wait"
         : e.min_lock == DdlLock::shared  ? "INSERT, UPDATE and DELETE wait; reads go on"
                                          : "reads and writes go on";
    s += "; an exclusive metadata lock is taken at the start and the end, and while it waits "
         "behind open transactions every query on ";
    e.table.append_display(s);
    s += " queues";
  }
  if (e.in_transaction && e.held_lock > e.lock && has_table) {
    std::string& s = notes.emplace_back("held: ");
    s += lock_mode_name(e.held_lock);
    s += " on ";
    e.table.append_display(s);
    s += " since ";
    s += e.held_by;
    s += " earlier in this transaction, until it commits: ";
    s += blocks_phrase(e.held_lock);
  }
  return notes;
}

FindingEffect finding_effect(const Effect& e) {
  FindingEffect fe;
  fe.table = e.table.display();
  fe.lock = e.lock;
  fe.blocks_reads = e.blocks_reads();
  fe.blocks_writes = e.blocks_writes();
  fe.rewrite = e.rewrite;
  fe.scan = e.scan;
  fe.other_locks = e.other_locks;
  fe.algorithm = e.algorithm;
  fe.min_lock = e.min_lock;
  return fe;
}

struct Candidate {
  const Rule* rule;
  std::optional<Finding> finding;  // written early only when the snapshot's sizes decide it
  bool dominated = false;          // another candidate of the same cause outranks it
};

// The object an operation creates or drops, as one key for both ("index:app.orders_idx"), so
// that a DROP ... IF EXISTS earlier in the unit is seen to clear the way for the CREATE after it.
// Names compare as the engine compares them: PostgreSQL folded unquoted names already and keeps
// a quoted one's case; the others ignore case. A schema given on one side only does not match.
std::string object_key(const Operation& op, Dialect d) {
  auto norm = [&](std::string_view s) {
    return d == Dialect::postgres ? std::string(s) : ascii_lower(s);
  };
  auto qualified = [&](const QualifiedName& q) {
    return norm(q.schema.empty() ? q.name : q.schema + "." + q.name);
  };
  auto key = [&](std::string_view family, const std::string& name) {
    return name.empty() ? std::string() : std::string(family) + ":" + name;
  };
  auto last = [&](std::string_view s) {
    size_t dot = s.rfind('.');
    return norm(dot == std::string_view::npos ? s : s.substr(dot + 1));
  };
  // An index lives in its table's schema.
  auto index = [&](const std::string& name) {
    return name.empty()
               ? std::string()
               : key("index", norm(op.table.schema.empty() ? name : op.table.schema + "." + name));
  };
  switch (op.kind) {
    case OpKind::create_table:
    case OpKind::create_table_as:
    case OpKind::create_view:
    case OpKind::drop_table:
    case OpKind::drop_view:
      return key("relation", qualified(op.table));
    case OpKind::create_index:
      return index(op.index ? op.index->name : op.object);
    case OpKind::drop_index:
      return index(op.object);
    case OpKind::add_column:
    case OpKind::drop_column: {
      std::string col = op.column_spec ? op.column_spec->name : op.column;
      return col.empty() ? std::string() : key("column", qualified(op.table) + "." + norm(col));
    }
    case OpKind::add_constraint:
    case OpKind::drop_constraint: {
      std::string name = op.constraint ? op.constraint->name : op.object;
      return name.empty() ? std::string()
                          : key("constraint", qualified(op.table) + "." + norm(name));
    }
    case OpKind::create_trigger:
      // PostgreSQL names a trigger per table, MySQL and SQLite per schema.
      return key("trigger", d == Dialect::postgres && !op.object.empty()
                                ? qualified(op.table) + "." + norm(op.object)
                                : norm(op.object));
    case OpKind::create_type:
    case OpKind::create_domain:
      return key("type", norm(op.object));
    case OpKind::create_sequence:
      return key("sequence", norm(op.object));
    case OpKind::create_function:
      return key("function", last(op.object));  // overloads share the name
    case OpKind::create_schema:
    case OpKind::drop_schema:
    case OpKind::drop_database:
      return key("schema", norm(op.object));
    case OpKind::create_extension:
      return key("extension", norm(op.object));
    case OpKind::drop_other: {
      // The object's kind, from the front end's detail: OBJECT_TYPE (PostgreSQL), trigger (MySQL).
      std::string what = ascii_lower(op.detail);
      if (what.find("trigger") != std::string::npos) return key("trigger", norm(op.object));
      if (what.find("sequence") != std::string::npos) return key("sequence", norm(op.object));
      if (what.find("extension") != std::string::npos) return key("extension", norm(op.object));
      if (what.find("function") != std::string::npos || what.find("procedure") != std::string::npos)
        return key("function", last(op.object));
      if (what.find("type") != std::string::npos || what.find("domain") != std::string::npos)
        return key("type", norm(op.object));
      return {};
    }
    default:
      return {};
  }
}

bool is_drop(OpKind k) {
  return k == OpKind::drop_table || k == OpKind::drop_view || k == OpKind::drop_index ||
         k == OpKind::drop_constraint || k == OpKind::drop_other || k == OpKind::drop_column ||
         k == OpKind::drop_schema || k == OpKind::drop_database;
}

}  // namespace

namespace detail {

class Analyzer {
  static constexpr size_t kFreeModelAsideTables = 500;

 public:
  Analyzer(const std::vector<Pack>& packs, const CheckOptions& opt, StatementProbe* probe,
           SnapshotSource* snapshot, StatementTracer* tracer)
      : packs_(packs),
        opt_(opt),
        probe_(probe),
        snapshot_(snapshot),
        tracer_(tracer),
        model_(opt.dialect == Dialect::mysql || opt.dialect == Dialect::mariadb
                   ? IndexNames::per_table
                   : IndexNames::per_schema) {
    if (snapshot_) snapshot_->load_schema(model_);
    for (const auto& p : packs)
      for (const auto& r : p.rules) {
        rule_by_id_.emplace(r.id, &r);  // the first of a name, as find_rule() answers
        if (r.builtin) continue;
        add_rule(r);
        if (r.defer_to_later_statement) deferred_ids_.insert(r.id);
        for (const auto& t : r.when.attrs)
          if (t.name == "dropped_first") tracks_drops_ = true;
        if (r.when.pattern) any_pattern_ = true;
      }
  }

  // A long set's model is a great many small allocations. A process that exits after the check
  // leaves them to its exit. Otherwise they are freed on a thread of their own while the
  // caller goes on to sort and report (freeing them was a tenth of a 20,000-statement check's
  // wall time, measured). With mimalloc that thread only queues each block back to this
  // thread's heap, which then frees them on its next allocations, while reporting: 23 ms of
  // a 20 MB MySQL check, measured.
  ~Analyzer() {
    if (model_.table_count() < kFreeModelAsideTables) return;
    if (opt_.leave_model_to_exit) {
      static_cast<void>(new SchemaModel(std::move(model_)));  // never freed, on purpose
      return;
    }
    try {
      std::thread([gone = std::move(model_)] {}).detach();
    } catch (const std::system_error&) {
      // No thread to be had: the model was moved into the lambda, which frees it here.
    }
  }
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  void begin_file(const SourceText& src, size_t file_index, int model_file, bool traced) {
    traced_ = traced && tracer_ != nullptr;
    src_ = &src;
    file_index_ = file_index;
    model_file_ = model_file;
    found_.clear();
    rewrites_.clear();
    rewrites_indexed_ = 0;
    stmt_of_.clear();
    spans_.clear();
    fired_once_.clear();
    dropped_if_exists_.clear();
    session_.emplace(opt_.transactions,
                     opt_.dialect != Dialect::mysql && opt_.dialect != Dialect::mariadb);
    if (probe_) probe_->begin_file();
  }

  void begin_unit(TransactionMode mode, std::string transaction, std::string fix) {
    session_->start_unit(mode, std::move(transaction), std::move(fix));
    // The runner records each unit (a changeset, a section) once it ran: a failure in the next
    // one does not run this one again.
    pending_.clear();
    dropped_if_exists_.clear();
  }

  void statement(const Statement& st) {
    plans_.clear();
    incomplete_.clear();
    locked_reported_.clear();
    trace_lock_reported_ = false;
    int si = static_cast<int>(spans_.size());
    current_statement_ = si;
    release_pending(st);
    spans_.push_back({st.span.begin, st.span.end, st.span.stop.line});
    std::string normalized = any_pattern_ ? normalize_statement(st.text) : std::string();
    if (probe_) {
      if (auto rejected = probe_->run(st)) {
        found_.push_back(
            builtin_finding("engine-rejects", rejected->offset,
                            "the database engine rejects this statement: " + rejected->message));
        found_.back().statement = st.span;
        stmt_of_.resize(found_.size(), si);
      }
    }
    if (traced_) trace(st, si);
    session_->begin_statement(st);
    routines_run_.clear();
    statement_ddl_ = {};
    computed_for_ = nullptr;
    if ((opt_.dialect == Dialect::mysql || opt_.dialect == Dialect::mariadb) &&
        std::any_of(st.ops.begin(), st.ops.end(),
                    [](const Operation& op) { return has_online_ddl(op.kind); })) {
      // The cheapest clause to suggest, and whether it runs online as written (a statement
      // without online DDL, most of a long file's, needs none).
      statement_ddl_ = statement_needs(st, opt_.version, /*keep_first=*/true);
    }
    for (size_t k = 0; k < st.ops.size(); ++k) {
      op_index_ = k;
      evaluate(st, st.ops[k], normalized, *src_, file_index_);
      stmt_of_.resize(found_.size(), si);
    }
    op_index_ = 0;
    session_->end_statement(st);
    settle_pending(st);
  }

  // --trace: run the statement on the snapshot (rolled back) and report what the server did,
  // and where the static model predicted something else.
  void trace(const Statement& st, int si) {
    std::vector<const Statement*> wanted = statements_to_plan(st);
    std::vector<std::string_view> texts;
    for (const Statement* w : wanted) texts.push_back(w->text);
    TraceResult t = tracer_->trace(st, texts);
    for (size_t i = 0; i < wanted.size() && i < t.plans.size(); ++i)
      plans_[wanted[i]->text.data()] = t.plans[i];
    auto emit = [&](std::string_view id, std::string message) {
      found_.push_back(builtin_finding(id, st.span.begin, std::move(message)));
      found_.back().statement = st.span;
      if (!t.note.empty() && t.traced) found_.back().notes.push_back("trace: " + t.note);
      stmt_of_.resize(found_.size(), si);
    };
    if (t.refused) {
      emit("snapshot-incomplete",
           "not traced: the sandbox refused to run it on the snapshot, "
           "because " +
               t.note);
      found_.back().notes.push_back(
          "so: the locks, rewrites and timing of this statement on the snapshot are unknown, and "
          "later statements of the trace run without its changes");
      return;
    }
    if (t.incomplete) {
      emit("snapshot-incomplete", "not traced: " + t.note);
      found_.back().severity = Severity::warning;
      found_.back().notes.push_back(
          "so: what the server does with this statement is unknown; the static verdicts stand");
      return;
    }
    if (!t.traced) {
      // (A snapshot that runs every check says so only when --trace asks.)
      if (!opt_.trace) return;
      emit("trace", "not traced: " + t.note);
      return;
    }
    trace_lock_reported_ = false;
    using Failure = TraceResult::Failure;
    if (t.sqlstate == "55P03" || t.failure == Failure::lock_timeout) {
      trace_lock_reported_ = true;
      emit("trace-lock-timeout",
           "on the snapshot this statement could not get its lock within the lock timeout: "
           "another session holds a conflicting lock (" +
               t.error + ")");
      return;
    }
    if (t.sqlstate == "57014" || t.failure == Failure::statement_timeout) {
      emit("trace-statement-timeout",
           "on the snapshot this statement ran past the statement timeout");
      return;
    }
    if (t.sqlstate == "42501" || t.failure == Failure::privilege) {
      emit("snapshot-incomplete",
           "not traced: the snapshot role may not run this statement (" + t.error + ")");
      found_.back().severity = Severity::warning;
      found_.back().notes.push_back(
          "so: its locks, rewrites and timing on the snapshot are unknown; trace with a role that "
          "owns the tables (the migration's own role in production may well have the privilege)");
      return;
    }
    bool mysql = opt_.dialect == Dialect::mysql || opt_.dialect == Dialect::mariadb;
    bool sqlite = opt_.dialect == Dialect::sqlite;
    if (!t.error.empty()) {
      emit("engine-rejects", traced_rejection() + t.error);
      return;
    }
    if (mysql) {
      mysql_trace(st, t, emit);
      return;
    }
    if (sqlite) {
      sqlite_trace(t, emit);
      return;
    }
    std::map<std::string, std::vector<LockMode>> taken;  // new lock modes per table
    std::map<std::string, QualifiedName> names;
    for (const auto& l : t.locks) {
      taken[table_key(l.table)].push_back(l.mode);
      names[table_key(l.table)] = l.table;
    }
    std::vector<HeldLock> held = already_held(st, t);
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.ms);
    std::string msg = std::string("on the snapshot: ") + ms;
    for (const auto& [key, modes] : taken)
      msg += "; " + std::string(lock_mode_name(*std::max_element(modes.begin(), modes.end()))) +
             " on " + names[key].display() + " (held to the end of the transaction)";
    for (const auto& h : held)
      msg += "; " + std::string(lock_mode_name(h.mode)) + " on " + h.table +
             " (already held since " + h.by + ")";
    for (const auto& r : t.rewritten) msg += "; rewrote " + r.display();
    for (const auto& s : t.scanned) msg += "; read every row of " + s.display();
    emit("trace", msg);
    for (const auto& n : t.notes) found_.back().notes.push_back("left behind: " + n);
    if (t.stopped) {
      emit("snapshot-incomplete",
           "it changed the server's own objects or the session's settings, which the sandbox's "
           "judgments rely on: the trace stops here, and later statements are not run");
      found_.back().notes.push_back(
          "so: look at this statement by hand; it rewrites the "
          "server itself, which no migration should need");
    }
    std::string here = src_->path() + ":" + std::to_string(st.span.start.line);
    for (const auto& l : t.locks)
      trace_holder_.emplace(std::make_pair(table_key(l.table), l.mode), here);
    if (!t.adapted) compare_with_model(st, t, held, emit);
  }

  // Who refused a traced statement, and where it ran, before the server's own message.
  std::string traced_rejection() const {
    switch (opt_.dialect) {
      case Dialect::sqlite:
        return "SQLite rejects this statement on the copy of the database (its real rows, with "
               "the migration so far applied): ";
      case Dialect::mysql:
      case Dialect::mariadb:
        return std::string(dialect_display(opt_.dialect)) +
               " rejects this statement (replayed on empty clones of the snapshot's tables): ";
      case Dialect::postgres:
        break;
    }
    return "PostgreSQL on the snapshot rejects this statement (run inside the trace's rolled-back "
           "transaction): ";
  }

  // SQLite, where every check runs the migration on a copy of the database: the time each
  // statement took there, said for every statement with --trace and otherwise for the slow
  // ones. A time is never a verdict by itself: the size-aware rules judge.
  template <class Emit>
  void sqlite_trace(const TraceResult& t, Emit& emit) {
    if (!opt_.trace && t.ms < kSlowOnCopyMs) return;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.ms);
    emit("trace", std::string("on the copy of the database: ran in ") + ms);
  }
  static constexpr double kSlowOnCopyMs = 100;

  // MySQL / MariaDB: what the statement needs by itself, without its ALGORITHM= / LOCK=
  // clauses, on that server version.
  // keep_first: the statement is about to be evaluated (at the target version).
  StatementDdl statement_needs(const Statement& st, TargetVersion version, bool keep_first) {
    std::vector<Effect>& effects = statement_effects_;
    effects.clear();
    for (const Operation& op : st.ops)
      effects.push_back(mysql_effect(opt_.dialect, op, model_, version,
                                     !session_->foreign_keys_off(), /*honour_clauses=*/false));
    StatementDdl d = combine_ddl(effects);
    // The first operation's effect is the one its evaluation would compute next: the model has
    // not changed since, and without ALGORITHM= / LOCK= there are no clauses to honour.
    const Operation& first = st.ops.front();
    if (keep_first && first.algorithm.empty() && first.lock_clause.empty()) {
      computed_effect_ = std::move(effects.front());
      computed_for_ = &first;
    }
    return d;
  }

  // What MySQL / MariaDB answered for the statement replayed on empty clones: the ALGORITHM=
  // and LOCK= it accepted, and where that differs from the effects table's prediction.
  template <class Emit>
  void mysql_trace(const Statement& st, const TraceResult& t, Emit& emit) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.ms);
    // The server's own version: the prediction compared is for it, not for --target-version.
    TargetVersion version = t.server_version.value_or(opt_.version);
    std::string msg = "on " + std::string(dialect_display(opt_.dialect)) + " " + version.display() +
                      " (empty clones): ran in " + ms;
    if (t.server_algorithm) {
      msg += "; the least blocking form it accepted: " + t.accepted + " (" +
             (t.algorithm_exact ? std::string(algorithm_name(*t.server_algorithm))
                                : std::string("INPLACE, with or without a rebuild")) +
             ")";
      if (!t.refused_forms.empty())
        msg += ", after refusing " + std::to_string(t.refused_forms.size()) + " less blocking " +
               (t.refused_forms.size() == 1 ? "one" : "ones");
    }
    emit("trace", msg);
    for (const auto& r : t.refused_forms) found_.back().notes.push_back("refused " + r);
    if (!t.server_algorithm) return;
    StatementDdl predicted = statement_needs(st, version, /*keep_first=*/false);
    if (predicted.algorithm == Algorithm::none) return;
    bool inplace_family = [](Algorithm a) {
      return a == Algorithm::inplace || a == Algorithm::rebuild;
    }(predicted.algorithm);
    bool same_algorithm =
        predicted.algorithm == *t.server_algorithm ||
        (!t.algorithm_exact && inplace_family && *t.server_algorithm == Algorithm::rebuild);
    if (!same_algorithm || predicted.min_lock != *t.server_lock)
      emit("trace-mismatch",
           "migsafe predicted ALGORITHM=" + std::string(algorithm_name(predicted.algorithm)) +
               " with LOCK=" + std::string(ddl_lock_name(predicted.min_lock)) +
               ", the server accepted " + t.accepted +
               " as the least blocking form on an empty clone");
  }

  struct HeldLock {
    std::string key;    // table_key
    std::string table;  // as displayed
    LockMode mode;
    std::string by;  // file:line of the traced statement that took it
  };

  // The locks the model says the statement takes that the trace's transaction already held,
  // so that the server could not show them being taken (production takes them here).
  std::vector<HeldLock> already_held(const Statement& st, const TraceResult& t) {
    std::vector<HeldLock> out;
    for (const auto& [key, p] : predicted_locks(st)) {
      bool shown = false;
      for (const auto& l : t.locks) shown |= table_key(l.table) == key && l.mode == p.second;
      auto holder = trace_holder_.find({key, p.second});
      if (!shown && holder != trace_holder_.end())
        out.push_back({key, p.first, p.second, holder->second});
    }
    return out;
  }

  // The model's lock per table of the snapshot for a statement: table_key -> (display, mode).
  std::map<std::string, std::pair<std::string, LockMode>> predicted_locks(const Statement& st) {
    std::map<std::string, std::pair<std::string, LockMode>> out;
    for (const Operation& op : st.ops) {
      if (op.kind == OpKind::do_block || op.kind == OpKind::create_function) return {};
      Effect e = compute_effect(opt_.dialect, op, model_, opt_.version);
      const TableInfo* table = model_.find(e.table);
      if (!table || table->origin.file >= 0 || e.lock == LockMode::none) continue;
      auto& slot = out[table_key(e.table)];
      slot.first = e.table.display();
      slot.second = std::max(slot.second, e.lock);
    }
    return out;
  }

  template <class Emit>
  void compare_with_model(const Statement& st, const TraceResult& t,
                          const std::vector<HeldLock>& held, Emit& emit) {
    for (const Operation& op : st.ops)
      if (op.kind == OpKind::do_block || op.kind == OpKind::create_function) return;
    std::map<std::string, LockMode> server;  // strongest mode per table, taken or already held
    std::map<std::string, std::string> shown;
    for (const auto& l : t.locks) {
      LockMode& m = server[table_key(l.table)];
      m = std::max(m, l.mode);
      shown[table_key(l.table)] = l.table.display();
    }
    for (const auto& h : held) server[h.key] = std::max(server[h.key], h.mode);
    std::set<std::string> predicted_rewrite;
    std::map<std::string, std::pair<std::string, LockMode>> predicted = predicted_locks(st);
    for (const Operation& op : st.ops) {
      Effect e = compute_effect(opt_.dialect, op, model_, opt_.version);
      const TableInfo* table = model_.find(e.table);
      if (!table || table->origin.file >= 0) continue;  // only tables the snapshot had
      predicted.try_emplace(table_key(e.table), e.table.display(), LockMode::none);
      if (e.rewrite) predicted_rewrite.insert(table_key(e.table));
    }
    for (const auto& [key, took] : server) {
      auto it = predicted.find(key);
      if (it == predicted.end() || it->second.second == took || !shown.count(key)) continue;
      emit("trace-mismatch", "migsafe predicted " + std::string(lock_mode_name(it->second.second)) +
                                 " on " + it->second.first + ", the server took " +
                                 std::string(lock_mode_name(took)));
    }
    std::set<std::string> rewritten;
    for (const auto& r : t.rewritten) rewritten.insert(table_key(r));
    for (const auto& [key, p] : predicted) {
      bool said = predicted_rewrite.count(key) > 0, did = rewritten.count(key) > 0;
      if (said != did)
        emit("trace-mismatch", std::string("migsafe predicted ") +
                                   (said ? "a rewrite" : "no rewrite") + " of " + key +
                                   ", the server " + (did ? "rewrote it" : "did not rewrite it"));
    }
  }

  // Data changes on tables of the snapshot whose plan a rule needs: the statement itself, and
  // the statements a DO block or a called routine runs.
  std::vector<const Statement*> statements_to_plan(const Statement& st) {
    std::vector<const Statement*> out;
    auto add = [&](const Statement& s) {
      for (const Operation& op : s.ops)
        if (plan_relevant(op)) {
          out.push_back(&s);
          return;
        }
    };
    add(st);
    for (const Operation& op : st.ops) {
      if (op.kind == OpKind::do_block && op.body)
        for (const Statement& inner : op.body->statements()) add(inner);
      for (const auto& name : op.calls)
        if (auto it = routines_.find(name); it != routines_.end())
          for (const Statement& inner : it->second.body->statements()) add(inner);
    }
    return out;
  }

  bool plan_relevant(const Operation& op) const {
    bool bulk = op.kind == OpKind::update || op.kind == OpKind::delete_rows ||
                (op.kind == OpKind::insert && op.from_select);
    if (!bulk || !snapshot_ || !snapshot_->can_plan()) return false;
    const TableInfo* t = model_.find(effect_of(op).table);
    return t && t->origin.file < 0 && t->stats;
  }

  // The plan of a statement: from the trace (planned in its transaction before the statement
  // ran), else from the read-only snapshot session.
  const PlanResult& plan_of(const Statement& st) {
    auto it = plans_.find(st.text.data());
    if (it != plans_.end()) return it->second;
    if (traced_) {
      PlanResult p;
      p.error = "the trace did not plan it";
      return plans_.emplace(st.text.data(), std::move(p)).first->second;
    }
    return plans_.emplace(st.text.data(), snapshot_->plan(st.text)).first->second;
  }

  // A plan the snapshot could not give: whether the statement scans the table is unknown.
  void plan_missing(const Statement& st, const Operation& op, const Effect& effect,
                    const TableInfo& table, const PlanResult& plan, const SourceText& src,
                    size_t file_index) {
    if (!incomplete_.insert(st.text.data()).second) return;
    bool routine = &src != src_ || st.span.begin != spans_[current_statement_].begin;
    std::string hint;
    const std::string& state = plan.sqlstate;
    if (plan.refused)
      hint = "check this statement by hand, or call only functions the sandbox can read";
    else if (state == "42501")
      hint =
          "the snapshot role lacks the privilege the plan needs (EXPLAIN of UPDATE, DELETE and "
          "INSERT checks the statement's privileges, though it never runs it): grant it, or "
          "use a role that owns the tables";
    else if (state == "55P03")
      hint = "another session holds a lock on the snapshot; run again when it is gone";
    else if (state == "42P01" || state == "42703" || state == "42883" || state == "42704" ||
             state == "42P02")
      hint = routine ? "it uses PL/pgSQL variables or objects the migration creates, which a plan "
                       "cannot see; check its WHERE clause against the indexes of " +
                           effect.table.display()
                     : "it uses objects that earlier statements of the migration create: run "
                       "with --trace to plan it after them";
    else
      hint = "see the server's message";
    Finding f = migsafe::builtin_finding(packs_, "snapshot-incomplete", file_index, src,
                                         std::max(op.location, st.span.begin),
                                         std::string(op.kind == OpKind::update   ? "UPDATE"
                                                     : op.kind == OpKind::insert ? "INSERT"
                                                                                 : "DELETE") +
                                             " on " + effect.table.display() +
                                             " could not be planned on the snapshot, so whether "
                                             "it reads the whole table is unknown: " +
                                             plan.error);
    f.statement = st.span;
    f.notes.push_back("snapshot: " + effect.table.display() + " has " +
                      describe_size(*table.stats));
    f.notes.push_back("to check it: " + hint);
    const Rule* scan_rule = find_rule(packs_, "unindexed-data-change");
    double rows = scan_rule ? scan_rule->threshold_rows : 10000;
    int64_t bytes = scan_rule ? scan_rule->threshold_bytes : 100LL << 20;
    bool small = table.stats->rows >= 0 && table.stats->rows < rows && table.stats->bytes < bytes;
    // Unknown on a big table could have blocked; on a small one it could not. A statement of a
    // routine that names the routine's variables cannot be planned alone at all (a batched
    // backfill loop is the usual case): said, as a warning, for a look by hand.
    bool uses_variables = routine && (state == "42703" || state == "42P01" || state == "42P02");
    f.severity = small || uses_variables ? Severity::warning : Severity::error;
    found_.push_back(std::move(f));
  }

  // The catalog read met a lock another session holds on the table.
  void catalog_lock(const Statement& st, const Effect& effect, const TableInfo& table,
                    const SourceText& src, size_t file_index) {
    if (trace_lock_reported_ || !locked_reported_.insert(st.text.data()).second) return;
    Finding f = migsafe::builtin_finding(
        packs_, "trace-lock-timeout", file_index, src, st.span.begin,
        "on the snapshot another session holds " + table.stats->locked_by + " on " +
            effect.table.display() +
            ": this statement would wait for it, and every query on the table after it");
    f.statement = st.span;
    f.notes.push_back("snapshot: the catalog read could not size " + effect.table.display() +
                      " (its page count is used instead)");
    found_.push_back(std::move(f));
  }

  // Runs the SQL of a DO block or a called function: each inner statement is checked like a
  // top-level one, inside the routine's single transaction, and located in its own file.
  void run_routine(const std::vector<Statement>& body, const SourceText& src, size_t file_index) {
    if (routine_depth_ >= 8) return;  // recursion between functions: stop, the first pass saw it
    ++routine_depth_;
    stmt_of_.resize(found_.size(), current_statement_);
    session_->enter_routine();
    for (const Statement& inner : body) {
      std::string normalized = any_pattern_ ? normalize_statement(inner.text) : std::string();
      int owner = &src == src_ ? current_statement_ : -1;
      for (const Operation& op : inner.ops) {
        evaluate(inner, op, normalized, src, file_index);
        stmt_of_.resize(found_.size(), owner);
      }
    }
    session_->leave_routine();
    --routine_depth_;
  }

  void file_finding(Finding f) { found_.push_back(std::move(f)); }
  void collect_effects(std::vector<OperationEffect>* sink) { effects_ = sink; }

  // defer: later-statement. A finding waits until a later statement of the unit runs after
  // the statement's changes are committed (for one outside a transaction: any later statement).
  struct Pending {
    Finding finding;
    int statement = 0;
    bool in_transaction = false;
    bool committed = false;
  };

  void defer_findings(size_t first_new, bool in_transaction, bool not_atomic_itself) {
    if (deferred_ids_.empty() || not_atomic_itself) return;  // CONCURRENTLY leaves its damage
    size_t keep = first_new;
    for (size_t i = first_new; i < found_.size(); ++i) {
      if (deferred_ids_.count(found_[i].rule_id))
        pending_.push_back({std::move(found_[i]), current_statement_, in_transaction, false});
      else if (keep++ != i)
        found_[keep - 1] = std::move(found_[i]);
    }
    found_.resize(keep);
  }

  static bool can_fail(const Statement& st) {
    return std::any_of(st.ops.begin(), st.ops.end(), [](const Operation& op) {
      return op.kind != OpKind::commit && op.kind != OpKind::rollback && op.kind != OpKind::begin &&
             op.kind != OpKind::savepoint;
    });
  }

  // Before a statement: a failure of it would leave the committed pending changes behind.
  void release_pending(const Statement& st) {
    if (pending_.empty() || !can_fail(st)) return;
    // MySQL / MariaDB DDL commits the open transaction before it runs.
    bool commits = std::any_of(st.ops.begin(), st.ops.end(),
                               [](const Operation& op) { return commits_implicitly(op); });
    bool mysql = opt_.dialect == Dialect::mysql || opt_.dialect == Dialect::mariadb;
    stmt_of_.resize(found_.size(), -1);
    std::vector<Pending> waiting;
    for (auto& p : pending_) {
      if (!p.in_transaction || p.committed || (mysql && commits)) {
        found_.push_back(std::move(p.finding));
        stmt_of_.push_back(p.statement);
      } else {
        waiting.push_back(std::move(p));
      }
    }
    pending_ = std::move(waiting);
  }

  // After a statement: its transaction committed (or rolled back, taking the changes with it).
  void settle_pending(const Statement& st) {
    if (pending_.empty() || session_->file_transaction_open()) return;
    bool rolled_back = std::any_of(st.ops.begin(), st.ops.end(),
                                   [](const Operation& op) { return op.kind == OpKind::rollback; });
    std::erase_if(pending_, [&](const Pending& p) { return p.in_transaction && rolled_back; });
    for (auto& p : pending_) p.committed = true;
  }

  void end_file(const std::vector<Comment>& comments, std::vector<Finding>& out) {
    if (probe_) probe_->end_file();
    pending_.clear();  // nothing came after them
    if (session_->explicit_open())
      found_.push_back(builtin_finding("begin-without-commit", session_->open_begin_offset(),
                                       "BEGIN has no COMMIT: when the file ends, the session "
                                       "closes and everything since BEGIN is rolled back"));
    stmt_of_.resize(found_.size(), -1);
    apply_suppressions(comments);
    // Hand the findings over without a second copy of them in memory.
    // (A reserve of exactly the new size here would move every finding so far, each file.)
    move_findings(found_, out);
  }

  SchemaModel& model() { return model_; }

 private:
  // Filed by kind, and only when its versions take in the target: evaluate() then asks the
  // rest of each condition.
  void add_rule(const Rule& r) {
    if (!r.when.versions.contains(opt_.version)) return;
    for (size_t k = 0; k < rules_by_kind_.size(); ++k) {
      const auto& kinds = r.when.kinds;
      if (kinds.empty() ||
          std::find(kinds.begin(), kinds.end(), static_cast<OpKind>(k)) != kinds.end())
        rules_by_kind_[k].push_back(&r);
    }
  }

  Effect effect_of(const Operation& op) const {
    return compute_effect(opt_.dialect, op, model_, opt_.version, session_->settings());
  }

  void evaluate(const Statement& st, const Operation& op, const std::string& normalized,
                const SourceText& src, size_t file_index) {
    const SessionState& session = *session_;
    const int model_file = model_file_;
    Effect effect = &op == computed_for_ ? std::move(computed_effect_) : effect_of(op);
    computed_for_ = nullptr;
    const TableInfo* table = model_.find(effect.table);
    OpFacts facts;
    facts.table_known = table != nullptr;
    // The table a CREATE TABLE makes is as new as one made earlier in the file.
    facts.table_new = (table && table->origin.file == model_file) ||
                      ((op.kind == OpKind::create_table || op.kind == OpKind::create_table_as) &&
                       !(table && op.if_not_exists));
    facts.in_transaction = session.in_transaction();
    if (facts.in_transaction) {
      facts.transaction = session.transaction_source(*src_);
      facts.transaction_fix = session.transaction_fix();
      facts.transaction_begun = session.transaction_begun();
    }
    facts.nested_begin = session.nested_begin() && op.kind == OpKind::begin;
    facts.ends_runner_transaction = session.ends_runner_transaction() &&
                                    (op.kind == OpKind::commit || op.kind == OpKind::rollback);
    facts.partitioned_table = table && table->partitioned;
    facts.lock_timeout_set = session.lock_timeout_set();
    facts.foreign_keys_off = session.foreign_keys_off();
    facts.snapshot = snapshot_ != nullptr;
    facts.op_index = op_index_;
    facts.in_routine = session.in_routine();
    // MySQL and MariaDB commit at every DDL statement, so nothing there rolls back with its file.
    facts.atomic = session.file_transaction_open() &&
                   !((opt_.dialect == Dialect::mysql || opt_.dialect == Dialect::mariadb) &&
                     commits_implicitly(op));
    // Only a pack that asks about dropped_first pays for the object keys.
    const std::string key = tracks_drops_ ? object_key(op, opt_.dialect) : std::string();
    facts.dropped_first = !key.empty() && dropped_if_exists_.count(key) > 0;
    facts.statement_ddl = statement_ddl_;
    if (table && table->stats) row_version_budget(op, effect, *table, facts);
    if (snapshot_ && table && table->stats && !table->stats->locked_by.empty())
      catalog_lock(st, effect, *table, src, file_index);
    if (snapshot_ && !facts.table_new && plan_relevant(op)) {
      const PlanResult& plan = plan_of(st);
      for (const auto& scan : plan.seq_scans)
        if (scan.relation == effect.table.name && scan.rows >= facts.seq_scan_rows) {
          facts.seq_scan = true;
          facts.seq_scan_rows = scan.rows;
        }
      bool every_row =
          (op.kind == OpKind::update || op.kind == OpKind::delete_rows) && !op.has_where;
      if (!plan.planned && !every_row) plan_missing(st, op, effect, *table, plan, src, file_index);
    }
    if (snapshot_ && table && table->origin.file < 0 && table->stats && !facts.table_new)
      check_rows(st, op, *table, facts, src, file_index);
    if (facts.in_transaction) {
      auto held = session.held(effect.table);
      facts.held_lock = held.mode;
      facts.held_by = held.by;
      facts.access_exclusive_statements = held.statements;
      auto other = session.strongest_elsewhere(effect.table);
      facts.other_held_lock = other.mode;
      facts.other_held_by = other.by;
      if (op.kind == OpKind::validate_constraint)
        facts.added_in_same_transaction = session.added_not_valid(effect.table, op.object);
    }
    EvalInput in{st, op, effect, facts, table, opt_.version, normalized, opt_.dialect};
    // The operation's notes, for its collected effect and every candidate: written once.
    std::shared_ptr<const std::vector<std::string>> notes;
    if (effects_ && routine_depth_ == 0) {
      notes = notes_for(effect, facts);
      effects_->push_back({file_index, st.span, std::string(op_sql_words(op.kind)),
                           effect.table.display(), *notes, effect});
    }

    // The rules that match; a finding's text is written only for those kept (a quarter of a long
    // MySQL file's matches are dominated by another rule of the same cause).
    std::vector<Candidate>& candidates = candidates_;
    candidates.clear();
    std::shared_ptr<const std::string> reason_why;
    auto build = [&](const Rule& r) {
      Finding f;
      f.rule_id = r.id;
      f.severity = r.severity;
      f.file = file_index;
      f.statement = st.span;
      f.at = src.position(std::max(op.location, st.span.begin), st.span.start.line);
      const RuleTexts& texts = texts_of(r);
      f.title = texts.title;
      f.message = texts.message.expand(in);
      if (!notes) notes = notes_for(effect, facts);
      f.operation_notes = notes;
      if (!effect.reason.empty()) {
        if (!reason_why) reason_why = std::make_shared<const std::string>(effect.reason);
        f.why = reason_why;
      } else if (texts.why) {
        f.why = std::make_shared<const std::string>(texts.why->expand(in));
      } else {
        f.why = shared_why(r);
      }
      f.instead = texts.instead.expand(in);
      while (!f.instead.empty() && f.instead.back() == '\n') f.instead.pop_back();
      f.docs = texts.docs;
      f.effect = finding_effect(effect);
      // The plan reads the whole table: the effect says what the message says.
      if (facts.seq_scan) f.effect->scan = true;
      return f;
    };
    for (const Rule* r : rules_by_kind_[static_cast<size_t>(op.kind)]) {
      if (r->once_per_file && fired_once_.count(r->id)) continue;
      if (!filed_condition_matches(r->when, in)) continue;
      if (r->once_per_file) fired_once_.insert(r->id);
      Candidate c{r, std::nullopt, false};
      // A size-dependent rule reads the snapshot's sizes now: under its threshold it may go.
      if (r->size_dependent && table && table->stats) {
        c.finding = build(*r);
        if (!apply_size(*r, *table->stats, effect, *c.finding)) continue;
      }
      candidates.push_back(std::move(c));
    }
    const bool quiet = candidates.size() > 1;
    keep_one_per_cause(candidates);
    size_t first_new = found_.size();
    for (Candidate& c : candidates) {
      Finding& f = found_.emplace_back(c.finding ? std::move(*c.finding) : build(*c.rule));
      if (snapshot_ && op.kind == OpKind::drop_index) index_users(op, f);
      if (quiet && c.rule->secondary) quiet_secondary(*c.rule, f, in);
    }
    if (found_.size() > first_new) merge_rewrites(first_new, st);
    defer_findings(first_new, facts.atomic, effect.tx == TxRule::outside_block);

    model_.apply(op, model_file, st.transaction);
    session_->record(op, effect);
    if (op.if_exists && !key.empty() && is_drop(op.kind)) dropped_if_exists_.insert(key);

    if (op.kind == OpKind::do_block && op.body) run_routine(op.body->statements(), src, file_index);
    if (op.kind == OpKind::create_function && op.body)
      routines_[op.object] = Routine{op.body, &src, file_index};
    for (const auto& name : op.calls) {
      auto it = routines_.find(name);
      // A routine runs once per top-level statement: its statements were checked, and calls
      // that fan out (each body calling the next ten times) would otherwise cost fanout^depth.
      if (it != routines_.end() && routines_run_.insert(name).second) {
        Routine r = it->second;  // the map may change while the body runs
        run_routine(r.body->statements(), *r.src, r.file_index);
      }
    }
  }

  // The snapshot's row versions of the table, plus the instant column changes of the migration
  // so far: past the budget, ALGORITHM=INSTANT fails and the change needs a rebuild.
  void row_version_budget(const Operation& op, const Effect& effect, const TableInfo& table,
                          OpFacts& facts) {
    if (table.stats->row_versions < 0 || !uses_row_version(opt_.dialect, opt_.version, op, effect))
      return;
    int& used = row_versions_used_[table_key(table.name)];
    facts.row_versions = table.stats->row_versions + used;
    facts.row_version_limit = row_version_limit(opt_.dialect, opt_.version);
    ++used;
    facts.row_versions_exhausted = facts.row_versions >= facts.row_version_limit;
  }

  // Counts, on the snapshot, the rows that would make the change fail (read-only, under the
  // statement timeout): the change fails in production otherwise.
  void check_rows(const Statement& st, const Operation& op, const TableInfo& table, OpFacts& facts,
                  const SourceText& src, size_t file_index) {
    for (const DataQuestion& q : data_questions(opt_.dialect, op, table)) {
      DataAnswer a = snapshot_->check_data(q);
      std::string cols;
      for (const auto& c : q.columns) cols += (cols.empty() ? "" : ", ") + c;
      if (!a.answered) {
        if (a.unknown_column) continue;  // added by a migration: the snapshot has no rows of it
        Finding f = migsafe::builtin_finding(
            packs_, "snapshot-incomplete", file_index, src, std::max(op.location, st.span.begin),
            "whether the rows of " + table.name.display() +
                " allow this change could not be counted on the snapshot: " + a.error);
        f.statement = st.span;
        f.severity = Severity::warning;
        found_.push_back(std::move(f));
        continue;
      }
      if (a.rows <= 0) continue;
      facts.data_fails = true;
      std::string n = std::to_string(a.rows);
      switch (q.kind) {
        case DataQuestion::Kind::nulls:
          facts.data_failure = n + (a.rows == 1 ? " row" : " rows") + " of " +
                               table.name.display() + " have NULL in (" + cols + "), e.g. " +
                               a.example + ": the change fails on them";
          break;
        case DataQuestion::Kind::duplicates:
          facts.data_failure = n + (a.rows == 1 ? " value" : " values") + " of (" + cols + ") in " +
                               table.name.display() + " occur more than once, e.g. " + a.example +
                               ": the unique index cannot be built";
          break;
        case DataQuestion::Kind::orphans:
          facts.data_failure = n + (a.rows == 1 ? " row" : " rows") + " of " +
                               table.name.display() + " reference (" + cols + ") values that " +
                               q.ref_table.display() + " does not have, e.g. " + a.example +
                               ": the foreign key cannot be validated";
          break;
        case DataQuestion::Kind::violations:
          facts.data_failure = n + (a.rows == 1 ? " row" : " rows") + " of " +
                               table.name.display() + " " + q.failing +
                               (a.example.empty() ? std::string() : ", e.g. " + a.example) +
                               ": the change fails on them";
          break;
      }
      return;  // one failure is enough to block the change
    }
  }

  // A dropped index: the statements the server runs most whose plans use it, so that the
  // finding says which queries change, not only that the index was scanned.
  void index_users(const Operation& op, Finding& f) {
    constexpr size_t kShown = 5;
    std::vector<ObservedQuery> users = snapshot_->queries_using_index(op.object);
    for (size_t i = 0; i < users.size() && i < kShown; ++i) {
      std::string text;
      for (char c : users[i].text) {
        bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (space && (text.empty() || text.back() == ' ')) continue;
        text += space ? ' ' : c;
      }
      if (text.size() > 120) {
        size_t cut = 117;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "...";
      }
      f.notes.push_back("snapshot: the plan of `" + text + "` uses " + op.object + " (" +
                        std::to_string(static_cast<long long>(users[i].calls)) +
                        " calls in pg_stat_statements)");
    }
    if (users.size() > kShown)
      f.notes.push_back("snapshot: and " + std::to_string(users.size() - kShown) +
                        " more of the server's top statements use it");
  }

  // With a snapshot the table's real size decides: under the rule's threshold an error is a
  // warning (or, for a rule that says below_threshold: drop, no finding: the false return);
  // either way the message says how big the table is.
  static bool apply_size(const Rule& r, const TableStats& st, const Effect& e, Finding& f) {
    std::string size = describe_size(st);
    f.message += " (" + size + ")";
    f.notes.push_back("snapshot: " + e.table.display() + " has " + size);
    bool small = st.rows >= 0 && st.rows < r.threshold_rows && st.bytes < r.threshold_bytes;
    if (small && r.drop_below_threshold) return false;
    if (small && f.severity == Severity::error) {
      f.severity = Severity::warning;
      f.notes.push_back("severity: warning, not error: the table is under the rule's threshold (" +
                        std::to_string(static_cast<long long>(r.threshold_rows)) + " rows, " +
                        std::to_string(r.threshold_bytes >> 20) + " MB)");
    }
    return true;
  }

  static std::string describe_size(const TableStats& st) {
    char buf[64];
    double b = static_cast<double>(st.bytes);
    const char* unit = b >= 1 << 30 ? "GB" : b >= 1 << 20 ? "MB" : "kB";
    double v = b >= 1 << 30 ? b / (1 << 30) : b >= 1 << 20 ? b / (1 << 20) : b / 1024;
    if (st.rows < 0) {
      std::snprintf(buf, sizeof buf, ", %.1f %s", v, unit);
      return (st.rows_note.empty() ? std::string("never analyzed") : st.rows_note) + buf;
    } else if (st.rows >= 1e6)
      std::snprintf(buf, sizeof buf, "%.1fM rows, %.1f %s", st.rows / 1e6, v, unit);
    else
      std::snprintf(buf, sizeof buf, "%.0f rows, %.1f %s", st.rows, v, unit);
    return buf;
  }

  // A rule's templates, read on its first finding.
  struct RuleTexts {
    Template message;
    std::optional<Template> why;  // only when the why has placeholders
    Template instead;
    std::shared_ptr<const std::string> title, docs;
  };
  const RuleTexts& texts_of(const Rule& r) {
    auto& slot = texts_[&r];
    if (!slot) {
      slot = std::make_unique<RuleTexts>();
      slot->title = std::make_shared<const std::string>(r.title);
      slot->docs = std::make_shared<const std::string>(r.docs);
      slot->message = Template(r.message);
      if (r.why.find('{') != std::string::npos) slot->why.emplace(r.why);
      slot->instead = Template(r.instead);
    }
    return *slot;
  }

  // The operation's notes, written once per distinct set of inputs for the whole run: a MySQL
  // file altering the same tables over and over has the same notes on most of its findings.
  std::shared_ptr<const std::vector<std::string>> notes_for(const Effect& e, const OpFacts& f) {
    NotesInputs in = notes_inputs(e, f);
    if (auto it = notes_seen_.find(in); it != notes_seen_.end()) return it->second;
    auto notes = std::make_shared<const std::vector<std::string>>(effect_notes(in));
    notes_seen_.emplace(std::move(in), notes);
    return notes;
  }
  std::unordered_map<NotesInputs, std::shared_ptr<const std::vector<std::string>>, NotesInputsHash>
      notes_seen_;

  // The rule's why, one copy for all its findings.
  std::shared_ptr<const std::string> shared_why(const Rule& r) {
    auto& slot = why_cache_[&r];
    if (!slot) slot = std::make_shared<const std::string>(r.why);
    return slot;
  }

  // One finding per cause: among rules sharing a cause, the most severe (then the first) wins.
  // A secondary finding beside others on the statement keeps only its own point: the lock note
  // and the effect's why are already on the others, and its advice does not repeat a statement
  // another finding asks to change.
  void quiet_secondary(const Rule& rule, Finding& f, const EvalInput& in) {
    f.operation_notes.reset();
    f.notes.clear();
    f.why = shared_why(rule);
    std::string advice;
    for (std::string_view line : split_lines(rule.instead))
      if (line.find("{statement") == std::string_view::npos)
        advice += expand_template(std::string(line), in) + '\n';
    while (!advice.empty() && advice.back() == '\n') advice.pop_back();
    f.instead = std::move(advice);
  }

  // One statement rewrites its table once, however many of its operations need it: a second
  // rewrite finding of the same rule on the statement becomes a note on the first.
  void merge_rewrites(size_t first_new, const Statement& st) {
    index_rewrites(first_new);
    for (size_t i = first_new; i < found_.size();) {
      const Rule* rule = rule_named(found_[i].rule_id);
      Finding* earlier = nullptr;
      if (rule && rule->cause == "rewrite") {
        auto it = rewrites_.find(RewriteKey{found_[i].file, st.span.begin, rule->id});
        if (it != rewrites_.end()) earlier = &found_[it->second];
      }
      if (!earlier) {
        ++i;
        continue;
      }
      earlier->notes.push_back("the same rewrite: " + found_[i].message);
      found_.erase(found_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  const Rule* rule_named(std::string_view id) const {
    auto it = rule_by_id_.find(id);
    return it == rule_by_id_.end() ? nullptr : it->second;
  }

  // The rewrite findings of found_[0, upto) by file, statement and rule, the first of each.
  // Those entries neither move nor go before the file ends: only later ones are merged away or
  // deferred.
  void index_rewrites(size_t upto) {
    for (; rewrites_indexed_ < upto; ++rewrites_indexed_) {
      const Finding& f = found_[rewrites_indexed_];
      const Rule* rule = rule_named(f.rule_id);
      if (rule && rule->cause == "rewrite")
        rewrites_.try_emplace(RewriteKey{f.file, f.statement.begin, rule->id}, rewrites_indexed_);
    }
  }

  static std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> out;
    for (size_t at = 0; at < text.size();) {
      size_t nl = text.find('\n', at);
      out.push_back(text.substr(at, nl == std::string_view::npos ? text.size() - at : nl - at));
      at = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    return out;
  }

  // Of the candidates with one cause (a rewrite, a blocked write), the most severe stays, the
  // first of equals.
  static void keep_one_per_cause(std::vector<Candidate>& c) {
    for (size_t i = 0; i < c.size(); ++i) {
      for (size_t j = 0; j < c.size() && !c[i].dominated; ++j) {
        if (i == j || c[i].rule->cause.empty() || c[i].rule->cause != c[j].rule->cause) continue;
        c[i].dominated = c[j].rule->severity > c[i].rule->severity ||
                         (c[j].rule->severity == c[i].rule->severity && j < i);
      }
    }
    std::erase_if(c, [](const Candidate& k) { return k.dominated; });
  }

  Finding builtin_finding(std::string_view id, uint32_t offset, std::string message) {
    return migsafe::builtin_finding(packs_, id, file_index_, *src_, offset, std::move(message));
  }

  // A suppression names rule ids, or ids other tools use for the same hazard (squawk's).
  bool names_rule(const Suppression& s, const std::string& rule_id) const {
    for (const auto& id : s.rule_ids) {
      if (id == rule_id) return true;
      const Rule* r = find_rule(packs_, rule_id);
      if (r && std::find(r->aliases.begin(), r->aliases.end(), id) != r->aliases.end()) return true;
    }
    return false;
  }

  bool known_id(const std::string& id) const {
    if (find_rule(packs_, id)) return true;
    for (const auto& p : packs_)
      for (const auto& r : p.rules)
        if (std::find(r.aliases.begin(), r.aliases.end(), id) != r.aliases.end()) return true;
    return false;
  }

  void apply_suppressions(const std::vector<Comment>& comments) {
    std::vector<Suppression> sups = find_suppressions(*src_, comments, spans_);
    if (sups.empty()) return;
    std::vector<bool> drop(found_.size(), false);
    for (auto& s : sups) {
      for (size_t i = 0; i < found_.size(); ++i) {
        bool covers = s.whole_file || (stmt_of_[i] >= 0 && stmt_of_[i] == s.statement);
        if (!covers || !names_rule(s, found_[i].rule_id)) continue;
        // migsafe's own comment needs a reason to suppress (squawk's never had one); without
        // it the finding stays beside the comment's warning.
        if (s.foreign || !s.reason.empty()) drop[i] = true;
        s.used = true;
      }
    }
    std::vector<Finding> kept;
    for (size_t i = 0; i < found_.size(); ++i)
      if (!drop[i]) kept.push_back(std::move(found_[i]));
    for (const auto& s : sups) {
      bool all_known = true;
      for (const auto& id : s.rule_ids) {
        if (known_id(id)) continue;
        all_known = false;
        kept.push_back(
            builtin_finding("suppression-unknown-rule", s.offset,
                            "the suppression names '" + id + "', which no active rule has"));
      }
      if (s.reason.empty() && !s.foreign)
        kept.push_back(builtin_finding("suppression-without-reason", s.offset,
                                       "the suppression gives no reason, so it suppresses nothing: "
                                       "say why the finding does not apply here"));
      if (!s.used && !s.rule_ids.empty() && all_known)
        kept.push_back(builtin_finding(
            "suppression-unused", s.offset,
            "the suppression of " + s.rule_ids.front() + " suppressed nothing: remove it"));
    }
    found_ = std::move(kept);
  }

  const std::vector<Pack>& packs_;
  const CheckOptions& opt_;
  StatementProbe* probe_ = nullptr;
  SnapshotSource* snapshot_ = nullptr;
  StatementTracer* tracer_ = nullptr;
  bool traced_ = false;
  // Per statement: plans by statement text, statements already reported as unplannable or
  // locked, and whether the trace reported a lock timeout.
  std::map<const char*, PlanResult> plans_;
  std::set<const char*> incomplete_, locked_reported_;
  bool trace_lock_reported_ = false;
  std::map<std::string, int> row_versions_used_;  // instant ADD / DROP COLUMN so far, per table
  // Over the trace: which traced statement (file:line) first took each lock mode on a table.
  std::map<std::pair<std::string, LockMode>, std::string> trace_holder_;
  // The rules whose condition can match each kind of operation, in pack order: most rules name
  // their kinds, and testing every rule on every operation was a fifth of the engine's work.
  std::array<std::vector<const Rule*>, static_cast<size_t>(OpKind::other) + 1> rules_by_kind_;
  // The operation's matching rules, kept between operations so that each does not allocate
  // them anew. (A routine's statements are evaluated after their caller is done with them.)
  std::vector<Candidate> candidates_;
  std::vector<Effect> statement_effects_;  // statement_needs()'s, likewise kept between statements
  bool any_pattern_ = false;
  SchemaModel model_;
  // Per-file state.
  const SourceText* src_ = nullptr;
  size_t file_index_ = 0;
  int model_file_ = 0;
  // PL/pgSQL functions created so far in the set, run when a later statement calls them.
  struct Routine {
    std::shared_ptr<const RoutineBody> body;
    const SourceText* src;
    size_t file_index;
  };
  std::map<std::string, Routine> routines_;
  std::map<const Rule*, std::shared_ptr<const std::string>> why_cache_;
  std::unordered_map<const Rule*, std::unique_ptr<RuleTexts>> texts_;
  // Rules by id, for the findings' rules (find_rule() walks every pack).
  std::unordered_map<std::string_view, const Rule*> rule_by_id_;
  // merge_rewrites(): a rewrite finding per file, statement start and rule (the rule's id, kept
  // by its pack). Looking through every earlier finding made a long file of rewrites quadratic.
  struct RewriteKey {
    size_t file;
    uint32_t begin;
    std::string_view rule;
    bool operator==(const RewriteKey&) const = default;
  };
  struct RewriteKeyHash {
    size_t operator()(const RewriteKey& k) const {
      return std::hash<std::string_view>{}(k.rule) ^ (k.file * 0x9E3779B97F4A7C15ull) ^
             (static_cast<size_t>(k.begin) << 1);
    }
  };
  std::unordered_map<RewriteKey, size_t, RewriteKeyHash> rewrites_;
  size_t rewrites_indexed_ = 0;
  // statement_needs() computed the effect of this operation (the statement's first) already.
  const Operation* computed_for_ = nullptr;
  Effect computed_effect_;
  int routine_depth_ = 0;
  std::set<std::string> routines_run_;  // routines already run under the current statement
  size_t op_index_ = 0;                 // the operation being evaluated, within its statement
  StatementDdl statement_ddl_;          // MySQL: the statement's combined algorithm and lock
  int current_statement_ = 0;
  std::optional<SessionState> session_;
  std::set<std::string> fired_once_;  // rules that fire once per file and already did
  std::vector<Finding> found_;
  std::set<std::string> dropped_if_exists_;  // object_key of each DROP ... IF EXISTS in the unit
  std::set<std::string> deferred_ids_;       // rules with defer: later-statement
  bool tracks_drops_ = false;                // a rule tests dropped_first
  std::vector<Pending> pending_;
  std::vector<OperationEffect>* effects_ = nullptr;
  std::vector<int> stmt_of_;  // statement index of each finding, for suppressions
  std::vector<StatementPlace> spans_;
};

}  // namespace detail

using detail::Analyzer;

Finding builtin_finding(const std::vector<Pack>& packs, std::string_view rule_id, size_t file,
                        const SourceText& src, uint32_t offset, std::string message) {
  Finding f;
  f.rule_id = rule_id;
  const Rule* r = find_rule(packs, rule_id);
  f.severity = r ? r->severity : Severity::error;
  f.title = std::make_shared<const std::string>(r ? r->title : std::string());
  f.docs = std::make_shared<const std::string>(r ? r->docs : std::string());
  if (r) f.why = std::make_shared<const std::string>(r->why);
  f.file = file;
  f.at = src.position(offset);
  size_t eol = src.text().find('\n', offset);
  if (eol == std::string::npos) eol = src.text().size();
  f.statement = src.span(offset, static_cast<uint32_t>(eol));
  f.message = std::move(message);
  return f;
}

uint32_t line_offset(const SourceText& src, uint32_t line) {
  uint32_t begin = 0;
  for (uint32_t i = 1; i < line && begin < src.text().size(); ++i) {
    size_t nl = src.text().find('\n', begin);
    if (nl == std::string::npos) break;
    begin = static_cast<uint32_t>(nl + 1);
  }
  return begin;
}

void analyze_set(const std::vector<Migration>& migrations, const std::vector<Pack>& packs,
                 const CheckOptions& opt, size_t first_file_index, std::vector<Finding>& out) {
  Analyzer a(packs, opt, nullptr, nullptr, nullptr);
  for (size_t i = 0; i < migrations.size(); ++i) {
    a.begin_file(*migrations[i].source, first_file_index + i, static_cast<int>(i), false);
    for (const Statement& st : migrations[i].statements) a.statement(st);
    a.end_file(migrations[i].comments, out);
  }
}

SetAnalyzer::SetAnalyzer(const std::vector<Pack>& packs, const CheckOptions& opt,
                         StatementProbe* probe, SnapshotSource* snapshot, StatementTracer* tracer)
    : impl_(std::make_unique<Analyzer>(packs, opt, probe, snapshot, tracer)) {}
SetAnalyzer::~SetAnalyzer() = default;
void SetAnalyzer::begin_unit(TransactionMode mode, std::string transaction, std::string fix) {
  impl_->begin_unit(mode, std::move(transaction), std::move(fix));
}

void SetAnalyzer::begin_file(const SourceText& src, size_t file_index, int position_in_set,
                             bool traced) {
  impl_->begin_file(src, file_index, position_in_set, traced);
}
void SetAnalyzer::statement(const Statement& st) {
  impl_->statement(st);
}
void SetAnalyzer::collect_effects(std::vector<OperationEffect>* sink) {
  impl_->collect_effects(sink);
}
void SetAnalyzer::file_finding(Finding f) {
  impl_->file_finding(std::move(f));
}
void SetAnalyzer::end_file(const std::vector<Comment>& comments, std::vector<Finding>& out) {
  impl_->end_file(comments, out);
}

}  // namespace migsafe
