// timer_store.cpp — the durable side of timers: the timers_due and timers_key
// tables (layout in store/keys.h), written only inside writer transactions.
//
// Thread: the writer thread (schedule/cancel/take) or any thread with a read
// txn (find). No state of its own besides the service pointer.
// Invariants:
//   (1) timers_key[k] = due‖id  iff  timers_due[due‖id] exists with key k.
//   (2) The service hears of a change only after its commit (after_commit),
//       never of a change that was rolled back.
#include <algorithm>

#include "store/keys.h"
#include "store/row.h"
#include "timer/timers.h"

namespace orderd::timer {

namespace {

constexpr std::string_view kDueTable = "timers_due";
constexpr std::string_view kKeyTable = "timers_key";

std::string due_key(TimeMs due_ms, uint64_t id) {
  std::string k;
  k.reserve(16);
  store::append_u64(k, static_cast<uint64_t>(due_ms));
  store::append_u64(k, id);
  return k;
}

// Reads timers_due[due_key] into a record. nullopt if absent; kIo if corrupt.
Result<std::optional<TimerRecord>> read_record(const store::Txn& txn, TimeMs due_ms, uint64_t id) {
  auto bytes = txn.get(txn.table(kDueTable), due_key(due_ms, id));
  if (!bytes) return std::optional<TimerRecord>{};
  auto rec = decode_timer_row(id, due_ms, *bytes);
  if (!rec) return Error::make(ErrorCode::kIo, "corrupt timer record " + std::to_string(id));
  return std::optional<TimerRecord>(std::move(*rec));
}

struct KeyRef {
  TimeMs due_ms;
  uint64_t id;
};

std::optional<KeyRef> lookup_key(const store::Txn& txn, const std::string& key) {
  auto ref = txn.get(txn.table(kKeyTable), key);
  if (!ref || ref->size() != 16) return std::nullopt;
  return KeyRef{static_cast<TimeMs>(store::read_u64(*ref, 0)), store::read_u64(*ref, 8)};
}

// Deletes both rows of a pending timer. Errors: the txn's write error.
Status erase_rows(store::WriteTxn& txn, const std::string& key, TimeMs due_ms, uint64_t id) {
  auto due_deleted = txn.del(txn.table(kDueTable), due_key(due_ms, id));
  if (!due_deleted) return due_deleted.error();
  auto key_deleted = txn.del(txn.table(kKeyTable), key);
  if (!key_deleted) return key_deleted.error();
  return ok_status();
}

}  // namespace

std::string encode_timer_row(const std::string& kind, const std::string& key, const Json& payload) {
  store::RowWriter w;
  w.str(kind);
  w.str(key);
  store::put_payload_tail(w, payload);
  return w.take();
}

std::optional<TimerRecord> decode_timer_row(uint64_t id, TimeMs due_ms, std::string_view bytes) {
  TimerRecord rec;
  rec.id = id;
  rec.due_ms = due_ms;
  if (!store::is_row_format1(bytes)) {
    auto value = store::decode(bytes);  // a row written before format 1
    if (!value || !value->is_object()) return std::nullopt;
    auto kind = value->find("kind");
    auto key = value->find("key");
    if (kind == value->end() || !kind->is_string() || key == value->end() || !key->is_string()) return std::nullopt;
    rec.kind = kind->get<std::string>();
    rec.key = key->get<std::string>();
    rec.payload = value->contains("payload") ? (*value)["payload"] : Json::object();
    return rec;
  }
  store::RowReader in(bytes);
  in.tag();
  rec.kind = in.str();
  rec.key = in.str();
  if (!store::get_payload_tail(in, &rec.payload)) return std::nullopt;
  return rec;
}

Result<uint64_t> TimerStore::schedule(store::WriteTxn& txn, TimeMs due_ms, const std::string& kind,
                                      const std::string& key, const Json& payload) {
  if (key.empty()) return Error::invalid("key", "a timer needs a business key");
  if (due_ms < 0) return Error::invalid("due_ms", "a timer's due time must not be negative");
  if (auto old = lookup_key(txn, key)) {
    Status st = erase_rows(txn, key, old->due_ms, old->id);
    if (!st) return st.error();
    if (service_) txn.after_commit([svc = service_, id = old->id] { svc->notify_cancelled(id); });
  }
  const uint64_t id = txn.next_id();
  const std::string dkey = due_key(due_ms, id);
  Status st = txn.put(txn.table(kDueTable), dkey, encode_timer_row(kind, key, payload));
  if (!st) return st.error();
  st = txn.put(txn.table(kKeyTable), key, dkey);
  if (!st) return st.error();
  if (service_) txn.after_commit([svc = service_, id, due_ms] { svc->notify_scheduled(id, due_ms); });
  return id;
}

Result<bool> TimerStore::cancel(store::WriteTxn& txn, const std::string& key) {
  auto ref = lookup_key(txn, key);
  if (!ref) return false;
  Status st = erase_rows(txn, key, ref->due_ms, ref->id);
  if (!st) return st.error();
  if (service_) txn.after_commit([svc = service_, id = ref->id] { svc->notify_cancelled(id); });
  return true;
}

Result<std::optional<TimerRecord>> TimerStore::take(store::WriteTxn& txn, uint64_t id, TimeMs due_ms) {
  auto rec = read_record(txn, due_ms, id);
  if (!rec || !rec.value()) return rec;
  auto due_deleted = txn.del(txn.table(kDueTable), due_key(due_ms, id));
  if (!due_deleted) return due_deleted.error();
  // Invariant (1): the key row points here unless the table was edited by hand.
  auto ref = lookup_key(txn, rec.value()->key);
  if (ref && ref->id == id && ref->due_ms == due_ms) {
    auto key_deleted = txn.del(txn.table(kKeyTable), rec.value()->key);
    if (!key_deleted) return key_deleted.error();
  }
  return rec;
}

std::optional<TimerRecord> TimerStore::find(const store::Txn& txn, const std::string& key) {
  auto ref = lookup_key(txn, key);
  if (!ref) return std::nullopt;
  auto rec = read_record(txn, ref->due_ms, ref->id);
  if (!rec) return std::nullopt;
  return std::move(rec.value());
}

}  // namespace orderd::timer
