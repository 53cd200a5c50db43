// Tests of the pure TimingWheel: time is a plain number moved by the test.
#include "timer/timing_wheel.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <utility>
#include <vector>

using orderd::TimeMs;
using orderd::timer::TimingWheel;
using orderd::timer::WheelHandle;

namespace {

constexpr TimeMs kStart = 1'700'000'000'000;  // tick-aligned at 10 ms
constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kYear = 365 * 24 * kHour;

struct Fire {
  uint64_t id;
  TimeMs due_ms;
  TimeMs at_ms;  // the `now` of the advance that fired it
};

struct Recorder {
  std::vector<Fire> fires;
  size_t advance(TimingWheel& wheel, TimeMs now) {
    return wheel.advance(now, [&](uint64_t id, TimeMs due) { fires.push_back({id, due, now}); });
  }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (const auto& f : fires) out.push_back(f.id);
    return out;
  }
};

// Drives the wheel the way its owner does: sleep until next_expiry(), advance.
// Returns the number of wake-ups.
size_t run_until(TimingWheel& wheel, Recorder& rec, TimeMs until) {
  size_t wakeups = 0;
  while (auto next = wheel.next_expiry()) {
    if (*next > until) break;
    ++wakeups;
    rec.advance(wheel, *next);
  }
  rec.advance(wheel, until);
  return wakeups;
}

}  // namespace

TEST_CASE("wheel fires in (due, id) order within and across ticks", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  // Same tick (due 20..29 ms all round up to tick +3 => 30 ms), and ids out of order.
  wheel.insert(7, kStart + 25);
  wheel.insert(3, kStart + 25);
  wheel.insert(9, kStart + 21);
  wheel.insert(1, kStart + 30);
  wheel.insert(5, kStart + 10);
  wheel.insert(2, kStart + 500);
  REQUIRE(wheel.size() == 6);
  REQUIRE(*wheel.next_expiry() == kStart + 10);

  REQUIRE(rec.advance(wheel, kStart + 9) == 0);
  REQUIRE(rec.advance(wheel, kStart + 10) == 1);
  REQUIRE(rec.advance(wheel, kStart + 29) == 0);  // due 21 and 25 belong to tick 30: never early
  REQUIRE(rec.advance(wheel, kStart + 35) == 4);
  REQUIRE(rec.ids() == std::vector<uint64_t>{5, 9, 3, 7, 1});
  REQUIRE(*wheel.next_expiry() == kStart + 500);
  REQUIRE(rec.advance(wheel, kStart + 1000) == 1);
  REQUIRE(wheel.empty());
  REQUIRE_FALSE(wheel.next_expiry());
  for (const auto& f : rec.fires) REQUIRE(f.due_ms <= f.at_ms);
}

TEST_CASE("wheel cascades across every level and fires at the exact tick", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  std::vector<TimeMs> dues;
  uint64_t span_ticks = 1;
  for (int level = 0; level < TimingWheel::kLevels; ++level, span_ticks *= 64) {
    for (int64_t delta : {int64_t(span_ticks) - 1, int64_t(span_ticks), int64_t(span_ticks) + 1,
                          int64_t(span_ticks) * 63 + 5}) {
      if (delta > 0) dues.push_back(kStart + delta * 10);
    }
  }
  dues.push_back(kStart + 200 * kYear);  // beyond 64^6 ticks: clamped into the top level
  std::sort(dues.begin(), dues.end());
  dues.erase(std::unique(dues.begin(), dues.end()), dues.end());
  for (size_t i = 0; i < dues.size(); ++i) wheel.insert(i, dues[i]);

  for (size_t i = 0; i < dues.size(); ++i) {
    run_until(wheel, rec, dues[i] - 1);
    REQUIRE(rec.fires.size() == i);  // not one tick early
    run_until(wheel, rec, dues[i]);
    REQUIRE(rec.fires.size() == i + 1);
    REQUIRE(rec.fires.back().id == i);
    REQUIRE(rec.fires.back().at_ms == dues[i]);
  }
  REQUIRE(wheel.empty());
}

