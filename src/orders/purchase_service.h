// purchase_service.h — the engine side of purchase orders (SPEC §4): applies
// the pure decisions of purchase.h with their effects in write transactions,
// runs provider calls (payment query, close, refund) and fulfilment steps as
// jobs, fires the unpaid and refund re-check timers, answers reads, and runs
// the reconciler's scan.
//
// Thread model: request handlers and jobs are coroutines on the HTTP or
// worker io_contexts; every change is a mutation on the writer thread (the
// single writer serialises them, which is the compare-and-set of seed 003:
// each decision sees the latest committed version of the order); reads use
// short ReadTxns.
// Invariants:
//   (1) An order, its stock reservation and its unpaid timer commit in one
//       transaction; a 201 is sent only after that commit.
//   (2) A state change, its stock/points movement, its jobs and timers
//       commit in one transaction (apply_effects).
//   (3) order_status has exactly one row per order, for its status;
//       payments maps every recorded payment_id to its order; po_money holds
//       exactly the orders with outstanding() > 0 or unfinished steps on a
//       paid order.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <mutex>
#include <random>

#include "orders/context.h"
#include "orders/listing.h"
#include "orders/purchase.h"
#include "orders/recharge_service.h"  // WebhookSender
#include "orders/status_counts.h"
#include "provider/provider.h"
#include "queue/runner.h"

namespace orderd::orders {

struct CreateOrderRequest {
  std::string user;
  std::vector<StockLine> items;  // distinct SKUs (the API refuses duplicates)
  std::string notify_url;
  std::string idempotency_key;  // "" = none
  std::string body_hash;
};

struct PurchaseCounters {
  std::atomic<uint64_t> created{0}, completed{0}, closed{0}, refunded{0}, payments{0}, refunds{0};
};

struct PurchaseServiceSettings {
  PurchaseSettings decisions;
  DurationMs call_timeout_ms = 30'000;      // one provider call (query, close, refund)
  DurationMs stuck_after_ms = 90'000;       // reconciler: no progress for this long = stuck
  int webhook_attempts = 200;               // notify_url deliveries before a dead letter
};

class PurchaseService {
 public:
  PurchaseService(Context& ctx, provider::Provider& provider, WebhookSender webhook, PurchaseServiceSettings settings,
                  uint64_t seed);

  // PUT /v1/skus/{sku}: stock is the total (available = stock − reserved − sold).
  // price absent keeps the current price (required for a new SKU).
  // Errors: kInvalid "price"/"stock"; kConflict when stock < reserved + sold.
  boost::asio::awaitable<Result<Json>> put_sku(std::string sku, int64_t stock, std::optional<int64_t> price);
  std::optional<Json> get_sku(const std::string& sku) const;
  Json get_user(const std::string& user) const;

  // Errors: kInvalid (items[i].sku unknown; Idempotency-Key reused with
  // another body), kConflict (too little available: nothing reserved),
  // kFull/kBusy, kIo.
  boost::asio::awaitable<Result<CreateAnswer>> create(CreateOrderRequest req);
  std::optional<Purchase> get(const std::string& id) const;
  ListPage list(const std::string& status, size_t limit, const std::string& after) const;
  // Orders by status: O(1), see status_counts.h.
  std::map<std::string, uint64_t> count_by_status() const { return status_counts_.snapshot(); }

  // POST /cancel and /refund: 202 + the order. Errors: kNotFound, kConflict.
  boost::asio::awaitable<Result<CreateAnswer>> cancel(std::string id, std::string idempotency_key,
                                                      std::string body_hash);
  boost::asio::awaitable<Result<CreateAnswer>> refund(std::string id, std::string idempotency_key,
                                                      std::string body_hash);
  // A verified payment notify. Returns {"result": "recorded"|"duplicate", ...}.
  // Errors: kNotFound (no such order), kConflict (payment_id already
  // recorded for another order).
  boost::asio::awaitable<Result<Json>> notify(std::string order_id, std::string payment_id, int64_t amount);

  // GET /v1/reconciliation: totals over every order, outstanding, violations.
  Json reconciliation() const;
  // One reconciler pass (inside a mutation): re-queues stuck refunds and
  // steps, flags what it cannot fix. Returns how many orders it touched.
  Result<size_t> reconcile(store::WriteTxn& txn);

  void register_jobs(queue::Runner& runner);
  // po_unpaid / po_refund_recheck fired (called inside the timer's mutation).
  [[nodiscard]] Status on_timer(store::WriteTxn& txn, const timer::TimerRecord& rec);

  const PurchaseCounters& counters() const { return counters_; }

 private:
  using Decide = std::function<Status(Purchase&, Decision&)>;
  [[nodiscard]] Status update(store::WriteTxn& txn, const std::string& id, const Decide& decide);
  [[nodiscard]] Status save(store::WriteTxn& txn, Purchase& p, const std::string& old_status, size_t old_payments);
  boost::asio::awaitable<Result<CreateAnswer>> change(std::string scope, std::string id, std::string key,
                                                      std::string hash, Decide decide);
  boost::asio::awaitable<queue::JobResult> run_query(queue::Job job);
  boost::asio::awaitable<queue::JobResult> run_close(queue::Job job);
  boost::asio::awaitable<queue::JobResult> run_refund(queue::Job job);
  boost::asio::awaitable<queue::JobResult> run_notify(queue::Job job);
  queue::JobResult step_result(const std::string& id, Step step);
  uint64_t random();

  Context& ctx_;
  provider::Provider& provider_;
  WebhookSender webhook_;
  PurchaseServiceSettings settings_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  PurchaseCounters counters_;
  StatusCounts status_counts_{"order_status", {"pending_payment", "closing", "closed", "paid", "completed", "refund_pending", "refunded"}};
};

std::optional<Purchase> load_purchase(const store::Txn& txn, const std::string& id);
// refund_id sent to the provider for one payment of an order (idempotency key).
std::string refund_id_for(const std::string& order_id, const std::string& payment_id);

}  // namespace orderd::orders
