// recharge.h — the recharge order (SPEC §3, seeds 000/001) and its state
// machine as pure functions: (state, event, now, settings, random) → new state
// + effects. No I/O, no clock, no threads; the engine (recharge_engine.h)
// applies the result in one write transaction.
//
// States: queued → processing → succeeded | failed | timed_out (terminal).
//
// Worked example (defaults: attempt 1 m, result 3 m, max 5 attempts):
//   t=0      create → queued; job rc_attempt; timer rc_deadline at t=3m.
//   t=0.01s  attempt 1 starts (processing), timeout min(1m, 3m−0) = 1m.
//   t=1m     attempt 1 times out → outcome unknown → job rc_query now.
//   t=1m+    provider says "unknown" (never saw it) → retry after ~1 s.
//   t=1m1s   attempt 2 starts, timeout min(1m, 1m59s) = 1m … 503 → retry ~2 s.
//   t=3m     deadline fires: not terminal → timed_out, attention. If an
//            attempt's outcome is still unknown, rc_query keeps asking (with
//            back-off) until the provider knows; its answer is late_result.
//
// Invariants:
//   (1) A terminal status never changes; results arriving after it are
//       recorded as late_result only.
//   (2) No new attempt starts while an earlier attempt's outcome is unknown
//       (outcome_unknown): the provider is queried first, so an account is
//       never credited twice.
//   (3) No attempt starts after deadline_at, and an attempt's timeout never
//       reaches past deadline_at.
//   (4) attempts.size() <= max_attempts.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "orders/effects.h"

namespace orderd::orders {

struct RechargeSettings {
  DurationMs attempt_timeout_ms = 60'000;
  DurationMs result_timeout_ms = 180'000;
  int max_attempts = 5;
  DurationMs retry_base_ms = 1'000;   // first back-off, doubling
  DurationMs retry_cap_ms = 60'000;
  DurationMs min_attempt_ms = 100;    // no attempt is started with less time left
  int webhook_attempts = 200;         // notify_url deliveries before a dead letter (engine only)
};

struct RechargeAttempt {
  int n = 0;
  TimeMs started_at = 0;
  TimeMs ended_at = 0;    // 0 while the attempt is in flight
  std::string outcome;    // "" in flight; "success" | "failed" | "timeout" | "error"
  std::string reason;
};

struct LateResult {
  std::string status;  // "success" | "failed"
  TimeMs at = 0;
};

struct Recharge {
  std::string id;
  std::string account;
  int64_t amount = 0;  // minor units
  std::string notify_url;
  std::string status = "queued";
  TimeMs created_at = 0;
  TimeMs deadline_at = 0;
  TimeMs finished_at = 0;        // 0 until terminal
  std::vector<RechargeAttempt> attempts;
  bool outcome_unknown = false;  // an attempt timed out; provider not yet asked successfully
  int query_failures = 0;        // consecutive failed status queries (back-off input)
  std::optional<LateResult> late_result;
  uint64_t version = 0;          // bumped on every change (optimistic concurrency)
};

bool is_terminal(const std::string& status);
// The stored row (store/row.h format 1). decode_recharge also reads the
// earlier MessagePack-JSON rows (to_storage/from_storage), so data written by
// an older orderd stays readable; nullopt for a row that is neither.
std::string encode_recharge(const Recharge& r);
std::optional<Recharge> decode_recharge(std::string_view bytes);
Json to_storage(const Recharge& r);  // the legacy row as JSON
std::optional<Recharge> from_storage(const Json& j);
// The API shape of SPEC §3 (times as RFC 3339).
Json to_api(const Recharge& r);

// Job and timer names used by recharges.
inline constexpr const char* kJobAttempt = "rc_attempt";
inline constexpr const char* kJobQuery = "rc_query";
inline constexpr const char* kJobWebhook = "rc_webhook";
inline constexpr const char* kTimerDeadline = "rc_deadline";
std::string deadline_timer_key(const std::string& id);


// A new order. REQUIRES: amount > 0, account non-empty (validated by caller).
Recharge create_recharge(std::string id, std::string account, int64_t amount, std::string notify_url, TimeMs now,
                         const RechargeSettings& s, Effects* effects);

// A worker is about to make attempt for this order.
struct AttemptPlan {
  enum Kind {
    kCall,  // call the provider with `timeout_ms`, then on_attempt_result(n)
    kSkip,  // nothing to do (terminal, or no time left: the deadline decides)
  } kind = kSkip;
  int n = 0;
  DurationMs timeout_ms = 0;
  std::string why;  // for kSkip
};
AttemptPlan on_attempt_start(Recharge& r, TimeMs now, const RechargeSettings& s, Decision* d);

// What the provider call of attempt n came to.
enum class CallResult { kSuccess, kFailed, kRetryable, kUnknown };
void on_attempt_result(Recharge& r, int n, CallResult result, const std::string& reason, TimeMs now,
                       const RechargeSettings& s, uint64_t random, Decision* d);

// What the status query (asked because an outcome was unknown) came to.
// kRetryable/kUnknown here mean the query itself failed.
enum class QueryAnswer { kSuccess, kFailed, kNeverSeen, kQueryFailed };
void on_query_result(Recharge& r, QueryAnswer answer, const std::string& reason, TimeMs now,
                     const RechargeSettings& s, uint64_t random, Decision* d);

// The result deadline fired.
void on_deadline(Recharge& r, TimeMs now, Decision* d);

}  // namespace orderd::orders
