// Tests of --provider: sim, http://HOST:PORT, anything else.
#include "provider/factory.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "provider/http_provider.h"

using namespace orderd;
using namespace orderd::provider;

TEST_CASE("make_provider chooses by --provider", "[provider][factory]") {
  boost::asio::io_context io;
  Config cfg;
  cfg.sim_seed = 99;
  cfg.sim_latency_ms = 7;
  cfg.sim_fail_rate = 0.25;

  std::shared_ptr<SimWorld> world;
  std::shared_ptr<SimProvider> sim;
  auto p = make_provider(cfg, io.get_executor(), &world, &sim);
  REQUIRE(p.ok());
  REQUIRE(world);
  REQUIRE(sim);
  CHECK(p->get() == sim.get());
  CHECK(&sim->world() == world.get());
  CHECK(world->faults().latency_ms == 7);
  CHECK(world->faults().fail_rate == 0.25);
  CHECK(sim_seed(cfg) == 99);
  cfg.sim_seed = 0;
  CHECK(sim_seed(cfg) != 0);

  cfg.provider = "http://127.0.0.1:9";
  std::shared_ptr<SimWorld> none;
  auto h = make_provider(cfg, io.get_executor(), &none);
  REQUIRE(h.ok());
  CHECK(dynamic_cast<HttpProvider*>(h->get()) != nullptr);
  CHECK_FALSE(none);

  for (const char* bad : {"", "SIM", "https://example.com", "tcp://1.2.3.4:5", "http://"}) {
    INFO(bad);
    cfg.provider = bad;
    auto r = make_provider(cfg, io.get_executor(), nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK(r.error().field == "provider");
  }
}
