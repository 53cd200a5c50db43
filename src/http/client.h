// client.h — an HTTP/1.1 client with keep-alive connection reuse, for the
// provider over HTTP and for notify_url callbacks.
//
// Thread: request() may be called from coroutines on any thread of the
// executor's io_context; the idle-connection pool is mutex-protected.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace orderd::http {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined by ", "
};

class Client {
 public:
  // base_url: "http://HOST:PORT" (a path prefix is allowed and prepended).
  // Errors from create: kInvalid for a URL that is not http://HOST:PORT.
  static Result<std::shared_ptr<Client>> create(boost::asio::any_io_executor ex, const std::string& base_url,
                                                size_t max_idle = 64);
  ~Client();
  // One request with a deadline covering connect, write and read. target is
  // appended to the base URL's prefix; a non-empty body without a
  // Content-Type header is sent as application/json. Never throws.
  // REQUIRES: the Client stays alive until the request completes (hold the
  // shared_ptr across the co_await).
  // Errors: kTimeout (no complete answer in time: outcome unknown),
  //         kUnavailable (cannot resolve/connect, refused, or connect timed
  //         out: the request was not sent),
  //         kMalformed (unparseable HTTP answer, or an answer body over 1 MiB),
  //         kIo (connection lost after sending: outcome unknown),
  //         kInternal (an unexpected exception, e.g. allocation failure).
  // A reused keep-alive connection found dead before any answer byte is
  // retried once on a fresh connection, within the same deadline.
  boost::asio::awaitable<Result<ClientResponse>> request(std::string method, std::string target, std::string body,
                                                         std::vector<std::pair<std::string, std::string>> headers,
                                                         DurationMs timeout);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::http
