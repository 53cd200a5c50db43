// Pure state-machine tests of purchase orders (SPEC §4, seeds 002/003/004)
// with a fake clock: no threads, no sleeps.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "core/clock.h"
#include "orders/purchase.h"
#include "orders/stock.h"
#include "store/env.h"

using namespace orderd;
using namespace orderd::orders;

namespace {

template <class T>
std::vector<T> effects_of(const Effects& e) {
  std::vector<T> out;
  for (const auto& x : e)
    if (auto* p = std::get_if<T>(&x)) out.push_back(*p);
  return out;
}

bool has_job(const Effects& e, const std::string& type) {
  for (const auto& j : effects_of<EnqueueJob>(e))
    if (j.type == type) return true;
  return false;
}

void check_funds_ok(const Purchase& p) {
  auto v = check_funds(p);
  INFO(v.value_or("") << " status=" << p.status);
  REQUIRE_FALSE(v.has_value());
}

// One SKU "A" (stock 10, price 1999) with effects applied to it, as the engine would.
struct Fixture {
  FakeClock clock;
  PurchaseSettings s;
  Sku a;
  Purchase p;
  Effects created;
  explicit Fixture(std::string notify_url = "") {
    a.sku = "A";
    REQUIRE(set_stock(a, 10, 1999).ok());
    REQUIRE(reserve_all({&a}, {{"A", 2}}).ok());
    auto r = create_purchase("po_1", "u1", {{"A", 2, 1999}}, notify_url, clock.now_ms(), s, &created);
    REQUIRE(r.ok());
    p = *r;
  }
  Decision apply(Decision d) {
    for (const auto& e : d.effects) {
      if (auto* x = std::get_if<ReleaseStock>(&e)) REQUIRE(release_all({&a}, x->lines).ok());
      if (auto* x = std::get_if<CommitStock>(&e)) REQUIRE(commit_all({&a}, x->lines).ok());
      if (auto* x = std::get_if<ReturnStock>(&e)) REQUIRE(return_sold_all({&a}, x->lines).ok());
    }
    REQUIRE_FALSE(stock_violation(a).has_value());
    check_funds_ok(p);
    return d;
  }
  Decision pay(const std::string& id, int64_t amount) {
    Decision d;
    on_payment(p, id, amount, clock.now_ms(), &d);
    return apply(d);
  }
  Decision deadline() {
    Decision d;
    on_unpaid_deadline(p, clock.now_ms(), s, &d);
    return apply(d);
  }
  Decision query(PayQuery q, const std::string& id = "", int64_t amount = 0) {
    Decision d;
    on_payment_query(p, q, id, amount, clock.now_ms(), s, 0, &d);
    return apply(d);
  }
  Decision close(CloseResult c) {
    Decision d;
    on_close_result(p, c, clock.now_ms(), s, 0, &d);
    return apply(d);
  }
  Decision step(Step st) {
    Decision d;
    on_step_done(p, st, clock.now_ms(), &d);
    return apply(d);
  }
  Decision refund_request(Status* st = nullptr) {
    Decision d;
    Status r = request_refund(p, clock.now_ms(), s, &d);
    if (st) *st = r;
    return apply(d);
  }
  Decision recheck() {
    Decision d;
    on_refund_recheck(p, clock.now_ms(), s, &d);
    return apply(d);
  }
  Decision refund_result(const std::string& id, RefundResult r) {
    Decision d;
    on_refund_result(p, id, r, clock.now_ms(), s, 0, &d);
    return apply(d);
  }
};

}  // namespace

TEST_CASE("purchase create: pending_payment, unpaid timer at created + 30m", "[purchase]") {
  Fixture f;
  CHECK(f.p.status == "pending_payment");
  CHECK(f.p.amount == 3998);
  CHECK(f.p.pay_deadline_at == f.clock.now_ms() + 30 * 60'000);
  auto timers = effects_of<ScheduleTimer>(f.created);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].key == "po_unpaid/po_1");
  CHECK(timers[0].due_ms == f.p.pay_deadline_at);
  Effects e;
  CHECK(create_purchase("x", "u", {}, "", 0, f.s, &e).error().code == ErrorCode::kInvalid);
  CHECK(create_purchase("x", "u", {{"A", 0, 1}}, "", 0, f.s, &e).error().code == ErrorCode::kInvalid);
  CHECK(create_purchase("x", "u", {{"A", INT64_MAX, 2}}, "", 0, f.s, &e).error().code == ErrorCode::kInvalid);
}

