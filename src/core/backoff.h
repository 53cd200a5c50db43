// backoff.h — exponential back-off with jitter, as a pure function: the random
// input is passed in, so a decision stays a function of its inputs.
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/clock.h"

namespace orderd {

// Delay before retry number `retry` (1 = first retry): base·2^(retry−1),
// capped at `cap`, then scaled by a jitter factor in [0.8, 1.2) taken from
// `random` (any 64-bit value). Worked example, base 1 s: retry 1 → 0.8–1.2 s,
// retry 2 → 1.6–2.4 s, retry 3 → 3.2–4.8 s; with cap 10 m, retry 12 → 8–12 min.
inline DurationMs backoff_delay(int retry, DurationMs base, DurationMs cap, uint64_t random) {
  int shift = std::clamp(retry - 1, 0, 40);
  DurationMs d = base;
  for (int i = 0; i < shift && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  const uint64_t permille = 800 + random % 400;  // 0.8 .. 1.199
  return std::max<DurationMs>(1, static_cast<DurationMs>(static_cast<uint64_t>(d) * permille / 1000));
}

}  // namespace orderd
