// sim_world.h — the simulated provider's ground truth: which recharges were
// credited, which orders were paid or closed, which refunds were made; and
// the fault knobs (latency, fail_rate, timeout_rate).
//
// Both forms of the simulator share it: SimProvider (in-process) and
// `orderd provider-sim` (over HTTP). A contract call (recharge, query_*,
// close_payment, refund) first draws its fault, then — unless the fault is
// kUnavailable — does its operation, all synchronously under one mutex. The
// caller applies `latency_ms` and lateness with asio timers; the world never
// sleeps.
//
//   draw u in [0,1):  u < fail_rate                 → kUnavailable (503, nothing done)
//                     u < fail_rate + timeout_rate  → kLate (done, answered too late)
//                     otherwise                     → kNone
//   e.g. fail_rate 0.2, timeout_rate 0.1: 20% 503s, 10% late, 70% normal.
//   If the rates add up to more than 1, fail_rate wins: 1 - fail_rate are late.
//
// Owns: all simulated state. Thread: every method is safe from any thread.
// Invariants:
//   (1) Deterministic: the same seed and the same sequence of calls give the
//       same faults and the same payment ids (std::mt19937_64, one draw per
//       contract call, one per payment; nothing else is random).
//   (2) A recharge is recorded once per order_id; later calls return the
//       recorded result and never credit again. An account beginning with
//       "invalid" is refused for good (recorded as failed).
//   (3) An order has at most one payment. A closed order is paid only with
//       even_if_closed (seed 003's race); it then stays closed and paid.
//       Closing a paid order answers already_paid and changes nothing.
//   (4) A refund is recorded once per refund_id; the sum of an order's
//       refunds never exceeds its payment. Refused refunds are not recorded.
//   (5) Ground-truth reads (*_truth, credited) are never faulted.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "provider/provider.h"

namespace orderd::provider {

struct SimFaults {
  DurationMs latency_ms = 0;  // every call answers after this long
  double fail_rate = 0;       // share of calls answered 503, nothing done; in [0, 1]
  double timeout_rate = 0;    // share of calls done but answered too late; in [0, 1]
};

enum class SimFault {
  kNone,         // answer after latency_ms
  kUnavailable,  // answer 503 after latency_ms; the operation was NOT done
  kLate,         // the operation was done; answer after the caller gave up
};
const char* to_string(SimFault f);

// What one contract call came to. `value` is meaningful unless fault == kUnavailable.
template <class T>
struct SimAnswer {
  SimFault fault = SimFault::kNone;
  DurationMs latency_ms = 0;
  T value{};
};

struct SimRecharge {
  bool success = false;  // credited; false = refused for good
  std::string reason;    // why refused ("" on success)
  std::string account;
  int64_t amount = 0;    // minor units
};

struct SimPayment {
  bool paid = false;
  std::string payment_id;  // "" when unpaid
  int64_t amount = 0;      // minor units; 0 when unpaid
  TimeMs paid_at = 0;      // 0 when unpaid
  bool closed = false;     // the order was closed at the provider
};

struct SimClose {
  bool already_paid = false;  // false = closed (now or before)
};

struct SimRefund {
  bool success = false;
  std::string reason;  // why refused ("" on success)
};

struct SimRefundRecord {
  std::string order_id;
  std::string payment_id;
  int64_t amount = 0;
};

struct SimCounters {
  uint64_t calls = 0;        // contract calls, reads included
  uint64_t unavailable = 0;  // answered 503
  uint64_t late = 0;         // answered too late
  uint64_t credits = 0;      // recharges credited (once per order)
  uint64_t payments = 0;
  uint64_t refunds = 0;
};

class SimWorld {
 public:
  explicit SimWorld(uint64_t seed, SimFaults faults = {});
  SimWorld(const SimWorld&) = delete;
  SimWorld& operator=(const SimWorld&) = delete;

  // REQUIRES: rates in [0, 1], latency_ms >= 0. Thread: any.
  void set_faults(SimFaults faults);
  SimFaults faults() const;

  // ---- The contract (each call draws its fault first) ----
  // POST /recharge. Invariant (2).
  SimAnswer<SimRecharge> recharge(const std::string& order_id, const std::string& account, int64_t amount);
  // GET /recharge/{order_id}. kUnknown = never seen.
  SimAnswer<RechargeStatus> query_recharge(const std::string& order_id);
  // GET /payments/{order_id}
  SimAnswer<SimPayment> query_payment(const std::string& order_id);
  // POST /payments/{order_id}/close. Invariant (3).
  SimAnswer<SimClose> close_payment(const std::string& order_id);
  // POST /refunds. Invariant (4).
  SimAnswer<SimRefund> refund(const std::string& refund_id, const std::string& order_id,
                              const std::string& payment_id, int64_t amount);

  // ---- The simulated customer (never faulted) ----
  // Pays order_id; an order already paid returns its existing payment.
  // Errors: kInvalid (field "amount") for amount <= 0;
  //         kConflict when the order is closed and !even_if_closed.
  Result<SimPayment> pay(const std::string& order_id, int64_t amount, bool even_if_closed, TimeMs now_ms);

  // ---- Ground truth (never faulted) ----
  std::optional<SimRecharge> recharge_truth(const std::string& order_id) const;
  SimPayment payment_truth(const std::string& order_id) const;
  std::optional<SimRefundRecord> refund_truth(const std::string& refund_id) const;
  int64_t refunded_total(const std::string& order_id) const;  // sum of recorded refunds
  int64_t credited(const std::string& account) const;         // sum of credited recharges
  SimCounters counters() const;

 private:
  struct Order {
    SimPayment payment;  // payment.closed mirrors `closed`
    int64_t refunded = 0;
  };
  // Counts the call and draws its fault (one rng draw). REQUIRES: mu_ held.
  SimFault draw_fault_locked();

  mutable std::mutex mu_;
  std::mt19937_64 rng_;                          // guarded by mu_
  SimFaults faults_;                             // guarded by mu_
  std::map<std::string, SimRecharge> recharges_;  // by order_id
  std::map<std::string, int64_t> credited_;       // by account
  std::map<std::string, Order> orders_;           // payments and closes, by order_id
  std::map<std::string, SimRefundRecord> refunds_;  // by refund_id
  SimCounters counters_;
};

}  // namespace orderd::provider
