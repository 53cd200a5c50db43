// End-to-end tests for src/http/server.*: a real server on port 0, spoken to
// with the Client and with raw sockets. Every wait is bounded.
#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <stdexcept>

#include "http/client.h"
#include "http/off_loop.h"
#include "http/server.h"
#include "http/waiters.h"
#include "http_test_util.h"

using namespace orderd;
using namespace orderd::http;
using namespace orderd::http::test;
using namespace std::chrono_literals;

namespace {

Router test_router(std::atomic<int>* slow_started) {
  Router router;
  router.add("GET", "/v1/slow", [slow_started](Request&) -> asio::awaitable<Response> {
    ++*slow_started;
    asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
    co_await timer.async_wait(asio::use_awaitable);
    co_return json_response(200, Json{{"slow", true}});
  });
  router.add("GET", "/v1/echo/{id}", [](Request& req) -> asio::awaitable<Response> {
    co_return json_response(200, Json{{"id", req.params.at("id")}, {"q", req.query}, {"remote", req.remote}});
  });
  router.add("POST", "/v1/echo", [](Request& req) -> asio::awaitable<Response> {
    co_return json_response(201, Json{{"size", req.body.size()}, {"key", req.header("idempotency-key")}});
  });
  router.add("GET", "/v1/throw", [](Request&) -> asio::awaitable<Response> {
    throw std::runtime_error("handler bug");
    co_return json_response(200, Json::object());
  });
  return router;
}

struct Observed {
  std::mutex mu;
  std::vector<std::string> lines;  // "METHOD route status"
  void add(const std::string& m, const std::string& r, int s) {
    std::lock_guard lock(mu);
    lines.push_back(m + " " + r + " " + std::to_string(s));
  }
  bool has(const std::string& line) {
    std::lock_guard lock(mu);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
};

// A server on 127.0.0.1:0 with two io threads.
struct Harness {
  explicit Harness(ServerOptions opts = {}) : router(test_router(&slow_started)) {
    opts.listen = "127.0.0.1:0";
    opts.observer = [this](const std::string& m, const std::string& r, int s, double) { observed.add(m, r, s); };
    server = std::make_unique<Server>(threads.io, router, std::move(opts));
    REQUIRE(server->start().ok());
    REQUIRE(server->port() != 0);
    client = Client::create(threads.io.get_executor(), "http://127.0.0.1:" + std::to_string(server->port())).value();
  }
  Result<ClientResponse> call(std::string method, std::string target, std::string body = "",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    return run_on(threads.io.get_executor(),
                  client->request(std::move(method), std::move(target), std::move(body), std::move(headers), 3000));
  }
  Observed observed;
  std::atomic<int> slow_started{0};
  Router router;
  IoThreads threads;  // after router/observed: joined before they go
  std::unique_ptr<Server> server;
  std::shared_ptr<Client> client;
};

}  // namespace

TEST_CASE("server answers JSON through the router", "[http]") {
  Harness h;
  auto r = h.call("GET", "/v1/echo/rc%201?wait=10&x=a+b");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->headers.at("content-type") == "application/json");
  Json body = Json::parse(r->body);
  CHECK(body["id"] == "rc 1");
  CHECK(body["q"]["wait"] == "10");
  CHECK(body["q"]["x"] == "a b");

  auto posted = h.call("POST", "/v1/echo", R"({"amount": 1})", {{"Idempotency-Key", "abc"}});
  REQUIRE(posted.ok());
  CHECK(posted->status == 201);
  CHECK(Json::parse(posted->body)["key"] == "abc");
  CHECK(eventually([&] { return h.observed.has("GET /v1/echo/{id} 200") && h.observed.has("POST /v1/echo 201"); }));
}

