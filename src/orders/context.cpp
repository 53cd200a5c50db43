#include "orders/context.h"

#include <cstdio>

#include "orders/inventory.h"
#include "store/keys.h"

namespace orderd::orders {

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace

Status apply_effects(Context& ctx, store::WriteTxn& txn, const Effects& effects, TimeMs now) {
  for (const auto& effect : effects) {
    Status st = std::visit(
        Overloaded{
            [&](const EnqueueJob& e) -> Status {
              auto r = ctx.jobs.enqueue(txn, e.type, e.order_id, e.payload, e.not_before, now);
              return r ? ok_status() : Status(r.error());
            },
            [&](const ScheduleTimer& e) -> Status {
              auto r = ctx.timers.schedule(txn, e.due_ms, e.kind, e.key, e.payload);
              return r ? ok_status() : Status(r.error());
            },
            [&](const CancelTimer& e) -> Status {
              auto r = ctx.timers.cancel(txn, e.key);
              return r ? ok_status() : Status(r.error());
            },
            [&](const FlagAttention& e) -> Status {
              auto key = store::pair_key(e.order_id, e.kind);
              auto table = txn.table("attention");
              TimeMs since = now;
              if (auto old = txn.get_json(table, key)) since = old->value("since", now);
              return txn.put_json(table, key, {{"detail", e.detail}, {"since", since}});
            },
            [&](const ClearAttention& e) -> Status {
              auto r = txn.del(txn.table("attention"), store::pair_key(e.order_id, e.kind));
              return r ? ok_status() : Status(r.error());
            },
            [&](const ReleaseStock& e) -> Status { return move_stock(txn, e.lines, StockMove::kRelease); },
            [&](const CommitStock& e) -> Status { return move_stock(txn, e.lines, StockMove::kCommit); },
            [&](const ReturnStock& e) -> Status { return move_stock(txn, e.lines, StockMove::kReturn); },
            [&](const AwardPoints& e) -> Status { return add_points(txn, e.user, e.points); },
            [&](const RevokePoints& e) -> Status { return add_points(txn, e.user, -e.points); },
        },
        effect);
    if (!st) return st;
  }
  return ok_status();
}

std::vector<AttentionItem> list_attention(const store::Txn& txn, size_t limit) {
  std::vector<AttentionItem> out;
  auto c = txn.cursor(txn.table("attention"));
  for (bool ok = c.first(); ok && out.size() < limit; ok = c.next()) {
    auto key = c.key();
    auto sep = key.find('\0');
    if (sep == std::string_view::npos) continue;
    auto j = store::decode(c.value());
    if (!j) continue;
    out.push_back({std::string(key.substr(0, sep)), std::string(key.substr(sep + 1)), j->value("detail", ""),
                   store::json_int_or<TimeMs>(*j, "since", TimeMs{0})});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.since > b.since; });
  return out;
}

std::optional<IdemRecord> find_idem(const store::Txn& txn, const std::string& scope, const std::string& key) {
  auto j = txn.get_json(txn.table("idem"), store::pair_key(scope, key));
  if (!j) return std::nullopt;
  return IdemRecord{j->value("hash", ""), store::json_int_or<int>(*j, "status", 0), j->value("body", ""), store::json_int_or<TimeMs>(*j, "at", TimeMs{0})};
}

Status save_idem(store::WriteTxn& txn, const std::string& scope, const std::string& key, const IdemRecord& rec) {
  return txn.put_json(txn.table("idem"), store::pair_key(scope, key),
                      {{"hash", rec.body_hash}, {"status", rec.status}, {"body", rec.body}, {"at", rec.at}});
}

std::string make_order_id(const char* prefix, uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return std::string(prefix) + buf;
}

}  // namespace orderd::orders
