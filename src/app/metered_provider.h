// metered_provider.h — a Provider decorator that records every call's
// latency and outcome in Metrics (orderd_provider_calls_total,
// orderd_provider_call_duration_seconds) and otherwise passes it through.
//
// Thread: as the wrapped provider; Metrics is thread-safe.
#pragma once
#include <memory>

#include "app/metrics.h"
#include "provider/provider.h"

namespace orderd::app {

class MeteredProvider final : public provider::Provider {
 public:
  // REQUIRES: metrics outlives this.
  MeteredProvider(std::shared_ptr<provider::Provider> inner, Metrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

  boost::asio::awaitable<provider::RechargeResult> recharge(std::string order_id, std::string account, int64_t amount,
                                                            DurationMs timeout) override;
  boost::asio::awaitable<provider::RechargeQuery> query_recharge(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<provider::PaymentQuery> query_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<provider::CloseResult> close_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<provider::RefundResult> refund(std::string refund_id, std::string order_id,
                                                        std::string payment_id, int64_t amount,
                                                        DurationMs timeout) override;

 private:
  template <class T>
  boost::asio::awaitable<T> timed(const char* op, boost::asio::awaitable<T> call);

  std::shared_ptr<provider::Provider> inner_;
  Metrics& metrics_;
};

}  // namespace orderd::app
