// http_provider.cpp — the contract's requests over http::Client; the
// answers are mapped by http_answers.cpp.
#include "provider/http_provider.h"

#include <nlohmann/json.hpp>

#include "provider/http_answers.h"

namespace orderd::provider {

namespace asio = boost::asio;
using Json = nlohmann::json;

std::string percent_encode_segment(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::shared_ptr<HttpProvider>> HttpProvider::create(asio::any_io_executor ex, const std::string& base_url) {
  auto client = http::Client::create(std::move(ex), base_url);
  if (!client) return Error::invalid("provider", "provider '" + base_url + "': " + client.error().message);
  return std::make_shared<HttpProvider>(*client);
}

HttpProvider::HttpProvider(std::shared_ptr<http::Client> client) : client_(std::move(client)) {}

asio::awaitable<Result<http::ClientResponse>> HttpProvider::send(std::string method, std::string target,
                                                                 std::string body, DurationMs timeout) {
  if (timeout <= 0) co_return Error::make(ErrorCode::kUnavailable, "no time left for the call (not sent)");
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  try {
    auto client = client_;  // held across the co_await (client.h REQUIRES)
    co_return co_await client->request(std::move(method), std::move(target), std::move(body), std::move(headers),
                                       timeout);
  } catch (const std::exception& e) {
    co_return Error::make(ErrorCode::kInternal, std::string("http client: ") + e.what());
  }
}

asio::awaitable<RechargeResult> HttpProvider::recharge(std::string order_id, std::string account, int64_t amount,
                                                       DurationMs timeout) {
  Json body = {{"order_id", order_id}, {"account", account}, {"amount", amount}};
  co_return recharge_from_http(co_await send("POST", "/recharge", body.dump(-1, ' ', false, Json::error_handler_t::replace), timeout));
}

asio::awaitable<RechargeQuery> HttpProvider::query_recharge(std::string order_id, DurationMs timeout) {
  co_return recharge_query_from_http(co_await send("GET", "/recharge/" + percent_encode_segment(order_id), "", timeout));
}

asio::awaitable<PaymentQuery> HttpProvider::query_payment(std::string order_id, DurationMs timeout) {
  co_return payment_query_from_http(co_await send("GET", "/payments/" + percent_encode_segment(order_id), "", timeout));
}

asio::awaitable<CloseResult> HttpProvider::close_payment(std::string order_id, DurationMs timeout) {
  co_return close_from_http(
      co_await send("POST", "/payments/" + percent_encode_segment(order_id) + "/close", "{}", timeout));
}

asio::awaitable<RefundResult> HttpProvider::refund(std::string refund_id, std::string order_id,
                                                   std::string payment_id, int64_t amount, DurationMs timeout) {
  Json body = {{"refund_id", refund_id}, {"order_id", order_id}, {"payment_id", payment_id}, {"amount", amount}};
  co_return refund_from_http(co_await send("POST", "/refunds", body.dump(-1, ' ', false, Json::error_handler_t::replace), timeout));
}

}  // namespace orderd::provider
