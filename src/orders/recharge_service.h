// recharge_service.h — the engine side of recharge orders: applies the pure
// decisions of recharge.h in write transactions, runs the provider calls as
// jobs (seed 001's processing queue → result → status update, with the
// single writer as the status-update consumer), and answers reads.
//
// Thread model: create/handlers are coroutines on the HTTP or worker
// io_contexts; every state change is a mutation on the writer thread; reads
// use short ReadTxns. Nothing here blocks a thread.
// Invariants:
//   (1) A 202 for a new order is sent only after the order, its first job
//       and its deadline timer are committed (one transaction).
//   (2) An attempt's result, the job's ack and the next job/timer commit in
//       one transaction (queue/runner.h invariant 1).
//   (3) Index rc_status always has exactly one row per order, for its status.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orders/context.h"
#include "orders/listing.h"
#include "orders/recharge.h"
#include "orders/status_counts.h"
#include "provider/provider.h"
#include "queue/runner.h"

namespace orderd::orders {

// POSTs a signed JSON body to a notify_url; returns the HTTP status (2xx = delivered).
using WebhookSender = std::function<boost::asio::awaitable<Result<int>>(std::string url, std::string body)>;

struct CreateRechargeRequest {
  std::string account;
  int64_t amount = 0;
  std::string notify_url;
  std::string idempotency_key;  // "" = none
  std::string body_hash;        // sha256 of the raw body, for Idempotency-Key reuse checks
};


struct RechargeCounters {
  std::atomic<uint64_t> created{0}, succeeded{0}, failed{0}, timed_out{0}, late_results{0}, attempts{0};
};


class RechargeService {
 public:
  RechargeService(Context& ctx, provider::Provider& provider, WebhookSender webhook, RechargeSettings settings,
                  uint64_t seed);

  // Errors: kInvalid (field "Idempotency-Key" reused with another body),
  // kFull/kBusy (retry), kIo.
  boost::asio::awaitable<Result<CreateAnswer>> create(CreateRechargeRequest req);
  std::optional<Recharge> get(const std::string& id) const;
  // Newest first. status "" = all. after = id to continue after ("" = start).
  ListPage list(const std::string& status, size_t limit, const std::string& after) const;
  // Orders by status (for the status page and the gauges): O(1), see
  // status_counts.h.
  std::map<std::string, uint64_t> count_by_status() const { return status_counts_.snapshot(); }

  // Wires the job handlers (rc_attempt, rc_query, rc_webhook) into the runner.
  void register_jobs(queue::Runner& runner);
  // The rc_deadline timer fired (called inside the timer's mutation).
  [[nodiscard]] Status on_deadline_timer(store::WriteTxn& txn, const timer::TimerRecord& rec);

  const RechargeCounters& counters() const { return counters_; }

 private:
  boost::asio::awaitable<queue::JobResult> run_attempt(queue::Job job);
  boost::asio::awaitable<queue::JobResult> run_query(queue::Job job);
  boost::asio::awaitable<queue::JobResult> run_webhook(queue::Job job);
  // Loads, lets `decide` change it, and saves it with the decision's effects.
  using Decide = std::function<void(Recharge&, Decision&)>;
  [[nodiscard]] Status update(store::WriteTxn& txn, const std::string& id, const Decide& decide);
  [[nodiscard]] Status save(store::WriteTxn& txn, const Recharge& r, const std::string& old_status);
  void count_transition(store::WriteTxn& txn, const std::string& from, const Recharge& r);
  uint64_t random();

  Context& ctx_;
  provider::Provider& provider_;
  WebhookSender webhook_;
  RechargeSettings settings_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  RechargeCounters counters_;
  StatusCounts status_counts_{"rc_status", {"queued", "processing", "succeeded", "failed", "timed_out"}};
};

std::optional<Recharge> load_recharge(const store::Txn& txn, const std::string& id);

}  // namespace orderd::orders
