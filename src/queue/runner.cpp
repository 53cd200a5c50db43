#include "queue/runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/async_commit.h"

namespace orderd::queue {

namespace asio = boost::asio;

namespace {
constexpr DurationMs kRequeueDelayMs = 1'000;  // after a result could not be committed
}  // namespace

Runner::Runner(asio::io_context& io, store::Writer& writer, JobStore& jobs, ReadyQueue& ready, const Clock& clock,
               int concurrency, uint64_t seed, DurationMs lease_ms)
    : io_(io),
      writer_(writer),
      jobs_(jobs),
      ready_(ready),
      clock_(clock),
      concurrency_(concurrency),
      lease_ms_(lease_ms),
      rng_(seed) {}

void Runner::register_handler(const std::string& type, JobHandler handler, RetryPolicy policy) {
  types_[type] = Type{std::move(handler), policy};
}

uint64_t Runner::random() {
  std::lock_guard lock(rng_mu_);
  return rng_();
}

void Runner::start() {
  ready_.set_on_push([this] {
    if (pump_posted_.exchange(true)) return;
    asio::post(io_, [this] {
      pump_posted_ = false;  // before pump(): a push from here on posts again
      pump();
    });
  });
  {
    store::ReadTxn txn(writer_.env());
    for (uint64_t id : JobStore::runnable(txn, clock_.now_ms())) ready_.push(id);
  }
  asio::co_spawn(io_, reap_leases(), asio::detached);
  pump();
}

void Runner::stop() { stopping_ = true; }

void Runner::pump() {
  while (!stopping_) {
    int cur = in_flight_.load();
    if (cur >= concurrency_) return;
    if (!in_flight_.compare_exchange_weak(cur, cur + 1)) continue;
    auto id = ready_.take(clock_.now_ms() + lease_ms_);
    if (!id) {
      in_flight_--;
      return;
    }
    asio::co_spawn(io_, run(*id), asio::detached);
  }
}

asio::awaitable<void> Runner::reap_leases() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(asio::use_awaitable);
    ready_.expire_leases(clock_.now_ms());
  }
}

asio::awaitable<void> Runner::run(uint64_t id) {
  std::optional<Job> job;
  {
    store::ReadTxn txn(writer_.env());
    job = JobStore::get(txn, id);
  }
  bool requeue = false;
  if (job) {
    auto it = types_.find(job->type);
    JobResult result;
    RetryPolicy policy;
    if (it == types_.end()) {
      result = {JobResult::kDead, "no handler for job type '" + job->type + "'", nullptr};
    } else {
      policy = it->second.policy;
      try {
        result = co_await it->second.handler(*job);
      } catch (const std::exception& e) {
        stats_.errors++;
        result = {JobResult::kRetry, std::string("handler error: ") + e.what(), nullptr};
      }
    }
    const uint64_t rnd = random();
    auto apply_result = [this, id, result = std::move(result), policy, rnd](store::WriteTxn& txn) -> Result<JobResult::Kind> {
          auto current = JobStore::get(txn, id);
          if (!current) return JobResult::kDone;  // already finished by an earlier run
          if (result.apply) {
            auto st = result.apply(txn, *current);
            if (!st) return st.error();
          }
          const TimeMs now = clock_.now_ms();
          if (result.kind == JobResult::kDone) {
            auto a = jobs_.ack(txn, id);
            if (!a) return a.error();
            return JobResult::kDone;
          }
          auto dead = jobs_.fail(txn, *current, result.reason, result.kind == JobResult::kRetry, policy, now, rnd);
          if (!dead) return dead.error();
          return *dead ? JobResult::kDead : JobResult::kRetry;
        };
    auto committed = co_await store::async_commit<JobResult::Kind>(writer_, std::move(apply_result));
    if (committed) {
      switch (*committed) {
        case JobResult::kDone: stats_.done++; break;
        case JobResult::kRetry: stats_.retried++; break;
        case JobResult::kDead:
          stats_.dead++;
          spdlog::warn("job {} ({} for {}) dead-lettered", id, job->type, job->key);
          break;
      }
    } else {
      stats_.errors++;
      spdlog::warn("job {} ({} for {}): result not committed: {}", id, job->type, job->key, committed.error().message);
      requeue = true;
    }
  }
  ready_.release(id);
  in_flight_--;
  if (requeue && !stopping_) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(kRequeueDelayMs));
    timer->async_wait([this, timer, id](boost::system::error_code) { ready_.push(id); });
  }
  pump();
}

}  // namespace orderd::queue
