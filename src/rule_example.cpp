// A rule's advice as it reads for the rule's own flagged example: what `migsafe explain` and
// docs/rules.md show, so that no {template} key reaches a reader.
#include "migsafe/check.hpp"
#include "migsafe/inputs.hpp"

namespace migsafe {

std::string example_instead(const Rule& r, const Pack& own, const std::vector<Pack>& packs) {
  if (r.instead.empty() || !r.twins_elsewhere.empty() || r.examples.bad.empty()) return {};
  const Dialect d = own.any_dialect ? Dialect::postgres : own.dialect;
  // The rule's pack, with the others of its dialect that always run beside it.
  std::vector<Pack> active{own};
  for (const auto& p : packs)
    if (p.name != own.name && (p.any_dialect || p.dialect == d)) active.push_back(p);
  SourceSet set;
  if (!r.examples.setup.empty()) set.push_back(make_source("setup.sql", r.examples.setup));
  set.push_back(make_source("example.sql", r.examples.bad));
  CheckOptions opt;
  opt.dialect = d;
  opt.version = r.examples.version.value_or(default_target_version(d));
  if (r.examples.transactions) {
    opt.transactions = *r.examples.transactions;
    opt.transactions_given = true;
  }
  CheckResult result = check_sets({set}, active, opt);
  for (const auto& f : result.findings)
    if (f.rule_id == r.id && f.file + 1 == result.files.size()) return f.instead;
  return {};
}

std::string instead_placeholders(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    size_t close = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    if (close != std::string_view::npos && close > i + 1 &&
        text.substr(i + 1, close - i - 1).find_first_of(" \n{") == std::string_view::npos) {
      out += '<';
      out += text.substr(i + 1, close - i - 1);
      out += '>';
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace migsafe
