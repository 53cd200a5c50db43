// metrics_test.cpp — app::Metrics and app::MeteredProvider without a server:
// recorded events and a /v1/stats snapshot come out as the expected samples,
// labels stay bounded, and the provider decorator records each call's op and
// outcome while passing its answer through unchanged.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "../provider/provider_test_util.h"
#include "app/metered_provider.h"
#include "app/metrics.h"

using namespace orderd;
using orderd::provider::CallOutcome;
using Json = nlohmann::json;

namespace {

// "name{labels}" → value, for every sample line of the exposition.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// Answers every call with a fixed outcome.
class StubProvider final : public provider::Provider {
 public:
  CallOutcome outcome = CallOutcome::kOk;
  boost::asio::awaitable<provider::RechargeResult> recharge(std::string, std::string, int64_t, DurationMs) override {
    co_return provider::RechargeResult{outcome, outcome == CallOutcome::kOk, "stub"};
  }
  boost::asio::awaitable<provider::RechargeQuery> query_recharge(std::string, DurationMs) override {
    co_return provider::RechargeQuery{outcome, provider::RechargeStatus::kFailed, "stub"};
  }
  boost::asio::awaitable<provider::PaymentQuery> query_payment(std::string, DurationMs) override {
    co_return provider::PaymentQuery{outcome, true, "pay_1", 700, ""};
  }
  boost::asio::awaitable<provider::CloseResult> close_payment(std::string, DurationMs) override {
    co_return provider::CloseResult{outcome, false, ""};
  }
  boost::asio::awaitable<provider::RefundResult> refund(std::string, std::string, std::string, int64_t,
                                                        DurationMs) override {
    co_return provider::RefundResult{outcome, true, ""};
  }
};

}  // namespace

TEST_CASE("metrics: recorded events and the stats snapshot become samples", "[metrics]") {
  app::Metrics m;
  m.observe_http("POST", "/v1/recharges", 202, 0.003);
  m.observe_http("POST", "/v1/recharges", 202, 0.004);
  m.observe_http("GET", "/v1/recharges/{id}", 404, 0.001);
  m.observe_http("BREW", "unmatched", 405, 0.001);  // a made-up method is not a label value
  m.observe_commit(7, 0.002, true);
  m.observe_commit(3, 0.0, false);
  m.observe_timer_lateness(-0.5);  // early firing counts as 0 s late
  m.observe_timer_lateness(0.02);

  Json stats = {{"recharges", {{"created_total", 4},
                               {"finished_by_status", {{"succeeded", 3}, {"failed", 1}}},
                               {"by_status", {{"succeeded", 3}, {"failed", 1}, {"queued", 0}}}}},
                {"purchases", {{"created_total", 2}, {"by_status", {{"pending_payment", 1}}}, {"payments_total", 1}}},
                {"queue", {{"ready", 2}, {"leased", 1}, {"waiting", 5}, {"dead", 1}}},
                {"timers", {{"pending", 9}, {"by_kind", {{"po_unpaid", 1}, {"job", 8}}}}},
                {"storage", {{"used_bytes", 4096}, {"map_bytes", 1 << 30}}}};
  auto s = samples(m.text(stats));

  CHECK(s.at(R"(orderd_http_requests_total{code="202",method="POST",route="/v1/recharges"})") == 2);
  CHECK(s.at(R"(orderd_http_requests_total{code="404",method="GET",route="/v1/recharges/{id}"})") == 1);
  CHECK(s.at(R"(orderd_http_requests_total{code="405",method="other",route="unmatched"})") == 1);
  CHECK(s.at(R"(orderd_http_request_duration_seconds_count{route="/v1/recharges"})") == 2);
  CHECK(s.at(R"(orderd_http_request_duration_seconds_bucket{route="/v1/recharges",le="0.0025"})") == 0);
  CHECK(s.at(R"(orderd_http_request_duration_seconds_bucket{route="/v1/recharges",le="0.005"})") == 2);
  CHECK(s.at("orderd_commit_batch_size_count") == 1);  // the failed batch is counted apart
  CHECK(s.at("orderd_commit_batch_size_sum") == 7);
  CHECK(s.at("orderd_commit_failures_total") == 1);
  CHECK(s.at(R"(orderd_timer_lateness_seconds_bucket{le="0.0005"})") == 1);
  CHECK(s.at("orderd_timer_lateness_seconds_count") == 2);

  CHECK(s.at(R"(orderd_orders_created_total{kind="recharge"})") == 4);
  CHECK(s.at(R"(orderd_orders_created_total{kind="purchase"})") == 2);
  CHECK(s.at(R"(orderd_orders_finished_total{kind="recharge",status="succeeded"})") == 3);
  CHECK(s.at(R"(orderd_orders_finished_total{kind="recharge",status="failed"})") == 1);
  CHECK(s.at(R"(orderd_orders{kind="purchase",status="pending_payment"})") == 1);
  CHECK(s.at("orderd_payments_total") == 1);
  CHECK(s.at("orderd_refunds_total") == 0);  // missing in the snapshot reads as 0
  CHECK(s.at(R"(orderd_queue_jobs{state="waiting"})") == 5);
  CHECK(s.at("orderd_dead_letters") == 1);
  CHECK(s.at(R"(orderd_timers_pending_by_kind{kind="job"})") == 8);
  CHECK(s.at("orderd_lmdb_map_size_bytes") == double(1 << 30));
}

