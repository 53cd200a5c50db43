// The HTTP notify sink (retries) and the whole `provider-sim` run loop:
// start, serve, POST /pay → signed notify to --notify-url, SIGTERM → 0.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "http/client.h"
#include "http/server.h"
#include "provider/notify.h"
#include "provider/provider_sim_server.h"
#include "provider/signature.h"
#include "provider_test_util.h"

using namespace orderd;
using namespace orderd::provider;
using namespace orderd::provider::test;
namespace asio = boost::asio;

namespace {

// Polls `pred` every 5 ms until it holds or `seconds` pass.
template <class Pred>
bool eventually(Pred pred, double seconds = 5) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// A merchant endpoint that records notifies; its first `fail_first` answers are 500.
struct Merchant {
  asio::io_context io;
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::thread thread;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> got;  // body, signature; guarded by mu
  int calls = 0;                                         // guarded by mu

  explicit Merchant(int fail_first) {
    router.add("POST", "/v1/payments/notify", [this, fail_first](http::Request& req) -> asio::awaitable<http::Response> {
      std::lock_guard lock(mu);
      if (++calls <= fail_first) co_return http::problem(500, "not yet");
      got.emplace_back(req.body, req.header("orderd-signature"));
      co_return http::json_response(200, http::Json{{"ok", true}});
    });
    http::ServerOptions so;
    so.listen = "127.0.0.1:0";
    server = std::make_unique<http::Server>(io, router, so);
    REQUIRE(server->start().ok());
    thread = std::thread([this] { io.run(); });
  }
  ~Merchant() {
    server->stop();
    io.stop();
    thread.join();
    server.reset();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/v1/payments/notify"; }
  size_t received() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

unsigned short free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

}  // namespace

TEST_CASE("http notify sink retries until the merchant accepts", "[provider][notify]") {
  Merchant merchant(/*fail_first=*/2);
  asio::io_context io;
  auto sink = make_http_notify_sink(io.get_executor(), merchant.url(), NotifyRetry{5, 10, 1'000});
  REQUIRE(sink.ok());
  const std::string body = payment_notify_body("o1", "pay_1", 100);
  (*sink)(body, sign("s", 1'700'000'000, body));
  io.run();  // returns once the posting coroutine is done
  REQUIRE(merchant.received() == 1);
  std::lock_guard lock(merchant.mu);
  CHECK(merchant.calls == 3);
  CHECK(merchant.got[0].first == body);
  CHECK(verify_signature("s", merchant.got[0].second, body, 1'700'000'000).ok());

  CHECK_FALSE(make_http_notify_sink(io.get_executor(), "https://x/y").ok());
  CHECK(make_http_notify_sink(io.get_executor(), "ftp://x").error().field == "notify-url");
}

TEST_CASE("http notify sink gives up after its attempts", "[provider][notify]") {
  Merchant merchant(/*fail_first=*/100);
  asio::io_context io;
  auto sink = make_http_notify_sink(io.get_executor(), merchant.url(), NotifyRetry{3, 5, 1'000});
  REQUIRE(sink.ok());
  (*sink)("{}", "t=1,v1=00");
  io.run();
  std::lock_guard lock(merchant.mu);
  CHECK(merchant.calls == 3);
  CHECK(merchant.got.empty());
}

TEST_CASE("provider-sim process: serves, notifies, exits 0 on SIGTERM", "[provider][provider_sim]") {
  Merchant merchant(/*fail_first=*/0);
  Config cfg;
  cfg.listen = "127.0.0.1:" + std::to_string(free_port());
  cfg.sim_seed = 3;
  cfg.sim_latency_ms = 1;
  cfg.notify_url = merchant.url();
  cfg.notify_secret = "proc-secret";
  auto exit_code = std::async(std::launch::async, [cfg] { return run_provider_sim(cfg); });

  asio::io_context io;
  auto client = http::Client::create(io.get_executor(), "http://" + cfg.listen);
  REQUIRE(client.ok());
  auto get = [&](const std::string& method, const std::string& target, const std::string& body) {
    auto r = run_one(io, (*client)->request(method, target, body, {}, 1'000));
    return r.ok() ? r->status : 0;
  };
  REQUIRE(eventually([&] { return get("GET", "/healthz", "") == 200; }));
  CHECK(get("POST", "/pay/o1", R"({"amount":250})") == 200);
  REQUIRE(eventually([&] { return merchant.received() == 1; }));
  {
    std::lock_guard lock(merchant.mu);
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(verify_signature("proc-secret", merchant.got[0].second, merchant.got[0].first, now_s).ok());
  }
  std::raise(SIGTERM);  // caught by the provider-sim's signal_set
  REQUIRE(exit_code.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(exit_code.get() == 0);
  CHECK(get("GET", "/healthz", "") == 0);  // no longer listening
}
