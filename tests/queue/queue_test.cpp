// Durable queue: enqueue/ack in txns, back-off schedule, dead letters and
// replay, lease expiry redelivery, and the worker Runner end to end.
#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "../store/store_test_util.h"
#include "queue/jobs.h"
#include "queue/runner.h"
#include "store/writer.h"
#include "timer/timers.h"

using namespace orderd;
using namespace orderd::queue;

namespace {

struct Fixture {
  store::testing::TempDir dir{"orderd_queue_test"};
  FakeClock clock;
  std::shared_ptr<store::Env> env = *store::Env::open({dir.path, 64ull << 20, false, false});
  store::Writer writer{env, clock};
  timer::TimerStore timers{nullptr};
  ReadyQueue ready;
  JobStore jobs{timers, &ready};

  template <class F>
  Status commit(F fn) {
    std::promise<Status> done;
    store::Mutation m;
    m.apply = fn;
    m.done = [&](const Status& st) { done.set_value(st); };
    REQUIRE(writer.submit(std::move(m)));
    return done.get_future().get();
  }
};

}  // namespace

TEST_CASE("enqueue now makes the job ready after commit; ack deletes it", "[queue]") {
  Fixture f;
  uint64_t id = 0;
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    auto r = f.jobs.enqueue(txn, "t", "order-1", {{"x", 1}}, f.clock.now_ms(), f.clock.now_ms());
    if (!r) return r.error();
    id = *r;
    return ok_status();
  }).ok());
  CHECK(f.ready.ready_count() == 1);
  auto taken = f.ready.take(f.clock.now_ms() + 1000);
  REQUIRE(taken);
  CHECK(*taken == id);
  {
    store::ReadTxn txn(*f.env);
    auto job = JobStore::get(txn, id);
    REQUIRE(job);
    CHECK(job->type == "t");
    CHECK(job->key == "order-1");
    CHECK(job->payload["x"] == 1);
  }
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    auto a = f.jobs.ack(txn, id);
    return a ? ok_status() : Status(a.error());
  }).ok());
  store::ReadTxn txn(*f.env);
  CHECK_FALSE(JobStore::get(txn, id));
}

TEST_CASE("a job for later waits as a durable timer, not in the ready list", "[queue]") {
  Fixture f;
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    auto r = f.jobs.enqueue(txn, "t", "k", {}, f.clock.now_ms() + 5000, f.clock.now_ms());
    return r ? ok_status() : Status(r.error());
  }).ok());
  CHECK(f.ready.ready_count() == 0);
  store::ReadTxn txn(*f.env);
  auto ids = JobStore::runnable(txn, f.clock.now_ms());
  CHECK(ids.empty());
  CHECK(JobStore::runnable(txn, f.clock.now_ms() + 5000).size() == 1);
  CHECK(timer::TimerStore::find(txn, job_timer_key(JobStore::runnable(txn, f.clock.now_ms() + 5000)[0])));
}

TEST_CASE("retries back off exponentially, then the job is dead-lettered, then replayed", "[queue]") {
  Fixture f;
  RetryPolicy policy{4, 1000, 60'000};
  uint64_t id = 0;
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    auto r = f.jobs.enqueue(txn, "t", "k", {}, f.clock.now_ms(), f.clock.now_ms());
    id = *r;
    return ok_status();
  }).ok());
  std::vector<DurationMs> waits;
  for (int run = 1; run <= 4; ++run) {
    bool dead = false;
    REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
      auto job = JobStore::get(txn, id);
      REQUIRE(job);
      auto r = f.jobs.fail(txn, *job, "boom " + std::to_string(run), true, policy, f.clock.now_ms(), 0);
      dead = *r;
      return ok_status();
    }).ok());
    store::ReadTxn txn(*f.env);
    if (run < 4) {
      CHECK_FALSE(dead);
      auto job = JobStore::get(txn, id);
      REQUIRE(job);
      CHECK(job->attempt == run);
      waits.push_back(job->not_before - f.clock.now_ms());
      f.clock.set(job->not_before);
    } else {
      CHECK(dead);
      CHECK_FALSE(JobStore::get(txn, id));
      auto d = JobStore::get_dead(txn, id);
      REQUIRE(d);
      CHECK(d->reason.find("boom 4") != std::string::npos);
      CHECK(d->job.attempt == 4);
    }
  }
  REQUIRE(waits.size() == 3);
  CHECK(waits[0] == 800);   // random 0 → jitter factor 0.8
  CHECK(waits[1] == 1600);
  CHECK(waits[2] == 3200);
  f.ready.take(f.clock.now_ms() + 1000);  // drain the first ready push
  f.ready.release(id);
  REQUIRE(f.commit([&](store::WriteTxn& txn) { return f.jobs.replay(txn, id, f.clock.now_ms()); }).ok());
  store::ReadTxn txn(*f.env);
  auto job = JobStore::get(txn, id);
  REQUIRE(job);
  CHECK(job->attempt == 0);
  CHECK_FALSE(JobStore::get_dead(txn, id));
  CHECK(f.ready.ready_count() == 1);
}

