// sim_requests.cpp — parsing of provider-sim's own request bodies (PUT
// /faults, POST /pay) and the JSON field helpers the routes share.
#include "provider/sim_requests.h"

#include <limits>

#include "core/duration.h"

namespace orderd::provider::simjson {

Result<Json> object_body(const std::string& body, bool empty_is_object) {
  if (body.empty() && empty_is_object) return Json::object();
  Json j;
  try {
    j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  } catch (...) {
    j = Json(Json::value_t::discarded);
  }
  if (j.is_discarded()) return Error::make(ErrorCode::kMalformed, "body is not valid JSON");
  if (!j.is_object()) return Error::make(ErrorCode::kMalformed, "body must be a JSON object");
  return j;
}

Status only_keys(const Json& obj, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (const char* a : allowed) known |= key == a;
    // An empty key is still named (as "") so the problem always names a field.
    if (!known) return Error::invalid(key.empty() ? "\"\"" : key, "unknown field '" + key + "'");
  }
  return ok_status();
}

Result<std::string> required_string(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return Error::invalid(name, std::string(name) + " is required");
  if (!it->is_string()) return Error::invalid(name, std::string(name) + " must be a string");
  std::string s = it->get<std::string>();
  if (s.empty()) return Error::invalid(name, std::string(name) + " must not be empty");
  if (s.size() > kMaxIdBytes) return Error::invalid(name, std::string(name) + " is too long");
  return s;
}

Result<int64_t> required_amount(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return Error::invalid(name, std::string(name) + " is required");
  const std::string must = std::string(name) + " must be an integer > 0 (minor units)";
  if (!it->is_number_integer()) return Error::invalid(name, must);
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Error::invalid(name, std::string(name) + " is too large");
    if (it->get<uint64_t>() == 0) return Error::invalid(name, must);
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  const int64_t v = it->get<int64_t>();
  if (v <= 0) return Error::invalid(name, must);
  return v;
}

namespace {

Result<DurationMs> optional_duration(const Json& obj, const char* name, DurationMs fallback) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Error::invalid(name, std::string(name) + " must be a duration string like \"20ms\"");
  auto d = parse_duration(it->get<std::string>());
  if (!d) return Error::invalid(name, std::string(name) + ": " + d.error().message);
  return *d;
}

Result<double> optional_rate(const Json& obj, const char* name, double fallback) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number()) return Error::invalid(name, std::string(name) + " must be a number in [0, 1]");
  const double v = it->get<double>();
  if (!(v >= 0.0 && v <= 1.0)) return Error::invalid(name, std::string(name) + " must be a number in [0, 1]");
  return v;
}

}  // namespace

}  // namespace orderd::provider::simjson

namespace orderd::provider {

using namespace simjson;

Result<SimFaults> parse_faults(const std::string& body, SimFaults current) {
  auto obj = object_body(body, /*empty_is_object=*/true);
  if (!obj) return obj.error();
  if (auto st = only_keys(*obj, {"latency", "fail_rate", "timeout_rate"}); !st) return st.error();
  auto latency = optional_duration(*obj, "latency", current.latency_ms);
  if (!latency) return latency.error();
  auto fail = optional_rate(*obj, "fail_rate", current.fail_rate);
  if (!fail) return fail.error();
  auto late = optional_rate(*obj, "timeout_rate", current.timeout_rate);
  if (!late) return late.error();
  return SimFaults{*latency, *fail, *late};
}

Result<PayRequest> parse_pay(const std::string& body) {
  auto obj = object_body(body, /*empty_is_object=*/true);
  if (!obj) return obj.error();
  if (auto st = only_keys(*obj, {"amount", "notify_delay", "even_if_closed"}); !st) return st.error();
  PayRequest p;
  auto amount = required_amount(*obj, "amount");
  if (!amount) return amount.error();
  p.amount = *amount;
  auto delay = optional_duration(*obj, "notify_delay", 0);
  if (!delay) return delay.error();
  p.notify_delay_ms = *delay;
  if (auto it = obj->find("even_if_closed"); it != obj->end() && !it->is_null()) {
    if (!it->is_boolean()) return Error::invalid("even_if_closed", "even_if_closed must be true or false");
    p.even_if_closed = it->get<bool>();
  }
  return p;
}

}  // namespace orderd::provider
