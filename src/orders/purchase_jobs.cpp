// purchase_jobs.cpp — the background half of PurchaseService: provider
// calls and fulfilment steps as jobs, the unpaid and refund re-check timers,
// and the reconciler (see purchase_service.h).
#include <spdlog/spdlog.h>

#include "orders/inventory.h"
#include "orders/purchase_service.h"
#include "store/keys.h"

namespace orderd::orders {

namespace asio = boost::asio;
using queue::Job;
using queue::JobResult;

namespace {
PayQuery to_pay_query(const provider::PaymentQuery& q) {
  if (q.call != provider::CallOutcome::kOk) return PayQuery::kFailed;
  return q.paid ? PayQuery::kPaid : PayQuery::kUnpaid;
}
CloseResult to_close_result(const provider::CloseResult& c) {
  if (c.call != provider::CallOutcome::kOk) return CloseResult::kFailed;
  return c.already_paid ? CloseResult::kAlreadyPaid : CloseResult::kClosed;
}
// A refund the provider refused, or whose outcome is unknown, is retried:
// refund_id makes the retry safe.
RefundResult to_refund_result(const provider::RefundResult& r) {
  return r.call == provider::CallOutcome::kOk && r.success ? RefundResult::kSuccess : RefundResult::kFailed;
}
JobResult done(std::string why = "") { return JobResult{JobResult::kDone, std::move(why), nullptr}; }
}  // namespace

void PurchaseService::register_jobs(queue::Runner& runner) {
  // Provider-level retries are decisions (new jobs with back-off); a job
  // itself retries only when its result could not be committed.
  queue::RetryPolicy infra{50, 1'000, 60'000};
  runner.register_handler(kJobQueryPayment, [this](Job j) { return run_query(std::move(j)); }, infra);
  runner.register_handler(kJobClose, [this](Job j) { return run_close(std::move(j)); }, infra);
  runner.register_handler(kJobRefund, [this](Job j) { return run_refund(std::move(j)); }, infra);
  auto commit = [this](Job j) -> asio::awaitable<JobResult> { co_return step_result(j.key, Step::kCommitStock); };
  auto points = [this](Job j) -> asio::awaitable<JobResult> { co_return step_result(j.key, Step::kAwardPoints); };
  runner.register_handler(kJobCommitStock, commit, infra);
  runner.register_handler(kJobAwardPoints, points, infra);
  // notify_url callbacks: retried with back-off (capped at 10 min) for over a day.
  runner.register_handler(kJobNotify, [this](Job j) { return run_notify(std::move(j)); },
                          queue::RetryPolicy{settings_.webhook_attempts, 1'000, 600'000});
}

JobResult PurchaseService::step_result(const std::string& id, Step step) {
  JobResult out = done();
  out.apply = [this, id, step](store::WriteTxn& txn, const Job&) -> Status {
    return update(txn, id, [&](Purchase& p, Decision& d) {
      on_step_done(p, step, ctx_.clock.now_ms(), &d);
      return ok_status();
    });
  };
  return out;
}

asio::awaitable<JobResult> PurchaseService::run_query(Job job) {
  const std::string id = job.key;
  auto p = get(id);
  if (!p || !p->query_pending) co_return done("no query outstanding");
  auto q = co_await provider_.query_payment(id, settings_.call_timeout_ms);
  const PayQuery answer = to_pay_query(q);
  const uint64_t rnd = random();
  JobResult out = done();
  out.apply = [this, id, answer, pid = q.payment_id, amount = q.amount, rnd](store::WriteTxn& txn,
                                                                            const Job&) -> Status {
    return update(txn, id, [&](Purchase& p, Decision& d) {
      on_payment_query(p, answer, pid, amount, ctx_.clock.now_ms(), settings_.decisions, rnd, &d);
      return ok_status();
    });
  };
  co_return out;
}

asio::awaitable<JobResult> PurchaseService::run_close(Job job) {
  const std::string id = job.key;
  auto p = get(id);
  if (!p || p->status != "closing") co_return done("not closing");
  auto c = co_await provider_.close_payment(id, settings_.call_timeout_ms);
  const CloseResult result = to_close_result(c);
  const uint64_t rnd = random();
  JobResult out = done();
  out.apply = [this, id, result, rnd](store::WriteTxn& txn, const Job&) -> Status {
    return update(txn, id, [&](Purchase& p, Decision& d) {
      on_close_result(p, result, ctx_.clock.now_ms(), settings_.decisions, rnd, &d);
      return ok_status();
    });
  };
  co_return out;
}

asio::awaitable<JobResult> PurchaseService::run_refund(Job job) {
  const std::string id = job.key;
  const std::string payment_id = job.payload.value("payment_id", "");
  const int64_t amount = store::json_int_or<int64_t>(job.payload, "amount", int64_t{0});
  auto p = get(id);
  if (!p) co_return done("no such order");
  bool queued = false;
  for (const auto& pay : p->payments) queued |= pay.payment_id == payment_id && pay.refund == RefundState::kQueued;
  if (!queued) co_return done("refund not queued");
  auto r = co_await provider_.refund(refund_id_for(id, payment_id), id, payment_id, amount, settings_.call_timeout_ms);
  const RefundResult result = to_refund_result(r);
  if (result == RefundResult::kFailed) spdlog::info("order {}: refund of {} failed: {}", id, payment_id, r.reason);
  const uint64_t rnd = random();
  JobResult out = done();
  out.apply = [this, id, payment_id, result, rnd](store::WriteTxn& txn, const Job&) -> Status {
    return update(txn, id, [&](Purchase& p, Decision& d) {
      on_refund_result(p, payment_id, result, ctx_.clock.now_ms(), settings_.decisions, rnd, &d);
      return ok_status();
    });
  };
  co_return out;
}

asio::awaitable<JobResult> PurchaseService::run_notify(Job job) {
  auto p = get(job.key);
  if (!p || p->notify_url.empty() || p->notify_done) co_return done("nothing to notify");
  auto status = co_await webhook_(p->notify_url, to_api(*p).dump());
  if (!status) co_return JobResult{JobResult::kRetry, "notify_url: " + status.error().message, nullptr};
  if (*status < 200 || *status >= 300)
    co_return JobResult{JobResult::kRetry, "notify_url answered HTTP " + std::to_string(*status), nullptr};
  co_return step_result(job.key, Step::kNotify);
}

Status PurchaseService::on_timer(store::WriteTxn& txn, const timer::TimerRecord& rec) {
  const std::string id = rec.payload.value("order_id", "");
  auto st = update(txn, id, [&](Purchase& p, Decision& d) {
    const TimeMs now = ctx_.clock.now_ms();
    if (rec.kind == kTimerUnpaid) on_unpaid_deadline(p, now, settings_.decisions, &d);
    else if (rec.kind == kTimerRefundRecheck) on_refund_recheck(p, now, settings_.decisions, &d);
    else if (rec.kind == kTimerCloseCheck) on_close_check(p, store::json_int_or<int>(rec.payload, "n", 0), now, &d);
    return ok_status();
  });
  if (!st && st.error().code == ErrorCode::kNotFound) return ok_status();  // timer of a vanished order
  return st;
}

// Orders in po_money whose last change is older than stuck_after: re-queue
// what should be moving (idempotent: refund_id, step flags) and flag it.
Result<size_t> PurchaseService::reconcile(store::WriteTxn& txn) {
  const TimeMs now = ctx_.clock.now_ms();
  std::vector<std::string> ids;
  {
    auto c = txn.cursor(txn.table("po_money"));
    for (bool ok = c.first(); ok; ok = c.next()) ids.emplace_back(c.key());
  }
  size_t touched = 0;
  for (const auto& id : ids) {
    auto st = update(txn, id, [&](Purchase& p, Decision& d) {
      if (auto v = check_funds(p)) {  // cannot be fixed here: a person must look
        d.changed = true;
        d.effects.push_back(FlagAttention{p.id, "reconciliation", *v});
      }
      if (now - p.updated_at < settings_.stuck_after_ms) return ok_status();
      d.changed = true;
      p.version++;
      std::string what;
      for (const auto& pay : p.payments) {
        if (pay.refund == RefundState::kQueued) {
          d.effects.push_back(EnqueueJob{kJobRefund, p.id, now, {{"payment_id", pay.payment_id}, {"amount", pay.amount}}});
          what += " refund " + pay.payment_id;
        } else if (pay.refund == RefundState::kWaiting) {
          d.effects.push_back(ScheduleTimer{kTimerRefundRecheck, refund_recheck_timer_key(p.id), now, {{"order_id", p.id}}});
          what += " refund re-check";
        }
      }
      if (p.status == "paid" || p.status == "refund_pending") {
        if (!p.commit_stock_done) d.effects.push_back(EnqueueJob{kJobCommitStock, p.id, now, Json::object()}), what += " commit_stock";
        if (!p.award_points_done) d.effects.push_back(EnqueueJob{kJobAwardPoints, p.id, now, Json::object()}), what += " award_points";
        if (!p.notify_url.empty() && !p.notify_done) d.effects.push_back(EnqueueJob{kJobNotify, p.id, now, Json::object()}), what += " notify";
      }
      p.events.push_back({now, "reconciler", "no progress for " + std::to_string((now - p.updated_at) / 1000) +
                                                 " s; re-queued:" + what});
      d.effects.push_back(FlagAttention{p.id, "stuck", "reconciler re-queued:" + what});
      touched++;
      return ok_status();
    });
    if (!st && st.error().code != ErrorCode::kNotFound) return st.error();
  }
  return touched;
}

Json PurchaseService::reconciliation() const {
  store::ReadTxn txn(ctx_.writer.env());
  int64_t checked = 0, paid = 0, refunded = 0, owed = 0;
  Json violations = Json::array();
  auto c = txn.cursor(txn.table("orders"));
  for (bool ok = c.first(); ok; ok = c.next()) {
    const std::string id(c.key());
    auto p = decode_purchase(c.value());
    if (!p) {
      violations.push_back({{"order_id", id}, {"kind", "unreadable"}, {"detail", "order record does not decode"}});
      continue;
    }
    checked++;
    paid += p->paid;
    refunded += p->refunded;
    owed += outstanding(*p);
    if (auto v = check_funds(*p)) violations.push_back({{"order_id", id}, {"kind", "funds"}, {"detail", *v}});
  }
  for (const auto& s : all_skus(txn))
    if (auto v = stock_violation(s)) violations.push_back({{"order_id", nullptr}, {"sku", s.sku}, {"kind", "stock"}, {"detail", *v}});
  return {{"orders_checked", checked}, {"paid_total", paid},       {"refunded_total", refunded},
          {"outstanding", owed},       {"violations", violations}, {"at", format_rfc3339(ctx_.clock.now_ms())}};
}

}  // namespace orderd::orders
