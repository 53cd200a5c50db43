// keys.h — the LMDB key layout: every table (named database) in the one
// environment under --data, and how its keys are encoded. Keys sort as bytes,
// so numbers are big-endian: cursor order is time order.
//
// Values are MessagePack of JSON, except the hot rows marked (row): those use
// store/row.h format 1 (tag 0x01, fields in a fixed order; readers still take
// the earlier MessagePack rows).
//
//   table        key                                   value
//   ───────────  ────────────────────────────────────  ─────────────────────────────
//   meta         "id_hwm" | "notify_secret" | ...       u64 BE | text
//   timers_due   due_ms u64 BE ‖ timer_id u64 BE        (row) kind, key, payload
//   timers_key   business key, e.g. "rc_deadline/rc_…"  due_ms u64 BE ‖ timer_id u64 BE
//   jobs         job_id u64 BE                          (row) type, key, attempt, not_before, created, error, payload
//   dead         job_id u64 BE                          {job…, reason, failed_at}
//   recharges    "rc_" ‖ 16 hex (creation order)        (row) the recharge order (orders/recharge_json.cpp)
//   rc_status    status ‖ 0x00 ‖ id                     (empty): list by status, newest last
//   idem         scope ‖ 0x00 ‖ Idempotency-Key         {body_sha256, status, body, at}
//   attention    order_id ‖ 0x00 ‖ kind                 {detail, since}
//   orders       "po_" ‖ 16 hex (creation order)        (row) the purchase order (orders/purchase_json.cpp)
//   order_status status ‖ 0x00 ‖ id                     (empty): list by status
//   skus         sku                                    {price, stock, available, reserved, sold}
//   users        user                                   {points}
//   payments     payment_id                             order id (payment_id is unique across orders)
//   po_money     order id                               (empty): orders owing money back or with
//                                                       fulfilment steps unfinished (reconciler's scan)
//
// Worked example: a 3-minute recharge deadline for rc_00018f2a3b4c0001
// created at 1_700_000_000_000 ms is stored as
//   timers_due  [00 00 01 8b cf e7 8d 20][00 .. 00 2a] → 01 ‖ "rc_deadline" ‖ "rc_deadline/rc_00018f2a3b4c0001" (each length-prefixed)
//   timers_key  "rc_deadline/rc_00018f2a3b4c0001"     → [00 00 01 8b cf e7 8d 20][00 .. 00 2a]
// (1_700_000_180_000 = 0x18bcfe78d20). Cancelling by key reads timers_key,
// then deletes both rows in the same write transaction.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace orderd::store {

// Every table the environment opens at start. Adding a table: add it here.
inline constexpr const char* kTables[] = {
    "meta", "timers_due", "timers_key", "jobs", "dead", "recharges", "rc_status", "idem", "attention",
    "orders", "order_status", "skus", "users", "payments", "po_money",
};

inline void append_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

inline std::string u64_key(uint64_t v) {
  std::string k;
  append_u64(k, v);
  return k;
}

// REQUIRES: bytes.size() >= offset + 8.
inline uint64_t read_u64(std::string_view bytes, size_t offset = 0) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return v;
}

// Two-part key "a\0b" for secondary indexes.
inline std::string pair_key(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

}  // namespace orderd::store
