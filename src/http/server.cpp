// server.cpp — Beast coroutine sessions (one of the two files that include
// Beast; handlers see only types.h). See server.h for the invariants.
//
// Session loop, per connection, on its own loop (one thread each) or, with
// one shared io_context, on its own strand:
//   read a request (deadline) → build a plain Request → route → co_await the
//   handler (exceptions → 500) → write the answer (deadline) → again if
//   keep-alive, else close.
// Parser limits, refusals, the Request conversion and routing live in
// request_path.cpp (shared with the socket-free path the fuzz target drives).
#include "http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "http/beast_request.h"
#include "http/request_path.h"

namespace orderd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kDrainLimit = 1 << 20;  // bytes read and discarded in a graceful close
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

void log_spawn_failure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("http: session ended by exception: {}", e.what());
  } catch (...) {
    spdlog::error("http: session ended by an unknown exception");
  }
}

std::string remote_of(const tcp::socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

bhttp::response<bhttp::string_body> to_message(Response&& resp, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(resp.status), version};
  res.set(bhttp::field::server, "orderd");
  res.set(bhttp::field::content_type, resp.content_type);
  for (auto& [name, value] : resp.headers) res.insert(name, value);
  if (resp.status == 204 || resp.status == 304 || resp.status < 200) resp.body.clear();
  res.body() = std::move(resp.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Exceptions stop here (GUIDE habit 4): they become a logged 500 problem.
asio::awaitable<Response> invoke(const Router::Route& route, Request& req) {
  try {
    co_return co_await route.handler(req);
  } catch (const std::exception& e) {
    spdlog::error("http: handler {} {} threw: {}", req.method, route.pattern, e.what());
  } catch (...) {
    spdlog::error("http: handler {} {} threw a non-exception", req.method, route.pattern);
  }
  co_return problem(500, "internal error");
}

// One accepted connection. Every member is touched only on the stream's
// executor (its loop's one thread, or its strand), except that the registry
// holds a weak_ptr to it.
struct Connection {
  explicit Connection(tcp::socket&& socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool awaiting_request = false;  // true while waiting for the header of the next request
  uint64_t requests_served = 0;
  // On the stream's executor, from stop(): closes the connection if it is between
  // requests (nothing of a next request received); a busy one finishes.
  void close_if_idle() {
    if (awaiting_request && buffer.size() == 0) stream.cancel();
  }
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(std::vector<asio::io_context*> io_loops, bool single_threaded_loops, const Router& routes,
       ServerOptions options)
      : loops(std::move(io_loops)),
        own_thread_per_loop(single_threaded_loops),
        io(*loops.front()),
        router(routes),
        opts(std::move(options)),
        acceptor(asio::make_strand(io)) {}

  const std::vector<asio::io_context*> loops;
  const bool own_thread_per_loop;  // each loop run by one thread: no strands needed
  size_t next_loop = 0;            // on the acceptor's strand only
  asio::io_context& io;
  const Router& router;
  const ServerOptions opts;
  const RequestLimits limits{opts.header_limit, opts.body_limit};
  tcp::acceptor acceptor;  // used only on its strand once accepting
  std::atomic<bool> stopping{false};
  std::atomic<size_t> open_sessions{0};
  std::atomic<unsigned short> bound_port{0};
  std::mutex registry_mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> registry;  // guarded by registry_mu

  asio::awaitable<void> accept_loop();
  // Where the next connection's session runs: its own loop (one thread each),
  // or a strand of the one shared loop.
  asio::any_io_executor session_executor() {
    if (!own_thread_per_loop) return asio::make_strand(io);
    asio::io_context* loop = loops[next_loop++ % loops.size()];
    return loop->get_executor();
  }
  asio::awaitable<void> session(std::shared_ptr<Connection> conn, bool over_limit);
  asio::awaitable<void> serve(Connection& conn);
  asio::awaitable<beast::error_code> read_request(Connection& conn, RequestParser& parser);
  asio::awaitable<Response> answer(Request& req, std::string* route_label);
  asio::awaitable<bool> write(beast::tcp_stream& stream, Response resp, unsigned version, bool keep_alive);
  asio::awaitable<void> refuse_and_close(beast::tcp_stream& stream, Response resp, unsigned version);
  void observe(const std::string& method, const std::string& route, int status, SteadyClock::time_point start) {
    if (!opts.observer) return;
    opts.observer(method, route, status, std::chrono::duration<double>(SteadyClock::now() - start).count());
  }
};

asio::awaitable<void> Server::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(session_executor(), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping || !acceptor.is_open()) co_return;
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));  // e.g. EMFILE: no spin
      co_await pause.async_wait(kTuple);
      continue;
    }
    bool over_limit = ++open_sessions > opts.max_connections;
    auto ex = socket.get_executor();
    auto conn = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(registry_mu);
      registry.emplace(conn.get(), conn);
    }
    asio::co_spawn(ex, session(std::move(conn), over_limit), [self](std::exception_ptr e) { log_spawn_failure(e); });
  }
}