TEST_CASE("purchase: payment → paid, steps → completed; duplicate payment_id is a no-op", "[purchase]") {
  Fixture f("http://cb");
  auto d = f.pay("pay_1", 3998);
  CHECK(f.p.status == "paid");
  CHECK(f.p.paid == 3998);
  CHECK(effects_of<CancelTimer>(d.effects).at(0).key == "po_unpaid/po_1");
  CHECK(has_job(d.effects, kJobCommitStock));
  CHECK(has_job(d.effects, kJobAwardPoints));
  CHECK(has_job(d.effects, kJobNotify));
  const auto v = f.p.version;
  auto dup = f.pay("pay_1", 3998);
  CHECK_FALSE(dup.changed);
  CHECK(dup.effects.empty());
  CHECK(f.p.version == v);
  CHECK(f.p.paid == 3998);
  auto c = f.step(Step::kCommitStock);
  CHECK(effects_of<CommitStock>(c.effects).size() == 1);
  CHECK(f.a.sold == 2);
  CHECK(f.a.reserved == 0);
  CHECK_FALSE(f.step(Step::kCommitStock).changed);  // a job run twice commits once
  auto pts = f.step(Step::kAwardPoints);
  REQUIRE(effects_of<AwardPoints>(pts.effects).size() == 1);
  CHECK(effects_of<AwardPoints>(pts.effects)[0].points == 39);
  CHECK(f.p.status == "paid");  // notify still pending
  f.step(Step::kNotify);
  CHECK(f.p.status == "completed");
  auto api = to_api(f.p);
  CHECK(api["steps"]["notify"] == "done");
  auto back = purchase_from_storage(to_storage(f.p));
  REQUIRE(back.has_value());
  CHECK(to_storage(*back) == to_storage(f.p));
}

TEST_CASE("purchase: amount mismatch is recorded, flagged and refunded", "[purchase]") {
  Fixture f;
  auto d = f.pay("pay_x", 100);
  CHECK(f.p.status == "pending_payment");
  CHECK(f.p.paid == 100);
  REQUIRE(effects_of<FlagAttention>(d.effects).size() == 1);
  CHECK(effects_of<FlagAttention>(d.effects)[0].kind == "amount_mismatch");
  auto jobs = effects_of<EnqueueJob>(d.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobRefund);
  CHECK(jobs[0].payload["payment_id"] == "pay_x");
  CHECK(outstanding(f.p) == 100);
  f.refund_result("pay_x", RefundResult::kSuccess);
  CHECK(f.p.refunded == 100);
  CHECK(outstanding(f.p) == 0);
  // The right payment still pays the order.
  f.pay("pay_ok", 3998);
  CHECK(f.p.status == "paid");
}