TEST_CASE("wheel fires a 30-minute and a one-year delay at exactly the right tick with few wake-ups", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  const TimeMs unpaid_deadline = kStart + 30 * kMinute;
  const TimeMs one_year = kStart + kYear + 7 * 10;
  wheel.insert(1, unpaid_deadline);
  wheel.insert(2, one_year);

  size_t wakeups = run_until(wheel, rec, unpaid_deadline - 10);
  REQUIRE(rec.fires.empty());
  wakeups += run_until(wheel, rec, unpaid_deadline);
  REQUIRE(rec.fires.size() == 1);
  REQUIRE(rec.fires[0].id == 1);
  REQUIRE(rec.fires[0].at_ms == unpaid_deadline);
  REQUIRE(wakeups <= 3);  // L2 → L1 → L0 → fire, as traced in timing_wheel.h

  wakeups = run_until(wheel, rec, one_year - 10);
  REQUIRE(rec.fires.size() == 1);
  wakeups += run_until(wheel, rec, one_year + 5);
  REQUIRE(rec.fires.size() == 2);
  REQUIRE(rec.fires[1].id == 2);
  REQUIRE(rec.fires[1].at_ms == one_year);  // the owner woke at the due tick itself
  REQUIRE(wakeups <= TimingWheel::kLevels);
}

TEST_CASE("wheel cancel removes pending entries, also after they cascaded", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  WheelHandle near = wheel.insert(1, kStart + 50);
  WheelHandle far = wheel.insert(2, kStart + kHour);
  WheelHandle kept = wheel.insert(3, kStart + kHour + 10);
  REQUIRE(wheel.cancel(near));
  REQUIRE_FALSE(wheel.cancel(near));  // stale handle
  REQUIRE(wheel.size() == 2);

  // Within the last 640 ms both have cascaded down to level 0.
  run_until(wheel, rec, kStart + kHour - 100);
  REQUIRE(rec.fires.empty());
  REQUIRE(wheel.cancel(far));
  run_until(wheel, rec, kStart + 2 * kHour);
  REQUIRE(rec.ids() == std::vector<uint64_t>{3});
  REQUIRE_FALSE(wheel.cancel(kept));  // already fired
  REQUIRE_FALSE(wheel.cancel(WheelHandle{}));

  // A freed pool slot is reused; the old handle does not cancel the new entry.
  WheelHandle reused = wheel.insert(4, kStart + 3 * kHour);
  REQUIRE(reused.index == kept.index);
  REQUIRE_FALSE(wheel.cancel(kept));
  REQUIRE(wheel.size() == 1);
}

TEST_CASE("wheel fires entries inserted already due on the next advance", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  rec.advance(wheel, kStart + kHour);
  wheel.insert(9, kStart + 5);
  wheel.insert(8, kStart + kHour);
  wheel.insert(7, kStart + 5);
  REQUIRE(*wheel.next_expiry() == kStart + kHour);
  REQUIRE(rec.advance(wheel, kStart + kHour) == 3);
  REQUIRE(rec.ids() == std::vector<uint64_t>{7, 9, 8});
  // A clock that went backwards fires nothing and does not move the wheel back.
  wheel.insert(1, kStart + kHour + 10);
  REQUIRE(rec.advance(wheel, kStart) == 0);
  REQUIRE(rec.advance(wheel, kStart + kHour + 10) == 1);
}

TEST_CASE("wheel fires everything due in order after a clock jump of hours", "[timer]") {
  TimingWheel wheel(10, kStart);
  Recorder rec;
  std::mt19937_64 rng(42);
  std::vector<std::pair<TimeMs, uint64_t>> expected;
  for (uint64_t id = 0; id < 20'000; ++id) {
    TimeMs due = kStart + static_cast<TimeMs>(rng() % (6 * kHour));
    wheel.insert(id, due);
    expected.emplace_back(due, id);
  }
  std::sort(expected.begin(), expected.end());
  const TimeMs jump_to = kStart + 5 * kHour;
  size_t due_count = std::count_if(expected.begin(), expected.end(), [&](auto& e) { return e.first <= jump_to; });
  REQUIRE(rec.advance(wheel, jump_to) == due_count);
  for (size_t i = 0; i < rec.fires.size(); ++i) {
    REQUIRE(rec.fires[i].due_ms == expected[i].first);
    REQUIRE(rec.fires[i].id == expected[i].second);
  }
  REQUIRE(wheel.size() == expected.size() - due_count);
  REQUIRE(*wheel.next_expiry() >= jump_to);
}