asio::awaitable<bool> Server::Impl::write(beast::tcp_stream& stream, Response resp, unsigned version,
                                          bool keep_alive) {
  auto message = to_message(std::move(resp), version, keep_alive);
  stream.expires_after(std::chrono::seconds(opts.write_timeout_s));
  auto [ec, bytes] = co_await bhttp::async_write(stream, message, kTuple);
  co_return !ec;
}

// Invariant 3: answer, stop sending, drain (bounded in time and bytes), close.
asio::awaitable<void> Server::Impl::refuse_and_close(beast::tcp_stream& stream, Response resp, unsigned version) {
  if (co_await write(stream, std::move(resp), version, false)) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(std::clamp(opts.read_timeout_s, 1, 2)));
    char scratch[4096];
    for (size_t drained = 0; drained < kDrainLimit;) {
      auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
      if (read_ec) break;
      drained += n;
    }
  }
}

// Reads one request under one deadline. Answers "Expect: 100-continue" (curl
// sends it for bodies over 1 KiB and would otherwise pause a second); a
// Content-Length over the limit fails at the header, before any 100.
asio::awaitable<beast::error_code> Server::Impl::read_request(Connection& conn,
                                                              RequestParser& parser) {
  beast::tcp_stream& stream = conn.stream;
  stream.expires_after(std::chrono::seconds(opts.read_timeout_s));
  // stop() may have posted close_if_idle() while this session was busy: a
  // kept-alive connection with nothing of a next request buffered ends here.
  if (stopping && conn.requests_served > 0 && conn.buffer.size() == 0) co_return asio::error::operation_aborted;
  conn.awaiting_request = true;
  auto [ec, bytes] = co_await bhttp::async_read_header(stream, conn.buffer, parser, kTuple);
  conn.awaiting_request = false;
  if (ec || parser.is_done()) co_return ec;  // a GET is complete after its header
  if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
    auto [write_ec, written] = co_await bhttp::async_write(stream, go_on, kTuple);
    if (write_ec) co_return write_ec;
  }
  auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, conn.buffer, parser, kTuple);
  co_return body_ec;
}

asio::awaitable<Response> Server::Impl::answer(Request& req, std::string* route_label) {
  Routed routed = route_request(router, req);
  if (routed.route == nullptr) co_return std::move(*routed.refusal);
  *route_label = routed.route->pattern;
  co_return co_await invoke(*routed.route, req);
}

asio::awaitable<void> Server::Impl::session(std::shared_ptr<Connection> conn, bool over_limit) {
  auto self = shared_from_this();
  struct Unregister {  // also on an exception: connections() must not leak
    Impl& impl;
    Connection* conn;
    ~Unregister() {
      std::lock_guard lock(impl.registry_mu);
      impl.registry.erase(conn);
      --impl.open_sessions;
    }
  } unregister{*this, conn.get()};
  if (over_limit) {
    Response busy = problem(503, "too many connections; retry shortly");
    busy.headers.emplace_back("Retry-After", "1");
    observe("", "unmatched", 503, SteadyClock::now());
    co_await refuse_and_close(conn->stream, std::move(busy), 11);
  } else {
    co_await serve(*conn);
  }
  beast::error_code ec;
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn->stream.socket().close(ec);
}

