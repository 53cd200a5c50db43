// server.h — the HTTP/1.1 server: Beast coroutine sessions on an io_context.
//
// Owns: the acceptor and its sessions. Thread: runs on the io_context's
// threads; start()/stop() from the owning (main) thread.
// Every read and write has a deadline; bodies over 64 KiB get 413; a handler
// exception becomes a 500 problem; keep-alive is honoured.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"

namespace orderd::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";    // HOST:PORT; port 0 picks a free port
  size_t body_limit = 64 * 1024;
  int read_timeout_s = 30;                  // header+body read deadline (idle keep-alive too)
  int write_timeout_s = 30;
  size_t max_connections = 10'000;          // beyond: accept then answer 503
  // Observes every request: route pattern (or "unmatched"), status, seconds.
  std::function<void(const std::string& method, const std::string& route, int status, double seconds)> observer;
};

class Server {
 public:
  Server(boost::asio::io_context& io, const Router& router, ServerOptions opts);
  ~Server();
  // Binds and starts accepting. Errors: kIo naming the address.
  Status start();
  // Stops accepting new connections; in-flight requests finish.
  void stop();
  unsigned short port() const;  // the bound port (after start)
  size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT". Errors: kInvalid.
Result<std::pair<std::string, unsigned short>> parse_host_port(const std::string& text);

}  // namespace orderd::http
