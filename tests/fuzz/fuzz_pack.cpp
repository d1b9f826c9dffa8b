// The rule pack loader: a malformed pack is a ConfigError with file:line:col, nothing else.
#include "migsafe/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    migsafe::load_pack_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const migsafe::ConfigError&) {
  }
  return 0;
}
