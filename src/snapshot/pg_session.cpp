#include "pg_session.hpp"

#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "../sandbox/sql_words.hpp"

namespace migsafe {

Watchdog::Watchdog(int socket, std::function<void()> on_fire)
    : socket_(socket), on_fire_(std::move(on_fire)), thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Watchdog::Guard Watchdog::arm(std::chrono::milliseconds budget) {
  {
    std::lock_guard<std::mutex> lock(m_);
    deadline_ = std::chrono::steady_clock::now() + budget;
  }
  cv_.notify_all();
  return Guard(*this);
}

void Watchdog::disarm() {
  std::lock_guard<std::mutex> lock(m_);
  deadline_.reset();
}

bool Watchdog::fired() const {
  std::lock_guard<std::mutex> lock(m_);
  return fired_;
}

void Watchdog::run() {
  std::unique_lock<std::mutex> lock(m_);
  while (!stop_) {
    if (!deadline_) {
      cv_.wait(lock);
      continue;
    }
    auto until = *deadline_;
    if (cv_.wait_until(lock, until) == std::cv_status::timeout && deadline_ &&
        *deadline_ == until) {
      fired_ = true;
      deadline_.reset();
      // The socket stays open (libpq owns it); shutting it down wakes the blocked read.
      ::shutdown(socket_, SHUT_RDWR);
      if (on_fire_) {
        lock.unlock();
        on_fire_();
        lock.lock();
      }
    }
  }
}

SnapshotError connection_lost(const Watchdog& watchdog, std::chrono::milliseconds budget,
                              const std::exception& e, const std::string& dsn,
                              const std::string& during) {
  if (watchdog.fired())
    return SnapshotError("the snapshot did not answer" + during + " within " +
                         std::to_string(budget.count()) +
                         " ms (the statement timeout and a margin): the server or the network "
                         "is not responding");
  return SnapshotError("the snapshot connection was lost" + during + ": " + redact(e.what(), dsn));
}

void no_reconnect(pqxx::connection& conn) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
}

std::string session_dsn(const std::string& dsn, const std::string& application) {
  std::string d = dsn;
  bool uri = d.find("://") != std::string::npos;
  auto add = [&](const std::string& key, const std::string& value) {
    if (d.find(key + "=") != std::string::npos) return;
    if (uri)
      d += (d.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
    else
      d += " " + key + "=" + value;
  };
  add("connect_timeout", "10");
  add("application_name", application);
  return d;
}

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  // libpq's "ERROR:  " prefix says nothing a finding does not already say.
  constexpr std::string_view kPrefix = "ERROR:  ";
  if (line.starts_with(kPrefix)) line.erase(0, kPrefix.size());
  return line;
}

std::string sqlstate_of(const pqxx::failure& e) {
  if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql && !sql->sqlstate().empty())
    return sql->sqlstate();
  // Most specific first: undefined_* derive from syntax_error, and so on.
  if (dynamic_cast<const pqxx::undefined_column*>(&e)) return "42703";
  if (dynamic_cast<const pqxx::undefined_function*>(&e)) return "42883";
  if (dynamic_cast<const pqxx::undefined_table*>(&e)) return "42P01";
  if (dynamic_cast<const pqxx::syntax_error*>(&e)) return "42601";
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e)) return "42501";
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) return "40P01";
  if (dynamic_cast<const pqxx::serialization_failure*>(&e)) return "40001";
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) return "23505";
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&e)) return "23503";
  if (dynamic_cast<const pqxx::not_null_violation*>(&e)) return "23502";
  if (dynamic_cast<const pqxx::check_violation*>(&e)) return "23514";
  if (dynamic_cast<const pqxx::feature_not_supported*>(&e)) return "0A000";
  if (dynamic_cast<const pqxx::out_of_memory*>(&e)) return "53200";
  if (dynamic_cast<const pqxx::disk_full*>(&e)) return "53100";
  return "";
}

