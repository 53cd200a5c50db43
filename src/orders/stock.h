// stock.h — per-SKU stock counters (SPEC §4 "Stock and orders") as pure
// functions. Owns the arithmetic only: the caller loads the Sku records,
// calls these in one write transaction and stores them back, so an error
// means "abort, nothing written". No I/O, no clock, no threads.
//
// Thread: any; functions touch only their arguments.
//
// Worked example: PUT stock 100 → available 100. An order for 2 reserves
// (98, 2, 0); payment + commit_stock → (98, 0, 2); refund → (100, 0, 0).
// PUT stock 50 then sets available = 50 − reserved − sold.
//
// Invariants (checked by stock_violation):
//   (1) available + reserved + sold == stock_set.
//   (2) available, reserved, sold >= 0.
//   (3) Every mutation validates all lines before changing anything
//       (all-or-nothing), so a failed call leaves every Sku unchanged.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace orderd::orders {

struct Sku {
  std::string sku;
  int64_t price = 0;  // minor units per unit
  int64_t available = 0;
  int64_t reserved = 0;  // held by pending_payment / closing orders
  int64_t sold = 0;      // committed by paid orders (commit_stock)
  int64_t stock_set = 0; // the total last set by PUT (plus adjustments)
};

// One order line as far as stock is concerned.
struct StockLine {
  std::string sku;
  int64_t qty = 0;
};

// Admin PUT. REQUIRES: nothing. Errors: kInvalid (field "stock"/"price") when
// negative; kConflict (field "stock") when stock < reserved + sold.
Status set_stock(Sku& s, int64_t stock, int64_t price);

// Merges lines naming the same SKU (quantities summed) and keeps first-seen
// order. Errors: kInvalid field "items" on empty list, empty sku, qty <= 0 or
// a summed qty that overflows.
Result<std::vector<StockLine>> merge_lines(const std::vector<StockLine>& lines);

// Reserves every line (available → reserved), all or nothing. `skus` are the
// distinct records the lines refer to (matched by Sku::sku). Duplicate SKUs
// in `lines` are MERGED (quantities summed), so "A×1, A×1" needs 2 available.
// Returns the merged lines. Errors: kInvalid (field "items") as merge_lines,
// or a line naming a SKU not in `skus`; kConflict when any SKU has too
// little available — then nothing changed.
Result<std::vector<StockLine>> reserve_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines);

// reserved → available (order closed). Errors: kInvalid as reserve_all;
// kConflict if a SKU holds less reserved than asked (nothing changed).
Status release_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines);
// reserved → sold (commit_stock step). Errors as release_all.
Status commit_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines);
// sold → available (a refunded order gives its stock back). Errors as
// release_all, with "sold" in place of "reserved".
Status return_sold_all(const std::vector<Sku*>& skus, const std::vector<StockLine>& lines);

// Single-SKU forms of the above. Errors: kInvalid on qty <= 0; kConflict when
// the source counter is too small (nothing changed).
Status release(Sku& s, int64_t qty);
Status commit(Sku& s, int64_t qty);
Status return_sold(Sku& s, int64_t qty);

// nullopt when invariants (1) and (2) hold, else a description.
std::optional<std::string> stock_violation(const Sku& s);

}  // namespace orderd::orders
