// Tests for src/http/json_body.*: strict body parsing; every rejection names
// its field.
#include <catch2/catch.hpp>

#include "http/json_body.h"

using namespace orderd;
using namespace orderd::http;

namespace {
Json obj(const char* text) { return Json::parse(text); }

// The error must be kInvalid, name `field`, and mention it in the message.
template <class T>
void require_names_field(const Result<T>& r, const std::string& field) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(r.error().field == field);
  CHECK(r.error().message.find(field) != std::string::npos);
}
}  // namespace

TEST_CASE("parse_json_object rejects malformed, non-UTF-8 and non-objects", "[http]") {
  auto broken = parse_json_object("{\"amount\": ");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kMalformed);
  CHECK(broken.error().message == "body is not valid JSON");

  auto latin1 = parse_json_object("{\"name\": \"caf\xe9\"}");
  REQUIRE_FALSE(latin1.ok());
  CHECK(latin1.error().code == ErrorCode::kMalformed);

  auto array = parse_json_object("[1,2]");
  REQUIRE_FALSE(array.ok());
  CHECK(array.error().code == ErrorCode::kInvalid);
  CHECK(array.error().field.empty());

  CHECK_FALSE(parse_json_object("").ok());
  auto ok = parse_json_object("{\"a\": 1, \"unknown\": [true]}");
  REQUIRE(ok.ok());
  CHECK(ok.value()["a"] == 1);
}

TEST_CASE("is_valid_utf8 accepts UTF-8 and rejects overlongs and surrogates", "[http]") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
}

TEST_CASE("required_amount accepts positive integers up to 2^53", "[http]") {
  CHECK(required_amount(obj(R"({"amount": 1})"), "amount").value() == 1);
  CHECK(required_amount(obj(R"({"amount": 9007199254740992})"), "amount").value() == kMaxAmount);
}

TEST_CASE("required_amount rejects every non-amount and names the field", "[http]") {
  const char* bodies[] = {
      R"({})",
      R"({"amount": null})",
      R"({"amount": 10.5})",
      R"({"amount": 10.0})",
      R"({"amount": 1e30})",
      R"({"amount": "100"})",
      R"({"amount": true})",
      R"({"amount": -5})",
      R"({"amount": 0})",
      R"({"amount": 9007199254740993})",
      R"({"amount": 18446744073709551615})",
      R"({"amount": 99999999999999999999999})",
      R"({"amount": [1]})",
  };
  for (const char* body : bodies) {
    INFO(body);
    require_names_field(required_amount(obj(body), "amount"), "amount");
  }
}

TEST_CASE("string getters enforce presence, type and length", "[http]") {
  Json body = obj(R"({"sku": "sku-1", "empty": "", "num": 5, "long": "abcdef"})");
  CHECK(required_string(body, "sku").value() == "sku-1");
  require_names_field(required_string(body, "missing"), "missing");
  require_names_field(required_string(body, "empty"), "empty");
  require_names_field(required_string(body, "num"), "num");
  require_names_field(required_string(body, "long", 5), "long");

  CHECK_FALSE(optional_string(body, "missing").value().has_value());
  CHECK(optional_string(body, "empty").value() == std::optional<std::string>(""));
  require_names_field(optional_string(body, "num"), "num");
  require_names_field(optional_string(body, "long", 3), "long");
}

TEST_CASE("optional_int, bool and array getters", "[http]") {
  Json body = obj(R"({"limit": 20, "zero": 0, "big": 5000, "neg": -1, "f": 1.5, "s": "3",
                      "yes": true, "no_bool": 1, "items": [1,2,3], "not_items": {}})");
  CHECK(optional_int(body, "limit", 1, 100).value() == std::optional<int64_t>(20));
  CHECK_FALSE(optional_int(body, "absent", 1, 100).value().has_value());
  require_names_field(optional_int(body, "big", 1, 100), "big");
  require_names_field(optional_int(body, "zero", 1, 100), "zero");
  CHECK(optional_int(body, "neg", -5, 5).value() == std::optional<int64_t>(-1));
  require_names_field(optional_int(body, "neg", 0, 100), "neg");
  require_names_field(optional_int(body, "f", 0, 100), "f");
  require_names_field(optional_int(body, "s", 0, 100), "s");

  CHECK(required_bool(body, "yes").value());
  CHECK(optional_bool(body, "yes").value() == std::optional<bool>(true));
  CHECK_FALSE(optional_bool(body, "absent").value().has_value());
  require_names_field(required_bool(body, "absent"), "absent");
  require_names_field(required_bool(body, "no_bool"), "no_bool");
  require_names_field(optional_bool(body, "no_bool"), "no_bool");

  CHECK(required_array(body, "items").value().size() == 3);
  CHECK_FALSE(optional_array(body, "absent").value().has_value());
  require_names_field(required_array(body, "absent"), "absent");
  require_names_field(required_array(body, "not_items"), "not_items");
  require_names_field(required_array(body, "items", 2), "items");
  require_names_field(optional_array(body, "not_items"), "not_items");
}

TEST_CASE("nest_field prefixes field and message", "[http]") {
  Json item = obj(R"({"sku": 7})");
  auto r = required_string(item, "sku");
  REQUIRE_FALSE(r.ok());
  Error nested = nest_field(r.error(), "items[0].");
  CHECK(nested.field == "items[0].sku");
  CHECK(nested.message.rfind("items[0].sku ", 0) == 0);
}