TEST_CASE("server answers 404 and 405 problems", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  raw.send("GET /v1/nothing HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string not_found = raw.read_response();
  CHECK(status_of(not_found) == 404);
  CHECK(header_of(not_found, "Content-Type") == "application/problem+json");
  CHECK(Json::parse(body_of(not_found))["status"] == 404);

  raw.send("DELETE /v1/echo HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string not_allowed = raw.read_response();
  CHECK(status_of(not_allowed) == 405);
  CHECK(header_of(not_allowed, "Allow") == "POST");
  CHECK(header_of(not_allowed, "Content-Type") == "application/problem+json");
  CHECK(Json::parse(body_of(not_allowed))["type"] == "urn:orderd:problem:method_not_allowed");
  CHECK(eventually([&] { return h.observed.has("GET unmatched 404") && h.observed.has("DELETE unmatched 405"); }));
}

TEST_CASE("server answers 413 problem+json for a 70 KB body and closes", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  std::string body(70 * 1024, 'x');
  raw.send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string answer = raw.read_response();
  CHECK(status_of(answer) == 413);
  CHECK(header_of(answer, "Content-Type") == "application/problem+json");
  CHECK(header_of(answer, "Connection") == "close");
  CHECK(Json::parse(body_of(answer))["status"] == 413);
  CHECK(raw.closed_by_peer());

  auto via_client = h.call("POST", "/v1/echo", body);
  REQUIRE(via_client.ok());
  CHECK(via_client->status == 413);
}

TEST_CASE("server answers 431 for headers over 16 KiB", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  raw.send("GET /v1/echo/a HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(17 * 1024, 'h') + "\r\n\r\n");
  std::string answer = raw.read_response();
  CHECK(status_of(answer) == 431);
  CHECK(header_of(answer, "Content-Type") == "application/problem+json");
}

TEST_CASE("server answers 400 for garbage and for a bad target", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  raw.send("GET /v1/echo/%zz HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(status_of(raw.read_response()) == 400);
  raw.send("NOT HTTP AT ALL\r\n\r\n");
  std::string answer = raw.read_response();
  CHECK(status_of(answer) == 400);
  CHECK(header_of(answer, "Content-Type") == "application/problem+json");
}

TEST_CASE("a throwing handler gives a 500 problem and the server keeps serving", "[http]") {
  Harness h;
  auto thrown = h.call("GET", "/v1/throw");
  REQUIRE(thrown.ok());
  CHECK(thrown->status == 500);
  CHECK(thrown->headers.at("content-type") == "application/problem+json");
  CHECK(Json::parse(thrown->body)["detail"] == "internal error");  // no internals leak
  auto after = h.call("GET", "/v1/echo/1");
  REQUIRE(after.ok());
  CHECK(after->status == 200);
}

TEST_CASE("keep-alive: several requests on one connection", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  for (int i = 0; i < 3; ++i) {
    raw.send("GET /v1/echo/" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    std::string answer = raw.read_response();
    REQUIRE(status_of(answer) == 200);
    CHECK(Json::parse(body_of(answer))["id"] == std::to_string(i));
  }
  CHECK(h.server->connections() == 1);

  // The Client reuses its pooled connection: every answer saw one peer.
  std::string first_remote;
  for (int i = 0; i < 5; ++i) {
    auto r = h.call("GET", "/v1/echo/c");
    REQUIRE(r.ok());
    std::string remote = Json::parse(r->body)["remote"];
    if (i == 0) first_remote = remote;
    CHECK(remote == first_remote);
  }
  CHECK(h.server->connections() == 2);  // the raw socket and the client's one connection
}

TEST_CASE("a client that stalls mid-request is disconnected after the read deadline", "[http]") {
  ServerOptions opts;
  opts.read_timeout_s = 1;
  Harness h(opts);
  RawSocket raw(h.server->port());
  auto start = std::chrono::steady_clock::now();
  raw.send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part");
  CHECK(raw.closed_by_peer());
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 900ms);
  CHECK(waited < 4s);
  CHECK(eventually([&] { return h.server->connections() == 0; }));
}

TEST_CASE("beyond max_connections the server answers 503 with Retry-After", "[http]") {
  ServerOptions opts;
  opts.max_connections = 1;
  Harness h(opts);
  RawSocket first(h.server->port());
  first.send("GET /v1/echo/1 HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(status_of(first.read_response()) == 200);  // the first connection is open and served
  RawSocket second(h.server->port());
  second.send("GET /v1/echo/2 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string answer = second.read_response();
  CHECK(status_of(answer) == 503);
  CHECK(header_of(answer, "Retry-After") == "1");
  CHECK(header_of(answer, "Content-Type") == "application/problem+json");
  CHECK(second.closed_by_peer());
}

TEST_CASE("after stop(): refused, idle connections closed, in-flight requests finish", "[http]") {
  Harness h;
  RawSocket idle(h.server->port());
  idle.send("GET /v1/echo/0 HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(status_of(idle.read_response()) == 200);  // accepted and kept alive, now idle
  RawSocket busy(h.server->port());
  busy.send("GET /v1/slow HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(eventually([&] { return h.slow_started.load() == 1; }));  // the handler is running
  unsigned short port = h.server->port();
  h.server->stop();

  CHECK(idle.closed_by_peer());
  std::string answer = busy.read_response();
  CHECK(status_of(answer) == 200);
  CHECK(header_of(answer, "Connection") == "close");
  CHECK(busy.closed_by_peer());
  CHECK(eventually([&] { return h.server->connections() == 0; }));
  CHECK(eventually([&] {
    try {
      RawSocket probe(port);
      return false;
    } catch (const std::exception&) {
      return true;  // connection refused: the acceptor is closed
    }
  }));
}

TEST_CASE("parse_host_port", "[http]") {
  auto v4 = parse_host_port("127.0.0.1:8080");
  REQUIRE(v4.ok());
  CHECK(v4->first == "127.0.0.1");
  CHECK(v4->second == 8080);
  auto v6 = parse_host_port("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->first == "::1");
  for (const char* bad : {"", "8080", ":8080", "host:", "host:65536", "host:12a", "::1:80", "[::1:80"}) {
    INFO(bad);
    CHECK_FALSE(parse_host_port(bad).ok());
  }
  Router router;
  asio::io_context io;
  Server server(io, router, local_options("not-an-address"));
  auto st = server.start();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kInvalid);

  Server first(io, router, local_options());
  REQUIRE(first.start().ok());
  Server second(io, router, local_options("127.0.0.1:" + std::to_string(first.port())));
  auto taken = second.start();
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == ErrorCode::kIo);
  CHECK(taken.error().message.find(std::to_string(first.port())) != std::string::npos);
}

TEST_CASE("Expect: 100-continue gets a 100 before the body is sent", "[http]") {
  Harness h;
  RawSocket raw(h.server->port());
  std::string body = R"({"amount": 1})";
  raw.send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
  std::string interim = raw.read_response();  // "HTTP/1.1 100 Continue" has no body
  CHECK(status_of(interim) == 100);
  raw.send(body);
  std::string answer = raw.read_response();
  CHECK(status_of(answer) == 201);
  CHECK(Json::parse(body_of(answer))["size"] == body.size());
}

TEST_CASE("long poll: a handler waiting on Waiters is woken by another request", "[http]") {
  Waiters waiters;
  Router router;
  router.add("GET", "/v1/poll/{id}", [&waiters](Request& req) -> asio::awaitable<Response> {
    uint64_t seen = waiters.epoch();  // before "reading the state"
    bool woken = co_await waiters.wait(req.params.at("id"), seen, 5000);
    co_return json_response(200, Json{{"woken", woken}});
  });
  router.add("POST", "/v1/poke/{id}", [&waiters](Request& req) -> asio::awaitable<Response> {
    waiters.wake(req.params.at("id"));
    co_return json_response(202, Json::object());
  });
  IoThreads threads;
  Server server(threads.io, router, local_options());
  REQUIRE(server.start().ok());
  auto client = Client::create(threads.io.get_executor(), "http://127.0.0.1:" + std::to_string(server.port())).value();
  auto start = std::chrono::steady_clock::now();
  auto poll = asio::co_spawn(threads.io, as_optional(client->request("GET", "/v1/poll/rc_1", "", {}, 5000)),
                             asio::use_future);
  REQUIRE(eventually([&] { return waiters.size() == 1; }));
  auto poke = run_on(threads.io.get_executor(), client->request("POST", "/v1/poke/rc_1", "", {}, 2000));
  REQUIRE(poke.ok());
  CHECK(poke->status == 202);
  REQUIRE(poll.wait_for(2s) == std::future_status::ready);
  auto polled = std::move(*poll.get());
  REQUIRE(polled.ok());
  CHECK(Json::parse(polled->body)["woken"] == true);
  CHECK(std::chrono::steady_clock::now() - start < 3s);  // woken, not timed out
  server.stop();
}

TEST_CASE("one loop per thread: a connection stays on one loop, connections spread over all, stop() closes them",
          "[http]") {
  Router router;
  router.add("GET", "/v1/thread", [](Request&) -> asio::awaitable<Response> {
    co_return json_response(200, Json{{"thread", std::hash<std::thread::id>{}(std::this_thread::get_id())}});
  });
  IoThreads first(1), second(1);  // each loop run by exactly one thread
  ServerOptions opts;
  opts.listen = "127.0.0.1:0";
  Server server({&first.io, &second.io}, router, opts);
  REQUIRE(server.start().ok());

  std::vector<std::unique_ptr<RawSocket>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(std::make_unique<RawSocket>(server.port()));
  std::set<size_t> threads_seen;
  for (auto& conn : conns) {
    std::set<size_t> this_conn;
    for (int i = 0; i < 3; ++i) {
      conn->send("GET /v1/thread HTTP/1.1\r\nHost: t\r\n\r\n");
      std::string answer = conn->read_response();
      REQUIRE(status_of(answer) == 200);
      this_conn.insert(Json::parse(body_of(answer))["thread"].get<size_t>());
    }
    CHECK(this_conn.size() == 1);  // no strand needed: one thread serves the connection
    threads_seen.insert(this_conn.begin(), this_conn.end());
  }
  CHECK(threads_seen.size() == 2);  // round robin: both loops serve connections
  CHECK(server.connections() == 4);
  server.stop();
  for (auto& conn : conns) CHECK(conn->closed_by_peer());
  CHECK(eventually([&] { return server.connections() == 0; }));
}

TEST_CASE("off_loop: a long read runs beside the loop, which keeps serving; its value and exceptions come back",
          "[http]") {
  IoThreads loop(1), reports(1);  // one HTTP loop: both connections below share its one thread
  std::promise<void> release;
  auto released = release.get_future().share();
  Router router;
  router.add("GET", "/v1/scan", [&](Request&) -> asio::awaitable<Response> {
    // Blocks its thread until /v1/release has been answered, at most 5 s. On
    // the loop itself this would hold /v1/release back, and it would time out.
    auto scan = [released] { return released.wait_for(5s) == std::future_status::ready; };
    bool was_released = co_await off_loop(reports.io.get_executor(), scan);
    co_return json_response(200, Json{{"released", was_released}});
  });
  router.add("GET", "/v1/release", [&](Request&) -> asio::awaitable<Response> {
    release.set_value();
    co_return json_response(200, Json::object());
  });
  router.add("GET", "/v1/throws", [&](Request&) -> asio::awaitable<Response> {
    auto scan = []() -> int { throw std::runtime_error("scan failed"); };
    int n = co_await off_loop(reports.io.get_executor(), scan);
    co_return json_response(200, Json{{"n", n}});
  });
  ServerOptions opts;
  opts.listen = "127.0.0.1:0";
  Server server({&loop.io}, router, opts);
  REQUIRE(server.start().ok());

  RawSocket scanning(server.port());
  scanning.send("GET /v1/scan HTTP/1.1\r\nHost: t\r\n\r\n");
  RawSocket other(server.port());
  other.send("GET /v1/release HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(status_of(other.read_response()) == 200);
  std::string answer = scanning.read_response();
  REQUIRE(status_of(answer) == 200);
  CHECK(Json::parse(body_of(answer))["released"] == true);

  other.send("GET /v1/throws HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(status_of(other.read_response()) == 500);  // the exception reached the handler's caller
  server.stop();
}
