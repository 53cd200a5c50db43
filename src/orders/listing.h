// listing.h — newest-first paging and per-status counts over an order table
// and its status index ("status\0id" → ""), shared by recharges and
// purchases. Ids sort in creation order, so walking keys backwards is
// newest first.
//
// Thread: any; runs inside the caller's read (or write) transaction.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "orders/effects.h"
#include "store/env.h"
#include "store/keys.h"

namespace orderd::orders {

struct ListPage {
  std::vector<Json> items;
  std::optional<std::string> next;  // id to pass as `after` for the next page
};

// `load(txn, id)` returns the item's JSON or nullopt (skipped). status "" =
// every order (walks `primary`), else walks `index`. after = the last id of
// the previous page ("" = from the newest).
template <class Load>
ListPage list_newest(const store::Txn& txn, const char* primary, const char* index, const std::string& status,
                     size_t limit, const std::string& after, Load load) {
  ListPage page;
  const bool by_status = !status.empty();
  auto c = txn.cursor(txn.table(by_status ? index : primary));
  const std::string prefix = by_status ? store::pair_key(status, "") : "";
  // Position on the newest entry strictly older than `after`, walking backwards.
  const std::string start = prefix + (after.empty() ? std::string("\xff") : after);
  bool ok = c.seek(start) ? c.prev() : c.last();
  std::string last_id;
  for (; ok; ok = c.prev()) {
    auto key = c.key();
    if (!prefix.empty() && key.substr(0, prefix.size()) != prefix) break;
    std::string id(key.substr(prefix.size()));
    if (page.items.size() == limit) {
      if (!page.items.empty()) page.next = last_id;
      break;
    }
    if (auto item = load(txn, id)) {
      page.items.push_back(std::move(*item));
      last_id = id;
    }
  }
  return page;
}

// Rows of `index` per status (statuses with no row are absent). Walks the
// whole index: StatusCounts (status_counts.h) runs it once when a service is
// built and keeps the counts from then on; tests/sim compares with it.
inline std::map<std::string, uint64_t> count_by_status(const store::Txn& txn, const char* index) {
  std::map<std::string, uint64_t> counts;
  auto c = txn.cursor(txn.table(index));
  for (bool ok = c.first(); ok; ok = c.next()) {
    auto key = c.key();
    counts[std::string(key.substr(0, key.find('\0')))]++;
  }
  return counts;
}

}  // namespace orderd::orders
