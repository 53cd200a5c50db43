// types.h — Request and Response as plain values, so handler files never
// include Beast (Beast lives only in server.cpp and client.cpp: fast rebuilds).
//
// Owns: the value types and the problem+json (RFC 9457) builders.
// Thread: plain values; the free functions are pure and safe from any thread.
// Invariants:
//   (1) Every error answer is application/problem+json with "type", "title",
//       "status" and "detail"; "field" appears only when one input field is
//       at fault.
//   (2) "type" is "urn:orderd:problem:<code>" for the statuses orderd uses
//       (the <code> names of core/result.h: invalid, malformed, not_found, ...)
//       and "about:blank" for any other status.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace orderd::http {

using Json = nlohmann::json;

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // raw target, e.g. "/v1/recharges/rc_1?wait=10"
  std::string path;                            // decoded path without the query
  std::map<std::string, std::string> query;    // decoded query parameters (first occurrence wins)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> params;   // path parameters from the route, e.g. {"id": "rc_1"}
  std::string body;
  std::string remote;                          // peer address, for logs

  // Empty string when absent. REQUIRES: name lower-case.
  const std::string& header(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
};

// A JSON answer.
Response json_response(int status, const Json& body);
// An RFC 9457 problem: {"type","title","status","detail"[,"field"]} as
// application/problem+json. `field` names the offending input field.
Response problem(int status, const std::string& detail, const std::string& field = "");
// Maps an error value to its problem answer:
//   kInvalid→422, kMalformed→400, kNotFound→404, kConflict→409,
//   kUnauthorized→401 (+WWW-Authenticate: Bearer), kTooLarge→413,
//   kFull/kBusy/kUnavailable→503 (+Retry-After: 1), kTimeout→504, else 500.
// A caller that wants 400 for a type/shape kInvalid uses problem() directly.
Response problem_from_error(const Error& error);
// "Not Found" for 404, ... ("Unknown" for a status outside the table).
const char* reason_phrase(int status);

}  // namespace orderd::http
