// types.h — Request and Response as plain values, so handler files never
// include Beast (Beast lives only in server.cpp and client.cpp: fast rebuilds).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace orderd::http {

using Json = nlohmann::json;

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // raw target, e.g. "/v1/recharges/rc_1?wait=10"
  std::string path;                            // decoded path without the query
  std::map<std::string, std::string> query;    // decoded query parameters
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

}  // namespace orderd::http
