// engine_bench.cpp — `orderd_bench`: how close the group-commit Writer comes
// to what LMDB itself can do, and the timer figures (timer_bench.cpp).
//
// Sections (each bounded by ORDERD_BENCH_SECONDS, default 2 s; data in temp
// dirs under /tmp, removed at the end):
//   (a) lmdb_limit   the same records (64-byte key, 200-byte value) written
//                    with the LMDB C API in batches of 1,000 per fsynced txn
//   (b) group commit N closed-loop client threads, each submitting one record
//                    per mutation through Writer and waiting for its completion
//                    (fsync on); ratio (b, 64 clients) / (a) is the headline;
//                    (a') is LMDB alone making the same commits as (b) (its
//                    average batch), so (b)/(a') is what the Writer itself costs
//   (c) naive        one record per fsynced commit, LMDB C API
//   (d) nested txn   the cost of the Writer's nested txn per mutation, CPU only
//                    (MDB_NOSYNC): batches of 64 with and without a child txn
//   (e) saturated    1,024 asynchronous clients (coroutines on one thread that
//                    co_await store::async_commit, as orderd's HTTP handlers
//                    do): the Writer's capacity when batches are full;
//                    (e)/(a) is group_commit_saturated_vs_lmdb_limit
// Output: a table, then one line of `key=value` figures.
//
// Thread model: main runs the sections one after another; (b) adds client
// threads and the Writer's thread, joined before the next section.
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench_util.h"
#include "store/async_commit.h"
#include "store/keys.h"
#include "store/writer.h"

using namespace orderd;
using namespace orderd::bench;

