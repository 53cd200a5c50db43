// notify_http.cpp — the HTTP NotifySink: POSTs a signed payment notify to a
// URL, retrying with doubling back-off. Kept apart from notify.cpp because it
// needs the HTTP client.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "http/client.h"
#include "provider/notify.h"
#include "provider/signature.h"

namespace orderd::provider {

namespace asio = boost::asio;

namespace {

// One notify, tried up to retry.attempts times. Returns when delivered or given up.
asio::awaitable<void> post_notify(std::shared_ptr<http::Client> client, std::string url, std::string target,
                                  std::string body, std::string header, NotifyRetry retry) {
  DurationMs backoff = retry.first_backoff_ms;
  std::string last;
  for (int attempt = 1; attempt <= retry.attempts; ++attempt) {
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("Content-Type", "application/json");
    headers.emplace_back(kSignatureHeader, header);
    auto res = co_await client->request("POST", target, body, std::move(headers), retry.timeout_ms);
    if (res && res->status >= 200 && res->status < 300) co_return;
    last = res ? "HTTP " + std::to_string(res->status) : res.error().message;
    if (attempt == retry.attempts) break;
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(backoff));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // shutting down
    backoff *= 2;
  }
  spdlog::warn("payment notify to {} gave up after {} attempts: {}", url, retry.attempts, last);
}

}  // namespace

Result<NotifySink> make_http_notify_sink(asio::any_io_executor ex, const std::string& url, NotifyRetry retry) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return Error::invalid("notify-url", "notify url must start with http://: " + url);
  const size_t slash = url.find('/', scheme.size());
  const std::string base = url.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  auto client = http::Client::create(ex, base);
  if (!client) return Error::invalid("notify-url", "bad notify url '" + url + "': " + client.error().message);
  std::shared_ptr<http::Client> shared = *client;
  return NotifySink([ex, shared, url, target, retry](std::string body, std::string header) {
    asio::co_spawn(ex, post_notify(shared, url, target, std::move(body), std::move(header), retry), asio::detached);
  });
}

}  // namespace orderd::provider
