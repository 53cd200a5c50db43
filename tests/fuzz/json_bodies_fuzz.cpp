// json_bodies_fuzz.cpp — libFuzzer target for every JSON body parser: the
// input is one body, and every parser in kParsers reads it (coverage tells
// the fuzzer which parser a mutation reached further into).
//
//   json_body      parse_json_object + the typed getters (src/http/json_body.*)
//   recharge       POST /v1/recharges body (http/bodies.h)
//   order_create   POST /v1/orders body
//   sku_put        PUT /v1/skus/{sku} body
//   notify         POST /v1/payments/notify body (after its signature)
//   orderd_sim_pay POST /v1/sim/pay/{id} body
//   sim_faults     provider-sim PUT /faults body (provider/sim_requests.h)
//   sim_pay        provider-sim POST /pay/{order_id} body
//   answer_*       the HTTP provider's answers (provider/http_answers.h), as a
//                  2xx body and as the body of one refusal status
//
// Adding a parser is one line in kParsers: {"name", [](const std::string& body) { ... }},
// (its .cpp must be in ORDERD_FUZZ_SOURCES of tests/fuzz/CMakeLists.txt).
//
// Properties checked (besides ASan/UBSan): a value a parser accepts obeys its
// contract (amounts in range, rates in [0,1], strings within their limits,
// no field error without a field name), and a 2xx provider answer that is
// not a JSON object is never taken as a decided outcome.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "http/bodies.h"
#include "http/json_body.h"
#include "provider/http_answers.h"
#include "provider/sim_requests.h"

