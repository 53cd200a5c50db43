#include "orders/inventory.h"

namespace orderd::orders {

std::optional<Sku> load_sku(const store::Txn& txn, const std::string& sku) {
  auto j = txn.get_json(txn.table("skus"), sku);
  if (!j) return std::nullopt;
  Sku s;
  s.sku = sku;
  s.price = store::json_int_or<int64_t>(*j, "price", int64_t{0});
  s.available = store::json_int_or<int64_t>(*j, "available", int64_t{0});
  s.reserved = store::json_int_or<int64_t>(*j, "reserved", int64_t{0});
  s.sold = store::json_int_or<int64_t>(*j, "sold", int64_t{0});
  s.stock_set = store::json_int_or<int64_t>(*j, "stock", int64_t{0});
  return s;
}

Status save_sku(store::WriteTxn& txn, const Sku& s) {
  return txn.put_json(txn.table("skus"), s.sku,
                      {{"price", s.price}, {"available", s.available}, {"reserved", s.reserved}, {"sold", s.sold},
                       {"stock", s.stock_set}});
}

Json sku_to_api(const Sku& s) {
  return {{"sku", s.sku},           {"price", s.price},       {"stock", s.stock_set},
          {"available", s.available}, {"reserved", s.reserved}, {"sold", s.sold}};
}

std::vector<Sku> all_skus(const store::Txn& txn) {
  std::vector<Sku> out;
  auto c = txn.cursor(txn.table("skus"));
  for (bool ok = c.first(); ok; ok = c.next())
    if (auto s = load_sku(txn, std::string(c.key()))) out.push_back(*s);
  return out;
}

Status move_stock(store::WriteTxn& txn, const std::vector<StockLine>& lines, StockMove move) {
  std::vector<Sku> skus;
  skus.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    bool seen = false;
    for (const auto& s : skus) seen |= s.sku == lines[i].sku;
    if (seen) continue;
    auto s = load_sku(txn, lines[i].sku);
    if (!s)
      return Error::invalid("items[" + std::to_string(i) + "].sku", "items[" + std::to_string(i) + "].sku '" +
                                                                         lines[i].sku + "' is not a known SKU");
    skus.push_back(std::move(*s));
  }
  std::vector<Sku*> ptrs;
  for (auto& s : skus) ptrs.push_back(&s);
  Status st = ok_status();
  switch (move) {
    case StockMove::kReserve: {
      auto r = reserve_all(ptrs, lines);
      if (!r) st = r.error();
      break;
    }
    case StockMove::kRelease: st = release_all(ptrs, lines); break;
    case StockMove::kCommit: st = commit_all(ptrs, lines); break;
    case StockMove::kReturn: st = return_sold_all(ptrs, lines); break;
  }
  if (!st) return st;
  for (const auto& s : skus) {
    st = save_sku(txn, s);
    if (!st) return st;
  }
  return ok_status();
}

int64_t user_points(const store::Txn& txn, const std::string& user) {
  auto j = txn.get_json(txn.table("users"), user);
  return j ? store::json_int_or<int64_t>(*j, "points", int64_t{0}) : 0;
}

Status add_points(store::WriteTxn& txn, const std::string& user, int64_t delta) {
  const int64_t now = user_points(txn, user);
  return txn.put_json(txn.table("users"), user, {{"points", now + delta}});
}

}  // namespace orderd::orders
