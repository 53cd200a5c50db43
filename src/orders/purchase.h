// purchase.h — the purchase order (SPEC §4, seeds 002/003/004) and its state
// machine as pure functions: (order, event, now, settings, random) → changed
// order + effects. No I/O, no clock, no threads; the engine applies the order
// and its effects in one write transaction (a compare-and-set on `version`).
// Stock arithmetic lives in stock.h; the decisions only emit stock effects.
//
// States:
//   pending_payment → paid → completed
//   pending_payment → closing (close asked at the provider) → closed
//   paid | completed → refund_pending → refunded
//   (closing → paid when a payment lands before the close is confirmed.)
//
// Worked example (defaults: unpaid 30 m, re-check 30 s, back-off 1 s..60 s):
//   t=0      create: stock reserved by the caller; timer po_unpaid/<id> at 30m.
//   t=30m    timer fires → job po_query_payment.
//   t=30m+   provider: unpaid → closing, job po_close.
//   t=30m+   provider closes it → closed, ReleaseStock.
//   t=30m+δ  a payment that won the race at the provider arrives: paid +=
//            amount, po_refund queued, FlagAttention late_payment; stays closed.
//   refund succeeds → refunded += amount: paid − refunded == 0 again.
//
// Payments and refunds are tracked per payment_id. At most one payment is
// "kept" (it made the order paid); every other payment (wrong amount, late,
// a second charge) is refunded automatically.
//
// Invariants:
//   (1) paid == Σ payments.amount; refunded == Σ amount of refund-done payments.
//   (2) A payment_id is recorded once; a repeat is a no-op.
//   (3) Exactly one kept payment iff status ∈ {paid, completed,
//       refund_pending, refunded}, and its amount == amount.
//   (4) Every payment that is not kept has its refund queued or done.
//   (5) closed and refunded are terminal for status; only refunds of extra
//       payments still progress there.
//   (6) Stock: reserved at create; released exactly once on closed; committed
//       exactly once by commit_stock; returned exactly once on refunded.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "orders/effects.h"

