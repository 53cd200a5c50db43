// writer_test.cpp — the single writer thread with group commit
// (src/store/writer.*, async_commit.h): completions once and after commit,
// real grouping under concurrency, per-mutation rollback, after-commit
// actions, ids, backpressure and draining stop.
//
// Thread model: the test thread plus the Writer's thread, plus submitter
// threads where stated. Every wait is bounded (future::wait_for / deadline).
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store/async_commit.h"
#include "store/keys.h"
#include "store/writer.h"

using namespace orderd;
using namespace orderd::store;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 20s;  // generous bound; the tests finish in milliseconds

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/orderd_writer_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::shared_ptr<Env> open_env(const std::string& dir) {
  EnvOptions opts;
  opts.dir = dir;
  opts.map_size = 256ull << 20;
  auto env = Env::open(opts);
  REQUIRE(env.ok());
  return env.value();
}

// Submits one mutation and waits for its completion; returns its status.
Status run_sync(Writer& w, std::function<Status(WriteTxn&)> apply) {
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  REQUIRE(w.submit({std::move(apply), [done](const Status& st) { done->set_value(st); }}));
  REQUIRE(fut.wait_for(kWait) == std::future_status::ready);
  return fut.get();
}

// Holds the writer thread inside a mutation until open(), so that everything
// submitted meanwhile is waiting in the queue and lands in one batch.
class WriterGate {
 public:
  explicit WriterGate(Writer& w) : release_(release_promise_.get_future().share()) {
    auto entered = std::make_shared<std::promise<void>>();
    auto entered_fut = entered->get_future();
    auto release = release_;
    REQUIRE(w.submit({[entered, release](WriteTxn&) {
                        entered->set_value();
                        release.wait_for(kWait);
                        return ok_status();
                      },
                      nullptr}));
    REQUIRE(entered_fut.wait_for(kWait) == std::future_status::ready);
  }
  ~WriterGate() { open(); }
  void open() {
    if (!opened_) release_promise_.set_value();
    opened_ = true;
  }

 private:
  std::promise<void> release_promise_;
  std::shared_future<void> release_;
  bool opened_ = false;
};

bool wait_until(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("writer: concurrent submitters; every completion runs once, after commit, in grouped batches",
          "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  constexpr int kThreads = 8, kPerThread = 500, kTotal = kThreads * kPerThread;

  std::vector<std::atomic<int>> completions(kTotal);
  std::atomic<int> not_yet_visible{0}, failed{0}, done_total{0};
  std::vector<std::thread> threads;
  {
    // Hold the writer so the first submissions pile up: grouping is then
    // certain, not a matter of scheduling luck. Later ones race the writer.
    WriterGate gate(writer);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const uint64_t n = static_cast<uint64_t>(t * kPerThread + i);
          Mutation m;
          m.apply = [n, jobs](WriteTxn& txn) { return txn.put(jobs, u64_key(n), "payload"); };
          m.done = [&, n, jobs](const Status& st) {
            if (!st) failed++;
            completions[n]++;
            ReadTxn read(*env);  // the completion must see the committed write
            if (!read.get(jobs, u64_key(n))) not_yet_visible++;
            done_total++;
          };
          while (!writer.submit(std::move(m))) std::this_thread::yield();
        }
      });
      if (t == kThreads / 2) {
        for (auto& th : threads) th.join();
        threads.clear();
        gate.open();
      }
    }
    for (auto& th : threads) th.join();
  }
  REQUIRE(wait_until([&] { return done_total.load() == kTotal; }));
  for (int n = 0; n < kTotal; ++n) REQUIRE(completions[n].load() == 1);
  CHECK(failed.load() == 0);
  CHECK(not_yet_visible.load() == 0);
  CHECK(ReadTxn(*env).count(jobs) == kTotal);

  const auto& stats = writer.stats();
  CHECK(stats.mutations.load() == kTotal + 1);  // + the gate
  CHECK(stats.batches.load() < stats.mutations.load() / 10);
  CHECK(stats.max_batch_size.load() >= (kThreads / 2 + 1) * kPerThread);
  CHECK(stats.failed_batches.load() == 0);
  CHECK(stats.nested_redos.load() == 0);  // nothing failed: every batch committed flat
}

