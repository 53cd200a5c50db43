// lean_client.h — the load generator's HTTP/1.1 client for the end-to-end
// benchmarks: one keep-alive connection per request in flight, each request
// formatted into one buffer and sent with one write, the response parsed only
// for its status code, Content-Length and body.
//
// Why not orderd's http::Client (Beast): the load generator shares the two
// cores with the server it measures, and the Beast client took 25–35 µs of CPU
// per request there, a fifth of the machine at 10k requests/s. The broker
// benchmarks drive RabbitMQ and Redis with their C clients; orderd's load
// should cost as little.
//
// Thread model: one io_context thread. A LeanConn carries one request at a
// time. Invariants:
//   (1) `in_` holds bytes received but not yet consumed: after a response is
//       taken, what follows it (nothing, with one request at a time) stays.
//   (2) Any error or malformed response closes the connection: the caller
//       opens a new one (never reuses a stream in an unknown state).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <chrono>

namespace orderd::bench {

struct LeanResponse {
  int status = 0;
  std::string body;
};

class LeanConn {
 public:
  explicit LeanConn(boost::asio::any_io_executor ex) : sock_(ex) {}

  boost::asio::awaitable<bool> connect(unsigned short port) {
    boost::system::error_code ec;
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    co_await sock_.async_connect(ep, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) co_return false;
    sock_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    co_return true;
  }

  bool is_open() const { return sock_.is_open(); }
  void close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }

  // One request, one response; nullopt (and the connection closed) on any error.
  boost::asio::awaitable<std::optional<LeanResponse>> request(std::string_view method, std::string_view path,
                                                              std::string_view body) {
    out_.clear();
    out_.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if (!body.empty() || method == "POST") {
      out_.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
      out_.append("\r\n");
    }
    out_.append("\r\n").append(body);
    boost::system::error_code ec;
    co_await boost::asio::async_write(sock_, boost::asio::buffer(out_),
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) co_return fail();
    // Headers: up to the blank line.
    size_t header_end;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (in_.size() > kMaxHeader || !co_await read_more()) co_return fail();
    }
    LeanResponse r;
    if (in_.size() < 12 || in_.compare(0, 5, "HTTP/") != 0) co_return fail();
    r.status = std::atoi(in_.c_str() + 9);
    const auto length = content_length(std::string_view(in_).substr(0, header_end));
    if (!length) co_return fail();
    const size_t total = header_end + 4 + *length;
    while (in_.size() < total) {
      if (!co_await read_more()) co_return fail();
    }
    r.body.assign(in_, header_end + 4, *length);
    in_.erase(0, total);  // invariant (1)
    co_return r;
  }

 private:
  static constexpr size_t kMaxHeader = 64 * 1024;

  std::optional<LeanResponse> fail() {  // invariant (2)
    close();
    in_.clear();
    return std::nullopt;
  }

  boost::asio::awaitable<bool> read_more() {
    boost::system::error_code ec;
    const size_t n = co_await sock_.async_read_some(boost::asio::buffer(buf_, sizeof buf_),
                                                     boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec || n == 0) co_return false;
    in_.append(buf_, n);
    co_return true;
  }

  // The Content-Length header's value (names compared without case).
  static std::optional<size_t> content_length(std::string_view headers) {
    size_t pos = 0;
    while ((pos = headers.find("\r\n", pos)) != std::string_view::npos) {
      pos += 2;
      constexpr std::string_view kName = "content-length:";
      if (headers.size() - pos < kName.size()) break;
      bool match = true;
      for (size_t i = 0; i < kName.size() && match; ++i)
        match = static_cast<char>(std::tolower(static_cast<unsigned char>(headers[pos + i]))) == kName[i];
      if (!match) continue;
      const size_t v = pos + kName.size();
      return static_cast<size_t>(std::strtoull(std::string(headers.substr(v, 24)).c_str(), nullptr, 10));
    }
    return std::nullopt;
  }

  boost::asio::ip::tcp::socket sock_;
  std::string out_, in_;
  char buf_[16 * 1024];
};

// A pool of keep-alive connections: a request takes an idle one or opens a
// new one, and gives it back when answered.
struct LeanPool {
  boost::asio::any_io_executor ex;
  unsigned short port;
  std::vector<std::unique_ptr<LeanConn>> idle;
  std::vector<LeanConn*> all;  // for the watchdog
  boost::asio::awaitable<std::unique_ptr<LeanConn>> take() {
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      co_return c;
    }
    auto c = std::make_unique<LeanConn>(ex);
    if (!co_await c->connect(port)) co_return nullptr;
    all.push_back(c.get());
    co_return c;
  }
  void give(std::unique_ptr<LeanConn> c) {
    if (c && c->is_open()) idle.push_back(std::move(c));
    else if (c) std::erase(all, c.get());
  }
};

// Bounds a phase: 30 s after its end, every connection is closed, so requests
// a hung server never answers fail and io.run() returns. Each coroutine of
// the phase enters on start and leaves when done; the last out cancels the
// timer, so io.run() returns as soon as the phase is over (one thread: no
// atomics).
struct LoadPhase {
  std::shared_ptr<boost::asio::steady_timer> watchdog;
  int active = 0;
  LoadPhase(boost::asio::io_context& io, LeanPool& pool, std::chrono::steady_clock::time_point end)
      : watchdog(std::make_shared<boost::asio::steady_timer>(io, end + std::chrono::seconds(30))) {
    watchdog->async_wait([&pool](const boost::system::error_code& ec) {
      if (ec) return;
      for (LeanConn* c : pool.all) c->close();
    });
  }
  void enter() { ++active; }
  void leave() {
    if (--active == 0) watchdog->cancel();
  }
};

}  // namespace orderd::bench
