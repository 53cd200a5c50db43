// timer_service.cpp — the TimerService thread: loads timers due within the
// horizon from timers_due into the TimingWheel, learns of commits through the
// inbox, fires due timers through the FireHandler (one call per timer) or the
// FireBatchHandler (one call per pass) and handles their completion.
//
// Thread model: one service thread owns the wheel, the tracked map, the ready
// queue and the loader frontier (no locks on them). Other threads talk to it
// only through the Inbox (mutex + condition variable), which is shared with
// every done() closure so a completion arriving after the service is gone is
// harmless.
// Invariants:
//   (1) Every timer in timers_due whose key is below `frontier_` was seen by a
//       loader pass or a notify: it is tracked (in the wheel, ready or in
//       flight), or already fired, or cancelled. Keys at or above the frontier
//       are left to the loader.
//   (2) A notify is applied only on the service thread, between loader passes.
//       A pass's snapshot begins after every notify already applied, so a
//       commit the snapshot missed has its notify applied after the pass,
//       against the new frontier: nothing falls between the two.
//   (3) tracked_ holds at most one entry per id; the wheel and ready queue
//       together hold at most max_in_wheel timers (notifies beyond that lower
//       the frontier instead), and at most max_in_flight are in flight.
//   (4) A duplicate firing (a race between a notify and a pass) is possible
//       but harmless: take() succeeds once.
//   (5) An event that is not urgent (see Inbox) is applied at the latest at
//       the thread's next planned wake-up, which is never later than the
//       earliest timer it knows of, the next loader pass or kMaxSleepMs: a
//       cancellation seen late at worst lets a timer fire whose take() then
//       finds nothing; a schedule is urgent whenever it is due before then.
//   (6) A timer the wheel fires straight into a pass's batch is counted in
//       flight at once but marked kInFlight in `tracked` only after the batch
//       handler returns: the hand-over costs no hash lookup per timer, and no
//       event (done, cancel) is applied in between, since events are applied
//       only at the top of the loop.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/thread_name.h"
#include "store/keys.h"
#include "timer/timers.h"
#include "timer/timing_wheel.h"

namespace orderd::timer {

namespace {

constexpr DurationMs kMaxSleepMs = 1000;  // re-read the clock at least this often (clock jumps)
constexpr DurationMs kLoadRetryMs = 100;  // after a loader pass failed to open its read txn

struct Event {
  enum Kind : uint8_t { kScheduled, kCancelled, kDone } kind;
  bool ok = false;  // kDone only
  uint64_t id = 0;
  TimeMs due_ms = 0;  // kScheduled only
};

// Shared with done() closures, which may outlive the service.
//
// Wake-ups (invariant 5): the service thread sleeps until `sleep_until` (its
// own clock). An event wakes it only if it must be seen before then: a
// completion, a timer scheduled earlier than that, or a long backlog. Other
// events (cancellations, far-off timers: most of them) wait for the next
// planned wake-up, so a commit costs no futex call. While the thread is awake
// `sleep_until` is the maximum: it has not chosen its next wake-up yet, so
// every schedule counts as urgent and the thread looks again before sleeping.
struct Inbox {
  static constexpr size_t kBacklog = 65536;  // events that wake the thread whatever their kind

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Event> events;
  bool poked = false;
  bool stopping = false;
  static constexpr TimeMs kAwake = std::numeric_limits<TimeMs>::max();
  bool urgent = false;  // an event pushed since the last swap must be seen before sleep_until
  TimeMs sleep_until = kAwake;  // while the thread waits on cv: when it looks again

  // Under mu: records the event; true if the thread must be signalled.
  bool add(const Event& e) {
    events.push_back(e);
    const bool now = e.kind == Event::kDone || (e.kind == Event::kScheduled && e.due_ms < sleep_until) ||
                     events.size() >= kBacklog;
    if (!now || urgent) return false;
    urgent = true;
    return sleep_until != kAwake;  // asleep: signal it
  }
  void push(const Event& e) {
    bool wake = false;
    {
      std::lock_guard lock(mu);
      wake = add(e);
    }
    if (wake) cv.notify_one();
  }
  void push_done(const std::vector<uint64_t>& ids, bool ok) {
    bool wake = false;
    {
      std::lock_guard lock(mu);
      for (uint64_t id : ids) wake = add(Event{Event::kDone, ok, id, 0}) || wake;
    }
    if (wake) cv.notify_one();
  }
};

// A position in timers_due: (due_ms, id), ordered like the table's keys.
struct Position {
  TimeMs due_ms = 0;
  uint64_t id = 0;
  auto operator<=>(const Position&) const = default;
};

TimeMs saturating_add(TimeMs a, DurationMs b) {
  return a > std::numeric_limits<TimeMs>::max() - b ? std::numeric_limits<TimeMs>::max() : a + b;
}

}  // namespace

struct TimerService::Impl {
  enum class State : uint8_t { kInWheel, kReady, kInFlight };
  struct Tracked {
    TimeMs due_ms;       // the stored due time (take() needs it), not a retry time
    WheelHandle handle;  // valid only in kInWheel
    State state;
  };

