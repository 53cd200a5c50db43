// HttpProvider against a real provider-sim server started in-process on
// port 0: every call of the contract, faults via PUT /faults, server down.
#include "provider/http_provider.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "provider/provider_sim_server.h"
#include "provider/signature.h"
#include "provider_test_util.h"

using namespace orderd;
using namespace orderd::provider;
using namespace orderd::provider::test;
namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {

// A provider-sim on its own io_context thread; the test drives the client on client_io.
struct SimServerFixture {
  asio::io_context server_io;
  asio::io_context client_io;
  FakeClock clock;
  std::shared_ptr<SimWorld> world = std::make_shared<SimWorld>(5);
  std::mutex notify_mu;
  std::vector<std::pair<std::string, std::string>> notifies;  // guarded by notify_mu
  std::unique_ptr<ProviderSimServer> server;
  std::thread thread;
  std::shared_ptr<HttpProvider> provider;
  std::shared_ptr<http::Client> raw;  // for /faults, /pay, /truth

  SimServerFixture() {
    SimRoutesOptions opts;
    opts.late_extra_ms = 10'000;
    opts.notify_secret = "n0tify";
    opts.notify = [this](std::string body, std::string header) {
      std::lock_guard lock(notify_mu);
      notifies.emplace_back(std::move(body), std::move(header));
    };
    server = std::make_unique<ProviderSimServer>(server_io, world, clock, "127.0.0.1:0", std::move(opts));
    REQUIRE(server->start().ok());
    thread = std::thread([this] { server_io.run(); });
    const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
    auto p = HttpProvider::create(client_io.get_executor(), base);
    REQUIRE(p.ok());
    provider = *p;
    auto c = http::Client::create(client_io.get_executor(), base);
    REQUIRE(c.ok());
    raw = *c;
  }
  ~SimServerFixture() {
    server->stop();
    server_io.stop();
    thread.join();
    server.reset();
  }

  std::pair<int, Json> call(const std::string& method, const std::string& target, const std::string& body = "") {
    auto res = run_one(client_io, raw->request(method, target, body, {{"Content-Type", "application/json"}}, 2'000));
    REQUIRE(res.ok());
    return {res->status, Json::parse(res->body, nullptr, false)};
  }
  void faults(const std::string& body) { REQUIRE(call("PUT", "/faults", body).first == 200); }
  size_t notify_count() {
    std::lock_guard lock(notify_mu);
    return notifies.size();
  }
};

}  // namespace

TEST_CASE("http provider speaks every call of the contract to provider-sim", "[provider][http_provider]") {
  SimServerFixture f;
  auto& io = f.client_io;
  auto& p = *f.provider;

  auto r = run_one(io, p.recharge("rc/1 ü", "13800000000", 1000, 2'000));  // an id that needs encoding
  CHECK(r.call == CallOutcome::kOk);
  CHECK(r.success);
  CHECK(f.world->credited("13800000000") == 1000);
  CHECK(run_one(io, p.recharge("rc/1 ü", "13800000000", 1000, 2'000)).success);  // idempotent
  CHECK(f.world->credited("13800000000") == 1000);
  auto q = run_one(io, p.query_recharge("rc/1 ü", 2'000));
  CHECK(q.call == CallOutcome::kOk);
  CHECK(q.status == RechargeStatus::kSuccess);
  CHECK(run_one(io, p.query_recharge("rc_never", 2'000)).status == RechargeStatus::kUnknown);

  auto refused = run_one(io, p.recharge("rc_2", "invalid-1", 1000, 2'000));
  CHECK(refused.call == CallOutcome::kOk);
  CHECK_FALSE(refused.success);
  CHECK(refused.reason == "invalid account");
  CHECK(run_one(io, p.query_recharge("rc_2", 2'000)).status == RechargeStatus::kFailed);

  CHECK_FALSE(run_one(io, p.query_payment("o1", 2'000)).paid);
  auto [code, paid] = f.call("POST", "/pay/o1", R"({"amount":1999})");
  REQUIRE(code == 200);
  auto pq = run_one(io, p.query_payment("o1", 2'000));
  CHECK(pq.call == CallOutcome::kOk);
  CHECK(pq.paid);
  CHECK(pq.payment_id == paid["payment_id"]);
  CHECK(pq.amount == 1999);

  auto closed = run_one(io, p.close_payment("o2", 2'000));
  CHECK(closed.call == CallOutcome::kOk);
  CHECK_FALSE(closed.already_paid);
  CHECK(run_one(io, p.close_payment("o1", 2'000)).already_paid);

  auto rf = run_one(io, p.refund("rf_1", "o1", pq.payment_id, 1999, 2'000));
  CHECK(rf.call == CallOutcome::kOk);
  CHECK(rf.success);
  CHECK(f.world->refunded_total("o1") == 1999);
  auto over = run_one(io, p.refund("rf_2", "o1", pq.payment_id, 1, 2'000));
  CHECK(over.call == CallOutcome::kOk);
  CHECK_FALSE(over.success);
  CHECK(over.reason == "refunds would exceed the payment");
}

TEST_CASE("provider-sim /pay records, refuses closed orders, and sends a signed notify", "[provider][http_provider]") {
  SimServerFixture f;
  auto [code, body] = f.call("POST", "/pay/o1", R"({"amount":500,"notify_delay":"0s"})");
  REQUIRE(code == 200);
  CHECK(body["status"] == "paid");
  CHECK(body["notify"] == "scheduled");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (f.notify_count() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(f.notify_count() == 1);
  {
    std::lock_guard lock(f.notify_mu);
    auto n = Json::parse(f.notifies[0].first);
    CHECK(n["order_id"] == "o1");
    CHECK(n["payment_id"] == body["payment_id"]);
    CHECK(n["amount"] == 500);
    CHECK(n["status"] == "SUCCESS");
    CHECK(verify_signature("n0tify", f.notifies[0].second, f.notifies[0].first, f.clock.now_ms() / 1000).ok());
  }

  CHECK(f.call("POST", "/pay/o2", "{}").first == 422);  // amount required here
  CHECK(f.call("POST", "/pay/o2", R"({"amount":1,"bogus":true})").first == 422);
  CHECK(f.call("POST", "/pay/o2", "{").first == 400);
  REQUIRE(run_one(f.client_io, f.provider->close_payment("o2", 2'000)).call == CallOutcome::kOk);
  CHECK(f.call("POST", "/pay/o2", R"({"amount":10})").first == 409);
  auto [raced, rb] = f.call("POST", "/pay/o2", R"({"amount":10,"even_if_closed":true})");
  CHECK(raced == 200);
  CHECK(rb["closed"] == true);
  auto [tc, truth] = f.call("GET", "/truth/payments/o2");
  CHECK(tc == 200);
  CHECK(truth["status"] == "paid");
  CHECK(truth["closed"] == true);
  CHECK(f.call("GET", "/healthz").first == 200);
}

TEST_CASE("provider-sim faults over HTTP: 503, timeout, latency", "[provider][http_provider]") {
  SimServerFixture f;
  auto& io = f.client_io;
  auto& p = *f.provider;

  f.faults(R"({"fail_rate":1})");
  auto down = run_one(io, p.recharge("rc_1", "138", 100, 2'000));
  CHECK(down.call == CallOutcome::kRetryable);
  CHECK_FALSE(f.world->recharge_truth("rc_1"));
  CHECK(run_one(io, p.query_payment("o1", 2'000)).call == CallOutcome::kRetryable);  // reads are faulted too

  f.faults(R"({"fail_rate":0,"timeout_rate":1})");
  auto start = std::chrono::steady_clock::now();
  auto late = run_one(io, p.recharge("rc_1", "138", 100, 300));
  CHECK(seconds_since(start) >= 0.3);
  CHECK(late.call == CallOutcome::kUnknown);
  CHECK(f.world->credited("138") == 100);  // the world shows it was done

  f.faults(R"({"timeout_rate":0,"latency":"120ms"})");
  start = std::chrono::steady_clock::now();
  auto q = run_one(io, p.query_recharge("rc_1", 2'000));
  CHECK(seconds_since(start) >= 0.12);
  CHECK(q.call == CallOutcome::kOk);
  CHECK(q.status == RechargeStatus::kSuccess);

  auto [code, knobs] = f.call("GET", "/faults");
  CHECK(code == 200);
  CHECK(knobs["latency"] == "120ms");
  CHECK(knobs["fail_rate"] == 0.0);
  // Bad knobs are refused and change nothing.
  CHECK(f.call("PUT", "/faults", R"({"fail_rate":2})").first == 422);
  CHECK(f.call("PUT", "/faults", R"({"latency":"soon"})").first == 422);
  CHECK(f.world->faults().latency_ms == 120);
  CHECK(f.world->faults().fail_rate == 0.0);
}

TEST_CASE("provider-sim refuses malformed contract bodies without touching the world", "[provider][http_provider]") {
  SimServerFixture f;
  const auto before = f.world->counters().calls;
  CHECK(f.call("POST", "/recharge", "{}").first == 422);
  CHECK(f.call("POST", "/recharge", R"({"order_id":"x","account":"a","amount":-1})").first == 422);
  CHECK(f.call("POST", "/recharge", "nope").first == 400);
  CHECK(f.call("POST", "/refunds", R"({"refund_id":"r","order_id":"o","payment_id":"p"})").first == 422);
  CHECK(f.world->counters().calls == before);
}

TEST_CASE("http provider: server down is retryable", "[provider][http_provider]") {
  asio::io_context io;
  unsigned short port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto p = HttpProvider::create(io.get_executor(), "http://127.0.0.1:" + std::to_string(port));
  REQUIRE(p.ok());
  CHECK(run_one(io, (*p)->recharge("rc_1", "138", 100, 1'000)).call == CallOutcome::kRetryable);
  CHECK(run_one(io, (*p)->query_recharge("rc_1", 1'000)).call == CallOutcome::kRetryable);
  CHECK(run_one(io, (*p)->close_payment("o1", 1'000)).call == CallOutcome::kRetryable);
  CHECK(run_one(io, (*p)->recharge("rc_1", "138", 100, 0)).call == CallOutcome::kRetryable);  // no time left

  CHECK_FALSE(HttpProvider::create(io.get_executor(), "ftp://x").ok());
}
