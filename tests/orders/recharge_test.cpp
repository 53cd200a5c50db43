// Pure state-machine tests of recharge orders (SPEC §3) with a fake clock.
#include <catch2/catch.hpp>

#include "core/clock.h"
#include "orders/recharge.h"
#include "store/env.h"

using namespace orderd;
using namespace orderd::orders;

namespace {

RechargeSettings settings() {
  RechargeSettings s;
  s.attempt_timeout_ms = 60'000;
  s.result_timeout_ms = 180'000;
  s.max_attempts = 5;
  return s;
}

template <class T>
std::vector<T> effects_of(const Effects& e) {
  std::vector<T> out;
  for (const auto& x : e)
    if (auto* p = std::get_if<T>(&x)) out.push_back(*p);
  return out;
}

struct Fixture {
  FakeClock clock;
  RechargeSettings s = settings();
  Recharge r;
  Fixture() {
    Effects e;
    r = create_recharge("rc_1", "13800000000", 1000, "", clock.now_ms(), s, &e);
  }
  AttemptPlan start() {
    Decision d;
    return on_attempt_start(r, clock.now_ms(), s, &d);
  }
  Decision result(int n, CallResult c, const std::string& why = "") {
    Decision d;
    on_attempt_result(r, n, c, why, clock.now_ms(), s, 0, &d);
    return d;
  }
  Decision query(QueryAnswer a) {
    Decision d;
    on_query_result(r, a, "", clock.now_ms(), s, 0, &d);
    return d;
  }
};

}  // namespace

TEST_CASE("create: queued, first attempt job now, deadline timer at created + result timeout", "[orders][recharge]") {
  FakeClock clock;
  Effects e;
  auto r = create_recharge("rc_1", "acct", 1000, "", clock.now_ms(), settings(), &e);
  CHECK(r.status == "queued");
  CHECK(r.deadline_at == clock.now_ms() + 180'000);
  auto jobs = effects_of<EnqueueJob>(e);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobAttempt);
  CHECK(jobs[0].not_before == clock.now_ms());
  auto timers = effects_of<ScheduleTimer>(e);
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].due_ms == r.deadline_at);
  CHECK(timers[0].key == deadline_timer_key("rc_1"));
}

TEST_CASE("success on the first attempt finishes the order and cancels the deadline", "[orders][recharge]") {
  Fixture f;
  auto plan = f.start();
  REQUIRE(plan.kind == AttemptPlan::kCall);
  CHECK(plan.n == 1);
  CHECK(plan.timeout_ms == 60'000);
  CHECK(f.r.status == "processing");
  f.clock.advance(50);
  auto d = f.result(1, CallResult::kSuccess);
  CHECK(f.r.status == "succeeded");
  CHECK(f.r.finished_at == f.clock.now_ms());
  CHECK(f.r.attempts[0].outcome == "success");
  CHECK(effects_of<CancelTimer>(d.effects).size() == 1);
}

TEST_CASE("attempt timeout: provider is queried before any retry", "[orders][recharge]") {
  Fixture f;
  f.start();
  f.clock.advance(60'000);
  auto d = f.result(1, CallResult::kUnknown, "timeout");
  CHECK(f.r.status == "processing");
  CHECK(f.r.outcome_unknown);
  CHECK(f.r.attempts[0].outcome == "timeout");
  auto jobs = effects_of<EnqueueJob>(d.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobQuery);  // a query, not a new attempt
  // While the outcome is unknown no attempt may start.
  CHECK(f.start().kind == AttemptPlan::kSkip);
  SECTION("provider says it was credited: succeeded, no second attempt") {
    auto q = f.query(QueryAnswer::kSuccess);
    CHECK(f.r.status == "succeeded");
    CHECK(f.r.attempts.size() == 1);
    CHECK(effects_of<EnqueueJob>(q.effects).empty());
  }
  SECTION("provider never saw it: retry with back-off near one second") {
    auto q = f.query(QueryAnswer::kNeverSeen);
    CHECK_FALSE(f.r.outcome_unknown);
    auto retry = effects_of<EnqueueJob>(q.effects);
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].type == kJobAttempt);
    CHECK(retry[0].not_before - f.clock.now_ms() >= 800);
    CHECK(retry[0].not_before - f.clock.now_ms() <= 1200);
  }
  SECTION("the query itself fails: ask again later, order still open") {
    auto q = f.query(QueryAnswer::kQueryFailed);
    CHECK(f.r.outcome_unknown);
    auto again = effects_of<EnqueueJob>(q.effects);
    REQUIRE(again.size() == 1);
    CHECK(again[0].type == kJobQuery);
    CHECK(again[0].not_before > f.clock.now_ms());
  }
}

