// Tests of TimerStore + TimerService with a real Env and Writer on a temp dir.
// Time is a FakeClock; the service thread is driven with poke() and bounded
// waits on its stats (never a sleep that assumes speed).
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "store/env.h"
#include "store/writer.h"
#include "timer/timers.h"

using namespace orderd;
using orderd::timer::Json;
using orderd::timer::TimerRecord;
using orderd::timer::TimerService;
using orderd::timer::TimerStore;

namespace {

constexpr TimeMs kStart = 1'700'000'000'000;
constexpr TimeMs kHour = 3'600'000;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "orderd_timer_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs fn(txn) on the writer and waits for its commit.
Status commit(store::Writer& writer, std::function<Status(store::WriteTxn&)> fn) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  store::Mutation m{std::move(fn), [promise](const Status& st) { promise->set_value(st); }};
  if (!writer.submit(std::move(m))) return Error::make(ErrorCode::kBusy, "writer refused");
  return future.get();
}

// Polls pred (poking the service) until it holds or 10 s pass.
template <class Pred>
bool eventually(TimerService& service, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    service.poke();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// A service + writer over one data dir, firing the way the engine does: the
// FireHandler submits a mutation that take()s the timer, then calls done.
struct Fixture {
  TempDir dir;
  FakeClock clock{kStart};
  std::shared_ptr<store::Env> env;
  std::unique_ptr<store::Writer> writer;
  std::unique_ptr<TimerService> service;
  std::unique_ptr<TimerStore> timers;

  std::mutex mu;
  std::vector<TimerRecord> fired;     // committed takes, in commit order
  std::vector<uint64_t> attempts;     // FireHandler calls, in call order
  std::atomic<int> empty_takes{0};
  std::atomic<int> fail_attempts{0};  // the next N attempts answer done(false)

  // Batch mode: the service hands each pass's due timers over in one call
  // (as `orderd serve` runs it); each is then fired by fire() as above.
  bool batch = false;
  std::vector<size_t> batch_sizes;  // one entry per batch handler call

  explicit Fixture(TimerService::Options opts = {}, bool batch_mode = false) : batch(batch_mode) { open(opts); }
  ~Fixture() { close(); }

  void open(TimerService::Options opts) {
    env = store::Env::open(store::EnvOptions{dir.path(), 1ull << 30}).value();
    writer = std::make_unique<store::Writer>(env, clock);
    if (batch) {
      service = std::make_unique<TimerService>(
          env, clock,
          [this](const std::vector<TimerService::Due>& due, std::function<void(const std::vector<uint64_t>&, bool)> done) {
            {
              std::lock_guard lock(mu);
              batch_sizes.push_back(due.size());
            }
            for (const auto& t : due) fire(t.id, t.due_ms, [done, id = t.id](bool ok) { done({id}, ok); });
          },
          opts);
    } else {
      service = std::make_unique<TimerService>(
          env, clock, [this](uint64_t id, TimeMs due, auto done) { fire(id, due, std::move(done)); }, opts);
    }
    timers = std::make_unique<TimerStore>(service.get());
    service->start();
  }

  // Service first (no more submits), then the writer (its hooks still see a
  // live service), then destroy both.
  void close() {
    if (!service) return;
    service->stop();
    writer->stop();
    timers.reset();
    service.reset();
    writer.reset();
    env.reset();
  }

  void fire(uint64_t id, TimeMs due, std::function<void(bool)> done) {
    {
      std::lock_guard lock(mu);
      attempts.push_back(id);
    }
    if (fail_attempts > 0) {
      --fail_attempts;
      done(false);
      return;
    }
    auto taken = std::make_shared<std::optional<TimerRecord>>();
    store::Mutation m;
    m.apply = [this, id, due, taken](store::WriteTxn& txn) -> Status {
      auto rec = timers->take(txn, id, due);
      if (!rec) return rec.error();
      *taken = std::move(rec.value());
      return ok_status();
    };
    m.done = [this, taken, done](const Status& st) {
      if (st && *taken) {
        std::lock_guard lock(mu);
        fired.push_back(**taken);
      } else if (st) {
        ++empty_takes;
      }
      done(st.ok());
    };
    if (!writer->submit(std::move(m))) done(false);
  }

  Result<uint64_t> schedule(TimeMs due, const std::string& key, const Json& payload = Json::object()) {
    std::optional<Result<uint64_t>> id;
    Status st = commit(*writer, [&](store::WriteTxn& txn) -> Status {
      id.emplace(timers->schedule(txn, due, "test", key, payload));
      return id->ok() ? ok_status() : Status(id->error());
    });
    if (!st) return st.error();
    return std::move(*id);
  }

  Result<bool> cancel(const std::string& key) {
    std::optional<Result<bool>> found;
    Status st = commit(*writer, [&](store::WriteTxn& txn) -> Status {
      found.emplace(timers->cancel(txn, key));
      return found->ok() ? ok_status() : Status(found->error());
    });
    if (!st) return st.error();
    return std::move(*found);
  }

  // Sets the clock and waits until the service ran a whole loop iteration
  // after that and every firing it started has completed.
  bool settle_at(TimeMs now) {
    clock.set(now);
    const uint64_t seen = service->stats().wakeups;
    return eventually(*service, [&] {
      auto s = service->stats();
      return s.wakeups >= seen + 2 && s.in_flight == 0;
    });
  }

  size_t fired_count() {
    std::lock_guard lock(mu);
    return fired.size();
  }
  size_t attempt_count() {
    std::lock_guard lock(mu);
    return attempts.size();
  }
};

}  // namespace

