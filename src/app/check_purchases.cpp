// check_purchases.cpp — the purchase half of `orderd check` (check.h):
// per order decoding, indexes, funds identity and timers; per SKU the stock
// invariant and that its counters equal what the orders hold; per user that
// points equal what the orders awarded.
#include <map>
#include <set>

#include "app/check.h"
#include "orders/inventory.h"
#include "orders/purchase.h"
#include "store/keys.h"

namespace orderd::app {

namespace {

struct Expected {
  std::map<std::string, int64_t> reserved, sold, points;
};

void expect_stock(const orders::Purchase& p, Expected& e) {
  const bool settled = p.status == "paid" || p.status == "completed" || p.status == "refund_pending";
  const bool holds_reserve = p.status == "pending_payment" || p.status == "closing" || (settled && !p.commit_stock_done);
  for (const auto& it : p.items) {
    if (holds_reserve) e.reserved[it.sku] += it.qty;
    if (settled && p.commit_stock_done) e.sold[it.sku] += it.qty;
  }
  if (p.award_points_done && p.status != "refunded") e.points[p.user] += orders::points_for(p);
}

std::set<std::string> keys_of(const store::Txn& txn, const char* table) {
  std::set<std::string> out;
  auto c = txn.cursor(txn.table(table));
  for (bool ok = c.first(); ok; ok = c.next()) out.insert(std::string(c.key()));
  return out;
}

void check_order(const store::Txn& txn, const orders::Purchase& p, CheckReport& rep, std::set<std::string>& indexed,
                 std::set<std::string>& money, const std::set<std::string>& timer_keys, TimeMs now) {
  auto add = [&](const char* kind, const std::string& detail) { rep.violations.push_back({kind, p.id + ": " + detail}); };
  if (!indexed.erase(store::pair_key(p.status, p.id))) add("status_index_missing", "missing from order_status");
  if (auto v = orders::check_funds(p)) add("funds", *v);
  const bool owes = orders::outstanding(p) > 0 ||
                    ((p.status == "paid" || p.status == "refund_pending") && !orders::all_steps_done(p));
  if (money.erase(p.id) != static_cast<size_t>(owes)) add("money_index", owes ? "missing from po_money" : "stale in po_money");
  for (const auto& pay : p.payments) {
    auto owner = txn.get(txn.table("payments"), pay.payment_id);
    if (!owner || *owner != p.id) add("payment_index", "payment " + pay.payment_id + " is not indexed to this order");
  }
  if (p.status == "pending_payment" && !p.query_pending && p.pay_deadline_at > now &&
      !timer_keys.count(orders::unpaid_timer_key(p.id)))
    add("unpaid_timer_missing", "pending_payment without its unpaid timer");
}

}  // namespace

void check_purchases(const store::Txn& txn, CheckReport& rep, const std::set<std::string>& timer_keys, TimeMs now) {
  auto indexed = keys_of(txn, "order_status");
  auto money = keys_of(txn, "po_money");
  Expected expected;
  auto c = txn.cursor(txn.table("orders"));
  for (bool ok = c.first(); ok; ok = c.next()) {
    rep.orders++;
    auto p = orders::decode_purchase(c.value());
    if (!p) {
      rep.violations.push_back({"order_corrupt", "order " + std::string(c.key()) + " does not decode"});
      continue;
    }
    expect_stock(*p, expected);
    check_order(txn, *p, rep, indexed, money, timer_keys, now);
  }
  for (const auto& k : indexed) {
    std::string shown = k;
    std::replace(shown.begin(), shown.end(), '\0', '/');
    rep.violations.push_back({"status_index_stale", "order_status row " + shown + " names a missing order or an old status"});
  }
  for (const auto& id : money) rep.violations.push_back({"money_index", id + ": po_money row of a missing order"});
  for (const auto& s : orders::all_skus(txn)) {
    rep.skus++;
    if (auto v = orders::stock_violation(s)) rep.violations.push_back({"stock", "sku " + s.sku + ": " + *v});
    if (s.reserved != expected.reserved[s.sku] || s.sold != expected.sold[s.sku])
      rep.violations.push_back({"stock_vs_orders", "sku " + s.sku + ": reserved/sold " + std::to_string(s.reserved) +
                                                        "/" + std::to_string(s.sold) + " but orders hold " +
                                                        std::to_string(expected.reserved[s.sku]) + "/" +
                                                        std::to_string(expected.sold[s.sku])});
    expected.reserved.erase(s.sku);
    expected.sold.erase(s.sku);
  }
  for (const auto& [sku, qty] : expected.reserved)
    if (qty) rep.violations.push_back({"stock_vs_orders", "orders reserve unknown sku " + sku});
  auto u = txn.cursor(txn.table("users"));
  for (bool ok = u.first(); ok; ok = u.next()) {
    const std::string user(u.key());
    const int64_t points = orders::user_points(txn, user);
    if (points != expected.points[user])
      rep.violations.push_back({"points", "user " + user + " has " + std::to_string(points) + " points but orders awarded " +
                                              std::to_string(expected.points[user])});
    expected.points.erase(user);
  }
  for (const auto& [user, pts] : expected.points)
    if (pts) rep.violations.push_back({"points", "user " + user + " was awarded points that are not stored"});
}

}  // namespace orderd::app
