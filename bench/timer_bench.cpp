// timer_bench.cpp — timer figures for `orderd_bench` (src/timer/timers.h):
//   (e) insert+cancel  TimerStore::schedule of a new timer plus cancel of an
//                      older one: in fsynced batches of 1,000 (direct
//                      WriteTxn), and through the Writer with 64 clients
//   (f) memory/ready   0, 1M and 10M pending far timers (due in hours): a
//                      fresh process opens the env, starts TimerService and
//                      waits for ready(); it reports start-to-ready time,
//                      RssAnon and VmRSS. Far timers stay on disk, so RssAnon
//                      must stay flat as the count grows.
// ORDERD_BENCH_TIMERS (default 10,000,000) sets the big count;
// ORDERD_BENCH_TIMER_INSERT_S (default 300) bounds the time spent inserting.
//
// Thread model: main's thread, plus the Writer and client threads in (e);
// (f) measures in a child process (orderd_bench --timer-ready DIR) so that
// nothing left over from earlier sections counts in its memory.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <map>
#include <semaphore>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "app/timer_dispatch.h"
#include "store/writer.h"
#include "timer/timers.h"

using namespace orderd;
using namespace orderd::bench;

namespace {

constexpr uint64_t kTimerMapSize = 64ull << 30;
constexpr size_t kInsertBatch = 100'000;

std::shared_ptr<store::Env> open_env(const std::string& dir) {
  store::EnvOptions opts;
  opts.dir = dir;
  opts.map_size = kTimerMapSize;
  auto env = store::Env::open(opts);
  if (!env) throw std::runtime_error(env.error().message);
  return env.value();
}

std::string deadline_key(uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "rc_deadline/rc_%016llx", static_cast<unsigned long long>(n));
  return buf;
}

void require(const Status& st, const char* what) {
  if (!st) throw std::runtime_error(std::string(what) + ": " + st.error().message);
}
template <class T>
void require(const Result<T>& r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
}

