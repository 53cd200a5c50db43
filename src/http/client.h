// client.h — an HTTP/1.1 client with keep-alive connection reuse, for the
// provider over HTTP and for notify_url callbacks.
//
// Thread: request() may be called from coroutines on any thread of the
// executor's io_context; the idle-connection pool is mutex-protected.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
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
};

class Client {
 public:
  // base_url: "http://HOST:PORT" (a path prefix is allowed and prepended).
  // Errors from create: kInvalid for a URL that is not http://HOST:PORT.
  static Result<std::shared_ptr<Client>> create(boost::asio::any_io_executor ex, const std::string& base_url,
                                                size_t max_idle = 64);
  ~Client();
  // One request with a deadline covering connect, write and read.
  // Errors: kTimeout (no complete answer in time: outcome unknown),
  //         kUnavailable (connect refused/reset before the request was sent),
  //         kMalformed (unparseable HTTP answer), kIo (other).
  boost::asio::awaitable<Result<ClientResponse>> request(std::string method, std::string target, std::string body,
                                                         std::vector<std::pair<std::string, std::string>> headers,
                                                         DurationMs timeout);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::http
