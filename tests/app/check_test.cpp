// check_test.cpp — `orderd check` on purchase data: a consistent store has no
// violation; each kind of damage (SKU counters, funds, indexes, points) is
// reported by kind.
#include <catch2/catch.hpp>

#include "app/check.h"
#include "orders/inventory.h"
#include "orders/purchase.h"
#include "store/keys.h"
#include "../store/store_test_util.h"

using namespace orderd;

namespace {

// A completed order of 2 × A (price 1000) for u1, stored as the engine would.
struct Fixture {
  store::testing::TempDir dir;
  std::shared_ptr<store::Env> env = *store::Env::open({dir.path, 16ull << 20, false, false});
  orders::Purchase p;

  Fixture() {
    orders::Effects fx;
    p = *orders::create_purchase("po_1", "u1", {{"A", 2, 1000}}, "", 0, orders::PurchaseSettings{}, &fx);
    orders::Decision d;
    orders::on_payment(p, "pay_1", 2000, 1, &d);
    orders::on_step_done(p, orders::Step::kCommitStock, 2, &d);
    orders::on_step_done(p, orders::Step::kAwardPoints, 3, &d);
    REQUIRE(p.status == "completed");
    orders::Sku a{"A", 1000, 8, 0, 2, 10};
    write([&](store::WriteTxn& txn) {
      REQUIRE(orders::save_sku(txn, a).ok());
      REQUIRE(orders::add_points(txn, "u1", 20).ok());
      save_order(txn, p);
      REQUIRE(txn.put(txn.table("payments"), "pay_1", "po_1").ok());
    });
  }
  void save_order(store::WriteTxn& txn, const orders::Purchase& o) {
    REQUIRE(txn.put_json(txn.table("orders"), o.id, orders::to_storage(o)).ok());
    REQUIRE(txn.put(txn.table("order_status"), store::pair_key(o.status, o.id), "").ok());
  }
  template <class F>
  void write(F f) {
    store::WriteTxn txn(*env, nullptr);
    f(txn);
    REQUIRE(txn.commit().ok());
  }
  std::set<std::string> kinds() {
    std::set<std::string> out;
    for (const auto& v : app::check_store(*env, 10).violations) out.insert(v.kind);
    return out;
  }
};

}  // namespace

TEST_CASE("check: a consistent purchase store has no violations", "[check]") {
  Fixture f;
  auto rep = app::check_store(*f.env, 10);
  CHECK(rep.orders == 1);
  CHECK(rep.skus == 1);
  CHECK(rep.violations.empty());
}

TEST_CASE("check: SKU counters that disagree with the orders", "[check]") {
  Fixture f;
  SECTION("sold without an order holding it (invariant still adds up)") {
    f.write([](store::WriteTxn& txn) { REQUIRE(orders::save_sku(txn, {"A", 1000, 7, 0, 3, 10}).ok()); });
    CHECK(f.kinds() == std::set<std::string>{"stock_vs_orders"});
  }
  SECTION("available + reserved + sold != stock") {
    f.write([](store::WriteTxn& txn) { REQUIRE(orders::save_sku(txn, {"A", 1000, 9, 0, 2, 10}).ok()); });
    CHECK(f.kinds().count("stock") == 1);
  }
  SECTION("negative counter") {
    f.write([](store::WriteTxn& txn) { REQUIRE(orders::save_sku(txn, {"A", 1000, -1, 9, 2, 10}).ok()); });
    CHECK(f.kinds().count("stock") == 1);
  }
}

TEST_CASE("check: funds, indexes and points damage is reported", "[check]") {
  Fixture f;
  SECTION("paid disagrees with the payments") {
    f.p.paid = 1500;
    f.write([&](store::WriteTxn& txn) { REQUIRE(txn.put_json(txn.table("orders"), "po_1", orders::to_storage(f.p)).ok()); });
    CHECK(f.kinds().count("funds") == 1);
  }
  SECTION("payment not indexed") {
    f.write([](store::WriteTxn& txn) { REQUIRE(txn.del(txn.table("payments"), "pay_1").ok()); });
    CHECK(f.kinds() == std::set<std::string>{"payment_index"});
  }
  SECTION("status index stale") {
    f.write([](store::WriteTxn& txn) {
      REQUIRE(txn.put(txn.table("order_status"), store::pair_key("paid", "po_1"), "").ok());
    });
    CHECK(f.kinds() == std::set<std::string>{"status_index_stale"});
  }
  SECTION("points that no order awarded") {
    f.write([](store::WriteTxn& txn) { REQUIRE(orders::add_points(txn, "u2", 5).ok()); });
    CHECK(f.kinds() == std::set<std::string>{"points"});
  }
  SECTION("a pending order without its unpaid timer") {
    orders::Effects fx;
    auto q = *orders::create_purchase("po_2", "u1", {{"A", 1, 1000}}, "", 0, orders::PurchaseSettings{}, &fx);
    f.write([&](store::WriteTxn& txn) {
      f.save_order(txn, q);
      REQUIRE(orders::save_sku(txn, {"A", 1000, 7, 1, 2, 10}).ok());
    });
    CHECK(f.kinds() == std::set<std::string>{"unpaid_timer_missing"});
  }
}
