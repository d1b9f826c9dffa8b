// PL/pgSQL bodies: the input is the body of a DO block and of a function the migration calls.
#include "fuzz_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  std::string tag = "$fz$";
  for (int i = 0; body.find(tag) != std::string::npos; ++i) tag = "$fz" + std::to_string(i) + "$";
  migsafe::fuzz::check_text(migsafe::Dialect::postgres,
                            "DO " + tag + body + tag + ";\n" +
                                "CREATE FUNCTION fz() RETURNS void LANGUAGE plpgsql AS " + tag +
                                body + tag + ";\nSELECT fz();\n");
  return 0;
}
