#include "lsp.hpp"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "migsafe/check.hpp"
#include "migsafe/config.hpp"
#include "migsafe/inputs.hpp"
#include "options.hpp"

namespace migsafe::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// A message's body is at most this big: a runaway header must not exhaust memory.
constexpr size_t kMaxMessage = kMaxInputBytes + 1024 * 1024;

enum class Read { message, end, bad_header };

// One base-protocol message: headers, a blank line, Content-Length bytes of JSON.
Read read_message(std::istream& in, std::string& body) {
  std::optional<size_t> length;
  std::string line;
  bool any = false;
  while (std::getline(in, line)) {
    any = true;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    constexpr std::string_view kLength = "content-length:";
    if (line.size() > kLength.size() && ascii_lower(line.substr(0, kLength.size())) == kLength) {
      std::string v = line.substr(kLength.size());
      size_t n = 0;
      bool digits = false;
      for (char c : v) {
        if (c == ' ' || c == '\t') continue;
        if (c < '0' || c > '9' || n > kMaxMessage) return Read::bad_header;
        n = n * 10 + static_cast<size_t>(c - '0');
        digits = true;
      }
      if (!digits) return Read::bad_header;
      length = n;
    }
  }
  if (!any) return Read::end;
  if (!length || *length > kMaxMessage) return in ? Read::bad_header : Read::end;
  body.assign(*length, '\0');
  in.read(body.data(), static_cast<std::streamsize>(*length));
  if (static_cast<size_t>(in.gcount()) != *length) return Read::end;
  return Read::message;
}

