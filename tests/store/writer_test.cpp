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
#include "store_test_util.h"

using namespace orderd;
using namespace orderd::store;
using namespace std::chrono_literals;

using namespace orderd::store::testing;

TEST_CASE("writer: concurrent submitters; every completion runs once, after commit, in grouped batches",
          "[store]") {
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
  TempDir tmp("orderd_writer_test");
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
