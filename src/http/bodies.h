// bodies.h — the inputs of the public API (request bodies, query and path
// parameters, the admin bearer token) parsed and validated as pure functions
// (no I/O, no state), so handlers stay thin and the fuzzers in tests/fuzz/
// drive exactly what the server runs. Every rejection is an Error naming the
// field, parameter or header; nothing here writes or throws, whatever the input.
//
// Thread: any.
#pragma once
#include <optional>
#include <string>

#include "core/duration.h"
#include "core/result.h"
#include "http/types.h"
#include "orders/purchase_service.h"
#include "orders/recharge_service.h"

namespace orderd::http {

// ?name= as an integer in [lo, hi]; absent → def. Errors: kInvalid naming `name`.
Result<long long> parse_int_param(const Request& req, const std::string& name, long long def, long long lo,
                                  long long hi);
// ?limit= (default 50, 1..500). Errors: kInvalid "limit".
Result<size_t> parse_limit(const Request& req);
// ?wait= seconds (default 0, 0..600). Errors: kInvalid "wait".
Result<int> parse_wait(const Request& req);
// The {id} path parameter of a dead letter, a decimal uint64.
// REQUIRES: req.params has "id" (the route captured it). Errors: kInvalid "id".
Result<uint64_t> parse_dead_id(const Request& req);

// Admin check: nullopt when `token` is empty (admin endpoints open) or the
// request carries "Authorization: Bearer <token>" (compared in constant
// time); otherwise the 401 problem with WWW-Authenticate: Bearer.
std::optional<Response> require_token(const Request& req, const std::string& token);

// POST /v1/recharges (body + Idempotency-Key header).
Result<orders::CreateRechargeRequest> parse_recharge_create(const Request& req);
// POST /v1/orders (body + Idempotency-Key header). Duplicate SKUs are refused.
Result<orders::CreateOrderRequest> parse_order_create(const Request& req);

struct SkuPut {
  int64_t stock = 0;
  std::optional<int64_t> price;
};
// PUT /v1/skus/{sku}.
Result<SkuPut> parse_sku_put(const std::string& body);

struct PaymentNotify {
  std::string order_id, payment_id, status;
  int64_t amount = 0;
};
// POST /v1/payments/notify (after the signature was verified over the raw body).
Result<PaymentNotify> parse_payment_notify(const std::string& body);

struct SimPay {
  std::optional<int64_t> amount;  // default: the order's amount
  DurationMs notify_delay = 0;
  bool even_if_closed = false;
};
// POST /v1/sim/pay/{id}: an empty body is all defaults.
Result<SimPay> parse_sim_pay(const std::string& body);

}  // namespace orderd::http
