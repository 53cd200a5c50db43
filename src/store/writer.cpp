#include "store/writer.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "core/thread_name.h"
#include "store/keys.h"

namespace orderd::store {

namespace {
constexpr size_t kMaxBatch = 20'000;
constexpr uint64_t kMaxLingerUs = 500;  // invariant (5): the most a batch start waits for more
// After a flat try had to be redone, this many batches go nested directly, so
// a workload with frequent failing mutations does not pay for two tries.
constexpr uint32_t kNestedAfterRedo = 16;  // invariant (5): the most a batch start waits for more
constexpr std::string_view kIdHwmKey = "id_hwm";

// An exception escaping an after-commit action or a completion would end the
// writer thread (std::terminate). The batch is already durable, so the only
// sane thing left is to log it and go on with the other completions.
template <class Fn>
void run_guarded(Fn&& fn, const char* what) {
  try {
    fn();
  } catch (const std::exception& e) {
    spdlog::error("writer: {} threw after commit: {}", what, e.what());
  } catch (...) {
    spdlog::error("writer: {} threw after commit (non-std exception)", what);
  }
}
}  // namespace

Writer::Writer(std::shared_ptr<Env> env, const Clock& clock, size_t max_pending, Mode mode)
    : env_(std::move(env)), clock_(clock), max_pending_(max_pending), mode_(mode) {
  {
    ReadTxn txn(*env_);
    if (auto v = txn.get(env_->table("meta"), kIdHwmKey); v && v->size() == 8) id_hwm_ = read_u64(*v);
  }
  if (mode_ == Mode::kManual) {
    writer_thread_id_ = std::this_thread::get_id();
    return;
  }
  thread_ = std::thread([this] {
    set_thread_name("orderd-writer");
    run();
  });
  writer_thread_id_ = thread_.get_id();
}

size_t Writer::commit_pending() {
  std::deque<Mutation> batch;
  {
    std::lock_guard lock(mu_);
    if (mode_ != Mode::kManual) return 0;
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (!batch.empty()) apply_batch(batch);
  return batch.size();
}

void Writer::discard_pending() {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::kManual) queue_.clear();
}

Writer::~Writer() { stop(); }

bool Writer::submit(Mutation m) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_pending_) return false;
    queue_.push_back(std::move(m));
    // Invariant (6): wake the writer only when its wait is over.
    wake = wake_at_ != 0 && queue_.size() >= wake_at_;
    if (wake) wake_at_ = 0;
  }
  if (wake) cv_.notify_one();
  return true;
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (mode_ == Mode::kManual) return;
  // From a completion on the writer thread: the thread exits once the queue
  // is drained; whoever destroys the Writer joins it.
  if (std::this_thread::get_id() == writer_thread_id_) return;
  std::lock_guard join_lock(join_mu_);  // concurrent stop() calls join once
  if (thread_.joinable()) thread_.join();
}

size_t Writer::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

uint64_t Writer::allocate_id() {
  // Ids are time-ordered: at least (now_ms << 16), and always above the last.
  uint64_t floor = static_cast<uint64_t>(clock_.now_ms()) << 16;
  id_hwm_ = std::max(id_hwm_ + 1, floor);
  id_used_in_batch_ = true;
  return id_hwm_;
}

void Writer::run() {
  std::deque<Mutation> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (!stopping_ && queue_.empty()) {
        wake_at_ = 1;
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        wake_at_ = 0;
      }
      if (queue_.empty()) return;  // stopping and drained
      if (queue_.size() < linger_.target && !stopping_) {  // invariant (5)
        const auto start = std::chrono::steady_clock::now();
        wake_at_ = linger_.target;
        cv_.wait_for(lock, linger_.max, [&] { return stopping_ || queue_.size() >= linger_.target; });
        wake_at_ = 0;
        stats_.linger_us_total += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                            std::chrono::steady_clock::now() - start)
                                                            .count());
      }
      linger_ = {};
      if (queue_.size() <= kMaxBatch) {
        batch.swap(queue_);
      } else {
        for (size_t i = 0; i < kMaxBatch; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    apply_batch(batch);
    batch.clear();
  }
}

// Everything one try of a range produced; completions have not run yet.
struct Writer::Attempt {
  Status committed = ok_status();
  bool redo_nested = false;                                   // flat try hit an error: nothing committed
  std::vector<Status> results;                                // per mutation, before the commit
  std::vector<std::vector<std::function<void()>>> actions;    // per mutation, after-commit actions
  uint64_t commit_us = 0;
};

void Writer::apply_batch(std::deque<Mutation>& batch) { apply_range(batch, 0, batch.size()); }

