// writer.h — the single writer thread with group commit.
//
// Owns: the only thread that writes to LMDB. Callers on any thread submit a
// Mutation; the writer drains everything waiting, runs the mutations in one
// batch transaction (each rolled back alone if it fails, invariant 2), commits
// the batch once (one fsync), then runs each mutation's after-commit actions
// and completion.
//
// Thread: submit() from any thread. apply/after_commit/done run on the writer.
// Invariants:
//   (1) A completion with ok status runs only after its batch is durable.
//   (2) A mutation whose apply returns an error, or throws, or whose writes
//       failed, is rolled back alone; the rest of the batch proceeds. A batch
//       is first tried flat: every mutation writes straight into the batch
//       txn. If one fails, that try is aborted and the batch redone with a
//       nested (child) txn per mutation, which rolls back just the failing
//       one (its apply runs again). A child txn per mutation costs about as
//       much CPU as the write itself (LMDB copies every page it touches), so
//       the common all-succeed batch skips it; after a redo, the next
//       batches go nested directly for a while.
//   (3) If the batch commit fails, nothing of the batch remains. On kFull
//       (MDB_MAP_FULL) a batch of several mutations is split in halves and
//       each half retried as its own batch (so its mutations' apply runs
//       again), until it commits or is a single mutation; then every
//       completion of the failed batch gets the error (kFull is retryable).
//       Without this, a full map would fail the deletes that free space
//       whenever they share a batch with inserts.
//   (5) Linger: after a batch of several mutations, the next batch starts as
//       soon as as many mutations wait as that batch carried plus those that
//       arrived during its commit, or after a quarter of its commit time (at
//       most 500 µs), whichever is first. Callers answered by a batch tend to
//       come right back; without the wait, the batch would start with the
//       few that already did and the rest would wait a whole extra commit
//       (closed-loop clients split into two alternating half-size batches).
//       A lone mutation after an idle period or a single-mutation batch never
//       waits.
//   (4) Ids from WriteTxn::next_id() are unique and increasing across restarts:
//       the high-water mark is stored in meta with every batch that used one.
//   (6) submit() signals the condition variable only when the writer waits
//       and the queue reaches the size that ends its wait (1 when idle, the
//       linger target while lingering): a burst of submits costs one wake-up,
//       not one futex call each. The threshold is read and cleared under mu_,
//       so no wake-up is lost; stop() always signals.
//
// Worked example: 300 HTTP requests arrive while an fsync takes 3 ms; the next
// batch carries all 300 mutations in one transaction and one fsync, and each
// request is answered after it — ~100k mutations/s instead of ~3k.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "store/env.h"

namespace orderd::store {

struct Mutation {
  // Runs on the writer thread inside the batch's txn. Return an error to roll
  // back this mutation only. It may run more than once (invariants 2, 3):
  // touch only the txn; side effects go in txn.after_commit(). Never call
  // txn.commit()/abort(): the writer owns them.
  std::function<Status(WriteTxn&)> apply;
  // Runs on the writer thread after the commit (or the failure). Keep it
  // cheap: post real work to another executor.
  std::function<void(const Status&)> done;
};

struct WriterStats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> mutations{0};
  std::atomic<uint64_t> failed_batches{0};
  std::atomic<uint64_t> last_batch_size{0};
  std::atomic<uint64_t> max_batch_size{0};
  std::atomic<uint64_t> commit_us_total{0};
  std::atomic<uint64_t> linger_us_total{0};  // time batch starts waited for more (invariant 5)
  std::atomic<uint64_t> split_retries{0};
  std::atomic<uint64_t> nested_redos{0};   // flat tries redone with a child txn per mutation (invariant 2)  // batches split in two after a kFull commit (invariant 3)
};

class Writer {
 public:
  enum class Mode {
    kThread,  // the writer thread commits as described above
    kManual,  // no thread: the owner commits what waits with commit_pending()
              // on its own thread (the deterministic simulation, tests/sim/)
  };
  // REQUIRES: env outlives the writer. Starts the thread (kThread).
  Writer(std::shared_ptr<Env> env, const Clock& clock, size_t max_pending = 200'000, Mode mode = Mode::kThread);
  // REQUIRES: not called on the writer thread (i.e. not from a completion).
  ~Writer();  // stop() then join
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Thread: any. Returns false (and does not run the mutation) when
  // max_pending mutations are already waiting or the writer is stopped:
  // the caller answers 503 + Retry-After.
  [[nodiscard]] bool submit(Mutation m);
  // Finishes every mutation already submitted, then stops the thread.
  // Thread: any; idempotent. From a completion (the writer thread) it only
  // asks the thread to stop after the queue drains; it cannot join itself.
  void stop();
  size_t pending() const;
  // kManual only: applies everything waiting as one batch (up to the batch
  // limit) on the caller's thread, with completions run there too. Returns
  // how many mutations it took.
  size_t commit_pending();
  // kManual only: a crash before the next commit — what waits is dropped;
  // its completions never run (as when the process dies).
  void discard_pending();
  const WriterStats& stats() const { return stats_; }
  Env& env() { return *env_; }
  const std::shared_ptr<Env>& env_ptr() const { return env_; }
  // Called on the writer thread after every batch commit (e.g. metrics hook).
  void set_observer(std::function<void(size_t batch, uint64_t commit_us, bool ok)> f) { observer_ = std::move(f); }

 private:
  void run();
  struct Attempt;
  void apply_batch(std::deque<Mutation>& batch);
  void apply_range(std::deque<Mutation>& batch, size_t begin, size_t end);
  Attempt attempt(std::deque<Mutation>& batch, size_t begin, size_t end, bool flat);
  Status run_apply(Mutation& m, WriteTxn& txn);
  void finish(std::deque<Mutation>& batch, size_t begin, size_t end, const Attempt& a);
  uint64_t allocate_id();

  std::shared_ptr<Env> env_;
  const Clock& clock_;
  size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t wake_at_ = 0;  // guarded by mu_: queue size that ends the writer's wait; 0 = not waiting
  std::deque<Mutation> queue_;
  bool stopping_ = false;
  std::thread thread_;
  Mode mode_ = Mode::kThread;
  std::thread::id writer_thread_id_;  // set once in the constructor
  std::mutex join_mu_;                // serialises joins of thread_
  struct Linger {
    size_t target = 0;  // wait for this many queued mutations (0: do not wait)
    std::chrono::microseconds max{0};
  };
  Linger linger_;             // writer thread only; set by finish(), used once by run()
  uint64_t id_hwm_ = 0;       // last id handed out; persisted in meta
  bool id_used_in_batch_ = false;
  uint32_t nested_batches_left_ = 0;  // > 0: skip the flat try (invariant 2)
  WriterStats stats_;
  std::function<void(size_t, uint64_t, bool)> observer_;
};

}  // namespace orderd::store
