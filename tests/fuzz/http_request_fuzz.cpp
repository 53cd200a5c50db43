// http_request_fuzz.cpp — libFuzzer target for the HTTP request path: the
// input is what a peer sends on one connection. Each request in it goes
// through the server's own code (http/request_path.h): Beast's parser under
// the server's limits → plain Request → target parsing and route match →
// the matched handler's input parsing (fuzz_routes.h). Pipelined requests are
// read one after another while the peer keeps the connection alive.
//
// Properties checked on every input (besides ASan/UBSan):
//   (1) a refusal is one of 400/413/431 (parse) or 400/404/405 (route), and
//       its body is a problem+json object whose "status" is that status;
//   (2) a parsed request used 1..size bytes and its body is within the limit;
//   (3) a matched route captured every {param} of its pattern, non-empty.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "fuzz_routes.h"
#include "http/request_path.h"

namespace {

using namespace orderd;
using namespace orderd::http;

struct Target {
  Router router;
  std::map<std::string, fuzz::InputParser> parsers;  // "METHOD pattern" → input parsing
  Target() {
    for (const fuzz::FuzzRoute& r : fuzz::fuzz_routes()) {
      router.add(r.method, r.pattern, Handler());  // handlers never run here
      parsers[std::string(r.method) + " " + r.pattern] = r.parse_inputs;
    }
  }
};

void check_problem(const Response& resp) {
  FUZZ_CHECK(resp.content_type == "application/problem+json");
  Json body = Json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(body.is_object());
  FUZZ_CHECK(body.value("status", 0) == resp.status);
}

void check_params(const Router::Route& route, const Request& req) {
  for (const std::string& segment : route.segments) {
    if (segment.size() < 2 || segment.front() != '{') continue;
    auto it = req.params.find(segment.substr(1, segment.size() - 2));
    FUZZ_CHECK(it != req.params.end() && !it->second.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Target target;
  const RequestLimits limits;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int served = 0; served < 16 && !bytes.empty(); ++served) {
    Intake intake = read_request_bytes(bytes, limits);
    if (intake.kind == Intake::Kind::kIncomplete) break;
    if (intake.kind == Intake::Kind::kRefused) {
      const int status = intake.refusal->status;
      FUZZ_CHECK(status == 400 || status == 413 || status == 431);
      check_problem(*intake.refusal);
      break;  // the server answers and closes
    }
    FUZZ_CHECK(intake.consumed > 0 && intake.consumed <= bytes.size());
    FUZZ_CHECK(intake.request.body.size() <= limits.body_limit);
    Request& req = intake.request;
    Routed routed = route_request(target.router, req);
    if (routed.route == nullptr) {
      FUZZ_CHECK(routed.refusal.has_value());
      const int status = routed.refusal->status;
      FUZZ_CHECK(status == 400 || status == 404 || status == 405);
      check_problem(*routed.refusal);
    } else {
      check_params(*routed.route, req);
      target.parsers.at(routed.route->method + " " + routed.route->pattern)(req);
    }
    if (!intake.keep_alive) break;
    bytes.remove_prefix(intake.consumed);
  }
  return 0;
}
