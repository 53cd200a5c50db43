// request_path.h — the server's request path without a socket: raw bytes →
// Beast's request parser under the server's limits → a plain Request →
// target parsing and route match, or the refusal the server would answer.
//
// Owns: nothing; pure functions. server.cpp's sessions read from a socket
// with the same parser settings (http/beast_request.h) and route with
// route_request(); tests/fuzz/http_request_fuzz.cpp drives these functions
// with arbitrary bytes, so what is fuzzed is what is served.
// Thread: pure; safe from any thread (the Router is only read).
// Invariants:
//   (1) A refusal is a problem+json Response: 400 (unparseable request or
//       target), 413 (body over body_limit), 431 (headers over header_limit),
//       404 (unknown path), 405 with Allow (known path, other method).
//   (2) Bytes that end before a request is complete are kIncomplete, never a
//       refusal: a session would wait for more (under its read deadline).
//   (3) Nothing here throws on any input.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

#include "http/router.h"
#include "http/types.h"

namespace orderd::http {

// The per-request limits of the server (SPEC §7: bodies over 64 KiB → 413).
struct RequestLimits {
  size_t header_limit = 16 * 1024;  // request line + header fields, bytes
  size_t body_limit = 64 * 1024;    // decoded body bytes (chunked or not)
};

// One request read from the front of a byte string.
struct Intake {
  enum class Kind {
    kRequest,     // `request` holds a complete request
    kRefused,     // `refusal` is the answer; the server then closes
    kIncomplete,  // the bytes end mid-request (or are empty)
  };
  Kind kind = Kind::kIncomplete;
  Request request;                 // when kRequest (target not yet parsed)
  std::optional<Response> refusal; // when kRefused
  unsigned version = 11;           // HTTP version of the request (11 = 1.1), when kRequest
  bool keep_alive = false;         // when kRequest: the peer may send another request
  size_t consumed = 0;             // bytes of `bytes` used by this request (when kRequest)
};

// Reads one request from the front of `bytes` exactly as a session reads
// from its socket (same parser, same limits, header first then body).
// Thread: any. Errors: none; a bad request is Kind::kRefused (invariant 1).
Intake read_request_bytes(std::string_view bytes, const RequestLimits& limits);

// What the server does with a parsed request before its handler runs.
struct Routed {
  const Router::Route* route = nullptr;  // the matched route (req.params filled), or null
  std::optional<Response> refusal;       // when route is null: 400, 404 or 405 (invariant 1)
};

// Parses req.target (req.path, req.query) and matches a route.
// Thread: any, once the router is built.
Routed route_request(const Router& router, Request& req);

}  // namespace orderd::http
