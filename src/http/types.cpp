// types.cpp — Request accessors and the JSON / problem+json response builders.
// Pure functions: no Beast, no I/O.
#include "http/types.h"

namespace orderd::http {
namespace {

// The problem "type" for a status orderd uses, else about:blank (invariant 2).
std::string problem_type(int status) {
  const char* code = nullptr;
  switch (status) {
    case 400: code = "malformed"; break;
    case 401: code = "unauthorized"; break;
    case 404: code = "not_found"; break;
    case 405: code = "method_not_allowed"; break;
    case 409: code = "conflict"; break;
    case 413: code = "too_large"; break;
    case 422: code = "invalid"; break;
    case 431: code = "headers_too_large"; break;
    case 500: code = "internal"; break;
    case 503: code = "unavailable"; break;
    case 504: code = "timeout"; break;
    default: return "about:blank";
  }
  return std::string("urn:orderd:problem:") + code;
}

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid: return 422;
    case ErrorCode::kMalformed: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kFull:
    case ErrorCode::kBusy:
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace

const std::string& Request::header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

Response json_response(int status, const Json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  // replace: a handler's invalid UTF-8 must not turn into an exception here.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Response problem(int status, const std::string& detail, const std::string& field) {
  Json body = {
      {"type", problem_type(status)},
      {"title", reason_phrase(status)},
      {"status", status},
      {"detail", detail},
  };
  if (!field.empty()) body["field"] = field;
  Response r = json_response(status, body);
  r.content_type = "application/problem+json";
  return r;
}

Response problem_from_error(const Error& error) {
  Response r = problem(status_for(error.code), error.message, error.field);
  if (error.retryable()) r.headers.emplace_back("Retry-After", "1");
  if (error.code == ErrorCode::kUnauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace orderd::http
