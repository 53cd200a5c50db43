// api_system.cpp — health, readiness, needs-attention list, dead letters,
// stats, metrics and the embedded status page.
#include <charconv>

#include "http/api.h"
#include "http/bodies.h"
#include "store/async_commit.h"

namespace orderd::web {
const std::vector<std::pair<std::string_view, std::string_view>>& assets();
}

namespace orderd::http {

namespace asio = boost::asio;

std::optional<Response> require_admin(const Request& req, const ApiDeps& deps) {
  return require_token(req, deps.admin_token);
}

namespace {

Json dead_letter_json(const queue::DeadLetter& d) {
  return {{"id", std::to_string(d.job.id)}, {"type", d.job.type},          {"order_id", d.job.key},
          {"attempts", d.job.attempt},      {"reason", d.reason},          {"failed_at", format_rfc3339(d.failed_at)},
          {"payload", d.job.payload}};
}

asio::awaitable<Response> dead_letter_action(Request& req, ApiDeps& deps, bool replay) {
  if (auto denied = require_admin(req, deps)) co_return *denied;
  auto id = parse_dead_id(req);
  if (!id) co_return problem_from_error(id.error());
  auto action = [&deps, id = *id, replay](store::WriteTxn& txn) -> Result<Ok> {
    Status st = replay ? deps.jobs.replay(txn, id, deps.clock.now_ms()) : deps.jobs.remove_dead(txn, id);
    if (!st) return st.error();
    return Ok{};
  };
  auto done = co_await store::async_commit<Ok>(deps.writer, std::move(action));
  if (!done) co_return problem_from_error(done.error());
  co_return json_response(replay ? 202 : 200, {{"id", std::to_string(*id)}, {"status", replay ? "replayed" : "deleted"}});
}

std::string content_type_for(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".yaml")) return "application/yaml";
  return "application/octet-stream";
}

std::optional<Response> asset(std::string_view name) {
  for (const auto& [n, data] : web::assets()) {
    if (n != name) continue;
    Response r;
    r.content_type = content_type_for(name);
    r.body = std::string(data);
    return r;
  }
  return std::nullopt;
}

}  // namespace

void add_system_routes(Router& router, ApiDeps& deps) {
  router.add("GET", "/healthz", [](Request&) -> asio::awaitable<Response> { co_return json_response(200, {{"status", "ok"}}); });
  router.add("GET", "/readyz", [&deps](Request&) -> asio::awaitable<Response> {
    if (deps.ready()) co_return json_response(200, {{"status", "ready"}});
    Response r = problem(503, "not ready: starting, draining, or storage full");
    r.headers.emplace_back("Retry-After", "1");
    co_return r;
  });
  router.add("GET", "/v1/attention", [&deps](Request& req) -> asio::awaitable<Response> {
    auto limit = parse_limit(req);
    if (!limit) co_return problem_from_error(limit.error());
    store::ReadTxn txn(deps.writer.env());
    Json items = Json::array();
    for (const auto& a : orders::list_attention(txn, *limit))
      items.push_back({{"order_id", a.order_id}, {"kind", a.kind}, {"detail", a.detail}, {"since", format_rfc3339(a.since)}});
    co_return json_response(200, {{"items", items}});
  });
  router.add("GET", "/v1/dead-letters", [&deps](Request& req) -> asio::awaitable<Response> {
    auto limit = parse_limit(req);
    if (!limit) co_return problem_from_error(limit.error());
    auto after = parse_int_param(req, "after", 0, 0, INT64_MAX);
    if (!after) co_return problem_from_error(after.error());
    store::ReadTxn txn(deps.writer.env());
    auto dead = queue::JobStore::list_dead(txn, *limit + 1, static_cast<uint64_t>(*after));
    Json items = Json::array();
    for (size_t i = 0; i < dead.size() && i < *limit; ++i) items.push_back(dead_letter_json(dead[i]));
    Json next = dead.size() > *limit ? Json(std::to_string(dead[*limit - 1].job.id)) : Json(nullptr);
    co_return json_response(200, {{"items", items}, {"next", next}});
  });
  router.add("POST", "/v1/dead-letters/{id}/replay", [&deps](Request& req) { return dead_letter_action(req, deps, true); });
  router.add("DELETE", "/v1/dead-letters/{id}", [&deps](Request& req) { return dead_letter_action(req, deps, false); });
  router.add("GET", "/v1/stats", [&deps](Request&) -> asio::awaitable<Response> {
    auto scan = [&deps] { return deps.stats(); };
    Json stats = co_await off_loop(deps.reports, scan);
    co_return json_response(200, stats);
  });
  router.add("GET", "/metrics", [&deps](Request&) -> asio::awaitable<Response> {
    auto scan = [&deps] { return deps.metrics(); };
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = co_await off_loop(deps.reports, scan);
    co_return r;
  });
  router.add("GET", "/", [](Request&) -> asio::awaitable<Response> {
    if (auto r = asset("index.html")) co_return *r;
    co_return problem(404, "status page not built in");
  });
  router.add("GET", "/openapi.yaml", [](Request&) -> asio::awaitable<Response> {
    if (auto r = asset("openapi.yaml")) co_return *r;
    co_return problem(404, "OpenAPI description not built in");
  });
  router.add("GET", "/web/{file}", [](Request& req) -> asio::awaitable<Response> {
    if (auto r = asset(req.params["file"])) co_return *r;
    co_return problem(404, "no such file", "file");
  });
}

}  // namespace orderd::http
