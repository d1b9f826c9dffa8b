// migsafe.sum: cumulative SHA-256 checksums of a migration set.
#include "sha256.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "migsafe/inputs.hpp"

namespace migsafe {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr std::string_view kHeader = "migsafe-sum 1";

}  // namespace

std::vector<SumLine> compute_sum(const std::string& dir, const std::vector<std::string>& files) {
  std::vector<SumLine> out;
  std::string cumulative;
  std::error_code ec;
  for (const auto& f : files) {
    SumLine l;
    l.path = fs::relative(f, dir, ec).generic_string();
    l.file_hash = sha256_hex(read_all(f));
    cumulative = sha256_hex(cumulative + "\n" + l.path + "\n" + l.file_hash);
    l.cumulative = cumulative;
    out.push_back(std::move(l));
  }
  return out;
}

std::string format_sum(const std::vector<SumLine>& lines) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& l : lines) out += l.cumulative + " " + l.file_hash + " " + l.path + "\n";
  return out;
}

std::vector<SumLine> parse_sum(const std::string& path, const std::string& text) {
  std::vector<SumLine> out;
  std::istringstream in(text);
  std::string line;
  uint32_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != kHeader)
        throw InputError(
            path, "is not a migsafe.sum file (first line should be '" + std::string(kHeader) + "')",
            {1, 1});
      continue;
    }
    if (line.empty()) continue;
    std::istringstream fields(line);
    SumLine l;
    fields >> l.cumulative >> l.file_hash;
    std::getline(fields, l.path);
    if (!l.path.empty() && l.path[0] == ' ') l.path.erase(0, 1);
    if (l.cumulative.size() != 64 || l.file_hash.size() != 64 || l.path.empty())
      throw InputError(path, "line is not '<cumulative hash> <file hash> <path>'", {n, 1});
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<SumProblem> verify_sum(const std::vector<SumLine>& recorded,
                                   const std::vector<SumLine>& actual) {
  std::vector<SumProblem> out;
  std::map<std::string, size_t> now;
  for (size_t i = 0; i < actual.size(); ++i) now[actual[i].path] = i;
  std::map<std::string, size_t> then;
  for (size_t i = 0; i < recorded.size(); ++i) then[recorded[i].path] = i;
  auto line_of = [](size_t i) { return static_cast<uint32_t>(i + 2); };  // after the header

  size_t expect_next = 0;  // recorded files must keep their relative order at the front
  for (size_t i = 0; i < recorded.size(); ++i) {
    const SumLine& r = recorded[i];
    auto it = now.find(r.path);
    if (it == now.end()) {
      out.push_back({r.path, line_of(i),
                     "was removed, but migsafe.sum records it: an applied migration is gone"});
      continue;
    }
    if (actual[it->second].file_hash != r.file_hash)
      out.push_back(
          {r.path, line_of(i),
           "was edited after it was recorded in migsafe.sum: applied migrations must not change"});
    if (it->second < expect_next)
      out.push_back({r.path, line_of(i),
                     "is out of order: a file now sorts before migrations recorded earlier"});
    expect_next = std::max(expect_next, it->second);
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const SumLine& a = actual[i];
    auto it = then.find(a.path);
    if (it != then.end()) continue;
    bool inserted = std::any_of(recorded.begin(), recorded.end(), [&](const SumLine& r) {
      auto pos = now.find(r.path);
      return pos != now.end() && pos->second > i;
    });
    out.push_back(
        {a.path, 0,
         inserted ? "was inserted before migrations recorded in migsafe.sum: new migrations go last"
                  : "is not in migsafe.sum: run `migsafe sum` on the folder and commit it"});
  }
  return out;
}

}  // namespace migsafe
