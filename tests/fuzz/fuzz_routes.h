// fuzz_routes.h — the public API's route table as the HTTP fuzz target sees
// it: every served (method, pattern) with the input parsing its handler does
// before any effect. The handlers themselves need the engine (LMDB, writer,
// services), so the target stops at their input parsing; which is where
// hostile bytes are turned into values.
//
// tests/http/fuzz_routes_test.cpp (Catch2, in orderd_tests) checks that this
// table lists exactly the routes of the real router: a new route fails that
// test until it gets its line here.
//
// Thread: the table is immutable; the parsers are pure.
#pragma once
#include <string>
#include <vector>

#include "http/json_body.h"
#include "http/bodies.h"
#include "http/types.h"
#include "provider/signature.h"

namespace orderd::fuzz {

inline constexpr const char* kFuzzAdminToken = "fuzz-admin-token";
inline constexpr const char* kFuzzNotifySecret = "fuzz-notify-secret";
inline constexpr int64_t kFuzzNowS = 1'700'000'000;

using InputParser = void (*)(const http::Request&);

struct FuzzRoute {
  const char* method;
  const char* pattern;
  InputParser parse_inputs;  // the handler's input parsing, in the handler's order
};

namespace inputs {

inline void none(const http::Request&) {}
inline void wait(const http::Request& req) { (void)http::parse_wait(req); }
inline void list(const http::Request& req) {
  (void)http::parse_limit(req);
  (void)http::parse_int_param(req, "after", 0, 0, INT64_MAX);
}
inline void dead_letter_action(const http::Request& req) {
  if (http::require_token(req, kFuzzAdminToken)) return;
  (void)http::parse_dead_id(req);
}
inline void create_recharge(const http::Request& req) { (void)http::parse_recharge_create(req); }
inline void create_order(const http::Request& req) { (void)http::parse_order_create(req); }
inline void put_sku(const http::Request& req) {
  if (http::require_token(req, kFuzzAdminToken)) return;
  (void)http::parse_sku_put(req.body);
}
inline void sim_pay(const http::Request& req) { (void)http::parse_sim_pay(req.body); }
// The notify handler verifies the signature over the raw bytes first.
inline void payment_notify(const http::Request& req) {
  const std::string& header = req.header("orderd-signature");
  if (header.empty()) return;
  if (!provider::verify_signature(kFuzzNotifySecret, header, req.body, kFuzzNowS)) return;
  (void)http::parse_payment_notify(req.body);
}

}  // namespace inputs

inline const std::vector<FuzzRoute>& fuzz_routes() {
  static const std::vector<FuzzRoute> kRoutes = {
      // system (api_system.cpp)
      {"GET", "/healthz", inputs::none},
      {"GET", "/readyz", inputs::none},
      {"GET", "/v1/attention", inputs::list},
      {"GET", "/v1/dead-letters", inputs::list},
      {"POST", "/v1/dead-letters/{id}/replay", inputs::dead_letter_action},
      {"DELETE", "/v1/dead-letters/{id}", inputs::dead_letter_action},
      {"GET", "/v1/stats", inputs::none},
      {"GET", "/metrics", inputs::none},
      {"GET", "/", inputs::none},
      {"GET", "/openapi.yaml", inputs::none},
      {"GET", "/web/{file}", inputs::none},
      // recharges (api_recharges.cpp)
      {"POST", "/v1/recharges", inputs::create_recharge},
      {"GET", "/v1/recharges", inputs::list},
      {"GET", "/v1/recharges/{id}", inputs::wait},
      // purchases (api_orders.cpp)
      {"PUT", "/v1/skus/{sku}", inputs::put_sku},
      {"GET", "/v1/skus/{sku}", inputs::none},
      {"POST", "/v1/orders", inputs::create_order},
      {"GET", "/v1/orders", inputs::list},
      {"GET", "/v1/orders/{id}", inputs::wait},
      {"POST", "/v1/orders/{id}/cancel", inputs::none},
      {"POST", "/v1/orders/{id}/refund", inputs::none},
      {"GET", "/v1/users/{user}", inputs::none},
      {"POST", "/v1/payments/notify", inputs::payment_notify},
      {"POST", "/v1/sim/pay/{id}", inputs::sim_pay},
      {"GET", "/v1/reconciliation", inputs::none},
  };
  return kRoutes;
}

}  // namespace orderd::fuzz
