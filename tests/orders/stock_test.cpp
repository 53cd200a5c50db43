// Pure tests of the per-SKU stock counters (SPEC §4 stock invariant).
#include <catch2/catch.hpp>

#include "orders/stock.h"

using namespace orderd;
using namespace orderd::orders;

namespace {
Sku make_sku(const std::string& name, int64_t stock, int64_t price = 1999) {
  Sku s;
  s.sku = name;
  REQUIRE(set_stock(s, stock, price).ok());
  return s;
}
void check(const Sku& s) {
  auto v = stock_violation(s);
  INFO(v.value_or(""));
  CHECK_FALSE(v.has_value());
}
}  // namespace

TEST_CASE("stock: reserve, commit, return keep the invariant", "[purchase][stock]") {
  Sku a = make_sku("A", 100);
  check(a);
  CHECK(a.available == 100);
  auto r = reserve_all({&a}, {{"A", 2}});
  REQUIRE(r.ok());
  CHECK(a.available == 98);
  CHECK(a.reserved == 2);
  check(a);
  REQUIRE(commit_all({&a}, {{"A", 2}}).ok());
  CHECK(a.reserved == 0);
  CHECK(a.sold == 2);
  check(a);
  REQUIRE(return_sold_all({&a}, {{"A", 2}}).ok());
  CHECK(a.available == 100);
  CHECK(a.sold == 0);
  check(a);
}

TEST_CASE("stock: reserve is all or nothing across SKUs", "[purchase][stock]") {
  Sku a = make_sku("A", 5), b = make_sku("B", 1);
  auto r = reserve_all({&a, &b}, {{"A", 3}, {"B", 2}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kConflict);
  CHECK(a.available == 5);
  CHECK(a.reserved == 0);
  CHECK(b.available == 1);
  check(a);
  check(b);
}

TEST_CASE("stock: duplicate SKU lines are merged", "[purchase][stock]") {
  Sku a = make_sku("A", 3);
  auto r = reserve_all({&a}, {{"A", 2}, {"A", 1}});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].qty == 3);
  CHECK(a.available == 0);
  Sku b = make_sku("B", 3);
  auto over = reserve_all({&b}, {{"B", 2}, {"B", 2}});  // 4 > 3 once merged
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == ErrorCode::kConflict);
  CHECK(b.available == 3);
}

TEST_CASE("stock: invalid lines are 422-style errors", "[purchase][stock]") {
  Sku a = make_sku("A", 3);
  CHECK(reserve_all({&a}, {}).error().code == ErrorCode::kInvalid);
  CHECK(reserve_all({&a}, {{"A", 0}}).error().code == ErrorCode::kInvalid);
  CHECK(reserve_all({&a}, {{"A", -1}}).error().code == ErrorCode::kInvalid);
  CHECK(reserve_all({&a}, {{"Z", 1}}).error().code == ErrorCode::kInvalid);
  CHECK(a.available == 3);
}

TEST_CASE("stock: set_stock keeps held units and refuses to go below them", "[purchase][stock]") {
  Sku a = make_sku("A", 10);
  REQUIRE(reserve_all({&a}, {{"A", 4}}).ok());
  REQUIRE(commit(a, 1).ok());
  REQUIRE(set_stock(a, 20, 500).ok());
  CHECK(a.available == 20 - 3 - 1);
  CHECK(a.price == 500);
  check(a);
  auto st = set_stock(a, 3, 500);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kConflict);
  CHECK(st.error().field == "stock");
  CHECK(a.stock_set == 20);
  check(a);
  CHECK(set_stock(a, -1, 1).error().code == ErrorCode::kInvalid);
}

TEST_CASE("stock: release and over-release", "[purchase][stock]") {
  Sku a = make_sku("A", 10);
  REQUIRE(reserve_all({&a}, {{"A", 4}}).ok());
  CHECK(release(a, 5).error().code == ErrorCode::kConflict);
  check(a);
  REQUIRE(release_all({&a}, {{"A", 4}}).ok());
  CHECK(a.available == 10);
  CHECK(return_sold(a, 1).error().code == ErrorCode::kConflict);
  check(a);
}
