// timers.h — durable timers: the LMDB tables timers_due / timers_key (see
// store/keys.h) and the TimerService thread that owns the in-memory
// TimingWheel (timing_wheel.h) holding only timers due within the horizon.
//
// A timer is created or cancelled inside the same WriteTxn as the state
// change that causes it (schedule/cancel below). After that txn commits, the
// service learns of it (after_commit hook) and puts it in the wheel if it is
// due within the loaded horizon; otherwise the loader finds it on disk later.
//
// Firing: when a timer is due the service calls FireHandler(id, due, done) on
// its own thread. The handler submits a mutation that calls take() — which
// deletes the record and returns it, or nullopt if it was cancelled meanwhile
// — and applies the timer's effect in the same transaction, so the effect
// happens once. The handler must call done(true) after that commit, or
// done(false) if the mutation could not run (busy/full): the service then
// retries the firing shortly.
// With a FireBatchHandler the service hands over every timer that came due
// in one pass in one call (`orderd serve` fires them 256 per mutation), and
// done(ids, ok) reports on any subset; the rules per timer are the same.
//
// Thread model: schedule/cancel/take run on the writer thread inside a txn;
// everything else of TimerService runs on its own thread; notify_* and
// stats() are safe from any thread.
// Invariants:
//   (1) Every committed, uncancelled timer fires (its take() succeeds) exactly
//       once, in due order (ties broken by id; a retried firing goes later),
//       no earlier than its due time and about one tick after it. A rare race
//       may call FireHandler twice for one timer: the second take() is nullopt.
//   (2) Memory holds at most the timers due before now + horizon, and at most
//       max_in_wheel (+ max_in_flight) of them: it does not grow with the
//       number of far timers.
//   (3) After a restart, overdue timers fire first, oldest first.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/env.h"

namespace orderd::timer {

using Json = nlohmann::json;

struct TimerRecord {
  uint64_t id = 0;
  TimeMs due_ms = 0;
  std::string kind;  // e.g. "rc_deadline", "job"
  std::string key;   // business key, unique among pending timers, e.g. "rc_deadline/rc_…"
  Json payload;      // free-form data for the effect
};

// A timers_due row (store/row.h format 1: kind, key, then the payload as
// MessagePack, absent when it is {}). decode_timer_row also reads the earlier
// MessagePack-JSON rows; nullopt for a row that is neither.
std::string encode_timer_row(const std::string& kind, const std::string& key, const Json& payload);
std::optional<TimerRecord> decode_timer_row(uint64_t id, TimeMs due_ms, std::string_view bytes);

class TimerService;

struct TimerStats {
  uint64_t pending_on_disk = 0;  // entries in timers_due (includes those in memory)
  uint64_t in_wheel = 0;         // in memory, waiting to fire: the wheel plus the ready queue
  uint64_t in_flight = 0;        // fired, done() not yet called
  uint64_t fired_total = 0;      // done(true) since start
  uint64_t retried_total = 0;    // done(false) since start
  TimeMs next_due_ms = 0;        // oldest due in timers_due; 0 when none pending
  TimeMs loaded_until_ms = 0;    // the loader has seen every timer due before this; 0 = no pass yet
  uint64_t wakeups = 0;          // service loop iterations finished (idle cost; tests wait on it)
};

// The durable side, used from inside write transactions.
class TimerStore {
 public:
  // service may be null (tools, tests of the table alone).
  explicit TimerStore(TimerService* service = nullptr) : service_(service) {}
  // Schedules (or replaces, if `key` is pending) a timer. Returns its id
  // (from txn.next_id()). The service hears of it after the commit.
  // REQUIRES: the service (if any) outlives the writer's after-commit hooks.
  // Thread: the writer, inside `txn`.
  // Errors: kInvalid (empty key, negative due_ms); the txn's write error (kFull/kIo).
  [[nodiscard]] Result<uint64_t> schedule(store::WriteTxn& txn, TimeMs due_ms, const std::string& kind,
                                          const std::string& key, const Json& payload = Json::object());
  // Cancels the pending timer with `key`. Returns false if none was pending.
  // Thread: the writer, inside `txn`. Errors: the txn's write error.
  [[nodiscard]] Result<bool> cancel(store::WriteTxn& txn, const std::string& key);
  // Deletes and returns the timer (id, due) if still pending; nullopt if it
  // was cancelled or already taken. Called by the firing mutation.
  // Thread: the writer, inside `txn`. Errors: kIo (corrupt record), write errors.
  [[nodiscard]] Result<std::optional<TimerRecord>> take(store::WriteTxn& txn, uint64_t id, TimeMs due_ms);
  // Reads a pending timer by key. Thread: the txn's thread. A corrupt record reads as absent.
  static std::optional<TimerRecord> find(const store::Txn& txn, const std::string& key);

 private:
  TimerService* service_;
};

class TimerService {
 public:
  using FireHandler = std::function<void(uint64_t id, TimeMs due_ms, std::function<void(bool ok)> done)>;
  // Batch form: every timer that came due in one pass, in one call (a burst
  // of 100k is handed over at once instead of 100k calls); done(ids, ok) may
  // be called several times, each id exactly once.
  struct Due {
    uint64_t id;
    TimeMs due_ms;
  };
  using FireBatchHandler = std::function<void(const std::vector<Due>& timers,
                                              std::function<void(const std::vector<uint64_t>& ids, bool ok)> done)>;
  struct Options {
    DurationMs tick_ms = 1;           // wheel tick (precision)
    DurationMs horizon_ms = 30'000;   // load timers due within now + horizon
    size_t max_in_wheel = 200'000;    // loader stops early beyond this (bounded memory)
    size_t max_in_flight = 200'000;   // fired but not yet done (a 100k burst goes in one pass)
    DurationMs retry_delay_ms = 20;   // after done(false), fire again this much later (>= one tick)
  };
  // REQUIRES: env and clock outlive the service; opts.tick_ms >= 1.
  // on_fire runs on the service thread: it must not block (submit a mutation
  // and return) and must call done exactly once, from any thread.
  TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireHandler on_fire, Options opts);
  TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireHandler on_fire);
  // Fires through `on_fire_batch` instead of on_fire (same rules).
  TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireBatchHandler on_fire_batch, Options opts);
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;
  ~TimerService();  // stop()
  // Starts the thread; its first pass loads overdue timers, oldest first, and
  // they begin firing at once. Thread: the owner. A second start(), or a
  // start() after stop(), is a no-op: a stopped service is not restarted.
  void start();
  // Stops and joins the thread; done() calls arriving later are ignored.
  // Unfired timers stay on disk and load again in the next service.
  void stop();
  // True once the first loader pass finished (readiness). Thread: any.
  bool ready() const;
  // Thread: any. Called by TimerStore's after-commit hooks.
  void notify_scheduled(uint64_t id, TimeMs due_ms);
  void notify_cancelled(uint64_t id);
  // Thread: any. Wakes the thread to re-check the clock (tests with FakeClock).
  void poke();
  // Thread: any (opens a short read txn for the disk figures).
  TimerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::timer
