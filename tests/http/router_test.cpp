// Tests for src/http/router.*: matching, captures, 404 vs 405, target parsing.
#include <catch2/catch.hpp>

#include "http/router.h"

using namespace orderd;
using namespace orderd::http;

namespace {
Handler tagged(std::string tag) {
  return [tag](Request&) -> boost::asio::awaitable<Response> { co_return json_response(200, Json{{"tag", tag}}); };
}
Request request(std::string method, std::string target) {
  Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  return req;
}
Router sample_router() {
  Router router;
  router.add("POST", "/v1/recharges", tagged("create"));
  router.add("GET", "/v1/recharges", tagged("list"));
  router.add("GET", "/v1/recharges/{id}", tagged("get"));
  router.add("GET", "/v1/orders/{id}", tagged("order"));
  router.add("GET", "/v1/orders/stats", tagged("stats"));  // added after the capture: must still win
  router.add("DELETE", "/v1/dead-letters/{id}", tagged("dl-delete"));
  router.add("POST", "/v1/dead-letters/{id}/replay", tagged("dl-replay"));
  router.add("GET", "/", tagged("root"));
  return router;
}
}  // namespace

TEST_CASE("router matches literals and fills captures", "[http]") {
  Router router = sample_router();
  std::string allow;
  Request req = request("GET", "/v1/recharges/rc_42?wait=10");
  const Router::Route* route = router.match_route(req, &allow);
  REQUIRE(route != nullptr);
  CHECK(route->pattern == "/v1/recharges/{id}");
  CHECK(req.params.at("id") == "rc_42");

  Request replay = request("POST", "/v1/dead-letters/dl_7/replay");
  REQUIRE(router.match(replay, &allow) != nullptr);
  CHECK(replay.params.at("id") == "dl_7");

  Request root = request("GET", "/");
  REQUIRE(router.match_route(root, &allow) != nullptr);
  CHECK(router.match_route(root, &allow)->pattern == "/");
}

TEST_CASE("router prefers a literal segment over a capture", "[http]") {
  Router router = sample_router();
  std::string allow;
  Request stats = request("GET", "/v1/orders/stats");
  REQUIRE(router.match_route(stats, &allow) != nullptr);
  CHECK(router.match_route(stats, &allow)->pattern == "/v1/orders/stats");
  CHECK(stats.params.empty());
  Request order = request("GET", "/v1/orders/po_1");
  CHECK(router.match_route(order, &allow)->pattern == "/v1/orders/{id}");
}

TEST_CASE("router: unknown path gives empty allow, wrong method lists methods", "[http]") {
  Router router = sample_router();
  std::string allow = "junk";
  Request unknown = request("GET", "/v1/nothing");
  CHECK(router.match(unknown, &allow) == nullptr);
  CHECK(allow.empty());

  Request wrong = request("DELETE", "/v1/recharges");
  CHECK(router.match(wrong, &allow) == nullptr);
  CHECK(allow == "POST, GET");

  Request trailing = request("GET", "/v1/recharges/rc_1/");  // trailing slash is another path
  CHECK(router.match(trailing, &allow) == nullptr);
  CHECK(allow.empty());
  Request empty_capture = request("GET", "/v1/recharges//");
  CHECK(router.match(empty_capture, &allow) == nullptr);
}

TEST_CASE("router percent-decodes captures segment by segment", "[http]") {
  Router router = sample_router();
  std::string allow;
  Request req = request("GET", "/v1/recharges/a%2Fb%20c");
  REQUIRE(router.match(req, &allow) != nullptr);
  CHECK(req.params.at("id") == "a/b c");
  Request bad = request("GET", "/v1/recharges/%zz");
  CHECK(router.match(bad, &allow) == nullptr);
}

TEST_CASE("routes lists METHOD pattern", "[http]") {
  auto routes = sample_router().routes();
  REQUIRE(routes.size() == 8);
  CHECK(routes[0] == "POST /v1/recharges");
  CHECK(routes[2] == "GET /v1/recharges/{id}");
}

TEST_CASE("parse_target decodes path and query", "[http]") {
  Request req = request("GET", "/v1/rech%61rges?status=pending&limit=20&after=rc%5F9&q=a+b&flag&=x");
  REQUIRE(parse_target(req).ok());
  CHECK(req.path == "/v1/recharges");
  CHECK(req.query.at("status") == "pending");
  CHECK(req.query.at("limit") == "20");
  CHECK(req.query.at("after") == "rc_9");
  CHECK(req.query.at("q") == "a b");
  CHECK(req.query.at("flag").empty());

  Request first_wins = request("GET", "/x?a=1&a=2");
  REQUIRE(parse_target(first_wins).ok());
  CHECK(first_wins.query.at("a") == "1");

  Request bad = request("GET", "/x?a=%4");
  auto st = parse_target(bad);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kMalformed);
  CHECK_FALSE(percent_decode("%", false).ok());
  CHECK(percent_decode("%41+", false).value() == "A+");
}
