// sim_provider.h — `--provider sim`: the Provider interface over an
// in-process SimWorld, with latency and faults applied as asio timers.
//
// Per call, with the world's answer {fault, latency} and the caller's timeout:
//   timeout <= 0                    → kRetryable "no time left" (world not called)
//   kLate, or latency >= timeout    → wait `timeout`, kUnknown  (the world did it,
//                                     unless the fault was kUnavailable)
//   kUnavailable                    → wait `latency`, kRetryable "503"
//   kNone                           → wait `latency`, kOk with the world's answer
//   e.g. latency 50ms, timeout 1s, kLate: the recharge is credited at t=0 and
//   the caller gets kUnknown at t=1s; a later query_recharge says success.
//
// Owns: nothing but a reference to the world and the notify settings.
// Thread: every call is a coroutine safe from any thread of the executor's
// io_context; its timers run on the coroutine's own executor. No thread
// ever sleeps.
// Invariants:
//   (1) The world decides fault and outcome synchronously at the start of a
//       call; only the answer is delayed.
//   (2) pay() records the payment before it returns; the notify is sent
//       later, on the provider's executor, after notify_delay.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>

#include "provider/notify.h"
#include "provider/provider.h"
#include "provider/sim_world.h"

namespace orderd::provider {

class SimProvider final : public Provider {
 public:
  // `ex` runs the delayed notifies of pay(). REQUIRES: clock outlives this.
  SimProvider(boost::asio::any_io_executor ex, std::shared_ptr<SimWorld> world, const Clock& clock);

  // Where pay() sends its signed notifies. Until set, pay() records payments
  // but sends nothing. Thread: any.
  void set_notify(std::string secret, NotifySink sink);

  boost::asio::awaitable<RechargeResult> recharge(std::string order_id, std::string account, int64_t amount,
                                                  DurationMs timeout) override;
  boost::asio::awaitable<RechargeQuery> query_recharge(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<PaymentQuery> query_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<CloseResult> close_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<RefundResult> refund(std::string refund_id, std::string order_id, std::string payment_id,
                                              int64_t amount, DurationMs timeout) override;

  // POST /v1/sim/pay/{order_id}: the simulated customer pays. Records the
  // payment now (or returns the existing one) and schedules the signed notify
  // after notify_delay. Never faulted.
  // Errors: as SimWorld::pay (kInvalid "amount", kConflict when closed).
  // Thread: any.
  Result<SimPayment> pay(const std::string& order_id, int64_t amount, DurationMs notify_delay, bool even_if_closed);

  SimWorld& world() { return *world_; }
  const std::shared_ptr<SimWorld>& world_ptr() const { return world_; }

 private:
  boost::asio::any_io_executor ex_;
  std::shared_ptr<SimWorld> world_;
  const Clock& clock_;
  std::mutex notify_mu_;
  std::string notify_secret_;  // guarded by notify_mu_
  NotifySink notify_sink_;     // guarded by notify_mu_; empty = no notify
};

}  // namespace orderd::provider
