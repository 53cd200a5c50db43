// sim.cpp — `orderd_sim`: a deterministic simulation of the whole engine
// (`make sim SEEDS=N`; a few hundred seeds run in `make test`).
//
// The real order services (recharge_service, purchase_service and their
// pure decisions), the real durable queue (JobStore, Runner), the real
// durable timer tables and the real LMDB store run on ONE thread: a fake
// clock, an io_context polled by hand, a Writer in manual mode (the
// simulation decides when each batch commits), timers fired by scanning the
// timers table, and a provider (SimWorld) that answers at once with injected
// 503s and "done but answered too late" outcomes. One seeded random source
// picks every action: create recharges and purchases, customers paying
// (sometimes the wrong amount, sometimes after the close, notifies delayed,
// duplicated, reordered or lost), refunds, cancels, time passing — and
// crashes between any two commits (everything in memory is dropped and the
// store reopened, as after kill -9).
//
// After every step it checks: no acknowledged order lost; at most one credit
// per recharge; every recharge terminal by its deadline plus the scan
// interval; the stock invariant of every SKU; the funds identity of every
// purchase. At the end (faults off, time run forward until quiet): `orderd
// check` of the store is clean, every recharge agrees with the provider's
// ground truth, every purchase's paid/refunded equal the provider's, and
// nothing is outstanding.
//
// usage: orderd_sim [--seeds N] [--first S] [--steps K] [--seed S (one, verbose)]
// A failing seed prints itself; `orderd_sim --seed S` replays it exactly.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "app/check.h"
#include "app/timer_dispatch.h"
#include "det_provider.h"
#include "orders/inventory.h"
#include "orders/purchase_service.h"
#include "orders/recharge_service.h"
#include "queue/runner.h"
#include "store/keys.h"
#include "store/writer.h"

namespace asio = boost::asio;
using namespace orderd;

namespace {

constexpr DurationMs kScanIntervalMs = 10'000;
const char* kSkus[] = {"A", "B", "C"};
constexpr int64_t kStock = 40;

struct Failure {
  std::string what;
};

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  uint64_t below(uint64_t n) { return g() % n; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(g) < p; }
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1))); }
};

// One process: everything here dies in a crash.
struct Node {
  std::shared_ptr<store::Env> env;
  std::unique_ptr<store::Writer> writer;
  timer::TimerStore timers{nullptr};
  queue::ReadyQueue ready;
  std::unique_ptr<queue::JobStore> jobs;
  std::unique_ptr<orders::Context> ctx;
  std::unique_ptr<sim::DetProvider> provider;
  std::unique_ptr<orders::RechargeService> recharges;
  std::unique_ptr<orders::PurchaseService> purchases;
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<queue::Runner> runner;
};

struct AckedRecharge {
  std::string id, account;
  int64_t amount;
};
struct Notify {
  TimeMs at;
  std::string order_id, payment_id;
  int64_t amount;
};

