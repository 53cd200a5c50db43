// Tests of SimProvider under an io_context: latency by timers, faults as
// the caller sees them, pay() and its signed notify.
#include "provider/sim_provider.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "provider/signature.h"
#include "provider_test_util.h"

using namespace orderd;
using namespace orderd::provider;
using namespace orderd::provider::test;
namespace asio = boost::asio;

namespace {

struct Fixture {
  asio::io_context io;
  FakeClock clock;
  std::shared_ptr<SimWorld> world = std::make_shared<SimWorld>(11);
  SimProvider sim{io.get_executor(), world, clock};
};

}  // namespace

TEST_CASE("sim provider answers after the latency, on a timer", "[provider][sim_provider]") {
  Fixture f;
  f.world->set_faults({60, 0, 0});
  auto start = std::chrono::steady_clock::now();
  auto r = run_one(f.io, f.sim.recharge("rc_1", "138", 100, 5'000));
  CHECK(seconds_since(start) >= 0.060);
  CHECK(r.call == CallOutcome::kOk);
  CHECK(r.success);
  CHECK(f.world->credited("138") == 100);

  // 20 calls in flight on one thread take about one latency, not twenty: nobody sleeps.
  f.world->set_faults({150, 0, 0});
  int done = 0;
  for (int i = 0; i < 20; ++i)
    asio::co_spawn(f.io, f.sim.query_recharge("rc_1", 5'000), [&done](std::exception_ptr, RechargeQuery q) {
      done += q.call == CallOutcome::kOk && q.status == RechargeStatus::kSuccess;
    });
  start = std::chrono::steady_clock::now();
  f.io.restart();
  f.io.run();
  const double elapsed = seconds_since(start);
  CHECK(done == 20);
  CHECK(elapsed >= 0.150);
  CHECK(elapsed < 1.5);
}

TEST_CASE("sim provider timeout fault: done, kUnknown after the caller's timeout", "[provider][sim_provider]") {
  Fixture f;
  f.world->set_faults({5, 0, 1.0});
  auto start = std::chrono::steady_clock::now();
  auto r = run_one(f.io, f.sim.recharge("rc_1", "138", 100, 120));
  CHECK(seconds_since(start) >= 0.120);
  CHECK(r.call == CallOutcome::kUnknown);
  CHECK(r.reason.find("timed out") != std::string::npos);
  CHECK(f.world->credited("138") == 100);  // it was done

  f.world->set_faults({5, 0, 0});
  auto q = run_one(f.io, f.sim.query_recharge("rc_1", 1'000));
  CHECK(q.call == CallOutcome::kOk);
  CHECK(q.status == RechargeStatus::kSuccess);
}

TEST_CASE("sim provider latency beyond the timeout is a timeout", "[provider][sim_provider]") {
  Fixture f;
  f.world->set_faults({400, 0, 0});
  auto start = std::chrono::steady_clock::now();
  auto c = run_one(f.io, f.sim.close_payment("o1", 80));
  const double elapsed = seconds_since(start);
  CHECK(elapsed >= 0.080);
  CHECK(elapsed < 0.390);  // gave up at the caller's timeout, not the latency
  CHECK(c.call == CallOutcome::kUnknown);
  CHECK(f.world->payment_truth("o1").closed);
}

TEST_CASE("sim provider 503 fault is retryable and does nothing", "[provider][sim_provider]") {
  Fixture f;
  f.world->set_faults({1, 1.0, 0});
  auto r = run_one(f.io, f.sim.recharge("rc_1", "138", 100, 1'000));
  CHECK(r.call == CallOutcome::kRetryable);
  CHECK(r.reason.find("503") != std::string::npos);
  CHECK_FALSE(f.world->recharge_truth("rc_1"));
  auto p = run_one(f.io, f.sim.query_payment("o1", 1'000));
  CHECK(p.call == CallOutcome::kRetryable);
  auto none = run_one(f.io, f.sim.recharge("rc_1", "138", 100, 0));
  CHECK(none.call == CallOutcome::kRetryable);
  CHECK(f.world->counters().calls == 2);  // no time left: the world was not called
}

TEST_CASE("sim provider maps every contract answer", "[provider][sim_provider]") {
  Fixture f;
  auto bad = run_one(f.io, f.sim.recharge("rc_1", "invalid-1", 100, 1'000));
  CHECK(bad.call == CallOutcome::kOk);
  CHECK_FALSE(bad.success);
  CHECK(bad.reason == "invalid account");
  CHECK(run_one(f.io, f.sim.query_recharge("rc_1", 1'000)).status == RechargeStatus::kFailed);
  CHECK(run_one(f.io, f.sim.query_recharge("rc_x", 1'000)).status == RechargeStatus::kUnknown);

  auto unpaid = run_one(f.io, f.sim.query_payment("o1", 1'000));
  CHECK(unpaid.call == CallOutcome::kOk);
  CHECK_FALSE(unpaid.paid);
  auto paid = f.sim.pay("o1", 1999, 0, false);
  REQUIRE(paid.ok());
  auto q = run_one(f.io, f.sim.query_payment("o1", 1'000));
  CHECK(q.paid);
  CHECK(q.payment_id == paid->payment_id);
  CHECK(q.amount == 1999);
  CHECK(run_one(f.io, f.sim.close_payment("o1", 1'000)).already_paid);
  CHECK_FALSE(run_one(f.io, f.sim.close_payment("o2", 1'000)).already_paid);

  auto rf = run_one(f.io, f.sim.refund("rf_1", "o1", paid->payment_id, 1999, 1'000));
  CHECK(rf.call == CallOutcome::kOk);
  CHECK(rf.success);
  auto over = run_one(f.io, f.sim.refund("rf_2", "o1", paid->payment_id, 1, 1'000));
  CHECK(over.call == CallOutcome::kOk);
  CHECK_FALSE(over.success);
  CHECK_FALSE(over.reason.empty());
}

TEST_CASE("sim provider pay records now and sends a signed notify after the delay", "[provider][sim_provider]") {
  Fixture f;
  std::vector<std::pair<std::string, std::string>> notified;
  f.sim.set_notify("s3cret", [&notified](std::string body, std::string header) {
    notified.emplace_back(std::move(body), std::move(header));
  });
  auto start = std::chrono::steady_clock::now();
  auto paid = f.sim.pay("o1", 1999, 80, false);
  REQUIRE(paid.ok());
  CHECK(f.world->payment_truth("o1").paid);  // recorded before any notify
  CHECK(notified.empty());
  f.io.run();
  CHECK(seconds_since(start) >= 0.080);
  REQUIRE(notified.size() == 1);
  auto body = nlohmann::json::parse(notified[0].first);
  CHECK(body["order_id"] == "o1");
  CHECK(body["payment_id"] == paid->payment_id);
  CHECK(body["amount"] == 1999);
  CHECK(body["status"] == "SUCCESS");
  CHECK(verify_signature("s3cret", notified[0].second, notified[0].first, f.clock.now_ms() / 1000).ok());

  // A closed order is refused (no notify) unless even_if_closed.
  run_one(f.io, f.sim.close_payment("o2", 1'000));
  auto refused = f.sim.pay("o2", 10, 0, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kConflict);
  auto raced = f.sim.pay("o2", 10, 0, true);
  REQUIRE(raced.ok());
  f.io.restart();
  f.io.run();
  CHECK(notified.size() == 2);
}