TEST_CASE("writer: an erroring or throwing mutation is rolled back alone; its batch commits", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  {
    WriteTxn seed(*env, nullptr);
    REQUIRE(seed.put(jobs, "existing", "old").ok());
    REQUIRE(seed.commit().ok());
  }

  std::vector<std::promise<Status>> results(5);
  std::vector<std::future<Status>> futures;
  for (auto& p : results) futures.push_back(p.get_future());
  auto done_for = [&](int i) { return [&, i](const Status& st) { results[i].set_value(st); }; };
  const uint64_t batches_before = writer.stats().batches.load();
  {
    WriterGate gate(writer);
    REQUIRE(writer.submit({[&](WriteTxn& t) { return t.put(jobs, "a", "1"); }, done_for(0)}));
    REQUIRE(writer.submit({[&](WriteTxn& t) -> Status {
                             if (Status st = t.put(jobs, "b", "2"); !st) return st;
                             return Error::make(ErrorCode::kConflict, "refused by the mutation");
                           },
                           done_for(1)}));
    REQUIRE(writer.submit({[&](WriteTxn& t) -> Status {
                             if (Status st = t.put(jobs, "c", "3"); !st) return st;
                             throw std::runtime_error("boom");
                           },
                           done_for(2)}));
    // Writes failed (duplicate key) but the mutation returns ok: still rolled back.
    REQUIRE(writer.submit({[&](WriteTxn& t) -> Status {
                             if (Status st = t.put(jobs, "d", "4"); !st) return st;
                             (void)t.put(jobs, "existing", "new", MDB_NOOVERWRITE);
                             return ok_status();
                           },
                           done_for(3)}));
    REQUIRE(writer.submit({[&](WriteTxn& t) { return t.put(jobs, "e", "5"); }, done_for(4)}));
  }
  for (auto& f : futures) REQUIRE(f.wait_for(kWait) == std::future_status::ready);
  CHECK(writer.stats().batches.load() == batches_before + 2);  // the gate's batch, then all five

  CHECK(futures[0].get().ok());
  Status refused = futures[1].get();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kConflict);
  Status threw = futures[2].get();
  REQUIRE_FALSE(threw.ok());
  CHECK(threw.error().code == ErrorCode::kInternal);
  CHECK(threw.error().message.find("boom") != std::string::npos);
  CHECK_FALSE(futures[3].get().ok());
  CHECK(futures[4].get().ok());

  ReadTxn read(*env);
  CHECK(read.get(jobs, "a").has_value());
  CHECK_FALSE(read.get(jobs, "b").has_value());
  CHECK_FALSE(read.get(jobs, "c").has_value());
  CHECK_FALSE(read.get(jobs, "d").has_value());
  CHECK(read.get(jobs, "existing") == std::optional<std::string_view>("old"));
  CHECK(read.get(jobs, "e").has_value());
}

TEST_CASE("writer: after_commit actions run only for committed mutations, before the completion",
          "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  std::mutex mu;
  std::vector<std::string> events;  // written on the writer thread only, read after the futures
  auto log = [&](std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  };

  std::promise<void> ok_done, err_done;
  {
    WriterGate gate(writer);
    REQUIRE(writer.submit({[&](WriteTxn& t) {
                             t.after_commit([&] {
                               ReadTxn read(*env);
                               log(read.get(jobs, "ok") ? "action ok (visible)" : "action ok (NOT visible)");
                             });
                             return t.put(jobs, "ok", "1");
                           },
                           [&](const Status& st) {
                             log(st ? "done ok" : "done ok failed");
                             ok_done.set_value();
                           }}));
    REQUIRE(writer.submit({[&](WriteTxn& t) -> Status {
                             t.after_commit([&] { log("action of rolled-back mutation"); });
                             return Error::make(ErrorCode::kInvalid, "no");
                           },
                           [&](const Status& st) {
                             log(st ? "done err succeeded" : "done err");
                             err_done.set_value();
                           }}));
  }
  REQUIRE(ok_done.get_future().wait_for(kWait) == std::future_status::ready);
  REQUIRE(err_done.get_future().wait_for(kWait) == std::future_status::ready);
  std::lock_guard lock(mu);
  CHECK(events == std::vector<std::string>{"action ok (visible)", "done ok", "done err"});
}

TEST_CASE("writer: ids are unique and increasing, also across a reopen with the clock behind", "[store]") {
  TempDir tmp;
  FakeClock clock(1'700'000'000'000);
  std::vector<uint64_t> ids;
  auto take_ids = [&](Writer& w, int n) {
    for (int i = 0; i < n; ++i) {
      uint64_t a = 0, b = 0;
      REQUIRE(run_sync(w, [&](WriteTxn& t) {
                a = t.next_id();
                b = t.next_id();
                return ok_status();
              }).ok());
      ids.push_back(a);
      ids.push_back(b);
    }
  };
  {
    auto env = open_env(tmp.path);
    Writer writer(env, clock);
    take_ids(writer, 20);
    // An id taken by a rolled-back mutation is never handed out again.
    uint64_t burned = 0;
    CHECK_FALSE(run_sync(writer, [&](WriteTxn& t) -> Status {
                  burned = t.next_id();
                  return Error::make(ErrorCode::kConflict, "rolled back");
                }).ok());
    ids.push_back(burned);
    take_ids(writer, 5);
  }
  CHECK(ids.front() >= static_cast<uint64_t>(clock.now_ms()) << 16);  // time-ordered
  clock.advance(-3'600'000);  // the wall clock stepped back an hour across the restart
  {
    auto env = open_env(tmp.path);
    Writer writer(env, clock);
    take_ids(writer, 20);
  }
  for (size_t i = 1; i < ids.size(); ++i) REQUIRE(ids[i] > ids[i - 1]);
  CHECK(std::set<uint64_t>(ids.begin(), ids.end()).size() == ids.size());
}