TEST_CASE("timer store schedules, replaces, cancels and takes", "[timer]") {
  TempDir dir;
  FakeClock clock(kStart);
  auto env = store::Env::open(store::EnvOptions{dir.path(), 1ull << 30}).value();
  store::Writer writer(env, clock);
  TimerStore timers;  // no service

  uint64_t first = 0, second = 0;
  REQUIRE(commit(writer, [&](store::WriteTxn& txn) -> Status {
            first = timers.schedule(txn, kStart + 1000, "rc_deadline", "rc_deadline/rc_1", Json{{"n", 1}}).value();
            second = timers.schedule(txn, kStart + 2000, "rc_deadline", "rc_deadline/rc_1", Json{{"n", 2}}).value();
            return ok_status();
          }).ok());
  REQUIRE(second > first);
  {
    store::ReadTxn txn(*env);
    REQUIRE(txn.count(env->table("timers_due")) == 1);  // replaced, not added
    REQUIRE(txn.count(env->table("timers_key")) == 1);
    auto rec = TimerStore::find(txn, "rc_deadline/rc_1");
    REQUIRE(rec);
    REQUIRE(rec->id == second);
    REQUIRE(rec->due_ms == kStart + 2000);
    REQUIRE(rec->kind == "rc_deadline");
    REQUIRE(rec->payload["n"] == 2);
    REQUIRE_FALSE(TimerStore::find(txn, "rc_deadline/rc_2"));
  }
  REQUIRE(commit(writer, [&](store::WriteTxn& txn) -> Status {
            REQUIRE_FALSE(timers.take(txn, first, kStart + 1000).value());  // the replaced one is gone
            auto taken = timers.take(txn, second, kStart + 2000).value();
            REQUIRE(taken);
            REQUIRE(taken->key == "rc_deadline/rc_1");
            REQUIRE(taken->payload["n"] == 2);
            REQUIRE_FALSE(timers.take(txn, second, kStart + 2000).value());  // once only
            REQUIRE_FALSE(timers.cancel(txn, "rc_deadline/rc_1").value());
            REQUIRE(timers.schedule(txn, kStart, "x", "unpaid/o_1").ok());
            REQUIRE(timers.cancel(txn, "unpaid/o_1").value());
            REQUIRE_FALSE(timers.cancel(txn, "unpaid/o_1").value());
            REQUIRE(timers.schedule(txn, kStart, "x", "").error().code == ErrorCode::kInvalid);
            REQUIRE(timers.schedule(txn, -5, "x", "k").error().code == ErrorCode::kInvalid);
            return ok_status();
          }).ok());
  store::ReadTxn txn(*env);
  REQUIRE(txn.count(env->table("timers_due")) == 0);
  REQUIRE(txn.count(env->table("timers_key")) == 0);
}

TEST_CASE("service fires a scheduled timer once the fake clock passes its due", "[timer]") {
  Fixture f;
  REQUIRE(eventually(*f.service, [&] { return f.service->ready(); }));
  const TimeMs due = kStart + 5000;
  auto id = f.schedule(due, "rc_deadline/rc_7", Json{{"order", "rc_7"}});
  REQUIRE(id.ok());

  REQUIRE(f.settle_at(kStart));
  REQUIRE(f.service->stats().in_wheel == 1);  // within the loaded range: entered via notify
  REQUIRE(f.settle_at(due - 1));
  REQUIRE(f.attempt_count() == 0);  // never early

  REQUIRE(f.settle_at(due));
  REQUIRE(f.fired_count() == 1);
  REQUIRE(f.fired[0].id == id.value());
  REQUIRE(f.fired[0].due_ms == due);
  REQUIRE(f.fired[0].payload["order"] == "rc_7");
  auto stats = f.service->stats();
  REQUIRE(stats.fired_total == 1);
  REQUIRE(stats.pending_on_disk == 0);
  REQUIRE(stats.in_wheel == 0);
  REQUIRE(stats.next_due_ms == 0);
}

