#include "app/app.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "app/metered_provider.h"
#include "app/metrics.h"
#include "app/storage_health.h"
#include "app/timer_dispatch.h"
#include "core/thread_name.h"
#include "http/api.h"
#include "http/client.h"
#include "http/server.h"
#include "http/waiters.h"
#include "orders/purchase_service.h"
#include "orders/recharge_service.h"
#include "provider/sim_provider.h"
#include "store/async_commit.h"
#include "provider/factory.h"
#include "provider/signature.h"
#include "queue/runner.h"
#include "store/writer.h"
#include "timer/timers.h"

namespace orderd::app {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {

// The notify secret: flag, or generated once and kept in the data dir (never logged).
Result<std::string> load_or_make_secret(store::Env& env, const Clock& clock) {
  {
    store::ReadTxn txn(env);
    if (auto v = txn.get(env.table("meta"), "notify_secret")) return std::string(*v);
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return Error::make(ErrorCode::kIo, "cannot generate a notify secret");
  static const char* hex = "0123456789abcdef";
  std::string secret;
  for (unsigned char c : raw) {
    secret += hex[c >> 4];
    secret += hex[c & 15];
  }
  store::WriteTxn txn(env, nullptr);
  auto st = txn.put(env.table("meta"), "notify_secret", secret);
  if (st) st = txn.commit();
  if (!st) return st.error();
  return secret;
}

void run_threads(std::vector<std::thread>& threads, asio::io_context& io, int n, const char* name) {
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&io, name] {
      set_thread_name(name);
      io.run();
    });
}

}  // namespace

struct App::Impl {
  Config cfg;
  const Clock& clock;
  std::shared_ptr<store::Env> env;
  std::unique_ptr<store::Writer> writer;
  std::unique_ptr<timer::TimerService> timer_service;
  std::unique_ptr<timer::TimerStore> timers;
  queue::ReadyQueue ready;
  std::unique_ptr<queue::JobStore> jobs;
  Metrics metrics;
  asio::io_context worker_io{1};
  // One loop per HTTP thread (concurrency hint 1): a connection lives on one
  // thread, so sessions need no strand and a commit's completion wakes only
  // that thread.
  std::vector<std::unique_ptr<asio::io_context>> http_loops;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> worker_guard;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> http_guards;
  // Scans over all rows for /v1/stats, /metrics and /v1/reconciliation run
  // here, not on an HTTP loop (http/off_loop.h).
  asio::io_context report_io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> report_guard;
  std::vector<std::thread> worker_threads, http_threads, report_threads;
  std::unique_ptr<queue::Runner> runner;
  std::shared_ptr<provider::Provider> provider;
  std::shared_ptr<provider::SimWorld> sim_world;
  std::shared_ptr<provider::SimProvider> sim_provider;  // null unless --provider sim
  std::string notify_secret;
  std::unique_ptr<orders::Context> ctx;
  std::unique_ptr<orders::RechargeService> recharges;
  std::unique_ptr<orders::PurchaseService> purchases;
  http::Waiters waiters;
  http::Router router;
  std::unique_ptr<http::ApiDeps> deps;
  std::unique_ptr<http::Server> server;
  std::string webhook_secret;
  std::mutex clients_mu;
  std::map<std::string, std::shared_ptr<http::Client>> webhook_clients;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop_requested = false;
  std::atomic<bool> ready_flag{false};
  std::atomic<bool> draining{false};
  StorageHealth storage;  // batch commits failing (map or disk full), or just recovered: not ready

  Impl(const Config& c, const Clock& cl) : cfg(c), clock(cl) {}

  // A pass's due timers (TimerService batch mode), fired 256 per mutation.
  void on_fire_batch(const std::vector<timer::TimerService::Due>& due, FireDone done) {
    const TimeMs now = clock.now_ms();
    fire_in_chunks(
        *writer, due,
        [this](store::WriteTxn& txn, const timer::TimerService::Due& t) {
          return fire_timer(txn, *timers, TimerTargets{*jobs, *recharges, *purchases}, t.id, t.due_ms);
        },
        std::move(done));
    // Lateness after the hand-over, one histogram update per run of equal due
    // times (the pass is in due order; a burst is one run).
    for (size_t i = 0, j = 0; i < due.size(); i = j) {
      while (j < due.size() && due[j].due_ms == due[i].due_ms) ++j;
      metrics.observe_timer_lateness(static_cast<double>(now - due[i].due_ms) / 1000.0, j - i);
    }
  }

