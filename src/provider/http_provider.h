// http_provider.h — `--provider http://HOST:PORT`: the Provider interface over
// HTTP, speaking SPEC §5's contract:
//   POST /recharge {order_id, account, amount}          → {status: success|failed, reason}
//   GET  /recharge/{order_id}                           → {status: success|failed|unknown}
//   GET  /payments/{order_id}                           → {status: paid|unpaid, payment_id, amount}
//   POST /payments/{order_id}/close                     → {status: closed|already_paid}
//   POST /refunds {refund_id, order_id, payment_id, amount} → {status: success|failed}
// Answers map to results as http_answers.h says.
//
// Owns: one http::Client (keep-alive pool). Thread: every call is a
// coroutine safe from any thread of the client's io_context.
// Invariants:
//   (1) `timeout` bounds the whole call (connect, write, read); a call with
//       no time left is not sent and is kRetryable.
//   (2) No answer, however malformed, throws or crashes: the worst is kUnknown.
//   (3) Ids in paths are percent-encoded, so any order_id is one segment.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "core/result.h"
#include "http/client.h"
#include "provider/provider.h"

namespace orderd::provider {

class HttpProvider final : public Provider {
 public:
  // Errors: kInvalid (field "provider") when base_url is not http://HOST:PORT.
  static Result<std::shared_ptr<HttpProvider>> create(boost::asio::any_io_executor ex, const std::string& base_url);
  explicit HttpProvider(std::shared_ptr<http::Client> client);

  boost::asio::awaitable<RechargeResult> recharge(std::string order_id, std::string account, int64_t amount,
                                                  DurationMs timeout) override;
  boost::asio::awaitable<RechargeQuery> query_recharge(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<PaymentQuery> query_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<CloseResult> close_payment(std::string order_id, DurationMs timeout) override;
  boost::asio::awaitable<RefundResult> refund(std::string refund_id, std::string order_id, std::string payment_id,
                                              int64_t amount, DurationMs timeout) override;

 private:
  // One request; exceptions from the client become kInternal errors.
  boost::asio::awaitable<Result<http::ClientResponse>> send(std::string method, std::string target, std::string body,
                                                            DurationMs timeout);
  std::shared_ptr<http::Client> client_;
};

// "a/b c" → "a%2Fb%20c": everything but RFC 3986 unreserved characters.
std::string percent_encode_segment(const std::string& text);

}  // namespace orderd::provider
