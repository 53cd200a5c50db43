#include "app/metered_provider.h"

#include <chrono>

namespace orderd::app {

namespace asio = boost::asio;

namespace {
struct Timing {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
};
}  // namespace

// Awaits `call`, then records its latency and outcome under `op`.
template <class T>
asio::awaitable<T> MeteredProvider::timed(const char* op, asio::awaitable<T> call) {
  Timing t;
  T r = co_await std::move(call);
  metrics_.observe_provider(op, provider::to_string(r.call), t.seconds());
  co_return r;
}

asio::awaitable<provider::RechargeResult> MeteredProvider::recharge(std::string order_id, std::string account,
                                                                    int64_t amount, DurationMs timeout) {
  return timed("recharge", inner_->recharge(std::move(order_id), std::move(account), amount, timeout));
}

asio::awaitable<provider::RechargeQuery> MeteredProvider::query_recharge(std::string order_id, DurationMs timeout) {
  return timed("query_recharge", inner_->query_recharge(std::move(order_id), timeout));
}

asio::awaitable<provider::PaymentQuery> MeteredProvider::query_payment(std::string order_id, DurationMs timeout) {
  return timed("query_payment", inner_->query_payment(std::move(order_id), timeout));
}

asio::awaitable<provider::CloseResult> MeteredProvider::close_payment(std::string order_id, DurationMs timeout) {
  return timed("close_payment", inner_->close_payment(std::move(order_id), timeout));
}

asio::awaitable<provider::RefundResult> MeteredProvider::refund(std::string refund_id, std::string order_id,
                                                                std::string payment_id, int64_t amount,
                                                                DurationMs timeout) {
  return timed("refund", inner_->refund(std::move(refund_id), std::move(order_id), std::move(payment_id), amount, timeout));
}

}  // namespace orderd::app
