// sim_routes.cpp — provider-sim's handlers. See sim_routes.h for the routes,
// the fault timing and the invariants.
#include "provider/sim_routes.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "core/duration.h"

namespace orderd::provider {

namespace asio = boost::asio;
using http::Json;
using http::Request;
using http::Response;
using namespace simjson;

namespace {

struct State {
  std::shared_ptr<SimWorld> world;
  const Clock& clock;
  SimRoutesOptions opts;
};
using StatePtr = std::shared_ptr<State>;

asio::awaitable<void> wait_ms(DurationMs ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// The answer of a contract call, delayed and faulted as the world drew it.
asio::awaitable<Response> deliver(const State& s, SimFault fault, DurationMs latency, Json body) {
  if (fault == SimFault::kLate) {
    co_await wait_ms(2 * latency + s.opts.late_extra_ms);
    co_return http::json_response(200, body);
  }
  co_await wait_ms(latency);
  if (fault == SimFault::kUnavailable) {
    Response r = http::problem(503, "simulated provider outage (fail_rate)");
    r.headers.emplace_back("Retry-After", "1");
    co_return r;
  }
  co_return http::json_response(200, body);
}

Response error_response(const Error& e) {
  if (e.code == ErrorCode::kMalformed) return http::problem(400, e.message);
  if (e.code == ErrorCode::kConflict) return http::problem(409, e.message);
  return http::problem(422, e.message, e.field);
}

Json nullable(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json faults_json(const SimFaults& f) {
  return {{"latency", format_duration(f.latency_ms)}, {"fail_rate", f.fail_rate}, {"timeout_rate", f.timeout_rate}};
}

Json payment_json(const std::string& order_id, const SimPayment& p) {
  return {{"order_id", order_id},
          {"status", p.paid ? "paid" : "unpaid"},
          {"payment_id", nullable(p.payment_id)},
          {"amount", p.amount},
          {"paid_at", p.paid ? Json(format_rfc3339(p.paid_at)) : Json(nullptr)},
          {"closed", p.closed}};
}

// ---- the contract ----

asio::awaitable<Response> post_recharge(StatePtr s, Request& req) {
  auto obj = object_body(req.body, false);
  if (!obj) co_return error_response(obj.error());
  auto order_id = required_string(*obj, "order_id");
  if (!order_id) co_return error_response(order_id.error());
  auto account = required_string(*obj, "account");
  if (!account) co_return error_response(account.error());
  auto amount = required_amount(*obj, "amount");
  if (!amount) co_return error_response(amount.error());
  auto a = s->world->recharge(*order_id, *account, *amount);
  Json body = {{"status", a.value.success ? "success" : "failed"}, {"reason", nullable(a.value.reason)}};
  co_return co_await deliver(*s, a.fault, a.latency_ms, std::move(body));
}

asio::awaitable<Response> get_recharge(StatePtr s, Request& req) {
  auto a = s->world->query_recharge(req.params["order_id"]);
  Json body = {{"status", to_string(a.value)}};  // a named value: GCC 12 rejects brace temporaries across co_await
  co_return co_await deliver(*s, a.fault, a.latency_ms, std::move(body));
}

asio::awaitable<Response> get_payment(StatePtr s, Request& req) {
  auto a = s->world->query_payment(req.params["order_id"]);
  Json body = {{"status", a.value.paid ? "paid" : "unpaid"},
               {"payment_id", nullable(a.value.payment_id)},
               {"amount", a.value.amount}};
  co_return co_await deliver(*s, a.fault, a.latency_ms, std::move(body));
}

asio::awaitable<Response> post_close(StatePtr s, Request& req) {
  auto a = s->world->close_payment(req.params["order_id"]);
  Json body = {{"status", a.value.already_paid ? "already_paid" : "closed"}};
  co_return co_await deliver(*s, a.fault, a.latency_ms, std::move(body));
}

asio::awaitable<Response> post_refund(StatePtr s, Request& req) {
  auto obj = object_body(req.body, false);
  if (!obj) co_return error_response(obj.error());
  auto refund_id = required_string(*obj, "refund_id");
  if (!refund_id) co_return error_response(refund_id.error());
  auto order_id = required_string(*obj, "order_id");
  if (!order_id) co_return error_response(order_id.error());
  auto payment_id = required_string(*obj, "payment_id");
  if (!payment_id) co_return error_response(payment_id.error());
  auto amount = required_amount(*obj, "amount");
  if (!amount) co_return error_response(amount.error());
  auto a = s->world->refund(*refund_id, *order_id, *payment_id, *amount);
  Json body = {{"status", a.value.success ? "success" : "failed"}, {"reason", nullable(a.value.reason)}};
  co_return co_await deliver(*s, a.fault, a.latency_ms, std::move(body));
}

// ---- knobs, customer, ground truth (never faulted) ----

asio::awaitable<Response> put_faults(StatePtr s, Request& req) {
  auto f = parse_faults(req.body, s->world->faults());
  if (!f) co_return error_response(f.error());
  s->world->set_faults(*f);
  co_return http::json_response(200, faults_json(*f));
}

asio::awaitable<Response> post_pay(StatePtr s, Request& req) {
  const std::string& order_id = req.params["order_id"];
  if (order_id.size() > kMaxIdBytes) co_return http::problem(422, "order_id is too long", "order_id");
  auto p = parse_pay(req.body);
  if (!p) co_return error_response(p.error());
  auto paid = s->world->pay(order_id, p->amount, p->even_if_closed, s->clock.now_ms());
  if (!paid) co_return error_response(paid.error());
  const bool notify = static_cast<bool>(s->opts.notify);
  if (notify) {
    auto ex = co_await asio::this_coro::executor;
    schedule_payment_notify(ex, s->clock, s->opts.notify_secret, s->opts.notify,
                            payment_notify_body(order_id, paid->payment_id, paid->amount), p->notify_delay_ms);
  }
  Json body = payment_json(order_id, *paid);
  body["notify"] = notify ? "scheduled" : "none";
  co_return http::json_response(200, body);
}

asio::awaitable<Response> truth_recharge(StatePtr s, Request& req) {
  const std::string& id = req.params["order_id"];
  auto r = s->world->recharge_truth(id);
  if (!r) co_return http::json_response(200, Json{{"order_id", id}, {"status", "unknown"}});
  co_return http::json_response(200, Json{{"order_id", id},
                                          {"status", r->success ? "success" : "failed"},
                                          {"account", r->account},
                                          {"amount", r->amount},
                                          {"reason", nullable(r->reason)}});
}

asio::awaitable<Response> truth_payment(StatePtr s, Request& req) {
  const std::string& id = req.params["order_id"];
  Json body = payment_json(id, s->world->payment_truth(id));
  body["refunded"] = s->world->refunded_total(id);
  co_return http::json_response(200, body);
}

asio::awaitable<Response> truth_refund(StatePtr s, Request& req) {
  const std::string& id = req.params["refund_id"];
  auto r = s->world->refund_truth(id);
  if (!r) co_return http::problem(404, "no refund " + id);
  co_return http::json_response(
      200, Json{{"refund_id", id}, {"order_id", r->order_id}, {"payment_id", r->payment_id}, {"amount", r->amount}});
}

Json counters_json(const SimCounters& c) {
  return {{"calls", c.calls},       {"unavailable", c.unavailable}, {"late", c.late},
          {"credits", c.credits},   {"payments", c.payments},       {"refunds", c.refunds}};
}

asio::awaitable<Response> get_faults(StatePtr s, Request&) {
  co_return http::json_response(200, faults_json(s->world->faults()));
}

asio::awaitable<Response> truth_account(StatePtr s, Request& req) {
  const std::string& account = req.params["account"];
  co_return http::json_response(200, Json{{"account", account}, {"credited", s->world->credited(account)}});
}

asio::awaitable<Response> truth_counters(StatePtr s, Request&) {
  co_return http::json_response(200, counters_json(s->world->counters()));
}

asio::awaitable<Response> healthz(StatePtr, Request&) { co_return http::json_response(200, Json{{"status", "ok"}}); }

}  // namespace

void add_provider_sim_routes(http::Router& router, std::shared_ptr<SimWorld> world, const Clock& clock,
                             SimRoutesOptions opts) {
  auto s = std::make_shared<State>(State{std::move(world), clock, std::move(opts)});
  auto bind = [s](asio::awaitable<Response> (*fn)(StatePtr, Request&)) {
    return [s, fn](Request& req) { return fn(s, req); };
  };
  router.add("POST", "/recharge", bind(post_recharge));
  router.add("GET", "/recharge/{order_id}", bind(get_recharge));
  router.add("GET", "/payments/{order_id}", bind(get_payment));
  router.add("POST", "/payments/{order_id}/close", bind(post_close));
  router.add("POST", "/refunds", bind(post_refund));
  router.add("PUT", "/faults", bind(put_faults));
  router.add("GET", "/faults", bind(get_faults));
  router.add("POST", "/pay/{order_id}", bind(post_pay));
  router.add("GET", "/truth/recharge/{order_id}", bind(truth_recharge));
  router.add("GET", "/truth/payments/{order_id}", bind(truth_payment));
  router.add("GET", "/truth/refunds/{refund_id}", bind(truth_refund));
  router.add("GET", "/truth/accounts/{account}", bind(truth_account));
  router.add("GET", "/truth/counters", bind(truth_counters));
  router.add("GET", "/healthz", bind(healthz));
}

}  // namespace orderd::provider
