// check.h — `orderd check --data DIR`: an offline consistency check of a
// data directory. Opens it read-only; writes nothing.
#pragma once
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/env.h"

namespace orderd::app {

struct Violation {
  std::string kind;    // e.g. "timer_index_mismatch"
  std::string detail;
};

struct CheckReport {
  uint64_t timers = 0, jobs = 0, dead = 0, recharges = 0;
  std::vector<Violation> violations;
};

// Checks: (1) timers_due and timers_key are exact mirrors; (2) every job
// decodes, and one with not_before in the future has its "job/<id>" timer;
// (3) every recharge decodes and has exactly one rc_status row, for its
// status; (4) every unfinished recharge has its deadline timer, or is past it.
CheckReport check_store(const store::Env& env, TimeMs now);

}  // namespace orderd::app
