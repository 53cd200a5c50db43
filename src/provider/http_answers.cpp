// http_answers.cpp — answer → result mapping of the HTTP provider. See
// http_answers.h for the table.
#include "provider/http_answers.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

namespace orderd::provider {

namespace {

using Json = nlohmann::json;

enum class Kind { kMutating, kRead };

// What triage() made of an answer before the call looks at it.
struct Verdict {
  enum What { kDecided, kSpecial, kBody } what = kDecided;
  CallOutcome call = CallOutcome::kUnknown;  // when kDecided
  std::string reason;                        // when kDecided or kSpecial
  int status = 0;                            // the HTTP status, if any
  Json body;                                 // when kBody: a JSON object
};

CallOutcome when_unsure(Kind kind) { return kind == Kind::kMutating ? CallOutcome::kUnknown : CallOutcome::kRetryable; }

// Printable, short: a body quoted in a reason never floods a log.
std::string snippet(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 160)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 160) out += "...";
  return out;
}

Json parse_json(const std::string& body) {
  try {
    return Json::parse(body, nullptr, /*allow_exceptions=*/false);
  } catch (...) {  // only allocation failures can get here
    return Json(Json::value_t::discarded);
  }
}

// The detail of a problem+json answer, or the start of the body.
std::string problem_detail(int status, const std::string& body) {
  Json j = parse_json(body);
  std::string detail;
  if (j.is_object() && j.contains("detail") && j["detail"].is_string()) detail = j["detail"].get<std::string>();
  else detail = body;
  return "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + snippet(detail));
}

Verdict decided(CallOutcome call, std::string reason, int status = 0) {
  Verdict v;
  v.call = call;
  v.reason = std::move(reason);
  v.status = status;
  return v;
}

Verdict triage(const HttpAnswer& answer, Kind kind, std::initializer_list<int> special) {
  if (!answer.ok()) {
    const Error& e = answer.error();
    if (e.code == ErrorCode::kTimeout) return decided(CallOutcome::kUnknown, "timeout: " + e.message);
    if (e.code == ErrorCode::kUnavailable) return decided(CallOutcome::kRetryable, "unavailable: " + e.message);
    return decided(when_unsure(kind), std::string(to_string(e.code)) + ": " + e.message);
  }
  const int status = answer->status;
  const std::string& body = answer->body;
  if (std::find(special.begin(), special.end(), status) != special.end()) {
    Verdict v;
    v.what = Verdict::kSpecial;
    v.status = status;
    v.reason = problem_detail(status, body);
    return v;
  }
  if (status >= 200 && status < 300) {
    Json j = parse_json(body);
    if (!j.is_object()) return decided(when_unsure(kind), "bad answer (not a JSON object): " + snippet(body), status);
    Verdict v;
    v.what = Verdict::kBody;
    v.status = status;
    v.body = std::move(j);
    return v;
  }
  if (status == 503 || status == 408 || status == 429) return decided(CallOutcome::kRetryable, problem_detail(status, body), status);
  if (status >= 400 && status < 500) return decided(CallOutcome::kUnknown, problem_detail(status, body), status);
  return decided(when_unsure(kind), problem_detail(status, body), status);
}

// body["status"] when it is a string, else "".
std::string status_word(const Json& body) {
  auto it = body.find("status");
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// body["reason"]: a string, null or absent (→ fallback). false = wrong type.
bool reason_of(const Json& body, const std::string& fallback, std::string* out) {
  auto it = body.find("reason");
  if (it == body.end() || it->is_null()) {
    *out = fallback;
    return true;
  }
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  if (out->empty()) *out = fallback;
  return true;
}

// An amount: an integer in [0, INT64_MAX].
bool amount_of(const Json& body, int64_t* out) {
  auto it = body.find("amount");
  if (it == body.end()) return false;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return *out >= 0;
  }
  return false;
}

std::string bad_body(const Verdict& v) {
  return "bad answer: " + snippet(v.body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

RechargeResult recharge_from_http(const HttpAnswer& answer) {
  RechargeResult r;
  Verdict v = triage(answer, Kind::kMutating, {400, 422});
  if (v.what == Verdict::kDecided) return {v.call, false, v.reason};
  if (v.what == Verdict::kSpecial) return {CallOutcome::kOk, false, "refused: " + v.reason};
  const std::string word = status_word(v.body);
  if (word == "success") return {CallOutcome::kOk, true, ""};
  if (word == "failed" && reason_of(v.body, "refused by the provider", &r.reason)) {
    r.call = CallOutcome::kOk;
    return r;
  }
  return {CallOutcome::kUnknown, false, bad_body(v)};
}

RechargeQuery recharge_query_from_http(const HttpAnswer& answer) {
  Verdict v = triage(answer, Kind::kRead, {404});
  if (v.what == Verdict::kDecided) return {v.call, RechargeStatus::kUnknown, v.reason};
  if (v.what == Verdict::kSpecial) return {CallOutcome::kOk, RechargeStatus::kUnknown, v.reason};
  const std::string word = status_word(v.body);
  if (word == "success") return {CallOutcome::kOk, RechargeStatus::kSuccess, ""};
  if (word == "failed") return {CallOutcome::kOk, RechargeStatus::kFailed, ""};
  if (word == "unknown") return {CallOutcome::kOk, RechargeStatus::kUnknown, ""};
  return {CallOutcome::kRetryable, RechargeStatus::kUnknown, bad_body(v)};
}

PaymentQuery payment_query_from_http(const HttpAnswer& answer) {
  PaymentQuery q;
  Verdict v = triage(answer, Kind::kRead, {404});
  if (v.what == Verdict::kDecided || v.what == Verdict::kSpecial) {
    q.call = v.what == Verdict::kSpecial ? CallOutcome::kOk : v.call;  // 404: never paid
    q.reason = v.reason;
    return q;
  }
  const std::string word = status_word(v.body);
  if (word == "unpaid") {
    q.call = CallOutcome::kOk;
    return q;
  }
  auto id = v.body.find("payment_id");
  if (word == "paid" && id != v.body.end() && id->is_string() && !id->get<std::string>().empty() &&
      amount_of(v.body, &q.amount)) {
    q.call = CallOutcome::kOk;
    q.paid = true;
    q.payment_id = id->get<std::string>();
    return q;
  }
  q.amount = 0;
  q.call = CallOutcome::kRetryable;
  q.reason = bad_body(v);
  return q;
}

CloseResult close_from_http(const HttpAnswer& answer) {
  Verdict v = triage(answer, Kind::kMutating, {});
  if (v.what != Verdict::kBody) return {v.call, false, v.reason};
  const std::string word = status_word(v.body);
  if (word == "closed") return {CallOutcome::kOk, false, ""};
  if (word == "already_paid") return {CallOutcome::kOk, true, ""};
  return {CallOutcome::kUnknown, false, bad_body(v)};
}

RefundResult refund_from_http(const HttpAnswer& answer) {
  RefundResult r;
  Verdict v = triage(answer, Kind::kMutating, {400, 409, 422});
  if (v.what == Verdict::kDecided) return {v.call, false, v.reason};
  if (v.what == Verdict::kSpecial) return {CallOutcome::kOk, false, "refused: " + v.reason};
  const std::string word = status_word(v.body);
  if (word == "success") return {CallOutcome::kOk, true, ""};
  if (word == "failed" && reason_of(v.body, "refused by the provider", &r.reason)) {
    r.call = CallOutcome::kOk;
    return r;
  }
  return {CallOutcome::kUnknown, false, bad_body(v)};
}

}  // namespace orderd::provider
