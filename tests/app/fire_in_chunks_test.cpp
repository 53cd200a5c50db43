// fire_in_chunks_test.cpp — how `orderd serve` fires a pass's due timers
// (app/timer_dispatch.h), with a real Writer: chunks commit together, every
// timer is reported exactly once, and a timer that cannot fire fails alone
// while the rest of its chunk is fired again and committed.
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>

#include "../store/store_test_util.h"
#include "app/timer_dispatch.h"

using namespace orderd;
using namespace orderd::store;
using namespace orderd::store::testing;
using Due = timer::TimerService::Due;

namespace {

struct Run {
  std::mutex mu;
  std::map<uint64_t, int> ok_reports, failed_reports;
  size_t reported = 0;
  std::promise<void> all;
  size_t expected = 0;

  app::FireDone done() {
    return [this](const std::vector<uint64_t>& ids, bool ok) {
      std::lock_guard lock(mu);
      for (uint64_t id : ids) (ok ? ok_reports : failed_reports)[id]++;
      reported += ids.size();
      if (reported == expected) all.set_value();
    };
  }
};

}  // namespace

TEST_CASE("fire_in_chunks: one failing timer fails alone; the rest of its chunk commits", "[app][timer]") {
  TempDir dir;
  auto env = open_env(dir.path);
  Writer writer(env, SystemClock::instance());
  const MDB_dbi table = env->table("jobs");

  std::vector<Due> due;
  for (uint64_t id = 1; id <= 10; ++id) due.push_back(Due{id, 1000});
  std::atomic<int> applies{0};
  auto fire = [&](WriteTxn& txn, const Due& t) -> Status {
    applies++;
    if (t.id == 7) return Error::make(ErrorCode::kInternal, "timer 7 cannot fire");
    return txn.put(table, u64_key(t.id), "fired");
  };
  Run run;
  run.expected = due.size();
  auto all = run.all.get_future();
  app::fire_in_chunks(writer, due, fire, run.done(), /*chunk=*/4);
  REQUIRE(all.wait_for(kWait) == std::future_status::ready);

  // each timer reported once; only 7 failed
  auto reports = [](const std::map<uint64_t, int>& m, uint64_t id) {
    auto it = m.find(id);
    return it == m.end() ? 0 : it->second;
  };
  for (uint64_t id = 1; id <= 10; ++id) CHECK(reports(run.ok_reports, id) + reports(run.failed_reports, id) == 1);
  CHECK(run.failed_reports.size() == 1);
  CHECK(run.failed_reports.count(7) == 1);
  // chunks {1-4} and {9,10} in one mutation each; {5-8} failed and was redone one by one
  CHECK(applies.load() >= 10 + 4);
  ReadTxn txn(*env);
  for (uint64_t id = 1; id <= 10; ++id) CHECK(txn.get(table, u64_key(id)).has_value() == (id != 7));
}

TEST_CASE("fire_in_chunks: a burst becomes ceil(n / chunk) commits", "[app][timer]") {
  TempDir dir;
  auto env = open_env(dir.path);
  Writer writer(env, SystemClock::instance());
  const MDB_dbi table = env->table("jobs");
  std::vector<Due> due;
  for (uint64_t id = 1; id <= 1000; ++id) due.push_back(Due{id, 1000});
  Run run;
  run.expected = due.size();
  auto all = run.all.get_future();
  const uint64_t before = writer.stats().mutations;
  app::fire_in_chunks(
      writer, due, [&](WriteTxn& txn, const Due& t) { return txn.put(table, u64_key(t.id), "fired"); }, run.done());
  REQUIRE(all.wait_for(kWait) == std::future_status::ready);
  CHECK(run.ok_reports.size() == 1000);
  CHECK(run.failed_reports.empty());
  CHECK(writer.stats().mutations - before == (1000 + app::kFireChunk - 1) / app::kFireChunk);
  ReadTxn txn(*env);
  CHECK(txn.count(table) == 1000);
}
