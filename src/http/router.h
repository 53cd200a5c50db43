// router.h — maps (method, path) to a handler. Patterns are literal segments
// and {name} captures: "/v1/recharges/{id}". Unknown path → 404 problem;
// known path with another method → 405 problem with Allow.
//
// Owns: the route table. Thread: routes are added before the server starts;
// match() is then read-only and safe from any thread.
// Invariants:
//   (1) Segments are split on '/' in the raw target and percent-decoded one
//       by one, so an id "a%2Fb" captures "a/b" and never adds a segment.
//   (2) A capture matches exactly one non-empty segment; "/v1/x/" (trailing
//       slash) is not "/v1/x".
//   (3) When several routes of one method match, the one with a literal at
//       the first position where they differ wins ("/v1/orders/stats" beats
//       "/v1/orders/{id}"), whatever the order they were added in.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/types.h"

namespace orderd::http {

// A handler maps a request to a response and never blocks: it may co_await
// a commit (store/async_commit.h) or a wake-up, never sleep.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Router {
 public:
  // REQUIRES: pattern starts with '/'; a capture is a whole segment "{name}".
  void add(std::string method, std::string pattern, Handler handler);
  // Fills req.params on a match. Returns nullptr if nothing matches; then
  // *allow lists the methods the path supports ("" when the path is unknown).
  const Handler* match(Request& req, std::string* allow) const;
  // "METHOD pattern" for every route, for the OpenAPI test.
  std::vector<std::string> routes() const;
  // The pattern that matched, for metrics labels (never an id).
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    Handler handler;
  };
  // As match(), but returns the whole route (its pattern labels metrics).
  const Route* match_route(Request& req, std::string* allow) const;

 private:
  std::vector<Route> routes_;
};

// Percent-decodes text ("%41" → "A"); with plus_is_space, '+' → ' ' (query
// strings). Errors: kMalformed for a '%' not followed by two hex digits.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Fills req.path (decoded, without the query) and req.query from req.target.
// Errors: kMalformed naming the bad part (the server answers 400).
Status parse_target(Request& req);

}  // namespace orderd::http