TEST_CASE("writer: submit beyond max_pending returns false and does not run the mutation", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock, /*max_pending=*/4);
  std::atomic<int> ran{0}, done{0};
  auto counted = [&] { return Mutation{[&](WriteTxn&) { ran++; return ok_status(); }, [&](const Status&) { done++; }}; };
  {
    WriterGate gate(writer);  // the gate is taken off the queue: 4 slots are free
    for (int i = 0; i < 4; ++i) CHECK(writer.submit(counted()));
    CHECK(writer.pending() == 4);
    CHECK_FALSE(writer.submit(counted()));
    CHECK_FALSE(writer.submit(counted()));
  }
  REQUIRE(wait_until([&] { return done.load() == 4; }));
  CHECK(ran.load() == 4);
  CHECK(writer.submit(counted()));  // room again
  REQUIRE(wait_until([&] { return done.load() == 5; }));
}

TEST_CASE("writer: stop() drains everything already submitted, then refuses", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  std::atomic<int> accepted{0}, done_ok{0};
  auto put_n = [&](uint64_t n) {
    return Mutation{[&, n](WriteTxn& t) { return t.put(jobs, u64_key(n), "v"); },
                    [&](const Status& st) {
                      if (st) done_ok++;
                    }};
  };
  std::thread stopper;
  {
    WriterGate gate(writer);
    for (uint64_t n = 0; n < 100; ++n) REQUIRE(writer.submit(put_n(n)));
    accepted = 100;
    stopper = std::thread([&] { writer.stop(); });
    // Probe until stop() has taken effect; accepted probes must complete too.
    uint64_t n = 100;
    REQUIRE(wait_until([&] {
      if (!writer.submit(put_n(n))) return true;
      accepted++;
      n++;
      return false;
    }));
  }  // gate opens: the writer drains the queue and exits
  stopper.join();
  CHECK(done_ok.load() == accepted.load());
  CHECK(ReadTxn(*env).count(jobs) == static_cast<uint64_t>(accepted.load()));
  CHECK(writer.pending() == 0);
  CHECK_FALSE(writer.submit(put_n(999)));
  writer.stop();  // idempotent
}

TEST_CASE("writer: a completion may call stop() on the writer thread", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  auto writer = std::make_unique<Writer>(env, clock);
  REQUIRE(run_sync(*writer, [](WriteTxn&) { return ok_status(); }).ok());
  std::promise<void> stopped;
  REQUIRE(writer->submit({[](WriteTxn&) { return ok_status(); }, [&](const Status&) {
                            writer->stop();
                            stopped.set_value();
                          }}));
  REQUIRE(stopped.get_future().wait_for(kWait) == std::future_status::ready);
  CHECK_FALSE(writer->submit({[](WriteTxn&) { return ok_status(); }, nullptr}));
  writer.reset();  // joins from the test thread
}

TEST_CASE("writer: async_commit resumes the coroutine with the mutation's result", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  boost::asio::io_context io;
  std::optional<Result<uint64_t>> good, bad;
  std::thread::id resumed_on;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        good = co_await async_commit<uint64_t>(writer, [&](WriteTxn& t) -> Result<uint64_t> {
          uint64_t id = t.next_id();
          Status st = t.put(jobs, u64_key(id), "v");
          if (!st) return st.error();
          return id;
        });
        resumed_on = std::this_thread::get_id();
        bad = co_await async_commit<uint64_t>(
            writer, [&](WriteTxn& t) -> Result<uint64_t> { return Error::make(ErrorCode::kNotFound, "no sku"); });
      },
      boost::asio::detached);
  io.run_for(kWait);
  REQUIRE(good.has_value());
  REQUIRE(good->ok());
  CHECK(resumed_on == std::this_thread::get_id());  // back on the io_context's thread
  CHECK(ReadTxn(*env).get(jobs, u64_key(good->value())).has_value());
  REQUIRE(bad.has_value());
  REQUIRE_FALSE(bad->ok());
  CHECK(bad->error().code == ErrorCode::kNotFound);
}

