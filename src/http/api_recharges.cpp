// api_recharges.cpp — POST/GET /v1/recharges (SPEC §3).
#include <boost/asio/this_coro.hpp>

#include "http/api.h"
#include "http/bodies.h"

namespace orderd::http {

namespace asio = boost::asio;

namespace {

asio::awaitable<Response> create(Request& req, ApiDeps& deps) {
  auto parsed = parse_recharge_create(req);
  if (!parsed) co_return problem_from_error(parsed.error());
  auto answer = co_await deps.recharges.create(std::move(*parsed));
  if (!answer) co_return problem_from_error(answer.error());
  Response res = json_response(answer->status, answer->body);
  res.headers.emplace_back("Location", "/v1/recharges/" + answer->body.value("id", ""));
  if (answer->replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
  co_return res;
}

asio::awaitable<Response> get_one(Request& req, ApiDeps& deps) {
  const std::string id = req.params["id"];
  auto wait = parse_wait(req);
  if (!wait) co_return problem_from_error(wait.error());
  const TimeMs until = deps.clock.now_ms() + static_cast<TimeMs>(*wait) * 1000;
  for (;;) {
    // Read the epoch first: a change committed after this read wakes us.
    const uint64_t seen = deps.waiters.epoch();
    auto r = deps.recharges.get(id);
    if (!r) co_return problem(404, "no recharge order " + id, "id");
    const TimeMs now = deps.clock.now_ms();
    if (orders::is_terminal(r->status) || now >= until) co_return json_response(200, orders::to_api(*r));
    co_await deps.waiters.wait(id, seen, until - now);
  }
}

asio::awaitable<Response> list(Request& req, ApiDeps& deps) {
  auto limit = parse_limit(req);
  if (!limit) co_return problem_from_error(limit.error());
  const std::string status = req.query_param("status").value_or("");
  if (!status.empty() && status != "queued" && status != "processing" && !orders::is_terminal(status))
    co_return problem(422, "status must be one of queued, processing, succeeded, failed, timed_out", "status");
  auto page = deps.recharges.list(status, *limit, req.query_param("after").value_or(""));
  Json items = Json::array();
  for (auto& item : page.items) items.push_back(std::move(item));
  co_return json_response(200, {{"items", items}, {"next", page.next ? Json(*page.next) : Json(nullptr)}});
}

}  // namespace

void add_recharge_routes(Router& router, ApiDeps& deps) {
  router.add("POST", "/v1/recharges", [&deps](Request& req) { return create(req, deps); });
  router.add("GET", "/v1/recharges", [&deps](Request& req) { return list(req, deps); });
  router.add("GET", "/v1/recharges/{id}", [&deps](Request& req) { return get_one(req, deps); });
}

}  // namespace orderd::http
