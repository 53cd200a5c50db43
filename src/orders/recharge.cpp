#include "orders/recharge.h"

#include <algorithm>

#include "core/backoff.h"

namespace orderd::orders {

namespace {

void finish(Recharge& r, const std::string& status, TimeMs now, Decision* d) {
  r.status = status;
  r.finished_at = now;
  d->effects.push_back(CancelTimer{deadline_timer_key(r.id)});
  if (!r.notify_url.empty()) d->effects.push_back(EnqueueJob{kJobWebhook, r.id, now, Json::object()});
}

void touch(Recharge& r, Decision* d) {
  r.version++;
  d->changed = true;
}

// Schedules the next attempt if attempts and time allow; otherwise fails the
// order (attempts exhausted) or leaves it to the deadline (time exhausted).
void plan_retry(Recharge& r, const std::string& reason, TimeMs now, const RechargeSettings& s, uint64_t random,
                Decision* d) {
  if (static_cast<int>(r.attempts.size()) >= s.max_attempts) {
    finish(r, "failed", now, d);
    return;
  }
  const TimeMs latest = r.deadline_at - s.min_attempt_ms;  // last moment an attempt is worth starting
  if (now > latest) return;                                  // no time left: the deadline decides
  const DurationMs wait = backoff_delay(static_cast<int>(r.attempts.size()), s.retry_base_ms, s.retry_cap_ms, random);
  const TimeMs at = std::min(now + wait, latest);
  d->effects.push_back(EnqueueJob{kJobAttempt, r.id, at, Json::object()});
}

RechargeAttempt* find_attempt(Recharge& r, int n) {
  for (auto& a : r.attempts)
    if (a.n == n) return &a;
  return nullptr;
}

void flag_late(Recharge& r, const std::string& status, TimeMs now, Decision* d) {
  r.late_result = LateResult{status, now};
  d->effects.push_back(FlagAttention{r.id, "late_result",
                                     "provider reported " + status + " after the order timed out"});
  if (!r.notify_url.empty()) d->effects.push_back(EnqueueJob{kJobWebhook, r.id, now, Json::object()});
}

void ask_provider(Recharge& r, TimeMs now, const RechargeSettings& s, uint64_t random, Decision* d) {
  TimeMs at = now;
  if (r.query_failures > 0) at += backoff_delay(r.query_failures, s.retry_base_ms, s.retry_cap_ms, random);
  d->effects.push_back(EnqueueJob{kJobQuery, r.id, at, Json::object()});
}

}  // namespace

bool is_terminal(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "timed_out";
}

std::string deadline_timer_key(const std::string& id) { return std::string(kTimerDeadline) + "/" + id; }

Recharge create_recharge(std::string id, std::string account, int64_t amount, std::string notify_url, TimeMs now,
                         const RechargeSettings& s, Effects* effects) {
  Recharge r;
  r.id = std::move(id);
  r.account = std::move(account);
  r.amount = amount;
  r.notify_url = std::move(notify_url);
  r.created_at = now;
  r.deadline_at = now + s.result_timeout_ms;
  r.version = 1;
  effects->push_back(EnqueueJob{kJobAttempt, r.id, now, Json::object()});
  effects->push_back(ScheduleTimer{kTimerDeadline, deadline_timer_key(r.id), r.deadline_at, {{"order_id", r.id}}});
  return r;
}

AttemptPlan on_attempt_start(Recharge& r, TimeMs now, const RechargeSettings& s, Decision* d) {
  AttemptPlan plan;
  if (!r.attempts.empty() && r.attempts.back().ended_at == 0) {
    // The previous attempt never reported (the process stopped mid-call):
    // its outcome is unknown, so ask the provider before anything else —
    // also when the deadline passed meanwhile (the answer is a late result).
    auto& a = r.attempts.back();
    a.ended_at = now;
    a.outcome = "timeout";
    a.reason = "interrupted: no result recorded (restart)";
    r.outcome_unknown = true;
    touch(r, d);
    ask_provider(r, now, s, 0, d);
    plan.why = "previous attempt outcome unknown";
    return plan;
  }
  if (is_terminal(r.status)) {
    plan.why = "order is " + r.status;
    return plan;
  }
  if (r.outcome_unknown) {
    plan.why = "waiting for the provider's status of an earlier attempt";
    return plan;
  }
  if (static_cast<int>(r.attempts.size()) >= s.max_attempts) {
    plan.why = "attempts exhausted";
    return plan;
  }
  const DurationMs left = r.deadline_at - now;
  if (left < s.min_attempt_ms) {
    plan.why = "no time left before the deadline";
    return plan;
  }
  RechargeAttempt a;
  a.n = static_cast<int>(r.attempts.size()) + 1;
  a.started_at = now;
  r.attempts.push_back(a);
  r.status = "processing";
  touch(r, d);
  plan.kind = AttemptPlan::kCall;
  plan.n = a.n;
  plan.timeout_ms = std::min(s.attempt_timeout_ms, left);
  return plan;
}

void on_attempt_result(Recharge& r, int n, CallResult result, const std::string& reason, TimeMs now,
                       const RechargeSettings& s, uint64_t random, Decision* d) {
  RechargeAttempt* a = find_attempt(r, n);
  if (a == nullptr || a->ended_at != 0) return;  // stale or duplicate report
  a->ended_at = now;
  a->reason = reason;
  touch(r, d);
  switch (result) {
    case CallResult::kSuccess: a->outcome = "success"; break;
    case CallResult::kFailed: a->outcome = "failed"; break;
    case CallResult::kRetryable: a->outcome = "error"; break;
    case CallResult::kUnknown: a->outcome = "timeout"; break;
  }
  if (is_terminal(r.status)) {  // the deadline passed while the call was in flight
    if (result == CallResult::kSuccess) flag_late(r, "success", now, d);
    else if (result == CallResult::kFailed) flag_late(r, "failed", now, d);
    else if (result == CallResult::kUnknown) {
      r.outcome_unknown = true;
      ask_provider(r, now, s, random, d);
    }
    return;
  }
  switch (result) {
    case CallResult::kSuccess: finish(r, "succeeded", now, d); break;
    case CallResult::kFailed: finish(r, "failed", now, d); break;
    case CallResult::kRetryable: plan_retry(r, reason, now, s, random, d); break;
    case CallResult::kUnknown:
      r.outcome_unknown = true;
      r.query_failures = 0;
      ask_provider(r, now, s, random, d);
      break;
  }
}

void on_query_result(Recharge& r, QueryAnswer answer, const std::string& reason, TimeMs now,
                     const RechargeSettings& s, uint64_t random, Decision* d) {
  if (!r.outcome_unknown) return;  // already settled: duplicate query job
  touch(r, d);
  if (answer == QueryAnswer::kQueryFailed) {
    r.query_failures++;
    ask_provider(r, now, s, random, d);
    return;
  }
  r.outcome_unknown = false;
  r.query_failures = 0;
  if (!r.attempts.empty()) {
    auto& last = r.attempts.back();
    const char* said = answer == QueryAnswer::kSuccess ? "success" : answer == QueryAnswer::kFailed ? "failed" : "not received";
    last.reason += (last.reason.empty() ? "" : "; ") + std::string("provider status: ") + said;
  }
  if (is_terminal(r.status)) {
    if (answer == QueryAnswer::kSuccess) flag_late(r, "success", now, d);
    else if (answer == QueryAnswer::kFailed) flag_late(r, "failed", now, d);
    return;  // kNeverSeen after the deadline: nothing was credited, nothing more to do
  }
  switch (answer) {
    case QueryAnswer::kSuccess: finish(r, "succeeded", now, d); break;
    case QueryAnswer::kFailed: finish(r, "failed", now, d); break;
    case QueryAnswer::kNeverSeen: plan_retry(r, reason, now, s, random, d); break;
    case QueryAnswer::kQueryFailed: break;  // handled above
  }
}

void on_deadline(Recharge& r, TimeMs now, Decision* d) {
  if (is_terminal(r.status)) return;
  touch(r, d);
  r.status = "timed_out";
  r.finished_at = now;
  const bool in_flight = !r.attempts.empty() && r.attempts.back().ended_at == 0;
  std::string detail = "no result within the deadline after " + std::to_string(r.attempts.size()) + " attempt(s)";
  if (in_flight || r.outcome_unknown) detail += "; outcome of the last attempt still unknown, asking the provider";
  d->effects.push_back(FlagAttention{r.id, "recharge_timed_out", detail});
  if (!r.notify_url.empty()) d->effects.push_back(EnqueueJob{kJobWebhook, r.id, now, Json::object()});
}

}  // namespace orderd::orders
