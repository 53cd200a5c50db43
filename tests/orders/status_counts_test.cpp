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

TEST_CASE("status counts: loaded from the index, moved by each change, unknown statuses kept as found", "[orders]") {
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
  orderd::orders::StatusCounts counts{"queued", "processing", "succeeded"};
  counts.load(orderd::store::ReadTxn(*env), "rc_status");
  using Counts = std::map<std::string, uint64_t>;
  CHECK(counts.snapshot() == Counts{{"queued", 2}, {"processing", 0}, {"succeeded", 1}, {"archived", 1}});
  counts.moved(counts.slot("queued"), counts.slot("processing"));  // an attempt starts
  counts.moved(counts.slot(""), counts.slot("queued"));            // a new order
  counts.moved(counts.slot("processing"), counts.slot("succeeded"));
  CHECK(counts.slot("") == -1);
  CHECK(counts.slot("archived") == -1);
  CHECK(counts.snapshot() == Counts{{"queued", 2}, {"processing", 0}, {"succeeded", 2}, {"archived", 1}});
}
