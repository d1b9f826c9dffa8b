// The SQLite front end, the dry run on the embedded engine and the static pipeline.
#include "fuzz_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  migsafe::fuzz::check_text(migsafe::Dialect::sqlite,
                            std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
