// sim_provider.cpp — SimWorld answers delivered with timers. See
// sim_provider.h for the timing rules.
#include "provider/sim_provider.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace orderd::provider {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> wait_ms(DurationMs ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled = shutting down: answer anyway
}

// Waits as the answer's fault and latency say; returns how the call ended
// for the caller and fills *reason when it did not end kOk.
template <class T>
asio::awaitable<CallOutcome> deliver(const SimAnswer<T>& answer, DurationMs timeout, std::string* reason) {
  if (answer.fault == SimFault::kLate || answer.latency_ms >= timeout) {
    co_await wait_ms(timeout);
    *reason = "timed out after " + std::to_string(timeout) + " ms";
    co_return CallOutcome::kUnknown;
  }
  co_await wait_ms(answer.latency_ms);
  if (answer.fault == SimFault::kUnavailable) {
    *reason = "503 service unavailable (simulated)";
    co_return CallOutcome::kRetryable;
  }
  co_return CallOutcome::kOk;
}

const char* kNoTimeLeft = "no time left for the call";

}  // namespace

SimProvider::SimProvider(asio::any_io_executor ex, std::shared_ptr<SimWorld> world, const Clock& clock)
    : ex_(std::move(ex)), world_(std::move(world)), clock_(clock) {}

void SimProvider::set_notify(std::string secret, NotifySink sink) {
  std::lock_guard lock(notify_mu_);
  notify_secret_ = std::move(secret);
  notify_sink_ = std::move(sink);
}

asio::awaitable<RechargeResult> SimProvider::recharge(std::string order_id, std::string account, int64_t amount,
                                                      DurationMs timeout) {
  RechargeResult r;
  if (timeout <= 0) co_return RechargeResult{CallOutcome::kRetryable, false, kNoTimeLeft};
  auto answer = world_->recharge(order_id, account, amount);
  r.call = co_await deliver(answer, timeout, &r.reason);
  if (r.call == CallOutcome::kOk) {
    r.success = answer.value.success;
    r.reason = answer.value.reason;
  }
  co_return r;
}

asio::awaitable<RechargeQuery> SimProvider::query_recharge(std::string order_id, DurationMs timeout) {
  RechargeQuery q;
  if (timeout <= 0) co_return RechargeQuery{CallOutcome::kRetryable, RechargeStatus::kUnknown, kNoTimeLeft};
  auto answer = world_->query_recharge(order_id);
  q.call = co_await deliver(answer, timeout, &q.reason);
  if (q.call == CallOutcome::kOk) q.status = answer.value;
  co_return q;
}

asio::awaitable<PaymentQuery> SimProvider::query_payment(std::string order_id, DurationMs timeout) {
  PaymentQuery q;
  if (timeout <= 0) {
    q.call = CallOutcome::kRetryable;
    q.reason = kNoTimeLeft;
    co_return q;
  }
  auto answer = world_->query_payment(order_id);
  q.call = co_await deliver(answer, timeout, &q.reason);
  if (q.call == CallOutcome::kOk) {
    q.paid = answer.value.paid;
    q.payment_id = answer.value.payment_id;
    q.amount = answer.value.amount;
  }
  co_return q;
}

asio::awaitable<CloseResult> SimProvider::close_payment(std::string order_id, DurationMs timeout) {
  CloseResult c;
  if (timeout <= 0) co_return CloseResult{CallOutcome::kRetryable, false, kNoTimeLeft};
  auto answer = world_->close_payment(order_id);
  c.call = co_await deliver(answer, timeout, &c.reason);
  if (c.call == CallOutcome::kOk) c.already_paid = answer.value.already_paid;
  co_return c;
}

asio::awaitable<RefundResult> SimProvider::refund(std::string refund_id, std::string order_id, std::string payment_id,
                                                  int64_t amount, DurationMs timeout) {
  RefundResult r;
  if (timeout <= 0) co_return RefundResult{CallOutcome::kRetryable, false, kNoTimeLeft};
  auto answer = world_->refund(refund_id, order_id, payment_id, amount);
  r.call = co_await deliver(answer, timeout, &r.reason);
  if (r.call == CallOutcome::kOk) {
    r.success = answer.value.success;
    r.reason = answer.value.reason;
  }
  co_return r;
}

Result<SimPayment> SimProvider::pay(const std::string& order_id, int64_t amount, DurationMs notify_delay,
                                    bool even_if_closed) {
  auto paid = world_->pay(order_id, amount, even_if_closed, clock_.now_ms());
  if (!paid) return paid;
  std::string secret;
  NotifySink sink;
  {
    std::lock_guard lock(notify_mu_);
    secret = notify_secret_;
    sink = notify_sink_;
  }
  if (sink)
    schedule_payment_notify(ex_, clock_, std::move(secret), std::move(sink),
                            payment_notify_body(order_id, paid->payment_id, paid->amount), notify_delay);
  return paid;
}

}  // namespace orderd::provider
