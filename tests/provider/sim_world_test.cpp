// Tests of the simulator's ground truth and fault draws (no threads, no time).
#include "provider/sim_world.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace orderd;
using namespace orderd::provider;

TEST_CASE("recharge is credited once per order however often it is called", "[provider][sim_world]") {
  SimWorld w(1);
  for (int i = 0; i < 5; ++i) {
    auto a = w.recharge("rc_1", "13800000000", 1000);
    REQUIRE(a.fault == SimFault::kNone);
    CHECK(a.value.success);
  }
  // A different body for the same order id returns the recorded result, credits nothing.
  auto again = w.recharge("rc_1", "13900000000", 5);
  CHECK(again.value.success);
  CHECK(again.value.account == "13800000000");
  CHECK(again.value.amount == 1000);
  CHECK(w.credited("13800000000") == 1000);
  CHECK(w.credited("13900000000") == 0);
  CHECK(w.counters().credits == 1);
  CHECK(w.query_recharge("rc_1").value == RechargeStatus::kSuccess);
  CHECK(w.query_recharge("rc_never").value == RechargeStatus::kUnknown);

  w.recharge("rc_2", "13800000000", 500);
  CHECK(w.credited("13800000000") == 1500);
}

TEST_CASE("an account beginning with 'invalid' is refused for good", "[provider][sim_world]") {
  SimWorld w(1);
  auto a = w.recharge("rc_1", "invalid-42", 1000);
  CHECK_FALSE(a.value.success);
  CHECK(a.value.reason == "invalid account");
  CHECK(w.query_recharge("rc_1").value == RechargeStatus::kFailed);
  CHECK(w.credited("invalid-42") == 0);
  CHECK_FALSE(w.recharge("rc_1", "invalid-42", 1000).value.success);  // still refused
  auto truth = w.recharge_truth("rc_1");
  REQUIRE(truth);
  CHECK_FALSE(truth->success);
  CHECK(w.recharge("rc_3", "valid-invalid", 10).value.success);  // only a prefix counts
}

TEST_CASE("fail_rate 1 answers 503 and does nothing, reads included", "[provider][sim_world]") {
  SimWorld w(7, SimFaults{20, 1.0, 0.0});
  auto a = w.recharge("rc_1", "138", 100);
  CHECK(a.fault == SimFault::kUnavailable);
  CHECK(a.latency_ms == 20);
  CHECK_FALSE(w.recharge_truth("rc_1"));
  CHECK(w.credited("138") == 0);
  CHECK(w.close_payment("o1").fault == SimFault::kUnavailable);
  CHECK(w.query_recharge("rc_1").fault == SimFault::kUnavailable);
  CHECK(w.query_payment("o1").fault == SimFault::kUnavailable);
  CHECK(w.refund("rf_1", "o1", "pay_x", 1).fault == SimFault::kUnavailable);
  CHECK_FALSE(w.payment_truth("o1").closed);
  CHECK(w.counters().unavailable == 5);
  CHECK(w.counters().calls == 5);

  w.set_faults({0, 0.0, 0.0});
  CHECK(w.recharge("rc_1", "138", 100).fault == SimFault::kNone);
  CHECK(w.credited("138") == 100);
}

TEST_CASE("timeout_rate 1 does the operation but answers late", "[provider][sim_world]") {
  SimWorld w(7, SimFaults{0, 0.0, 1.0});
  auto a = w.recharge("rc_1", "138", 100);
  CHECK(a.fault == SimFault::kLate);
  CHECK(a.value.success);
  REQUIRE(w.recharge_truth("rc_1"));
  CHECK(w.credited("138") == 100);
  CHECK(w.close_payment("o1").fault == SimFault::kLate);
  CHECK(w.payment_truth("o1").closed);
  CHECK(w.counters().late == 2);
}