  Impl(std::shared_ptr<store::Env> e, const Clock& c, FireHandler f, FireBatchHandler fb, Options o)
      : env(std::move(e)),
        clock(c),
        on_fire(std::move(f)),
        on_fire_batch(std::move(fb)),
        opts(o),
        wheel(o.tick_ms, c.now_ms()) {}

  std::shared_ptr<store::Env> env;
  const Clock& clock;
  FireHandler on_fire;
  FireBatchHandler on_fire_batch;  // set instead of on_fire
  Options opts;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::thread thread;

  // ---- service thread only ----
  TimingWheel wheel;
  std::unordered_map<uint64_t, Tracked> tracked;
  std::deque<uint64_t> ready_queue;  // fired by the wheel, waiting for an in-flight slot
  std::vector<Due> batch;            // batch mode: marked in flight, handed over at the end of the pass
  size_t in_flight = 0;
  Position frontier;                 // invariant (1); {0,0} = nothing loaded yet
  bool load_incomplete = false;      // the last pass stopped early (room or scan budget)
  TimeMs next_load_ms = 0;

  // ---- published for any thread ----
  std::atomic<bool> ready_flag{false};
  std::atomic<uint64_t> in_wheel_stat{0}, in_flight_stat{0}, fired_total{0}, retried_total{0}, wakeups{0};
  std::atomic<TimeMs> loaded_until_stat{0};

  size_t held() const { return wheel.size() + ready_queue.size(); }
  size_t room() const { return held() >= opts.max_in_wheel ? 0 : opts.max_in_wheel - held(); }

