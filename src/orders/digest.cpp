// digest.cpp — sha256_hex (declared in orders/context.h), in a file of its
// own so the request parsers of http/bodies.cpp link without the engine
// (tests/fuzz/ builds them alone).
//
// It runs on every create (the body hash of Idempotency-Key), so it fetches
// SHA-256 from OpenSSL once instead of on every call and hex-encodes with a
// table: the per-byte snprintf and the implicit fetch were ~7% of orderd's
// instructions per recharge order (callgrind, bench/recharge_bench).
#include <openssl/evp.h>

#include "orders/context.h"

namespace orderd::orders {

std::string sha256_hex(std::string_view data) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // thread-safe init; never freed
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, sha256 != nullptr ? sha256 : EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace orderd::orders
