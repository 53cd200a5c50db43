// provider_sim_server.cpp — wiring of `orderd provider-sim`: world, routes,
// HTTP server, notify sink, signals, threads.
#include "provider/provider_sim_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <thread>
#include <vector>

#include "core/duration.h"
#include "provider/factory.h"

namespace orderd::provider {

namespace asio = boost::asio;

ProviderSimServer::ProviderSimServer(asio::io_context& io, std::shared_ptr<SimWorld> world, const Clock& clock,
                                     std::string listen, SimRoutesOptions opts)
    : world_(std::move(world)) {
  add_provider_sim_routes(router_, world_, clock, std::move(opts));
  http::ServerOptions so;
  so.listen = std::move(listen);
  server_ = std::make_unique<http::Server>(io, router_, so);
}

Status ProviderSimServer::start() { return server_->start(); }
void ProviderSimServer::stop() { server_->stop(); }
unsigned short ProviderSimServer::port() const { return server_->port(); }

int run_provider_sim(const Config& cfg) {
  const uint64_t seed = sim_seed(cfg);
  auto world = std::make_shared<SimWorld>(seed, SimFaults{cfg.sim_latency_ms, cfg.sim_fail_rate, cfg.sim_timeout_rate});
  asio::io_context io;
  SimRoutesOptions opts;
  opts.notify_secret = cfg.notify_secret;
  if (!cfg.notify_url.empty()) {
    auto sink = make_http_notify_sink(io.get_executor(), cfg.notify_url);
    if (!sink) {
      spdlog::error("cannot start provider-sim: {}", sink.error().message);
      return 1;
    }
    opts.notify = *sink;
    if (cfg.notify_secret.empty())
      spdlog::warn("--notify-url without --notify-secret: notifies are signed with an empty secret");
  }
  ProviderSimServer server(io, world, SystemClock::instance(), cfg.listen, std::move(opts));
  if (auto st = server.start(); !st) {
    spdlog::error("cannot start provider-sim: {}", st.error().message);
    return 1;
  }
  spdlog::info("provider-sim listening on {} (port {}), seed {}, latency {}, fail_rate {}, timeout_rate {}, notify {}",
               cfg.listen, server.port(), seed, format_duration(cfg.sim_latency_ms), cfg.sim_fail_rate,
               cfg.sim_timeout_rate, cfg.notify_url.empty() ? "none" : cfg.notify_url);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("provider-sim: signal {}, stopping", sig);
    server.stop();
    io.stop();  // late answers are abandoned (invariant 2)
  });
  std::vector<std::thread> threads;
  const int n = std::max(1, cfg.http_threads);
  for (int i = 1; i < n; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace orderd::provider