TEST_CASE("metrics: an empty snapshot still serializes every state family", "[metrics]") {
  app::Metrics m;
  const std::string text = m.text(Json::object());
  for (const char* family : {"orderd_orders_created_total", "orderd_dead_letters", "orderd_queue_jobs",
                             "orderd_lmdb_map_used_bytes", "orderd_commit_duration_seconds"}) {
    INFO(family);
    CHECK(text.find(std::string("# TYPE ") + family + " ") != std::string::npos);
  }
}

TEST_CASE("metered provider: records op and outcome, passes the answer through", "[metrics]") {
  boost::asio::io_context io;
  app::Metrics m;
  auto stub = std::make_shared<StubProvider>();
  app::MeteredProvider metered(stub, m);
  using provider::test::run_one;

  auto r = run_one(io, metered.recharge("rc_1", "138", 100, 1000));
  CHECK(r.success);
  CHECK(r.reason == "stub");
  CHECK(run_one(io, metered.query_payment("po_1", 1000)).payment_id == "pay_1");
  stub->outcome = CallOutcome::kRetryable;
  CHECK(run_one(io, metered.refund("rf_1", "po_1", "pay_1", 700, 1000)).call == CallOutcome::kRetryable);
  stub->outcome = CallOutcome::kUnknown;
  run_one(io, metered.close_payment("po_1", 1000));
  run_one(io, metered.query_recharge("rc_1", 1000));

  auto s = samples(m.text(Json::object()));
  CHECK(s.at(R"(orderd_provider_calls_total{op="recharge",outcome="ok"})") == 1);
  CHECK(s.at(R"(orderd_provider_calls_total{op="query_payment",outcome="ok"})") == 1);
  CHECK(s.at(R"(orderd_provider_calls_total{op="refund",outcome="retryable"})") == 1);
  CHECK(s.at(R"(orderd_provider_calls_total{op="close_payment",outcome="unknown"})") == 1);
  CHECK(s.at(R"(orderd_provider_calls_total{op="query_recharge",outcome="unknown"})") == 1);
  CHECK(s.at(R"(orderd_provider_call_duration_seconds_count{op="refund"})") == 1);
}

TEST_CASE("metrics: n timers equally late count as n observations, in the same buckets", "[metrics]") {
  app::Metrics one_by_one, grouped;
  for (int i = 0; i < 1000; ++i) one_by_one.observe_timer_lateness(0.02);
  for (int i = 0; i < 3; ++i) one_by_one.observe_timer_lateness(0.0025);  // exactly on a bucket bound
  one_by_one.observe_timer_lateness(-1);
  grouped.observe_timer_lateness(0.02, 1000);
  grouped.observe_timer_lateness(0.0025, 3);
  grouped.observe_timer_lateness(-1, 1);
  auto a = samples(one_by_one.text(Json::object()));
  auto b = samples(grouped.text(Json::object()));
  size_t compared = 0;
  for (const auto& [name, value] : a) {
    if (name.rfind("orderd_timer_lateness_seconds", 0) != 0) continue;
    INFO(name);
    REQUIRE(b.count(name) == 1);
    CHECK(b.at(name) == Approx(value));
    ++compared;
  }
  CHECK(compared > 10);  // every bucket, the sum and the count
  CHECK(b.at(R"(orderd_timer_lateness_seconds_bucket{le="0.0025"})") == 4);
  CHECK(b.at("orderd_timer_lateness_seconds_count") == 1004);
}
