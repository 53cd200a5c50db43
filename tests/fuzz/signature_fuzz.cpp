// signature_fuzz.cpp — libFuzzer target for the Orderd-Signature header
// (src/provider/signature.*). The input's first line is the header value, the
// rest is the body it claims to sign.
//
// Properties checked (besides ASan/UBSan):
//   (1) a header that parses has a t >= 0 and at least one v1 (invariant 1);
//   (2) verify() never accepts a header that does not parse;
//   (3) round trip: sign(secret, t, body) verifies for that body at time t,
//       with the input's header line used as the secret (any bytes, even
//       empty), and fails for the body with one byte more and outside the
//       tolerance.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "provider/signature.h"

using namespace orderd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  constexpr int64_t kNow = 1'700'000'000;

  auto parsed = provider::parse_signature(header);
  if (parsed) FUZZ_CHECK(parsed->t >= 0 && !parsed->v1.empty());
  else FUZZ_CHECK(parsed.error().code == ErrorCode::kUnauthorized);
  auto verified = provider::verify_signature("fuzz-secret", header, body, kNow);
  if (!parsed) FUZZ_CHECK(!verified);

  const int64_t t = parsed ? parsed->t : kNow;
  const std::string signed_header = provider::sign(header, t, body);
  auto reparsed = provider::parse_signature(signed_header);
  FUZZ_CHECK(reparsed && reparsed->t == t && reparsed->v1.size() == 1);
  FUZZ_CHECK(provider::verify_signature(header, signed_header, body, t));
  FUZZ_CHECK(!provider::verify_signature(header, signed_header, std::string(body) + "x", t));
  FUZZ_CHECK(!provider::verify_signature(header, signed_header, body, t + provider::kSignatureToleranceS + 1));
  return 0;
}
