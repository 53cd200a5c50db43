// waiters.h — long-poll support: coroutines wait on a key (an order id) until
// someone wakes that key or a timeout passes. No thread is held per waiter:
// each waiter is one steady_timer on the waiting coroutine's executor.
//
// Owns: the key → waiters map and the wake epochs. Thread: every member is
// safe from any thread (one mutex); wait() must be co_awaited from a
// coroutine, whose executor its timer uses.
//
// The lost-wake-up race and how the epoch closes it:
//   a long poll reads the order (pending), then waits; if the writer commits
//   "succeeded" and calls wake(id) after the read but before the wait is
//   registered, a plain wait would sleep the whole timeout. So the caller
//   takes the epoch FIRST, then reads, then waits with that epoch:
//
//     uint64_t seen = waiters.epoch();          // 1. before reading state
//     auto order = read_order(id);              // 2. read (pending)
//     if (pending) co_await waiters.wait(id, seen, 10s);   // 3.
//
//   wake(id) happens after the commit that changed the state. If it lands
//   before step 1, step 2 sees the new state; if it lands between 1 and 3,
//   wait() sees a wake of `id` newer than `seen` and returns true at once.
//
// Invariants:
//   (1) epoch_ increases by one per wake(); ring_[e % kMaxRemembered] holds
//       the hash of the key woken at epoch e, for the last kMaxRemembered
//       epochs.
//   (2) A wake of key at epoch e > seen is never lost for wait(key, seen):
//       if epoch_ - seen <= kMaxRemembered, every wake after `seen` is still
//       in the ring and the one of `key` matches its hash; otherwise some may
//       have been overwritten and wait() wakes conservatively. A forgotten
//       wake or a hash collision costs at most a spurious early return
//       (true), never a lost one: callers re-read their state and wait again.
//       wake() allocates nothing and never stalls to forget (the writer
//       thread calls it for every order change).
//   (3) A waiter completes exactly once: with true if wake() marked it under
//       the mutex, else with false when its timer fires.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"

namespace orderd::http {

class Waiters {
 public:
  static constexpr size_t kMaxRemembered = 16'384;  // wakes; a power of two

  Waiters() = default;
  ~Waiters();
  Waiters(const Waiters&) = delete;
  Waiters& operator=(const Waiters&) = delete;

  // The current wake epoch; take it before reading the state you wait on.
  // Thread: any.
  uint64_t epoch() const;
  // Suspends until key is woken after `seen_epoch` (true) or timeout passes
  // (false). Returns true at once if such a wake already happened.
  // REQUIRES: the waiters object outlives the wait.
  // Thread: any coroutine; resumes on the coroutine's executor.
  boost::asio::awaitable<bool> wait(std::string key, uint64_t seen_epoch, DurationMs timeout);
  // As above with seen_epoch = epoch() now: a wake between the caller's read
  // of its state and this call is lost. Prefer the three-argument form.
  boost::asio::awaitable<bool> wait(std::string key, DurationMs timeout);
  // Wakes every current waiter of key and records the wake. Thread: any.
  void wake(const std::string& key);
  // Number of suspended waiters. Thread: any.
  size_t size() const;

 private:
  struct Waiter;
  bool woken_since_locked(const std::string& key, uint64_t seen_epoch) const;
  void remove_locked(const std::string& key, const Waiter* waiter);

  mutable std::mutex mu_;
  uint64_t epoch_ = 0;                                // guarded by mu_
  std::vector<uint64_t> ring_ = std::vector<uint64_t>(kMaxRemembered);  // invariant 1, guarded by mu_
  std::unordered_map<std::string, std::vector<std::weak_ptr<Waiter>>> waiting_;
  size_t count_ = 0;                                  // suspended waiters
};

}  // namespace orderd::http
