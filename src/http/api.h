// api.h — the resource handlers of the public API, registered on a Router.
// One file per resource (api_recharges.cpp, api_orders.cpp, api_system.cpp); handlers are
// pure request → response functions that may co_await a commit or a wake-up.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <string>

#include "core/clock.h"
#include "http/bodies.h"
#include "http/off_loop.h"
#include "http/router.h"
#include "http/waiters.h"
#include "orders/purchase_service.h"
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
  orders::PurchaseService* purchases = nullptr;  // set when purchase routes are served
  std::string notify_secret;                     // verifies Orderd-Signature of payment notifies
  // POST /v1/sim/pay/{id} (--provider sim only; unset → 404): pays at the
  // simulated provider, which then sends the signed notify to this server.
  // Errors: kNotFound, kInvalid "amount", kConflict (closed, !even_if_closed).
  std::function<Result<Json>(const std::string& order_id, int64_t amount, DurationMs notify_delay,
                             bool even_if_closed)>
      sim_pay;
  // Where scans over all rows run (stats, metrics, reconciliation): one
  // HTTP loop serves many connections, so a long read there would hold them
  // all. Empty → inline (tests without a report thread). See off_loop.h.
  boost::asio::any_io_executor reports;
};

void add_recharge_routes(Router& router, ApiDeps& deps);
void add_system_routes(Router& router, ApiDeps& deps);
// SKUs, purchase orders, users, payment notify, sim pay, reconciliation (SPEC §4).
void add_order_routes(Router& router, ApiDeps& deps);

// Shared by handlers: bearer-token check for admin endpoints; nullopt = allowed.
std::optional<Response> require_admin(const Request& req, const ApiDeps& deps);
// Query/path parameter parsers (parse_limit, parse_wait, …) live in bodies.h.

}  // namespace orderd::http
