// codec.cpp — store::encode/decode (declared in store/env.h): MessagePack of
// JSON, the value format of the colder tables and of legacy rows. In a file of
// its own so the row decoders link without LMDB (tests/fuzz/ builds them alone).
#include "store/env.h"

namespace orderd::store {

std::string encode(const Json& j) {
  std::string out;
  Json::to_msgpack(j, out);
  return out;
}

std::optional<Json> decode(std::string_view bytes) {
  Json j = Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace orderd::store