TEST_CASE("purchase: unpaid deadline — payment before, at, and after the close decision", "[purchase]") {
  Fixture f;
  f.clock.advance(30 * 60'000);  // exactly the deadline instant
  SECTION("payment just before the deadline fires: timer is stale") {
    f.pay("pay_1", 3998);
    CHECK_FALSE(f.deadline().changed);
    CHECK(f.p.status == "paid");
  }
  SECTION("deadline fires: query; provider says paid (lost notify) → compensated") {
    auto d = f.deadline();
    CHECK(has_job(d.effects, kJobQueryPayment));
    CHECK(f.p.status == "pending_payment");
    f.query(PayQuery::kPaid, "pay_1", 3998);
    CHECK(f.p.status == "paid");
    CHECK(f.pay("pay_1", 3998).changed == false);  // the late notify itself
  }
  SECTION("payment lands while the query is out (at the decision)") {
    f.deadline();
    f.pay("pay_1", 3998);
    CHECK(f.p.status == "paid");
    CHECK_FALSE(f.query(PayQuery::kUnpaid).changed);  // stale answer
    CHECK(f.p.status == "paid");
  }
  SECTION("unpaid → closing; payment arrives before the close is confirmed") {
    f.deadline();
    auto q = f.query(PayQuery::kUnpaid);
    CHECK(f.p.status == "closing");
    CHECK(has_job(q.effects, kJobClose));
    f.pay("pay_1", 3998);
    CHECK(f.p.status == "paid");
    CHECK_FALSE(f.close(CloseResult::kClosed).changed);
    CHECK(f.a.reserved == 2);
  }
  SECTION("closed, then the payment arrives (seed 003): stays closed, refunded") {
    f.deadline();
    f.query(PayQuery::kUnpaid);
    auto c = f.close(CloseResult::kClosed);
    CHECK(f.p.status == "closed");
    CHECK(effects_of<ReleaseStock>(c.effects).size() == 1);
    CHECK(f.a.available == 10);
    auto d = f.pay("pay_late", 3998);
    CHECK(f.p.status == "closed");
    CHECK(f.p.paid == 3998);
    CHECK(effects_of<FlagAttention>(d.effects).at(0).kind == "late_payment");
    CHECK(has_job(d.effects, kJobRefund));
    CHECK(outstanding(f.p) == 3998);
    f.refund_result("pay_late", RefundResult::kSuccess);
    CHECK(f.p.status == "closed");
    CHECK(f.p.paid - f.p.refunded == 0);
    CHECK(f.a.available == 10);  // no stock moved twice
  }
}

TEST_CASE("purchase: provider answers already_paid to the close", "[purchase]") {
  Fixture f;
  Decision d;
  REQUIRE(cancel_purchase(f.p, f.clock.now_ms(), &d).ok());
  f.apply(d);
  CHECK(f.p.status == "closing");
  auto c = f.close(CloseResult::kAlreadyPaid);
  CHECK(f.p.status == "closing");
  CHECK(has_job(c.effects, kJobQueryPayment));
  f.query(PayQuery::kPaid, "pay_1", 3998);
  CHECK(f.p.status == "paid");
  Decision d2;
  CHECK(cancel_purchase(f.p, f.clock.now_ms(), &d2).error().code == ErrorCode::kConflict);
  CHECK_FALSE(d2.changed);
}

TEST_CASE("purchase: a wrong-amount payment at the provider does not loop close → already_paid", "[purchase]") {
  Fixture f;
  f.pay("pay_w", 100);  // wrong amount: recorded, refund queued, order stays pending
  REQUIRE(f.p.status == "pending_payment");
  f.clock.advance(30 * 60'000);
  f.deadline();
  // The provider reports the (known) wrong payment: not the order's payment → close.
  auto q = f.query(PayQuery::kPaid, "pay_w", 100);
  CHECK(f.p.status == "closing");
  CHECK(has_job(q.effects, kJobClose));
  // The provider refuses the close: it holds a payment. Ask what it holds…
  auto c = f.close(CloseResult::kAlreadyPaid);
  CHECK(has_job(c.effects, kJobQueryPayment));
  // …the same wrong payment: the order closes instead of asking to close again.
  auto q2 = f.query(PayQuery::kPaid, "pay_w", 100);
  CHECK(f.p.status == "closed");
  CHECK_FALSE(has_job(q2.effects, kJobClose));
  CHECK(f.a.reserved == 0);
  CHECK(f.a.available == 10);
  CHECK(f.p.paid == 100);
  CHECK(outstanding(f.p) == 100);  // the wrong payment is still on its way back
}

TEST_CASE("purchase: already_paid then unpaid retries the close with back-off", "[purchase]") {
  Fixture f;
  Decision d;
  REQUIRE(cancel_purchase(f.p, f.clock.now_ms(), &d).ok());
  f.apply(d);
  f.close(CloseResult::kAlreadyPaid);
  auto q = f.query(PayQuery::kUnpaid);
  auto jobs = effects_of<EnqueueJob>(q.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobClose);
  CHECK(jobs[0].not_before > f.clock.now_ms());
  CHECK(f.p.status == "closing");
}

TEST_CASE("purchase: after the close the provider is asked again; a payment found there is refunded", "[purchase]") {
  Fixture f;
  Decision d;
  REQUIRE(cancel_purchase(f.p, f.clock.now_ms(), &d).ok());
  f.apply(d);
  auto closed = f.close(CloseResult::kClosed);
  auto timers = effects_of<ScheduleTimer>(closed.effects);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].kind == kTimerCloseCheck);
  CHECK(timers[0].due_ms == f.clock.now_ms() + kCloseCheckDelaysMs[0]);
  // the customer paid at the instant of the close and the notify was lost
  f.clock.advance(kCloseCheckDelaysMs[0]);
  Decision c1;
  on_close_check(f.p, 1, f.clock.now_ms(), &c1);
  f.apply(c1);
  CHECK(has_job(c1.effects, kJobQueryPayment));
  auto next = effects_of<ScheduleTimer>(c1.effects);
  REQUIRE(next.size() == 1);
  CHECK(next[0].payload["n"] == 2);
  auto q = f.query(PayQuery::kPaid, "pay_lost", 3998);
  CHECK(f.p.status == "closed");
  CHECK(f.p.paid == 3998);
  CHECK(has_job(q.effects, kJobRefund));
  CHECK(std::find(f.p.flags.begin(), f.p.flags.end(), "late_payment") != f.p.flags.end());
  // the last check arms nothing more; other statuses ignore checks
  Decision last;
  on_close_check(f.p, static_cast<int>(std::size(kCloseCheckDelaysMs)), f.clock.now_ms(), &last);
  CHECK(effects_of<ScheduleTimer>(last.effects).empty());
  Fixture g;
  Decision none;
  on_close_check(g.p, 1, g.clock.now_ms(), &none);
  CHECK_FALSE(none.changed);
}

