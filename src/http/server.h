// server.h — the HTTP/1.1 server: Beast coroutine sessions on an io_context.
//
// Owns: the acceptor and its sessions. Thread: either one io_context run by
// however many threads (each session on its own strand), or several loops
// run by one thread each (each session on one loop). A session is one
// coroutine, the only user of its socket. start()/stop() from the owning
// (main) thread.
// Invariants:
//   (1) Every read and write has a deadline (read_timeout_s covers a whole
//       request, and an idle keep-alive wait; write_timeout_s each answer).
//   (2) Every answer carries Content-Type and Content-Length; errors are
//       problem+json: body over body_limit → 413, headers over header_limit → 431,
//       unparseable request → 400, unknown path → 404, wrong method → 405
//       with Allow, handler exception → 500 (logged); the server keeps serving.
//   (3) After 413/431/400/503 the connection is closed gracefully: answer,
//       shut down sending, drain what the peer still sends (bounded), close,
//       so the peer reads the answer instead of a reset.
//   (4) connections() counts open sessions; an accepted connection beyond
//       max_connections gets 503 + Retry-After and is closed.
//   (5) After stop() no new connection is accepted, kept-alive connections
//       idle between requests are closed, every answer says Connection:
//       close, and in-flight requests finish: connections() then falls to 0
//       (a connection mid-request lasts at most its read/write deadlines).
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <vector>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"

namespace orderd::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";    // HOST:PORT; port 0 picks a free port
  size_t body_limit = 64 * 1024;            // beyond: 413
  size_t header_limit = 16 * 1024;          // request line + headers; beyond: 431
  int read_timeout_s = 30;                  // header+body read deadline (idle keep-alive too)
  int write_timeout_s = 30;
  size_t max_connections = 10'000;          // beyond: accept then answer 503
  // Observes every request: route pattern (or "unmatched"), status, seconds.
  std::function<void(const std::string& method, const std::string& route, int status, double seconds)> observer;
};

class Server {
 public:
  // REQUIRES: router outlives the io_context's run (sessions read it); the
  // io_context outlives the Server.
  Server(boost::asio::io_context& io, const Router& router, ServerOptions opts);
  // Connections spread round-robin over `loops`, each of which must be run by
  // exactly one thread: a session then needs no strand, and a commit's
  // completion wakes the one thread that owns the connection. REQUIRES: loops
  // not empty; each outlives the Server.
  Server(std::vector<boost::asio::io_context*> loops, const Router& router, ServerOptions opts);
  ~Server();  // stop()
  // Binds and starts accepting. Errors: kInvalid (listen is not HOST:PORT),
  // kIo naming the address (resolve/bind/listen failed).
  Status start();
  // Stops accepting new connections and closes idle ones; in-flight
  // requests finish. For a graceful exit: stop(), wait (bounded) until
  // connections() == 0, then stop the io_context. Thread: any; idempotent.
  void stop();
  unsigned short port() const;  // the bound port (after start)
  size_t connections() const;  // open connections (in-flight or idle keep-alive)

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the running coroutines
};

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). Errors: kInvalid.
Result<std::pair<std::string, unsigned short>> parse_host_port(const std::string& text);

}  // namespace orderd::http
