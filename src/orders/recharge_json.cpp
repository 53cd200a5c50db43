// recharge_json.cpp — storage and API representations of a Recharge.
#include "orders/recharge.h"

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
    r.amount = j.at("amount").get<int64_t>();
    r.status = j.at("status").get<std::string>();
    r.created_at = j.at("created_at").get<TimeMs>();
    r.deadline_at = j.at("deadline_at").get<TimeMs>();
    r.finished_at = j.at("finished_at").get<TimeMs>();
    for (const auto& a : j.at("attempts"))
      r.attempts.push_back({a.at("n").get<int>(), a.at("s").get<TimeMs>(), a.at("e").get<TimeMs>(),
                            a.at("o").get<std::string>(), a.at("r").get<std::string>()});
    r.outcome_unknown = j.at("unknown").get<bool>();
    r.query_failures = j.at("qf").get<int>();
    r.version = j.at("v").get<uint64_t>();
    r.notify_url = j.value("notify_url", "");
    if (j.contains("late")) r.late_result = LateResult{j["late"].at("status").get<std::string>(), j["late"].at("at").get<TimeMs>()};
    return r;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
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
