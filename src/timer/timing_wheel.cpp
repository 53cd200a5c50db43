// timing_wheel.cpp — see timing_wheel.h for the layout, invariants and a
// worked example.
#include "timer/timing_wheel.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>

namespace orderd::timer {

namespace {
constexpr uint64_t kSlotMask = TimingWheel::kSlots - 1;
constexpr int shift_of(int level) { return level * TimingWheel::kSlotBits; }
}  // namespace

TimingWheel::TimingWheel(DurationMs tick_ms, TimeMs start_ms) : tick_ms_(tick_ms < 1 ? 1 : tick_ms), current_tick_(0) {
  current_tick_ = to_tick_floor(start_ms);
  std::fill(std::begin(heads_), std::end(heads_), kNil);
}

uint64_t TimingWheel::to_tick_floor(TimeMs t) const {
  return t <= 0 ? 0 : static_cast<uint64_t>(t / tick_ms_);
}

uint64_t TimingWheel::to_tick_ceil(TimeMs t) const {
  if (t <= 0) return 0;
  return static_cast<uint64_t>(t / tick_ms_) + (t % tick_ms_ != 0 ? 1 : 0);
}

WheelHandle TimingWheel::insert(uint64_t id, TimeMs due_ms, uint64_t tag) {
  uint32_t index;
  if (free_head_ != kNil) {
    index = free_head_;
    free_head_ = pool_[index].next;
  } else {
    index = static_cast<uint32_t>(pool_.size());
    pool_.emplace_back();
  }
  Entry& e = pool_[index];
  e.id = id;
  e.due_ms = due_ms;
  e.due_tick = to_tick_ceil(due_ms);
  e.tag = tag;
  ++size_;
  place(index, /*due_goes_to_batch=*/false);
  return WheelHandle{index, e.generation};
}

bool TimingWheel::cancel(WheelHandle handle) {
  if (!handle.valid() || handle.index >= pool_.size()) return false;
  Entry& e = pool_[handle.index];
  if (e.generation != handle.generation || e.bucket == kFreeBucket) return false;
  unlink(handle.index);
  release(handle.index);
  return true;
}

void TimingWheel::place(uint32_t index, bool due_goes_to_batch) {
  const Entry& e = pool_[index];
  if (e.due_tick <= current_tick_) {
    if (due_goes_to_batch) {
      take_into_batch(index);
    } else {
      link(index, kOverdueBucket);
    }
    return;
  }
  for (int level = 0; level < kLevels; ++level) {
    const uint64_t cur = current_tick_ >> shift_of(level);
    uint64_t bucket = e.due_tick >> shift_of(level);
    const bool last = level == kLevels - 1;
    if (bucket - cur < kSlots || last) {
      if (bucket - cur >= kSlots) bucket = cur + kSlots - 1;  // beyond the top level: clamp, re-placed later
      link(index, static_cast<uint16_t>(level * kSlots + (bucket & kSlotMask)));
      return;
    }
  }
}

void TimingWheel::link(uint32_t index, uint16_t bucket) {
  Entry& e = pool_[index];
  e.bucket = bucket;
  e.prev = kNil;
  e.next = heads_[bucket];
  if (e.next != kNil) pool_[e.next].prev = index;
  heads_[bucket] = index;
  if (bucket < kOverdueBucket) occupancy_[bucket / kSlots] |= uint64_t{1} << (bucket % kSlots);
}

void TimingWheel::unlink(uint32_t index) {
  Entry& e = pool_[index];
  if (e.prev != kNil) {
    pool_[e.prev].next = e.next;
  } else {
    heads_[e.bucket] = e.next;
  }
  if (e.next != kNil) pool_[e.next].prev = e.prev;
  if (heads_[e.bucket] == kNil && e.bucket < kOverdueBucket)
    occupancy_[e.bucket / kSlots] &= ~(uint64_t{1} << (e.bucket % kSlots));
  e.prev = e.next = kNil;
}

uint32_t TimingWheel::detach_list(uint16_t bucket) {
  const uint32_t head = heads_[bucket];
  heads_[bucket] = kNil;
  if (bucket < kOverdueBucket) occupancy_[bucket / kSlots] &= ~(uint64_t{1} << (bucket % kSlots));
  return head;
}

void TimingWheel::release(uint32_t index) {
  Entry& e = pool_[index];
  ++e.generation;
  e.bucket = kFreeBucket;
  e.prev = kNil;
  e.next = free_head_;
  free_head_ = index;
  --size_;
}

void TimingWheel::take_into_batch(uint32_t index) {
  batch_.push_back(Fired{pool_[index].due_ms, pool_[index].id, pool_[index].tag});
  release(index);
}

std::optional<uint64_t> TimingWheel::next_bucket_start(int level) const {
  const uint64_t bits = occupancy_[level];
  if (bits == 0) return std::nullopt;
  const uint64_t cur = current_tick_ >> shift_of(level);
  // Invariant (3): used full indices are cur+1 .. cur+63, so rotate the
  // bitmap to begin at slot (cur+1) and the first set bit is the earliest.
  const int first_slot = static_cast<int>((cur + 1) & kSlotMask);
  const uint64_t rotated = std::rotr(bits, first_slot);
  const uint64_t offset = static_cast<uint64_t>(std::countr_zero(rotated));
  return (cur + 1 + offset) << shift_of(level);
}

bool TimingWheel::collect_next(uint64_t target) {
  batch_.clear();
  if (heads_[kOverdueBucket] != kNil) {
    for (uint32_t i = detach_list(kOverdueBucket); i != kNil;) {
      const uint32_t next = pool_[i].next;
      take_into_batch(i);
      i = next;
    }
  } else {
    uint64_t earliest = std::numeric_limits<uint64_t>::max();
    for (int level = 0; level < kLevels; ++level)
      if (auto start = next_bucket_start(level)) earliest = std::min(earliest, *start);
    if (earliest > target) {  // also when empty
      current_tick_ = std::max(current_tick_, target);
      return false;
    }
    // Invariant (4): nothing non-empty starts before `earliest`, so moving the
    // wheel there skips no entry. Every bucket starting exactly there is now
    // reached: cascade from the top down, then fire level 0.
    current_tick_ = earliest;
    for (int level = kLevels - 1; level >= 0; --level) {
      const uint64_t boundary_mask = (uint64_t{1} << shift_of(level)) - 1;
      if ((earliest & boundary_mask) != 0) continue;
      const uint64_t slot = (earliest >> shift_of(level)) & kSlotMask;
      if ((occupancy_[level] & (uint64_t{1} << slot)) == 0) continue;
      for (uint32_t i = detach_list(static_cast<uint16_t>(level * kSlots + slot)); i != kNil;) {
        const uint32_t next = pool_[i].next;
        place(i, /*due_goes_to_batch=*/true);
        i = next;
      }
    }
  }
  // Buckets are linked lists, so a batch often comes out already in order or
  // exactly reversed (a burst scheduled in id order): check before sorting.
  const auto before = [](const Fired& a, const Fired& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
  };
  if (std::is_sorted(batch_.rbegin(), batch_.rend(), before)) {
    std::reverse(batch_.begin(), batch_.end());
  } else if (!std::is_sorted(batch_.begin(), batch_.end(), before)) {
    std::sort(batch_.begin(), batch_.end(), before);
  }
  return true;
}

std::optional<TimeMs> TimingWheel::next_expiry() const {
  if (heads_[kOverdueBucket] != kNil) return current_ms();
  std::optional<uint64_t> earliest;
  for (int level = 0; level < kLevels; ++level) {
    auto start = next_bucket_start(level);
    if (start && (!earliest || *start < *earliest)) earliest = start;
  }
  if (!earliest) return std::nullopt;
  const uint64_t max_tick = static_cast<uint64_t>(std::numeric_limits<TimeMs>::max() / tick_ms_);
  if (*earliest > max_tick) return std::numeric_limits<TimeMs>::max();
  return static_cast<TimeMs>(*earliest) * tick_ms_;
}

}  // namespace orderd::timer