TEST_CASE("retryable failure then success on a later attempt", "[orders][recharge]") {
  Fixture f;
  f.start();
  auto d = f.result(1, CallResult::kRetryable, "503");
  CHECK(f.r.attempts[0].outcome == "error");
  auto jobs = effects_of<EnqueueJob>(d.effects);
  REQUIRE(jobs.size() == 1);
  f.clock.set(jobs[0].not_before);
  auto plan = f.start();
  REQUIRE(plan.kind == AttemptPlan::kCall);
  CHECK(plan.n == 2);
  f.result(2, CallResult::kSuccess);
  CHECK(f.r.status == "succeeded");
  CHECK(f.r.attempts.size() == 2);
}

TEST_CASE("back-off doubles between attempts", "[orders][recharge]") {
  Fixture f;
  std::vector<DurationMs> waits;
  for (int n = 1; n <= 3; ++n) {
    f.start();
    auto d = f.result(n, CallResult::kRetryable, "503");
    auto jobs = effects_of<EnqueueJob>(d.effects);
    REQUIRE(jobs.size() == 1);
    waits.push_back(jobs[0].not_before - f.clock.now_ms());
    f.clock.set(jobs[0].not_before);
  }
  CHECK(waits[0] >= 800);
  CHECK(waits[0] < 1200);
  CHECK(waits[1] >= 1600);
  CHECK(waits[1] < 2400);
  CHECK(waits[2] >= 3200);
  CHECK(waits[2] < 4800);
}

TEST_CASE("non-retryable failure ends in failed at once", "[orders][recharge]") {
  Fixture f;
  f.start();
  auto d = f.result(1, CallResult::kFailed, "account refused");
  CHECK(f.r.status == "failed");
  CHECK(f.r.attempts[0].reason == "account refused");
  CHECK(effects_of<EnqueueJob>(d.effects).empty());
}

TEST_CASE("max attempts reached before the deadline: failed", "[orders][recharge]") {
  Fixture f;
  f.s.max_attempts = 3;
  for (int n = 1; n <= 3; ++n) {
    auto plan = f.start();
    REQUIRE(plan.kind == AttemptPlan::kCall);
    auto d = f.result(n, CallResult::kRetryable, "503");
    auto jobs = effects_of<EnqueueJob>(d.effects);
    if (n < 3) {
      REQUIRE(jobs.size() == 1);
      f.clock.set(jobs[0].not_before);
    }
  }
  CHECK(f.r.status == "failed");
  CHECK(f.r.attempts.size() == 3);
  CHECK(f.r.finished_at < f.r.deadline_at);
}

TEST_CASE("an attempt's timeout never reaches past the deadline", "[orders][recharge]") {
  Fixture f;
  f.clock.advance(150'000);  // 30 s left
  auto plan = f.start();
  REQUIRE(plan.kind == AttemptPlan::kCall);
  CHECK(plan.timeout_ms == 30'000);
  f.result(1, CallResult::kRetryable, "503");
  f.clock.set(f.r.deadline_at - 50);  // less than min_attempt_ms left
  CHECK(f.start().kind == AttemptPlan::kSkip);
}

TEST_CASE("deadline: unfinished order times out and needs attention", "[orders][recharge]") {
  Fixture f;
  f.start();
  f.result(1, CallResult::kRetryable, "503");
  f.clock.set(f.r.deadline_at);
  Decision d;
  on_deadline(f.r, f.clock.now_ms(), &d);
  CHECK(f.r.status == "timed_out");
  CHECK(f.r.finished_at == f.r.deadline_at);
  auto flags = effects_of<FlagAttention>(d.effects);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].kind == "recharge_timed_out");
  SECTION("a later attempt job does nothing") { CHECK(f.start().kind == AttemptPlan::kSkip); }
  SECTION("deadline on a finished order is a no-op") {
    Decision again;
    on_deadline(f.r, f.clock.now_ms() + 1, &again);
    CHECK_FALSE(again.changed);
  }
}

