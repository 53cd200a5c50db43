#include "orders/recharge_service.h"

#include <spdlog/spdlog.h>

#include "store/async_commit.h"
#include "store/keys.h"

namespace orderd::orders {

namespace asio = boost::asio;
using queue::Job;
using queue::JobResult;

namespace {
constexpr DurationMs kQueryTimeoutCapMs = 30'000;

CallResult to_call_result(const provider::RechargeResult& r) {
  switch (r.call) {
    case provider::CallOutcome::kOk: return r.success ? CallResult::kSuccess : CallResult::kFailed;
    case provider::CallOutcome::kRetryable: return CallResult::kRetryable;
    case provider::CallOutcome::kUnknown: return CallResult::kUnknown;
  }
  return CallResult::kUnknown;
}

QueryAnswer to_query_answer(const provider::RechargeQuery& q) {
  if (q.call != provider::CallOutcome::kOk) return QueryAnswer::kQueryFailed;
  switch (q.status) {
    case provider::RechargeStatus::kSuccess: return QueryAnswer::kSuccess;
    case provider::RechargeStatus::kFailed: return QueryAnswer::kFailed;
    case provider::RechargeStatus::kUnknown: return QueryAnswer::kNeverSeen;
  }
  return QueryAnswer::kQueryFailed;
}
}  // namespace

std::optional<Recharge> load_recharge(const store::Txn& txn, const std::string& id) {
  auto v = txn.get(txn.table("recharges"), id);
  if (!v) return std::nullopt;
  return decode_recharge(*v);
}

RechargeService::RechargeService(Context& ctx, provider::Provider& provider, WebhookSender webhook,
                                 RechargeSettings settings, uint64_t seed)
    : ctx_(ctx), provider_(provider), webhook_(std::move(webhook)), settings_(settings), rng_(seed) {
  status_counts_.load(store::ReadTxn(ctx_.writer.env()));
}

uint64_t RechargeService::random() {
  std::lock_guard lock(rng_mu_);
  return rng_();
}

Status RechargeService::save(store::WriteTxn& txn, const Recharge& r, const std::string& old_status) {
  auto st = txn.put(txn.table("recharges"), r.id, encode_recharge(r));
  if (!st) return st;
  if (old_status != r.status) {
    st = status_counts_.move(txn, r.id, old_status, r.status);
    if (!st) return st;
    count_transition(txn, old_status, r);
  }
  if (ctx_.on_change) {
    auto notify = ctx_.on_change;
    txn.after_commit([notify, id = r.id] { notify(id); });
  }
  return ok_status();
}

void RechargeService::count_transition(store::WriteTxn& txn, const std::string& from, const Recharge& r) {
  RechargeCounters* c = &counters_;
  std::atomic<uint64_t>* counter = nullptr;
  if (from.empty()) counter = &c->created;
  else if (r.status == "succeeded") counter = &c->succeeded;
  else if (r.status == "failed") counter = &c->failed;
  else if (r.status == "timed_out") counter = &c->timed_out;
  if (counter) txn.after_commit([counter] { (*counter)++; });  // counted only if committed
}

Status RechargeService::update(store::WriteTxn& txn, const std::string& id, const Decide& decide) {
  auto r = load_recharge(txn, id);
  if (!r) return ok_status();  // unknown order: nothing to do (job for a deleted/corrupt row)
  const std::string old_status = r->status;
  const bool had_late = r->late_result.has_value();
  Decision d;
  decide(*r, d);
  if (!d.changed) return ok_status();
  if (!had_late && r->late_result) {
    auto* late = &counters_.late_results;
    txn.after_commit([late] { (*late)++; });
  }
  auto st = save(txn, *r, old_status);
  if (!st) return st;
  return apply_effects(ctx_, txn, d.effects, ctx_.clock.now_ms());
}

asio::awaitable<Result<CreateAnswer>> RechargeService::create(CreateRechargeRequest req) {
  auto create_order = [this, req = std::move(req)](store::WriteTxn& txn) -> Result<CreateAnswer> {
        if (!req.idempotency_key.empty()) {
          if (auto rec = find_idem(txn, "recharge", req.idempotency_key)) {
            if (rec->body_hash != req.body_hash)
              return Error::invalid("Idempotency-Key", "Idempotency-Key '" + req.idempotency_key +
                                                           "' was already used with a different body");
            auto body = Json::parse(rec->body, nullptr, false);
            return CreateAnswer{rec->status, body, true};
          }
        }
        const TimeMs now = ctx_.clock.now_ms();
        Effects effects;
        Recharge r = create_recharge(make_order_id("rc_", txn.next_id()), req.account, req.amount, req.notify_url,
                                     now, settings_, &effects);
        auto st = save(txn, r, "");
        if (!st) return st.error();
        st = apply_effects(ctx_, txn, effects, now);
        if (!st) return st.error();
        CreateAnswer a{202, {{"id", r.id}, {"status", r.status}, {"deadline_at", format_rfc3339(r.deadline_at)}}, false};
        if (!req.idempotency_key.empty()) {
          st = save_idem(txn, "recharge", req.idempotency_key, {req.body_hash, a.status, a.body.dump(), now});
          if (!st) return st.error();
        }
        return a;
      };
  auto answer = co_await store::async_commit<CreateAnswer>(ctx_.writer, std::move(create_order));
  co_return answer;
}

std::optional<Recharge> RechargeService::get(const std::string& id) const {
  store::ReadTxn txn(ctx_.writer.env());
  return load_recharge(txn, id);
}

ListPage RechargeService::list(const std::string& status, size_t limit, const std::string& after) const {
  store::ReadTxn txn(ctx_.writer.env());
  return list_newest(txn, "recharges", "rc_status", status, limit, after,
                     [](const store::Txn& t, const std::string& id) -> std::optional<Json> {
                       auto r = load_recharge(t, id);
                       if (!r) return std::nullopt;
                       return to_api(*r);
                     });
}

void RechargeService::register_jobs(queue::Runner& runner) {
  // Provider-level retries are decided by the state machine (new jobs), so
  // these jobs only retry on infrastructure errors (a result not committed).
  queue::RetryPolicy once{50, 1'000, 60'000};
  runner.register_handler(kJobAttempt, [this](Job j) { return run_attempt(std::move(j)); }, once);
  runner.register_handler(kJobQuery, [this](Job j) { return run_query(std::move(j)); }, once);
  // notify_url callbacks: retried with back-off (capped at 10 min) for over a day.
  runner.register_handler(kJobWebhook, [this](Job j) { return run_webhook(std::move(j)); },
                          queue::RetryPolicy{settings_.webhook_attempts, 1'000, 600'000});
}

asio::awaitable<JobResult> RechargeService::run_attempt(Job job) {
  struct Start {
    AttemptPlan plan;
    std::string account;
    int64_t amount = 0;
  };
  const std::string id = job.key;
  auto record_start = [this, id](store::WriteTxn& txn) -> Result<Start> {
    Start s;
    auto st = update(txn, id, [&](Recharge& r, Decision& d) {
      s.plan = on_attempt_start(r, ctx_.clock.now_ms(), settings_, &d);
      s.account = r.account;
      s.amount = r.amount;
    });
    if (!st) return st.error();
    return s;
  };
  auto start = co_await store::async_commit<Start>(ctx_.writer, std::move(record_start));
  if (!start) co_return JobResult{JobResult::kRetry, "could not record the attempt: " + start.error().message, nullptr};
  if (start->plan.kind != AttemptPlan::kCall) co_return JobResult{JobResult::kDone, start->plan.why, nullptr};

  const int n = start->plan.n;
  counters_.attempts++;
  auto res = co_await provider_.recharge(id, start->account, start->amount, start->plan.timeout_ms);
  const CallResult cr = to_call_result(res);
  const uint64_t rnd = random();
  JobResult out{JobResult::kDone, "", nullptr};
  out.apply = [this, id, n, cr, reason = res.reason, rnd](store::WriteTxn& txn, const Job&) -> Status {
    return update(txn, id, [&](Recharge& r, Decision& d) {
      on_attempt_result(r, n, cr, reason, ctx_.clock.now_ms(), settings_, rnd, &d);
    });
  };
  co_return out;
}

asio::awaitable<JobResult> RechargeService::run_query(Job job) {
  const std::string id = job.key;
  auto r = get(id);
  if (!r || !r->outcome_unknown) co_return JobResult{JobResult::kDone, "nothing to settle", nullptr};
  auto q = co_await provider_.query_recharge(id, std::min(settings_.attempt_timeout_ms, kQueryTimeoutCapMs));
  const QueryAnswer answer = to_query_answer(q);
  const uint64_t rnd = random();
  JobResult out{JobResult::kDone, "", nullptr};
  out.apply = [this, id, answer, reason = q.reason, rnd](store::WriteTxn& txn, const Job&) -> Status {
    return update(txn, id, [&](Recharge& r, Decision& d) {
      on_query_result(r, answer, reason, ctx_.clock.now_ms(), settings_, rnd, &d);
    });
  };
  co_return out;
}

asio::awaitable<JobResult> RechargeService::run_webhook(Job job) {
  auto r = get(job.key);
  if (!r || r->notify_url.empty()) co_return JobResult{JobResult::kDone, "no notify_url", nullptr};
  auto status = co_await webhook_(r->notify_url, to_api(*r).dump());
  if (!status) co_return JobResult{JobResult::kRetry, "notify_url: " + status.error().message, nullptr};
  if (*status < 200 || *status >= 300)
    co_return JobResult{JobResult::kRetry, "notify_url answered HTTP " + std::to_string(*status), nullptr};
  co_return JobResult{JobResult::kDone, "", nullptr};
}

Status RechargeService::on_deadline_timer(store::WriteTxn& txn, const timer::TimerRecord& rec) {
  const std::string id = rec.payload.value("order_id", "");
  return update(txn, id, [&](Recharge& r, Decision& d) { on_deadline(r, ctx_.clock.now_ms(), &d); });
}

}  // namespace orderd::orders
