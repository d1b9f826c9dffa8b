// The PostgreSQL front end and the static pipeline on arbitrary text.
#include "fuzz_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  migsafe::fuzz::check_text(migsafe::Dialect::postgres,
                            std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
