// rows_fuzz.cpp — libFuzzer target for the stored-row decoders: bytes read
// back from LMDB (a damaged disk, a bug in an older version) must never crash
// orderd or `orderd check`. Inputs are tried as a recharge row, a purchase row
// (store/row.h format 1, or a legacy MessagePack row) and as a payload tail.
//
// Properties checked (besides ASan/UBSan):
//   (1) a row that decodes re-encodes to format 1 and decodes again to the
//       same order (to_storage equal), so nothing is lost on the next save;
//   (2) an encoded row with any byte cut off, or one byte added, is refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "orders/purchase.h"
#include "orders/recharge.h"
#include "store/row.h"

using namespace orderd;
using Json = nlohmann::json;

namespace {

template <class Decode, class Encode>
void check_codec(std::string_view input, Decode decode, Encode encode) {
  auto first = decode(input);
  if (!first) return;
  const std::string row = encode(*first);
  FUZZ_CHECK(store::is_row_format1(row));
  auto second = decode(row);
  FUZZ_CHECK(second.has_value());
  FUZZ_CHECK(orders::to_storage(*second) == orders::to_storage(*first));
  FUZZ_CHECK(!decode(std::string_view(row).substr(0, row.size() - 1)));
  FUZZ_CHECK(!decode(row + '\0'));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_codec(input, orders::decode_recharge, orders::encode_recharge);
  check_codec(input, orders::decode_purchase, orders::encode_purchase);

  // the payload tail of job and timer rows, after a tag
  store::RowReader in(input);
  if (in.tag()) {
    Json payload;
    if (store::get_payload_tail(in, &payload)) {
      store::RowWriter w;
      store::put_payload_tail(w, payload);
      const std::string again = w.take();
      store::RowReader back(again);
      Json payload2;
      // compared as bytes: a NaN payload is not equal to itself
      FUZZ_CHECK(back.tag() && store::get_payload_tail(back, &payload2) && store::encode(payload2) == store::encode(payload));
    }
  }
  return 0;
}
