// status_counts.h — a status index ("status\0id" keys) and the orders per
// status, kept in memory so /v1/stats and the /metrics gauges read them in
// O(1). Walking the index per request took 7–9 ms at 185k orders (linear in
// the orders ever made), and the status page asks every second.
//
// The counts are loaded once from the index when the service is built. From
// then on move() is the only writer of the index: it moves the order's key
// inside the caller's transaction and registers the counts' move as an
// after-commit action of the same mutation, so a mutation rolled back alone
// or a batch that does not commit moves nothing.
//
// Thread: load() before any status change is submitted (the service's
// constructor); move() on the writer, inside its txn; snapshot() from any
// thread.
// Invariant: after load() of the index at state S, the counts equal the
// index's counts at S moved by every committed move() after S.
#pragma once
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "orders/listing.h"
#include "store/env.h"
#include "store/keys.h"

namespace orderd::orders {

class StatusCounts {
 public:
  // `index`: the table of "status\0id" keys; `statuses`: every status an
  // order can have, in the order snapshot() lists them.
  StatusCounts(const char* index, std::initializer_list<const char*> statuses)
      : index_(index), names_(statuses.begin(), statuses.end()), counts_(new std::atomic<int64_t>[statuses.size()]) {
    for (size_t i = 0; i < names_.size(); ++i) counts_[i] = 0;
  }

  // Counts the index's keys in `txn`'s snapshot (orders::count_by_status).
  // Statuses not in the list (none today) are reported as loaded and never move.
  void load(const store::Txn& txn) {
    for (size_t i = 0; i < names_.size(); ++i) counts_[i] = 0;
    unknown_.clear();
    for (const auto& [status, n] : count_by_status(txn, index_)) {
      if (int s = slot(status); s >= 0) counts_[s] = static_cast<int64_t>(n);
      else unknown_[status] = n;
    }
  }

  // Order `id` goes from status `from` ("" for a new order) to `to`: its
  // index key moves in `txn`, the counts once `txn`'s mutation commits.
  // Errors: the txn's write errors.
  [[nodiscard]] Status move(store::WriteTxn& txn, const std::string& id, const std::string& from,
                            const std::string& to) {
    const MDB_dbi idx = txn.table(index_);
    if (!from.empty()) {
      auto d = txn.del(idx, store::pair_key(from, id));
      if (!d) return d.error();
    }
    auto st = txn.put(idx, store::pair_key(to, id), "");
    if (!st) return st;
    // Slots, not names: the capture fits std::function's inline buffer, so
    // the writer thread allocates nothing for it.
    txn.after_commit([this, from_slot = slot(from), to_slot = slot(to)] { moved(from_slot, to_slot); });
    return ok_status();
  }

  // The position of `status` in the list, -1 for "" (no status yet) or one
  // not in the list.
  int slot(std::string_view status) const {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == status) return static_cast<int>(i);
    return -1;
  }

  // Every listed status (0 if none) and any unknown one found by load().
  std::map<std::string, uint64_t> snapshot() const {
    std::map<std::string, uint64_t> out(unknown_.begin(), unknown_.end());
    for (size_t i = 0; i < names_.size(); ++i) {
      const int64_t n = counts_[i].load(std::memory_order_relaxed);
      out[names_[i]] = n > 0 ? static_cast<uint64_t>(n) : 0;
    }
    return out;
  }

 private:
  // One order left status slot `from` for slot `to` (-1: none).
  void moved(int from, int to) {
    if (from >= 0) counts_[from].fetch_sub(1, std::memory_order_relaxed);
    if (to >= 0) counts_[to].fetch_add(1, std::memory_order_relaxed);
  }

  const char* const index_;
  const std::vector<std::string> names_;
  std::unique_ptr<std::atomic<int64_t>[]> counts_;
  std::map<std::string, uint64_t> unknown_;  // written by load() only
};

}  // namespace orderd::orders
