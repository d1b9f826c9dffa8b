#include "help_docs.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace migsafe {
namespace {

// The commands a user sees (a command in the empty group is internal).
std::vector<const CLI::App*> commands(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_group().empty()) out.push_back(sub);
  return out;
}

struct OptionDoc {
  std::string name;  // --format, or PATH for a positional
  std::string description;
  bool positional = false;
  bool takes_value = true;
};

std::vector<OptionDoc> options(const CLI::App& sub) {
  std::vector<OptionDoc> out;
  for (const CLI::Option* o : sub.get_options()) {
    if (o->get_lnames().empty() && !o->get_positional()) continue;
    if (!o->get_positional() && o->get_lnames().front() == "help") continue;  // every command's
    OptionDoc d;
    d.positional = o->get_positional();
    d.name = d.positional ? o->get_name() : "--" + o->get_lnames().front();
    d.description = o->get_description();
    d.takes_value = o->get_items_expected_max() > 0;
    out.push_back(std::move(d));
  }
  return out;
}

// Text for troff: backslashes escaped, a line never starting with a control character.
std::string troff(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

// For zsh's _arguments and _describe: no brackets or colons, one line.
std::string zsh_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == '(')
      out += ' ';
    else if (c == ']' || c == ')' || c == ':' || c == '\'' || c == '`' || c == '"' || c == '$' ||
             c == '\\')
      continue;
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  if (out.size() > 70) out = out.substr(0, out.rfind(' ', 70)) + " ...";
  return out;
}

void bash(const CLI::App& app, std::ostream& out) {
  out << "# bash completion for migsafe (written by `migsafe completions bash`)\n"
         "_migsafe() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" opts=\"\"\n"
         "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
         "    COMPREPLY=($(compgen -W \"";
  std::string names;
  for (const CLI::App* c : commands(app)) names += (names.empty() ? "" : " ") + c->get_name();
  out << names
      << " --help --version\" -- \"$cur\"))\n"
         "    return\n"
         "  fi\n"
         "  case \"${COMP_WORDS[1]}\" in\n";
  for (const CLI::App* c : commands(app)) {
    out << "    " << c->get_name() << ") opts=\"";
    std::string list = "--help";
    for (const auto& o : options(*c))
      if (!o.positional) list += " " + o.name;
    out << list << "\" ;;\n";
  }
  out << "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -o bashdefault -F _migsafe migsafe\n";
}

void zsh(const CLI::App& app, std::ostream& out) {
  out << "#compdef migsafe\n"
         "# zsh completion for migsafe (written by `migsafe completions zsh`)\n"
         "_migsafe() {\n"
         "  local -a commands\n"
         "  commands=(\n";
  for (const CLI::App* c : commands(app))
    out << "    '" << c->get_name() << ":" << zsh_text(c->get_description()) << "'\n";
  out << "  )\n"
         "  if (( CURRENT == 2 )); then\n"
         "    _describe 'command' commands\n"
         "    return\n"
         "  fi\n"
         "  case $words[2] in\n";
  for (const CLI::App* c : commands(app)) {
    out << "    " << c->get_name() << ")\n      _arguments \\\n";
    for (const auto& o : options(*c)) {
      if (o.positional) continue;
      out << "        '*" << o.name << "[" << zsh_text(o.description) << "]"
          << (o.takes_value ? ":value:_files" : "") << "' \\\n";
    }
    out << "        '*:file:_files'\n      ;;\n";
  }
  out << "  esac\n"
         "}\n"
         "_migsafe \"$@\"\n";
}

}  // namespace

void write_manpage(const CLI::App& app, std::string_view version, std::ostream& out) {
  out << ".TH MIGSAFE 1 \"\" \"migsafe " << version << "\" \"User Commands\"\n"
      << ".SH NAME\nmigsafe \\- "
      << troff(app.get_description().substr(app.get_description().find(':') + 2))
      << "\n.SH SYNOPSIS\n.B migsafe\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIPATH\\fR ...]\n"
      << ".SH DESCRIPTION\n"
         "migsafe reads SQL migration files and says, for every statement, which lock it takes "
         "and on which table, what that lock blocks, whether the table is rewritten or scanned, "
         "whether the statement fails at run time or breaks code that is still deployed, and "
         "what to write instead.\n"
         ".SH COMMANDS\n";
  for (const CLI::App* c : commands(app)) {
    out << ".SS " << c->get_name() << "\n" << troff(c->get_description()) << "\n";
    for (const auto& o : options(*c)) {
      out << ".TP\n" << (o.positional ? "\\fI" : "\\fB") << troff(o.name) << "\\fR";
      if (!o.positional && o.takes_value) out << " \\fIVALUE\\fR";
      out << "\n" << troff(o.description) << "\n";
    }
  }
  out << ".SH EXIT STATUS\n"
         ".TP\n0\nno finding at or above the failure level\n"
         ".TP\n1\nblocked: a finding at or above the failure level (\\-\\-fail\\-on)\n"
         ".TP\n2\nbad input or usage: a file that cannot be read or parsed, a bad option or "
         "configuration\n"
         ".TP\n3\na database error with \\-\\-db\n"
         ".SH FILES\n.TP\n\\fI.migsafe.yaml\\fR\nthe team's settings, found upward from the "
         "working directory\n"
         ".TP\n\\fImigsafe.sum\\fR\nthe migration set's checksums (\\fBmigsafe sum\\fR)\n"
         ".SH SEE ALSO\n\\fBmigsafe explain\\fR \\fIRULE\\-ID\\fR prints a rule's reasons and "
         "examples.\n";
}

bool write_completion(const CLI::App& app, std::string_view shell, std::ostream& out) {
  if (shell == "bash") {
    bash(app, out);
    return true;
  }
  if (shell == "zsh") {
    zsh(app, out);
    return true;
  }
  return false;
}

}  // namespace migsafe
