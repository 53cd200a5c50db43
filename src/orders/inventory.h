// inventory.h — the rows behind stock and points: table `skus` (sku → Sku)
// and table `users` (user → {points}). The arithmetic is stock.h's; this
// file loads, applies and stores, always inside the caller's write
// transaction, so a failed movement aborts the whole change.
//
// Thread: writer thread (WriteTxn) for mutations; any thread for reads.
// Invariants:
//   (1) A stock movement touches every SKU of its lines or none (stock.h
//       validates all lines before changing any; errors abort the txn).
//   (2) Points only move with the order step that causes them, in its txn.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "orders/effects.h"
#include "orders/stock.h"
#include "store/env.h"

namespace orderd::orders {

std::optional<Sku> load_sku(const store::Txn& txn, const std::string& sku);
[[nodiscard]] Status save_sku(store::WriteTxn& txn, const Sku& s);
// {"sku","price","stock","available","reserved","sold"}
Json sku_to_api(const Sku& s);
// Every SKU row (for `orderd check` and the reconciliation report).
std::vector<Sku> all_skus(const store::Txn& txn);

enum class StockMove { kReserve, kRelease, kCommit, kReturn };
// Loads the SKUs named by `lines`, moves them all or none, stores them.
// Errors: kInvalid (field "items[i].sku") for an unknown SKU; the stock.h
// errors (kConflict when a counter is too small); write errors.
[[nodiscard]] Status move_stock(store::WriteTxn& txn, const std::vector<StockLine>& lines, StockMove move);

int64_t user_points(const store::Txn& txn, const std::string& user);
// points += delta. Errors: write errors.
[[nodiscard]] Status add_points(store::WriteTxn& txn, const std::string& user, int64_t delta);

}  // namespace orderd::orders
