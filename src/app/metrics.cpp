#include "app/metrics.h"

#include <algorithm>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <deque>

namespace orderd::app {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Json = nlohmann::json;

const prometheus::Histogram::BucketBoundaries kLatency = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
const prometheus::Histogram::BucketBoundaries kBatch = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 20000};

// A method label from a fixed set, so a client sending made-up methods cannot
// grow the label space.
const char* method_label(const std::string& method) {
  for (const char* known : {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"})
    if (method == known) return known;
  return "other";
}

double num(const Json& j) { return j.is_number() ? j.get<double>() : 0.0; }
const Json& at(const Json& j, const char* a, const char* b = nullptr) {
  static const Json null;
  if (!j.is_object() || !j.contains(a)) return null;
  if (!b) return j[a];
  const Json& x = j[a];
  return x.is_object() && x.contains(b) ? x[b] : null;
}

// Families built from the stats snapshot. They live in a deque so a
// reference from family() stays valid while later families are added (a
// vector's push_back would leave it dangling); take() hands them over.
class Snapshot {
 public:
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    built_.push_back(MetricFamily{name, help, type, {}});
    return built_.back();
  }
  static void add(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter) m.counter.value = v;
    else m.gauge.value = v;
    f.metric.push_back(std::move(m));
  }
  void single(const std::string& name, const std::string& help, MetricType type, double v) {
    add(family(name, help, type), {}, v);
  }
  void take(std::vector<MetricFamily>& out) {
    for (auto& f : built_) out.push_back(std::move(f));
    built_.clear();
  }

 private:
  std::deque<MetricFamily> built_;
};

void orders_families(Snapshot& s, const Json& stats) {
  auto& created = s.family("orderd_orders_created_total", "Orders created, by kind.", MetricType::Counter);
  auto& finished = s.family("orderd_orders_finished_total",
                            "Orders that reached a final status, by kind and status.", MetricType::Counter);
  auto& by_state = s.family("orderd_orders", "Orders now in each status, by kind.", MetricType::Gauge);
  for (const auto& [key, kind] : {std::pair{"recharges", "recharge"}, std::pair{"purchases", "purchase"}}) {
    const Json& k = at(stats, key);
    Snapshot::add(created, {{"kind", kind}}, num(at(k, "created_total")));
    const Json& fin = at(k, "finished_by_status");
    if (fin.is_object())
      for (const auto& [status, n] : fin.items()) Snapshot::add(finished, {{"kind", kind}, {"status", status}}, num(n));
    const Json& states = at(k, "by_status");
    if (states.is_object())
      for (const auto& [status, n] : states.items()) Snapshot::add(by_state, {{"kind", kind}, {"status", status}}, num(n));
  }
  s.single("orderd_payments_total", "Payments recorded on purchase orders.", MetricType::Counter,
           num(at(stats, "purchases", "payments_total")));
  s.single("orderd_refunds_total", "Refunds completed at the provider.", MetricType::Counter,
           num(at(stats, "purchases", "refunds_total")));
}