  asio::awaitable<Result<int>> send_webhook(std::string url, std::string body) {
    // Clients are kept per scheme://host:port so connections are reused.
    auto slash = url.find('/', 7);
    std::string base = url.substr(0, slash);
    std::string target = slash == std::string::npos ? "/" : url.substr(slash);
    std::shared_ptr<http::Client> client;
    {
      std::lock_guard lock(clients_mu);
      auto& c = webhook_clients[base];
      if (!c) {
        auto made = http::Client::create(worker_io.get_executor(), base);
        if (!made) co_return made.error();
        c = *made;
      }
      client = c;
    }
    const int64_t t = clock.now_ms() / 1000;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}, {"Orderd-Signature", provider::sign(webhook_secret, t, body)}};
    auto res = co_await client->request("POST", target, body, std::move(headers), 10'000);
    if (!res) co_return res.error();
    co_return res->status;
  }

  // Every --scan-interval: one reconciler pass in a mutation (purchase_service.h).
  asio::awaitable<void> reconciler() {
    asio::steady_timer tick(worker_io);
    while (!draining.load()) {
      tick.expires_after(std::chrono::milliseconds(std::max<DurationMs>(cfg.scan_interval_ms, 10)));
      auto [ec] = co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || draining.load()) co_return;
      auto pass = [this](store::WriteTxn& txn) { return purchases->reconcile(txn); };
      auto touched = co_await store::async_commit<size_t>(*writer, std::move(pass));
      if (!touched) spdlog::warn("reconciler pass failed: {}", touched.error().message);
      else if (*touched > 0) spdlog::warn("reconciler re-queued work of {} stuck order(s)", *touched);
    }
  }

  // Pending timers by kind ("rc_deadline", "po_unpaid", "job", ...): a scan of
  // timers_key, bounded so a page poll stays cheap; "…_more" when cut short.
  static Json timer_kinds(const store::Txn& txn) {
    constexpr size_t kMaxScan = 200'000;
    std::map<std::string, uint64_t> kinds;
    auto c = txn.cursor(txn.table("timers_key"));
    size_t seen = 0;
    bool ok = c.first();
    for (; ok && seen < kMaxScan; ok = c.next(), ++seen) {
      auto key = c.key();
      kinds[std::string(key.substr(0, key.find('/')))]++;
    }
    Json out = kinds;
    if (ok) out["_more"] = true;
    return out;
  }

  Json stats() {
    auto ts = timer_service->stats();
    auto [used, map] = env->usage();
    Json by_status = recharges->count_by_status();
    const auto& pc = purchases->counters();
    Json purchase_stats = {{"by_status", purchases->count_by_status()},
                           {"created_total", pc.created.load()},
                           {"finished_total", pc.completed.load() + pc.closed.load()},  // first finish; refunds counted apart
                           {"finished_by_status", {{"completed", pc.completed.load()},
                                                   {"closed", pc.closed.load()},
                                                   {"refunded", pc.refunded.load()}}},
                           {"payments_total", pc.payments.load()},
                           {"refunds_total", pc.refunds.load()}};
    store::ReadTxn txn(*env);
    const uint64_t ready_n = ready.ready_count(), leased_n = ready.leased_count();
    const uint64_t jobs_n = txn.count(env->table("jobs"));
    const auto& c = recharges->counters();
    return {{"now", format_rfc3339(clock.now_ms())},
            {"recharges", {{"by_status", by_status},
                           {"created_total", c.created.load()},
                           {"finished_total", c.succeeded.load() + c.failed.load() + c.timed_out.load()},
                           {"finished_by_status", {{"succeeded", c.succeeded.load()},
                                                   {"failed", c.failed.load()},
                                                   {"timed_out", c.timed_out.load()}}}}},
            {"purchases", purchase_stats},
            {"queue", {{"ready", ready_n},
                       {"leased", leased_n},
                       {"waiting", jobs_n > ready_n + leased_n ? jobs_n - ready_n - leased_n : 0},
                       {"jobs_total", jobs_n},
                       {"dead", txn.count(env->table("dead"))}}},
            {"timers", {{"pending", ts.pending_on_disk},
                        {"by_kind", timer_kinds(txn)},
                        {"in_wheel", ts.in_wheel},
                        {"fired_total", ts.fired_total},
                        {"next_due", ts.next_due_ms ? Json(format_rfc3339(ts.next_due_ms)) : Json(nullptr)}}},
            {"writer", {{"batches", writer->stats().batches.load()},
                        {"mutations", writer->stats().mutations.load()},
                        {"pending", writer->pending()}}},
            {"storage", {{"used_bytes", used}, {"map_bytes", map}}}};
  }
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() {
  if (impl_) {
    request_stop();
    wait();
  }
}