namespace {

using namespace orderd;
using provider::CallOutcome;

http::Request with_body(const std::string& body) {
  http::Request req;
  req.method = "POST";
  req.body = body;
  return req;
}

// A rejection names its field unless the body as a whole is at fault.
void check_error(const Error& e) {
  FUZZ_CHECK(e.code == ErrorCode::kMalformed || e.code == ErrorCode::kInvalid);
  if (e.code == ErrorCode::kInvalid && e.field.empty()) FUZZ_CHECK(e.message.find("object") != std::string::npos);
}

void json_body(const std::string& body) {
  auto obj = http::parse_json_object(body);
  if (!obj) return check_error(obj.error());
  FUZZ_CHECK(http::is_valid_utf8(body) && obj->is_object());
  if (auto amount = http::required_amount(*obj, "amount")) FUZZ_CHECK(*amount >= 1 && *amount <= http::kMaxAmount);
  if (auto s = http::required_string(*obj, "account", 128)) FUZZ_CHECK(!s->empty() && s->size() <= 128);
  if (auto s = http::optional_string(*obj, "notify_url", 16); s && *s) FUZZ_CHECK((*s)->size() <= 16);
  if (auto n = http::optional_int(*obj, "qty", -5, 1'000'000); n && *n) FUZZ_CHECK(**n >= -5 && **n <= 1'000'000);
  (void)http::required_bool(*obj, "even_if_closed");
  (void)http::optional_bool(*obj, "flag");
  auto items = http::optional_array(*obj, "items", 100);
  if (!items || !*items) return;
  FUZZ_CHECK((*items)->size() <= 100);
  for (size_t i = 0; i < (*items)->size(); ++i) {
    const http::Json& item = (**items)[i];
    if (!item.is_object()) continue;
    auto sku = http::required_string(item, "sku", 128);
    if (sku) continue;
    const std::string prefix = "items[" + std::to_string(i) + "].";
    Error nested = http::nest_field(sku.error(), prefix);
    FUZZ_CHECK(nested.field == prefix + "sku" && nested.message.rfind(prefix, 0) == 0);
  }
}

void recharge(const std::string& body) {
  auto r = http::parse_recharge_create(with_body(body));
  if (!r) return check_error(r.error());
  FUZZ_CHECK(!r->account.empty() && r->account.size() <= 128);
  FUZZ_CHECK(r->amount >= 1 && r->amount <= http::kMaxAmount);
  FUZZ_CHECK(r->notify_url.empty() || r->notify_url.rfind("http://", 0) == 0);
  FUZZ_CHECK(r->body_hash.size() == 64);
}

void order_create(const std::string& body) {
  auto r = http::parse_order_create(with_body(body));
  if (!r) return check_error(r.error());
  FUZZ_CHECK(!r->user.empty() && r->user.size() <= 128);
  FUZZ_CHECK(!r->items.empty() && r->items.size() <= 100);
  std::set<std::string> skus;
  for (const auto& line : r->items) {
    FUZZ_CHECK(!line.sku.empty() && line.sku.size() <= 128);
    FUZZ_CHECK(line.qty >= 1 && line.qty <= 1'000'000);
    FUZZ_CHECK(skus.insert(line.sku).second);  // duplicates are refused, never merged silently
  }
  FUZZ_CHECK(r->notify_url.empty() || r->notify_url.rfind("http://", 0) == 0);
}

void sku_put(const std::string& body) {
  auto r = http::parse_sku_put(body);
  if (!r) return check_error(r.error());
  FUZZ_CHECK(r->stock >= 0);
  if (r->price) FUZZ_CHECK(*r->price >= 0 && *r->price <= http::kMaxAmount);
}

void notify(const std::string& body) {
  auto r = http::parse_payment_notify(body);
  if (!r) return check_error(r.error());
  FUZZ_CHECK(!r->order_id.empty() && !r->payment_id.empty() && !r->status.empty());
  FUZZ_CHECK(r->amount >= 1 && r->amount <= http::kMaxAmount);
}

void orderd_sim_pay(const std::string& body) {
  auto r = http::parse_sim_pay(body);
  if (!r) return check_error(r.error());
  if (r->amount) FUZZ_CHECK(*r->amount >= 1 && *r->amount <= http::kMaxAmount);
  FUZZ_CHECK(r->notify_delay >= 0 && r->notify_delay <= 3'600'000);
}

void sim_faults(const std::string& body) {
  auto f = provider::parse_faults(body, provider::SimFaults{});
  if (!f) return check_error(f.error());
  FUZZ_CHECK(f->latency_ms >= 0);
  FUZZ_CHECK(f->fail_rate >= 0 && f->fail_rate <= 1 && f->timeout_rate >= 0 && f->timeout_rate <= 1);
}

void sim_pay(const std::string& body) {
  auto p = provider::parse_pay(body);
  if (!p) return check_error(p.error());
  FUZZ_CHECK(p->amount > 0 && p->notify_delay_ms >= 0);
}

// The provider's answer with this body: status 200, and a refusal status
// chosen by the body's length so each special status gets exercised.
std::pair<provider::HttpAnswer, provider::HttpAnswer> answers(const std::string& body) {
  static const int kOther[] = {400, 404, 409, 422, 503, 500, 302};
  http::ClientResponse ok{200, body, {}};
  http::ClientResponse other{kOther[body.size() % 7], body, {}};
  return {provider::HttpAnswer(ok), provider::HttpAnswer(other)};
}

bool is_json_object(const std::string& body) {
  return http::Json::parse(body, nullptr, /*allow_exceptions=*/false).is_object();
}

void answer_recharge(const std::string& body) {
  auto [ok, other] = answers(body);
  auto r = provider::recharge_from_http(ok);
  if (!is_json_object(body)) FUZZ_CHECK(r.call == CallOutcome::kUnknown);
  if (r.success) FUZZ_CHECK(r.call == CallOutcome::kOk);
  FUZZ_CHECK(!provider::recharge_from_http(other).success);
}

void answer_recharge_query(const std::string& body) {
  auto [ok, other] = answers(body);
  auto q = provider::recharge_query_from_http(ok);
  if (!is_json_object(body)) FUZZ_CHECK(q.call == CallOutcome::kRetryable);
  (void)provider::recharge_query_from_http(other);
}

void answer_payment_query(const std::string& body) {
  auto [ok, other] = answers(body);
  auto q = provider::payment_query_from_http(ok);
  if (!is_json_object(body)) FUZZ_CHECK(q.call == CallOutcome::kRetryable && !q.paid);
  if (q.paid) FUZZ_CHECK(q.call == CallOutcome::kOk && !q.payment_id.empty() && q.amount >= 0);
  FUZZ_CHECK(!provider::payment_query_from_http(other).paid);
}

void answer_close(const std::string& body) {
  auto [ok, other] = answers(body);
  auto c = provider::close_from_http(ok);
  if (!is_json_object(body)) FUZZ_CHECK(c.call == CallOutcome::kUnknown && !c.already_paid);
  FUZZ_CHECK(!provider::close_from_http(other).already_paid);
}

void answer_refund(const std::string& body) {
  auto [ok, other] = answers(body);
  auto r = provider::refund_from_http(ok);
  if (!is_json_object(body)) FUZZ_CHECK(r.call == CallOutcome::kUnknown);
  FUZZ_CHECK(!provider::refund_from_http(other).success);
}

struct BodyParser {
  const char* name;
  void (*parse)(const std::string& body);
};

// One line per parser (see the top of the file).
const BodyParser kParsers[] = {
    {"json_body", json_body},
    {"recharge", recharge},
    {"order_create", order_create},
    {"sku_put", sku_put},
    {"notify", notify},
    {"orderd_sim_pay", orderd_sim_pay},
    {"sim_faults", sim_faults},
    {"sim_pay", sim_pay},
    {"answer_recharge", answer_recharge},
    {"answer_recharge_query", answer_recharge_query},
    {"answer_payment_query", answer_payment_query},
    {"answer_close", answer_close},
    {"answer_refund", answer_refund},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const BodyParser& p : kParsers) p.parse(body);
  return 0;
}
