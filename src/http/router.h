// router.h — maps (method, path) to a handler. Patterns are literal segments
// and {name} captures: "/v1/recharges/{id}". Unknown path → 404 problem;
// known path with another method → 405 problem with Allow.
//
// Thread: routes are added before the server starts; match() is then
// read-only and safe from any thread.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "http/types.h"

namespace orderd::http {

// A handler maps a request to a response and never blocks: it may co_await
// a commit (store/async_commit.h) or a wake-up, never sleep.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Router {
 public:
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

 private:
  std::vector<Route> routes_;
};

}  // namespace orderd::http
