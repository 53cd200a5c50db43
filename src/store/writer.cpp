#include "store/writer.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "store/keys.h"

namespace orderd::store {

namespace {
constexpr size_t kMaxBatch = 20'000;
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

Writer::Writer(std::shared_ptr<Env> env, const Clock& clock, size_t max_pending)
    : env_(std::move(env)), clock_(clock), max_pending_(max_pending) {
  ReadTxn txn(*env_);
  if (auto v = txn.get(env_->table("meta"), kIdHwmKey); v && v->size() == 8) id_hwm_ = read_u64(*v);
  thread_ = std::thread([this] { run(); });
  writer_thread_id_ = thread_.get_id();
}

Writer::~Writer() { stop(); }

bool Writer::submit(Mutation m) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_pending_) return false;
    queue_.push_back(std::move(m));
  }
  cv_.notify_one();
  return true;
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
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
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
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

void Writer::apply_batch(std::deque<Mutation>& batch) {
  auto started = std::chrono::steady_clock::now();
  const uint64_t hwm_before = id_hwm_;
  id_used_in_batch_ = false;
  std::vector<Status> results(batch.size(), ok_status());
  std::vector<std::vector<std::function<void()>>> actions(batch.size());

  WriteTxn top(*env_, nullptr);
  for (size_t i = 0; i < batch.size() && !top.failed(); ++i) {
    WriteTxn child(*env_, top.raw());
    child.set_id_source([this] { return allocate_id(); });
    Status st = ok_status();
    try {
      st = child.failed() ? Status(child.failure()) : batch[i].apply(child);
    } catch (const std::exception& e) {
      st = Error::make(ErrorCode::kInternal, std::string("mutation threw: ") + e.what());
    }
    if (st && child.failed()) st = child.failure();
    if (st) {
      actions[i] = child.take_after_commit();
      st = child.commit();
      if (!st) actions[i].clear();
    } else {
      child.abort();
    }
    results[i] = std::move(st);
  }
  Status committed = ok_status();
  if (id_used_in_batch_) {
    Status st = top.put(env_->table("meta"), kIdHwmKey, u64_key(id_hwm_));
    (void)st;  // a failure poisons `top`; commit() reports it
  }
  committed = top.commit();
  if (!committed) id_hwm_ = std::max(id_hwm_, hwm_before);  // ids stay unique: never reuse
  auto commit_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());

  stats_.batches++;
  stats_.mutations += batch.size();
  stats_.last_batch_size = batch.size();
  if (batch.size() > stats_.max_batch_size) stats_.max_batch_size = batch.size();
  stats_.commit_us_total += commit_us;
  if (!committed) stats_.failed_batches++;
  if (observer_) observer_(batch.size(), commit_us, committed.ok());

  for (size_t i = 0; i < batch.size(); ++i) {
    const Status& st = committed ? results[i] : committed;
    if (st)
      for (auto& a : actions[i]) run_guarded(a, "after_commit action");
    if (batch[i].done) run_guarded([&] { batch[i].done(st); }, "completion");
  }
}

}  // namespace orderd::store