  void run();
  void apply(const Event& e);
  void track_in_wheel(uint64_t id, TimeMs due_ms, TimeMs fire_at_ms);
  bool should_load(TimeMs now) const;
  void load(TimeMs now);
  Due start_firing(uint64_t id, Tracked& t) {  // marks it in flight (a slot must be free)
    t.state = State::kInFlight;
    ++in_flight;
    return Due{id, t.due_ms};
  }
  std::optional<Due> take_ready();  // the next ready timer, marked in flight, if a slot is free
  void dispatch();
  void publish();
  void wait(TimeMs now);
};

void TimerService::Impl::track_in_wheel(uint64_t id, TimeMs due_ms, TimeMs fire_at_ms) {
  tracked[id] = Tracked{due_ms, wheel.insert(id, fire_at_ms, static_cast<uint64_t>(due_ms)), State::kInWheel};
}

void TimerService::Impl::apply(const Event& e) {
  auto it = tracked.find(e.id);
  switch (e.kind) {
    case Event::kScheduled: {
      if (it != tracked.end()) return;  // already loaded by a pass
      const Position pos{e.due_ms, e.id};
      if (pos >= frontier) return;      // the loader will find it
      if (room() > 0) {
        track_in_wheel(e.id, e.due_ms, e.due_ms);
      } else {
        frontier = pos;  // invariant (3): no room, leave it (and what follows) to the loader
        load_incomplete = true;
      }
      return;
    }
    case Event::kCancelled:
      if (it == tracked.end() || it->second.state == State::kInFlight) return;  // in flight: take() decides
      if (it->second.state == State::kInWheel) wheel.cancel(it->second.handle);
      tracked.erase(it);  // kReady: dispatch() skips ids no longer tracked
      return;
    case Event::kDone:
      if (it == tracked.end() || it->second.state != State::kInFlight) return;  // duplicate done()
      --in_flight;
      if (e.ok) {
        tracked.erase(it);
        fired_total.fetch_add(1, std::memory_order_relaxed);
      } else {
        retried_total.fetch_add(1, std::memory_order_relaxed);
        const DurationMs delay = std::max(opts.retry_delay_ms, opts.tick_ms);
        it->second.handle =
            wheel.insert(e.id, saturating_add(clock.now_ms(), delay), static_cast<uint64_t>(it->second.due_ms));
        it->second.state = State::kInWheel;
      }
      return;
  }
}

bool TimerService::Impl::should_load(TimeMs now) const {
  if (!ready_flag.load(std::memory_order_relaxed) || now >= next_load_ms) return true;
  return load_incomplete && room() > 0;
}

void TimerService::Impl::load(TimeMs now) {
  const TimeMs limit = saturating_add(now, std::max(opts.horizon_ms, opts.tick_ms));
  const size_t budget = room();
  const size_t scan_budget = std::max<size_t>(opts.max_in_wheel, 1);
  size_t loaded = 0, scanned = 0;
  bool complete = true;
  try {
    store::ReadTxn txn(*env);
    store::Cursor cursor = txn.cursor(txn.table("timers_due"));
    std::string start;
    store::append_u64(start, static_cast<uint64_t>(frontier.due_ms));
    store::append_u64(start, frontier.id);
    for (cursor.seek(start); cursor.valid(); cursor.next()) {
      const std::string_view key = cursor.key();
      if (key.size() != 16) continue;  // not ours; `orderd check` reports it
      const Position pos{static_cast<TimeMs>(store::read_u64(key, 0)), store::read_u64(key, 8)};
      if (pos.due_ms >= limit) break;
      if (loaded >= budget || scanned >= scan_budget) {
        frontier = pos;
        complete = false;
        break;
      }
      ++scanned;
      if (tracked.count(pos.id)) continue;  // already here (a notify, or the frontier was lowered)
      track_in_wheel(pos.id, pos.due_ms, pos.due_ms);
      ++loaded;
    }
  } catch (const std::exception&) {
    // e.g. reader table full: keep the frontier, try again shortly (no spin)
    load_incomplete = false;
    next_load_ms = saturating_add(now, kLoadRetryMs);
    return;
  }
  if (complete) frontier = std::max(frontier, Position{limit, 0});
  load_incomplete = !complete;
  next_load_ms = saturating_add(now, std::max(opts.horizon_ms / 2, opts.tick_ms));
  loaded_until_stat.store(frontier.due_ms, std::memory_order_relaxed);
  ready_flag.store(true, std::memory_order_release);
}

std::optional<TimerService::Due> TimerService::Impl::take_ready() {
  while (!ready_queue.empty() && in_flight < opts.max_in_flight) {
    const uint64_t id = ready_queue.front();
    ready_queue.pop_front();
    auto it = tracked.find(id);
    if (it == tracked.end() || it->second.state != State::kReady) continue;  // cancelled meanwhile
    return start_firing(id, it->second);
  }
  return std::nullopt;
}

void TimerService::Impl::dispatch() {
  if (on_fire_batch) {
    const size_t from_wheel = batch.size();  // in flight, not yet marked so in `tracked`
    while (auto due = take_ready()) batch.push_back(*due);
    if (batch.empty()) return;
    auto done = [box = inbox](const std::vector<uint64_t>& done_ids, bool ok) { box->push_done(done_ids, ok); };
    try {
      on_fire_batch(batch, done);
    } catch (const std::exception&) {
      std::vector<uint64_t> ids;
      for (const Due& d : batch) ids.push_back(d.id);
      done(ids, false);  // a throwing handler is retried like a busy one
    }
    for (size_t i = 0; i < from_wheel; ++i) tracked[batch[i].id].state = State::kInFlight;
    batch.clear();
    return;
  }
  while (auto due = take_ready()) {
    auto done = [box = inbox, id = due->id](bool ok) { box->push(Event{Event::kDone, ok, id, 0}); };
    try {
      on_fire(due->id, due->due_ms, done);
    } catch (const std::exception&) {
      done(false);  // a throwing handler is retried like a busy one
    }
  }
}

void TimerService::Impl::publish() {
  in_wheel_stat.store(held(), std::memory_order_relaxed);
  in_flight_stat.store(in_flight, std::memory_order_relaxed);
  wakeups.fetch_add(1, std::memory_order_release);
}

void TimerService::Impl::wait(TimeMs now) {
  TimeMs wake = next_load_ms;
  if (auto next = wheel.next_expiry()) wake = std::min(wake, *next);
  if ((load_incomplete && room() > 0) || (!ready_queue.empty() && in_flight < opts.max_in_flight)) wake = now;
  const TimeMs before = clock.now_ms();
  const DurationMs sleep_ms = std::clamp<DurationMs>(wake - before, 0, kMaxSleepMs);
  std::unique_lock lock(inbox->mu);
  if (sleep_ms == 0 || inbox->stopping || inbox->poked || inbox->urgent) return;
  inbox->sleep_until = std::min(saturating_add(before, sleep_ms), Inbox::kAwake - 1);
  inbox->cv.wait_for(lock, std::chrono::milliseconds(sleep_ms),
                     [&] { return inbox->stopping || inbox->poked || inbox->urgent; });
  inbox->sleep_until = Inbox::kAwake;
}

void TimerService::Impl::run() {
  std::vector<Event> events;
  for (;;) {
    {
      std::lock_guard lock(inbox->mu);
      if (inbox->stopping) return;
      events.swap(inbox->events);
      inbox->poked = false;
      inbox->urgent = false;
    }
    for (const Event& e : events) apply(e);  // invariant (2): before the pass
    events.clear();
    const TimeMs now = clock.now_ms();
    if (should_load(now)) load(now);
    if (on_fire_batch && batch.capacity() < held()) {
      // Room to hand everything held over in one pass, made before it comes
      // due: a burst's hand-over then allocates nothing (no copies, no page
      // faults). Bounded by max_in_wheel.
      batch.reserve(held());
      wheel.reserve_batch(held());
    }
    wheel.advance(now, [this](uint64_t id, TimeMs, uint64_t stored_due) {
      if (on_fire_batch && ready_queue.empty() && in_flight < opts.max_in_flight) {
        // Straight into this pass's batch, with no lookup: marked in flight
        // in `tracked` after the handler has it (invariant 6).
        batch.push_back(Due{id, static_cast<TimeMs>(stored_due)});
        ++in_flight;
        return;
      }
      Tracked& t = tracked[id];
      t.state = State::kReady;
      ready_queue.push_back(id);
    });
    dispatch();
    publish();
    wait(now);
  }
}

// ---- TimerService ----

TimerService::TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireHandler on_fire, Options opts)
    : impl_(std::make_unique<Impl>(std::move(env), clock, std::move(on_fire), nullptr, opts)) {}