namespace {
void collect_seq_scans(const nlohmann::json& node, std::vector<SeqScan>& out) {
  if (node.is_array()) {
    for (const auto& n : node) collect_seq_scans(n, out);
  } else if (node.is_object()) {
    if (node.value("Node Type", "") == "Seq Scan" && node.contains("Relation Name"))
      out.push_back({node["Relation Name"].get<std::string>(), node.value("Plan Rows", 0.0)});
    for (const auto& [k, v] : node.items())
      if (v.is_object() || v.is_array()) collect_seq_scans(v, out);
  }
}
}  // namespace

std::vector<SeqScan> seq_scans_of(const std::string& explain_json) {
  std::vector<SeqScan> out;
  collect_seq_scans(nlohmann::json::parse(explain_json), out);
  return out;
}

namespace {
PlanNode plan_node_of(const nlohmann::json& n) {
  PlanNode out;
  out.type = n.value("Node Type", "");
  // A join's strategy and a scan's direction are part of what the planner chose.
  if (n.contains("Join Type") && n["Join Type"].is_string() && n["Join Type"] != "Inner")
    out.type += " (" + n["Join Type"].get<std::string>() + ")";
  std::string schema = n.value("Schema", "");
  std::string rel = n.value("Relation Name", "");
  if (!rel.empty()) out.relation = schema.empty() || schema == "public" ? rel : schema + "." + rel;
  out.index = n.value("Index Name", "");
  out.total_cost = n.value("Total Cost", 0.0);
  out.rows = n.value("Plan Rows", 0.0);
  if (n.contains("Plans") && n["Plans"].is_array())
    for (const auto& c : n["Plans"]) out.children.push_back(plan_node_of(c));
  return out;
}
}  // namespace

PlanNode plan_tree_of(const std::string& explain_json) {
  nlohmann::json doc = nlohmann::json::parse(explain_json);
  if (!doc.is_array() || doc.empty() || !doc[0].contains("Plan"))
    throw std::runtime_error("the server's plan has an unexpected shape");
  return plan_node_of(doc[0]["Plan"]);
}

namespace {
constexpr const char* kPrepared = "migsafe_query";

// The highest $n of a statement, outside strings, quoted names and comments.
int parameter_count(const std::string& sql) {
  int most = 0;
  for (const sandbox::SqlToken& tok : sandbox::sql_tokens(sql)) {
    if (tok.kind != sandbox::SqlToken::symbol || sql[tok.begin] != '$') continue;
    int n = 0;
    for (size_t i = tok.begin + 1;
         i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i])); ++i)
      n = std::min(n * 10 + (sql[i] - '0'), 65535);
    most = std::max(most, n);
  }
  return most;
}
}  // namespace

std::string explain_document(pqxx::transaction_base& tx, const std::string& sql, bool& generic) {
  int params = parameter_count(sql);
  generic = params > 0;
  // The extended protocol runs exactly one statement.
  if (!generic)
    return tx.exec_params("EXPLAIN (FORMAT JSON, VERBOSE) " + sql)[0][0].as<std::string>();
  tx.exec_params("SET LOCAL plan_cache_mode = force_generic_plan");
  tx.exec_params(std::string("PREPARE ") + kPrepared + " AS " + sql);
  std::string args;
  for (int i = 0; i < params; ++i) args += i ? ", NULL" : "NULL";
  std::string doc = tx.exec_params(std::string("EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE ") +
                                   kPrepared + "(" + args + ")")[0][0]
                        .as<std::string>();
  tx.exec_params(std::string("DEALLOCATE ") + kPrepared);
  return doc;
}

void forget_prepared(pqxx::transaction_base& tx) {
  if (!tx.exec_params("SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = $1", kPrepared)
           .empty())
    tx.exec_params(std::string("DEALLOCATE ") + kPrepared);
}

}  // namespace migsafe