namespace {

constexpr size_t kKeyBytes = 64, kValueBytes = 200;
constexpr uint64_t kMapSize = 16ull << 30;

// Record n: big-endian n padded to 64 bytes; a fixed 200-byte value.
std::string record_key(uint64_t n) {
  std::string k = store::u64_key(n);
  k.resize(kKeyBytes, 'k');
  return k;
}
const std::string& record_value() {
  static const std::string v(kValueBytes, 'v');
  return v;
}

void check(int rc, const char* what) {
  if (rc) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
}

// A bare LMDB environment for sections (a), (c), (d).
struct RawEnv {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  RawEnv(const std::string& dir, bool no_sync) {
    check(mdb_env_create(&env), "mdb_env_create");
    check(mdb_env_set_mapsize(env, kMapSize), "mdb_env_set_mapsize");
    check(mdb_env_open(env, dir.c_str(), MDB_NOTLS | (no_sync ? MDB_NOSYNC : 0), 0640), "mdb_env_open");
    MDB_txn* txn;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  ~RawEnv() { mdb_env_close(env); }
  void put(MDB_txn* txn, uint64_t n) {
    std::string k = record_key(n);
    MDB_val key{k.size(), k.data()}, val{record_value().size(), const_cast<char*>(record_value().data())};
    check(mdb_put(txn, dbi, &key, &val, 0), "mdb_put");
  }
};

// Records/s writing `batch` records per txn for ~seconds; with `nested`, each
// record goes through its own child txn, as in the Writer.
double raw_lmdb_rate(const std::string& dir, size_t batch, double seconds, bool no_sync, bool nested) {
  RawEnv raw(dir, no_sync);
  uint64_t n = 0;
  const auto start = SteadyClock::now();
  while (seconds_since(start) < seconds) {
    MDB_txn* txn;
    check(mdb_txn_begin(raw.env, nullptr, 0, &txn), "mdb_txn_begin");
    for (size_t i = 0; i < batch; ++i, ++n) {
      if (!nested) {
        raw.put(txn, n);
        continue;
      }
      MDB_txn* child;
      check(mdb_txn_begin(raw.env, txn, 0, &child), "mdb_txn_begin (nested)");
      raw.put(child, n);
      check(mdb_txn_commit(child), "mdb_txn_commit (nested)");
    }
    check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  return static_cast<double>(n) / seconds_since(start);
}

struct GroupCommitResult {
  double per_second = 0;
  double avg_batch = 0;
  double p50_ms = 0, p99_ms = 0;
  double commit_ms = 0;  // the writer's time per batch: apply + commit (fsync)
  double cycle_ms = 0;   // wall time per batch
  uint64_t mutations = 0;
  uint64_t batches = 0;
  double commit_ms_total = 0;
  double elapsed_s = 0;
};

// The Writer's counters at one instant; a measurement is the difference of two.
struct WriterSnapshot {
  uint64_t mutations = 0, batches = 0, commit_us = 0;
  static WriterSnapshot of(const store::Writer& w) {
    return {w.stats().mutations, w.stats().batches, w.stats().commit_us_total};
  }
};

GroupCommitResult result_between(const WriterSnapshot& a, const WriterSnapshot& b, double elapsed,
                                 std::vector<double> latencies_ms) {
  GroupCommitResult r;
  r.mutations = b.mutations - a.mutations;
  r.batches = b.batches - a.batches;
  r.elapsed_s = elapsed;
  r.per_second = static_cast<double>(r.mutations) / elapsed;
  r.commit_ms_total = static_cast<double>(b.commit_us - a.commit_us) / 1000.0;
  const double batches = static_cast<double>(r.batches);
  r.avg_batch = r.batches ? static_cast<double>(r.mutations) / batches : 0;
  r.commit_ms = r.batches ? r.commit_ms_total / batches : 0;
  r.cycle_ms = r.batches ? elapsed * 1000.0 / batches : 0;
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    r.p50_ms = latencies_ms[latencies_ms.size() / 2];
    r.p99_ms = latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
  }
  return r;
}

// `clients` threads, closed loop: submit one record, wait for its completion, repeat.
GroupCommitResult group_commit(const std::string& dir, int clients, double seconds, bool no_sync = false) {
  store::EnvOptions opts;
  opts.dir = dir;
  opts.map_size = kMapSize;
  opts.no_sync = no_sync;
  auto env = store::Env::open(opts);
  if (!env) throw std::runtime_error(env.error().message);
  store::Writer writer(env.value(), SystemClock::instance());
  const MDB_dbi jobs = env.value()->table("jobs");
  std::atomic<uint64_t> next_record{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(clients);

  auto client = [&](int c) {
    std::binary_semaphore done(0);
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t n = next_record.fetch_add(1, std::memory_order_relaxed);
      store::Mutation m;
      m.apply = [n, jobs](store::WriteTxn& txn) { return txn.put(jobs, record_key(n), record_value()); };
      m.done = [&done](const Status& st) {
        if (!st) std::fprintf(stderr, "bench: mutation failed: %s\n", st.error().message.c_str());
        done.release();
      };
      const auto submitted = SteadyClock::now();
      while (!writer.submit(m)) std::this_thread::yield();
      done.acquire();
      latencies[c].push_back(seconds_since(submitted) * 1000.0);
    }
  };
  const WriterSnapshot before = WriterSnapshot::of(writer);
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = seconds_since(start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return result_between(before, WriterSnapshot::of(writer), elapsed, std::move(all));
}

// (e) `in_flight` asynchronous clients on one io_context thread, as orderd's
// HTTP coroutines are: each co_awaits store::async_commit of one record and
// submits the next as soon as it resumes. Enough of them keep every batch full,
// so this is the Writer's capacity (group commit at saturation), where (b) is
// bounded by its clients (Little's law).
GroupCommitResult group_commit_async(const std::string& dir, int in_flight, double seconds) {
  store::EnvOptions opts;
  opts.dir = dir;
  opts.map_size = kMapSize;
  auto env = store::Env::open(opts);
  if (!env) throw std::runtime_error(env.error().message);
  store::Writer writer(env.value(), SystemClock::instance());
  const MDB_dbi jobs = env.value()->table("jobs");
  boost::asio::io_context io(1);
  uint64_t next_record = 0, failed = 0;
  bool stop = false;
  std::vector<double> latencies;
  auto client = [&]() -> boost::asio::awaitable<void> {
    while (!stop) {
      const uint64_t n = next_record++;
      auto put = [n, jobs](store::WriteTxn& txn) -> Status { return txn.put(jobs, record_key(n), record_value()); };
      const auto submitted = SteadyClock::now();
      Status st = co_await store::async_commit<Ok>(writer, std::move(put));
      if (!st) {
        ++failed;  // kBusy: the queue is full; let the writer drain before the next try
        co_await boost::asio::post(io, boost::asio::use_awaitable);
        continue;
      }
      latencies.push_back(seconds_since(submitted) * 1000.0);
    }
  };
  const WriterSnapshot before = WriterSnapshot::of(writer);
  for (int c = 0; c < in_flight; ++c) boost::asio::co_spawn(io, client(), boost::asio::detached);
  const auto start = SteadyClock::now();
  WriterSnapshot after;
  double elapsed = 0;
  std::vector<double> measured;
  // The measurement ends on a timer (io.run_for would read the clock around
  // every handler); the coroutines still waiting then resume once and end.
  boost::asio::steady_timer end(io, std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds)));
  end.async_wait([&](const boost::system::error_code&) {
    after = WriterSnapshot::of(writer);
    elapsed = seconds_since(start);
    measured = latencies;
    stop = true;
  });
  io.run();
  if (failed) std::fprintf(stderr, "bench: %llu submits refused (queue full)\n", static_cast<unsigned long long>(failed));
  return result_between(before, after, elapsed, std::move(measured));
}

// Several measurements of one kind, summed over the rounds of headline().
struct Totals {
  double mutations = 0, seconds = 0, batches = 0, commit_ms = 0, p50_sum = 0, p99_max = 0;
  int rounds = 0;
  void add(const GroupCommitResult& r) {
    mutations += static_cast<double>(r.mutations);
    seconds += r.elapsed_s;
    batches += static_cast<double>(r.batches);
    commit_ms += r.commit_ms_total;
    p50_sum += r.p50_ms;
    p99_max = std::max(p99_max, r.p99_ms);
    ++rounds;
  }
  double per_second() const { return seconds > 0 ? mutations / seconds : 0; }
  double avg_batch() const { return batches > 0 ? mutations / batches : 0; }
  double commit_ms_per_batch() const { return batches > 0 ? commit_ms / batches : 0; }
  double p50_avg() const { return rounds > 0 ? p50_sum / rounds : 0; }
};

// (a) and (b) at 64 clients, interleaved in short slices so that both see the
// same disk: on a shared machine the fsync time drifts by several times
// within seconds, which would make a ratio of two separate runs meaningless.
void headline(Figures& figures, double seconds) {
  constexpr int kRounds = 4, kClients = 64, kInFlight = 1024;
  const double slice = seconds / 2;
  double lmdb_records = 0, lmdb_time = 0, same_records = 0, same_time = 0;
  Totals gc, sat;  // (b) and (e)
  for (int round = 0; round < kRounds; ++round) {
    {
      TempDir dir("lmdb_limit");
      lmdb_records += raw_lmdb_rate(dir.path, 1000, slice, /*no_sync=*/false, /*nested=*/false) * slice;
      lmdb_time += slice;
    }
    TempDir dir("group_commit");
    GroupCommitResult r = group_commit(dir.path, kClients, slice);
    gc.add(r);
    {
      // LMDB alone writing the same records in commits of the size the Writer made
      TempDir same("lmdb_same_batches");
      const int batch = std::max(1, static_cast<int>(r.avg_batch + 0.5));
      same_records += raw_lmdb_rate(same.path, batch, slice, /*no_sync=*/false, /*nested=*/false) * slice;
      same_time += slice;
    }
    {
      TempDir dir_sat("group_commit_saturated");
      sat.add(group_commit_async(dir_sat.path, kInFlight, slice));
    }
  }
  const double lmdb_limit = lmdb_records / lmdb_time, group = gc.per_second();
  const double avg_batch = gc.avg_batch();
  const double commit_ms = gc.commit_ms_per_batch();
  const double p99_max = gc.p99_max;
  const double txn_ms = lmdb_limit > 0 ? 1000.0 * 1000.0 / lmdb_limit : 0;
  // Little's law: at most kClients requests are in flight, each waits >= one commit.
  const double bound = commit_ms > 0 ? kClients * 1000.0 / commit_ms : 0;
  row("(a) lmdb", "64B key + 200B value, 1,000 per fsynced txn (C API)",
      fmt("%.0f records/s", lmdb_limit) + fmt("  (%.2f ms per txn)", txn_ms));
  row("(b) writer", "64 closed-loop clients, 1 record per mutation, fsync on",
      fmt("%.0f mutations/s", group) + fmt("  avg batch %.1f", avg_batch) + fmt("  commit %.2f ms", commit_ms) +
          fmt("  p50 %.2f ms", gc.p50_avg()) + fmt("  p99 %.2f ms", p99_max));
  row("(b)/(a)", "64 clients through Writer vs LMDB batched limit", fmt("%.3f", lmdb_limit > 0 ? group / lmdb_limit : 0));
  row("(b) bound", "Little's law: 64 in flight / writer commit time", fmt("%.0f mutations/s", bound) +
      fmt("  (b) reaches %.2f of it", bound > 0 ? group / bound : 0));
  const double same_limit = same_time > 0 ? same_records / same_time : 0;
  row("(a') lmdb", "the same records in commits of (b)'s average batch (C API)", fmt("%.0f records/s", same_limit));
  row("(b)/(a')", "Writer vs LMDB doing the same commits itself", fmt("%.3f", same_limit > 0 ? group / same_limit : 0));
  const double saturated = sat.per_second();
  row("(e) writer", "1,024 async clients (coroutines, one thread), fsync on",
      fmt("%.0f mutations/s", saturated) + fmt("  avg batch %.1f", sat.avg_batch()) + fmt("  p99 %.2f ms", sat.p99_max));
  row("(e)/(a)", "Writer at saturation vs LMDB batched limit", fmt("%.3f", lmdb_limit > 0 ? saturated / lmdb_limit : 0));
  figures.add("lmdb_limit_records_per_s", lmdb_limit);
  figures.add("lmdb_limit_txn_ms", txn_ms);
  figures.add("group_commit_per_s", group);
  figures.add("group_commit_avg_batch", avg_batch);
  figures.add("group_commit_commit_ms", commit_ms);
  figures.add("group_commit_p99_ms", p99_max);
  figures.add("group_commit_vs_lmdb_limit", lmdb_limit > 0 ? group / lmdb_limit : 0);
  figures.add("group_commit_vs_littles_bound", bound > 0 ? group / bound : 0);
  figures.add("lmdb_same_batches_records_per_s", same_limit);
  figures.add("group_commit_saturated_per_s", saturated);
  figures.add("group_commit_saturated_vs_lmdb_limit", lmdb_limit > 0 ? saturated / lmdb_limit : 0);
  figures.add("group_commit_vs_lmdb_same_batches", same_limit > 0 ? group / same_limit : 0);
}

void run_store_sections(Figures& figures) {
  const double seconds = bench_seconds();
  std::printf("%-14s %-58s %s\n", "section", "what", "figure");
  headline(figures, seconds);

  for (int clients : {1, 8, 256, 1024}) {
    TempDir dir("group_commit");
    GroupCommitResult r = group_commit(dir.path, clients, seconds / 2);
    row("(b) writer", std::to_string(clients) + " closed-loop clients, 1 record per mutation, fsync on",
        fmt("%.0f mutations/s", r.per_second) + fmt("  avg batch %.1f", r.avg_batch) +
            fmt("  commit %.2f ms", r.commit_ms) + fmt("  p50 %.2f ms", r.p50_ms) + fmt("  p99 %.2f ms", r.p99_ms));
    const std::string prefix = "group_commit_c" + std::to_string(clients);
    figures.add(prefix + "_per_s", r.per_second);
    figures.add(prefix + "_avg_batch", r.avg_batch);
  }

  double naive = 0;
  {
    TempDir dir("naive");
    naive = raw_lmdb_rate(dir.path, 1, seconds / 2, /*no_sync=*/false, /*nested=*/false);
  }
  row("(c) naive", "1 record per fsynced commit (C API)", fmt("%.0f commits/s", naive));
  figures.add("naive_commits_per_s", naive);

  double flat = 0, nested = 0, writer_cpu = 0;
  {
    TempDir dir("nested_flat");
    flat = raw_lmdb_rate(dir.path, 64, seconds / 2, /*no_sync=*/true, /*nested=*/false);
  }
  {
    TempDir dir("nested_child");
    nested = raw_lmdb_rate(dir.path, 64, seconds / 2, /*no_sync=*/true, /*nested=*/true);
  }
  {
    TempDir dir("writer_nosync");
    writer_cpu = group_commit(dir.path, 64, seconds / 2, /*no_sync=*/true).per_second;
  }
  row("(d) cpu", "batches of 64, MDB_NOSYNC, flat txn (C API)", fmt("%.0f records/s", flat));
  row("(d) cpu", "batches of 64, MDB_NOSYNC, child txn per record (C API)", fmt("%.0f records/s", nested));
  row("(d) cpu", "64 clients through Writer, MDB_NOSYNC", fmt("%.0f mutations/s", writer_cpu));
  figures.add("nosync_flat_records_per_s", flat);
  figures.add("nosync_nested_records_per_s", nested);
  figures.add("nosync_writer_c64_per_s", writer_cpu);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "--timer-ready") return timer_ready_child(argv[2]);
    if (argc >= 2 && std::string(argv[1]) == "--async-writer") {
      // --async-writer [in_flight]: section (e) alone
      const int in_flight = argc >= 3 ? std::atoi(argv[2]) : 1000;
      TempDir dir("async_writer");
      GroupCommitResult r = group_commit_async(dir.path, in_flight, bench_seconds());
      std::printf("mutations=%llu async_writer_per_s=%.0f avg_batch=%.1f p50_ms=%.3f p99_ms=%.3f commit_ms=%.3f cycle_ms=%.3f\n",
                  static_cast<unsigned long long>(r.mutations), r.per_second, r.avg_batch, r.p50_ms, r.p99_ms, r.commit_ms, r.cycle_ms);
      return 0;
    }
    if (argc >= 2 && std::string(argv[1]) == "--profile-writer") {
      // One section alone, for perf/callgrind: 64 clients through the Writer.
      // --profile-writer [clients] [nosync|fsync]
      const int clients = argc >= 3 ? std::atoi(argv[2]) : 64;
      const bool no_sync = argc < 4 || std::string(argv[3]) != "fsync";
      TempDir dir("profile_writer");
      GroupCommitResult r = group_commit(dir.path, clients, bench_seconds(), no_sync);
      std::printf("mutations=%llu profile_writer_per_s=%.0f avg_batch=%.1f p50_ms=%.3f p99_ms=%.3f commit_ms=%.3f cycle_ms=%.3f\n",
                  static_cast<unsigned long long>(r.mutations), r.per_second, r.avg_batch, r.p50_ms, r.p99_ms, r.commit_ms, r.cycle_ms);
      return 0;
    }
    const bool store_only = argc == 2 && std::string(argv[1]) == "--store-only";
    const bool timers_only = argc == 2 && std::string(argv[1]) == "--timers-only";
    Figures figures;
    if (!timers_only) run_store_sections(figures);
    if (!store_only) run_timer_sections(figures);
    std::printf("%s\n", figures.line().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orderd_bench: %s\n", e.what());
    return 1;
  }
}
