// recharge_json.cpp — storage and API representations of a Recharge.
#include "orders/recharge.h"

#include "store/env.h"
#include "store/row.h"

namespace orderd::orders {

namespace {
Json time_or_null(TimeMs t) { return t == 0 ? Json(nullptr) : Json(format_rfc3339(t)); }
}  // namespace

Json to_storage(const Recharge& r) {
  Json attempts = Json::array();
  for (const auto& a : r.attempts)
    attempts.push_back({{"n", a.n}, {"s", a.started_at}, {"e", a.ended_at}, {"o", a.outcome}, {"r", a.reason}});
  Json j = {{"id", r.id},         {"account", r.account},         {"amount", r.amount},
            {"status", r.status}, {"created_at", r.created_at},   {"deadline_at", r.deadline_at},
            {"finished_at", r.finished_at}, {"attempts", attempts}, {"unknown", r.outcome_unknown},
            {"qf", r.query_failures}, {"v", r.version}};
  if (!r.notify_url.empty()) j["notify_url"] = r.notify_url;
  if (r.late_result) j["late"] = {{"status", r.late_result->status}, {"at", r.late_result->at}};
  return j;
}

std::optional<Recharge> from_storage(const Json& j) {
  try {
    Recharge r;
    r.id = j.at("id").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.amount = store::json_int<int64_t>(j.at("amount"));
    r.status = j.at("status").get<std::string>();
    r.created_at = store::json_int<TimeMs>(j.at("created_at"));
    r.deadline_at = store::json_int<TimeMs>(j.at("deadline_at"));
    r.finished_at = store::json_int<TimeMs>(j.at("finished_at"));
    for (const auto& a : j.at("attempts"))
      r.attempts.push_back({store::json_int<int>(a.at("n")), store::json_int<TimeMs>(a.at("s")), store::json_int<TimeMs>(a.at("e")),
                            a.at("o").get<std::string>(), a.at("r").get<std::string>()});
    r.outcome_unknown = j.at("unknown").get<bool>();
    r.query_failures = store::json_int<int>(j.at("qf"));
    r.version = store::json_int<uint64_t>(j.at("v"));
    r.notify_url = j.value("notify_url", "");
    if (j.contains("late")) r.late_result = LateResult{j["late"].at("status").get<std::string>(), store::json_int<TimeMs>(j["late"].at("at"))};
    return r;
  } catch (const std::exception&) {  // Json::exception, or json_int on a non-integer
    return std::nullopt;
  }
}

namespace {
// The row's fields, once for encode (R = const Recharge) and decode (row.h
// invariant 3).
template <class IO, class R>
void recharge_fields(IO& io, R& r) {
  io.field(r.id);
  io.field(r.account);
  io.field(r.amount);
  io.field(r.notify_url);
  io.field(r.status);
  io.field(r.created_at);
  io.field(r.deadline_at);
  io.field(r.finished_at);
  io.list(r.attempts, [](IO& io, auto& a) {
    io.field(a.n);
    io.field(a.started_at);
    io.field(a.ended_at);
    io.field(a.outcome);
    io.field(a.reason);
  });
  io.field(r.outcome_unknown);
  io.field(r.query_failures);
  io.optional(r.late_result, [](IO& io, auto& late) {
    io.field(late.status);
    io.field(late.at);
  });
  io.field(r.version);
}
}  // namespace

std::string encode_recharge(const Recharge& r) {
  return store::encode_fields(r, [](auto& io, auto& row) { recharge_fields(io, row); });
}

std::optional<Recharge> decode_recharge(std::string_view bytes) {
  return store::decode_fields<Recharge>(
      bytes, [](auto& io, auto& row) { recharge_fields(io, row); }, [](const Json& j) { return from_storage(j); });
}

Json to_api(const Recharge& r) {
  Json attempts = Json::array();
  for (const auto& a : r.attempts)
    attempts.push_back({{"n", a.n},
                        {"started_at", time_or_null(a.started_at)},
                        {"ended_at", time_or_null(a.ended_at)},
                        {"outcome", a.outcome.empty() ? Json(nullptr) : Json(a.outcome)},
                        {"reason", a.reason}});
  Json j = {{"id", r.id},
            {"status", r.status},
            {"account", r.account},
            {"amount", r.amount},
            {"created_at", time_or_null(r.created_at)},
            {"deadline_at", time_or_null(r.deadline_at)},
            {"finished_at", time_or_null(r.finished_at)},
            {"attempts", attempts},
            {"late_result", r.late_result ? Json{{"status", r.late_result->status}, {"at", format_rfc3339(r.late_result->at)}}
                                          : Json(nullptr)},
            {"notify_url", r.notify_url.empty() ? Json(nullptr) : Json(r.notify_url)}};
  return j;
}

}  // namespace orderd::orders
