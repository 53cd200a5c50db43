// signature.h — the `Orderd-Signature` header of payment notifies and
// webhooks (SPEC §4 "Payment"):
//
//   Orderd-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// v1 is the lower-case hex HMAC-SHA256 of  t + "." + raw body  under the
// shared secret. As with Stripe, several v1 entries may be present (secret
// rotation): the header is accepted if any of them matches; other schemes
// ("v0=…") are ignored.
//
// Thread: pure functions; safe from any thread.
// Invariants:
//   (1) The parser is strict: "t=<digits>" exactly once, at least one
//       "v1=<64 hex digits>", parts separated by a bare ',' (no spaces, no
//       empty parts), keys lower-case; anything else is rejected with a reason.
//   (2) Signatures are compared in constant time (CRYPTO_memcmp) over the
//       decoded 32 bytes; the comparison never short-circuits on a prefix.
//   (3) Time is injected: verify() takes `now_s`, never reads a clock.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace orderd::provider {

inline constexpr const char* kSignatureHeader = "Orderd-Signature";
inline constexpr int64_t kSignatureToleranceS = 300;

using Digest = std::array<unsigned char, 32>;  // an HMAC-SHA256

struct ParsedSignature {
  int64_t t = 0;             // unix seconds
  std::vector<Digest> v1;    // every v1 entry, decoded; never empty after a successful parse
};

// The header value for `body` signed at unix second `t`:
// "t=<t>,v1=<64 lower-case hex>".
// REQUIRES: t >= 0.
// Thread: any.
std::string sign(std::string_view secret, int64_t t, std::string_view body);

// Parses a header value strictly (invariant 1).
// Errors: kUnauthorized with a reason ("missing t", "v1 is not hex", ...).
Result<ParsedSignature> parse_signature(std::string_view header);

// Checks `header` against `body`: parse, any v1 matches, |now_s - t| <= tolerance_s.
// Errors: kUnauthorized with the reason (parse error, "signature mismatch",
//         "timestamp outside tolerance").
// Thread: any.
Status verify_signature(std::string_view secret, std::string_view header, std::string_view body, int64_t now_s,
                        int64_t tolerance_s = kSignatureToleranceS);

}  // namespace orderd::provider