TEST_CASE("purchase: failed close and failed query retry with back-off", "[purchase]") {
  Fixture f;
  f.clock.advance(30 * 60'000);
  f.deadline();
  auto q = f.query(PayQuery::kFailed);
  auto jobs = effects_of<EnqueueJob>(q.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobQueryPayment);
  CHECK(jobs[0].not_before > f.clock.now_ms());
  f.query(PayQuery::kUnpaid);
  auto c = f.close(CloseResult::kFailed);
  auto retry = effects_of<EnqueueJob>(c.effects);
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].type == kJobClose);
  CHECK(retry[0].not_before > f.clock.now_ms());
  CHECK(f.p.status == "closing");
  f.close(CloseResult::kClosed);
  CHECK(f.p.status == "closed");
}

TEST_CASE("purchase: refund waits for steps (re-check timer), then proceeds", "[purchase]") {
  Fixture f;
  f.pay("pay_1", 3998);
  Status st = ok_status();
  auto d = f.refund_request(&st);
  REQUIRE(st.ok());
  CHECK(f.p.status == "refund_pending");
  auto timers = effects_of<ScheduleTimer>(d.effects);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].key == "po_refund_recheck/po_1");
  CHECK(timers[0].due_ms == f.clock.now_ms() + 30'000);
  CHECK_FALSE(has_job(d.effects, kJobRefund));
  f.clock.advance(30'000);
  auto r1 = f.recheck();
  CHECK(effects_of<ScheduleTimer>(r1.effects).size() == 1);  // re-armed
  CHECK_FALSE(has_job(r1.effects, kJobRefund));
  f.step(Step::kCommitStock);
  f.clock.advance(30'000);
  f.recheck();
  auto last = f.step(Step::kAwardPoints);
  CHECK(has_job(last.effects, kJobRefund));
  CHECK(f.p.status == "refund_pending");
  CHECK_FALSE(f.recheck().changed);  // the timer, if it still fires, is stale
  SECTION("refund failures retry, flag after N, then success") {
    for (int i = 1; i <= f.s.refund_failures_attention; ++i) {
      auto fail = f.refund_result("pay_1", RefundResult::kFailed);
      CHECK(has_job(fail.effects, kJobRefund));
      CHECK(effects_of<FlagAttention>(fail.effects).size() == (i == f.s.refund_failures_attention ? 1u : 0u));
    }
    auto ok = f.refund_result("pay_1", RefundResult::kSuccess);
    CHECK(effects_of<ClearAttention>(ok.effects).size() == 1);
  }
  SECTION("refund success at once") { f.refund_result("pay_1", RefundResult::kSuccess); }
  CHECK(f.p.status == "refunded");
  CHECK(f.p.refunded == 3998);
  CHECK(f.a.available == 10);
  CHECK(f.a.sold == 0);
  CHECK_FALSE(f.refund_result("pay_1", RefundResult::kSuccess).changed);
  Status again = ok_status();
  f.refund_request(&again);
  CHECK(again.error().code == ErrorCode::kConflict);
}

TEST_CASE("purchase: refund of a pending order is a conflict", "[purchase]") {
  Fixture f;
  Status st = ok_status();
  auto d = f.refund_request(&st);
  CHECK(st.error().code == ErrorCode::kConflict);
  CHECK_FALSE(d.changed);
}

TEST_CASE("purchase: random event sequences keep funds identity and stock invariant", "[purchase]") {
  std::mt19937_64 rng(20261122);
  int settled_closed = 0, refunded = 0;
  for (int order = 0; order < 200; ++order) {
    Fixture f(order % 2 ? "http://cb" : "");
    for (int step = 0; step < 25; ++step) {
      f.clock.advance(static_cast<DurationMs>(rng() % 120'000));
      const std::string pid = "pay_" + std::to_string(rng() % 4);
      const int64_t amount = rng() % 5 == 0 ? 1 : f.p.amount;
      switch (rng() % 12) {
        case 0: f.pay(pid, amount); break;
        case 1: f.deadline(); break;
        case 2: f.query(static_cast<PayQuery>(rng() % 3), pid, amount); break;
        case 3: f.close(static_cast<CloseResult>(rng() % 3)); break;
        case 4: {
          Decision d;
          (void)cancel_purchase(f.p, f.clock.now_ms(), &d);
          f.apply(d);
          break;
        }
        case 5: case 6: f.step(static_cast<Step>(rng() % 3)); break;
        case 7: f.refund_request(); break;
        case 8: f.recheck(); break;
        default:
          for (const auto& pay : f.p.payments)
            if (rng() % 2) {
              f.refund_result(pay.payment_id, static_cast<RefundResult>(rng() % 2));
              break;
            }
      }
      // Status-specific identities on the order's own money.
      if (f.p.status == "paid" || f.p.status == "completed") CHECK(f.p.amount + outstanding(f.p) == f.p.paid - f.p.refunded);
      if (f.p.status == "pending_payment" || f.p.status == "closing") CHECK(f.a.reserved == 2);
    }
    // Drain: every queued refund succeeds → closed/refunded orders reach paid − refunded == 0.
    for (auto pay : f.p.payments) f.refund_result(pay.payment_id, RefundResult::kSuccess);
    if (f.p.status == "closed" || f.p.status == "refunded") {
      CHECK(f.p.paid - f.p.refunded == 0);
      (f.p.status == "closed" ? settled_closed : refunded)++;
    }
    CHECK(f.a.available + f.a.reserved + f.a.sold == 10);
  }
  CHECK(settled_closed > 0);  // the sequence does reach the interesting ends
  CHECK(refunded > 0);
}

TEST_CASE("purchase: check_funds reports broken identities", "[purchase]") {
  Fixture f;
  f.pay("pay_1", 3998);
  Purchase bad = f.p;
  bad.paid += 1;  // paid field disagrees with payments
  CHECK(check_funds(bad).has_value());
  bad = f.p;
  bad.payments[0].kept = false;  // paid order without its payment, no refund queued
  CHECK(check_funds(bad).has_value());
  bad = f.p;
  bad.status = "closed";  // closed order keeping money
  CHECK(check_funds(bad).has_value());
  CHECK_FALSE(check_funds(f.p).has_value());
}

TEST_CASE("purchase: stored row (format 1) keeps every field; legacy rows read; damaged rows never decode", "[purchase][row]") {
  Fixture f("http://127.0.0.1:1/cb");
  Purchase p = f.p;
  p.items.push_back({"B", 3, 250});
  p.paid = 4498;
  p.refunded = 500;
  p.commit_stock_done = true;
  p.notify_done = true;
  p.payments.push_back({"pay_1", 3998, 1'700'000'000'100});
  p.payments.back().kept = true;
  p.payments.push_back({"pay_2", 500, 1'700'000'000'200});
  p.payments.back().refund = RefundState::kDone;
  p.payments.back().refund_failures = 2;
  p.events.push_back({1'700'000'000'300, "refund", "duplicate payment pay_2"});
  p.flags = {"duplicate_payment", "late_payment"};
  p.query_pending = true;
  p.query_failures = 1;
  p.close_failures = 4;
  p.version = 9;
  p.updated_at = 1'700'000'000'400;

  const std::string row = encode_purchase(p);
  auto back = decode_purchase(row);
  REQUIRE(back);
  CHECK(to_storage(*back) == to_storage(p));
  auto legacy = decode_purchase(store::encode(to_storage(p)));
  REQUIRE(legacy);
  CHECK(to_storage(*legacy) == to_storage(p));

  for (size_t n = 0; n < row.size(); ++n) CHECK_FALSE(decode_purchase(std::string_view(row).substr(0, n)));
  CHECK_FALSE(decode_purchase(row + "x"));
  std::string bad_refund = encode_purchase([&] {
    Purchase q = p;
    q.payments.back().refund = static_cast<RefundState>(99);
    return q;
  }());
  CHECK_FALSE(decode_purchase(bad_refund));
}
