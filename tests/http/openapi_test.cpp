// /openapi.yaml stays true: its paths and methods are exactly the router's;
// and the fuzz target's route table (tests/fuzz/fuzz_routes.h) lists them all.
#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "../fuzz/fuzz_routes.h"
#include "http/api.h"
#include "provider/sim_provider.h"
#include "provider/sim_world.h"
#include "../store/store_test_util.h"

using namespace orderd;

namespace {

std::set<std::string> documented_routes() {
  std::ifstream in(std::string(ORDERD_SOURCE_DIR) + "/web/openapi.yaml");
  REQUIRE(in);
  std::set<std::string> out;
  std::string line, path;
  const std::regex path_re(R"(^  (/[^:]*):\s*$)"), method_re(R"(^    (get|post|put|delete|patch):)");
  std::smatch m;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line.rfind("paths:", 0) == 0) in_paths = true;
    else if (!line.empty() && line[0] != ' ') in_paths = false;
    if (!in_paths) continue;
    if (std::regex_match(line, m, path_re)) path = m[1];
    else if (std::regex_search(line, m, method_re)) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(method + " " + path);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("openapi.yaml documents exactly the router's routes", "[http][openapi]") {
  store::testing::TempDir dir;
  FakeClock clock;
  auto env = *store::Env::open({dir.path, 16ull << 20, false, false});
  store::Writer writer(env, clock);
  timer::TimerStore timers(nullptr);
  queue::ReadyQueue ready;
  queue::JobStore jobs(timers, &ready);
  orders::Context ctx{writer, jobs, timers, clock, nullptr};
  boost::asio::io_context io;
  auto world = std::make_shared<provider::SimWorld>(1);
  provider::SimProvider sim(io.get_executor(), world, clock);
  orders::RechargeService recharges(ctx, sim, nullptr, orders::RechargeSettings{}, 1);
  http::Waiters waiters;
  http::ApiDeps deps{recharges, writer, jobs, waiters, clock, "", [] { return true; }, [] { return http::Json::object(); },
                     [] { return std::string(); }, nullptr, "", nullptr};
  http::Router router;
  http::add_system_routes(router, deps);
  http::add_recharge_routes(router, deps);
  http::add_order_routes(router, deps);
  auto routes = router.routes();
  std::set<std::string> served(routes.begin(), routes.end());
  auto documented = documented_routes();
  REQUIRE(documented.size() > 5);
  for (auto& r : served) CHECK(documented.count(r) == 1);  // every route is documented
  for (auto& d : documented) CHECK(served.count(d) == 1);  // nothing documented that is not served
  std::set<std::string> fuzzed;
  for (const auto& r : fuzz::fuzz_routes()) fuzzed.insert(std::string(r.method) + " " + r.pattern);
  CHECK(fuzzed == served);  // a new route needs its input parsing in the HTTP fuzz target
}
