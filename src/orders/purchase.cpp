#include "orders/purchase.h"

#include <algorithm>
#include <limits>

#include "core/backoff.h"

namespace orderd::orders {

namespace {

void touch(Purchase& p, Decision* d) {
  p.version++;
  d->changed = true;
}

void event(Purchase& p, TimeMs now, std::string type, std::string detail) {
  p.events.push_back({now, std::move(type), std::move(detail)});
}

void flag(Purchase& p, const std::string& kind, const std::string& detail, Decision* d) {
  if (std::find(p.flags.begin(), p.flags.end(), kind) == p.flags.end()) p.flags.push_back(kind);
  d->effects.push_back(FlagAttention{p.id, kind, detail});
}

Payment* find_payment(Purchase& p, const std::string& payment_id) {
  for (auto& pay : p.payments)
    if (pay.payment_id == payment_id) return &pay;
  return nullptr;
}

void queue_refund(Purchase& p, Payment& pay, TimeMs at, Decision* d) {
  pay.refund = RefundState::kQueued;
  d->effects.push_back(
      EnqueueJob{kJobRefund, p.id, at, {{"payment_id", pay.payment_id}, {"amount", pay.amount}}});
}

bool refund_gate_open(const Purchase& p) { return p.commit_stock_done && p.award_points_done; }

// Queues the refund of every payment waiting for the steps.
void release_waiting_refunds(Purchase& p, TimeMs now, Decision* d) {
  for (auto& pay : p.payments)
    if (pay.refund == RefundState::kWaiting) {
      queue_refund(p, pay, now, d);
      event(p, now, "refund_queued", "fulfilment steps done; refunding " + std::to_string(pay.amount));
    }
}

void start_close(Purchase& p, TimeMs now, const std::string& why, Decision* d) {
  p.status = "closing";
  p.query_pending = false;
  p.close_failures = 0;
  d->effects.push_back(EnqueueJob{kJobClose, p.id, now, Json::object()});
  event(p, now, "closing", why);
}

void arm_close_check(Purchase& p, int n, TimeMs now, Decision* d) {
  d->effects.push_back(ScheduleTimer{kTimerCloseCheck, close_check_timer_key(p.id), now + kCloseCheckDelaysMs[n - 1],
                                     {{"order_id", p.id}, {"n", n}}});
}

void close_now(Purchase& p, TimeMs now, const std::string& why, Decision* d) {
  p.status = "closed";
  p.close_failures = 0;
  p.query_pending = false;
  d->effects.push_back(CancelTimer{unpaid_timer_key(p.id)});
  d->effects.push_back(ReleaseStock{p.id, stock_lines(p)});
  arm_close_check(p, 1, now, d);
  event(p, now, "closed", why);
}

void ask_payment(Purchase& p, TimeMs now, const PurchaseSettings& s, uint64_t random, Decision* d) {
  TimeMs at = now;
  if (p.query_failures > 0) at += backoff_delay(p.query_failures, s.retry_base_ms, s.retry_cap_ms, random);
  p.query_pending = true;
  d->effects.push_back(EnqueueJob{kJobQueryPayment, p.id, at, Json::object()});
}

void become_paid(Purchase& p, Payment& pay, TimeMs now, Decision* d) {
  pay.kept = true;
  const std::string was = p.status;
  p.status = "paid";
  p.query_pending = false;
  d->effects.push_back(CancelTimer{unpaid_timer_key(p.id)});
  d->effects.push_back(EnqueueJob{kJobCommitStock, p.id, now, Json::object()});
  d->effects.push_back(EnqueueJob{kJobAwardPoints, p.id, now, Json::object()});
  if (!p.notify_url.empty()) d->effects.push_back(EnqueueJob{kJobNotify, p.id, now, Json::object()});
  event(p, now, "paid", "payment " + pay.payment_id + (was == "closing" ? " arrived while closing" : ""));
}

}  // namespace

std::string unpaid_timer_key(const std::string& id) { return std::string(kTimerUnpaid) + "/" + id; }
std::string refund_recheck_timer_key(const std::string& id) { return std::string(kTimerRefundRecheck) + "/" + id; }
std::string close_check_timer_key(const std::string& id) { return std::string(kTimerCloseCheck) + "/" + id; }

void on_close_check(Purchase& p, int n, TimeMs now, Decision* d) {
  if (p.status != "closed" || n < 1) return;
  touch(p, d);
  if (!p.query_pending) {
    p.query_failures = 0;
    p.query_pending = true;
    d->effects.push_back(EnqueueJob{kJobQueryPayment, p.id, now, Json::object()});
  }
  const int checks = static_cast<int>(std::size(kCloseCheckDelaysMs));
  if (n < checks) arm_close_check(p, n + 1, now, d);
  event(p, now, "close_check", "asking the provider whether a payment arrived after the close (" + std::to_string(n) +
                                   "/" + std::to_string(checks) + ")");
}

bool is_terminal_purchase(const std::string& status) { return status == "closed" || status == "refunded"; }

bool all_steps_done(const Purchase& p) {
  return p.commit_stock_done && p.award_points_done && (p.notify_url.empty() || p.notify_done);
}

std::vector<StockLine> stock_lines(const Purchase& p) {
  std::vector<StockLine> out;
  for (const auto& it : p.items) out.push_back({it.sku, it.qty});
  return out;
}

int64_t points_for(const Purchase& p) { return p.amount / 100; }

Result<Purchase> create_purchase(std::string id, std::string user, std::vector<PurchaseItem> items,
                                 std::string notify_url, TimeMs now, const PurchaseSettings& s, Effects* effects) {
  if (items.empty()) return Error::invalid("items", "items must not be empty");
  int64_t amount = 0;
  for (const auto& it : items) {
    if (it.qty <= 0) return Error::invalid("items", "qty must be > 0");
    if (it.price < 0) return Error::invalid("items", "price must be >= 0");
    int64_t line = 0;
    if (__builtin_mul_overflow(it.qty, it.price, &line) || __builtin_add_overflow(amount, line, &amount))
      return Error::invalid("items", "order amount too large");
  }
  if (amount <= 0) return Error::invalid("items", "order amount must be > 0");
  Purchase p;
  p.id = std::move(id);
  p.user = std::move(user);
  p.items = std::move(items);
  p.amount = amount;
  p.notify_url = std::move(notify_url);
  p.created_at = now;
  p.pay_deadline_at = now + s.unpaid_timeout_ms;
  p.version = 1;
  event(p, now, "created", "amount " + std::to_string(amount) + ", stock reserved");
  effects->push_back(ScheduleTimer{kTimerUnpaid, unpaid_timer_key(p.id), p.pay_deadline_at, {{"order_id", p.id}}});
  return p;
}

// pending_payment|closing + right amount → paid. Wrong amount → recorded,
// refunded, flagged amount_mismatch (status unchanged). closed → recorded,
// refunded, flagged late_payment (stays closed). Any later status → a second
// charge: recorded, refunded, flagged duplicate_payment.
void on_payment(Purchase& p, const std::string& payment_id, int64_t amount, TimeMs now, Decision* d) {
  if (find_payment(p, payment_id) != nullptr) return;  // duplicate notify / query answer
  touch(p, d);
  p.payments.push_back(Payment{payment_id, amount, now});
  Payment& pay = p.payments.back();
  p.paid += amount;
  event(p, now, "payment", payment_id + ": " + std::to_string(amount));
  const bool open = p.status == "pending_payment" || p.status == "closing";
  if (open && amount == p.amount) {
    become_paid(p, pay, now, d);
    return;
  }
  queue_refund(p, pay, now, d);
  if (open) {
    flag(p, "amount_mismatch", "payment " + payment_id + " of " + std::to_string(amount) + " for an order of " +
                                   std::to_string(p.amount) + "; refunding it",
         d);
  } else if (p.status == "closed") {
    flag(p, "late_payment", "payment " + payment_id + " arrived after the order closed; refunding it", d);
  } else {
    flag(p, "duplicate_payment", "second payment " + payment_id + " on a " + p.status + " order; refunding it", d);
  }
  event(p, now, "refund_queued", "automatic refund of " + payment_id);
}

void on_unpaid_deadline(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d) {
  if (p.status != "pending_payment" || p.query_pending) return;
  touch(p, d);
  p.query_failures = 0;
  event(p, now, "unpaid_deadline", "asking the provider for the payment status");
  ask_payment(p, now, s, 0, d);
}

void on_payment_query(Purchase& p, PayQuery answer, const std::string& payment_id, int64_t amount, TimeMs now,
                      const PurchaseSettings& s, uint64_t random, Decision* d) {
  if (answer == PayQuery::kPaid) on_payment(p, payment_id, amount, now, d);  // compensation
  if (!p.query_pending) return;  // settled (paid above) or stale answer
  touch(p, d);
  if (answer == PayQuery::kFailed) {
    p.query_failures++;
    ask_payment(p, now, s, random, d);
    return;
  }
  p.query_pending = false;
  p.query_failures = 0;
  // kUnpaid, or kPaid that did not pay the order (known id or wrong amount).
  if (p.status == "pending_payment") {
    start_close(p, now, answer == PayQuery::kUnpaid ? "provider: unpaid" : "provider: no payment of the order amount", d);
    return;
  }
  if (p.status != "closing") return;
  if (answer == PayQuery::kPaid) {
    // The close was refused because the provider holds a payment that does
    // not pay this order (wrong amount: recorded above and being refunded).
    // It will refuse every close, so the order closes here.
    close_now(p, now, "provider holds a payment that does not pay the order (refunded); closed", d);
    return;
  }
  // "already paid" then "unpaid": ask again to close, with back-off.
  p.close_failures++;
  d->effects.push_back(EnqueueJob{kJobClose, p.id, now + backoff_delay(p.close_failures, s.retry_base_ms, s.retry_cap_ms, random),
                                  Json::object()});
  event(p, now, "close_retry", "provider reported no payment after refusing the close");
}

void on_close_result(Purchase& p, CloseResult result, TimeMs now, const PurchaseSettings& s, uint64_t random,
                     Decision* d) {
  if (p.status != "closing") return;  // a payment won the race, or duplicate answer
  touch(p, d);
  switch (result) {
    case CloseResult::kClosed:
      close_now(p, now, "provider closed the payment; stock released", d);
      break;
    case CloseResult::kAlreadyPaid:
      p.query_failures = 0;
      ask_payment(p, now, s, random, d);
      event(p, now, "close_refused", "provider says already paid; fetching the payment");
      break;
    case CloseResult::kFailed: {
      p.close_failures++;
      const TimeMs at = now + backoff_delay(p.close_failures, s.retry_base_ms, s.retry_cap_ms, random);
      d->effects.push_back(EnqueueJob{kJobClose, p.id, at, Json::object()});
      event(p, now, "close_failed", "retry " + std::to_string(p.close_failures));
      break;
    }
  }
}

Status cancel_purchase(Purchase& p, TimeMs now, Decision* d) {
  if (p.status == "closing" || p.status == "closed") return ok_status();
  if (p.status != "pending_payment")
    return Error::make(ErrorCode::kConflict, "order is " + p.status + "; use refund");
  touch(p, d);
  d->effects.push_back(CancelTimer{unpaid_timer_key(p.id)});
  start_close(p, now, "cancelled by request", d);
  return ok_status();
}

void on_step_done(Purchase& p, Step step, TimeMs now, Decision* d) {
  bool* done = step == Step::kCommitStock ? &p.commit_stock_done
               : step == Step::kAwardPoints ? &p.award_points_done
                                            : &p.notify_done;
  if (*done) return;
  if (step == Step::kNotify && p.notify_url.empty()) return;
  // Steps only exist for orders that were paid.
  if (p.status != "paid" && p.status != "completed" && p.status != "refund_pending") return;
  touch(p, d);
  *done = true;
  const char* name = step == Step::kCommitStock ? "commit_stock" : step == Step::kAwardPoints ? "award_points" : "notify";
  if (step == Step::kCommitStock) d->effects.push_back(CommitStock{p.id, stock_lines(p)});
  if (step == Step::kAwardPoints) d->effects.push_back(AwardPoints{p.id, p.user, points_for(p)});
  event(p, now, "step_done", name);
  if (p.status == "paid" && all_steps_done(p)) {
    p.status = "completed";
    event(p, now, "completed", "all fulfilment steps done");
  }
  if (p.status == "refund_pending" && refund_gate_open(p)) {
    bool waiting = false;
    for (const auto& pay : p.payments) waiting |= pay.refund == RefundState::kWaiting;
    if (waiting) {
      d->effects.push_back(CancelTimer{refund_recheck_timer_key(p.id)});
      release_waiting_refunds(p, now, d);
    }
  }
}

Status request_refund(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d) {
  if (p.status != "paid" && p.status != "completed")
    return Error::make(ErrorCode::kConflict, "order is " + p.status + "; only paid or completed orders refund");
  touch(p, d);
  p.status = "refund_pending";
  for (auto& pay : p.payments)
    if (pay.kept) pay.refund = RefundState::kWaiting;
  event(p, now, "refund_requested", "");
  if (refund_gate_open(p)) {
    release_waiting_refunds(p, now, d);
  } else {
    d->effects.push_back(ScheduleTimer{kTimerRefundRecheck, refund_recheck_timer_key(p.id), now + s.refund_recheck_ms,
                                       {{"order_id", p.id}}});
    event(p, now, "refund_waiting", "fulfilment steps not done; re-check scheduled");
  }
  return ok_status();
}

void on_refund_recheck(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d) {
  if (p.status != "refund_pending") return;
  bool waiting = false;
  for (const auto& pay : p.payments) waiting |= pay.refund == RefundState::kWaiting;
  if (!waiting) return;
  touch(p, d);
  if (refund_gate_open(p)) {
    release_waiting_refunds(p, now, d);
  } else {
    d->effects.push_back(ScheduleTimer{kTimerRefundRecheck, refund_recheck_timer_key(p.id), now + s.refund_recheck_ms,
                                       {{"order_id", p.id}}});
    event(p, now, "refund_waiting", "steps still pending; next re-check scheduled");
  }
}

void on_refund_result(Purchase& p, const std::string& payment_id, RefundResult result, TimeMs now,
                      const PurchaseSettings& s, uint64_t random, Decision* d) {
  Payment* pay = find_payment(p, payment_id);
  if (pay == nullptr || pay->refund != RefundState::kQueued) return;  // stale or duplicate
  touch(p, d);
  if (result == RefundResult::kFailed) {
    pay->refund_failures++;
    const TimeMs at = now + backoff_delay(pay->refund_failures, s.retry_base_ms, s.retry_cap_ms, random);
    d->effects.push_back(
        EnqueueJob{kJobRefund, p.id, at, {{"payment_id", pay->payment_id}, {"amount", pay->amount}}});
    event(p, now, "refund_failed", payment_id + ": retry " + std::to_string(pay->refund_failures));
    if (pay->refund_failures == s.refund_failures_attention)
      flag(p, "refund_failing", "refund of " + payment_id + " failed " + std::to_string(pay->refund_failures) + " times",
           d);
    return;
  }
  pay->refund = RefundState::kDone;
  p.refunded += pay->amount;
  if (pay->refund_failures >= s.refund_failures_attention) d->effects.push_back(ClearAttention{p.id, "refund_failing"});
  pay->refund_failures = 0;
  event(p, now, "refund_done", payment_id + ": " + std::to_string(pay->amount));
  if (pay->kept && p.status == "refund_pending") {
    p.status = "refunded";
    d->effects.push_back(ReturnStock{p.id, stock_lines(p)});
    d->effects.push_back(RevokePoints{p.id, p.user, points_for(p)});
    event(p, now, "refunded", "stock returned, points revoked");
  }
}

int64_t outstanding(const Purchase& p) {
  int64_t owed = 0;
  for (const auto& pay : p.payments)
    if (pay.refund == RefundState::kWaiting || pay.refund == RefundState::kQueued) owed += pay.amount;
  return owed;
}

std::optional<std::string> check_funds(const Purchase& p) {
  int64_t paid = 0, refunded = 0, kept = 0, kept_count = 0;
  for (const auto& pay : p.payments) {
    paid += pay.amount;
    if (pay.refund == RefundState::kDone) refunded += pay.amount;
    if (pay.kept) kept += pay.amount, kept_count++;
    if (!pay.kept && pay.refund == RefundState::kNone)
      return "payment " + pay.payment_id + " is not kept and has no refund queued";
  }
  if (paid != p.paid || refunded != p.refunded)
    return "paid/refunded (" + std::to_string(p.paid) + "/" + std::to_string(p.refunded) +
           ") disagree with the payments (" + std::to_string(paid) + "/" + std::to_string(refunded) + ")";
  if (p.refunded < 0 || p.refunded > p.paid) return "refunded outside [0, paid]";
  const bool settled = p.status == "paid" || p.status == "completed" || p.status == "refund_pending" ||
                       p.status == "refunded";
  if (settled && (kept_count != 1 || kept != p.amount))
    return p.status + " order must keep exactly one payment of " + std::to_string(p.amount);
  if (!settled && kept_count != 0) return p.status + " order keeps a payment";
  // Money still held = kept money of a live order + refunds on their way.
  int64_t held_kept = 0;
  for (const auto& pay : p.payments)
    if (pay.kept && pay.refund == RefundState::kNone) held_kept += pay.amount;
  if (p.paid - p.refunded != held_kept + outstanding(p)) return "money neither kept nor on its way back";
  if ((p.status == "paid" || p.status == "completed")) {
    for (const auto& pay : p.payments)
      if (pay.kept && pay.refund != RefundState::kNone) return "kept payment of a " + p.status + " order is refunding";
  }
  return std::nullopt;
}

}  // namespace orderd::orders