TEST_CASE("a non-retryable failure goes straight to dead letters", "[queue]") {
  Fixture f;
  uint64_t id = 0;
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    id = *f.jobs.enqueue(txn, "t", "k", {}, f.clock.now_ms(), f.clock.now_ms());
    return ok_status();
  }).ok());
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    auto r = f.jobs.fail(txn, *JobStore::get(txn, id), "refused", false, RetryPolicy{}, f.clock.now_ms(), 0);
    CHECK(*r);
    return ok_status();
  }).ok());
  store::ReadTxn txn(*f.env);
  CHECK(JobStore::list_dead(txn, 10, 0).size() == 1);
  CHECK(f.commit([&](store::WriteTxn& t) { return f.jobs.remove_dead(t, id); }).ok());
  CHECK_FALSE(f.commit([&](store::WriteTxn& t) { return f.jobs.remove_dead(t, id); }).ok());
}

TEST_CASE("ready list: each id once; expired leases are redelivered", "[queue]") {
  ReadyQueue q;
  CHECK(q.push(1));
  CHECK_FALSE(q.push(1));
  auto a = q.take(100);
  REQUIRE(a);
  CHECK_FALSE(q.push(1));  // leased: still present
  CHECK(q.expire_leases(99) == 0);
  CHECK(q.expire_leases(100) == 1);
  CHECK(q.ready_count() == 1);
  auto b = q.take(200);
  REQUIRE(b);
  CHECK(*b == 1);
  q.release(1);
  CHECK(q.push(1));
}

TEST_CASE("runner: handlers run on workers; effect and ack commit together, once", "[queue]") {
  Fixture f;
  boost::asio::io_context io;
  Runner runner(io, f.writer, f.jobs, f.ready, f.clock, 4, 1, 60'000);
  std::atomic<int> runs{0};
  runner.register_handler("count", [&](Job job) -> boost::asio::awaitable<JobResult> {
    runs++;
    JobResult r;
    r.apply = [](store::WriteTxn& txn, const Job& j) -> Status {
      return txn.put(txn.table("meta"), "effect/" + j.key, "done");
    };
    co_return r;
  }, RetryPolicy{});
  runner.register_handler("fail", [&](Job) -> boost::asio::awaitable<JobResult> {
    co_return JobResult{JobResult::kDead, "no good", nullptr};
  }, RetryPolicy{});
  const int n = 50;
  REQUIRE(f.commit([&](store::WriteTxn& txn) -> Status {
    for (int i = 0; i < n; ++i) (void)f.jobs.enqueue(txn, "count", "k" + std::to_string(i), {}, 0, f.clock.now_ms());
    (void)f.jobs.enqueue(txn, "fail", "bad", {}, 0, f.clock.now_ms());
    return ok_status();
  }).ok());
  runner.start();
  std::thread t([&] { io.run_for(std::chrono::seconds(10)); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto finished = [&] { return runner.stats().done.load() == n && runner.stats().dead.load() == 1; };
  while (!finished() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  runner.stop();
  io.stop();
  t.join();
  REQUIRE(finished());
  CHECK(runs.load() == n);
  store::ReadTxn txn(*f.env);
  CHECK(txn.count(txn.table("jobs")) == 0);
  CHECK(txn.count(txn.table("dead")) == 1);
  for (int i = 0; i < n; ++i) CHECK(txn.get(txn.table("meta"), "effect/k" + std::to_string(i)));
}
