// notify.cpp — the payment notify body and its delayed, signed hand-off to a
// sink. The HTTP sink lives in notify_http.cpp (it needs the HTTP client).
#include "provider/notify.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "provider/signature.h"

namespace orderd::provider {

namespace asio = boost::asio;

std::string payment_notify_body(const std::string& order_id, const std::string& payment_id, int64_t amount) {
  return nlohmann::json{{"order_id", order_id}, {"payment_id", payment_id}, {"amount", amount}, {"status", "SUCCESS"}}
      .dump();
}

namespace {

asio::awaitable<void> notify_after(const Clock& clock, std::string secret, NotifySink sink, std::string body,
                                   DurationMs delay) {
  if (delay > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(delay));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: the executor is shutting down
  }
  std::string header = sign(secret, clock.now_ms() / 1000, body);
  try {
    sink(std::move(body), std::move(header));
  } catch (const std::exception& e) {  // an edge: the sink is the lead's code
    spdlog::error("payment notify sink failed: {}", e.what());
  }
}

}  // namespace

void schedule_payment_notify(asio::any_io_executor ex, const Clock& clock, std::string secret, NotifySink sink,
                             std::string body, DurationMs delay) {
  if (!sink) return;
  asio::co_spawn(ex, notify_after(clock, std::move(secret), std::move(sink), std::move(body), delay), asio::detached);
}

}  // namespace orderd::provider
