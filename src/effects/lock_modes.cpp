#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "migsafe/ascii.hpp"
#include "migsafe/effects.hpp"

namespace migsafe {
namespace {

constexpr std::array<std::string_view, 9> kNames{
    "none",  "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
    "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};

// Conflict matrix of PostgreSQL's table-level locks (explicit-locking chapter of the manual).
// Bit i of kConflicts[m] is set when mode m conflicts with mode i.
constexpr std::array<uint16_t, 9> kConflicts{
    0b000000000,  // none
    0b100000000,  // ACCESS SHARE: ACCESS EXCLUSIVE
    0b110000000,  // ROW SHARE: EXCLUSIVE, ACCESS EXCLUSIVE
    0b111100000,  // ROW EXCLUSIVE: SHARE and stronger (not SUE)
    0b111110000,  // SHARE UPDATE EXCLUSIVE: SUE and stronger
    0b111011000,  // SHARE: ROW EXCL, SUE, SRE, EXCL, AE
    0b111111000,  // SHARE ROW EXCLUSIVE: ROW EXCL and stronger
    0b111111100,  // EXCLUSIVE: ROW SHARE and stronger
    0b111111110,  // ACCESS EXCLUSIVE: everything
};

}  // namespace

std::string_view lock_mode_name(LockMode m) {
  return kNames[static_cast<size_t>(m)];
}

std::optional<LockMode> parse_lock_mode(std::string_view s) {
  std::string norm;
  for (char c : s) norm += c == '_' ? ' ' : ascii_upper(c);
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == norm || (i == 0 && norm == "NONE")) return static_cast<LockMode>(i);
  return std::nullopt;
}

bool locks_conflict(LockMode a, LockMode b) {
  return (kConflicts[static_cast<size_t>(a)] >> static_cast<size_t>(b)) & 1u;
}

bool lock_blocks_reads(LockMode m) {
  return locks_conflict(m, LockMode::access_share);
}
bool lock_blocks_writes(LockMode m) {
  return locks_conflict(m, LockMode::row_exclusive);
}

bool Effect::blocks_reads() const {
  return lock_blocks_reads(lock) || min_lock == DdlLock::exclusive ||
         index_lock == LockMode::access_exclusive;
}
bool Effect::blocks_writes() const {
  return lock_blocks_writes(lock) || min_lock != DdlLock::none ||
         index_lock == LockMode::access_exclusive;
}

std::string TargetVersion::display() const {
  std::string s;
  append_display(s);
  return s;
}

void TargetVersion::append_display(std::string& out) const {
  auto put = [&out](int v) {
    char buf[16];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  };
  put(major);
  // MySQL series are named with their minor ("8.0"), PostgreSQL majors without ("16").
  if (minor || patch >= 0 || major < 10) {
    out += '.';
    put(minor);
  }
  if (patch >= 0) {
    out += '.';
    put(patch);
  }
}

std::string_view algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::none:
      return "none";
    case Algorithm::instant:
      return "INSTANT";
    case Algorithm::inplace:
      return "INPLACE";
    case Algorithm::rebuild:
      return "INPLACE (rebuild)";
    case Algorithm::copy:
      return "COPY";
  }
  return "none";
}

std::string_view ddl_lock_name(DdlLock l) {
  switch (l) {
    case DdlLock::none:
      return "NONE";
    case DdlLock::shared:
      return "SHARED";
    case DdlLock::exclusive:
      return "EXCLUSIVE";
  }
  return "NONE";
}

TargetVersion default_target_version(Dialect d) {
  switch (d) {
    case Dialect::postgres:
      return {16, 0};
    case Dialect::mysql:
      return {8, 0};
    case Dialect::mariadb:
      return {10, 11};
    case Dialect::sqlite:
      return {3, 40};  // replaced by the linked library's version where the CLI knows it
  }
  return {16, 0};
}

std::optional<TargetVersion> parse_version_number(std::string_view s) {
  TargetVersion v{0, 0};
  size_t i = 0;
  auto number = [&](int& out) {
    size_t b = i;
    out = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - b < 6)
      out = out * 10 + (s[i++] - '0');
    return i > b;
  };
  if (!number(v.major)) return std::nullopt;
  for (int* part : {&v.minor, &v.patch}) {
    if (i == s.size()) break;
    if (s[i] != '.') return std::nullopt;
    ++i;
    if (!number(*part)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return v;
}

std::optional<TargetVersion> parse_target_version(Dialect d, std::string_view s) {
  auto v = parse_version_number(s);
  if (!v) return std::nullopt;
  bool server = d == Dialect::mysql || d == Dialect::mariadb;
  if (!server && v->patch >= 0) return std::nullopt;
  if (d == Dialect::postgres && (v->major < 11 || v->major > 17)) return std::nullopt;
  if (d == Dialect::sqlite && (v->major != 3 || v->minor < 35 || v->minor > 46))
    return std::nullopt;
  // The online-DDL tables cover these series; others would be guesses.
  if (d == Dialect::mysql &&
      !((v->major == 5 && v->minor == 7) || (v->major == 8 && v->minor <= 4)))
    return std::nullopt;
  if (d == Dialect::mariadb && !((v->major == 10 && v->minor >= 3) || v->major == 11))
    return std::nullopt;
  return v;
}

std::vector<TableLock> table_locks(const Effect& e) {
  return table_locks(e.table, e.lock, e.other_locks);
}

std::vector<TableLock> table_locks(const QualifiedName& table, LockMode lock,
                                   const std::vector<TableLock>& others) {
  std::vector<TableLock> out;
  auto add = [&](const QualifiedName& t, LockMode m) {
    if (t.name.empty() || m == LockMode::none) return;
    for (auto& have : out)
      if (same_relation(have.table, t)) {
        have.mode = std::max(have.mode, m);
        return;
      }
    out.push_back({t, m});
  };
  add(table, lock);
  for (const auto& o : others) add(o.table, o.mode);
  return out;
}

}  // namespace migsafe
