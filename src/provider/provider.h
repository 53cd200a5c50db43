// provider.h — the third-party provider (recharge, payment query, close,
// refund) behind one interface; `--provider sim` or `--provider http://…`.
//
// Thread: every call is a coroutine that never blocks a thread; run it on the
// worker io_context. Every call is idempotent on order_id / refund_id.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "core/clock.h"

namespace orderd::provider {

// How a call ended, from the caller's point of view.
enum class CallOutcome {
  kOk,         // the provider answered; see the call's status
  kRetryable,  // definitely not done (503, connection refused): safe to retry
  kUnknown,    // timeout, garbage or other 5xx: it may have been done; ask before retrying
};

const char* to_string(CallOutcome o);

struct RechargeResult {
  CallOutcome call = CallOutcome::kUnknown;
  bool success = false;  // when call == kOk: true = credited, false = refused for good
  std::string reason;    // provider's reason, or what went wrong with the call
};

enum class RechargeStatus { kSuccess, kFailed, kUnknown };  // kUnknown: provider never saw it
const char* to_string(RechargeStatus s);  // "success" | "failed" | "unknown" (the contract's words)
struct RechargeQuery {
  CallOutcome call = CallOutcome::kUnknown;  // kOk means `status` is the provider's answer
  RechargeStatus status = RechargeStatus::kUnknown;
  std::string reason;
};

struct PaymentQuery {
  CallOutcome call = CallOutcome::kUnknown;
  bool paid = false;
  std::string payment_id;
  int64_t amount = 0;
  std::string reason;
};

struct CloseResult {
  CallOutcome call = CallOutcome::kUnknown;
  bool already_paid = false;  // when kOk: false = closed
  std::string reason;
};

struct RefundResult {
  CallOutcome call = CallOutcome::kUnknown;
  bool success = false;  // when kOk
  std::string reason;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // POST /recharge. `timeout` bounds the whole call.
  virtual boost::asio::awaitable<RechargeResult> recharge(std::string order_id, std::string account, int64_t amount,
                                                          DurationMs timeout) = 0;
  // GET /recharge/{order_id}
  virtual boost::asio::awaitable<RechargeQuery> query_recharge(std::string order_id, DurationMs timeout) = 0;
  // GET /payments/{order_id}
  virtual boost::asio::awaitable<PaymentQuery> query_payment(std::string order_id, DurationMs timeout) = 0;
  // POST /payments/{order_id}/close
  virtual boost::asio::awaitable<CloseResult> close_payment(std::string order_id, DurationMs timeout) = 0;
  // POST /refunds
  virtual boost::asio::awaitable<RefundResult> refund(std::string refund_id, std::string order_id,
                                                      std::string payment_id, int64_t amount, DurationMs timeout) = 0;
};

}  // namespace orderd::provider