TEST_CASE("close versus pay", "[provider][sim_world]") {
  SimWorld w(3);
  SECTION("closing a paid order answers already_paid and changes nothing") {
    auto p = w.pay("o1", 1999, false, 1000);
    REQUIRE(p.ok());
    CHECK(p->paid);
    CHECK(p->payment_id.rfind("pay_", 0) == 0);
    CHECK(w.close_payment("o1").value.already_paid);
    CHECK_FALSE(w.payment_truth("o1").closed);
    auto q = w.query_payment("o1").value;
    CHECK(q.paid);
    CHECK(q.amount == 1999);
    CHECK(q.payment_id == p->payment_id);
    CHECK(q.paid_at == 1000);
  }
  SECTION("paying a closed order is refused unless even_if_closed") {
    CHECK_FALSE(w.close_payment("o1").value.already_paid);
    CHECK_FALSE(w.close_payment("o1").value.already_paid);  // idempotent
    auto refused = w.pay("o1", 1999, false, 1000);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kConflict);
    CHECK_FALSE(w.payment_truth("o1").paid);

    auto raced = w.pay("o1", 1999, true, 2000);  // seed 003's race
    REQUIRE(raced.ok());
    auto t = w.payment_truth("o1");
    CHECK(t.paid);
    CHECK(t.closed);
    CHECK(w.close_payment("o1").value.already_paid);
  }
  SECTION("paying twice returns the first payment") {
    auto first = w.pay("o1", 1999, false, 1000);
    auto second = w.pay("o1", 5, false, 2000);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(second->payment_id == first->payment_id);
    CHECK(second->amount == 1999);
    CHECK(w.counters().payments == 1);
  }
  SECTION("a non-positive amount is refused") {
    auto bad = w.pay("o1", 0, false, 1000);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().field == "amount");
    CHECK(w.query_payment("o1").value.paid == false);
  }
}

TEST_CASE("refunds are idempotent per refund_id and never exceed the payment", "[provider][sim_world]") {
  SimWorld w(3);
  CHECK(w.refund("rf_0", "o1", "pay_x", 100).value.reason == "order not paid");
  auto p = w.pay("o1", 1000, false, 1);
  REQUIRE(p.ok());
  for (int i = 0; i < 3; ++i) CHECK(w.refund("rf_1", "o1", p->payment_id, 600).value.success);
  CHECK(w.refunded_total("o1") == 600);
  CHECK(w.counters().refunds == 1);
  auto rec = w.refund_truth("rf_1");
  REQUIRE(rec);
  CHECK(rec->amount == 600);

  auto too_much = w.refund("rf_2", "o1", p->payment_id, 500);
  CHECK_FALSE(too_much.value.success);
  CHECK(too_much.value.reason == "refunds would exceed the payment");
  CHECK_FALSE(w.refund_truth("rf_2"));
  CHECK(w.refund("rf_2", "o1", p->payment_id, 400).value.success);  // refused ones are not recorded
  CHECK(w.refunded_total("o1") == 1000);

  CHECK_FALSE(w.refund("rf_3", "o1", "pay_other", 1).value.success);
  CHECK_FALSE(w.refund("rf_1", "o1", p->payment_id, 1).value.success);  // same id, different refund
  CHECK(w.refunded_total("o1") == 1000);
}

TEST_CASE("the simulator is deterministic for a fixed seed", "[provider][sim_world]") {
  auto run = [](uint64_t seed) {
    SimWorld w(seed, SimFaults{5, 0.3, 0.2});
    std::vector<int> trace;
    for (int i = 0; i < 200; ++i)
      trace.push_back(static_cast<int>(w.recharge("rc_" + std::to_string(i), "138", 1).fault));
    auto p = w.pay("o1", 10, false, 0);
    return std::make_pair(trace, p->payment_id);
  };
  auto a = run(42), b = run(42), c = run(43);
  CHECK(a == b);
  CHECK(a != c);
  // The draws follow the rates (200 draws: loose bounds).
  int unavailable = 0, late = 0;
  for (int f : a.first) {
    unavailable += f == static_cast<int>(SimFault::kUnavailable);
    late += f == static_cast<int>(SimFault::kLate);
  }
  CHECK(unavailable > 30);
  CHECK(unavailable < 90);
  CHECK(late > 15);
  CHECK(late < 70);
}

TEST_CASE("concurrent recharges of one order credit once", "[provider][sim_world]") {
  SimWorld w(9, SimFaults{0, 0.3, 0.3});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&w] {
      for (int i = 0; i < 500; ++i) w.recharge("rc_" + std::to_string(i % 50), "acct", 10);
    });
  for (auto& t : threads) t.join();
  int recorded = 0;
  for (int i = 0; i < 50; ++i) recorded += w.recharge_truth("rc_" + std::to_string(i)).has_value();
  CHECK(w.credited("acct") == 10 * recorded);
  CHECK(recorded == 50);  // 40 tries each at 70% success: all recorded
  CHECK(w.counters().calls == 2000);
}
