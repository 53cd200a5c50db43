// sim_requests.h — the request bodies of provider-sim's own endpoints
// (PUT /faults, POST /pay/{order_id}) and small JSON field readers shared by
// its routes. Pure: no I/O, no clock.
//
// Thread: pure functions; safe from any thread. Never throw, whatever the body.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "provider/sim_world.h"

namespace orderd::provider {

// PUT /faults body {"latency":"20ms","fail_rate":0.2,"timeout_rate":0.1}
// applied over `current`; every key optional, an empty body changes nothing.
// Errors: kMalformed (not a JSON object), kInvalid naming the field
//         (unknown key, latency not a duration string, rate not a number in [0,1]).
Result<SimFaults> parse_faults(const std::string& body, SimFaults current);

struct PayRequest {
  int64_t amount = 0;             // required: provider-sim knows no order amounts
  DurationMs notify_delay_ms = 0;
  bool even_if_closed = false;
};
// POST /pay/{order_id} body {"amount":N,"notify_delay":"0s","even_if_closed":false}.
// Errors: kMalformed, kInvalid naming the field (amount missing or not an
//         integer > 0, notify_delay not a duration string, unknown key, ...).
Result<PayRequest> parse_pay(const std::string& body);

namespace simjson {

using Json = nlohmann::json;
inline constexpr size_t kMaxIdBytes = 256;

// Errors: kMalformed (not JSON, or not an object).
Result<Json> object_body(const std::string& body, bool empty_is_object);
// Errors: kInvalid naming the first key not in `allowed`.
Status only_keys(const Json& obj, std::initializer_list<const char*> allowed);
// A non-empty string of at most kMaxIdBytes. Errors: kInvalid naming `name`.
Result<std::string> required_string(const Json& obj, const char* name);
// An integer in [1, INT64_MAX]. Errors: kInvalid naming `name`.
Result<int64_t> required_amount(const Json& obj, const char* name);

}  // namespace simjson
}  // namespace orderd::provider
