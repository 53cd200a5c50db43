// factory.h — `--provider`: "sim" → SimProvider over a new SimWorld;
// "http://HOST:PORT" → HttpProvider.
//
// Thread: call from the owning (main) thread at start-up.
// Invariants:
//   (1) sim_seed() is the only place that reads a clock for randomness:
//       --sim-seed, or the wall clock when it is 0.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "core/config.h"
#include "core/result.h"
#include "provider/provider.h"
#include "provider/sim_provider.h"
#include "provider/sim_world.h"

namespace orderd::provider {

// The provider named by cfg.provider; its calls run on `ex`'s io_context.
// With "sim", *world_out (if given) receives the world (ground truth for
// tests and the status page) and *sim_out (if given) the SimProvider, whose
// set_notify()/pay() serve POST /v1/sim/pay/{order_id}.
// REQUIRES: clock (default: the system clock) outlives the provider.
// Errors: kInvalid (field "provider") for anything else, or a bad URL.
Result<std::shared_ptr<Provider>> make_provider(const Config& cfg, boost::asio::any_io_executor ex,
                                                std::shared_ptr<SimWorld>* world_out,
                                                std::shared_ptr<SimProvider>* sim_out = nullptr,
                                                const Clock* clock = nullptr);

// cfg.sim_seed, or one taken from the clock when it is 0.
uint64_t sim_seed(const Config& cfg);

}  // namespace orderd::provider
