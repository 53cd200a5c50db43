// factory.cpp — chooses the provider implementation from --provider.
#include "provider/factory.h"

#include <chrono>

#include "provider/http_provider.h"

namespace orderd::provider {

uint64_t sim_seed(const Config& cfg) {
  if (cfg.sim_seed != 0) return cfg.sim_seed;
  // Invariant (1): the one place randomness comes from the clock.
  return static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) | 1;
}

Result<std::shared_ptr<Provider>> make_provider(const Config& cfg, boost::asio::any_io_executor ex,
                                                std::shared_ptr<SimWorld>* world_out,
                                                std::shared_ptr<SimProvider>* sim_out, const Clock* clock) {
  if (cfg.provider == "sim") {
    auto world = std::make_shared<SimWorld>(
        sim_seed(cfg), SimFaults{cfg.sim_latency_ms, cfg.sim_fail_rate, cfg.sim_timeout_rate});
    auto sim = std::make_shared<SimProvider>(std::move(ex), world, clock ? *clock : SystemClock::instance());
    if (world_out) *world_out = world;
    if (sim_out) *sim_out = sim;
    return std::shared_ptr<Provider>(sim);
  }
  if (cfg.provider.rfind("http://", 0) == 0) {
    auto http = HttpProvider::create(std::move(ex), cfg.provider);
    if (!http) return http.error();
    return std::shared_ptr<Provider>(*http);
  }
  return Error::invalid("provider", "--provider must be 'sim' or 'http://HOST:PORT', got '" + cfg.provider + "'");
}

}  // namespace orderd::provider
