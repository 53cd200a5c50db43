// det_provider.h — the simulated provider for the deterministic simulation:
// the same SimWorld (and so the same ground truth and fault draws) as
// `--provider sim`, but every answer is immediate — a "late" fault does the
// operation and answers kUnknown at once, a 503 answers kRetryable — so one
// thread and a fake clock drive everything.
//
// Thread: the simulation's thread only.
#pragma once
#include <memory>

#include "provider/provider.h"
#include "provider/sim_world.h"

namespace orderd::sim {

class DetProvider final : public provider::Provider {
 public:
  explicit DetProvider(std::shared_ptr<provider::SimWorld> world) : world_(std::move(world)) {}

  boost::asio::awaitable<provider::RechargeResult> recharge(std::string order_id, std::string account, int64_t amount,
                                                            DurationMs) override {
    auto a = world_->recharge(order_id, account, amount);
    provider::RechargeResult r{outcome(a.fault), a.value.success, a.value.reason};
    co_return r;
  }
  boost::asio::awaitable<provider::RechargeQuery> query_recharge(std::string order_id, DurationMs) override {
    auto a = world_->query_recharge(order_id);
    provider::RechargeQuery q{outcome(a.fault), a.value, ""};
    co_return q;
  }
  boost::asio::awaitable<provider::PaymentQuery> query_payment(std::string order_id, DurationMs) override {
    auto a = world_->query_payment(order_id);
    provider::PaymentQuery q{outcome(a.fault), a.value.paid, a.value.payment_id, a.value.amount, ""};
    co_return q;
  }
  boost::asio::awaitable<provider::CloseResult> close_payment(std::string order_id, DurationMs) override {
    auto a = world_->close_payment(order_id);
    provider::CloseResult c{outcome(a.fault), a.value.already_paid, ""};
    co_return c;
  }
  boost::asio::awaitable<provider::RefundResult> refund(std::string refund_id, std::string order_id,
                                                        std::string payment_id, int64_t amount, DurationMs) override {
    auto a = world_->refund(refund_id, order_id, payment_id, amount);
    provider::RefundResult r{outcome(a.fault), a.value.success, a.value.reason};
    co_return r;
  }

 private:
  static provider::CallOutcome outcome(provider::SimFault f) {
    switch (f) {
      case provider::SimFault::kNone: return provider::CallOutcome::kOk;
      case provider::SimFault::kUnavailable: return provider::CallOutcome::kRetryable;
      case provider::SimFault::kLate: return provider::CallOutcome::kUnknown;
    }
    return provider::CallOutcome::kUnknown;
  }
  std::shared_ptr<provider::SimWorld> world_;
};

}  // namespace orderd::sim
