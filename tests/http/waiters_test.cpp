// Tests for src/http/waiters.*: long-poll wake-ups with real timers on an
// io_context run by two threads; every wait is bounded.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/strand.hpp>

#include "http/waiters.h"
#include "http_test_util.h"

using namespace orderd;
using namespace orderd::http;
using namespace orderd::http::test;
using namespace std::chrono_literals;

namespace {
// Starts wait() on its own strand; the future holds its answer.
std::future<bool> start_wait(IoThreads& threads, Waiters& waiters, std::string key, uint64_t seen, DurationMs timeout) {
  return asio::co_spawn(asio::make_strand(threads.io), waiters.wait(std::move(key), seen, timeout), asio::use_future);
}
bool ready_within(std::future<bool>& f, std::chrono::milliseconds limit) {
  return f.wait_for(limit) == std::future_status::ready;
}
}  // namespace

TEST_CASE("waiters: a wake before the timeout resumes with true", "[http]") {
  IoThreads threads;
  Waiters waiters;
  auto f = start_wait(threads, waiters, "rc_1", waiters.epoch(), 10'000);
  REQUIRE(eventually([&] { return waiters.size() == 1; }));
  waiters.wake("rc_1");
  REQUIRE(ready_within(f, 2s));  // far sooner than the 10 s timeout
  CHECK(f.get());
  CHECK(waiters.size() == 0);
}

TEST_CASE("waiters: the timeout resumes with false", "[http]") {
  IoThreads threads;
  Waiters waiters;
  auto start = std::chrono::steady_clock::now();
  auto f = start_wait(threads, waiters, "rc_1", waiters.epoch(), 50);
  REQUIRE(ready_within(f, 5s));
  CHECK_FALSE(f.get());
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);
  CHECK(waiters.size() == 0);
  waiters.wake("rc_1");  // nobody left to wake: harmless
}

TEST_CASE("waiters: one wake resumes every waiter of the key only", "[http]") {
  IoThreads threads;
  Waiters waiters;
  std::vector<std::future<bool>> same;
  for (int i = 0; i < 50; ++i) same.push_back(start_wait(threads, waiters, "po_9", waiters.epoch(), 10'000));
  auto other = start_wait(threads, waiters, "po_other", waiters.epoch(), 10'000);
  REQUIRE(eventually([&] { return waiters.size() == 51; }));
  waiters.wake("po_9");
  for (auto& f : same) {
    REQUIRE(ready_within(f, 2s));
    CHECK(f.get());
  }
  CHECK(waiters.size() == 1);
  CHECK(other.wait_for(0ms) == std::future_status::timeout);
  waiters.wake("po_other");
  REQUIRE(ready_within(other, 2s));
  CHECK(other.get());
}

TEST_CASE("waiters: a wake between reading the epoch and waiting is not lost", "[http]") {
  IoThreads threads;
  Waiters waiters;
  uint64_t seen = waiters.epoch();  // 1. the caller takes the epoch, 2. reads "pending"...
  waiters.wake("rc_1");             // ...the writer commits and wakes before the caller waits
  auto f = start_wait(threads, waiters, "rc_1", seen, 10'000);
  REQUIRE(ready_within(f, 2s));
  CHECK(f.get());

  // A wake older than the observed epoch, or of another key, does not count.
  auto later = start_wait(threads, waiters, "rc_1", waiters.epoch(), 30);
  REQUIRE(ready_within(later, 5s));
  CHECK_FALSE(later.get());
  uint64_t seen2 = waiters.epoch();
  waiters.wake("rc_2");
  auto unrelated = start_wait(threads, waiters, "rc_1", seen2, 30);
  REQUIRE(ready_within(unrelated, 5s));
  CHECK_FALSE(unrelated.get());
}

TEST_CASE("waiters: racing wakes from another thread are never lost", "[http]") {
  IoThreads threads;
  Waiters waiters;
  for (int round = 0; round < 200; ++round) {
    std::string key = "k" + std::to_string(round);
    uint64_t seen = waiters.epoch();
    std::thread waker([&] { waiters.wake(key); });
    auto f = start_wait(threads, waiters, key, seen, 10'000);
    waker.join();
    REQUIRE(ready_within(f, 2s));
    CHECK(f.get());
  }
  CHECK(waiters.size() == 0);
}

TEST_CASE("waiters: forgetting old wakes errs toward an early true", "[http]") {
  IoThreads threads;
  Waiters waiters;
  uint64_t seen = waiters.epoch();
  waiters.wake("old");
  for (size_t i = 0; i < Waiters::kMaxRemembered + 1; ++i) waiters.wake("k" + std::to_string(i));
  auto f = start_wait(threads, waiters, "old", seen, 10'000);
  REQUIRE(ready_within(f, 2s));
  CHECK(f.get());
  // A fresh epoch has every later wake in the ring again: no spurious wake.
  auto g = start_wait(threads, waiters, "old", waiters.epoch(), 30);
  REQUIRE(ready_within(g, 5s));
  CHECK_FALSE(g.get());
}

TEST_CASE("waiters: a wake is remembered across as many later wakes as the ring holds", "[http]") {
  IoThreads threads;
  Waiters waiters;
  const uint64_t seen = waiters.epoch();
  waiters.wake("rc_target");
  // The ring still holds the target's wake after kMaxRemembered - 1 others.
  for (size_t i = 0; i + 1 < Waiters::kMaxRemembered; ++i) waiters.wake("rc_" + std::to_string(i));
  auto found = start_wait(threads, waiters, "rc_target", seen, 10'000);
  REQUIRE(ready_within(found, 2s));
  CHECK(found.get());
  // A key not woken since `seen` times out, although the ring is full.
  auto absent = start_wait(threads, waiters, "rc_never", seen, 30);
  REQUIRE(ready_within(absent, 5s));
  CHECK_FALSE(absent.get());
}

TEST_CASE("waiters: two-argument wait works for a wake after it started", "[http]") {
  IoThreads threads;
  Waiters waiters;
  auto f = asio::co_spawn(threads.io, waiters.wait("x", 10'000), asio::use_future);
  REQUIRE(eventually([&] { return waiters.size() == 1; }));
  waiters.wake("x");
  REQUIRE(f.wait_for(2s) == std::future_status::ready);
  CHECK(f.get());
}