TEST_CASE("wheel fires 1M random timers exactly once, in (due, id) order, none early", "[timer]") {
  constexpr uint64_t kCount = 1'000'000;
  TimingWheel wheel(10, kStart);
  std::mt19937_64 rng(7);
  std::vector<std::pair<TimeMs, uint64_t>> expected;
  expected.reserve(kCount);
  for (uint64_t id = 0; id < kCount; ++id) {
    // Mostly within 6 h at ms resolution (many share a tick), some up to 40 days.
    TimeMs range = (id % 16 == 0) ? 40 * 24 * kHour : 6 * kHour;
    TimeMs due = kStart + static_cast<TimeMs>(rng() % range);
    wheel.insert(id, due);
    expected.emplace_back(due, id);
  }
  std::sort(expected.begin(), expected.end());
  REQUIRE(wheel.size() == kCount);

  std::vector<uint8_t> seen(kCount, 0);
  size_t fired = 0;
  bool in_order = true, early = false, duplicate = false;
  std::pair<TimeMs, uint64_t> last{0, 0};
  TimeMs now = kStart;
  while (fired < kCount) {
    now += static_cast<TimeMs>(rng() % (20 * kMinute));
    if (rng() % 50 == 0) now += 5 * 24 * kHour;  // occasional jump of days
    wheel.advance(now, [&](uint64_t id, TimeMs due) {
      std::pair<TimeMs, uint64_t> cur{due, id};
      if (cur < last) in_order = false;
      if (due > now) early = true;
      if (seen[id]++) duplicate = true;
      last = cur;
      ++fired;
    });
    // Exactly the timers whose due tick has passed have fired.
    const TimeMs passed = now / 10 * 10;
    auto bound = std::upper_bound(expected.begin(), expected.end(), std::make_pair(passed, UINT64_MAX));
    REQUIRE(fired == static_cast<size_t>(bound - expected.begin()));
  }
  REQUIRE(in_order);
  REQUIRE_FALSE(early);
  REQUIRE_FALSE(duplicate);
  REQUIRE(wheel.empty());
}

TEST_CASE("wheel hands each entry's tag back when it fires, after cascading levels", "[timer]") {
  TimingWheel wheel(10, kStart);
  // Tags that differ from the due times (the service stores a timer's stored
  // due there while the wheel holds its retry time).
  wheel.insert(1, kStart + 25, 111);
  wheel.insert(2, kStart + 30 * kMinute, 222);
  wheel.insert(3, kStart + kYear, 333);
  const WheelHandle gone = wheel.insert(4, kStart + 30 * kMinute, 444);
  REQUIRE(wheel.cancel(gone));
  std::vector<std::pair<uint64_t, uint64_t>> fired;  // (id, tag)
  auto fire = [&](uint64_t id, TimeMs, uint64_t tag) { fired.emplace_back(id, tag); };
  while (auto next = wheel.next_expiry()) wheel.advance(*next, fire);
  REQUIRE(fired.size() == 3);
  CHECK(fired[0] == std::make_pair(uint64_t{1}, uint64_t{111}));
  CHECK(fired[1] == std::make_pair(uint64_t{2}, uint64_t{222}));
  CHECK(fired[2] == std::make_pair(uint64_t{3}, uint64_t{333}));
  // A freed slot reused by a new entry carries the new tag, not the old one.
  wheel.insert(5, wheel.current_ms() + 10, 555);
  fired.clear();
  wheel.advance(wheel.current_ms() + 10, fire);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] == std::make_pair(uint64_t{5}, uint64_t{555}));
}
