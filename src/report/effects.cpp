// migsafe effects: what every statement does to a live database, rules or not (text and JSON).
#include <nlohmann/json.hpp>

#include "migsafe/report.hpp"

namespace migsafe {
namespace {

using json = nlohmann::ordered_json;

std::string_view tx_words(TxRule t) {
  return t == TxRule::outside_block ? "outside a transaction block" : "any";
}

std::string_view blocks_words(LockMode m) {
  if (lock_blocks_reads(m)) return "blocks reads and writes";
  if (lock_blocks_writes(m)) return "blocks writes";
  return "blocks no reads or writes";
}

// The statement's first line, cut short: enough to recognise it beside its position.
std::string statement_head(const CheckResult& r, const OperationEffect& e) {
  const auto& src = r.files[e.file].source;
  if (!src) return {};
  std::string_view text(src->text());
  text = text.substr(e.statement.begin, e.statement.end - e.statement.begin);
  text = text.substr(0, text.find('\n'));
  std::string head(trim_space(text));
  if (head.size() > 72) head = head.substr(0, 69) + "...";
  return head;
}

std::vector<std::string_view> flags(const Effect& e) {
  std::vector<std::string_view> out;
  if (e.rewrite) out.push_back("rewrite");
  if (e.scan) out.push_back("full read");
  if (e.index_build) out.push_back("index build");
  if (e.fails_on_data) out.push_back("fails on a table with rows");
  if (e.data_loss) out.push_back("data loss");
  if (e.breaks_compat) out.push_back("breaks deployed code");
  if (e.database_write_lock) out.push_back("database write lock");
  if (e.implicit_commit) out.push_back("implicit commit");
  return out;
}

std::string names(const std::vector<QualifiedName>& tables) {
  std::string out;
  for (const auto& t : tables) out += (out.empty() ? "" : ", ") + t.display();
  return out;
}

json names_json(const std::vector<QualifiedName>& tables) {
  json out = json::array();
  for (const auto& t : tables) out.push_back(t.display());
  return out;
}

void write_text(const CheckResult& r, std::ostream& out) {
  const Span* last = nullptr;
  size_t last_file = 0;
  for (const auto& op : r.effects) {
    if (!r.files[op.file].reported) continue;
    if (!last || last_file != op.file || last->begin != op.statement.begin) {
      out << r.files[op.file].path << ':' << op.statement.start.line << ':'
          << op.statement.start.col << ": " << statement_head(r, op) << '\n';
      last = &op.statement;
      last_file = op.file;
    }
    const Effect& e = op.effect;
    out << "  " << op.operation;
    if (!op.table.empty()) out << " on " << op.table;
    out << '\n';
    std::vector<TableLock> locks = table_locks(e);
    for (const auto& l : locks)
      out << "    lock: " << lock_mode_name(l.mode) << " on " << l.table.display() << " ("
          << blocks_words(l.mode) << ")\n";
    if (e.index_lock != LockMode::none)
      out << "    lock: " << lock_mode_name(e.index_lock) << " on the index ("
          << (e.index_lock == LockMode::access_exclusive ? "queries planned on the table wait"
                                                         : "blocks no reads or writes")
          << ")\n";
    if (e.algorithm != Algorithm::none)
      out << "    online DDL: " << algorithm_name(e.algorithm)
          << ", LOCK=" << ddl_lock_name(e.min_lock) << " at least\n";
    std::vector<std::string_view> f = flags(e);
    if (!f.empty()) {
      out << "    does:";
      for (size_t i = 0; i < f.size(); ++i) out << (i ? ", " : " ") << f[i];
      out << '\n';
    }
    if (!e.also_rewritten.empty()) out << "    also rewrites: " << names(e.also_rewritten) << '\n';
    if (!e.also_read.empty()) out << "    also reads in full: " << names(e.also_read) << '\n';
    if (e.tx != TxRule::any) out << "    runs: " << tx_words(e.tx) << '\n';
    if (!e.refused.empty()) out << "    refused by the server: " << e.refused << '\n';
    if (!e.reason.empty()) out << "    why: " << e.reason << '\n';
  }
  if (!r.problems.empty()) {
    for (const auto& p : r.problems)
      out << p.path << ':' << p.pos.line << ':' << p.pos.col << ": " << p.kind << ": " << p.message
          << '\n';
  }
}

json op_json(const CheckResult& r, const OperationEffect& op) {
  const Effect& e = op.effect;
  json locks = json::array();
  for (const auto& l : table_locks(e))
    locks.push_back({{"table", l.table.display()},
                     {"lock", lock_mode_name(l.mode)},
                     {"blocks_reads", lock_blocks_reads(l.mode)},
                     {"blocks_writes", lock_blocks_writes(l.mode)}});
  json j = {{"path", r.files[op.file].path},
            {"statement",
             {{"start", {{"line", op.statement.start.line}, {"column", op.statement.start.col}}},
              {"end", {{"line", op.statement.stop.line}, {"column", op.statement.stop.col}}}}},
            {"operation", op.operation},
            {"table", op.table},
            {"locks", locks},
            {"index_lock",
             e.index_lock == LockMode::none ? json(nullptr) : json(lock_mode_name(e.index_lock))},
            {"rewrite", e.rewrite},
            {"scan", e.scan},
            {"also_rewritten", names_json(e.also_rewritten)},
            {"also_read", names_json(e.also_read)},
            {"index_build", e.index_build},
            {"transaction", e.tx == TxRule::outside_block ? "outside-block" : "any"},
            {"fails_on_data", e.fails_on_data},
            {"data_loss", e.data_loss},
            {"breaks_compat", e.breaks_compat}};
  if (e.algorithm != Algorithm::none) {
    j["algorithm"] = algorithm_name(e.algorithm);
    j["min_lock"] = ddl_lock_name(e.min_lock);
    j["implicit_commit"] = e.implicit_commit;
  }
  if (e.database_write_lock) j["database_write_lock"] = true;
  j["reason"] = e.reason;
  j["refused"] = e.refused;
  return j;
}

void write_json(const CheckResult& r, std::ostream& out) {
  json problems = json::array();
  for (const auto& p : r.problems)
    problems.push_back({{"path", p.path},
                        {"line", p.pos.line},
                        {"column", p.pos.col},
                        {"kind", p.kind},
                        {"message", p.message}});
  out << "{\n  \"operations\": [";
  bool any = false;
  for (const auto& op : r.effects) {
    if (!r.files[op.file].reported) continue;
    out << (any ? ",\n    " : "\n    ") << op_json(r, op).dump();
    any = true;
  }
  out << (any ? "\n  ],\n" : "],\n");
  out << "  \"problems\": " << problems.dump() << "\n}\n";
}

}  // namespace

void report_effects(EffectsFormat f, const CheckResult& r, std::ostream& out) {
  if (f == EffectsFormat::json)
    write_json(r, out);
  else
    write_text(r, out);
}

}  // namespace migsafe
