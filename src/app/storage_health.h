// storage_health.h — whether storage can take writes, for /readyz.
//
// A full disk or full map fails a batch, but a later small batch (a timer
// firing, a job ack) may still fit, so "the last batch failed" flaps between
// ready and not ready while the disk is nearly full. A load balancer needs a
// steady answer: orderd is not ready while the last batch failed and for
// kHoldMs after it recovered; it is ready again once batches have succeeded
// for that long. Pure: time comes in as an argument.
// Thread: on_batch from the writer thread, ready from any thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <limits>

#include "core/clock.h"

namespace orderd::app {

class StorageHealth {
 public:
  static constexpr DurationMs kHoldMs = 5000;

  void on_batch(bool ok, TimeMs now) {
    if (!ok) {
      last_failure_.store(now);
      failing_.store(true);
    } else if (failing_.load()) {
      last_failure_.store(now);  // failing until just now: the hold starts at the recovery
      failing_.store(false);
    }
  }

  bool ready(TimeMs now) const {
    if (failing_.load()) return false;
    const TimeMs f = last_failure_.load();
    return f == kNever || now - f >= kHoldMs;
  }

 private:
  static constexpr TimeMs kNever = std::numeric_limits<TimeMs>::min();
  std::atomic<bool> failing_{false};
  std::atomic<TimeMs> last_failure_{kNever};
};

}  // namespace orderd::app
