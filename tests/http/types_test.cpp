// Tests for src/http/types.*: problem+json shape and the Error → status map.
#include <catch2/catch.hpp>

#include "http/types.h"

using namespace orderd;
using namespace orderd::http;

namespace {
std::string header_value(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}
}  // namespace

TEST_CASE("problem has the RFC 9457 shape and content type", "[http]") {
  Response r = problem(422, "amount must be a positive integer", "amount");
  CHECK(r.status == 422);
  CHECK(r.content_type == "application/problem+json");
  Json body = Json::parse(r.body);
  CHECK(body["type"] == "urn:orderd:problem:invalid");
  CHECK(body["title"] == "Unprocessable Content");
  CHECK(body["status"] == 422);
  CHECK(body["detail"] == "amount must be a positive integer");
  CHECK(body["field"] == "amount");
  CHECK(body.size() == 5);
}

TEST_CASE("problem without a field omits it; unknown status is about:blank", "[http]") {
  Json body = Json::parse(problem(404, "no such order").body);
  CHECK_FALSE(body.contains("field"));
  CHECK(body["type"] == "urn:orderd:problem:not_found");
  CHECK(body["title"] == "Not Found");
  Json teapot = Json::parse(problem(418, "short and stout").body);
  CHECK(teapot["type"] == "about:blank");
  CHECK(teapot["status"] == 418);
}

TEST_CASE("json_response serialises and keeps application/json", "[http]") {
  Response r = json_response(201, Json{{"id", "rc_1"}});
  CHECK(r.status == 201);
  CHECK(r.content_type == "application/json");
  CHECK(Json::parse(r.body)["id"] == "rc_1");
}

TEST_CASE("problem_from_error maps every code", "[http]") {
  struct Row {
    ErrorCode code;
    int status;
    bool retry_after;
  };
  const Row rows[] = {
      {ErrorCode::kInvalid, 422, false},     {ErrorCode::kMalformed, 400, false}, {ErrorCode::kNotFound, 404, false},
      {ErrorCode::kConflict, 409, false},    {ErrorCode::kUnauthorized, 401, false}, {ErrorCode::kTooLarge, 413, false},
      {ErrorCode::kFull, 503, true},         {ErrorCode::kBusy, 503, true},       {ErrorCode::kUnavailable, 503, true},
      {ErrorCode::kTimeout, 504, false},     {ErrorCode::kIo, 500, false},        {ErrorCode::kInternal, 500, false},
  };
  for (const Row& row : rows) {
    INFO(to_string(row.code));
    Response r = problem_from_error(Error::make(row.code, "why"));
    CHECK(r.status == row.status);
    CHECK(r.content_type == "application/problem+json");
    CHECK(Json::parse(r.body)["detail"] == "why");
    CHECK((header_value(r, "Retry-After") == "1") == row.retry_after);
  }
  Response invalid = problem_from_error(Error::invalid("sku", "sku is required"));
  CHECK(Json::parse(invalid.body)["field"] == "sku");
  CHECK(header_value(problem_from_error(Error::make(ErrorCode::kUnauthorized, "x")), "WWW-Authenticate") == "Bearer");
}

TEST_CASE("Request header and query accessors", "[http]") {
  Request req;
  req.headers["idempotency-key"] = "k1";
  req.query["wait"] = "10";
  CHECK(req.header("idempotency-key") == "k1");
  CHECK(req.header("absent").empty());
  CHECK(req.query_param("wait") == std::optional<std::string>("10"));
  CHECK_FALSE(req.query_param("limit").has_value());
}
