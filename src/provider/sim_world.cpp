// sim_world.cpp — the simulated provider's state and fault draws. See
// sim_world.h for the rules and invariants.
#include "provider/sim_world.h"

#include <cstdint>
#include <cstdio>

namespace orderd::provider {

namespace {

// A uniform double in [0, 1) from the top 53 bits: the same on every
// standard library (std::uniform_real_distribution is not).
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

bool starts_with_invalid(const std::string& account) { return account.rfind("invalid", 0) == 0; }

}  // namespace

const char* to_string(SimFault f) {
  switch (f) {
    case SimFault::kNone: return "none";
    case SimFault::kUnavailable: return "unavailable";
    case SimFault::kLate: return "late";
  }
  return "?";
}

SimWorld::SimWorld(uint64_t seed, SimFaults faults) : rng_(seed), faults_(faults) {}

void SimWorld::set_faults(SimFaults faults) {
  std::lock_guard lock(mu_);
  faults_ = faults;
}

SimFaults SimWorld::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

SimFault SimWorld::draw_fault_locked() {
  ++counters_.calls;
  const double u = unit(rng_);  // always drawn, so the sequence does not depend on the knobs
  SimFault f = SimFault::kNone;
  if (u < faults_.fail_rate) f = SimFault::kUnavailable;
  else if (u < faults_.fail_rate + faults_.timeout_rate) f = SimFault::kLate;
  if (f == SimFault::kUnavailable) ++counters_.unavailable;
  if (f == SimFault::kLate) ++counters_.late;
  return f;
}

SimAnswer<SimRecharge> SimWorld::recharge(const std::string& order_id, const std::string& account, int64_t amount) {
  std::lock_guard lock(mu_);
  SimAnswer<SimRecharge> a{draw_fault_locked(), faults_.latency_ms, {}};
  if (a.fault == SimFault::kUnavailable) return a;
  auto it = recharges_.find(order_id);
  if (it == recharges_.end()) {
    SimRecharge r{true, "", account, amount};
    if (starts_with_invalid(account)) r = {false, "invalid account", account, amount};
    else if (amount <= 0) r = {false, "invalid amount", account, amount};
    it = recharges_.emplace(order_id, r).first;
    if (r.success) {
      int64_t& total = credited_[account];
      if (__builtin_add_overflow(total, amount, &total)) total = INT64_MAX;  // saturate: a simulator, not a ledger
      ++counters_.credits;
    }
  }
  a.value = it->second;
  return a;
}

SimAnswer<RechargeStatus> SimWorld::query_recharge(const std::string& order_id) {
  std::lock_guard lock(mu_);
  SimAnswer<RechargeStatus> a{draw_fault_locked(), faults_.latency_ms, RechargeStatus::kUnknown};
  if (a.fault == SimFault::kUnavailable) return a;
  auto it = recharges_.find(order_id);
  if (it != recharges_.end()) a.value = it->second.success ? RechargeStatus::kSuccess : RechargeStatus::kFailed;
  return a;
}

SimAnswer<SimPayment> SimWorld::query_payment(const std::string& order_id) {
  std::lock_guard lock(mu_);
  SimAnswer<SimPayment> a{draw_fault_locked(), faults_.latency_ms, {}};
  if (a.fault == SimFault::kUnavailable) return a;
  auto it = orders_.find(order_id);
  if (it != orders_.end()) a.value = it->second.payment;
  return a;
}

SimAnswer<SimClose> SimWorld::close_payment(const std::string& order_id) {
  std::lock_guard lock(mu_);
  SimAnswer<SimClose> a{draw_fault_locked(), faults_.latency_ms, {}};
  if (a.fault == SimFault::kUnavailable) return a;
  Order& o = orders_[order_id];
  if (o.payment.paid) {
    a.value.already_paid = true;
  } else {
    o.payment.closed = true;
  }
  return a;
}

SimAnswer<SimRefund> SimWorld::refund(const std::string& refund_id, const std::string& order_id,
                                      const std::string& payment_id, int64_t amount) {
  std::lock_guard lock(mu_);
  SimAnswer<SimRefund> a{draw_fault_locked(), faults_.latency_ms, {}};
  if (a.fault == SimFault::kUnavailable) return a;
  if (auto it = refunds_.find(refund_id); it != refunds_.end()) {
    const SimRefundRecord& r = it->second;
    if (r.order_id == order_id && r.payment_id == payment_id && r.amount == amount) a.value = {true, ""};
    else a.value = {false, "refund_id already used for another refund"};
    return a;
  }
  auto it = orders_.find(order_id);
  if (amount <= 0) {
    a.value = {false, "invalid amount"};
  } else if (it == orders_.end() || !it->second.payment.paid) {
    a.value = {false, "order not paid"};
  } else if (it->second.payment.payment_id != payment_id) {
    a.value = {false, "payment_id does not match the order's payment"};
  } else if (it->second.refunded + amount > it->second.payment.amount) {
    a.value = {false, "refunds would exceed the payment"};
  } else {
    it->second.refunded += amount;
    refunds_.emplace(refund_id, SimRefundRecord{order_id, payment_id, amount});
    ++counters_.refunds;
    a.value = {true, ""};
  }
  return a;
}

Result<SimPayment> SimWorld::pay(const std::string& order_id, int64_t amount, bool even_if_closed, TimeMs now_ms) {
  if (amount <= 0) return Error::invalid("amount", "amount must be an integer > 0 (minor units)");
  std::lock_guard lock(mu_);
  Order& o = orders_[order_id];
  if (o.payment.paid) return o.payment;
  if (o.payment.closed && !even_if_closed)
    return Error::make(ErrorCode::kConflict, "order " + order_id + " is closed; pass even_if_closed to pay anyway");
  char id[32];
  std::snprintf(id, sizeof id, "pay_%016llx", static_cast<unsigned long long>(rng_()));
  o.payment.paid = true;
  o.payment.payment_id = id;
  o.payment.amount = amount;
  o.payment.paid_at = now_ms;
  ++counters_.payments;
  return o.payment;
}

std::optional<SimRecharge> SimWorld::recharge_truth(const std::string& order_id) const {
  std::lock_guard lock(mu_);
  auto it = recharges_.find(order_id);
  if (it == recharges_.end()) return std::nullopt;
  return it->second;
}

SimPayment SimWorld::payment_truth(const std::string& order_id) const {
  std::lock_guard lock(mu_);
  auto it = orders_.find(order_id);
  return it == orders_.end() ? SimPayment{} : it->second.payment;
}

std::optional<SimRefundRecord> SimWorld::refund_truth(const std::string& refund_id) const {
  std::lock_guard lock(mu_);
  auto it = refunds_.find(refund_id);
  if (it == refunds_.end()) return std::nullopt;
  return it->second;
}

int64_t SimWorld::refunded_total(const std::string& order_id) const {
  std::lock_guard lock(mu_);
  auto it = orders_.find(order_id);
  return it == orders_.end() ? 0 : it->second.refunded;
}

int64_t SimWorld::credited(const std::string& account) const {
  std::lock_guard lock(mu_);
  auto it = credited_.find(account);
  return it == credited_.end() ? 0 : it->second;
}

SimCounters SimWorld::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

}  // namespace orderd::provider