namespace orderd::orders {

struct PurchaseSettings {
  DurationMs unpaid_timeout_ms = 30 * 60'000;
  DurationMs refund_recheck_ms = 30'000;
  DurationMs retry_base_ms = 1'000;  // first back-off of close/query/refund retries, doubling
  DurationMs retry_cap_ms = 60'000;
  int refund_failures_attention = 5;  // FlagAttention refund_failing after this many failures in a row
};

struct PurchaseItem {
  std::string sku;
  int64_t qty = 0;
  int64_t price = 0;  // unit price at creation, minor units
};

struct PurchaseEvent {
  TimeMs at = 0;
  std::string type;
  std::string detail;
};

enum class RefundState {
  kNone,     // not to be refunded (the kept payment of a live order)
  kWaiting,  // refund requested; waiting for fulfilment steps to finish
  kQueued,   // job po_refund queued / in flight
  kDone,     // refunded
};

struct Payment {
  std::string payment_id;
  int64_t amount = 0;
  TimeMs at = 0;
  bool kept = false;  // this payment paid for the order
  RefundState refund = RefundState::kNone;
  int refund_failures = 0;  // consecutive failed refund calls (back-off input)
};

struct Purchase {
  std::string id;
  std::string user;
  std::vector<PurchaseItem> items;  // distinct SKUs (merged at create)
  int64_t amount = 0;               // Σ qty·price, minor units
  int64_t paid = 0;
  int64_t refunded = 0;
  std::string notify_url;  // "" = no notify step
  TimeMs created_at = 0;
  TimeMs pay_deadline_at = 0;
  std::string status = "pending_payment";
  bool commit_stock_done = false;
  bool award_points_done = false;
  bool notify_done = false;  // meaningful only when notify_url is set
  std::vector<Payment> payments;
  std::vector<PurchaseEvent> events;
  std::vector<std::string> flags;  // "amount_mismatch", "late_payment", "duplicate_payment", "refund_failing"
  bool query_pending = false;      // a po_query_payment job is outstanding
  int query_failures = 0;
  int close_failures = 0;
  uint64_t version = 0;  // bumped on every change
  TimeMs updated_at = 0;  // set by the engine on every save (reconciler: "stuck since")
};

// Job and timer names used by purchases.
inline constexpr const char* kJobQueryPayment = "po_query_payment";
inline constexpr const char* kJobClose = "po_close";
inline constexpr const char* kJobCommitStock = "po_commit_stock";
inline constexpr const char* kJobAwardPoints = "po_award_points";
inline constexpr const char* kJobNotify = "po_notify";
inline constexpr const char* kJobRefund = "po_refund";  // payload {"payment_id", "amount"}
inline constexpr const char* kTimerUnpaid = "po_unpaid";
inline constexpr const char* kTimerRefundRecheck = "po_refund_recheck";
inline constexpr const char* kTimerCloseCheck = "po_close_check";  // payload {"order_id", "n"}
// After a close, the provider is asked again at these delays whether a
// payment slipped in (seed 003's race with a lost notify): the money of such
// a payment is found and refunded instead of staying with the provider.
inline constexpr DurationMs kCloseCheckDelaysMs[] = {60'000, 600'000, 3'600'000, 86'400'000};
std::string unpaid_timer_key(const std::string& id);
std::string close_check_timer_key(const std::string& id);
std::string refund_recheck_timer_key(const std::string& id);

enum class Step { kCommitStock, kAwardPoints, kNotify };

bool is_terminal_purchase(const std::string& status);  // closed | refunded
bool all_steps_done(const Purchase& p);
std::vector<StockLine> stock_lines(const Purchase& p);
int64_t points_for(const Purchase& p);   // amount / 100, rounded down
int64_t outstanding(const Purchase& p);  // money still owed back (refunds waiting or queued)
// Funds identity (SPEC §4) and invariants (1), (3), (4): nullopt when they hold.
std::optional<std::string> check_funds(const Purchase& p);

// The stored row (store/row.h format 1). decode_purchase also reads the
// earlier MessagePack-JSON rows (to_storage/purchase_from_storage); nullopt
// for a row that is neither.
std::string encode_purchase(const Purchase& p);
std::optional<Purchase> decode_purchase(std::string_view bytes);
Json to_storage(const Purchase& p);  // the legacy row as JSON
std::optional<Purchase> purchase_from_storage(const Json& j);
Json to_api(const Purchase& p);  // the GET /v1/orders/{id} shape (times RFC 3339)

// A new order in pending_payment. The caller has reserved `items` with
// stock.h in the same transaction. REQUIRES: items merged (distinct SKUs) with
// prices filled in; user non-empty. Errors: kInvalid (field "items") on empty
// items, qty <= 0, negative price, amount overflow or amount == 0.
// Effects: ScheduleTimer po_unpaid/<id> at now + unpaid_timeout.
Result<Purchase> create_purchase(std::string id, std::string user, std::vector<PurchaseItem> items,
                                 std::string notify_url, TimeMs now, const PurchaseSettings& s, Effects* effects);

// A payment notify (or a compensating query answer). REQUIRES: payment_id
// non-empty, amount > 0 (signature and shape checked by the caller).
// Duplicate payment_id → no change. See purchase.cpp for each status.
void on_payment(Purchase& p, const std::string& payment_id, int64_t amount, TimeMs now, Decision* d);

// Timer po_unpaid fired. Only pending_payment reacts (→ job po_query_payment);
// otherwise, or if a query is already outstanding, no change.
void on_unpaid_deadline(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d);

// Answer of po_query_payment. kPaid carries payment_id/amount and is handled
// as on_payment (idempotent); if the order is still pending_payment after
// that (nothing new, or a wrong amount) it goes on to close. kUnpaid →
// closing + job po_close. kFailed → query again with back-off.
// While closing (the close was refused as "already paid"): a kPaid answer
// that does not pay the order (a known or wrong-amount payment, refunded)
// closes the order at once (the provider would refuse every close); kUnpaid
// asks to close again with back-off. Stale (no query outstanding)
// kUnpaid/kFailed → no change.
enum class PayQuery { kPaid, kUnpaid, kFailed };
void on_payment_query(Purchase& p, PayQuery answer, const std::string& payment_id, int64_t amount, TimeMs now,
                      const PurchaseSettings& s, uint64_t random, Decision* d);

// Answer of po_close. Only `closing` reacts (otherwise stale: no change).
// kClosed → closed + ReleaseStock; kAlreadyPaid → query the payment (stays
// closing until the payment is recorded); kFailed → po_close again with back-off.
enum class CloseResult { kClosed, kAlreadyPaid, kFailed };
void on_close_result(Purchase& p, CloseResult result, TimeMs now, const PurchaseSettings& s, uint64_t random,
                     Decision* d);

// POST /cancel. pending_payment → closing + po_close (cancels po_unpaid).
// closing/closed → no change, ok (already on the close path).
// Errors: kConflict on paid, completed, refund_pending, refunded.
Status cancel_purchase(Purchase& p, TimeMs now, Decision* d);

// A fulfilment step's job ran. Emits the step's effect (CommitStock /
// AwardPoints) together with marking it done; done twice → no change.
// All steps done on a paid order → completed. On refund_pending, finishing
// the last gating step queues the refund at once.
void on_step_done(Purchase& p, Step step, TimeMs now, Decision* d);

// POST /refund. paid|completed → refund_pending; the refund is queued when
// commit_stock and award_points are done, else a re-check timer is set.
// Errors: kConflict on any other status (no change).
Status request_refund(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d);

// Timer po_close_check number n (1-based) fired: a closed order asks the
// provider for its payment once more (job po_query_payment; a payment found
// is recorded and refunded like any late payment) and arms check n+1 while
// there is one. Other statuses: no change.
void on_close_check(Purchase& p, int n, TimeMs now, Decision* d);

// Timer po_refund_recheck fired. Queues the refund if the steps are done,
// else re-arms the timer. Not refund_pending or nothing waiting → no change.
void on_refund_recheck(Purchase& p, TimeMs now, const PurchaseSettings& s, Decision* d);

// Answer of po_refund for one payment. Only a payment in kQueued reacts
// (otherwise stale: no change). kSuccess → refunded += amount; for the kept
// payment also → refunded + ReturnStock + RevokePoints. kFailed → retry with
// back-off; FlagAttention refund_failing after s.refund_failures_attention.
enum class RefundResult { kSuccess, kFailed };
void on_refund_result(Purchase& p, const std::string& payment_id, RefundResult result, TimeMs now,
                      const PurchaseSettings& s, uint64_t random, Decision* d);

}  // namespace orderd::orders
