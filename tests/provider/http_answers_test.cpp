// Tests of the HTTP provider's answer mapping: every status, every broken
// body, no answer at all. Pure: no sockets.
#include "provider/http_answers.h"

#include <catch2/catch.hpp>

using namespace orderd;
using namespace orderd::provider;

namespace {

HttpAnswer answer(int status, std::string body) {
  http::ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
HttpAnswer failure(ErrorCode code) { return Error::make(code, "test"); }

// Bodies no 2xx answer of the contract can be.
const std::vector<std::string> kGarbage = {
    "",
    "not json",
    "{\"status\":",                      // truncated
    "{\"status\":\"succ",                // truncated inside a string
    "[\"success\"]",                     // an array
    "\"success\"",                       // a bare string
    "null",
    "42",
    "{}",
    "{\"status\":1}",                    // wrong type
    "{\"status\":null}",
    "{\"status\":\"SUCCESS\"}",          // wrong case
    "{\"status\":\"maybe\"}",
    "{\"status\":\"success\"",           // no closing brace
    std::string("{\"status\":\"\xff\xfe\"}"),  // invalid UTF-8
    std::string(100'000, '{'),           // deep nesting
    std::string("\0\0\0", 3),
};

}  // namespace

TEST_CASE("http answers: no answer maps by cause", "[provider][http_answers]") {
  CHECK(recharge_from_http(failure(ErrorCode::kTimeout)).call == CallOutcome::kUnknown);
  CHECK(recharge_from_http(failure(ErrorCode::kUnavailable)).call == CallOutcome::kRetryable);
  CHECK(recharge_from_http(failure(ErrorCode::kIo)).call == CallOutcome::kUnknown);
  CHECK(recharge_from_http(failure(ErrorCode::kMalformed)).call == CallOutcome::kUnknown);
  CHECK(close_from_http(failure(ErrorCode::kInternal)).call == CallOutcome::kUnknown);
  CHECK(refund_from_http(failure(ErrorCode::kIo)).call == CallOutcome::kUnknown);
  // Reads: nothing was changed, so anything but a timeout is retryable.
  CHECK(recharge_query_from_http(failure(ErrorCode::kTimeout)).call == CallOutcome::kUnknown);
  CHECK(recharge_query_from_http(failure(ErrorCode::kIo)).call == CallOutcome::kRetryable);
  CHECK(payment_query_from_http(failure(ErrorCode::kMalformed)).call == CallOutcome::kRetryable);
  CHECK(payment_query_from_http(failure(ErrorCode::kUnavailable)).call == CallOutcome::kRetryable);
  auto r = recharge_from_http(failure(ErrorCode::kTimeout));
  CHECK(r.reason.find("timeout") != std::string::npos);
}

TEST_CASE("http answers: statuses", "[provider][http_answers]") {
  for (int s : {503, 408, 429}) {
    CHECK(recharge_from_http(answer(s, "")).call == CallOutcome::kRetryable);
    CHECK(recharge_query_from_http(answer(s, "")).call == CallOutcome::kRetryable);
    CHECK(close_from_http(answer(s, "")).call == CallOutcome::kRetryable);
  }
  for (int s : {500, 502, 504, 302, 101}) {
    INFO("status " << s);
    CHECK(recharge_from_http(answer(s, "{\"status\":\"success\"}")).call == CallOutcome::kUnknown);
    CHECK(close_from_http(answer(s, "")).call == CallOutcome::kUnknown);
    CHECK(refund_from_http(answer(s, "")).call == CallOutcome::kUnknown);
    CHECK(recharge_query_from_http(answer(s, "")).call == CallOutcome::kRetryable);
    CHECK(payment_query_from_http(answer(s, "")).call == CallOutcome::kRetryable);
  }
  // 4xx with a contract meaning.
  auto refused = recharge_from_http(answer(422, R"({"type":"about:blank","status":422,"detail":"amount must be > 0"})"));
  CHECK(refused.call == CallOutcome::kOk);
  CHECK_FALSE(refused.success);
  CHECK(refused.reason.find("amount must be > 0") != std::string::npos);
  CHECK(recharge_from_http(answer(400, "junk")).call == CallOutcome::kOk);
  CHECK(refund_from_http(answer(409, "")).call == CallOutcome::kOk);
  auto never = recharge_query_from_http(answer(404, ""));
  CHECK(never.call == CallOutcome::kOk);
  CHECK(never.status == RechargeStatus::kUnknown);
  auto unpaid = payment_query_from_http(answer(404, ""));
  CHECK(unpaid.call == CallOutcome::kOk);
  CHECK_FALSE(unpaid.paid);
  // Other 4xx: unknown, with the reason.
  auto forbidden = recharge_from_http(answer(403, R"({"detail":"bad token"})"));
  CHECK(forbidden.call == CallOutcome::kUnknown);
  CHECK(forbidden.reason == "HTTP 403: bad token");
  CHECK(close_from_http(answer(404, "")).call == CallOutcome::kUnknown);
  CHECK(recharge_from_http(answer(404, "")).call == CallOutcome::kUnknown);
  CHECK(recharge_query_from_http(answer(401, "")).call == CallOutcome::kUnknown);
}

TEST_CASE("http answers: the contract's bodies", "[provider][http_answers]") {
  auto ok = recharge_from_http(answer(200, R"({"status":"success","reason":null})"));
  CHECK(ok.call == CallOutcome::kOk);
  CHECK(ok.success);
  auto failed = recharge_from_http(answer(200, R"({"status":"failed","reason":"invalid account"})"));
  CHECK(failed.call == CallOutcome::kOk);
  CHECK_FALSE(failed.success);
  CHECK(failed.reason == "invalid account");
  CHECK(recharge_from_http(answer(200, R"({"status":"failed"})")).reason == "refused by the provider");
  CHECK(recharge_from_http(answer(200, R"({"status":"failed","reason":7})")).call == CallOutcome::kUnknown);

  CHECK(recharge_query_from_http(answer(200, R"({"status":"success"})")).status == RechargeStatus::kSuccess);
  CHECK(recharge_query_from_http(answer(200, R"({"status":"failed"})")).status == RechargeStatus::kFailed);
  auto unknown = recharge_query_from_http(answer(200, R"({"status":"unknown"})"));
  CHECK(unknown.call == CallOutcome::kOk);
  CHECK(unknown.status == RechargeStatus::kUnknown);

  auto paid = payment_query_from_http(answer(200, R"({"status":"paid","payment_id":"pay_1","amount":1999})"));
  CHECK(paid.call == CallOutcome::kOk);
  CHECK(paid.paid);
  CHECK(paid.payment_id == "pay_1");
  CHECK(paid.amount == 1999);
  auto unpaid = payment_query_from_http(answer(200, R"({"status":"unpaid","payment_id":null,"amount":0})"));
  CHECK(unpaid.call == CallOutcome::kOk);
  CHECK_FALSE(unpaid.paid);
  for (const char* bad : {R"({"status":"paid"})", R"({"status":"paid","payment_id":"p","amount":-1})",
                          R"({"status":"paid","payment_id":"p","amount":1.5})",
                          R"({"status":"paid","payment_id":"p","amount":"10"})",
                          R"({"status":"paid","payment_id":"","amount":10})",
                          R"({"status":"paid","payment_id":3,"amount":10})",
                          R"({"status":"paid","payment_id":"p","amount":18446744073709551615})"}) {
    INFO(bad);
    auto q = payment_query_from_http(answer(200, bad));
    CHECK(q.call == CallOutcome::kRetryable);
    CHECK_FALSE(q.reason.empty());
  }

  CHECK_FALSE(close_from_http(answer(200, R"({"status":"closed"})")).already_paid);
  CHECK(close_from_http(answer(200, R"({"status":"closed"})")).call == CallOutcome::kOk);
  CHECK(close_from_http(answer(200, R"({"status":"already_paid"})")).already_paid);
  CHECK(refund_from_http(answer(200, R"({"status":"success"})")).success);
  auto rf = refund_from_http(answer(201, R"({"status":"failed","reason":"too much"})"));
  CHECK(rf.call == CallOutcome::kOk);
  CHECK(rf.reason == "too much");
}

TEST_CASE("http answers: garbage 2xx bodies are unknown for writes, retryable for reads", "[provider][http_answers]") {
  for (const auto& body : kGarbage) {
    INFO("body: " << body.substr(0, 40));
    for (int s : {200, 204}) {
      auto r = recharge_from_http(answer(s, body));
      CHECK(r.call == CallOutcome::kUnknown);
      CHECK_FALSE(r.reason.empty());
      CHECK(close_from_http(answer(s, body)).call == CallOutcome::kUnknown);
      CHECK(refund_from_http(answer(s, body)).call == CallOutcome::kUnknown);
      CHECK(recharge_query_from_http(answer(s, body)).call == CallOutcome::kRetryable);
      CHECK(payment_query_from_http(answer(s, body)).call == CallOutcome::kRetryable);
    }
    // The same garbage on an error status never throws either.
    CHECK(recharge_from_http(answer(422, body)).call == CallOutcome::kOk);
    CHECK(recharge_from_http(answer(500, body)).call == CallOutcome::kUnknown);
  }
}
