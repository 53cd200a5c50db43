// runner.h — the worker pool: takes ready jobs, runs their handlers as
// coroutines on the worker io_context (provider I/O never blocks the writer
// or the HTTP threads), and hands each result to the single writer, which
// applies the handler's effect, acknowledges or retries the job in one txn.
//
// Thread model: handlers run on the worker io_context's threads; at most
// `concurrency` jobs run at once. pump() may be called from any thread.
// Invariants:
//   (1) A job's effect (JobResult::apply) commits in the same transaction as
//       its ack/retry, and only if the job row still exists: a job run twice
//       (lease expired, restart) has its effect once.
//   (2) A job whose result could not be committed (busy/full) stays in the
//       queue and runs again later.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "queue/jobs.h"
#include "store/writer.h"

namespace orderd::queue {

struct JobResult {
  enum Kind {
    kDone,   // acknowledge: the job is finished
    kRetry,  // failed, retryable: back-off per the type's policy
    kDead,   // failed for good: dead letter with `reason`
  } kind = kDone;
  std::string reason;
  // Optional effect applied in the same txn, before the ack/retry. Return an
  // error to roll back the whole result (the job then runs again later).
  std::function<Status(store::WriteTxn&, const Job&)> apply;
};

using JobHandler = std::function<boost::asio::awaitable<JobResult>(Job job)>;

struct RunnerStats {
  std::atomic<uint64_t> done{0}, retried{0}, dead{0}, errors{0};
};

class Runner {
 public:
  Runner(boost::asio::io_context& io, store::Writer& writer, JobStore& jobs, ReadyQueue& ready, const Clock& clock,
         int concurrency, uint64_t seed, DurationMs lease_ms);
  // REQUIRES: before start().
  void register_handler(const std::string& type, JobHandler handler, RetryPolicy policy);
  // Pushes every runnable job found on disk, starts the lease reaper.
  void start();
  void stop();
  void pump();
  int in_flight() const { return in_flight_.load(); }
  const RunnerStats& stats() const { return stats_; }

 private:
  struct Type {
    JobHandler handler;
    RetryPolicy policy;
  };
  boost::asio::awaitable<void> run(uint64_t id);
  boost::asio::awaitable<void> reap_leases();
  uint64_t random();

  boost::asio::io_context& io_;
  store::Writer& writer_;
  JobStore& jobs_;
  ReadyQueue& ready_;
  const Clock& clock_;
  const int concurrency_;
  const DurationMs lease_ms_;  // a run longer than this is redelivered (must exceed any handler's own timeout)
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopping_{false};
  // A pump() is posted and has not started: pushes meanwhile post no other
  // (a batch that makes 50 jobs ready wakes the workers once, not 50 times).
  std::atomic<bool> pump_posted_{false};
  std::map<std::string, Type> types_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  RunnerStats stats_;
};

}  // namespace orderd::queue
