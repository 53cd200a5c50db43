// Tests of provider-sim's own request bodies: PUT /faults and POST /pay.
#include "provider/sim_requests.h"

#include <catch2/catch.hpp>

using namespace orderd;
using namespace orderd::provider;

TEST_CASE("PUT /faults body: partial updates keep the other knobs", "[provider][sim_requests]") {
  const SimFaults current{50, 0.2, 0.1};
  auto all = parse_faults(R"({"latency":"20ms","fail_rate":1,"timeout_rate":0.5})", current);
  REQUIRE(all.ok());
  CHECK(all->latency_ms == 20);
  CHECK(all->fail_rate == 1.0);
  CHECK(all->timeout_rate == 0.5);

  auto some = parse_faults(R"({"fail_rate":0})", current);
  REQUIRE(some.ok());
  CHECK(some->latency_ms == 50);
  CHECK(some->fail_rate == 0.0);
  CHECK(some->timeout_rate == 0.1);

  auto none = parse_faults("", current);
  REQUIRE(none.ok());
  CHECK(none->latency_ms == 50);
  CHECK(parse_faults(R"({"latency":"0ms"})", current)->latency_ms == 0);
}

TEST_CASE("PUT /faults body: bad values name the field", "[provider][sim_requests]") {
  const SimFaults current{};
  struct Case {
    std::string body;
    ErrorCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"not json", ErrorCode::kMalformed, ""},
      {"[1]", ErrorCode::kMalformed, ""},
      {R"({"latency":20})", ErrorCode::kInvalid, "latency"},
      {R"({"latency":"20"})", ErrorCode::kInvalid, "latency"},
      {R"({"latency":"-5ms"})", ErrorCode::kInvalid, "latency"},
      {R"({"fail_rate":1.5})", ErrorCode::kInvalid, "fail_rate"},
      {R"({"fail_rate":-0.1})", ErrorCode::kInvalid, "fail_rate"},
      {R"({"fail_rate":"0.2"})", ErrorCode::kInvalid, "fail_rate"},
      {R"({"timeout_rate":true})", ErrorCode::kInvalid, "timeout_rate"},
      {R"({"failrate":0.2})", ErrorCode::kInvalid, "failrate"},
      // found by the json_bodies fuzz target: an empty key gave a problem naming no field
      {R"({"":100,"price":1999})", ErrorCode::kInvalid, R"("")"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto f = parse_faults(c.body, current);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == c.code);
    CHECK(f.error().field == c.field);
  }
}

TEST_CASE("POST /pay body", "[provider][sim_requests]") {
  auto p = parse_pay(R"({"amount":1999,"notify_delay":"2s","even_if_closed":true})");
  REQUIRE(p.ok());
  CHECK(p->amount == 1999);
  CHECK(p->notify_delay_ms == 2000);
  CHECK(p->even_if_closed);
  auto minimal = parse_pay(R"({"amount":1})");
  REQUIRE(minimal.ok());
  CHECK(minimal->notify_delay_ms == 0);
  CHECK_FALSE(minimal->even_if_closed);

  for (const char* bad : {"", "{}", R"({"amount":0})", R"({"amount":-3})", R"({"amount":1.5})", R"({"amount":"10"})",
                          R"({"amount":9223372036854775808})"}) {
    INFO(bad);
    auto r = parse_pay(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().field == "amount");
  }
  CHECK(parse_pay(R"({"amount":1,"notify_delay":5})").error().field == "notify_delay");
  CHECK(parse_pay(R"({"amount":1,"even_if_closed":"yes"})").error().field == "even_if_closed");
  CHECK(parse_pay(R"({"amount":1,"extra":1})").error().field == "extra");
  CHECK(parse_pay("{").error().code == ErrorCode::kMalformed);
}
