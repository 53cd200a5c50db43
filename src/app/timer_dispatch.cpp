#include "app/timer_dispatch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

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

namespace {

using Due = timer::TimerService::Due;
using Timers = std::shared_ptr<const std::vector<Due>>;

std::vector<uint64_t> ids_of(const std::vector<Due>& timers) {
  std::vector<uint64_t> ids;
  ids.reserve(timers.size());
  for (const Due& t : timers) ids.push_back(t.id);
  return ids;
}

void submit_fire(store::Writer& writer, Timers timers, const FireOne& fire, const FireDone& done) {
  store::Mutation m;
  m.apply = [timers, fire](store::WriteTxn& txn) -> Status {
    for (const Due& t : *timers) {
      auto st = fire(txn, t);
      if (!st) return st;
    }
    return ok_status();
  };
  m.done = [&writer, timers, fire, done](const Status& st) {
    if (st || timers->size() == 1) {
      done(ids_of(*timers), st.ok());
      return;
    }
    for (const Due& t : *timers) submit_fire(writer, std::make_shared<const std::vector<Due>>(1, t), fire, done);
  };
  if (!writer.submit(std::move(m))) done(ids_of(*timers), false);
}

}  // namespace

void fire_in_chunks(store::Writer& writer, const std::vector<Due>& due, FireOne fire, FireDone done, size_t chunk) {
  chunk = std::max<size_t>(chunk, 1);
  for (size_t begin = 0; begin < due.size(); begin += chunk) {
    const auto first = due.begin() + static_cast<std::ptrdiff_t>(begin);
    const auto last = due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), begin + chunk));
    submit_fire(writer, std::make_shared<const std::vector<Due>>(first, last), fire, done);
  }
}

}  // namespace orderd::app
