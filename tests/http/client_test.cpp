// Tests for src/http/client.*: deadlines, refused connections, garbage
// answers, dead keep-alive connections. Every wait is bounded.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/client.h"
#include "http/server.h"
#include "http_test_util.h"

using namespace orderd;
using namespace orderd::http;
using namespace orderd::http::test;
using namespace std::chrono_literals;

namespace {

// A raw TCP peer on 127.0.0.1:0 that runs `serve` for each accepted socket
// (on its own thread, blocking), for answers a real server would never give.
struct RawPeer {
  explicit RawPeer(std::function<void(asio::ip::tcp::socket&)> serve_one, int connections)
      : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    port = acceptor.local_endpoint().port();
    thread = std::thread([this, serve_one, connections] {
      for (int i = 0; i < connections; ++i) {
        boost::system::error_code ec;
        asio::ip::tcp::socket socket(io);
        acceptor.accept(socket, ec);
        if (ec) return;
        ++accepted;
        serve_one(socket);
      }
    });
  }
  ~RawPeer() {
    boost::system::error_code ec;
    acceptor.close(ec);
    thread.join();
  }
  // Reads until the end of the request headers (requests here have no body).
  static void read_request(asio::ip::tcp::socket& socket) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
      boost::system::error_code ec;
      size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) return;
      data.append(buf, n);
    }
  }
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
  unsigned short port = 0;
  std::atomic<int> accepted{0};
  std::thread thread;
};

std::string url(unsigned short port, const std::string& prefix = "") {
  return "http://127.0.0.1:" + std::to_string(port) + prefix;
}

Result<ClientResponse> get(IoThreads& threads, Client& client, std::string target, DurationMs timeout) {
  return run_on(threads.io.get_executor(), client.request("GET", std::move(target), "", {}, timeout));
}

}  // namespace

TEST_CASE("client: create validates the URL", "[http]") {
  asio::io_context io;
  CHECK(Client::create(io.get_executor(), "http://127.0.0.1:8080").ok());
  CHECK(Client::create(io.get_executor(), "http://localhost:9/base/").ok());
  CHECK(Client::create(io.get_executor(), "http://[::1]:80").ok());
  for (const char* bad : {"", "127.0.0.1:80", "https://x:1", "http://x", "http://:80", "http://x:99999", "http://x:1?q"}) {
    INFO(bad);
    auto r = Client::create(io.get_executor(), bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalid);
  }
}

TEST_CASE("client: a handler that answers too late gives kTimeout", "[http]") {
  IoThreads threads;
  Router router;
  router.add("GET", "/slow", [](Request&) -> asio::awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 2s);
    co_await timer.async_wait(asio::use_awaitable);
    co_return json_response(200, Json::object());
  });
  Server server(threads.io, router, local_options());
  REQUIRE(server.start().ok());
  auto client = Client::create(threads.io.get_executor(), url(server.port())).value();
  auto start = std::chrono::steady_clock::now();
  auto r = get(threads, *client, "/slow", 150);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTimeout);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 140ms);
  CHECK(waited < 1500ms);
  server.stop();
}

TEST_CASE("client: connection refused gives kUnavailable", "[http]") {
  IoThreads threads;
  unsigned short port;
  {
    asio::ip::tcp::acceptor probe(threads.io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto client = Client::create(threads.io.get_executor(), url(port)).value();
  auto r = get(threads, *client, "/x", 2000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().retryable());
}

TEST_CASE("client: a garbage answer gives kMalformed", "[http]") {
  IoThreads threads;
  RawPeer peer(
      [](asio::ip::tcp::socket& socket) {
        RawPeer::read_request(socket);
        boost::system::error_code ec;
        asio::write(socket, asio::buffer(std::string("SMTP READY\r\nnot http at all\r\n\r\n")), ec);
        socket.close(ec);
      },
      1);
  auto client = Client::create(threads.io.get_executor(), url(peer.port)).value();
  auto r = get(threads, *client, "/x", 2000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kMalformed);
}

TEST_CASE("client: an answer over 1 MiB gives kMalformed", "[http]") {
  IoThreads threads;
  RawPeer peer(
      [](asio::ip::tcp::socket& socket) {
        RawPeer::read_request(socket);
        boost::system::error_code ec;
        std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n";
        asio::write(socket, asio::buffer(head + std::string(2'000'000, 'x')), ec);
        socket.close(ec);
      },
      1);
  auto client = Client::create(threads.io.get_executor(), url(peer.port)).value();
  auto r = get(threads, *client, "/x", 3000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kMalformed);
}

TEST_CASE("client: a pooled connection closed by the peer is retried once", "[http]") {
  IoThreads threads;
  // Each connection answers one request with keep-alive, then the peer closes
  // it: the client's pooled connection is dead on the next request.
  std::atomic<int> requests{0};
  RawPeer peer(
      [&](asio::ip::tcp::socket& socket) {
        RawPeer::read_request(socket);
        int n = ++requests;
        std::string body = std::to_string(n);
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
        boost::system::error_code ec;
        asio::write(socket, asio::buffer(answer), ec);
        socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        socket.close(ec);
      },
      2);
  auto client = Client::create(threads.io.get_executor(), url(peer.port, "/base")).value();
  auto first = get(threads, *client, "/a", 2000);
  REQUIRE(first.ok());
  CHECK(first->body == "1");
  CHECK(first->headers.at("content-type") == "text/plain");
  REQUIRE(eventually([&] { return requests.load() == 1; }));
  auto second = get(threads, *client, "/b", 2000);
  REQUIRE(second.ok());
  CHECK(second->body == "2");
  CHECK(peer.accepted == 2);
}

TEST_CASE("client: sends method, prefixed target, headers and body", "[http]") {
  IoThreads threads;
  Router router;
  router.add("PUT", "/base/v1/skus/{sku}", [](Request& req) -> asio::awaitable<Response> {
    co_return json_response(200, Json{{"sku", req.params.at("sku")},
                                      {"body", req.body},
                                      {"ct", req.header("content-type")},
                                      {"auth", req.header("authorization")}});
  });
  Server server(threads.io, router, local_options());
  REQUIRE(server.start().ok());
  auto client = Client::create(threads.io.get_executor(), url(server.port(), "/base/")).value();
  auto r = run_on(threads.io.get_executor(),
                  client->request("PUT", "/v1/skus/s1", R"({"stock":3})", {{"Authorization", "Bearer t"}}, 2000));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  Json body = Json::parse(r->body);
  CHECK(body["sku"] == "s1");
  CHECK(body["body"] == R"({"stock":3})");
  CHECK(body["ct"] == "application/json");
  CHECK(body["auth"] == "Bearer t");
  server.stop();
}
