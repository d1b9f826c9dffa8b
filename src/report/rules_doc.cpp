// The rule reference (docs/rules.md), written from the packs themselves so it cannot drift
// from what migsafe enforces.
#include "migsafe/report.hpp"

namespace migsafe {
namespace {

void block(std::ostream& out, std::string_view title, std::string_view body,
           std::string_view lang) {
  if (body.empty()) return;
  std::string text(body);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  out << title << ":\n\n```" << lang << '\n' << text << "\n```\n\n";
}

// The advice as it reads for the flagged example, or with its keys as <placeholders>.
std::string advice(const Rule& r, const Pack& own, const std::vector<Pack>& packs) {
  if (r.instead.empty()) return {};
  std::string filled = example_instead(r, own, packs);
  return filled.empty() ? instead_placeholders(r.instead) : filled;
}

}  // namespace

void write_rules_markdown(const std::vector<Pack>& packs, std::ostream& out) {
  out << "# migsafe rules\n\n"
      << "Generated from the shipped packs by `migsafe docs`; do not edit by hand.\n"
      << "`migsafe explain RULE-ID` prints the same text.\n\n";
  for (const Pack& p : packs) {
    out << "## Pack `" << p.name << "` ("
        << (p.any_dialect ? "any dialect" : dialect_name(p.dialect))
        << ")\n\n| rule | severity | title |\n|---|---|---|\n";
    for (const Rule& r : p.rules)
      out << "| [" << r.id << "](#" << r.id << ") | " << severity_name(r.severity) << " | "
          << r.title << " |\n";
    out << '\n';
    for (const Rule& r : p.rules) {
      out << "### " << r.id << "\n\n**" << severity_name(r.severity) << "** · " << r.title << "\n\n"
          << r.why << "\n\n";
      bool sql = r.twins_elsewhere.empty();
      if (r.examples.transactions)
        out << "The examples run as a runner sends them with `--transactions "
            << transaction_mode_name(*r.examples.transactions) << "`.\n\n";
      if (!r.examples.setup.empty())
        block(out, "Given (an earlier migration)", r.examples.setup, "sql");
      block(out, "Flagged", r.examples.bad, sql ? "sql" : "");
      block(out, "Passes", r.examples.good, sql ? "sql" : "");
      block(out, "Instead", advice(r, p, packs), "sql");
      if (!r.aliases.empty()) {
        out << "Same hazard in other tools: ";
        for (size_t i = 0; i < r.aliases.size(); ++i)
          out << (i ? ", " : "") << '`' << r.aliases[i] << '`';
        out << "\n\n";
      }
    }
  }
}

}  // namespace migsafe
