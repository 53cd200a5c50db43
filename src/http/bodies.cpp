#include "http/bodies.h"

#include <charconv>
#include <set>

#include "http/json_body.h"

namespace orderd::http {

namespace {
constexpr int64_t kMaxQty = 1'000'000;
constexpr int64_t kMaxStock = int64_t{1} << 40;
constexpr size_t kMaxItems = 100;

Result<std::string> notify_url(const Json& body) {
  auto url = optional_string(body, "notify_url", 2048);
  if (!url) return url.error();
  if (!*url || (*url)->empty()) return std::string();
  if ((*url)->rfind("http://", 0) != 0) return Error::invalid("notify_url", "notify_url must be an http:// URL");
  return **url;
}

// What every creating POST carries: notify_url, Idempotency-Key and the body's hash.
template <class Out>
Status fill_creating(const Request& req, const Json& body, Out* out) {
  auto url = notify_url(body);
  if (!url) return url.error();
  out->notify_url = *url;
  out->idempotency_key = req.header("idempotency-key");
  if (out->idempotency_key.size() > 255)
    return Error::invalid("Idempotency-Key", "Idempotency-Key is longer than 255 characters");
  out->body_hash = orders::sha256_hex(req.body);
  return ok_status();
}
}  // namespace

Result<long long> parse_int_param(const Request& req, const std::string& name, long long def, long long lo,
                                  long long hi) {
  auto v = req.query_param(name);
  if (!v) return def;
  long long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < lo || n > hi)
    return Error::invalid(name, name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  return n;
}

Result<size_t> parse_limit(const Request& req) {
  auto n = parse_int_param(req, "limit", 50, 1, 500);
  if (!n) return n.error();
  return static_cast<size_t>(*n);
}

Result<int> parse_wait(const Request& req) {
  auto n = parse_int_param(req, "wait", 0, 0, 600);
  if (!n) return n.error();
  return static_cast<int>(*n);
}

Result<uint64_t> parse_dead_id(const Request& req) {
  const std::string& text = req.params.at("id");
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size()) return Error::invalid("id", "dead-letter id must be a number");
  return id;
}

std::optional<Response> require_token(const Request& req, const std::string& token) {
  if (token.empty()) return std::nullopt;
  const std::string& auth = req.header("authorization");
  const std::string expected = "Bearer " + token;
  // Constant-time comparison of equal-length strings.
  bool same = auth.size() == expected.size();
  unsigned char diff = 0;
  for (size_t i = 0; same && i < auth.size(); ++i) diff |= static_cast<unsigned char>(auth[i] ^ expected[i]);
  if (same && diff == 0) return std::nullopt;
  Response r = problem(401, "this endpoint needs Authorization: Bearer <admin token>", "Authorization");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Result<orders::CreateRechargeRequest> parse_recharge_create(const Request& req) {
  auto body = parse_json_object(req.body);
  if (!body) return body.error();
  orders::CreateRechargeRequest out;
  auto account = required_string(*body, "account", 128);
  if (!account) return account.error();
  out.account = *account;
  auto amount = required_amount(*body, "amount");
  if (!amount) return amount.error();
  out.amount = *amount;
  auto st = fill_creating(req, *body, &out);
  if (!st) return st.error();
  return out;
}

Result<orders::CreateOrderRequest> parse_order_create(const Request& req) {
  auto body = parse_json_object(req.body);
  if (!body) return body.error();
  orders::CreateOrderRequest out;
  auto user = required_string(*body, "user", 128);
  if (!user) return user.error();
  out.user = *user;
  auto items = required_array(*body, "items", kMaxItems);
  if (!items) return items.error();
  if (items->empty()) return Error::invalid("items", "items must not be empty");
  std::set<std::string> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string at = "items[" + std::to_string(i) + "]";
    const Json& item = (*items)[i];
    if (!item.is_object()) return Error::invalid(at, at + " must be an object");
    auto sku = required_string(item, "sku", 128);
    if (!sku) return nest_field(sku.error(), at + ".");
    auto qty = optional_int(item, "qty", 1, kMaxQty);
    if (!qty) return nest_field(qty.error(), at + ".");
    if (!*qty) return Error::invalid(at + ".qty", at + ".qty is required (an integer from 1 to 1000000)");
    if (!seen.insert(*sku).second)
      return Error::invalid(at + ".sku", at + ".sku '" + *sku + "' appears twice; give each SKU once with its total qty");
    out.items.push_back({*sku, **qty});
  }
  auto st = fill_creating(req, *body, &out);
  if (!st) return st.error();
  return out;
}

Result<SkuPut> parse_sku_put(const std::string& text) {
  auto body = parse_json_object(text);
  if (!body) return body.error();
  auto stock = optional_int(*body, "stock", 0, kMaxStock);
  if (!stock) return stock.error();
  if (!*stock) return Error::invalid("stock", "stock is required (an integer >= 0)");
  auto price = optional_int(*body, "price", 0, kMaxAmount);
  if (!price) return price.error();
  return SkuPut{**stock, *price};
}

Result<PaymentNotify> parse_payment_notify(const std::string& text) {
  auto body = parse_json_object(text);
  if (!body) return body.error();
  PaymentNotify out;
  auto order_id = required_string(*body, "order_id", 128);
  if (!order_id) return order_id.error();
  auto payment_id = required_string(*body, "payment_id", 128);
  if (!payment_id) return payment_id.error();
  auto amount = required_amount(*body, "amount");
  if (!amount) return amount.error();
  auto status = required_string(*body, "status", 32);
  if (!status) return status.error();
  return PaymentNotify{*order_id, *payment_id, *status, *amount};
}

Result<SimPay> parse_sim_pay(const std::string& text) {
  SimPay out;
  if (text.empty()) return out;
  auto body = parse_json_object(text);
  if (!body) return body.error();
  auto amount = optional_int(*body, "amount", 1, kMaxAmount);
  if (!amount) return amount.error();
  out.amount = *amount;
  auto delay_text = optional_string(*body, "notify_delay", 32);
  if (!delay_text) return delay_text.error();
  if (*delay_text) {
    auto d = parse_duration(**delay_text);
    if (!d || *d < 0 || *d > 3'600'000)
      return Error::invalid("notify_delay", "notify_delay must be a duration from 0s to 1h, like \"2s\"");
    out.notify_delay = *d;
  }
  auto even = optional_bool(*body, "even_if_closed");
  if (!even) return even.error();
  out.even_if_closed = even->value_or(false);
  return out;
}

}  // namespace orderd::http
