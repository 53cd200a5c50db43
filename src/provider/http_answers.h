// http_answers.h — how an HTTP provider's answer (or the lack of one) maps to
// the Provider interface's results. Pure functions over the client's Result,
// so every odd answer is testable without a socket.
//
// Mapping (SPEC §5; "mutating" = POST /recharge, close, refund):
//   no answer: kTimeout                      → kUnknown (it may have been done)
//              kUnavailable (refused)        → kRetryable (never sent)
//              other (reset after send, bad HTTP) → mutating kUnknown, read kRetryable
//   503, 408, 429                            → kRetryable
//   other 5xx, 1xx, 3xx                      → mutating kUnknown, read kRetryable
//   4xx the contract gives a meaning         → kOk (recharge/refund 400/422 [refund also 409]:
//                                              refused for good; query 404: never seen / unpaid)
//   other 4xx                                → kUnknown with the problem's detail
//   2xx with the contract's JSON             → kOk with its values
//   2xx garbage/truncated/wrong-typed body   → mutating kUnknown, read kRetryable
//
// Thread: pure; safe from any thread. Never throws, whatever the body.
#pragma once
#include "core/result.h"
#include "http/client.h"
#include "provider/provider.h"

namespace orderd::provider {

using HttpAnswer = Result<http::ClientResponse>;

RechargeResult recharge_from_http(const HttpAnswer& answer);       // POST /recharge
RechargeQuery recharge_query_from_http(const HttpAnswer& answer);  // GET /recharge/{order_id}
PaymentQuery payment_query_from_http(const HttpAnswer& answer);    // GET /payments/{order_id}
CloseResult close_from_http(const HttpAnswer& answer);             // POST /payments/{order_id}/close
RefundResult refund_from_http(const HttpAnswer& answer);           // POST /refunds

}  // namespace orderd::provider