// (e) direct: each fsynced txn schedules 1,000 timers and cancels the previous 1,000.
double insert_cancel_direct(double seconds) {
  TempDir dir("timer_ic");
  auto env = open_env(dir.path);
  timer::TimerStore timers;
  const TimeMs now = SystemClock::instance().now_ms();
  uint64_t next_id = static_cast<uint64_t>(now) << 16, n = 0, pairs = 0;
  const auto start = SteadyClock::now();
  while (seconds_since(start) < seconds) {
    store::WriteTxn txn(*env, nullptr);
    txn.set_id_source([&] { return ++next_id; });
    for (size_t i = 0; i < 1000; ++i, ++n) {
      require(timers.schedule(txn, now + 600'000 + static_cast<TimeMs>(n), "rc_deadline", deadline_key(n)), "schedule");
      if (n >= 1000) {
        auto cancelled = timers.cancel(txn, deadline_key(n - 1000));
        require(cancelled, "cancel");
        if (!cancelled.value()) throw std::runtime_error("cancel found no timer");
        ++pairs;
      }
    }
    require(txn.commit(), "commit");
  }
  return static_cast<double>(pairs) / seconds_since(start);
}

// (e) through the Writer: 64 closed-loop clients, each mutation schedules one
// timer and cancels the one this client scheduled before.
double insert_cancel_writer(double seconds, int clients) {
  TempDir dir("timer_ic_writer");
  auto env = open_env(dir.path);
  store::Writer writer(env, SystemClock::instance());
  timer::TimerStore timers;
  const TimeMs now = SystemClock::instance().now_ms();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> pairs{0};
  auto client = [&](int c) {
    std::binary_semaphore done(0);
    for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      const uint64_t key_n = (static_cast<uint64_t>(c) << 40) | n;
      store::Mutation m;
      m.apply = [&, key_n, n](store::WriteTxn& txn) -> Status {
        auto id = timers.schedule(txn, now + 600'000, "rc_deadline", deadline_key(key_n));
        if (!id) return id.error();
        if (n == 0) return ok_status();
        auto cancelled = timers.cancel(txn, deadline_key(key_n - 1));
        if (!cancelled) return cancelled.error();
        return ok_status();
      };
      m.done = [&](const Status& st) {
        if (st) pairs.fetch_add(1, std::memory_order_relaxed);
        done.release();
      };
      while (!writer.submit(m)) std::this_thread::yield();
      done.acquire();
    }
  };
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return static_cast<double>(pairs.load()) / seconds_since(start);
}

// Inserts far timers [from, to) in fsynced batches of 100k until `deadline`.
// Returns the new total.
uint64_t insert_far_timers(const std::string& dir, uint64_t from, uint64_t to, SteadyClock::time_point deadline) {
  auto env = open_env(dir);
  timer::TimerStore timers;
  const TimeMs base = SystemClock::instance().now_ms() + 24 * 3600 * 1000;  // due from tomorrow on
  uint64_t next_id = (static_cast<uint64_t>(base) << 16) + from;
  uint64_t n = from;
  while (n < to && SteadyClock::now() < deadline) {
    store::WriteTxn txn(*env, nullptr);
    txn.set_id_source([&] { return ++next_id; });
    for (size_t i = 0; i < kInsertBatch && n < to; ++i, ++n)
      require(timers.schedule(txn, base + static_cast<TimeMs>(n * 7), "rc_deadline", deadline_key(n)), "schedule");
    require(txn.commit(), "commit");
  }
  return n;
}

// Runs `orderd_bench --timer-ready DIR` and parses its `key=value` line.
std::map<std::string, double> measure_ready(const std::string& dir) {
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) throw std::runtime_error("readlink /proc/self/exe failed");
  exe[len] = '\0';
  const std::string cmd = std::string("'") + exe + "' --timer-ready '" + dir + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) throw std::runtime_error("timer-ready child failed: " + out);
  std::map<std::string, double> kv;
  std::istringstream in(out);
  std::string item;
  while (in >> item)
    if (auto eq = item.find('='); eq != std::string::npos) kv[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
  return kv;
}

double pct_ms(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Burst {
  std::vector<double> fire_ms;    // due → the handler is called (the wheel's part)
  std::vector<double> commit_ms;  // due → the commit that consumed the timer (durable effect)
};

// Schedules `n` timers due together 3 s from now, then runs a TimerService
// whose batch handler does what `orderd serve` does (Writer mutations that
// take the timers, 256 per mutation), and returns each timer's lateness in ms,
// at the handler and at the commit.
Burst fire_burst(const std::string& dir, uint64_t n) {
  auto env = open_env(dir);
  const Clock& clock = SystemClock::instance();
  const TimeMs burst_due = clock.now_ms() + 3'000;
  {
    timer::TimerStore plain;
    uint64_t next_id = (static_cast<uint64_t>(burst_due) << 16) + 0x8000;
    for (uint64_t i = 0; i < n;) {
      store::WriteTxn txn(*env, nullptr);
      txn.set_id_source([&] { return ++next_id; });
      for (size_t k = 0; k < kInsertBatch && i < n; ++k, ++i)
        require(plain.schedule(txn, burst_due, "po_unpaid", "po_unpaid/burst_" + std::to_string(i)), "schedule burst");
      require(txn.commit(), "commit burst");
    }
  }
  store::Writer writer(env, clock);
  std::mutex mu;
  Burst out;
  out.fire_ms.reserve(n);
  out.commit_ms.reserve(n);
  std::atomic<uint64_t> fired{0};
  std::unique_ptr<timer::TimerStore> store;
  // As `orderd serve` fires: one handler call per pass, app::fire_in_chunks
  // (mutations of up to 256 timers each).
  using Due = timer::TimerService::Due;
  timer::TimerService service(
      env, clock,
      [&](const std::vector<Due>& due, std::function<void(const std::vector<uint64_t>&, bool)> done) {
        const TimeMs now = clock.now_ms();
        {
          std::lock_guard lock(mu);
          for (const auto& t : due) out.fire_ms.push_back(static_cast<double>(now - t.due_ms));
        }
        app::fire_in_chunks(
            writer, due,
            [&store](store::WriteTxn& txn, const Due& t) -> Status {
              auto r = store->take(txn, t.id, t.due_ms);
              return r ? ok_status() : Status(r.error());
            },
            [&, done](const std::vector<uint64_t>& ids, bool ok) {
              if (ok) {  // every burst timer has the same due time
                const double late_ms = static_cast<double>(clock.now_ms() - burst_due);
                std::lock_guard lock(mu);
                out.commit_ms.insert(out.commit_ms.end(), ids.size(), late_ms);
                fired += ids.size();
              }
              done(ids, ok);
            });
      },
      timer::TimerService::Options{});
  store = std::make_unique<timer::TimerStore>(&service);
  service.start();
  const auto start = SteadyClock::now();
  while (fired.load() < n && seconds_since(start) < 120) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  service.stop();
  writer.stop();
  std::lock_guard lock(mu);
  return out;
}

}  // namespace

namespace orderd::bench {

int timer_ready_child(const std::string& dir) {
  const auto start = SteadyClock::now();
  auto env = open_env(dir);
  timer::TimerService service(env, SystemClock::instance(),
                              [](uint64_t, TimeMs, std::function<void(bool)> done) { done(true); });
  service.start();
  while (!service.ready()) {
    if (seconds_since(start) > 600) throw std::runtime_error("TimerService not ready after 600 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double ready_ms = seconds_since(start) * 1000.0;
  const Memory mem = read_memory();
  const timer::TimerStats stats = service.stats();
  std::printf("ready_ms=%.1f rss_anon_kb=%llu vm_rss_kb=%llu pending=%llu in_wheel=%llu\n", ready_ms,
              static_cast<unsigned long long>(mem.rss_anon_kb), static_cast<unsigned long long>(mem.vm_rss_kb),
              static_cast<unsigned long long>(stats.pending_on_disk), static_cast<unsigned long long>(stats.in_wheel));
  service.stop();
  return 0;
}

void run_timer_sections(Figures& figures) {
  const double seconds = bench_seconds();
  const double direct = insert_cancel_direct(seconds);
  row("(e) timers", "schedule + cancel, 1,000 pairs per fsynced txn (TimerStore)", fmt("%.0f pairs/s", direct));
  figures.add("timer_insert_cancel_batched_per_s", direct);
  const double via_writer = insert_cancel_writer(seconds, 64);
  row("(e) timers", "schedule + cancel per mutation, 64 clients through Writer", fmt("%.0f pairs/s", via_writer));
  figures.add("timer_insert_cancel_writer_c64_per_s", via_writer);

  const uint64_t big = env_u64("ORDERD_BENCH_TIMERS", 10'000'000);
  const auto insert_deadline =
      SteadyClock::now() + std::chrono::seconds(env_u64("ORDERD_BENCH_TIMER_INSERT_S", 300));
  TempDir dir("timers_pending");
  uint64_t pending = 0;
  for (uint64_t target : {uint64_t{0}, std::min<uint64_t>(1'000'000, big), big}) {
    if (target < pending || (target == pending && pending != 0)) continue;
    const auto insert_start = SteadyClock::now();
    const uint64_t before = pending;
    pending = insert_far_timers(dir.path, pending, target, insert_deadline);
    const double insert_s = seconds_since(insert_start);
    if (pending > before) {
      const double rate = static_cast<double>(pending - before) / std::max(insert_s, 1e-9);
      row("(f) timers", "insert " + std::to_string(pending - before) + " far timers, 100k per fsynced txn",
          fmt("%.0f timers/s", rate));
      if (before == 0) figures.add("timer_insert_per_s", rate);
    }
    auto kv = measure_ready(dir.path);
    const std::string n = pending >= 1'000'000 ? std::to_string(pending / 1'000'000) + "M" : std::to_string(pending);
    row("(f) timers", n + " pending far timers: start-to-ready, RssAnon, VmRSS",
        fmt("ready %.0f ms", kv["ready_ms"]) + fmt("  RssAnon %.1f MiB", kv["rss_anon_kb"] / 1024) +
            fmt("  VmRSS %.1f MiB", kv["vm_rss_kb"] / 1024) + fmt("  (on disk %.0f,", kv["pending"]) +
            fmt(" in wheel %.0f)", kv["in_wheel"]));
    figures.add("timers_pending_" + n, static_cast<double>(pending));
    figures.add("timers_" + n + "_ready_ms", kv["ready_ms"]);
    figures.add("timers_" + n + "_rss_anon_kb", kv["rss_anon_kb"]);
    figures.add("timers_" + n + "_vm_rss_kb", kv["vm_rss_kb"]);
    if (pending < target) {
      row("(f) timers", "insert budget (ORDERD_BENCH_TIMER_INSERT_S) reached", std::to_string(pending) + " inserted");
      break;
    }
  }
  // (g) with all of those still pending, a burst comes due at one instant
  const uint64_t burst = env_u64("ORDERD_BENCH_BURST", 100'000);
  auto late = fire_burst(dir.path, burst);
  row("(g) timers", std::to_string(burst) + " timers due at one instant: firing lateness (handler called)",
      fmt("p50 %.1f ms", pct_ms(late.fire_ms, 0.5)) + fmt("  p99 %.1f ms", pct_ms(late.fire_ms, 0.99)) +
          fmt("  max %.1f ms", pct_ms(late.fire_ms, 1.0)) + "  (" + std::to_string(late.fire_ms.size()) + " fired)");
  row("(g) timers", "the same burst: due to the commit that consumed each timer",
      fmt("p50 %.1f ms", pct_ms(late.commit_ms, 0.5)) + fmt("  p99 %.1f ms", pct_ms(late.commit_ms, 0.99)) +
          fmt("  max %.1f ms", pct_ms(late.commit_ms, 1.0)));
  figures.add("timer_burst_p50_ms", pct_ms(late.fire_ms, 0.5));
  figures.add("timer_burst_p99_ms", pct_ms(late.fire_ms, 0.99));
  figures.add("timer_burst_commit_p50_ms", pct_ms(late.commit_ms, 0.5));
  figures.add("timer_burst_commit_p99_ms", pct_ms(late.commit_ms, 0.99));
}

}  // namespace orderd::bench
