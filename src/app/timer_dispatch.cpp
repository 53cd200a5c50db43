#include "app/timer_dispatch.h"

#include <spdlog/spdlog.h>

namespace orderd::app {

Status fire_timer(store::WriteTxn& txn, timer::TimerStore& timers, const TimerTargets& t, uint64_t id, TimeMs due) {
  auto rec = timers.take(txn, id, due);
  if (!rec) return rec.error();
  if (!*rec) return ok_status();  // cancelled meanwhile
  const timer::TimerRecord& r = **rec;
  if (r.kind == queue::kJobTimerKind) {
    t.jobs.on_timer(txn, store::json_int_or<uint64_t>(r.payload, "job_id", uint64_t{0}));
    return ok_status();
  }
  if (r.kind == orders::kTimerDeadline) return t.recharges.on_deadline_timer(txn, r);
  if (r.kind == orders::kTimerUnpaid || r.kind == orders::kTimerRefundRecheck || r.kind == orders::kTimerCloseCheck)
    return t.purchases.on_timer(txn, r);
  spdlog::warn("timer {} of unknown kind '{}' dropped", r.id, r.kind);
  return ok_status();
}

}  // namespace orderd::app
