// metrics.h — GET /metrics (SPEC §7) through prometheus-cpp's core: event
// metrics (HTTP requests, commits, provider calls, timer lateness) are
// counters and histograms in a Registry, recorded where they happen; state
// metrics (orders by kind and status, queue depths, timers, LMDB usage) are
// read from the /v1/stats snapshot at scrape time, so they can never drift
// from what the API shows. Names: `orderd_` prefix, `_total` counters,
// `_seconds` histograms; labels never carry ids.
//
// Invariants:
//   (1) No label value is an order id or a raw path: `route` is the router's
//       pattern ("unmatched" when none matched), `method` comes from a fixed
//       set (anything else is "other"), ops and outcomes are fixed strings.
//   (2) Order counters come from the services' in-memory counters, so like
//       every counter here they start at 0 with the process (Prometheus
//       handles the reset); gauges are read from disk and survive restarts.
//   (3) Histogram buckets are fixed at registration: latency 0.5 ms … 10 s,
//       batch size 1 … 20,000.
//
// Thread: every observe_* is safe from any thread (prometheus-cpp metrics are
// atomic; label families are mutex-protected); text() from any thread.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace orderd::app {

class Metrics {
 public:
  Metrics();
  ~Metrics();

  void observe_http(const std::string& method, const std::string& route, int status, double seconds);
  void observe_commit(size_t batch, double seconds, bool ok);
  // op: "recharge", "query_recharge", "query_payment", "close_payment", "refund";
  // outcome: "ok", "retryable", "unknown".
  void observe_provider(const char* op, const char* outcome, double seconds);
  // `count` timers that fired `seconds` late (one histogram update for all).
  void observe_timer_lateness(double seconds, uint64_t count = 1);

  // The exposition: the registry plus families built from `stats` (the
  // /v1/stats JSON; missing keys read as 0, so a partial snapshot still
  // serializes).
  // Errors: none.
  std::string text(const nlohmann::json& stats) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::app
