// The MySQL / MariaDB front end and the static pipeline; the first byte picks the flavor.
#include "fuzz_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto flavor = data[0] & 1 ? migsafe::Dialect::mariadb : migsafe::Dialect::mysql;
  migsafe::fuzz::check_text(flavor, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
