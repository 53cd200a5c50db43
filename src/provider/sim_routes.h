// sim_routes.h — the HTTP face of the simulated provider (`orderd
// provider-sim`): SPEC §5's contract over a SimWorld, plus the knobs, the
// simulated customer and ground-truth reads.
//
//   contract (faulted):  POST /recharge                 GET /recharge/{order_id}
//                        GET  /payments/{order_id}      POST /payments/{order_id}/close
//                        POST /refunds
//   never faulted:       GET|PUT /faults   {"latency":"20ms","fail_rate":0.2,"timeout_rate":0.1}
//                        POST /pay/{order_id} {"amount":N,"notify_delay":"0s","even_if_closed":false}
//                        GET /truth/recharge/{order_id}, /truth/payments/{order_id},
//                            /truth/refunds/{refund_id}, /truth/accounts/{account}, /truth/counters
//                        GET /healthz
//
// Fault timing of a contract call (the world decides, this file waits):
//   kNone → answer after latency; kUnavailable → 503 + Retry-After after
//   latency, nothing done; kLate → done, answered after 2×latency +
//   late_extra_ms (30 s by default: past any sane caller deadline).
//   e.g. latency 20ms, a late recharge: credited at t=0, answered at t=30.04s.
//
// Thread: handlers run on the server's io_context threads; all state is in
// the (thread-safe) SimWorld. Waits are asio timers, never a sleeping thread.
// Invariants:
//   (1) A malformed request (400/422) never reaches the world: no fault is
//       drawn and nothing is recorded.
//   (2) /faults, /pay, /truth/* and /healthz are never faulted or delayed.
#pragma once
#include <memory>

#include "core/clock.h"
#include "core/result.h"
#include "http/router.h"
#include "provider/notify.h"
#include "provider/sim_requests.h"
#include "provider/sim_world.h"

namespace orderd::provider {

struct SimRoutesOptions {
  DurationMs late_extra_ms = 30'000;  // a late answer comes 2×latency + this after the request
  std::string notify_secret;          // signs /pay's notify
  NotifySink notify;                  // empty = /pay records the payment but notifies no one
};

// REQUIRES: clock outlives every request served. Thread: before the server starts.
void add_provider_sim_routes(http::Router& router, std::shared_ptr<SimWorld> world, const Clock& clock,
                             SimRoutesOptions opts);

}  // namespace orderd::provider
