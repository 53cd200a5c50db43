// notify.h — how the simulated provider tells the merchant about a payment:
// the body {"order_id","payment_id","amount","status":"SUCCESS"}, signed with
// the notify secret (signature.h), handed to a NotifySink after a delay.
//
// Two sinks: a callback for the in-process simulator (the lead wires it to
// the notify handler or to its own URL), and an HTTP sink that POSTs to a URL
// with a few retries (provider-sim's --notify-url).
//
// Thread: schedule_payment_notify() from any thread; the wait runs on the
// given executor as a timer, never a sleeping thread. A sink is called on
// that executor and must not block.
// Invariants:
//   (1) The signature's t is the clock's time when the notify is sent (after
//       the delay), so a long notify_delay still verifies within ±300 s.
//   (2) The HTTP sink retries only transport failures and non-2xx answers,
//       at most `attempts` times, re-sending the same body and header.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace orderd::provider {

// Receives a signed notify: the raw body and the Orderd-Signature value.
using NotifySink = std::function<void(std::string body, std::string signature_header)>;

// {"order_id":…,"payment_id":…,"amount":…,"status":"SUCCESS"}
std::string payment_notify_body(const std::string& order_id, const std::string& payment_id, int64_t amount);

// After `delay` (0 = as soon as the executor runs it) signs `body` with
// `secret` at clock.now_ms()/1000 and calls `sink`.
// REQUIRES: clock outlives the wait. Thread: any.
void schedule_payment_notify(boost::asio::any_io_executor ex, const Clock& clock, std::string secret, NotifySink sink,
                             std::string body, DurationMs delay);

struct NotifyRetry {
  int attempts = 5;                  // total tries
  DurationMs first_backoff_ms = 200; // doubles after each failure
  DurationMs timeout_ms = 5'000;     // per try
};

// A sink that POSTs to `url` ("http://HOST:PORT/path") asynchronously on `ex`,
// retried per `retry`; failures after the last try are logged.
// Errors: kInvalid (field "notify-url") when url is not http://HOST:PORT[/path].
Result<NotifySink> make_http_notify_sink(boost::asio::any_io_executor ex, const std::string& url, NotifyRetry retry = {});

}  // namespace orderd::provider
