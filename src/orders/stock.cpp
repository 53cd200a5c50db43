#include "orders/stock.h"

#include <limits>

namespace orderd::orders {

namespace {

// Moves qty from *from to *to on one SKU after checking it fits.
Status move(Sku& s, int64_t qty, int64_t Sku::*from, int64_t Sku::*to, const char* from_name) {
  if (qty <= 0) return Error::invalid("qty", "qty must be > 0");
  if (s.*from < qty)
    return Error::make(ErrorCode::kConflict, "sku " + s.sku + ": " + from_name + " " + std::to_string(s.*from) +
                                                 " < " + std::to_string(qty));
  s.*from -= qty;
  s.*to += qty;
  return ok_status();
}

Sku* find(const std::vector<Sku*>& skus, const std::string& name) {
  for (Sku* s : skus)
    if (s != nullptr && s->sku == name) return s;
  return nullptr;
}

// Validates all lines against the source counter, then applies them.
Result<std::vector<StockLine>> move_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines,
                                        int64_t Sku::*from, int64_t Sku::*to, const char* from_name) {
  auto merged = merge_lines(lines);
  if (!merged) return merged.error();
  std::vector<Sku*> targets;
  for (const auto& l : *merged) {
    Sku* s = find(skus, l.sku);
    if (s == nullptr) return Error::invalid("items", "unknown sku " + l.sku);
    if (s->*from < l.qty)
      return Error::make(ErrorCode::kConflict, "insufficient " + std::string(from_name) + " for sku " + l.sku + ": " +
                                                   std::to_string(s->*from) + " < " + std::to_string(l.qty));
    targets.push_back(s);
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    Status st = move(*targets[i], (*merged)[i].qty, from, to, from_name);
    if (!st) return st.error();  // cannot happen: checked above, lines are distinct
  }
  return merged;
}

Status as_status(const Result<std::vector<StockLine>>& r) { return r ? ok_status() : Status(r.error()); }

}  // namespace

Status set_stock(Sku& s, int64_t stock, int64_t price) {
  if (stock < 0) return Error::invalid("stock", "stock must be >= 0");
  if (price < 0) return Error::invalid("price", "price must be >= 0");
  const int64_t held = s.reserved + s.sold;
  if (stock < held) {
    Error e = Error::make(ErrorCode::kConflict, "stock " + std::to_string(stock) + " is below reserved + sold (" +
                                                    std::to_string(held) + ")");
    e.field = "stock";
    return e;
  }
  s.stock_set = stock;
  s.available = stock - held;
  s.price = price;
  return ok_status();
}

Result<std::vector<StockLine>> merge_lines(const std::vector<StockLine>& lines) {
  if (lines.empty()) return Error::invalid("items", "items must not be empty");
  std::vector<StockLine> out;
  for (const auto& l : lines) {
    if (l.sku.empty()) return Error::invalid("items", "sku must not be empty");
    if (l.qty <= 0) return Error::invalid("items", "qty must be > 0 (sku " + l.sku + ")");
    StockLine* same = nullptr;
    for (auto& o : out)
      if (o.sku == l.sku) same = &o;
    if (same == nullptr) {
      out.push_back(l);
    } else {
      if (same->qty > std::numeric_limits<int64_t>::max() - l.qty) return Error::invalid("items", "qty too large");
      same->qty += l.qty;
    }
  }
  return out;
}

Result<std::vector<StockLine>> reserve_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines) {
  return move_all(skus, lines, &Sku::available, &Sku::reserved, "available");
}
Status release_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines) {
  return as_status(move_all(skus, lines, &Sku::reserved, &Sku::available, "reserved"));
}
Status commit_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines) {
  return as_status(move_all(skus, lines, &Sku::reserved, &Sku::sold, "reserved"));
}
Status return_sold_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines) {
  return as_status(move_all(skus, lines, &Sku::sold, &Sku::available, "sold"));
}

Status release(Sku& s, int64_t qty) { return move(s, qty, &Sku::reserved, &Sku::available, "reserved"); }
Status commit(Sku& s, int64_t qty) { return move(s, qty, &Sku::reserved, &Sku::sold, "reserved"); }
Status return_sold(Sku& s, int64_t qty) { return move(s, qty, &Sku::sold, &Sku::available, "sold"); }

std::optional<std::string> stock_violation(const Sku& s) {
  if (s.available < 0 || s.reserved < 0 || s.sold < 0)
    return "sku " + s.sku + ": negative counter (" + std::to_string(s.available) + "/" + std::to_string(s.reserved) +
           "/" + std::to_string(s.sold) + ")";
  if (s.available + s.reserved + s.sold != s.stock_set)
    return "sku " + s.sku + ": available+reserved+sold != stock_set " + std::to_string(s.stock_set);
  return std::nullopt;
}

}  // namespace orderd::orders
