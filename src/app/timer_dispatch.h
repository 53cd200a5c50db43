// timer_dispatch.h — what a fired durable timer means, by kind: a job's
// retry timer makes the job ready; rc_deadline, po_unpaid and
// po_refund_recheck go to their order service. Shared by `orderd serve` (the
// TimerService's firing mutation) and the deterministic simulation.
//
// Thread: writer thread, inside the firing mutation's txn.
#pragma once
#include "orders/purchase_service.h"
#include "orders/recharge_service.h"
#include "queue/jobs.h"
#include "timer/timers.h"

namespace orderd::app {

struct TimerTargets {
  queue::JobStore& jobs;
  orders::RechargeService& recharges;
  orders::PurchaseService& purchases;
};

// Takes timer `id` (no-op if it was cancelled or already taken) and applies
// what it means, in `txn`. Errors: the txn's write errors.
[[nodiscard]] Status fire_timer(store::WriteTxn& txn, timer::TimerStore& timers, const TimerTargets& targets,
                                uint64_t id, TimeMs due);

}  // namespace orderd::app