TEST_CASE("late result after the deadline is recorded, never changes the status", "[orders][recharge]") {
  Fixture f;
  f.clock.advance(170'000);
  f.start();  // in flight when the deadline comes
  f.clock.set(f.r.deadline_at);
  Decision d;
  on_deadline(f.r, f.clock.now_ms(), &d);
  REQUIRE(f.r.status == "timed_out");
  SECTION("the in-flight call reports success") {
    f.clock.advance(10);
    auto r = f.result(1, CallResult::kSuccess);
    CHECK(f.r.status == "timed_out");
    REQUIRE(f.r.late_result);
    CHECK(f.r.late_result->status == "success");
    CHECK(effects_of<FlagAttention>(r.effects).size() == 1);
  }
  SECTION("the in-flight call times out: keep asking until the provider knows") {
    auto r = f.result(1, CallResult::kUnknown);
    CHECK(f.r.outcome_unknown);
    CHECK(effects_of<EnqueueJob>(r.effects).size() == 1);
    auto q1 = f.query(QueryAnswer::kQueryFailed);
    CHECK(effects_of<EnqueueJob>(q1.effects).size() == 1);
    CHECK_FALSE(f.r.late_result);
    f.query(QueryAnswer::kSuccess);
    CHECK(f.r.status == "timed_out");
    REQUIRE(f.r.late_result);
    CHECK(f.r.late_result->status == "success");
    CHECK_FALSE(f.r.outcome_unknown);
  }
}

TEST_CASE("an attempt interrupted by a restart is settled by a query, not re-sent", "[orders][recharge]") {
  Fixture f;
  f.start();  // started, then the process died: attempt 1 has no end
  Decision d;
  auto plan = on_attempt_start(f.r, f.clock.now_ms(), f.s, &d);
  CHECK(plan.kind == AttemptPlan::kSkip);
  CHECK(f.r.outcome_unknown);
  CHECK(f.r.attempts.size() == 1);
  CHECK(f.r.attempts[0].outcome == "timeout");
  auto jobs = effects_of<EnqueueJob>(d.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobQuery);
}

TEST_CASE("an attempt interrupted by a crash around the deadline is still settled, as a late result", "[orders][recharge]") {
  // Found by the kill -9 torture: attempt 2 started, the process died, the
  // deadline fired on restart before the attempt's job ran again; nobody
  // asked the provider, which had credited the account.
  Fixture f;
  f.start();
  f.clock.advance(f.s.result_timeout_ms);
  Decision dl;
  on_deadline(f.r, f.clock.now_ms(), &dl);
  REQUIRE(f.r.status == "timed_out");
  Decision d;
  auto plan = on_attempt_start(f.r, f.clock.now_ms(), f.s, &d);  // the re-run job after the restart
  CHECK(plan.kind == AttemptPlan::kSkip);
  CHECK(f.r.outcome_unknown);
  CHECK(f.r.attempts[0].ended_at != 0);
  auto jobs = effects_of<EnqueueJob>(d.effects);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].type == kJobQuery);
  f.query(QueryAnswer::kSuccess);
  CHECK(f.r.status == "timed_out");  // a terminal status never changes
  REQUIRE(f.r.late_result.has_value());
  CHECK(f.r.late_result->status == "success");
  CHECK_FALSE(f.r.outcome_unknown);
  // a second re-run of the same job changes nothing
  Decision again;
  on_attempt_start(f.r, f.clock.now_ms(), f.s, &again);
  CHECK_FALSE(again.changed);
}

TEST_CASE("duplicate reports are ignored", "[orders][recharge]") {
  Fixture f;
  f.start();
  f.result(1, CallResult::kSuccess);
  auto again = f.result(1, CallResult::kFailed);
  CHECK_FALSE(again.changed);
  CHECK(f.r.status == "succeeded");
  auto q = f.query(QueryAnswer::kFailed);
  CHECK_FALSE(q.changed);
}

TEST_CASE("storage round trip keeps every field", "[orders][recharge]") {
  Fixture f;
  f.r.notify_url = "http://127.0.0.1:1/cb";
  f.start();
  f.result(1, CallResult::kUnknown, "timeout");
  f.r.late_result = LateResult{"success", 42};
  auto back = from_storage(to_storage(f.r));
  REQUIRE(back);
  CHECK(to_storage(*back) == to_storage(f.r));
  auto api = to_api(f.r);
  CHECK(api["attempts"][0]["outcome"] == "timeout");
  CHECK(api["late_result"]["status"] == "success");
}

TEST_CASE("stored row (format 1) keeps every field; legacy rows still read; damaged rows never decode", "[orders][recharge][row]") {
  Fixture f;
  f.r.notify_url = "http://127.0.0.1:1/cb";
  f.r.amount = -1;  // zigzag: negative values survive too (never valid, but the codec must not care)
  f.start();
  f.result(1, CallResult::kUnknown, "timeout");
  f.r.late_result = LateResult{"success", 42};
  f.r.version = UINT64_MAX;
  const std::string row = encode_recharge(f.r);
  auto back = decode_recharge(row);
  REQUIRE(back);
  CHECK(to_storage(*back) == to_storage(f.r));
  CHECK(row.size() < store::encode(to_storage(f.r)).size());

  // a row written by an earlier orderd (MessagePack JSON) reads the same
  auto legacy = decode_recharge(store::encode(to_storage(f.r)));
  REQUIRE(legacy);
  CHECK(to_storage(*legacy) == to_storage(f.r));

  // every truncation and a trailing byte are refused, not misread
  for (size_t n = 0; n < row.size(); ++n) CHECK_FALSE(decode_recharge(std::string_view(row).substr(0, n)));
  CHECK_FALSE(decode_recharge(row + "x"));
  CHECK_FALSE(decode_recharge(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)));
}
