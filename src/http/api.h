// api.h — the resource handlers of the public API, registered on a Router.
// One file per resource (api_recharges.cpp, api_system.cpp); handlers are
// pure request → response functions that may co_await a commit or a wake-up.
#pragma once
#include <functional>
#include <string>

#include "core/clock.h"
#include "http/router.h"
#include "http/waiters.h"
#include "orders/recharge_service.h"
#include "queue/jobs.h"
#include "store/writer.h"

namespace orderd::http {

struct ApiDeps {
  orders::RechargeService& recharges;
  store::Writer& writer;
  queue::JobStore& jobs;
  Waiters& waiters;
  const Clock& clock;
  std::string admin_token;            // "" = admin endpoints open
  std::function<bool()> ready;        // /readyz
  std::function<Json()> stats;        // /v1/stats
  std::function<std::string()> metrics;  // /metrics (Prometheus text)
};

void add_recharge_routes(Router& router, ApiDeps& deps);
void add_system_routes(Router& router, ApiDeps& deps);

// Shared by handlers: bearer-token check for admin endpoints; nullopt = allowed.
std::optional<Response> require_admin(const Request& req, const ApiDeps& deps);
// Parses ?limit= (default 50, 1..500). Errors name the parameter.
Result<size_t> parse_limit(const Request& req);
// Parses ?wait= seconds (0..600). Errors name the parameter.
Result<int> parse_wait(const Request& req);

}  // namespace orderd::http
