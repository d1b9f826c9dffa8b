// The man page and the shell completions, written from the command line's own definition, so
// they list exactly the commands and options the binary has.
#pragma once

#include <ostream>
#include <string_view>

namespace CLI {
class App;
}

namespace migsafe {

// troff (man 7 man) for section 1.
void write_manpage(const CLI::App& app, std::string_view version, std::ostream& out);
// "bash" or "zsh"; false for another shell.
bool write_completion(const CLI::App& app, std::string_view shell, std::ostream& out);

}  // namespace migsafe