class Sim {
 public:
  Sim(uint64_t seed, int steps, bool verbose)
      : seed_(seed), steps_(steps), verbose_(verbose), rng_(seed), clock_(1'700'000'000'000 + static_cast<TimeMs>(seed % 1000) * 3'600'000) {
    dir_ = std::filesystem::temp_directory_path() / ("orderd-sim-" + std::to_string(seed) + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    provider::SimFaults f;
    f.fail_rate = static_cast<double>(rng_.below(30)) / 100.0;
    f.timeout_rate = static_cast<double>(rng_.below(20)) / 100.0;
    world_ = std::make_shared<provider::SimWorld>(seed ^ 0xabcdef, f);
    crash_p_ = static_cast<double>(rng_.below(4)) / 100.0;  // per commit
  }
  ~Sim() {
    stop_node();
    std::filesystem::remove_all(dir_);
  }

  // Returns "" when every check held, else what failed.
  std::string run() {
    try {
      start_node();
      setup_skus();
      for (step_ = 0; step_ < steps_; ++step_) {
        act();
        deliver_notifies();
        settle(true);
        check_step();
      }
      finish();
      return "";
    } catch (const Failure& f) {
      return "step " + std::to_string(step_) + ": " + f.what;
    }
  }
  double simulated_hours() const { return static_cast<double>(clock_.now_ms() - start_ms_) / 3'600'000.0; }
  int crashes() const { return crashes_; }
  size_t orders() const { return recharges_.size() + purchases_.size(); }

 private:
  [[noreturn]] void fail(const std::string& what) { throw Failure{what}; }

  void start_node() {
    n_ = std::make_unique<Node>();
    // no fsync: a simulated crash drops what was not committed; the OS does not crash
    auto env = store::Env::open({dir_.string(), 256ull << 20, false, true});
    if (!env) fail("open store: " + env.error().message);
    n_->env = *env;
    n_->writer = std::make_unique<store::Writer>(n_->env, clock_, 200'000, store::Writer::Mode::kManual);
    n_->jobs = std::make_unique<queue::JobStore>(n_->timers, &n_->ready);
    n_->ctx = std::make_unique<orders::Context>(orders::Context{*n_->writer, *n_->jobs, n_->timers, clock_, nullptr});
    n_->provider = std::make_unique<sim::DetProvider>(world_);
    n_->recharges = std::make_unique<orders::RechargeService>(*n_->ctx, *n_->provider, nullptr, orders::RechargeSettings{},
                                                              seed_ + 1);
    orders::PurchaseServiceSettings ps;
    n_->purchases = std::make_unique<orders::PurchaseService>(*n_->ctx, *n_->provider, nullptr, ps, seed_ + 2);
    n_->io = std::make_unique<asio::io_context>(1);
    n_->runner = std::make_unique<queue::Runner>(*n_->io, *n_->writer, *n_->jobs, n_->ready, clock_, 16, seed_ + 3,
                                                 DurationMs{1000} * 3600 * 24 * 365);
    n_->recharges->register_jobs(*n_->runner);
    n_->purchases->register_jobs(*n_->runner);
    n_->runner->start();
  }

  void stop_node() {
    if (!n_) return;
    n_->runner->stop();
    n_->writer->discard_pending();
    n_->io.reset();  // destroys suspended coroutines while the services they reference still exist
    n_->runner.reset();
    n_.reset();
  }

  void crash() {
    ++crashes_;
    if (verbose_) std::printf("  crash at step %d\n", step_);
    stop_node();
    start_node();
  }

  template <class T, class F>
  void spawn(F f) {
    asio::co_spawn(*n_->io, std::move(f), asio::detached);
  }

  void setup_skus() {
    for (const char* sku : kSkus) {
      spawn<void>([this, sku]() -> asio::awaitable<void> { co_await n_->purchases->put_sku(sku, kStock, 100 + sku[0]); });
    }
    settle(false);
  }

  // One random action.
  void act() {
    const uint64_t r = rng_.below(100);
    if (r < 25) {
      orders::CreateRechargeRequest req;
      const int i = next_++;
      req.account = (rng_.chance(0.05) ? "invalid-" : "acct-") + std::to_string(seed_) + "-" + std::to_string(i);
      req.amount = rng_.between(100, 999);
      spawn<void>([this, req]() mutable -> asio::awaitable<void> {
        auto a = co_await n_->recharges->create(req);
        if (a && a->status == 202) recharges_.push_back({a->body.value("id", ""), req.account, req.amount});
      });
    } else if (r < 45) {
      orders::CreateOrderRequest req;
      req.user = "u" + std::to_string(rng_.below(5));
      const uint64_t first = rng_.below(3);
      req.items.push_back({kSkus[first], rng_.between(1, 3)});
      if (rng_.chance(0.3)) req.items.push_back({kSkus[(first + 1) % 3], rng_.between(1, 2)});
      spawn<void>([this, req]() mutable -> asio::awaitable<void> {
        auto a = co_await n_->purchases->create(req);
        if (a && a->status == 201) purchases_.emplace(a->body.value("id", ""), a->body.value("amount", int64_t{0}));
      });
    } else if (r < 60 && !purchases_.empty()) {
      pay(pick_purchase());
    } else if (r < 65 && !purchases_.empty()) {
      const std::string id = pick_purchase();
      spawn<void>([this, id]() -> asio::awaitable<void> { co_await n_->purchases->refund(id, "", ""); });
    } else if (r < 70 && !purchases_.empty()) {
      const std::string id = pick_purchase();
      spawn<void>([this, id]() -> asio::awaitable<void> { co_await n_->purchases->cancel(id, "", ""); });
    } else {
      clock_.advance(rng_.between(1, 2'000) * (rng_.chance(0.05) ? 200 : 1));
    }
  }

  std::string pick_purchase() {
    auto it = purchases_.begin();
    std::advance(it, static_cast<long>(rng_.below(purchases_.size())));
    return it->first;
  }

  // The customer pays at the provider; its notify comes later (maybe twice, maybe never).
  void pay(const std::string& id) {
    int64_t amount = purchases_[id];
    if (rng_.chance(0.1)) amount -= 1;  // wrong amount
    auto paid = world_->pay(id, amount, rng_.chance(0.3), clock_.now_ms());
    if (!paid) return;  // closed at the provider
    const int copies = rng_.chance(0.1) ? 0 : rng_.chance(0.2) ? 2 : 1;
    for (int i = 0; i < copies; ++i)
      notifies_.push_back({clock_.now_ms() + rng_.between(0, 5'000), id, paid->payment_id, paid->amount});
  }

  void deliver_notifies() {
    for (size_t i = 0; i < notifies_.size();) {
      if (notifies_[i].at > clock_.now_ms()) {
        ++i;
        continue;
      }
      Notify nt = notifies_[i];
      notifies_.erase(notifies_.begin() + static_cast<long>(i));
      spawn<void>([this, nt]() -> asio::awaitable<void> { co_await n_->purchases->notify(nt.order_id, nt.payment_id, nt.amount); });
    }
  }

  // Submits the firing mutation of every timer due now (once per commit).
  void fire_due_timers() {
    std::vector<std::pair<uint64_t, TimeMs>> due;
    {
      store::ReadTxn txn(*n_->env);
      auto c = txn.cursor(txn.table("timers_due"));
      for (bool ok = c.first(); ok; ok = c.next()) {
        auto key = c.key();
        const TimeMs at = static_cast<TimeMs>(store::read_u64(key, 0));
        if (at > clock_.now_ms()) break;
        const uint64_t id = store::read_u64(key, 8);
        if (submitted_timers_.insert(id).second) due.emplace_back(id, at);
      }
    }
    for (auto [id, at] : due) {
      store::Mutation m;
      m.apply = [this, id, at](store::WriteTxn& txn) {
        return app::fire_timer(txn, n_->timers, app::TimerTargets{*n_->jobs, *n_->recharges, *n_->purchases}, id, at);
      };
      m.done = [](const Status&) {};
      if (!n_->writer->submit(std::move(m))) fail("writer refused a timer");
    }
  }

  // Runs everything that can run now: handlers, due timers, commits. With
  // allow_crash, a crash may come before any commit.
  void settle(bool allow_crash) {
    for (int guard = 0; guard < 200'000; ++guard) {
      size_t ran = n_->io->poll();
      n_->io->restart();
      fire_due_timers();
      if (allow_crash && n_->writer->pending() > 0 && rng_.chance(crash_p_)) {
        crash();
        submitted_timers_.clear();
        continue;
      }
      const size_t committed = n_->writer->commit_pending();
      submitted_timers_.clear();
      ran += n_->io->poll();
      n_->io->restart();
      if (committed == 0 && ran == 0) return;
    }
    fail("settle did not converge");
  }

  void check_step() {
    store::ReadTxn txn(*n_->env);
    for (const auto& r : recharges_) {
      auto rc = orders::load_recharge(txn, r.id);
      if (!rc) fail("acknowledged recharge " + r.id + " is lost");
      const int64_t credited = world_->credited(r.account);
      if (credited != 0 && credited != r.amount) fail("account " + r.account + " credited " + std::to_string(credited));
      if (!orders::is_terminal(rc->status) && clock_.now_ms() > rc->deadline_at + kScanIntervalMs)
        fail(r.id + " is " + rc->status + " past its deadline");
    }
    for (const auto& [id, amount] : purchases_) {
      auto p = orders::load_purchase(txn, id);
      if (!p) fail("acknowledged purchase " + id + " is lost");
      if (auto v = orders::check_funds(*p)) fail(id + ": " + *v);
    }
    for (const auto& s : orders::all_skus(txn))
      if (auto v = orders::stock_violation(s)) fail("sku " + s.sku + ": " + *v);
    // The services' in-memory status counts (status_counts.h) against a walk
    // of the status indexes: every committed change moved them, nothing else.
    // (Statuses with no orders: 0 in the counts, absent from the walk.)
    auto nonzero = [](std::map<std::string, uint64_t> m) {
      std::erase_if(m, [](const auto& kv) { return kv.second == 0; });
      return m;
    };
    if (nonzero(n_->recharges->count_by_status()) != orders::count_by_status(txn, "rc_status"))
      fail("recharge status counts differ from the rc_status index");
    if (nonzero(n_->purchases->count_by_status()) != orders::count_by_status(txn, "order_status"))
      fail("purchase status counts differ from the order_status index");
  }

  bool quiet() {
    store::ReadTxn txn(*n_->env);
    if (txn.count(txn.table("timers_due")) != 0) return false;  // e.g. a close check still to come
    for (const auto& r : recharges_) {
      auto rc = orders::load_recharge(txn, r.id);
      if (!orders::is_terminal(rc->status) || rc->outcome_unknown) return false;
    }
    for (const auto& [id, amount] : purchases_) {
      auto p = orders::load_purchase(txn, id);
      const bool done = p->status == "completed" || orders::is_terminal_purchase(p->status);
      if (!done || orders::outstanding(*p) > 0) return false;
    }
    return notifies_.empty();
  }

  // Faults off; time runs forward (to the next timer, at least 1 s) until quiet.
  void finish() {
    world_->set_faults({});
    for (int i = 0; i < 50'000 && !quiet(); ++i) {
      TimeMs next = clock_.now_ms() + 1'000;
      {
        store::ReadTxn txn(*n_->env);
        auto c = txn.cursor(txn.table("timers_due"));
        if (c.first()) next = std::max(next, static_cast<TimeMs>(store::read_u64(c.key(), 0)));
      }
      if (!notifies_.empty()) next = std::min(next, std::max(clock_.now_ms() + 1, notifies_.front().at));
      clock_.set(std::max(next, clock_.now_ms()));
      deliver_notifies();
      settle(false);
      check_step();
    }
    if (!quiet()) fail("not quiet after running time forward");
    const auto report = app::check_store(*n_->env, clock_.now_ms());
    for (const auto& v : report.violations) fail("orderd check: " + v.kind + ": " + v.detail);
    store::ReadTxn txn(*n_->env);
    for (const auto& r : recharges_) {
      auto rc = orders::load_recharge(txn, r.id);
      const bool credited = world_->credited(r.account) == r.amount;
      const bool late_success = rc->late_result && rc->late_result->status == "success";
      if (rc->status == "succeeded" && !credited) fail(r.id + " succeeded but was never credited");
      if (credited && rc->status != "succeeded" && !late_success) fail(r.id + " credited but " + rc->status + " without a late result");
    }
    for (const auto& [id, amount] : purchases_) {
      auto p = orders::load_purchase(txn, id);
      const auto truth = world_->payment_truth(id);
      if (p->paid != (truth.paid ? truth.amount : 0) || p->refunded != world_->refunded_total(id))
        fail(id + ": engine paid/refunded " + std::to_string(p->paid) + "/" + std::to_string(p->refunded) +
             " but the provider holds " + std::to_string(truth.amount) + "/" + std::to_string(world_->refunded_total(id)));
    }
    const int64_t acked_stock = kStock * 3;
    int64_t total = 0;
    for (const auto& s : orders::all_skus(txn)) total += s.available + s.reserved + s.sold;
    if (total != acked_stock) fail("stock total " + std::to_string(total) + " != " + std::to_string(acked_stock));
  }

  uint64_t seed_;
  int steps_;
  bool verbose_;
  Rng rng_;
  FakeClock clock_;
  TimeMs start_ms_ = clock_.now_ms();
  std::filesystem::path dir_;
  std::shared_ptr<provider::SimWorld> world_;
  double crash_p_ = 0;
  std::unique_ptr<Node> n_;
  std::vector<AckedRecharge> recharges_;
  std::map<std::string, int64_t> purchases_;  // id → amount
  std::vector<Notify> notifies_;
  std::set<uint64_t> submitted_timers_;
  int step_ = 0, next_ = 0, crashes_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t first = 1, seeds = 100;
  int steps = 300;
  bool one = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const uint64_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--seeds") seeds = v;
    else if (a == "--first") first = v;
    else if (a == "--steps") steps = static_cast<int>(v);
    else if (a == "--seed") first = v, seeds = 1, one = true;
  }
  spdlog::set_level(spdlog::level::err);
  double hours = 0;
  uint64_t crashes = 0, orders_total = 0, failed = 0;
  for (uint64_t s = first; s < first + seeds; ++s) {
    Sim sim(s, steps, one);
    const std::string err = sim.run();
    hours += sim.simulated_hours();
    crashes += static_cast<uint64_t>(sim.crashes());
    orders_total += sim.orders();
    if (!err.empty()) {
      ++failed;
      std::printf("FAILED seed %llu: %s\n  replay: orderd_sim --seed %llu --steps %d\n", static_cast<unsigned long long>(s),
                  err.c_str(), static_cast<unsigned long long>(s), steps);
    }
  }
  std::printf("sim seeds=%llu failed=%llu steps_per_seed=%d simulated_hours=%.1f crashes=%llu orders=%llu\n",
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed), steps, hours,
              static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(orders_total));
  return failed == 0 ? 0 : 1;
}
