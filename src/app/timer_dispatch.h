// timer_dispatch.h — what a fired durable timer means, by kind: a job's
// retry timer makes the job ready; rc_deadline, po_unpaid and
// po_refund_recheck go to their order service. Shared by `orderd serve` (the
// TimerService's firing mutation) and the deterministic simulation; how serve
// batches the firings (fire_in_chunks) is shared with the timer benchmark.
//
// Thread: fire_timer on the writer thread, inside the firing mutation's txn.
#pragma once
#include "orders/purchase_service.h"
#include "orders/recharge_service.h"
#include "queue/jobs.h"
#include "store/writer.h"
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

using FireOne = std::function<Status(store::WriteTxn&, const timer::TimerService::Due&)>;
using FireDone = std::function<void(const std::vector<uint64_t>& ids, bool ok)>;
inline constexpr size_t kFireChunk = 256;

// Fires a pass's due timers (a TimerService batch) through `writer`: one
// mutation runs fire() for up to `chunk` timers, so a burst costs a few
// hundred mutations, not one per timer. done(ids, ok) reports each timer
// once. If a chunk's mutation fails nothing of it was committed, and each of
// its timers is fired again in a mutation of its own, so one timer that
// cannot fire never holds back the others. Thread: any (done runs on the
// writer thread, or on the caller's if the writer refuses the mutation).
void fire_in_chunks(store::Writer& writer, const std::vector<timer::TimerService::Due>& due, FireOne fire,
                    FireDone done, size_t chunk = kFireChunk);

}  // namespace orderd::app
