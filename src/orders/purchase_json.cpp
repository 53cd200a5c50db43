// purchase_json.cpp — storage and API representations of a Purchase.
#include "orders/purchase.h"

#include "store/env.h"
#include "store/row.h"

namespace orderd::orders {

namespace {
Json time_or_null(TimeMs t) { return t == 0 ? Json(nullptr) : Json(format_rfc3339(t)); }
const char* step_state(bool done) { return done ? "done" : "pending"; }
}  // namespace

Json to_storage(const Purchase& p) {
  Json items = Json::array(), pays = Json::array(), events = Json::array();
  for (const auto& it : p.items) items.push_back({{"sku", it.sku}, {"qty", it.qty}, {"price", it.price}});
  for (const auto& y : p.payments)
    pays.push_back({{"id", y.payment_id}, {"amount", y.amount}, {"at", y.at}, {"kept", y.kept},
                    {"refund", static_cast<int>(y.refund)}, {"rf", y.refund_failures}});
  for (const auto& e : p.events) events.push_back({{"at", e.at}, {"type", e.type}, {"detail", e.detail}});
  return {{"id", p.id}, {"user", p.user}, {"items", items}, {"amount", p.amount}, {"paid", p.paid},
          {"refunded", p.refunded}, {"notify_url", p.notify_url}, {"created_at", p.created_at},
          {"pay_deadline_at", p.pay_deadline_at}, {"status", p.status},
          {"steps", {p.commit_stock_done, p.award_points_done, p.notify_done}}, {"payments", pays},
          {"events", events}, {"flags", p.flags}, {"qp", p.query_pending}, {"qf", p.query_failures},
          {"cf", p.close_failures}, {"v", p.version}, {"u", p.updated_at}};
}

std::optional<Purchase> purchase_from_storage(const Json& j) {
  try {
    Purchase p;
    p.id = j.at("id").get<std::string>();
    p.user = j.at("user").get<std::string>();
    for (const auto& it : j.at("items"))
      p.items.push_back({it.at("sku").get<std::string>(), store::json_int<int64_t>(it.at("qty")), store::json_int<int64_t>(it.at("price"))});
    p.amount = store::json_int<int64_t>(j.at("amount"));
    p.paid = store::json_int<int64_t>(j.at("paid"));
    p.refunded = store::json_int<int64_t>(j.at("refunded"));
    p.notify_url = j.at("notify_url").get<std::string>();
    p.created_at = store::json_int<TimeMs>(j.at("created_at"));
    p.pay_deadline_at = store::json_int<TimeMs>(j.at("pay_deadline_at"));
    p.status = j.at("status").get<std::string>();
    const auto& st = j.at("steps");
    p.commit_stock_done = st.at(0).get<bool>();
    p.award_points_done = st.at(1).get<bool>();
    p.notify_done = st.at(2).get<bool>();
    for (const auto& y : j.at("payments")) {
      Payment pay{y.at("id").get<std::string>(), store::json_int<int64_t>(y.at("amount")), store::json_int<TimeMs>(y.at("at"))};
      pay.kept = y.at("kept").get<bool>();
      const int refund = store::json_int<int>(y.at("refund"));
      if (refund < 0 || refund > static_cast<int>(RefundState::kDone)) return std::nullopt;
      pay.refund = static_cast<RefundState>(refund);
      pay.refund_failures = store::json_int<int>(y.at("rf"));
      p.payments.push_back(pay);
    }
    for (const auto& e : j.at("events"))
      p.events.push_back({store::json_int<TimeMs>(e.at("at")), e.at("type").get<std::string>(), e.at("detail").get<std::string>()});
    p.flags = j.at("flags").get<std::vector<std::string>>();
    p.query_pending = j.at("qp").get<bool>();
    p.query_failures = store::json_int<int>(j.at("qf"));
    p.close_failures = store::json_int<int>(j.at("cf"));
    p.version = store::json_int<uint64_t>(j.at("v"));
    p.updated_at = j.contains("u") ? store::json_int<TimeMs>(j.at("u")) : 0;
    return p;
  } catch (const std::exception&) {  // Json::exception, or json_int on a non-integer
    return std::nullopt;
  }
}

namespace {
// The row's fields, once for encode (P = const Purchase) and decode (row.h
// invariant 3).
template <class IO, class P>
void purchase_fields(IO& io, P& p) {
  io.field(p.id);
  io.field(p.user);
  io.list(p.items, [](IO& io, auto& it) {
    io.field(it.sku);
    io.field(it.qty);
    io.field(it.price);
  });
  io.field(p.amount);
  io.field(p.paid);
  io.field(p.refunded);
  io.field(p.notify_url);
  io.field(p.created_at);
  io.field(p.pay_deadline_at);
  io.field(p.status);
  io.field(p.commit_stock_done);
  io.field(p.award_points_done);
  io.field(p.notify_done);
  io.list(p.payments, [](IO& io, auto& y) {
    io.field(y.payment_id);
    io.field(y.amount);
    io.field(y.at);
    io.field(y.kept);
    io.enumeration(y.refund, RefundState::kDone);
    io.field(y.refund_failures);
  });
  io.list(p.events, [](IO& io, auto& e) {
    io.field(e.at);
    io.field(e.type);
    io.field(e.detail);
  });
  io.list(p.flags, [](IO& io, auto& f) { io.field(f); });
  io.field(p.query_pending);
  io.field(p.query_failures);
  io.field(p.close_failures);
  io.field(p.version);
  io.field(p.updated_at);
}
}  // namespace

std::string encode_purchase(const Purchase& p) {
  return store::encode_fields(p, [](auto& io, auto& row) { purchase_fields(io, row); });
}

std::optional<Purchase> decode_purchase(std::string_view bytes) {
  return store::decode_fields<Purchase>(
      bytes, [](auto& io, auto& row) { purchase_fields(io, row); },
      [](const Json& j) { return purchase_from_storage(j); });
}

Json to_api(const Purchase& p) {
  Json items = Json::array(), events = Json::array(), ids = Json::array();
  for (const auto& it : p.items) items.push_back({{"sku", it.sku}, {"qty", it.qty}, {"price", it.price}});
  for (const auto& e : p.events) events.push_back({{"at", format_rfc3339(e.at)}, {"type", e.type}, {"detail", e.detail}});
  for (const auto& y : p.payments) ids.push_back(y.payment_id);
  Json steps = {{"commit_stock", step_state(p.commit_stock_done)}, {"award_points", step_state(p.award_points_done)}};
  if (!p.notify_url.empty()) steps["notify"] = step_state(p.notify_done);
  return {{"id", p.id}, {"status", p.status}, {"user", p.user}, {"items", items}, {"amount", p.amount},
          {"paid", p.paid}, {"refunded", p.refunded}, {"created_at", time_or_null(p.created_at)},
          {"pay_deadline_at", time_or_null(p.pay_deadline_at)}, {"steps", steps}, {"events", events},
          {"payment_ids", ids}, {"flags", p.flags}, {"version", p.version},
          {"notify_url", p.notify_url.empty() ? Json(nullptr) : Json(p.notify_url)}};
}

}  // namespace orderd::orders
