// clock.h — injected time (GUIDE habit 6). Nothing in src/orders, src/timer or
// src/queue reads a system clock; they take a Clock&.
//
// Time is int64 milliseconds since the Unix epoch (wall clock), because timers
// are durable across restarts and compare against stored due times.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

namespace orderd {

using TimeMs = int64_t;      // milliseconds since the Unix epoch, UTC
using DurationMs = int64_t;  // a span of milliseconds

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread: safe from any thread.
  virtual TimeMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override;
  static SystemClock& instance();
};

// A clock tests move by hand. Thread: safe from any thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(); }
  void set(TimeMs t) { now_.store(t); }
  void advance(DurationMs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

// RFC 3339 UTC with milliseconds: "2026-11-22T07:33:03.123Z".
std::string format_rfc3339(TimeMs t);

}  // namespace orderd