TEST_CASE("writer: a throwing completion or action does not end the writer thread", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  std::promise<void> second_done;
  {
    WriterGate gate(writer);
    REQUIRE(writer.submit({[](WriteTxn& t) {
                             t.after_commit([] { throw std::runtime_error("action boom"); });
                             return ok_status();
                           },
                           [](const Status&) { throw std::runtime_error("completion boom"); }}));
    REQUIRE(writer.submit({[](WriteTxn&) { return ok_status(); }, [&](const Status&) { second_done.set_value(); }}));
  }
  REQUIRE(second_done.get_future().wait_for(kWait) == std::future_status::ready);
  CHECK(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());  // still serving
}

TEST_CASE("writer: a failing mutation makes its batch redo nested once; later batches go flat again", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  const MDB_dbi jobs = env->table("jobs");
  // A batch of three: ok, writes-then-fails, ok. Returns the statuses.
  auto mixed_batch = [&](const std::string& tag) {
    std::vector<std::promise<Status>> promises(3);
    std::vector<std::future<Status>> futures;
    for (auto& p : promises) futures.push_back(p.get_future());
    {
      WriterGate gate(writer);
      for (int i = 0; i < 3; ++i)
        REQUIRE(writer.submit({[&, i](WriteTxn& t) -> Status {
                                 if (Status st = t.put(jobs, tag + std::to_string(i), "v"); !st) return st;
                                 if (i == 1) return Error::make(ErrorCode::kConflict, "no");
                                 return ok_status();
                               },
                               [&promises, i](const Status& st) { promises[i].set_value(st); }}));
    }
    std::vector<Status> out;
    for (auto& f : futures) {
      REQUIRE(f.wait_for(kWait) == std::future_status::ready);
      out.push_back(f.get());
    }
    return out;
  };
  auto check_mixed = [&](const std::vector<Status>& st, const std::string& tag) {
    CHECK(st[0].ok());
    CHECK_FALSE(st[1].ok());
    CHECK(st[2].ok());
    ReadTxn read(*env);
    CHECK(read.get(jobs, tag + "0").has_value());
    CHECK_FALSE(read.get(jobs, tag + "1").has_value());
    CHECK(read.get(jobs, tag + "2").has_value());
  };

  CHECK(run_sync(writer, [&](WriteTxn& t) { return t.put(jobs, "flat", "v"); }).ok());
  CHECK(writer.stats().nested_redos.load() == 0);  // all-succeed batches stay flat

  check_mixed(mixed_batch("a"), "a");
  CHECK(writer.stats().nested_redos.load() == 1);
  check_mixed(mixed_batch("b"), "b");  // right after a redo: nested directly, no second try
  CHECK(writer.stats().nested_redos.load() == 1);

  // A lone failing mutation needs no redo: its error is the answer.
  CHECK_FALSE(run_sync(writer, [&](WriteTxn& t) -> Status {
                (void)t.put(jobs, "lone", "v");
                return Error::make(ErrorCode::kInvalid, "no");
              }).ok());
  CHECK_FALSE(ReadTxn(*env).get(jobs, "lone").has_value());

  for (int i = 0; i < 20; ++i) REQUIRE(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());
  check_mixed(mixed_batch("c"), "c");  // back to flat: tried flat, redone nested
  CHECK(writer.stats().nested_redos.load() == 2);
}

TEST_CASE("writer: the next batch lingers only after a multi-mutation batch, and briefly", "[store]") {
  TempDir tmp;
  auto env = open_env(tmp.path);
  FakeClock clock;
  Writer writer(env, clock);
  REQUIRE(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());
  REQUIRE(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());
  CHECK(writer.stats().linger_us_total.load() == 0);  // single-mutation batches never wait

  std::atomic<int> done{0};
  {
    WriterGate gate(writer);
    for (int i = 0; i < 10; ++i)
      REQUIRE(writer.submit({[](WriteTxn&) { return ok_status(); }, [&](const Status&) { done++; }}));
  }
  REQUIRE(wait_until([&] { return done.load() == 10; }));
  // One caller comes back, the other nine do not: the batch start waits for
  // them, but at most a quarter of the last commit time, capped at 500 µs.
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());
  const auto waited = std::chrono::steady_clock::now() - start;
  const uint64_t lingered_us = writer.stats().linger_us_total.load();
  CHECK(lingered_us > 0);
  CHECK(lingered_us < 20'000);  // 500 µs cap, plus scheduling slack on a loaded machine
  CHECK(waited < 2s);
  REQUIRE(run_sync(writer, [](WriteTxn&) { return ok_status(); }).ok());
  CHECK(writer.stats().linger_us_total.load() == lingered_us);  // after a batch of one: no wait
}