TEST_CASE("service is not woken by cancellations or timers due after its planned wake-up", "[timer]") {
  Fixture f;
  REQUIRE(eventually(*f.service, [&] { return f.service->ready(); }));
  REQUIRE(f.settle_at(kStart));
  const uint64_t before = f.service->stats().wakeups;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) REQUIRE(f.schedule(kStart + kHour + i, "far/" + std::to_string(i)).ok());
  for (int i = 0; i < 50; ++i) REQUIRE(f.cancel("far/" + std::to_string(i)).ok());
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // 150 commits told the service; it woke only on its own plan (at least
  // once a second), not once per commit.
  CHECK(f.service->stats().wakeups - before <= static_cast<uint64_t>(3 + 2 * elapsed_s));

  // A timer due before the planned wake-up is still seen and fires on time.
  auto near = f.schedule(kStart + 200, "near");
  REQUIRE(near.ok());
  REQUIRE(f.settle_at(kStart + 199));
  CHECK(f.attempt_count() == 0);
  REQUIRE(f.settle_at(kStart + 200));
  REQUIRE(f.fired_count() == 1);
  CHECK(f.fired[0].id == near.value());
  CHECK(f.service->stats().pending_on_disk == 50);  // the far ones wait on disk, the cancelled are gone
}

TEST_CASE("service never fires a cancelled or replaced timer", "[timer]") {
  Fixture f;
  REQUIRE(f.settle_at(kStart));
  REQUIRE(f.schedule(kStart + 5000, "near").ok());
  REQUIRE(f.schedule(kStart + 2 * kHour, "far").ok());  // still on disk only
  REQUIRE(f.schedule(kStart + 6000, "moved").ok());
  auto moved = f.schedule(kStart + 8000, "moved");  // replaces the 6 s one
  REQUIRE(moved.ok());
  REQUIRE(f.settle_at(kStart + 1));
  REQUIRE(f.service->stats().in_wheel == 2);  // near + moved (8 s)

  REQUIRE(f.cancel("near").value());
  REQUIRE(f.cancel("far").value());
  REQUIRE_FALSE(f.cancel("absent").value());
  REQUIRE(f.settle_at(kStart + 2));
  REQUIRE(f.service->stats().in_wheel == 1);  // the cancel left the wheel too

  REQUIRE(f.settle_at(kStart + 7000));
  REQUIRE(f.attempt_count() == 0);  // neither "near" nor the replaced 6 s timer
  REQUIRE(f.settle_at(kStart + 3 * kHour));
  REQUIRE(f.attempt_count() == 1);
  REQUIRE(f.fired_count() == 1);
  REQUIRE(f.fired[0].id == moved.value());
  REQUIRE(f.fired[0].due_ms == kStart + 8000);
  REQUIRE(f.service->stats().pending_on_disk == 0);
}

