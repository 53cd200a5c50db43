// api_orders.cpp — SKUs, purchase orders, users, the signed payment notify,
// the simulator's pay button and the reconciliation report (SPEC §4, §5).
// Every body is validated completely before anything is written.
#include <set>

#include "http/api.h"
#include "http/bodies.h"
#include "provider/signature.h"

namespace orderd::http {

namespace asio = boost::asio;

namespace {

Response answer_response(const orders::CreateAnswer& a) {
  Response res = json_response(a.status, a.body);
  if (a.body.is_object() && a.body.contains("id"))
    res.headers.emplace_back("Location", "/v1/orders/" + a.body.value("id", ""));
  if (a.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

asio::awaitable<Response> put_sku(Request& req, ApiDeps& deps) {
  if (auto denied = require_admin(req, deps)) co_return *denied;
  const std::string sku = req.params["sku"];
  if (sku.size() > 128) co_return problem(422, "sku is longer than 128 bytes", "sku");
  auto put = parse_sku_put(req.body);
  if (!put) co_return problem_from_error(put.error());
  auto saved = co_await deps.purchases->put_sku(sku, put->stock, put->price);
  if (!saved) co_return problem_from_error(saved.error());
  co_return json_response(200, *saved);
}

asio::awaitable<Response> get_sku(Request& req, ApiDeps& deps) {
  auto s = deps.purchases->get_sku(req.params["sku"]);
  if (!s) co_return problem(404, "no SKU " + req.params["sku"], "sku");
  co_return json_response(200, *s);
}

asio::awaitable<Response> create(Request& req, ApiDeps& deps) {
  auto parsed = parse_order_create(req);
  if (!parsed) co_return problem_from_error(parsed.error());
  auto answer = co_await deps.purchases->create(std::move(*parsed));
  if (!answer) co_return problem_from_error(answer.error());
  co_return answer_response(*answer);
}

// ?wait=S&since=STATUS: answers when the status differs from `since` (by
// default the status at the first read; a terminal order answers at once).
asio::awaitable<Response> get_one(Request& req, ApiDeps& deps) {
  const std::string id = req.params["id"];
  auto wait = parse_wait(req);
  if (!wait) co_return problem_from_error(wait.error());
  const auto since = req.query_param("since");
  const TimeMs until = deps.clock.now_ms() + static_cast<TimeMs>(*wait) * 1000;
  std::optional<std::string> seen_status = since;
  for (;;) {
    const uint64_t seen = deps.waiters.epoch();  // read first: a later commit wakes us
    auto p = deps.purchases->get(id);
    if (!p) co_return problem(404, "no purchase order " + id, "id");
    if (!seen_status) {
      if (orders::is_terminal_purchase(p->status)) co_return json_response(200, orders::to_api(*p));
      seen_status = p->status;
    }
    const TimeMs now = deps.clock.now_ms();
    if (p->status != *seen_status || now >= until) co_return json_response(200, orders::to_api(*p));
    co_await deps.waiters.wait(id, seen, until - now);
  }
}

asio::awaitable<Response> list(Request& req, ApiDeps& deps) {
  static const std::set<std::string> kStatuses = {"pending_payment", "closing", "closed",  "paid",
                                                  "completed",       "refund_pending", "refunded"};
  auto limit = parse_limit(req);
  if (!limit) co_return problem_from_error(limit.error());
  const std::string status = req.query_param("status").value_or("");
  if (!status.empty() && !kStatuses.count(status))
    co_return problem(422,
                      "status must be one of pending_payment, closing, closed, paid, completed, refund_pending, "
                      "refunded",
                      "status");
  auto page = deps.purchases->list(status, *limit, req.query_param("after").value_or(""));
  Json items = Json::array();
  for (auto& item : page.items) items.push_back(std::move(item));
  co_return json_response(200, {{"items", items}, {"next", page.next ? Json(*page.next) : Json(nullptr)}});
}

// cancel / refund take no body; an Idempotency-Key makes a retry return the first answer.
asio::awaitable<Response> order_action(Request& req, ApiDeps& deps, bool refund) {
  const std::string key = req.header("idempotency-key");
  if (key.size() > 255) co_return problem(422, "Idempotency-Key is longer than 255 characters", "Idempotency-Key");
  const std::string hash = orders::sha256_hex(req.body);
  Result<orders::CreateAnswer> answer = Error::make(ErrorCode::kInternal, "unreachable");
  if (refund) answer = co_await deps.purchases->refund(req.params["id"], key, hash);
  else answer = co_await deps.purchases->cancel(req.params["id"], key, hash);
  if (!answer) co_return problem_from_error(answer.error());
  co_return answer_response(*answer);
}

asio::awaitable<Response> get_user(Request& req, ApiDeps& deps) {
  if (req.params["user"].size() > 128) co_return problem(422, "user is longer than 128 bytes", "user");
  co_return json_response(200, deps.purchases->get_user(req.params["user"]));
}

// The signature is checked over the raw bytes before the body is parsed.
asio::awaitable<Response> payment_notify(Request& req, ApiDeps& deps) {
  const std::string& header = req.header("orderd-signature");
  if (header.empty()) co_return problem(401, "missing Orderd-Signature header", "Orderd-Signature");
  auto verified =
      provider::verify_signature(deps.notify_secret, header, req.body, deps.clock.now_ms() / 1000);
  if (!verified) {
    Error e = verified.error();
    e.field = "Orderd-Signature";
    co_return problem_from_error(e);
  }
  auto n = parse_payment_notify(req.body);
  if (!n) co_return problem_from_error(n.error());
  if (n->status != "SUCCESS")  // only successful payments move money; acknowledge the rest
    co_return json_response(200, {{"result", "ignored"}, {"order_id", n->order_id}, {"reason", "status " + n->status}});
  auto done = co_await deps.purchases->notify(n->order_id, n->payment_id, n->amount);
  if (!done) co_return problem_from_error(done.error());
  co_return json_response(200, *done);
}

asio::awaitable<Response> sim_pay(Request& req, ApiDeps& deps) {
  if (!deps.sim_pay) co_return problem(404, "POST /v1/sim/pay needs --provider sim");
  const std::string id = req.params["id"];
  auto p = deps.purchases->get(id);
  if (!p) co_return problem(404, "no purchase order " + id, "id");
  auto pay = parse_sim_pay(req.body);
  if (!pay) co_return problem_from_error(pay.error());
  auto paid = deps.sim_pay(id, pay->amount.value_or(p->amount), pay->notify_delay, pay->even_if_closed);
  if (!paid) co_return problem_from_error(paid.error());
  co_return json_response(202, *paid);
}

asio::awaitable<Response> reconciliation(Request&, ApiDeps& deps) {
  auto scan = [&deps] { return deps.purchases->reconciliation(); };  // every purchase order
  Json report = co_await off_loop(deps.reports, scan);
  co_return json_response(200, report);
}

}  // namespace

void add_order_routes(Router& router, ApiDeps& deps) {
  router.add("PUT", "/v1/skus/{sku}", [&deps](Request& req) { return put_sku(req, deps); });
  router.add("GET", "/v1/skus/{sku}", [&deps](Request& req) { return get_sku(req, deps); });
  router.add("POST", "/v1/orders", [&deps](Request& req) { return create(req, deps); });
  router.add("GET", "/v1/orders", [&deps](Request& req) { return list(req, deps); });
  router.add("GET", "/v1/orders/{id}", [&deps](Request& req) { return get_one(req, deps); });
  router.add("POST", "/v1/orders/{id}/cancel", [&deps](Request& req) { return order_action(req, deps, false); });
  router.add("POST", "/v1/orders/{id}/refund", [&deps](Request& req) { return order_action(req, deps, true); });
  router.add("GET", "/v1/users/{user}", [&deps](Request& req) { return get_user(req, deps); });
  router.add("POST", "/v1/payments/notify", [&deps](Request& req) { return payment_notify(req, deps); });
  router.add("POST", "/v1/sim/pay/{id}", [&deps](Request& req) { return sim_pay(req, deps); });
  router.add("GET", "/v1/reconciliation", [&deps](Request& req) { return reconciliation(req, deps); });
}

}  // namespace orderd::http