// The keep-alive loop of one connection (invariants 1, 2, 5).
asio::awaitable<void> Server::Impl::serve(Connection& conn) {
  const std::string remote = remote_of(conn.stream.socket());
  for (;;) {
    RequestParser parser;
    apply_limits(parser, limits);
    beast::error_code ec = co_await read_request(conn, parser);
    const auto start = SteadyClock::now();
    if (ec) {
      if (auto refusal = refusal_for(ec, limits)) {
        std::string method = parser.is_header_done() ? std::string(parser.get().method_string()) : "";
        observe(method, "unmatched", refusal->status, start);
        co_await refuse_and_close(conn.stream, std::move(*refusal), 11);
      }
      co_return;
    }
    const unsigned version = parser.get().version();
    const bool peer_keeps_alive = parser.get().keep_alive();
    Request req = to_request(parser.release(), remote);
    std::string route_label = "unmatched";
    Response resp = co_await answer(req, &route_label);
    const int status = resp.status;
    const bool keep_alive = peer_keeps_alive && !stopping;  // after the handler: stop() may have come
    bool written = co_await write(conn.stream, std::move(resp), version, keep_alive);
    ++conn.requests_served;
    observe(req.method, route_label, status, start);
    if (!written || !keep_alive) co_return;
  }
}

Server::Server(asio::io_context& io, const Router& router, ServerOptions opts)
    : impl_(std::make_shared<Impl>(std::vector<asio::io_context*>{&io}, false, router, std::move(opts))) {}

Server::Server(std::vector<asio::io_context*> loops, const Router& router, ServerOptions opts)
    : impl_(std::make_shared<Impl>(std::move(loops), true, router, std::move(opts))) {}

Server::~Server() { stop(); }

Status Server::start() {
  auto host_port = parse_host_port(impl_->opts.listen);
  if (!host_port) return host_port.error();
  const auto& [host, port] = host_port.value();
  auto fail = [&](const std::string& what, const beast::error_code& ec) -> Status {
    return Error::make(ErrorCode::kIo, what + " " + impl_->opts.listen + ": " + ec.message());
  };
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(impl_->io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) return fail("cannot resolve", ec);
    endpoint = results.begin()->endpoint();
  }
  tcp::acceptor& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("cannot open", ec);
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("cannot configure", ec);
  if (acceptor.bind(endpoint, ec); ec) return fail("cannot bind", ec);
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("cannot listen on", ec);
  impl_->bound_port = acceptor.local_endpoint(ec).port();
  asio::co_spawn(acceptor.get_executor(), impl_->accept_loop(), [](std::exception_ptr e) { log_spawn_failure(e); });
  return ok_status();
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::lock_guard lock(impl_->registry_mu);
  for (auto& [raw, weak] : impl_->registry) {
    if (auto conn = weak.lock()) asio::post(conn->stream.get_executor(), [conn] { conn->close_if_idle(); });
  }
}

unsigned short Server::port() const { return impl_->bound_port; }

size_t Server::connections() const { return impl_->open_sessions; }

Result<std::pair<std::string, unsigned short>> parse_host_port(const std::string& text) {
  auto invalid = [&] { return Error::invalid("listen", "listen must be HOST:PORT, got \"" + text + "\""); };
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return invalid();
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return invalid();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return invalid();  // a bare IPv6 address needs brackets
  }
  std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return invalid();
  unsigned long port = std::stoul(digits);
  if (port > 65535) return invalid();
  return std::make_pair(host, static_cast<unsigned short>(port));
}

}  // namespace orderd::http
