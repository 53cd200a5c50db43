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

asio::awaitable<provider::RechargeResult> MeteredProvider::recharge(std::string order_id, std::string account,
                                                                    int64_t amount, DurationMs timeout) {
  Timing t;
  auto r = co_await inner_->recharge(std::move(order_id), std::move(account), amount, timeout);
  metrics_.observe_provider("recharge", provider::to_string(r.call), t.seconds());
  co_return r;
}

asio::awaitable<provider::RechargeQuery> MeteredProvider::query_recharge(std::string order_id, DurationMs timeout) {
  Timing t;
  auto r = co_await inner_->query_recharge(std::move(order_id), timeout);
  metrics_.observe_provider("query_recharge", provider::to_string(r.call), t.seconds());
  co_return r;
}

asio::awaitable<provider::PaymentQuery> MeteredProvider::query_payment(std::string order_id, DurationMs timeout) {
  Timing t;
  auto r = co_await inner_->query_payment(std::move(order_id), timeout);
  metrics_.observe_provider("query_payment", provider::to_string(r.call), t.seconds());
  co_return r;
}

asio::awaitable<provider::CloseResult> MeteredProvider::close_payment(std::string order_id, DurationMs timeout) {
  Timing t;
  auto r = co_await inner_->close_payment(std::move(order_id), timeout);
  metrics_.observe_provider("close_payment", provider::to_string(r.call), t.seconds());
  co_return r;
}

asio::awaitable<provider::RefundResult> MeteredProvider::refund(std::string refund_id, std::string order_id,
                                                                std::string payment_id, int64_t amount,
                                                                DurationMs timeout) {
  Timing t;
  auto r = co_await inner_->refund(std::move(refund_id), std::move(order_id), std::move(payment_id), amount, timeout);
  metrics_.observe_provider("refund", provider::to_string(r.call), t.seconds());
  co_return r;
}

}  // namespace orderd::app
