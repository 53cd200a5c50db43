// hot_rows_test.cpp — the format-1 rows of jobs and timers (store/row.h):
// every field round-trips with and without a payload, rows written by an
// earlier orderd (MessagePack JSON) still read, and damaged rows are refused.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>

#include "orders/purchase.h"
#include "orders/recharge.h"
#include "queue/jobs.h"
#include "store/env.h"
#include "timer/timers.h"

using namespace orderd;
using queue::Job;
using queue::JobStore;
using Json = nlohmann::json;

namespace {
Job sample_job(Json payload) {
  Job j;
  j.id = 77;
  j.type = "po_refund";
  j.key = "po_00000000000000aa";
  j.payload = std::move(payload);
  j.attempt = 3;
  j.not_before = 1'700'000'123'456;
  j.created_at = 1'700'000'000'000;
  j.last_error = "provider answered 503";
  return j;
}
}  // namespace

TEST_CASE("job rows: round trip, legacy rows, damaged rows", "[store][row][queue]") {
  for (const Json& payload : {Json::object(), Json{{"payment_id", "pay_1"}, {"amount", 1999}}, Json(nullptr),
                              Json::array({1, "x"})}) {
    const Job j = sample_job(payload);
    const std::string row = JobStore::encode_row(j);
    auto back = JobStore::decode_row(j.id, row);
    REQUIRE(back);
    CHECK(JobStore::to_json(*back) == JobStore::to_json(j));
    CHECK(back->id == j.id);

    auto legacy = JobStore::decode_row(j.id, store::encode(JobStore::to_json(j)));
    REQUIRE(legacy);
    CHECK(JobStore::to_json(*legacy) == JobStore::to_json(j));

    for (size_t n = 0; n < row.size(); ++n) CHECK_FALSE(JobStore::decode_row(j.id, std::string_view(row).substr(0, n)));
  }
  CHECK_FALSE(JobStore::decode_row(1, std::string("\x01\x05po", 4)));
}

TEST_CASE("timer rows: round trip, legacy rows, damaged rows", "[store][row][timer]") {
  for (const Json& payload : {Json::object(), Json{{"order_id", "rc_1"}, {"n", 2}}}) {
    const std::string row = timer::encode_timer_row("rc_deadline", "rc_deadline/rc_1", payload);
    auto rec = timer::decode_timer_row(9, 1234, row);
    REQUIRE(rec);
    CHECK(rec->id == 9);
    CHECK(rec->due_ms == 1234);
    CHECK(rec->kind == "rc_deadline");
    CHECK(rec->key == "rc_deadline/rc_1");
    CHECK(rec->payload == payload);

    auto legacy = timer::decode_timer_row(
        9, 1234, store::encode(Json{{"kind", "rc_deadline"}, {"key", "rc_deadline/rc_1"}, {"payload", payload}}));
    REQUIRE(legacy);
    CHECK(legacy->key == "rc_deadline/rc_1");
    CHECK(legacy->payload == payload);
  }
  const std::string row = timer::encode_timer_row("job", "job/5", {{"job_id", 5}});
  CHECK_FALSE(timer::decode_timer_row(1, 1, std::string_view(row).substr(0, 3)));  // cut inside the kind
  CHECK_FALSE(timer::decode_timer_row(1, 1, row.substr(0, row.size() - 1)));        // cut inside the payload
  for (size_t n = 0; n < row.size(); ++n) CHECK_FALSE(timer::decode_timer_row(1, 1, std::string_view(row).substr(0, n)));
  CHECK_FALSE(timer::decode_timer_row(1, 1, row + "\x01"));
  CHECK_FALSE(timer::decode_timer_row(1, 1, store::encode(Json{{"kind", 1}})));     // legacy row without a key
}

TEST_CASE("the rows fuzz target's seed rows decode (the corpus follows the format)", "[store][row]") {
  auto read = [](const std::string& name) {
    std::ifstream f(std::string(ORDERD_SOURCE_DIR) + "/tests/fuzz/corpus/rows/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto r = orders::decode_recharge(read("recharge_succeeded"));
  REQUIRE(r);
  CHECK(r->status == "succeeded");
  CHECK(r->late_result.has_value());
  CHECK(orders::encode_recharge(*r) == read("recharge_succeeded"));
  auto p = orders::decode_purchase(read("purchase_completed"));
  REQUIRE(p);
  CHECK(p->items.size() == 2);
  CHECK(p->flags == std::vector<std::string>{"late_payment"});
  CHECK(orders::encode_purchase(*p) == read("purchase_completed"));
}

TEST_CASE("legacy rows with a float where an integer belongs are refused, not converted (found by fuzzing)", "[store][row]") {
  orders::Recharge r;
  r.id = "rc_1";
  r.account = "138";
  r.amount = 1000;
  for (double bad : {std::nan(""), 1e300, 12.5}) {
    Json j = orders::to_storage(r);
    j["amount"] = bad;
    CHECK_FALSE(orders::decode_recharge(store::encode(j)));
  }
  Json job = JobStore::to_json(sample_job(Json::object()));
  job["nb"] = 1e300;
  CHECK_FALSE(JobStore::decode_row(1, store::encode(job)));
  orders::Purchase p;
  p.id = "po_1";
  p.user = "u";
  Json pj = orders::to_storage(p);
  REQUIRE(orders::decode_purchase(store::encode(pj)));
  pj["u"] = std::nan("");
  CHECK_FALSE(orders::decode_purchase(store::encode(pj)));
}

TEST_CASE("json_int_or: integers pass, a missing field falls back, a float or non-object is refused", "[store][row]") {
  const Json row = {{"stock", 7}, {"big", UINT64_MAX}, {"nan", std::nan("")}, {"half", 0.5}, {"text", "7"}};
  CHECK(store::json_int_or<int64_t>(row, "stock", int64_t{0}) == 7);
  CHECK(store::json_int_or<uint64_t>(row, "big", uint64_t{0}) == UINT64_MAX);
  CHECK(store::json_int_or<int64_t>(row, "absent", int64_t{42}) == 42);
  CHECK_THROWS(store::json_int_or<int64_t>(row, "nan", int64_t{0}));
  CHECK_THROWS(store::json_int_or<int64_t>(row, "half", int64_t{0}));
  CHECK_THROWS(store::json_int_or<int64_t>(row, "text", int64_t{0}));
  CHECK_THROWS(store::json_int_or<int64_t>(Json::array({1}), "stock", int64_t{0}));
}
