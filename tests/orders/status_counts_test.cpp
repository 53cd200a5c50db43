// status_counts_test.cpp — the services' in-memory orders-per-status
// (src/orders/status_counts.h): loading from a status index and moving with
// each change. tests/sim checks them against the index after every step of
// its random runs, crashes and restarts included.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "../store/store_test_util.h"
#include "orders/status_counts.h"
#include "store/keys.h"

TEST_CASE("status counts: loaded from the index, moved with it by each committed change, unknown statuses kept as found", "[orders]") {
  orderd::store::testing::TempDir tmp("orderd_status_counts");
  auto env = orderd::store::testing::open_env(tmp.path);
  {
    orderd::store::WriteTxn txn(*env, nullptr);
    const MDB_dbi idx = env->table("rc_status");
    int n = 0;
    for (const char* key : {"queued", "queued", "succeeded", "archived"})
      REQUIRE(txn.put(idx, orderd::store::pair_key(key, std::string("rc_") + std::to_string(++n)), "").ok());
    REQUIRE(txn.commit().ok());
  }
  orderd::orders::StatusCounts counts{"rc_status", {"queued", "processing", "succeeded"}};
  counts.load(orderd::store::ReadTxn(*env));
  using Counts = std::map<std::string, uint64_t>;
  CHECK(counts.snapshot() == Counts{{"queued", 2}, {"processing", 0}, {"succeeded", 1}, {"archived", 1}});
  // One status change in its own txn; the after-commit actions run only if
  // it commits, as the Writer runs them.
  auto change = [&](const std::string& id, const std::string& from, const std::string& to, bool commit) {
    orderd::store::WriteTxn txn(*env, nullptr);
    REQUIRE(counts.move(txn, id, from, to).ok());
    auto actions = txn.take_after_commit();
    if (!commit) return;  // the txn aborts: neither the index nor the counts move
    REQUIRE(txn.commit().ok());
    for (auto& action : actions) action();
  };
  change("rc_1", "queued", "processing", true);  // an attempt starts
  change("rc_5", "", "queued", true);            // a new order
  change("rc_1", "processing", "succeeded", true);
  change("rc_2", "queued", "succeeded", false);  // rolled back
  CHECK(counts.slot("") == -1);
  CHECK(counts.slot("archived") == -1);
  CHECK(counts.snapshot() == Counts{{"queued", 2}, {"processing", 0}, {"succeeded", 2}, {"archived", 1}});
  // The index moved with the counts: a fresh load agrees.
  orderd::orders::StatusCounts reloaded{"rc_status", {"queued", "processing", "succeeded"}};
  reloaded.load(orderd::store::ReadTxn(*env));
  CHECK(reloaded.snapshot() == counts.snapshot());
}
