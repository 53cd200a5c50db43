// writer_batching_test.cpp — how the Writer forms and retries batches
// (src/store/writer.*, invariants 2 and 5): the flat try and its nested redo
// when a mutation fails, and the brief linger after a multi-mutation batch.
//
// Thread model: the test thread plus the Writer's thread; bounded waits.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "store/writer.h"
#include "store_test_util.h"

using namespace orderd;
using namespace orderd::store;
using namespace orderd::store::testing;
using namespace std::chrono_literals;

TEST_CASE("writer: a failing mutation makes its batch redo nested once; later batches go flat again", "[store]") {
  TempDir tmp("orderd_writer_batching_test");
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
  TempDir tmp("orderd_writer_batching_test");
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
