// timing_wheel.h — the hierarchical timing wheel: an in-memory set of
// (id, due) entries that fires them in (due, id) order as its owner advances
// time. Pure: no clock reads, no locks, no threads, no I/O.
//
// Owns: a pool of entries (vector + free list) linked into buckets by
// intrusive doubly-linked lists; kLevels levels of 64 buckets each, with one
// 64-bit occupancy bitmap per level.
//
// Thread model: one owner (TimerService's thread). Not thread-safe.
//
// Time: a tick is tick_ms (default 10 ms; TimerService uses 1 ms). An entry due at due_ms belongs to
// tick due_tick = ceil(due_ms / tick_ms); advance(now_ms) processes every tick
// up to floor(now_ms / tick_ms). So an entry never fires before its due time
// and at most one tick after it, provided the owner advances on time.
//
// Levels: level L has 64 buckets of 64^L ticks each. An entry with due tick d,
// when the wheel stands at tick n, lives at the lowest level L with
// (d >> 6L) - (n >> 6L) < 64, in slot (d >> 6L) & 63. Bucket spans at 10 ms:
//   L0 10 ms (wheel 640 ms)   L1 640 ms (41 s)   L2 41 s (43.7 min)
//   L3 43.7 min (46.6 h)      L4 46.6 h (124 d)  L5 124 d (21.8 y)
//   L6 21.8 y (1396 y): anything farther is clamped into L6's farthest bucket
//   and re-placed when that bucket is reached.
//
// Invariants:
//   (1) Every pooled entry is in exactly one list: a bucket, the overdue list
//       (due tick <= current tick, fires on the next advance), or the free list.
//   (2) Bit s of occupancy_[L] is set iff bucket (L, s) is non-empty.
//   (3) At level L >= 1 the full bucket index b = d >> 6L of every entry lies in
//       [cur_L + 1, cur_L + 63], where cur_L = current_tick >> 6L; at level 0 in
//       [current_tick + 1, current_tick + 63]. So slot cur_L & 63 is always empty
//       and a slot maps back to exactly one full index: the bitmaps, rotated to
//       start after cur_L, give the next non-empty bucket with one ctz.
//   (4) No non-empty bucket starts at or before current_tick: advance() stops
//       at every non-empty bucket start (cascade or fire) in time order, and
//       skips empty ticks without visiting them.
//   (5) A handle names one insertion: an entry's generation changes when it
//       is freed, so cancel() of a fired or cancelled handle is a no-op.
//
// Worked example (tick 10 ms; now = 1_700_000_000_000 ms, tick n = 170_000_000_000,
// whose index at L1 is 2_656_250_000 and at L2 is 41_503_906, slot 34):
//
//   A 3-minute recharge deadline (due tick d = n + 18_000):
//     L0: d - n = 18_000 >= 64.  L1: (d>>6) - (n>>6) = 281 >= 64.
//     L2: (d>>12) - (n>>12) = 4 < 64 → level 2, slot (d>>12)&63 = 38,
//         bucket starts at tick 170_000_015_360 (+153.60 s).
//     next_expiry() = +153.60 s: the owner sleeps until then, not tick by tick.
//     At +153.60 s the L2 bucket is cascaded: d - now = 2_640 ticks, (d>>6) -
//         (now>>6) = 41 < 64 → level 1, slot 41, starts at +179.84 s.
//     At +179.84 s the L1 bucket is cascaded: d - now = 16 → level 0, slot 16.
//     At +180.00 s (tick d) the L0 bucket fires: 3 wake-ups in 3 minutes.
//
//   A 30-minute unpaid deadline (d = n + 180_000):
//     (d>>12) - (n>>12) = 44 < 64 → level 2, slot 14, starts at +1792.00 s.
//     At +1792.00 s → level 1, slot 12 (starts at +1799.68 s).
//     At +1799.68 s → level 0, slot 32.  At +1800.00 s it fires.
//
//   Both sit in L2 at once (slots 38 and 14, bits set in occupancy_[2]); the
//   next expiry is the earlier bucket start after slot 34 in rotated order:
//   slot 38 (+4 buckets) before slot 14 (+44 buckets, wrapped).
#pragma once
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/clock.h"
#include "core/huge_pages.h"

namespace orderd::timer {

// Names one inserted entry. Default-constructed: names nothing.
struct WheelHandle {
  uint32_t index = UINT32_MAX;  // pool slot; UINT32_MAX = none
  uint32_t generation = 0;
  bool valid() const { return index != UINT32_MAX; }
};

class TimingWheel {
 public:
  static constexpr int kLevels = 7;
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;

