// digest.cpp — sha256_hex (declared in orders/context.h), in a file of its
// own so the request parsers of http/bodies.cpp link without the engine
// (tests/fuzz/ builds them alone).
#include <openssl/evp.h>

#include <cstdio>

#include "orders/context.h"

namespace orderd::orders {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

}  // namespace orderd::orders
