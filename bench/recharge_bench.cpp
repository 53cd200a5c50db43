// recharge_bench — end-to-end recharge throughput of a real `orderd serve`
// (in-process simulator at zero latency, fsync on): orders per second from
// POST /v1/recharges to "succeeded", and create latency p50/p99 at the
// maximum rate (closed loop) and at half of it (open loop).
//
// usage: recharge_bench ORDERD_EXE [seconds=10] [connections=64]
// Prints a table and a final `key=value` line. Loopback only, bounded time.
// For comparing builds: ORDERD_BENCH_OPEN_RATE=N runs the open loop at N
// creates/s instead of half the maximum; ORDERD_BENCH_LATENCY_DUMP=FILE
// writes the open loop's "start_s latency_ms" pairs, to see whether slow
// creates come in stalls or spread out.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

struct Run {
  std::mutex mu;
  std::vector<double> lat_ms;
  std::vector<std::pair<double, double>> timeline;  // (start s since epoch of run, latency ms)
  Clock::time_point epoch = Clock::now();
  std::atomic<uint64_t> created{0}, errors{0};
};

asio::awaitable<void> create_one(LeanPool& pool, Run& run, int i) {
  std::string body = R"({"account":"138)" + std::to_string(10000000 + i) + R"(","amount":1000})";
  auto t0 = Clock::now();
  auto c = co_await pool.take();
  std::optional<LeanResponse> r;
  if (c) r = co_await c->request("POST", "/v1/recharges", body);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  pool.give(std::move(c));
  if (r && r->status == 202) {
    run.created++;
    std::lock_guard lock(run.mu);
    run.lat_ms.push_back(ms);
    run.timeline.emplace_back(std::chrono::duration<double>(t0 - run.epoch).count(), ms);
  } else {
    run.errors++;
  }
}

asio::awaitable<void> closed_loop(LeanPool& pool, Run& run, LoadPhase& phase, Clock::time_point end, int worker) {
  for (int i = 0; Clock::now() < end; ++i) co_await create_one(pool, run, worker * 1'000'000 + i);
  phase.leave();
}

asio::awaitable<void> open_one(LeanPool& pool, Run& run, LoadPhase& phase, int i) {
  co_await create_one(pool, run, i);
  phase.leave();
}

asio::awaitable<void> open_loop(LeanPool& pool, Run& run, LoadPhase& phase, Clock::time_point end, double rate) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto start = Clock::now();
  for (uint64_t i = 0;; ++i) {
    auto at = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(i) / rate));
    if (at >= end) break;
    t.expires_at(at);
    co_await t.async_wait(asio::use_awaitable);
    phase.enter();
    asio::co_spawn(t.get_executor(), open_one(pool, run, phase, 50'000'000 + static_cast<int>(i)), asio::detached);
  }
  phase.leave();
}

nlohmann::json stats(asio::io_context& io, std::shared_ptr<Client> c) { return get_stats(io, c); }

uint64_t finished(const nlohmann::json& s) {
  if (!s.is_object()) return 0;
  return s["recharges"].value("finished_total", uint64_t{0});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: recharge_bench ORDERD_EXE [seconds] [connections]\n");
    return 2;
  }
  const std::string exe = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const int conns = argc > 3 ? std::atoi(argv[3]) : 64;
  Server srv = start_server(exe);
  asio::io_context io;
  auto client = *Client::create(io.get_executor(), srv.base, static_cast<size_t>(conns) + 8);
  wait_up(io, client);

  // Phase 1: maximum rate, closed loop, then wait for every order to succeed.
  Run max_run;
  LeanPool pool{io.get_executor(), srv.port, {}, {}};
  const uint64_t before = finished(stats(io, client));
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::seconds(seconds);
  LoadPhase max_phase(io, pool, end);
  for (int w = 0; w < conns; ++w) {
    max_phase.enter();
    asio::co_spawn(io, closed_loop(pool, max_run, max_phase, end, w), asio::detached);
  }
  io.restart();
  io.run();
  const double create_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const uint64_t created = max_run.created.load();
  auto wait_end = Clock::now() + std::chrono::seconds(60);
  uint64_t done = 0;
  while ((done = finished(stats(io, client)) - before) < created && Clock::now() < wait_end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double e2e_rate = static_cast<double>(done) / e2e_s;
  const double create_rate = static_cast<double>(created) / create_s;

  // Phase 2: half the maximum create rate, open loop.
  Run half_run;
  // ORDERD_BENCH_OPEN_RATE=N replaces half the maximum by a fixed rate, so
  // two builds can be compared under the same offered load.
  const char* fixed_rate = std::getenv("ORDERD_BENCH_OPEN_RATE");
  const double half = fixed_rate && std::atof(fixed_rate) > 0 ? std::atof(fixed_rate) : create_rate / 2;
  auto end2 = Clock::now() + std::chrono::seconds(seconds);
  LoadPhase half_phase(io, pool, end2);
  half_phase.enter();
  asio::co_spawn(io, open_loop(pool, half_run, half_phase, end2, half), asio::detached);
  io.restart();
  io.run();

  stop_server(srv);
  if (const char* dump = std::getenv("ORDERD_BENCH_LATENCY_DUMP")) {
    if (FILE* f = std::fopen(dump, "w")) {
      for (auto [t, ms] : half_run.timeline) std::fprintf(f, "%.6f %.3f\n", t, ms);
      std::fclose(f);
    }
  }
  std::printf("%-44s %12s\n", "recharge flow (orderd, sim latency 0, fsync on)", "value");
  std::printf("%-44s %12.0f\n", "creates/s (closed loop, max)", create_rate);
  std::printf("%-44s %12.0f\n", "orders/s created -> succeeded (end to end)", e2e_rate);
  std::printf("%-44s %12llu\n", "orders completed", static_cast<unsigned long long>(done));
  std::printf("%-44s %12.2f\n", "create p50 ms at max rate", pct(max_run.lat_ms, 0.50));
  std::printf("%-44s %12.2f\n", "create p99 ms at max rate", pct(max_run.lat_ms, 0.99));
  std::printf("%-44s %12.0f\n", "half rate (creates/s)", half);
  std::printf("%-44s %12.2f\n", "create p50 ms at half rate", pct(half_run.lat_ms, 0.50));
  std::printf("%-44s %12.2f\n", "create p99 ms at half rate", pct(half_run.lat_ms, 0.99));
  std::printf("%-44s %12llu\n", "errors", static_cast<unsigned long long>(max_run.errors + half_run.errors));
  std::printf("recharge_orders_per_s=%.0f recharge_creates_per_s=%.0f create_p50_ms_max=%.2f create_p99_ms_max=%.2f "
              "create_p50_ms_half=%.2f create_p99_ms_half=%.2f recharge_errors=%llu\n",
              e2e_rate, create_rate, pct(max_run.lat_ms, 0.50), pct(max_run.lat_ms, 0.99), pct(half_run.lat_ms, 0.50),
              pct(half_run.lat_ms, 0.99), static_cast<unsigned long long>(max_run.errors + half_run.errors));
  return done == created ? 0 : 1;
}