  // REQUIRES: tick_ms >= 1. The wheel stands at floor(start_ms / tick_ms).
  explicit TimingWheel(DurationMs tick_ms = 10, TimeMs start_ms = 0);

  // Adds an entry. An entry already due (due tick <= current tick) goes to the
  // overdue list and fires on the next advance(). O(1), amortised (pool growth).
  // Thread: owner.
  // `tag` is the owner's: handed back with the entry when it fires.
  WheelHandle insert(uint64_t id, TimeMs due_ms, uint64_t tag = 0);

  // Removes a pending entry. Returns false if the handle is stale (the entry
  // already fired or was cancelled). O(1). Thread: owner.
  bool cancel(WheelHandle handle);

  // Fires, via on_fire(id, due_ms), every entry whose due tick is <= floor(
  // now_ms / tick_ms), in (due tick, due_ms, id) order, cascading higher levels
  // down on the way; cost is proportional to the non-empty buckets crossed, not
  // to the ticks. Returns the number fired. A clock that went backwards is a
  // no-op. on_fire may insert() and cancel(); an insert that is already due
  // fires within this same call.
  // REQUIRES: on_fire does not call advance(). Thread: owner.
  // on_fire(id, due_ms) or on_fire(id, due_ms, tag).
  template <class OnFire>
  size_t advance(TimeMs now_ms, OnFire&& on_fire) {
    const uint64_t target = to_tick_floor(now_ms);
    size_t fired = 0;
    while (collect_next(target)) {
      for (const Fired& f : batch_) {
        if constexpr (std::is_invocable_v<OnFire&, uint64_t, TimeMs, uint64_t>) on_fire(f.id, f.due_ms, f.tag);
        else on_fire(f.id, f.due_ms);
      }
      fired += batch_.size();
    }
    return fired;
  }

  // When the owner must call advance() next: the start of the earliest
  // non-empty bucket (a firing or a cascade), or the current time if something
  // is overdue; nullopt when empty. Empty buckets never wake the owner.
  // Thread: owner.
  std::optional<TimeMs> next_expiry() const;

  size_t size() const { return size_; }
  // Makes room to fire `n` entries in one advance() without growing memory
  // then (a burst's hand-over should not wait for allocations and page
  // faults). Thread: owner.
  void reserve_batch(size_t n) { batch_.reserve(n); }
  bool empty() const { return size_ == 0; }
  DurationMs tick_ms() const { return tick_ms_; }
  // The time the wheel stands at: current tick × tick_ms.
  TimeMs current_ms() const { return static_cast<TimeMs>(current_tick_) * tick_ms_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr uint16_t kOverdueBucket = kLevels * kSlots;  // the overdue list
  static constexpr uint16_t kFreeBucket = kOverdueBucket + 1;   // on the free list

  struct Entry {
    uint64_t id = 0;
    TimeMs due_ms = 0;
    uint64_t due_tick = 0;
    uint64_t tag = 0;
    uint32_t prev = kNil;
    uint32_t next = kNil;
    uint32_t generation = 0;
    uint16_t bucket = kFreeBucket;  // level * 64 + slot, or kOverdueBucket, or kFreeBucket
  };
  struct Fired {
    TimeMs due_ms;
    uint64_t id;
    uint64_t tag;
  };

  uint64_t to_tick_floor(TimeMs t) const;
  uint64_t to_tick_ceil(TimeMs t) const;
  // Puts entry `index` in the bucket its due tick calls for at current_tick_,
  // or into batch_ (and frees it) when it is due.
  void place(uint32_t index, bool due_goes_to_batch);
  void link(uint32_t index, uint16_t bucket);
  void unlink(uint32_t index);
  uint32_t detach_list(uint16_t bucket);  // empties a bucket, returns its old head
  void release(uint32_t index);           // back to the free list
  // Earliest non-empty bucket start tick at `level`, or nullopt.
  std::optional<uint64_t> next_bucket_start(int level) const;
  // Moves the next batch of due entries (or cascades) at or before `target`
  // into batch_, sorted. Returns false when nothing is left at or before target.
  bool collect_next(uint64_t target);
  void take_into_batch(uint32_t index);

  DurationMs tick_ms_;
  uint64_t current_tick_;
  size_t size_ = 0;
  std::vector<Entry, HugePageAllocator<Entry>> pool_;  // huge pages: walking a burst is TLB-bound
  uint32_t free_head_ = kNil;
  uint32_t heads_[kLevels * kSlots + 1];  // + the overdue list; kNil = empty
  uint64_t occupancy_[kLevels] = {};
  std::vector<Fired, HugePageAllocator<Fired>> batch_;  // reused across advances: no allocation per tick
};

}  // namespace orderd::timer
