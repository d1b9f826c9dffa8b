// The language server's input stream: whatever an editor (or anything else) writes to it, the
// server answers or stops, and never crashes.
#include <sstream>
#include <string>

#include "lsp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::ostringstream out;
  migsafe::cli::run_lsp(in, out);
  return 0;
}
