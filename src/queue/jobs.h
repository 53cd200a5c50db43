// jobs.h — the durable job queue: jobs and dead letters in LMDB, and the
// in-memory ready list that feeds the worker pool.
//
// Owns: tables `jobs` and `dead` (store/keys.h); timers of kind "job" (a job
// whose not_before is in the future waits as a durable timer "job/<id>").
// Thread model: JobStore's txn functions run on the writer thread inside a
// WriteTxn; ReadyQueue is thread-safe.
// Leases cost no commit: a leased job is simply "taken" in memory (see
// ReadyQueue). After a crash every unacknowledged job whose not_before has
// passed is ready again (at-least-once); effects are keyed by job/order id,
// and a job's result is applied only if the job still exists, in the same
// transaction that acknowledges it, so a second run changes nothing.
// Invariants:
//   (1) A job row exists from enqueue until ack or dead-lettering, which
//       happen in the same txn as the job's effect.
//   (2) A job with not_before > now has a pending timer "job/<id>"; when it
//       fires the job becomes ready.
//   (3) ReadyQueue holds each job id at most once (ready or leased).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/env.h"
#include "timer/timers.h"

namespace orderd::queue {

using Json = nlohmann::json;

struct Job {
  uint64_t id = 0;
  std::string type;
  std::string key;  // business key (order id) for logs and lookups
  Json payload = Json::object();
  int attempt = 0;  // failed runs so far
  TimeMs not_before = 0;
  TimeMs created_at = 0;
  std::string last_error;
};

struct DeadLetter {
  Job job;
  std::string reason;
  TimeMs failed_at = 0;
};

// Retry policy of one job type.
struct RetryPolicy {
  int max_attempts = 10;         // runs before dead-lettering
  DurationMs base_ms = 1'000;    // first back-off, doubling, jittered
  DurationMs cap_ms = 600'000;
};

inline constexpr const char* kJobTimerKind = "job";
std::string job_timer_key(uint64_t id);

// In-memory ready list and leases. Thread: any.
class ReadyQueue {
 public:
  // Adds id unless it is already ready or leased. Returns true if added.
  bool push(uint64_t id);
  // Takes the oldest ready id and leases it until lease_until.
  std::optional<uint64_t> take(TimeMs lease_until);
  // The lease ends (ack, retry or failure to run).
  void release(uint64_t id);
  // Leases past their time go back to ready; returns how many.
  size_t expire_leases(TimeMs now);
  size_t ready_count() const;
  size_t leased_count() const;
  // Called after every push that added an id (the worker pool wakes).
  void set_on_push(std::function<void()> f) { on_push_ = std::move(f); }

 private:
  mutable std::mutex mu_;
  std::deque<uint64_t> ready_;
  std::set<uint64_t> present_;             // ready or leased (invariant 3)
  std::map<uint64_t, TimeMs> leased_;      // id → lease_until
  std::function<void()> on_push_;
};

class JobStore {
 public:
  // ready may be null (tools): then nothing is pushed after commit.
  JobStore(timer::TimerStore& timers, ReadyQueue* ready) : timers_(timers), ready_(ready) {}

  // Errors: the txn's (kFull/kIo).
  [[nodiscard]] Result<uint64_t> enqueue(store::WriteTxn& txn, const std::string& type, const std::string& key,
                                         const Json& payload, TimeMs not_before, TimeMs now);
  static std::optional<Job> get(const store::Txn& txn, uint64_t id);
  // Deletes the job. Returns false if it was already gone.
  [[nodiscard]] Result<bool> ack(store::WriteTxn& txn, uint64_t id);
  // A run failed: schedule a retry with back-off, or dead-letter the job when
  // `retryable` is false or attempts are used up. Returns true if dead.
  [[nodiscard]] Result<bool> fail(store::WriteTxn& txn, const Job& job, const std::string& reason, bool retryable,
                                  const RetryPolicy& policy, TimeMs now, uint64_t random);
  // The job's "job/<id>" timer fired (called from the timer's mutation).
  void on_timer(store::WriteTxn& txn, uint64_t id);
  // Jobs runnable now, oldest first (startup recovery). Thread: any.
  static std::vector<uint64_t> runnable(const store::Txn& txn, TimeMs now);

  // Dead letters.
  static std::vector<DeadLetter> list_dead(const store::Txn& txn, size_t limit, uint64_t after_id);
  static std::optional<DeadLetter> get_dead(const store::Txn& txn, uint64_t id);
  // Puts the job back on the queue with a fresh attempt count. Errors: kNotFound.
  [[nodiscard]] Status replay(store::WriteTxn& txn, uint64_t id, TimeMs now);
  // Errors: kNotFound.
  [[nodiscard]] Status remove_dead(store::WriteTxn& txn, uint64_t id);

  // A `jobs` row (store/row.h format 1); decode_row also reads the earlier
  // MessagePack-JSON rows. Dead letters stay JSON (to_json + reason).
  static std::string encode_row(const Job& job);
  static std::optional<Job> decode_row(uint64_t id, std::string_view bytes);
  static Json to_json(const Job& job);
  static std::optional<Job> from_json(uint64_t id, const Json& j);

 private:
  [[nodiscard]] Status put_job(store::WriteTxn& txn, const Job& job, TimeMs now);
  timer::TimerStore& timers_;
  ReadyQueue* ready_;
};

}  // namespace orderd::queue