TimerService::TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireBatchHandler on_fire_batch,
                           Options opts)
    : impl_(std::make_unique<Impl>(std::move(env), clock, nullptr, std::move(on_fire_batch), opts)) {}

TimerService::TimerService(std::shared_ptr<store::Env> env, const Clock& clock, FireHandler on_fire)
    : TimerService(std::move(env), clock, std::move(on_fire), Options{}) {}

TimerService::~TimerService() { stop(); }

void TimerService::start() {
  {
    std::lock_guard lock(impl_->inbox->mu);
    if (impl_->thread.joinable() || impl_->inbox->stopping) return;
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    set_thread_name("orderd-timers");
    impl->run();
  });
}

void TimerService::stop() {
  {
    std::lock_guard lock(impl_->inbox->mu);
    impl_->inbox->stopping = true;
  }
  impl_->inbox->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool TimerService::ready() const { return impl_->ready_flag.load(std::memory_order_acquire); }

void TimerService::notify_scheduled(uint64_t id, TimeMs due_ms) {
  impl_->inbox->push(Event{Event::kScheduled, false, id, due_ms});
}

void TimerService::notify_cancelled(uint64_t id) { impl_->inbox->push(Event{Event::kCancelled, false, id, 0}); }

void TimerService::poke() {
  {
    std::lock_guard lock(impl_->inbox->mu);
    impl_->inbox->poked = true;
  }
  impl_->inbox->cv.notify_one();
}

TimerStats TimerService::stats() const {
  TimerStats s;
  s.wakeups = impl_->wakeups.load(std::memory_order_acquire);  // first: the rest is at least this fresh
  s.in_wheel = impl_->in_wheel_stat.load(std::memory_order_relaxed);
  s.in_flight = impl_->in_flight_stat.load(std::memory_order_relaxed);
  s.fired_total = impl_->fired_total.load(std::memory_order_relaxed);
  s.retried_total = impl_->retried_total.load(std::memory_order_relaxed);
  s.loaded_until_ms = impl_->loaded_until_stat.load(std::memory_order_relaxed);
  try {
    store::ReadTxn txn(*impl_->env);
    const MDB_dbi due_table = txn.table("timers_due");
    s.pending_on_disk = txn.count(due_table);
    store::Cursor cursor = txn.cursor(due_table);
    if (cursor.first() && cursor.key().size() == 16) s.next_due_ms = static_cast<TimeMs>(store::read_u64(cursor.key()));
  } catch (const std::exception&) {
    // reader table full: the disk figures stay 0 for this call
  }
  return s;
}

}  // namespace orderd::timer
