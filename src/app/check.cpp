#include "app/check.h"

#include <algorithm>
#include <map>
#include <set>

#include "orders/recharge.h"
#include "queue/jobs.h"
#include "store/keys.h"
#include "timer/timers.h"

namespace orderd::app {

namespace {

void check_timers(const store::Txn& txn, CheckReport& rep, std::set<std::string>& keys) {
  std::map<std::string, std::string> by_key;  // key → due‖id
  auto c = txn.cursor(txn.table("timers_key"));
  for (bool ok = c.first(); ok; ok = c.next()) by_key[std::string(c.key())] = std::string(c.value());
  auto d = txn.cursor(txn.table("timers_due"));
  for (bool ok = d.first(); ok; ok = d.next()) {
    rep.timers++;
    auto rec = d.key().size() == 16 ? timer::decode_timer_row(store::read_u64(d.key(), 8),
                                                               static_cast<TimeMs>(store::read_u64(d.key(), 0)), d.value())
                                     : std::nullopt;
    if (!rec) {
      rep.violations.push_back({"timer_corrupt", "timers_due row does not decode"});
      continue;
    }
    const std::string key = rec->key;
    auto it = by_key.find(key);
    if (it == by_key.end() || it->second != d.key()) {
      rep.violations.push_back({"timer_index_mismatch", "timer '" + key + "' has no matching timers_key row"});
      continue;
    }
    keys.insert(key);
    by_key.erase(it);
  }
  for (auto& [key, v] : by_key)
    rep.violations.push_back({"timer_index_mismatch", "timers_key '" + key + "' points to no timer"});
}

void check_jobs(const store::Txn& txn, CheckReport& rep, const std::set<std::string>& timer_keys, TimeMs now) {
  auto c = txn.cursor(txn.table("jobs"));
  for (bool ok = c.first(); ok; ok = c.next()) {
    rep.jobs++;
    if (c.key().size() != 8) {
      rep.violations.push_back({"job_corrupt", "job key is not 8 bytes"});
      continue;
    }
    const uint64_t id = store::read_u64(c.key());
    auto job = queue::JobStore::decode_row(id, c.value());
    if (!job) {
      rep.violations.push_back({"job_corrupt", "job " + std::to_string(id) + " does not decode"});
      continue;
    }
    if (job->not_before > now && !timer_keys.count(queue::job_timer_key(id)))
      rep.violations.push_back({"job_without_timer", "job " + std::to_string(id) + " waits for a timer that does not exist"});
  }
  rep.dead = txn.count(txn.table("dead"));
}

void check_recharges(const store::Txn& txn, CheckReport& rep, const std::set<std::string>& timer_keys, TimeMs now) {
  std::set<std::string> indexed;
  auto s = txn.cursor(txn.table("rc_status"));
  for (bool ok = s.first(); ok; ok = s.next()) indexed.insert(std::string(s.key()));
  auto c = txn.cursor(txn.table("recharges"));
  for (bool ok = c.first(); ok; ok = c.next()) {
    rep.recharges++;
    auto r = orders::decode_recharge(c.value());
    if (!r) {
      rep.violations.push_back({"recharge_corrupt", "recharge " + std::string(c.key()) + " does not decode"});
      continue;
    }
    if (!indexed.erase(store::pair_key(r->status, r->id)))
      rep.violations.push_back({"status_index_missing", r->id + " (" + r->status + ") is missing from rc_status"});
    if (!orders::is_terminal(r->status) && r->deadline_at > now && !timer_keys.count(orders::deadline_timer_key(r->id)))
      rep.violations.push_back({"deadline_timer_missing", r->id + " is unfinished and has no deadline timer"});
    if (r->status == "succeeded" && r->finished_at == 0)
      rep.violations.push_back({"finished_at_missing", r->id + " succeeded without finished_at"});
  }
  for (auto& k : indexed) {
    std::string shown = k;
    std::replace(shown.begin(), shown.end(), '\0', '/');
    rep.violations.push_back({"status_index_stale", "rc_status row " + shown + " names a missing order or an old status"});
  }
}

}  // namespace

CheckReport check_store(const store::Env& env, TimeMs now) {
  CheckReport rep;
  store::ReadTxn txn(env);
  std::set<std::string> timer_keys;
  check_timers(txn, rep, timer_keys);
  check_jobs(txn, rep, timer_keys, now);
  check_recharges(txn, rep, timer_keys, now);
  check_purchases(txn, rep, timer_keys, now);
  return rep;
}

}  // namespace orderd::app
