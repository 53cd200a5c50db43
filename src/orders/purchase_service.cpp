#include "orders/purchase_service.h"

#include "orders/inventory.h"
#include "store/async_commit.h"
#include "store/keys.h"

namespace orderd::orders {

namespace asio = boost::asio;

namespace {
bool owes_work(const Purchase& p) {
  if (outstanding(p) > 0) return true;
  const bool fulfilling = p.status == "paid" || p.status == "refund_pending";
  return fulfilling && !all_steps_done(p);
}

// Replays an Idempotency-Key record, or says there is none.
std::optional<Result<CreateAnswer>> replay(const store::Txn& txn, const std::string& scope, const std::string& key,
                                           const std::string& hash) {
  if (key.empty()) return std::nullopt;
  auto rec = find_idem(txn, scope, key);
  if (!rec) return std::nullopt;
  if (rec->body_hash != hash)
    return Result<CreateAnswer>(
        Error::invalid("Idempotency-Key", "Idempotency-Key '" + key + "' was already used with a different body"));
  return Result<CreateAnswer>(CreateAnswer{rec->status, Json::parse(rec->body, nullptr, false), true});
}
}  // namespace

std::optional<Purchase> load_purchase(const store::Txn& txn, const std::string& id) {
  auto v = txn.get(txn.table("orders"), id);
  if (!v) return std::nullopt;
  return decode_purchase(*v);
}

std::string refund_id_for(const std::string& order_id, const std::string& payment_id) {
  return order_id + "/" + payment_id;
}

PurchaseService::PurchaseService(Context& ctx, provider::Provider& provider, WebhookSender webhook,
                                 PurchaseServiceSettings settings, uint64_t seed)
    : ctx_(ctx), provider_(provider), webhook_(std::move(webhook)), settings_(settings), rng_(seed) {
  status_counts_.load(store::ReadTxn(ctx_.writer.env()));
}

uint64_t PurchaseService::random() {
  std::lock_guard lock(rng_mu_);
  return rng_();
}

Status PurchaseService::save(store::WriteTxn& txn, Purchase& p, const std::string& old_status, size_t old_payments) {
  p.updated_at = ctx_.clock.now_ms();
  auto st = txn.put(txn.table("orders"), p.id, encode_purchase(p));
  if (!st) return st;
  if (old_status != p.status) {
    st = status_counts_.move(txn, p.id, old_status, p.status);
    if (!st) return st;
    std::atomic<uint64_t>* counter = old_status.empty()        ? &counters_.created
                                     : p.status == "completed" ? &counters_.completed
                                     : p.status == "closed"    ? &counters_.closed
                                     : p.status == "refunded"  ? &counters_.refunded
                                                               : nullptr;
    if (counter) txn.after_commit([counter] { (*counter)++; });
  }
  for (size_t i = old_payments; i < p.payments.size(); ++i) {
    st = txn.put(txn.table("payments"), p.payments[i].payment_id, p.id);
    if (!st) return st;
    auto* c = &counters_.payments;
    txn.after_commit([c] { (*c)++; });
  }
  auto money = txn.table("po_money");
  if (owes_work(p)) {
    st = txn.put(money, p.id, "");
    if (!st) return st;
  } else {
    auto d = txn.del(money, p.id);
    if (!d) return d.error();
    if (*d) {  // it owed work and no longer does: a "stuck" flag is settled
      auto a = txn.del(txn.table("attention"), store::pair_key(p.id, "stuck"));
      if (!a) return a.error();
    }
  }
  if (ctx_.on_change) {
    auto notify = ctx_.on_change;
    txn.after_commit([notify, id = p.id] { notify(id); });
  }
  return ok_status();
}

Status PurchaseService::update(store::WriteTxn& txn, const std::string& id, const Decide& decide) {
  auto p = load_purchase(txn, id);
  if (!p) return Error::make(ErrorCode::kNotFound, "no purchase order " + id);
  const std::string old_status = p->status;
  const size_t old_payments = p->payments.size();
  const int64_t old_refunded = p->refunded;
  Decision d;
  auto st = decide(*p, d);
  if (!st) return st;
  if (!d.changed) return ok_status();
  if (p->refunded != old_refunded) {
    auto* c = &counters_.refunds;
    txn.after_commit([c] { (*c)++; });
  }
  st = save(txn, *p, old_status, old_payments);
  if (!st) return st;
  return apply_effects(ctx_, txn, d.effects, ctx_.clock.now_ms());
}

asio::awaitable<Result<Json>> PurchaseService::put_sku(std::string sku, int64_t stock, std::optional<int64_t> price) {
  auto put = [sku = std::move(sku), stock, price](store::WriteTxn& txn) -> Result<Json> {
    auto s = load_sku(txn, sku);
    if (!s && !price) return Error::invalid("price", "price is required for a new SKU");
    Sku rec = s.value_or(Sku{});
    rec.sku = sku;
    auto st = set_stock(rec, stock, price.value_or(rec.price));
    if (!st) return st.error();
    st = save_sku(txn, rec);
    if (!st) return st.error();
    return sku_to_api(rec);
  };
  co_return co_await store::async_commit<Json>(ctx_.writer, std::move(put));
}

std::optional<Json> PurchaseService::get_sku(const std::string& sku) const {
  store::ReadTxn txn(ctx_.writer.env());
  auto s = load_sku(txn, sku);
  if (!s) return std::nullopt;
  return sku_to_api(*s);
}

Json PurchaseService::get_user(const std::string& user) const {
  store::ReadTxn txn(ctx_.writer.env());
  return {{"user", user}, {"points", user_points(txn, user)}};
}

asio::awaitable<Result<CreateAnswer>> PurchaseService::create(CreateOrderRequest req) {
  auto create_order = [this, req = std::move(req)](store::WriteTxn& txn) -> Result<CreateAnswer> {
    if (auto replayed = replay(txn, "order", req.idempotency_key, req.body_hash)) return *replayed;
    auto st = move_stock(txn, req.items, StockMove::kReserve);
    if (!st) return st.error();
    std::vector<PurchaseItem> items;
    for (const auto& line : req.items) items.push_back({line.sku, line.qty, load_sku(txn, line.sku)->price});
    const TimeMs now = ctx_.clock.now_ms();
    Effects effects;
    auto p = create_purchase(make_order_id("po_", txn.next_id()), req.user, std::move(items), req.notify_url, now,
                             settings_.decisions, &effects);
    if (!p) return p.error();
    st = save(txn, *p, "", 0);
    if (!st) return st.error();
    st = apply_effects(ctx_, txn, effects, now);
    if (!st) return st.error();
    CreateAnswer a{201, to_api(*p), false};
    if (!req.idempotency_key.empty()) {
      st = save_idem(txn, "order", req.idempotency_key, {req.body_hash, a.status, a.body.dump(), now});
      if (!st) return st.error();
    }
    return a;
  };
  co_return co_await store::async_commit<CreateAnswer>(ctx_.writer, std::move(create_order));
}

asio::awaitable<Result<CreateAnswer>> PurchaseService::change(std::string scope, std::string id, std::string key,
                                                              std::string hash, Decide decide) {
  auto apply = [this, scope = std::move(scope), id = std::move(id), key = std::move(key), hash = std::move(hash),
                decide = std::move(decide)](store::WriteTxn& txn) -> Result<CreateAnswer> {
    const std::string idem_key = key.empty() ? "" : store::pair_key(id, key);
    if (auto replayed = replay(txn, scope, idem_key, hash)) return *replayed;
    auto st = update(txn, id, decide);
    if (!st) return st.error();
    auto p = load_purchase(txn, id);
    CreateAnswer a{202, to_api(*p), false};
    if (!idem_key.empty()) {
      st = save_idem(txn, scope, idem_key, {hash, a.status, a.body.dump(), ctx_.clock.now_ms()});
      if (!st) return st.error();
    }
    return a;
  };
  co_return co_await store::async_commit<CreateAnswer>(ctx_.writer, std::move(apply));
}

asio::awaitable<Result<CreateAnswer>> PurchaseService::cancel(std::string id, std::string key, std::string hash) {
  Decide decide = [this](Purchase& p, Decision& d) { return cancel_purchase(p, ctx_.clock.now_ms(), &d); };
  co_return co_await change("cancel", std::move(id), std::move(key), std::move(hash), std::move(decide));
}

asio::awaitable<Result<CreateAnswer>> PurchaseService::refund(std::string id, std::string key, std::string hash) {
  Decide decide = [this](Purchase& p, Decision& d) {
    return request_refund(p, ctx_.clock.now_ms(), settings_.decisions, &d);
  };
  co_return co_await change("refund", std::move(id), std::move(key), std::move(hash), std::move(decide));
}

asio::awaitable<Result<Json>> PurchaseService::notify(std::string order_id, std::string payment_id, int64_t amount) {
  auto record = [this, order_id = std::move(order_id), payment_id = std::move(payment_id),
                 amount](store::WriteTxn& txn) -> Result<Json> {
    if (auto owner = txn.get(txn.table("payments"), payment_id)) {
      if (*owner != order_id)
        return Error{ErrorCode::kConflict, "payment_id " + payment_id + " was already recorded for another order",
                     "payment_id"};
      auto p = load_purchase(txn, order_id);
      return Json{{"result", "duplicate"}, {"order_id", order_id}, {"status", p ? p->status : ""}};
    }
    auto st = update(txn, order_id, [&](Purchase& p, Decision& d) {
      on_payment(p, payment_id, amount, ctx_.clock.now_ms(), &d);
      return ok_status();
    });
    if (!st) return st.error();
    auto p = load_purchase(txn, order_id);
    return Json{{"result", "recorded"}, {"order_id", order_id}, {"status", p->status}};
  };
  co_return co_await store::async_commit<Json>(ctx_.writer, std::move(record));
}

std::optional<Purchase> PurchaseService::get(const std::string& id) const {
  store::ReadTxn txn(ctx_.writer.env());
  return load_purchase(txn, id);
}

ListPage PurchaseService::list(const std::string& status, size_t limit, const std::string& after) const {
  store::ReadTxn txn(ctx_.writer.env());
  return list_newest(txn, "orders", "order_status", status, limit, after,
                     [](const store::Txn& t, const std::string& id) -> std::optional<Json> {
                       auto p = load_purchase(t, id);
                       if (!p) return std::nullopt;
                       return to_api(*p);
                     });
}

}  // namespace orderd::orders
