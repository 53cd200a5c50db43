// check.h — `orderd check --data DIR`: an offline consistency check of a
// data directory. Opens it read-only; writes nothing.
#pragma once
#include <set>
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
  uint64_t timers = 0, jobs = 0, dead = 0, recharges = 0, orders = 0, skus = 0;
  std::vector<Violation> violations;
};

// Checks: (1) timers_due and timers_key are exact mirrors; (2) every job
// decodes, and one with not_before in the future has its "job/<id>" timer;
// (3) every recharge decodes and has exactly one rc_status row, for its
// status; (4) every unfinished recharge has its deadline timer, or is past it;
// (5) every purchase order decodes, is indexed once (order_status, payments,
// po_money) and keeps the funds identity; a pending one has its unpaid
// timer; (6) every SKU keeps available + reserved + sold = stock, never
// negative, and its reserved/sold equal what the orders hold; (7) every
// user's points equal what their orders awarded and did not take back.
CheckReport check_store(const store::Env& env, TimeMs now);
// (5)–(7), inside check_store's transaction. `timer_keys`: every pending timer key.
void check_purchases(const store::Txn& txn, CheckReport& rep, const std::set<std::string>& timer_keys, TimeMs now);

}  // namespace orderd::app
