// What the fuzz targets share: the shipped packs, loaded once, and the whole static pipeline
// (front end, schema model, effects, rules) over one input. Bad input (invalid UTF-8, a NUL
// byte) is an InputError, which is expected; any other exception or crash is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "migsafe/check.hpp"
#include "migsafe/parse.hpp"
#include "migsafe/rules.hpp"

namespace migsafe::fuzz {

inline const std::vector<Pack>& packs_for(Dialect d) {
  static const std::vector<Pack> postgres{load_pack(find_shipped_pack("core")),
                                          load_pack(find_shipped_pack(Dialect::postgres))};
  static const std::vector<Pack> mysql{load_pack(find_shipped_pack("core")),
                                       load_pack(find_shipped_pack(Dialect::mysql))};
  static const std::vector<Pack> sqlite{load_pack(find_shipped_pack("core")),
                                        load_pack(find_shipped_pack(Dialect::sqlite))};
  switch (d) {
    case Dialect::postgres:
      return postgres;
    case Dialect::sqlite:
      return sqlite;
    case Dialect::mysql:
    case Dialect::mariadb:
      return mysql;
  }
  return postgres;
}

inline void check_text(Dialect d, std::string text) {
  std::shared_ptr<const SourceText> src;
  try {
    src = make_source("fuzz.sql", std::move(text));
  } catch (const InputError&) {
    return;  // not UTF-8, or a NUL byte: refused with a message, as it should be
  }
  CheckOptions opt;
  opt.dialect = d;
  opt.version = default_target_version(d);
  CheckResult r = check_sets({SourceSet{src}}, packs_for(d), opt);
  // Every finding and problem points inside the file.
  for (const auto& f : r.findings)
    if (f.at.line == 0 || f.at.line > src->line_count() + 1) __builtin_trap();
}

}  // namespace migsafe::fuzz