void Writer::apply_range(std::deque<Mutation>& batch, size_t begin, size_t end) {
  // Invariant (2): flat first (one txn, no child per mutation); if any
  // mutation fails, redo the range with a child txn per mutation.
  const bool flat = nested_batches_left_ == 0;
  if (!flat) --nested_batches_left_;
  Attempt a = attempt(batch, begin, end, flat);
  if (a.redo_nested) {
    stats_.nested_redos++;
    nested_batches_left_ = kNestedAfterRedo;
    a = attempt(batch, begin, end, /*flat=*/false);
  }
  if (!a.committed && a.committed.error().code == ErrorCode::kFull && end - begin > 1) {
    // Invariant (3): the map filled up during this commit. Mutations that fit
    // alone (deletes that free space, small writes) must not fail because
    // they shared a batch with big ones: retry each half as its own batch.
    stats_.split_retries++;
    const size_t mid = begin + (end - begin) / 2;
    apply_range(batch, begin, mid);
    apply_range(batch, mid, end);
    return;
  }
  finish(batch, begin, end, a);
}

// Runs batch[i].apply on `txn`; exceptions become kInternal errors.
Status Writer::run_apply(Mutation& m, WriteTxn& txn) {
  txn.set_id_source([this] { return allocate_id(); });
  Status st = ok_status();
  try {
    st = txn.failed() ? Status(txn.failure()) : m.apply(txn);
  } catch (const std::exception& e) {
    st = Error::make(ErrorCode::kInternal, std::string("mutation threw: ") + e.what());
  } catch (...) {
    st = Error::make(ErrorCode::kInternal, "mutation threw a non-std exception");
  }
  if (st && txn.failed()) st = txn.failure();
  return st;
}

Writer::Attempt Writer::attempt(std::deque<Mutation>& batch, size_t begin, size_t end, bool flat) {
  auto started = std::chrono::steady_clock::now();
  id_used_in_batch_ = false;
  Attempt a;
  a.results.assign(end - begin, ok_status());
  a.actions.resize(end - begin);

  WriteTxn top(*env_, nullptr);
  for (size_t i = begin; i < end && !top.failed(); ++i) {
    if (flat) {
      WriteTxn view(WriteTxn::Borrowed{}, top);
      Status st = run_apply(batch[i], view);
      if (st) {
        a.actions[i - begin] = view.take_after_commit();
        continue;
      }
      // Its writes are mixed into `top`: drop the whole try. A lone mutation
      // needs no redo: its error is the answer and nothing is committed.
      top.abort();
      if (end - begin > 1) {
        a.redo_nested = true;
        return a;
      }
      a.results[0] = std::move(st);
      a.actions[0].clear();
      return a;
    }
    WriteTxn child(*env_, top.raw());
    Status st = run_apply(batch[i], child);
    if (st) {
      a.actions[i - begin] = child.take_after_commit();
      st = child.commit();
      if (!st) a.actions[i - begin].clear();
    } else {
      child.abort();
    }
    a.results[i - begin] = std::move(st);
  }
  if (id_used_in_batch_) {
    // Ids handed out by a batch that then fails are burned, never reused:
    // id_hwm_ stays where allocate_id() left it (invariant 4).
    Status st = top.put(env_->table("meta"), kIdHwmKey, u64_key(id_hwm_));
    (void)st;  // a failure poisons `top`; commit() reports it
  }
  a.committed = top.commit();
  a.commit_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
  return a;
}

void Writer::finish(std::deque<Mutation>& batch, size_t begin, size_t end, const Attempt& a) {
  const size_t size = end - begin;
  if (size > 1) {
    // Invariant (5): those answered now tend to come back; those that arrived
    // during the commit are waiting already.
    linger_.target = pending() + size;
    linger_.max = std::chrono::microseconds(std::min<uint64_t>(kMaxLingerUs, a.commit_us / 4));
  }
  stats_.batches++;
  stats_.mutations += size;
  stats_.last_batch_size = size;
  if (size > stats_.max_batch_size) stats_.max_batch_size = size;
  stats_.commit_us_total += a.commit_us;
  if (!a.committed) stats_.failed_batches++;
  if (observer_) observer_(size, a.commit_us, a.committed.ok());

  for (size_t i = begin; i < end; ++i) {
    const Status& st = a.committed ? a.results[i - begin] : a.committed;
    if (st)
      for (auto& action : a.actions[i - begin]) run_guarded(action, "after_commit action");
    if (batch[i].done) run_guarded([&] { batch[i].done(st); }, "completion");
  }
}

}  // namespace orderd::store
