// SHA-256 (FIPS 180-4), for migsafe.sum. Written here rather than linked from libcrypto: the
// library's start-up pages alone cost 1.7 MB of resident memory on every run, which the memory
// budget of a check cannot spare, for one hash over a few files.
#pragma once

#include <string>
#include <string_view>

namespace migsafe {

std::string sha256_hex(std::string_view data);

}  // namespace migsafe