TEST_CASE("service keeps timers beyond the horizon on disk until the clock approaches", "[timer]") {
  TimerService::Options opts;
  opts.horizon_ms = 30'000;
  Fixture f(opts);
  REQUIRE(f.settle_at(kStart));
  const TimeMs base = kStart + kHour;
  for (int i = 0; i < 100; ++i) REQUIRE(f.schedule(base + i, "far/" + std::to_string(i)).ok());
  REQUIRE(f.settle_at(kStart + 1));
  auto stats = f.service->stats();
  REQUIRE(stats.in_wheel == 0);
  REQUIRE(stats.pending_on_disk == 100);
  REQUIRE(stats.next_due_ms == base);
  REQUIRE(stats.loaded_until_ms <= kStart + 30'000);

  REQUIRE(f.settle_at(base - 40'000));
  REQUIRE(f.service->stats().in_wheel == 0);  // still beyond now + horizon
  REQUIRE(f.settle_at(base - 20'000));
  REQUIRE(f.service->stats().in_wheel == 100);
  REQUIRE(f.attempt_count() == 0);

  REQUIRE(f.settle_at(base + 1000));
  REQUIRE(f.fired_count() == 100);
  for (size_t i = 0; i < 100; ++i) REQUIRE(f.fired[i].due_ms == base + static_cast<TimeMs>(i));
  REQUIRE(f.service->stats().in_wheel == 0);
}

TEST_CASE("service retries a firing whose done(false) reported failure", "[timer]") {
  Fixture f;
  REQUIRE(f.settle_at(kStart));
  const TimeMs due = kStart + 1000;
  REQUIRE(f.schedule(due, "retry").ok());
  f.fail_attempts = 2;

  REQUIRE(f.settle_at(due));
  REQUIRE(f.attempt_count() == 1);
  REQUIRE(f.fired_count() == 0);
  auto stats = f.service->stats();
  REQUIRE(stats.retried_total == 1);
  REQUIRE(stats.in_wheel == 1);  // back in the wheel, ~retry_delay_ms later
  REQUIRE(stats.pending_on_disk == 1);

  REQUIRE(f.settle_at(due + 25));
  REQUIRE(f.attempt_count() == 2);
  REQUIRE(f.settle_at(due + 50));
  REQUIRE(f.attempt_count() == 3);
  REQUIRE(f.fired_count() == 1);
  REQUIRE(f.fired[0].due_ms == due);  // take() used the stored due, not the retry time
  stats = f.service->stats();
  REQUIRE(stats.retried_total == 2);
  REQUIRE(stats.fired_total == 1);
  REQUIRE(stats.pending_on_disk == 0);
}

TEST_CASE("batch mode: timers due together arrive in one handler call, each fired once, failures retried", "[timer]") {
  Fixture f({}, /*batch_mode=*/true);
  REQUIRE(f.settle_at(kStart));
  const TimeMs due = kStart + 2000;
  for (int i = 0; i < 300; ++i) REQUIRE(f.schedule(due, "burst/" + std::to_string(i)).ok());
  REQUIRE(f.schedule(due + 1000, "later").ok());
  f.fail_attempts = 7;  // seven of the burst answer done(false)

  REQUIRE(f.settle_at(due - 1));
  REQUIRE(f.attempt_count() == 0);  // never early
  REQUIRE(f.settle_at(due));
  {
    std::lock_guard lock(f.mu);
    REQUIRE_FALSE(f.batch_sizes.empty());
    CHECK(f.batch_sizes[0] == 300);  // the whole burst in one call
  }
  REQUIRE(f.settle_at(due + 50));  // the retry delay has passed: the seven fire again
  CHECK(f.fired_count() == 300);
  CHECK(f.attempt_count() == 307);
  auto stats = f.service->stats();
  CHECK(stats.retried_total == 7);
  CHECK(stats.fired_total == 300);
  CHECK(stats.pending_on_disk == 1);
  {
    std::lock_guard lock(f.mu);
    std::set<uint64_t> ids;
    for (const auto& r : f.fired) ids.insert(r.id);
    CHECK(ids.size() == 300);  // each once
  }
  REQUIRE(f.settle_at(due + 1000));
  CHECK(f.fired_count() == 301);
  CHECK(f.service->stats().pending_on_disk == 0);
}

TEST_CASE("service fires overdue timers oldest first after a restart, each once", "[timer]") {
  TimerService::Options opts;
  opts.max_in_wheel = 300;  // far fewer than pending: loading comes in bounded chunks
  opts.max_in_flight = 32;
  Fixture f(opts);
  constexpr int kCount = 2000;
  std::mt19937_64 rng(11);
  std::vector<std::pair<TimeMs, uint64_t>> expected;
  for (int batch = 0; batch < 4; ++batch) {
    REQUIRE(commit(*f.writer, [&](store::WriteTxn& txn) -> Status {
              for (int i = 0; i < kCount / 4; ++i) {
                // 10 ms granularity within 2 h: many timers share a due time.
                TimeMs due = kStart + 60'000 + static_cast<TimeMs>(rng() % 720'000) * 10;
                auto id = f.timers->schedule(txn, due, "test", "k/" + std::to_string(batch) + "/" + std::to_string(i));
                if (!id) return id.error();
                expected.emplace_back(due, id.value());
              }
              return ok_status();
            }).ok());
  }
  REQUIRE(f.attempt_count() == 0);
  f.close();

  f.clock.set(kStart + 3 * kHour);
  f.open(opts);
  size_t max_in_memory = 0;
  REQUIRE(eventually(*f.service, [&] {
    max_in_memory = std::max<size_t>(max_in_memory, f.service->stats().in_wheel);
    return f.fired_count() == kCount;
  }));
  std::sort(expected.begin(), expected.end());
  std::lock_guard lock(f.mu);
  REQUIRE(f.attempts.size() == kCount);  // each take() succeeded the first time
  REQUIRE(f.empty_takes == 0);
  for (size_t i = 0; i < kCount; ++i) {
    REQUIRE(f.fired[i].due_ms == expected[i].first);
    REQUIRE(f.fired[i].id == expected[i].second);
  }
  REQUIRE(max_in_memory <= opts.max_in_wheel);
  REQUIRE(f.service->stats().pending_on_disk == 0);
}
