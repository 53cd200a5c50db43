// json_body.cpp — strict body parsing and typed field getters (json_body.h).
#include "http/json_body.h"

namespace orderd::http {
namespace {

// The value of key, or nullptr when absent or null (invariant 1).
const Json* find_field(const Json& obj, const std::string& key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Error field_error(const std::string& key, const std::string& what) { return Error::invalid(key, key + " " + what); }

// Integer value in [min_value, max_value], else an error naming key.
Result<int64_t> integer_in_range(const Json& value, const std::string& key, int64_t min_value, int64_t max_value) {
  std::string range = "between " + std::to_string(min_value) + " and " + std::to_string(max_value);
  if (!value.is_number_integer()) return field_error(key, "must be an integer " + range);
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    bool below = min_value > 0 && u < static_cast<uint64_t>(min_value);
    if (below || max_value < 0 || u > static_cast<uint64_t>(max_value)) return field_error(key, "must be an integer " + range);
    return static_cast<int64_t>(u);
  }
  int64_t v = value.get<int64_t>();
  if (v < min_value || v > max_value) return field_error(key, "must be an integer " + range);
  return v;
}

Result<std::string> checked_string(const Json& value, const std::string& key, size_t max_bytes) {
  if (!value.is_string()) return field_error(key, "must be a string");
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() > max_bytes) return field_error(key, "must be at most " + std::to_string(max_bytes) + " bytes");
  return s;
}

Result<Json> checked_array(const Json& value, const std::string& key, size_t max_items) {
  if (!value.is_array()) return field_error(key, "must be an array");
  if (value.size() > max_items) return field_error(key, "must have at most " + std::to_string(max_items) + " items");
  return value;
}

// Length of the UTF-8 sequence starting with lead, 0 if lead is invalid.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

bool is_valid_utf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    int len = sequence_length(p[i]);
    if (len == 0 || i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    if (len == 3) {
      if (p[i] == 0xE0 && p[i + 1] < 0xA0) return false;  // overlong
      if (p[i] == 0xED && p[i + 1] >= 0xA0) return false;  // surrogate
    } else if (len == 4) {
      if (p[i] == 0xF0 && p[i + 1] < 0x90) return false;  // overlong
      if (p[i] == 0xF4 && p[i + 1] >= 0x90) return false;  // > U+10FFFF
    }
    i += len;
  }
  return true;
}

Result<Json> parse_json_object(const std::string& body) {
  if (!is_valid_utf8(body)) return Error::make(ErrorCode::kMalformed, "body is not valid UTF-8");
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error::make(ErrorCode::kMalformed, "body is not valid JSON");
  if (!parsed.is_object()) return Error::invalid("", "body must be a JSON object");
  return parsed;
}

Result<std::string> required_string(const Json& obj, const std::string& key, size_t max_bytes) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return field_error(key, "is required");
  auto s = checked_string(*value, key, max_bytes);
  if (s && s->empty()) return field_error(key, "must not be empty");
  return s;
}

Result<std::optional<std::string>> optional_string(const Json& obj, const std::string& key, size_t max_bytes) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return std::optional<std::string>();
  auto s = checked_string(*value, key, max_bytes);
  if (!s) return s.error();
  return std::optional<std::string>(std::move(s.value()));
}

Result<int64_t> required_amount(const Json& obj, const std::string& key) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return field_error(key, "is required");
  if (!value->is_number_integer())
    return field_error(key, "must be a positive integer amount in minor units (no fractions, no strings)");
  auto amount = integer_in_range(*value, key, 1, kMaxAmount);
  if (!amount) return field_error(key, "must be a positive integer amount of at most 2^53 minor units");
  return amount;
}

Result<std::optional<int64_t>> optional_int(const Json& obj, const std::string& key, int64_t min_value,
                                            int64_t max_value) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return std::optional<int64_t>();
  auto v = integer_in_range(*value, key, min_value, max_value);
  if (!v) return v.error();
  return std::optional<int64_t>(v.value());
}

Result<bool> required_bool(const Json& obj, const std::string& key) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return field_error(key, "is required");
  if (!value->is_boolean()) return field_error(key, "must be true or false");
  return value->get<bool>();
}

Result<std::optional<bool>> optional_bool(const Json& obj, const std::string& key) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_boolean()) return field_error(key, "must be true or false");
  return std::optional<bool>(value->get<bool>());
}

Result<Json> required_array(const Json& obj, const std::string& key, size_t max_items) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return field_error(key, "is required");
  return checked_array(*value, key, max_items);
}

Result<std::optional<Json>> optional_array(const Json& obj, const std::string& key, size_t max_items) {
  const Json* value = find_field(obj, key);
  if (value == nullptr) return std::optional<Json>();
  auto array = checked_array(*value, key, max_items);
  if (!array) return array.error();
  return std::optional<Json>(std::move(array.value()));
}

Error nest_field(Error error, const std::string& prefix) {
  if (!error.field.empty() && error.message.rfind(error.field, 0) == 0) error.message = prefix + error.message;
  error.field = prefix + error.field;
  return error;
}

}  // namespace orderd::http