Result<std::unique_ptr<App>> App::create(const Config& cfg, const Clock& clock) {
  auto impl = std::make_unique<Impl>(cfg, clock);
  Impl& a = *impl;
  auto env = store::Env::open({cfg.data_dir, cfg.map_size, false, false});
  if (!env) return env.error();
  a.env = *env;
  std::string secret = cfg.notify_secret;
  if (secret.empty()) {
    auto s = load_or_make_secret(*a.env, clock);
    if (!s) return s.error();
    secret = *s;
  }
  a.webhook_secret = cfg.webhook_secret.empty() ? secret : cfg.webhook_secret;
  a.notify_secret = secret;
  a.writer = std::make_unique<store::Writer>(a.env, clock);
  a.writer->set_observer([&a](size_t batch, uint64_t commit_us, bool ok) {
    a.storage.on_batch(ok, a.clock.now_ms());
    a.metrics.observe_commit(batch, static_cast<double>(commit_us) / 1e6, ok);
  });
  a.timer_service = std::make_unique<timer::TimerService>(
      a.env, clock,
      [&a](const std::vector<timer::TimerService::Due>& due, FireDone done) { a.on_fire_batch(due, std::move(done)); },
      timer::TimerService::Options{});
  a.timers = std::make_unique<timer::TimerStore>(a.timer_service.get());
  a.jobs = std::make_unique<queue::JobStore>(*a.timers, &a.ready);
  auto prov = provider::make_provider(cfg, a.worker_io.get_executor(), &a.sim_world, &a.sim_provider, &clock);
  if (!prov) return prov.error();
  a.provider = std::make_shared<MeteredProvider>(*prov, a.metrics);
  a.ctx = std::make_unique<orders::Context>(orders::Context{*a.writer, *a.jobs, *a.timers, clock,
                                                            [&a](const std::string& id) { a.waiters.wake(id); }});
  orders::RechargeSettings rs;
  rs.attempt_timeout_ms = cfg.attempt_timeout_ms;
  rs.result_timeout_ms = cfg.result_timeout_ms;
  rs.max_attempts = cfg.max_attempts;
  rs.webhook_attempts = cfg.webhook_attempts;
  const uint64_t seed = cfg.sim_seed ? cfg.sim_seed : static_cast<uint64_t>(clock.now_ms());
  a.recharges = std::make_unique<orders::RechargeService>(
      *a.ctx, *a.provider, [&a](std::string url, std::string body) { return a.send_webhook(std::move(url), std::move(body)); },
      rs, seed);
  a.runner = std::make_unique<queue::Runner>(a.worker_io, *a.writer, *a.jobs, a.ready, clock, cfg.workers, seed ^ 0x9e37,
                                             cfg.attempt_timeout_ms + 60'000);
  a.recharges->register_jobs(*a.runner);
  orders::PurchaseServiceSettings ps;
  ps.decisions.unpaid_timeout_ms = cfg.unpaid_timeout_ms;
  ps.decisions.refund_recheck_ms = cfg.refund_recheck_ms;
  ps.call_timeout_ms = std::min<DurationMs>(cfg.attempt_timeout_ms, 30'000);
  ps.webhook_attempts = cfg.webhook_attempts;
  a.purchases = std::make_unique<orders::PurchaseService>(
      *a.ctx, *a.provider, [&a](std::string url, std::string body) { return a.send_webhook(std::move(url), std::move(body)); },
      ps, seed ^ 0x5eed);
  a.purchases->register_jobs(*a.runner);
  a.deps = std::make_unique<http::ApiDeps>(http::ApiDeps{
      *a.recharges, *a.writer, *a.jobs, a.waiters, clock, cfg.admin_token,
      [&a] {
        return a.ready_flag.load() && !a.draining.load() && a.storage.ready(a.clock.now_ms()) && a.timer_service->ready();
      },
      [&a] { return a.stats(); },
      [&a] { return a.metrics.text(a.stats()); }, a.purchases.get(), secret, nullptr, a.report_io.get_executor()});
  http::add_system_routes(a.router, *a.deps);
  if (a.sim_provider) {
    a.deps->sim_pay = [&a](const std::string& id, int64_t amount, DurationMs delay, bool even_if_closed) -> Result<Json> {
      auto paid = a.sim_provider->pay(id, amount, delay, even_if_closed);
      if (!paid) return paid.error();
      return Json{{"order_id", id}, {"payment_id", paid->payment_id}, {"amount", paid->amount},
                  {"status", "SUCCESS"}, {"notify", "sent to /v1/payments/notify"}};
    };
  }
  http::add_recharge_routes(a.router, *a.deps);
  http::add_order_routes(a.router, *a.deps);
  http::ServerOptions so;
  so.listen = cfg.listen;
  so.max_connections = cfg.max_connections;
  so.observer = [&a](const std::string& method, const std::string& route, int status, double seconds) {
    a.metrics.observe_http(method, route, status, seconds);
  };
  std::vector<asio::io_context*> loops;
  for (int i = 0; i < std::max(1, cfg.http_threads); ++i) {
    a.http_loops.push_back(std::make_unique<asio::io_context>(1));
    loops.push_back(a.http_loops.back().get());
  }
  a.server = std::make_unique<http::Server>(std::move(loops), a.router, so);
  return std::unique_ptr<App>(new App(std::move(impl)));
}

Status App::start() {
  Impl& a = *impl_;
  a.worker_guard.emplace(a.worker_io.get_executor());
  for (auto& loop : a.http_loops) a.http_guards.emplace_back(loop->get_executor());
  a.report_guard.emplace(a.report_io.get_executor());
  auto st = a.server->start();
  if (!st) return st;
  a.timer_service->start();
  a.runner->start();
  if (a.sim_provider) {
    // The simulated provider sends its signed notifies over HTTP to this server, as a real one would.
    auto host = a.cfg.listen.substr(0, a.cfg.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = "127.0.0.1";
    auto sink = provider::make_http_notify_sink(a.worker_io.get_executor(),
                                                "http://" + host + ":" + std::to_string(a.server->port()) +
                                                    "/v1/payments/notify");
    if (!sink) return sink.error();
    a.sim_provider->set_notify(a.notify_secret, *sink);
  }
  asio::co_spawn(a.worker_io, a.reconciler(), asio::detached);
  run_threads(a.worker_threads, a.worker_io, 1, "orderd-worker");
  for (auto& loop : a.http_loops) run_threads(a.http_threads, *loop, 1, "orderd-http");
  run_threads(a.report_threads, a.report_io, 1, "orderd-report");
  a.ready_flag = true;
  spdlog::info("orderd listening on {} (data {}, provider {})", a.cfg.listen, a.cfg.data_dir, a.cfg.provider);
  return ok_status();
}

void App::request_stop() {
  std::lock_guard lock(impl_->stop_mu);
  impl_->stop_requested = true;
  impl_->stop_cv.notify_all();
}

int App::wait() {
  Impl& a = *impl_;
  {
    std::unique_lock lock(a.stop_mu);
    a.stop_cv.wait(lock, [&] { return a.stop_requested; });
  }
  if (a.draining.exchange(true)) return 0;
  spdlog::info("draining: no new connections; finishing in-flight requests and commits");
  a.server->stop();
  a.runner->stop();
  a.http_guards.clear();
  a.worker_guard.reset();
  // Give in-flight requests (their commits) a moment, then stop the loops.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (a.server->connections() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& loop : a.http_loops) loop->stop();
  a.worker_io.stop();
  for (auto& t : a.http_threads) t.join();
  for (auto& t : a.worker_threads) t.join();
  a.http_threads.clear();
  a.worker_threads.clear();
  a.report_guard.reset();  // after the HTTP loops: a handler may have been awaiting a report
  a.report_io.stop();
  for (auto& t : a.report_threads) t.join();
  a.report_threads.clear();
  a.timer_service->stop();
  a.writer->stop();
  spdlog::info("stopped");
  return 0;
}

unsigned short App::port() const { return impl_->server->port(); }

}  // namespace orderd::app
