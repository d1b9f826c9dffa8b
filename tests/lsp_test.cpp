// migsafe lsp driven over stdio as an editor drives it: the real binary, framed messages in,
// framed messages out.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"

namespace migsafe {
namespace {

using nlohmann::json;

std::string frame(const json& msg) {
  std::string body = msg.dump();
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

json request(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

json notify(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

struct Session {
  int exit_code = -1;
  std::vector<json> messages;
  const json* response(int id) const {
    for (const auto& m : messages)
      if (m.contains("id") && m["id"] == id) return &m;
    return nullptr;
  }
  std::vector<json> diagnostics(const std::string& uri) const {  // each publish, in order
    std::vector<json> out;
    for (const auto& m : messages)
      if (m.value("method", "") == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        out.push_back(m["params"]["diagnostics"]);
    return out;
  }
};

Session run(const std::string& dir, const std::string& input) {
  test::write_file(dir + "/lsp-input", input);
  auto r = test::run_migsafe({"lsp"}, dir + "/lsp-input", dir);
  Session s;
  s.exit_code = r.exit_code;
  std::string out = r.out;
  while (!out.empty()) {
    size_t sep = out.find("\r\n\r\n");
    EXPECT_NE(sep, std::string::npos) << out;
    if (sep == std::string::npos) break;
    size_t length = std::stoul(out.substr(out.find(':') + 1, sep));
    s.messages.push_back(json::parse(out.substr(sep + 4, length)));
    out = out.substr(sep + 4 + length);
  }
  return s;
}

struct Folder {
  std::string dir, uri;
};

// A migration folder whose earlier file made t; the edited file is 002_i.sql.
Folder folder() {
  Folder f;
  f.dir = test::temp_dir();
  test::write_file(f.dir + "/migrations/001_t.sql", "CREATE TABLE t (a int);\n");
  test::write_file(f.dir + "/migrations/002_i.sql", "SELECT 1;\n");  // the editor has other text
  f.uri = "file://" + f.dir + "/migrations/002_i.sql";
  return f;
}

json open_params(const std::string& uri, const std::string& text) {
  return {{"textDocument", {{"uri", uri}, {"languageId", "sql"}, {"version", 1}, {"text", text}}}};
}

TEST(Lsp, DiagnosesTheBufferInItsFolderAndOffersTheSaferForm) {
  Folder f = folder();
  std::string in =
      frame(request(1, "initialize")) + frame(notify("initialized", json::object())) +
      frame(notify("textDocument/didOpen",
                   open_params(f.uri,
                               "-- the index\nCREATE INDEX t_a ON t (a);\n"
                               "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN n int;\n"))) +
      frame(request(
          5, "textDocument/hover",
          {{"textDocument", {{"uri", f.uri}}}, {"position", {{"line", 3}, {"character", 3}}}})) +
      frame(request(
          2, "textDocument/codeAction",
          {{"textDocument", {{"uri", f.uri}}},
           {"range",
            {{"start", {{"line", 1}, {"character", 4}}}, {"end", {{"line", 1}, {"character", 4}}}}},
           {"context", {{"diagnostics", json::array()}}}})) +
      frame(request(
          3, "textDocument/hover",
          {{"textDocument", {{"uri", f.uri}}}, {"position", {{"line", 1}, {"character", 2}}}})) +
      frame(notify("textDocument/didChange",
                   {{"textDocument", {{"uri", f.uri}, {"version", 2}}},
                    {"contentChanges", json::array({{{"text",
                                                      "SET lock_timeout = '2s';\nCREATE INDEX "
                                                      "CONCURRENTLY t_a ON t (a);\n"}}})}})) +
      frame(notify("textDocument/didClose", {{"textDocument", {{"uri", f.uri}}}})) +
      frame(request(4, "shutdown")) + frame(notify("exit", json::object()));
  Session s = run(f.dir, in);
  EXPECT_EQ(s.exit_code, 0);
  const json* init = s.response(1);
  ASSERT_NE(init, nullptr);
  EXPECT_TRUE((*init)["result"]["capabilities"]["hoverProvider"].get<bool>());
  auto published = s.diagnostics(f.uri);
  ASSERT_EQ(published.size(), 3u);  // open, change, close
  // The buffer, with t known from 001_t.sql: a plain CREATE INDEX on an existing table.
  bool index = false;
  for (const auto& d : published[0]) {
    if (d["code"] != "create-index-not-concurrent") continue;
    index = true;
    EXPECT_EQ(d["severity"], 1);
    EXPECT_EQ(d["range"]["start"], json({{"line", 1}, {"character", 0}}));
    EXPECT_EQ(d["range"]["end"], json({{"line", 1}, {"character", 26}}));
    EXPECT_EQ(d["source"], "migsafe");
  }
  EXPECT_TRUE(index) << published[0].dump();
  // The quick fix puts the concurrent build in place of the statement.
  const json* actions = s.response(2);
  ASSERT_NE(actions, nullptr);
  bool fix = false;
  for (const auto& a : (*actions)["result"]) {
    if (a["kind"] != "quickfix") continue;
    const auto& edit = a["edit"]["changes"][f.uri][0];
    fix = fix || edit["newText"].get<std::string>().find(
                     "CREATE INDEX CONCURRENTLY t_a ON t (a);") != std::string::npos;
    EXPECT_EQ(edit["range"]["start"]["line"], 1);
  }
  EXPECT_TRUE(fix) << actions->dump();
  // Hover: what the statement does.
  const json* hover = s.response(3);
  ASSERT_NE(hover, nullptr);
  EXPECT_NE((*hover)["result"]["contents"]["value"].get<std::string>().find("lock: SHARE on t"),
            std::string::npos)
      << hover->dump();
  // A statement without findings still shows what it does.
  const json* quiet = s.response(5);
  ASSERT_NE(quiet, nullptr);
  std::string value = (*quiet)["result"]["contents"]["value"];
  EXPECT_NE(value.find("**ADD COLUMN** on t"), std::string::npos) << value;
  EXPECT_NE(value.find("lock: ACCESS EXCLUSIVE on t"), std::string::npos) << value;
  EXPECT_NE(value.find("rewrite: no"), std::string::npos) << value;
  // The safe rewrite has no diagnostics; closing clears them.
  EXPECT_TRUE(published[1].empty()) << published[1].dump();
  EXPECT_TRUE(published[2].empty());
}

TEST(Lsp, HonoursTheFoldersConfig) {
  Folder f = folder();
  test::write_file(f.dir + "/.migsafe.yaml", "packs: [hygiene]\n");
  Session s =
      run(f.dir, frame(request(1, "initialize")) +
                     frame(notify("textDocument/didOpen", open_params(f.uri, "SELECT 1;\n"))) +
                     frame(request(2, "shutdown")) + frame(notify("exit", json::object())));
  auto published = s.diagnostics(f.uri);
  ASSERT_EQ(published.size(), 1u);
  bool header = false;
  for (const auto& d : published[0]) header = header || d["code"] == "migration-header";
  EXPECT_TRUE(header) << published[0].dump();
}

TEST(Lsp, SurvivesBadMessages) {
  Folder f = folder();
  std::string bad_json = "{not json";
  std::string in = "Content-Length: " + std::to_string(bad_json.size()) + "\r\n\r\n" + bad_json +
                   frame(json::array({1, 2})) + frame(request(1, "no/such/method")) +
                   frame(request(2, "textDocument/hover", {{"nothing", true}})) +
                   frame(notify("textDocument/didOpen", {{"textDocument", 7}})) +
                   frame(notify("textDocument/didOpen", open_params("untitled:1", "SELECT 1;"))) +
                   frame(notify("textDocument/didOpen", open_params(f.uri, "CREATE TABLE (;"))) +
                   frame(request(3, "initialize"));  // still answering; no shutdown: exit 1
  Session s = run(f.dir, in);
  EXPECT_EQ(s.exit_code, 1);
  ASSERT_FALSE(s.messages.empty());
  EXPECT_EQ(s.messages[0]["error"]["code"], -32700);
  ASSERT_NE(s.response(1), nullptr);
  EXPECT_EQ((*s.response(1))["error"]["code"], -32601);
  ASSERT_NE(s.response(2), nullptr);
  EXPECT_EQ((*s.response(2))["error"]["code"], -32602);
  auto untitled = s.diagnostics("untitled:1");
  ASSERT_EQ(untitled.size(), 1u);
  EXPECT_EQ(untitled[0][0]["severity"], 1);
  auto syntax = s.diagnostics(f.uri);
  ASSERT_EQ(syntax.size(), 1u);
  ASSERT_FALSE(syntax[0].empty());
  EXPECT_EQ(syntax[0][0]["code"], "syntax-error");
  EXPECT_NE(s.response(3), nullptr);
}

}  // namespace
}  // namespace migsafe
