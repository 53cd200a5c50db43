#include "queue/jobs.h"

#include "core/backoff.h"
#include "store/keys.h"
#include "store/row.h"

namespace orderd::queue {

using store::u64_key;

std::string job_timer_key(uint64_t id) { return "job/" + std::to_string(id); }

// ---- ReadyQueue ----

bool ReadyQueue::push(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    if (!present_.insert(id).second) return false;
    ready_.push_back(id);
  }
  if (on_push_) on_push_();
  return true;
}

std::optional<uint64_t> ReadyQueue::take(TimeMs lease_until) {
  std::lock_guard lock(mu_);
  if (ready_.empty()) return std::nullopt;
  uint64_t id = ready_.front();
  ready_.pop_front();
  leased_[id] = lease_until;
  return id;
}

void ReadyQueue::release(uint64_t id) {
  std::lock_guard lock(mu_);
  if (leased_.erase(id)) present_.erase(id);
}

size_t ReadyQueue::expire_leases(TimeMs now) {
  size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto it = leased_.begin(); it != leased_.end();) {
      if (it->second <= now) {
        ready_.push_back(it->first);  // stays in present_
        it = leased_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
  }
  if (n && on_push_) on_push_();
  return n;
}

size_t ReadyQueue::ready_count() const {
  std::lock_guard lock(mu_);
  return ready_.size();
}

size_t ReadyQueue::leased_count() const {
  std::lock_guard lock(mu_);
  return leased_.size();
}

// ---- JobStore ----

Json JobStore::to_json(const Job& job) {
  return {{"type", job.type},         {"key", job.key},           {"payload", job.payload}, {"attempt", job.attempt},
          {"nb", job.not_before},     {"created", job.created_at}, {"err", job.last_error}};
}

std::optional<Job> JobStore::from_json(uint64_t id, const Json& j) {
  try {
    Job job;
    job.id = id;
    job.type = j.at("type").get<std::string>();
    job.key = j.at("key").get<std::string>();
    job.payload = j.at("payload");
    job.attempt = store::json_int<int>(j.at("attempt"));
    job.not_before = store::json_int<TimeMs>(j.at("nb"));
    job.created_at = store::json_int<TimeMs>(j.at("created"));
    job.last_error = j.at("err").get<std::string>();
    return job;
  } catch (const std::exception&) {  // Json::exception, or json_int on a non-integer
    return std::nullopt;
  }
}

namespace {
// The row's fields before its payload tail (row.h invariant 3).
template <class IO, class J>
void job_fields(IO& io, J& job) {
  io.field(job.type);
  io.field(job.key);
  io.field(job.attempt);
  io.field(job.not_before);
  io.field(job.created_at);
  io.field(job.last_error);
}
}  // namespace

std::string JobStore::encode_row(const Job& job) {
  store::RowWriter w;
  job_fields(w, job);
  store::put_payload_tail(w, job.payload);
  return w.take();
}

std::optional<Job> JobStore::decode_row(uint64_t id, std::string_view bytes) {
  if (!store::is_row_format1(bytes)) {
    auto j = store::decode(bytes);  // a row written before format 1
    if (!j) return std::nullopt;
    return from_json(id, *j);
  }
  store::RowReader in(bytes);
  in.tag();
  Job job;
  job.id = id;
  job_fields(in, job);
  if (!store::get_payload_tail(in, &job.payload)) return std::nullopt;
  return job;
}

Status JobStore::put_job(store::WriteTxn& txn, const Job& job, TimeMs now) {
  auto st = txn.put(txn.table("jobs"), u64_key(job.id), encode_row(job));
  if (!st) return st;
  if (job.not_before > now) {
    auto t = timers_.schedule(txn, job.not_before, kJobTimerKind, job_timer_key(job.id), {{"job_id", job.id}});
    if (!t) return t.error();
  } else if (ready_ != nullptr) {
    uint64_t id = job.id;
    ReadyQueue* ready = ready_;
    txn.after_commit([ready, id] { ready->push(id); });
  }
  return ok_status();
}

Result<uint64_t> JobStore::enqueue(store::WriteTxn& txn, const std::string& type, const std::string& key,
                                   const Json& payload, TimeMs not_before, TimeMs now) {
  Job job;
  job.id = txn.next_id();
  job.type = type;
  job.key = key;
  job.payload = payload;
  job.not_before = not_before;
  job.created_at = now;
  auto st = put_job(txn, job, now);
  if (!st) return st.error();
  return job.id;
}

