// http_test_util.h — helpers for the [http] tests: an io_context on worker
// threads, running a coroutine to completion with a bounded wait, server
// options for a loopback listener, and a blocking raw socket for speaking
// bytes to a server.
#pragma once
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"

namespace orderd::http::test {

namespace asio = boost::asio;

// An io_context run by `threads` threads until destruction.
struct IoThreads {
  explicit IoThreads(int threads = 2) : guard(asio::make_work_guard(io)) {
    for (int i = 0; i < threads; ++i) workers.emplace_back([this] { io.run(); });
  }
  ~IoThreads() {
    guard.reset();
    io.stop();
    for (auto& t : workers) t.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::vector<std::thread> workers;
};

template <class T>
asio::awaitable<std::optional<T>> as_optional(asio::awaitable<T> aw) {
  co_return co_await std::move(aw);
}

// Runs the coroutine on ex and waits at most `limit` for its value.
// (use_future needs a default-constructible value; Result is not.)
template <class T>
T run_on(asio::any_io_executor ex, asio::awaitable<T> aw, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto future = asio::co_spawn(ex, as_optional(std::move(aw)), asio::use_future);
  if (future.wait_for(limit) != std::future_status::ready) throw std::runtime_error("coroutine did not finish in time");
  return std::move(*future.get());
}

// Polls cond every millisecond until true or the limit passes.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

// Server options listening on `listen` (default: loopback, a free port).
inline ServerOptions local_options(std::string listen = "127.0.0.1:0") {
  ServerOptions opts;
  opts.listen = std::move(listen);
  return opts;
}

// A blocking client socket with a receive timeout, for raw byte tests.
struct RawSocket {
  explicit RawSocket(unsigned short port) : socket(io) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};  // no test read blocks longer than 5 s
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // Reads one HTTP response (headers + Content-Length body). Empty on EOF/error.
  std::string read_response() {
    for (;;) {
      size_t header_end = pending.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        size_t length = 0;
        std::string lower = pending.substr(0, header_end);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t at = lower.find("content-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
        size_t total = header_end + 4 + length;
        if (pending.size() >= total) {
          std::string response = pending.substr(0, total);
          pending.erase(0, total);
          return response;
        }
      }
      if (!read_some()) return "";
    }
  }
  // True when the peer closed the connection (EOF or reset) within ~5 s.
  bool closed_by_peer() {
    for (;;) {
      boost::system::error_code ec;
      char buf[1024];
      size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;  // timeout (EAGAIN) or another error
      pending.append(buf, n);
    }
  }
  bool read_some() {
    boost::system::error_code ec;
    char buf[8192];
    size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) return false;
    pending.append(buf, n);
    return true;
  }
  asio::io_context io;
  asio::ip::tcp::socket socket;
  std::string pending;
};

inline int status_of(const std::string& response) {
  return response.size() >= 12 ? std::stoi(response.substr(9, 3)) : 0;
}
inline std::string body_of(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}
// Value of a header (case-insensitive name), "" if absent.
inline std::string header_of(const std::string& response, std::string name) {
  std::string lower = response.substr(0, response.find("\r\n\r\n"));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  size_t start = at + 3 + name.size();
  size_t end = response.find("\r\n", start);
  std::string value = response.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

}  // namespace orderd::http::test
