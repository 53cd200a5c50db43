// bench_http.h — what the end-to-end benchmarks share: spawn a real
// `orderd serve` on a free loopback port with a temp data dir, stop it, read
// /v1/stats, and percentiles.
//
// Thread model: main's thread only; the io_context is run to completion by
// each helper (no background threads).
// Invariants:
//   (1) The server listens on 127.0.0.1 only and its data dir is removed by stop_server.
#pragma once
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"

extern char** environ;

namespace orderd::bench {

struct Server {
  pid_t pid = -1;
  std::string dir, base;
  unsigned short port = 0;
};

inline unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// Starts `exe serve` with the sim provider at zero latency plus `extra` flags.
inline Server start_server(const std::string& exe, const std::vector<std::string>& extra = {}) {
  Server s;
  char tmpl[] = "/tmp/orderd-bench-XXXXXX";
  s.dir = mkdtemp(tmpl);
  s.port = free_port();
  s.base = "http://127.0.0.1:" + std::to_string(s.port);
  std::vector<std::string> args = {exe, "serve", "--data", s.dir + "/data", "--listen", "127.0.0.1:" + std::to_string(s.port),
                                   "--sim-latency", "0ms", "--log-level", "warn", "--workers", "256"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&s.pid, exe.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    std::perror("spawn orderd");
    std::exit(1);
  }
  return s;
}

inline void stop_server(Server& s) {
  if (s.pid > 0) {
    kill(s.pid, SIGTERM);
    int st = 0;
    waitpid(s.pid, &st, 0);
  }
  std::filesystem::remove_all(s.dir);
}

inline double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// GET /v1/stats (null when the server does not answer).
inline nlohmann::json get_stats(boost::asio::io_context& io, const std::shared_ptr<http::Client>& c) {
  nlohmann::json out;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    std::vector<std::pair<std::string, std::string>> headers;
    auto r = co_await c->request("GET", "/v1/stats", "", std::move(headers), 5'000);
    if (r && r->status == 200) out = nlohmann::json::parse(r->body, nullptr, false);
  }, boost::asio::detached);
  io.restart();
  io.run();
  return out;
}

// Waits (bounded) until the server answers /v1/stats.
inline void wait_up(boost::asio::io_context& io, const std::shared_ptr<http::Client>& c) {
  for (int i = 0; i < 150 && get_stats(io, c).is_null(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace orderd::bench
