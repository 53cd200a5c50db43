// purchase_bench — end-to-end purchase throughput of a real `orderd serve`
// (in-process simulator at zero latency, fsync on): orders per second from
// POST /v1/orders through POST /v1/sim/pay (the simulator's signed notify
// over HTTP) to "completed" (commit_stock and award_points jobs), measured
// while many unpaid orders keep their 30-minute timers pending.
//
// usage: purchase_bench ORDERD_EXE [seconds=10] [connections=64] [unpaid=20000]
// Prints a table and a final `key=value` line. Loopback only, bounded time.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_http.h"
#include "lean_client.h"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using orderd::http::Client;
using namespace orderd::bench;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Run {
  std::mutex mu;
  std::vector<double> create_ms, pay_ms;
  std::atomic<uint64_t> created{0}, paid{0}, errors{0};
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// One order: create it, and pay it unless `pay` is false.
asio::awaitable<void> one_order(LeanPool& pool, Run& run, int i, bool pay) {
  std::string body = R"({"user":"u)" + std::to_string(i % 1000) + R"(","items":[{"sku":"bench","qty":1}]})";
  auto t0 = Clock::now();
  auto c = co_await pool.take();
  std::optional<LeanResponse> r;
  if (c) r = co_await c->request("POST", "/v1/orders", body);
  if (!r || r->status != 201) {
    pool.give(std::move(c));
    run.errors++;
    co_return;
  }
  const double create_ms = ms_since(t0);
  run.created++;
  std::string id = nlohmann::json::parse(r->body, nullptr, false).value("id", "");
  double pay_ms = 0;
  if (pay) {
    auto t1 = Clock::now();
    std::string target = "/v1/sim/pay/" + id;
    auto p = co_await c->request("POST", target, "");
    if (!p || p->status != 202) {
      pool.give(std::move(c));
      run.errors++;
      co_return;
    }
    pay_ms = ms_since(t1);
    run.paid++;
  }
  pool.give(std::move(c));
  std::lock_guard lock(run.mu);
  run.create_ms.push_back(create_ms);
  if (pay) run.pay_ms.push_back(pay_ms);
}

asio::awaitable<void> closed_loop(LeanPool& pool, Run& run, LoadPhase& phase, Clock::time_point end, int worker,
                                  bool pay, std::atomic<int>* budget) {
  for (int i = 0; Clock::now() < end; ++i) {
    if (budget && budget->fetch_sub(1) <= 0) break;
    co_await one_order(pool, run, worker * 1'000'000 + i, pay);
  }
  phase.leave();
}

void run_loops(asio::io_context& io, LeanPool& pool, Run& run, int conns, Clock::time_point end, bool pay,
               std::atomic<int>* budget) {
  LoadPhase phase(io, pool, end);
  for (int w = 0; w < conns; ++w) {
    phase.enter();
    asio::co_spawn(io, closed_loop(pool, run, phase, end, w, pay, budget), asio::detached);
  }
  io.restart();
  io.run();
}

asio::awaitable<void> put_sku(std::shared_ptr<Client> c) {
  Headers json_headers = {{"Content-Type", "application/json"}};
  std::string body = R"({"stock":1000000000000,"price":1000})";
  co_await c->request("PUT", "/v1/skus/bench", body, std::move(json_headers), 10'000);
}

uint64_t completed(const nlohmann::json& s) {
  if (!s.is_object() || !s.contains("purchases")) return 0;
  return s["purchases"]["by_status"].value("completed", uint64_t{0});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: purchase_bench ORDERD_EXE [seconds] [connections] [unpaid]\n");
    return 2;
  }
  const std::string exe = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const int conns = argc > 3 ? std::atoi(argv[3]) : 64;
  const int unpaid = argc > 4 ? std::atoi(argv[4]) : 20'000;
  Server srv = start_server(exe, {"--unpaid-timeout", "30m"});
  asio::io_context io;
  auto client = *Client::create(io.get_executor(), srv.base, static_cast<size_t>(conns) + 8);
  wait_up(io, client);
  asio::co_spawn(io, put_sku(client), asio::detached);
  io.restart();
  io.run();

  // Unpaid orders whose 30-minute timers stay pending during the measurement.
  Run backlog;
  std::atomic<int> budget{unpaid};
  LeanPool pool{io.get_executor(), srv.port, {}, {}};
  run_loops(io, pool, backlog, conns, Clock::now() + std::chrono::seconds(120), false, &budget);
  const uint64_t pending_timers = get_stats(io, client)["timers"].value("pending", uint64_t{0});

  Run run;
  auto t0 = Clock::now();
  run_loops(io, pool, run, conns, t0 + std::chrono::seconds(seconds), true, nullptr);
  const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  auto wait_end = Clock::now() + std::chrono::seconds(60);
  uint64_t done = 0;
  while ((done = completed(get_stats(io, client))) < run.paid.load() && Clock::now() < wait_end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double rate = static_cast<double>(done) / e2e_s;
  stop_server(srv);

  std::printf("%-50s %12s\n", "purchase flow (orderd, sim latency 0, fsync on)", "value");
  std::printf("%-50s %12llu\n", "unpaid orders pending (30 m timers on disk)", static_cast<unsigned long long>(pending_timers));
  std::printf("%-50s %12.0f\n", "orders/s create -> pay -> completed (end to end)", rate);
  std::printf("%-50s %12.0f\n", "creates+pays/s during the load", static_cast<double>(run.paid.load()) / load_s);
  std::printf("%-50s %12llu\n", "orders completed", static_cast<unsigned long long>(done));
  std::printf("%-50s %12.2f\n", "create p50 ms", pct(run.create_ms, 0.50));
  std::printf("%-50s %12.2f\n", "create p99 ms", pct(run.create_ms, 0.99));
  std::printf("%-50s %12.2f\n", "sim pay p50 ms", pct(run.pay_ms, 0.50));
  std::printf("%-50s %12.2f\n", "sim pay p99 ms", pct(run.pay_ms, 0.99));
  std::printf("%-50s %12llu\n", "errors", static_cast<unsigned long long>(run.errors + backlog.errors));
  std::printf("purchase_orders_per_s=%.0f purchase_create_p50_ms=%.2f purchase_create_p99_ms=%.2f "
              "purchase_pending_unpaid_timers=%llu purchase_errors=%llu\n",
              rate, pct(run.create_ms, 0.50), pct(run.create_ms, 0.99), static_cast<unsigned long long>(pending_timers),
              static_cast<unsigned long long>(run.errors + backlog.errors));
  return done == run.paid.load() ? 0 : 1;
}