void engine_families(Snapshot& s, const Json& stats) {
  auto& jobs = s.family("orderd_queue_jobs", "Jobs by state (waiting = scheduled for a later retry).", MetricType::Gauge);
  for (const char* state : {"ready", "leased", "waiting"}) Snapshot::add(jobs, {{"state", state}}, num(at(stats, "queue", state)));
  s.single("orderd_dead_letters", "Jobs in the dead-letter table.", MetricType::Gauge, num(at(stats, "queue", "dead")));
  s.single("orderd_timers_pending", "Durable timers pending (all kinds).", MetricType::Gauge, num(at(stats, "timers", "pending")));
  const Json& kinds = at(stats, "timers", "by_kind");
  if (kinds.is_object() && !kinds.empty()) {
    auto& by_kind = s.family("orderd_timers_pending_by_kind", "Durable timers pending, by kind.", MetricType::Gauge);
    for (const auto& [kind, n] : kinds.items()) Snapshot::add(by_kind, {{"kind", kind}}, num(n));
  }
  s.single("orderd_timers_fired_total", "Timers fired.", MetricType::Counter, num(at(stats, "timers", "fired_total")));
  s.single("orderd_writer_batches_total", "Write batches committed (one fsync each).", MetricType::Counter,
           num(at(stats, "writer", "batches")));
  s.single("orderd_writer_mutations_total", "Mutations applied by the writer.", MetricType::Counter,
           num(at(stats, "writer", "mutations")));
  s.single("orderd_writer_queue_depth", "Mutations waiting for the writer.", MetricType::Gauge, num(at(stats, "writer", "pending")));
  s.single("orderd_lmdb_map_used_bytes", "Bytes of the LMDB map in use.", MetricType::Gauge,
           num(at(stats, "storage", "used_bytes")));
  s.single("orderd_lmdb_map_size_bytes", "LMDB map size.", MetricType::Gauge, num(at(stats, "storage", "map_bytes")));
}

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& http_requests = prometheus::BuildCounter()
      .Name("orderd_http_requests_total").Help("HTTP requests by method, route pattern and status code.").Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_duration = prometheus::BuildHistogram()
      .Name("orderd_http_request_duration_seconds").Help("HTTP request latency by route pattern.").Register(*registry);
  prometheus::Family<prometheus::Histogram>& commit_duration = prometheus::BuildHistogram()
      .Name("orderd_commit_duration_seconds").Help("Write batch commit time (fsync included).").Register(*registry);
  prometheus::Family<prometheus::Histogram>& commit_batch = prometheus::BuildHistogram()
      .Name("orderd_commit_batch_size").Help("Mutations per committed batch.").Register(*registry);
  prometheus::Family<prometheus::Counter>& commit_failures = prometheus::BuildCounter()
      .Name("orderd_commit_failures_total").Help("Write batches that failed to commit (map or disk full, I/O).").Register(*registry);
  prometheus::Family<prometheus::Counter>& provider_calls = prometheus::BuildCounter()
      .Name("orderd_provider_calls_total").Help("Provider calls by operation and outcome.").Register(*registry);
  prometheus::Family<prometheus::Histogram>& provider_duration = prometheus::BuildHistogram()
      .Name("orderd_provider_call_duration_seconds").Help("Provider call latency by operation.").Register(*registry);
  prometheus::Family<prometheus::Histogram>& timer_lateness = prometheus::BuildHistogram()
      .Name("orderd_timer_lateness_seconds").Help("How late timers fired after their due time.").Register(*registry);
  prometheus::Histogram& commit_seconds = commit_duration.Add({}, kLatency);
  prometheus::Histogram& batch_size = commit_batch.Add({}, kBatch);
  prometheus::Counter& failed_commits = commit_failures.Add({});
  prometheus::Histogram& lateness = timer_lateness.Add({}, kLatency);
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::observe_http(const std::string& method, const std::string& route, int status, double seconds) {
  impl_->http_requests.Add({{"method", method_label(method)}, {"route", route}, {"code", std::to_string(status)}}).Increment();
  impl_->http_duration.Add({{"route", route}}, kLatency).Observe(seconds);
}

void Metrics::observe_commit(size_t batch, double seconds, bool ok) {
  if (!ok) {
    impl_->failed_commits.Increment();
    return;
  }
  impl_->commit_seconds.Observe(seconds);
  impl_->batch_size.Observe(static_cast<double>(batch));
}

void Metrics::observe_provider(const char* op, const char* outcome, double seconds) {
  impl_->provider_calls.Add({{"op", op}, {"outcome", outcome}}).Increment();
  impl_->provider_duration.Add({{"op", op}}, kLatency).Observe(seconds);
}

void Metrics::observe_timer_lateness(double seconds, uint64_t count) {
  if (seconds < 0) seconds = 0;
  if (count == 1) {
    impl_->lateness.Observe(seconds);
    return;
  }
  // `count` timers equally late: one update, in the bucket Observe would pick.
  std::vector<double> increments(kLatency.size() + 1, 0.0);
  const auto bucket = std::lower_bound(kLatency.begin(), kLatency.end(), seconds) - kLatency.begin();
  increments[static_cast<size_t>(bucket)] = static_cast<double>(count);
  impl_->lateness.ObserveMultiple(increments, seconds * static_cast<double>(count));
}

std::string Metrics::text(const Json& stats) const {
  std::vector<MetricFamily> families = impl_->registry->Collect();
  Snapshot snap;
  orders_families(snap, stats);
  engine_families(snap, stats);
  snap.take(families);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace orderd::app
