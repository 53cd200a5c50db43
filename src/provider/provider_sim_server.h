// provider_sim_server.h — `orderd provider-sim`: the simulated provider as
// its own process behind SPEC §5's HTTP contract (routes in sim_routes.h),
// so the HTTP path and its faults are tested for real.
//
// Owns: the router and HTTP server of the simulator (ProviderSimServer), or
// the whole process (run_provider_sim). Thread: ProviderSimServer is built,
// started and stopped from one owning thread; it serves on the io_context's
// threads.
// Invariants:
//   (1) The world's seed comes from --sim-seed, or the clock when it is 0
//       (logged, so a run can be replayed).
//   (2) SIGTERM/SIGINT stop accepting and end the process with exit 0;
//       requests still waiting out a "late" fault are abandoned (the caller
//       has given up on them by design).
#pragma once
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "core/config.h"
#include "http/router.h"
#include "http/server.h"
#include "provider/sim_routes.h"

namespace orderd::provider {

class ProviderSimServer {
 public:
  // REQUIRES: io and clock outlive this.
  ProviderSimServer(boost::asio::io_context& io, std::shared_ptr<SimWorld> world, const Clock& clock,
                    std::string listen, SimRoutesOptions opts);
  // Binds and accepts. Errors: as http::Server::start (kInvalid, kIo).
  Status start();
  void stop();
  unsigned short port() const;  // after start(); the real port when listen asked for 0
  SimWorld& world() { return *world_; }

 private:
  std::shared_ptr<SimWorld> world_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

// The whole `orderd provider-sim` process: serves until SIGTERM/SIGINT.
// Returns the exit code: 0 after a signal, 1 when it cannot start.
// Thread: the main thread; runs cfg.http_threads threads of its own.
int run_provider_sim(const Config& cfg);

}  // namespace orderd::provider