std::optional<Job> JobStore::get(const store::Txn& txn, uint64_t id) {
  auto v = txn.get(txn.table("jobs"), u64_key(id));
  if (!v) return std::nullopt;
  return decode_row(id, *v);
}

Result<bool> JobStore::ack(store::WriteTxn& txn, uint64_t id) {
  auto r = txn.del(txn.table("jobs"), u64_key(id));
  if (!r) return r.error();
  if (*r) {
    auto c = timers_.cancel(txn, job_timer_key(id));
    if (!c) return c.error();
  }
  return *r;
}

Result<bool> JobStore::fail(store::WriteTxn& txn, const Job& job, const std::string& reason, bool retryable,
                            const RetryPolicy& policy, TimeMs now, uint64_t random) {
  Job next = job;
  next.attempt = job.attempt + 1;
  next.last_error = reason;
  if (!retryable || next.attempt >= policy.max_attempts) {
    auto del = txn.del(txn.table("jobs"), u64_key(job.id));
    if (!del) return del.error();
    Json dead = to_json(next);
    dead["reason"] = retryable ? "gave up after " + std::to_string(next.attempt) + " attempts: " + reason : reason;
    dead["failed_at"] = now;
    auto st = txn.put_json(txn.table("dead"), u64_key(job.id), dead);
    if (!st) return st.error();
    return true;
  }
  next.not_before = now + backoff_delay(next.attempt, policy.base_ms, policy.cap_ms, random);
  auto st = put_job(txn, next, now);
  if (!st) return st.error();
  return false;
}

void JobStore::on_timer(store::WriteTxn& txn, uint64_t id) {
  if (ready_ == nullptr || !get(txn, id)) return;
  ReadyQueue* ready = ready_;
  txn.after_commit([ready, id] { ready->push(id); });
}

std::vector<uint64_t> JobStore::runnable(const store::Txn& txn, TimeMs now) {
  std::vector<uint64_t> ids;
  auto c = txn.cursor(txn.table("jobs"));
  for (bool ok = c.first(); ok; ok = c.next()) {
    if (c.key().size() != 8) continue;
    const uint64_t id = store::read_u64(c.key());
    auto job = decode_row(id, c.value());
    if (job && job->not_before <= now) ids.push_back(id);
  }
  return ids;
}

std::vector<DeadLetter> JobStore::list_dead(const store::Txn& txn, size_t limit, uint64_t after_id) {
  std::vector<DeadLetter> out;
  auto c = txn.cursor(txn.table("dead"));
  bool ok = after_id ? c.seek(u64_key(after_id + 1)) : c.first();
  for (; ok && out.size() < limit; ok = c.next()) {
    uint64_t id = store::read_u64(c.key());
    auto j = store::decode(c.value());
    if (!j) continue;
    auto job = from_json(id, *j);
    if (!job) continue;
    out.push_back({*job, j->value("reason", ""), store::json_int_or<TimeMs>(*j, "failed_at", TimeMs{0})});
  }
  return out;
}

std::optional<DeadLetter> JobStore::get_dead(const store::Txn& txn, uint64_t id) {
  auto j = txn.get_json(txn.table("dead"), u64_key(id));
  if (!j) return std::nullopt;
  auto job = from_json(id, *j);
  if (!job) return std::nullopt;
  return DeadLetter{*job, j->value("reason", ""), store::json_int_or<TimeMs>(*j, "failed_at", TimeMs{0})};
}

Status JobStore::replay(store::WriteTxn& txn, uint64_t id, TimeMs now) {
  auto dead = get_dead(txn, id);
  if (!dead) return Error::make(ErrorCode::kNotFound, "no dead letter " + std::to_string(id));
  auto del = txn.del(txn.table("dead"), u64_key(id));
  if (!del) return del.error();
  Job job = dead->job;
  job.attempt = 0;
  job.not_before = now;
  return put_job(txn, job, now);
}

Status JobStore::remove_dead(store::WriteTxn& txn, uint64_t id) {
  auto del = txn.del(txn.table("dead"), u64_key(id));
  if (!del) return del.error();
  if (!*del) return Error::make(ErrorCode::kNotFound, "no dead letter " + std::to_string(id));
  return ok_status();
}

}  // namespace orderd::queue
