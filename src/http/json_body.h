// json_body.h — strict request-body helpers for handlers: parse a body as a
// JSON object, then read typed fields. Every rejection is an Error whose
// `field` names the input field and whose message starts with that name.
//
// Thread: pure functions, safe from any thread.
// Invariants:
//   (1) Unknown fields are ignored; a field set to null counts as absent.
//   (2) Amounts are integer minor units in [1, 2^53]: floats (10.5, 1e30,
//       even 10.0), strings, booleans, zero, negatives and anything larger
//       are rejected, never clamped or rounded.
//   (3) Nothing here throws.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "http/types.h"

namespace orderd::http {

// Largest amount accepted: 2^53, so every amount survives a JavaScript client.
inline constexpr int64_t kMaxAmount = int64_t{1} << 53;

// Errors: kMalformed "body is not valid UTF-8" / "body is not valid JSON";
//         kInvalid (field "") "body must be a JSON object".
Result<Json> parse_json_object(const std::string& body);

// REQUIRES: obj is an object (from parse_json_object) for all getters below.
// Errors: kInvalid naming `key`: absent/null, not a string, empty, or longer
//         than max_bytes (UTF-8 bytes).
Result<std::string> required_string(const Json& obj, const std::string& key, size_t max_bytes = 256);
// As required_string, but absent/null → nullopt and "" is allowed.
Result<std::optional<std::string>> optional_string(const Json& obj, const std::string& key,
                                                   size_t max_bytes = 256);
// Errors: kInvalid naming `key` unless an integer in [1, kMaxAmount].
Result<int64_t> required_amount(const Json& obj, const std::string& key);
// Absent/null → nullopt. Errors: kInvalid naming `key` unless an integer in
// [min_value, max_value].
Result<std::optional<int64_t>> optional_int(const Json& obj, const std::string& key, int64_t min_value,
                                            int64_t max_value);
// Errors: kInvalid naming `key`: absent/null or not true/false.
Result<bool> required_bool(const Json& obj, const std::string& key);
Result<std::optional<bool>> optional_bool(const Json& obj, const std::string& key);
// Errors: kInvalid naming `key`: absent/null, not an array, or more than
// max_items elements (the elements are the caller's to check).
Result<Json> required_array(const Json& obj, const std::string& key, size_t max_items = 1000);
Result<std::optional<Json>> optional_array(const Json& obj, const std::string& key, size_t max_items = 1000);

// For fields inside arrays/objects: nest_field(e, "items[0].") turns field
// "sku" and message "sku must be a string" into "items[0].sku" and
// "items[0].sku must be a string".
Error nest_field(Error error, const std::string& prefix);

// True if text is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool is_valid_utf8(const std::string& text);

}  // namespace orderd::http