void write_message(std::ostream& out, const json& msg) {
  std::string body = msg.dump(-1, ' ', false, json::error_handler_t::replace);
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

// file:///a/b%20c.sql -> /a/b c.sql; nullopt for another scheme.
std::optional<std::string> uri_path(const std::string& uri) {
  constexpr std::string_view kFile = "file://";
  if (!uri.starts_with(kFile)) return std::nullopt;
  std::string out;
  for (size_t i = kFile.size(); i < uri.size(); ++i) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (uri[i] == '%' && i + 2 < uri.size() && hex(uri[i + 1]) && hex(uri[i + 2])) {
      out += static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += uri[i];
    }
  }
  if (out.empty() || out[0] != '/' || out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

// LSP positions are 0-based; migsafe's are 1-based, in characters (the same as the protocol's
// UTF-16 units outside the rare characters beyond the Basic Multilingual Plane).
json position(uint32_t line, uint32_t character) {
  return {{"line", line > 0 ? line - 1 : 0}, {"character", character > 0 ? character - 1 : 0}};
}

json span_range(const Span& s) {
  json end = position(s.stop.line, s.stop.col);
  end["character"] = end["character"].get<uint32_t>() + 1;  // exclusive
  return {{"start", position(s.start.line, s.start.col)}, {"end", end}};
}

json statement_range(const Finding& f) {
  return span_range(f.statement);
}

int lsp_severity(Severity s) {
  switch (s) {
    case Severity::error:
      return 1;
    case Severity::warning:
      return 2;
    case Severity::info:
      return 3;
  }
  return 2;
}

// A safer alternative the editor can put in place of the statement: SQL, not only advice in
// comments, and no placeholder left to fill in.
bool replaces_statement(const std::string& instead) {
  if (instead.find('<') != std::string::npos || instead.find('{') != std::string::npos)
    return false;
  size_t pos = 0;
  while (pos < instead.size()) {
    size_t eol = instead.find('\n', pos);
    std::string_view line = std::string_view(instead).substr(
        pos, eol == std::string::npos ? std::string::npos : eol - pos);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!line.empty() && !line.starts_with("--")) return true;
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return false;
}

struct Document {
  std::string text;
  std::vector<Finding> findings;         // of the last check, for hover and code actions
  std::vector<OperationEffect> effects;  // every operation's, for hover
};

class Server {
 public:
  explicit Server(std::ostream& out) : out_(out) {}

  // False once `exit` came.
  bool handle(const std::string& body) {
    json msg;
    try {
      msg = json::parse(body);
    } catch (const json::exception&) {
      reply_error(nullptr, -32700, "the message is not JSON");
      return true;
    }
    if (!msg.is_object() || !msg.contains("method") || !msg["method"].is_string()) {
      if (msg.is_object() && msg.contains("id")) reply_error(msg["id"], -32600, "no method");
      return true;
    }
    const std::string method = msg["method"];
    const json id = msg.contains("id") ? msg["id"] : json();
    const json params = msg.contains("params") ? msg["params"] : json::object();
    try {
      return dispatch(method, id, params);
    } catch (const std::exception& e) {
      // A malformed request is answered; a malformed notification is dropped.
      if (!id.is_null()) reply_error(id, -32602, std::string("invalid params: ") + e.what());
      return true;
    }
  }

  int exit_status() const { return shut_down_ ? 0 : 1; }

 private:
  bool dispatch(const std::string& method, const json& id, const json& params) {
    if (method == "initialize") {
      reply(id, {{"capabilities",
                  {{"textDocumentSync",
                    {{"openClose", true}, {"change", 1}, {"save", {{"includeText", true}}}}},
                   {"codeActionProvider", true},
                   {"hoverProvider", true}}},
                 {"serverInfo", {{"name", "migsafe"}, {"version", MIGSAFE_VERSION}}}});
    } else if (method == "shutdown") {
      shut_down_ = true;
      reply(id, nullptr);
    } else if (method == "exit") {
      return false;
    } else if (method == "textDocument/didOpen") {
      const json& doc = params.at("textDocument");
      update(doc.at("uri").get<std::string>(), doc.at("text").get<std::string>());
    } else if (method == "textDocument/didChange") {
      const json& changes = params.at("contentChanges");
      if (!changes.is_array() || changes.empty()) return true;
      update(params.at("textDocument").at("uri").get<std::string>(),
             changes.back().at("text").get<std::string>());
    } else if (method == "textDocument/didSave") {
      std::string uri = params.at("textDocument").at("uri").get<std::string>();
      auto it = docs_.find(uri);
      std::string text = params.contains("text") ? params["text"].get<std::string>()
                         : it != docs_.end()     ? it->second.text
                                                 : std::string();
      update(uri, text);
    } else if (method == "textDocument/didClose") {
      std::string uri = params.at("textDocument").at("uri").get<std::string>();
      docs_.erase(uri);
      publish(uri, json::array());
    } else if (method == "textDocument/codeAction") {
      reply(id, code_actions(params));
    } else if (method == "textDocument/hover") {
      reply(id, hover(params));
    } else if (!id.is_null()) {
      reply_error(id, -32601, "migsafe does not handle " + method);
    }
    return true;
  }

  void reply(const json& id, json result) {
    write_message(out_, {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }

  void reply_error(const json& id, int code, const std::string& message) {
    write_message(
        out_, {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }

  void publish(const std::string& uri, json diagnostics) {
    write_message(out_, {{"jsonrpc", "2.0"},
                         {"method", "textDocument/publishDiagnostics"},
                         {"params", {{"uri", uri}, {"diagnostics", std::move(diagnostics)}}}});
  }

  void update(const std::string& uri, std::string text) {
    Document& doc = docs_[uri];
    doc.text = std::move(text);
    doc.findings.clear();
    doc.effects.clear();
    json diagnostics = json::array();
    auto path = uri_path(uri);
    if (!path) {
      diagnostics.push_back(problem_diagnostic({}, "migsafe checks files (file:// documents)"));
    } else {
      check(*path, doc, diagnostics);
    }
    publish(uri, std::move(diagnostics));
  }

  static json problem_diagnostic(Position pos, const std::string& message,
                                 const std::string& code = "input-error") {
    json start = position(pos.line, pos.col);
    return {{"range", {{"start", start}, {"end", start}}},
            {"severity", 1},
            {"code", code},
            {"source", "migsafe"},
            {"message", message}};
  }

  // The document as the command line checks its file: the config found from its folder, the
  // folder's earlier migrations replayed, the editor's text in place of the file's.
  void check(const std::string& path, Document& doc, json& diagnostics) {
    try {
      Flags flags;
      std::string dir = fs::path(path).parent_path().string();
      Config cfg = load_effective_config(flags, dir);
      CheckOptions opt = options_for(flags, cfg, cfg.settings_for(path));
      opt.collect_effects = true;
      std::vector<Pack> packs = load_packs(opt.dialect, {}, cfg);
      SourceSet set;
      std::error_code ec;
      if (fs::exists(path, ec)) {
        for (const MigrationSet& ms : collect_inputs({path}, opt.inputs)) {
          if (ms.runner != Layout::automatic) opt.inputs.layout = ms.runner;
          for (const auto& file : ms.files)
            if (!fs::equivalent(file, path, ec)) set.push_back(read_source(file));
        }
      }
      set.push_back(make_source(path, doc.text));
      CheckResult r = check_sets({set}, packs, opt);
      size_t mine = r.files.size() - 1;
      for (auto& f : r.findings) {
        if (f.file != mine) continue;
        diagnostics.push_back(diagnostic(f));
        doc.findings.push_back(std::move(f));
      }
      for (auto& e : r.effects)
        if (e.file == mine) doc.effects.push_back(std::move(e));
      for (const auto& p : r.problems)
        if (p.path == path || p.path.empty())
          diagnostics.push_back(problem_diagnostic(p.pos, p.message, p.kind));
    } catch (const ConfigError& e) {
      diagnostics.push_back(problem_diagnostic({}, e.where() + ": " + e.what(), "config-error"));
    } catch (const InputError& e) {
      diagnostics.push_back(problem_diagnostic(e.pos(), e.where() + ": " + e.what()));
    } catch (const std::exception& e) {
      diagnostics.push_back(problem_diagnostic({}, e.what()));
    }
  }

  static json diagnostic(const Finding& f) {
    std::string message = f.message;
    for (const auto& line : f.lines()) message += "\n" + line;
    json d = {{"range", statement_range(f)},
              {"severity", lsp_severity(f.severity)},
              {"code", f.rule_id},
              {"source", "migsafe"},
              {"message", message}};
    if (!f.instead.empty()) d["data"] = {{"instead", f.instead}};
    return d;
  }

  static bool contains(const json& range, const json& pos) {
    auto before = [](const json& a, const json& b) {
      return a.at("line") < b.at("line") ||
             (a.at("line") == b.at("line") && a.at("character") <= b.at("character"));
    };
    return before(range.at("start"), pos) && before(pos, range.at("end"));
  }

  // The quick fix: the safer alternative in place of the statement.
  json code_actions(const json& params) {
    json actions = json::array();
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    auto it = docs_.find(uri);
    if (it == docs_.end()) return actions;
    const json& range = params.at("range");
    for (const Finding& f : it->second.findings) {
      json r = statement_range(f);
      if (!replaces_statement(f.instead) || !contains(r, range.at("start"))) continue;
      json edit = {{"range", r}, {"newText", f.instead}};
      actions.push_back({{"title", "migsafe: " + f.rule_id + ": use the safer form"},
                         {"kind", "quickfix"},
                         {"diagnostics", json::array({diagnostic(f)})},
                         {"edit", {{"changes", {{uri, json::array({edit})}}}}}});
    }
    return actions;
  }

  // What the statement under the cursor does to the database (each operation's lock, what it
  // blocks, rewrite and full read), then the findings on it.
  json hover(const json& params) {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    auto it = docs_.find(uri);
    if (it == docs_.end()) return nullptr;
    const json& pos = params.at("position");
    std::string text;
    json range;
    for (const OperationEffect& e : it->second.effects) {
      json r = span_range(e.statement);
      if (!contains(r, pos)) continue;
      range = r;
      text += "**" + e.operation + "**" + (e.table.empty() ? "" : " on " + e.table) + "\n\n";
      for (const auto& note : e.notes) text += "- " + note + "\n";
      if (e.notes.empty()) text += "- no table lock\n";
      text += std::string("- rewrite: ") + (e.effect.rewrite ? "yes" : "no") +
              ", full read: " + (e.effect.scan ? "yes" : "no") + "\n\n";
    }
    for (const Finding& f : it->second.findings) {
      json r = statement_range(f);
      if (!contains(r, pos)) continue;
      range = r;
      text += "**" + f.rule_id + "** (" + std::string(severity_name(f.severity)) +
              "): " + f.message + "\n\n";
    }
    if (text.empty()) return nullptr;
    return {{"contents", {{"kind", "markdown"}, {"value", text}}}, {"range", range}};
  }

  std::ostream& out_;
  std::map<std::string, Document> docs_;
  bool shut_down_ = false;
};

}  // namespace

int run_lsp(std::istream& in, std::ostream& out) {
  Server server(out);
  std::string body;
  for (;;) {
    Read r = read_message(in, body);
    if (r == Read::end) break;
    if (r == Read::bad_header) {
      // Without a length the stream cannot be resynchronised: say so and stop.
      write_message(out, {{"jsonrpc", "2.0"},
                          {"id", nullptr},
                          {"error", {{"code", -32700}, {"message", "bad Content-Length header"}}}});
      break;
    }
    if (!server.handle(body)) break;
  }
  return server.exit_status();
}

}  // namespace migsafe::cli
