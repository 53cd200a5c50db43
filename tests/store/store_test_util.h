// store_test_util.h — helpers shared by the [store] tests: a temp data dir,
// opening an env, submitting a mutation and waiting for it, and a gate that
// holds the writer thread so that what is submitted meanwhile forms one batch.
//
// Thread model: the test thread; WriterGate's mutation blocks the writer
// thread until the gate opens. Every wait is bounded by kWait.
// Invariants:
//   (1) A TempDir lives under /tmp and is removed with its contents.
//   (2) A gate's mutation may be applied more than once (the writer may redo a
//       batch); only the first run signals "entered", every run waits.
#pragma once
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "store/env.h"
#include "store/writer.h"

namespace orderd::store::testing {

using namespace std::chrono_literals;

inline constexpr auto kWait = std::chrono::seconds(20);  // generous; the tests finish in milliseconds

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "orderd_store_test") {
    std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline std::shared_ptr<Env> open_env(const std::string& dir, uint64_t map_size = 256ull << 20,
                                     bool no_sync = false) {
  EnvOptions opts;
  opts.dir = dir;
  opts.map_size = map_size;
  opts.no_sync = no_sync;
  auto env = Env::open(opts);
  REQUIRE(env.ok());
  return env.value();
}

// Submits one mutation and waits for its completion; returns its status.
inline Status run_sync(Writer& w, std::function<Status(WriteTxn&)> apply) {
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  REQUIRE(w.submit({std::move(apply), [done](const Status& st) { done->set_value(st); }}));
  REQUIRE(fut.wait_for(kWait) == std::future_status::ready);
  return fut.get();
}

// Holds the writer thread inside a mutation until open() (or destruction), so
// that everything submitted meanwhile waits in the queue and lands in one batch.
class WriterGate {
 public:
  explicit WriterGate(Writer& w) : release_(release_promise_.get_future().share()) {
    auto entered = std::make_shared<std::promise<void>>();
    auto entered_once = std::make_shared<std::atomic<bool>>(false);
    auto entered_fut = entered->get_future();
    auto release = release_;
    REQUIRE(w.submit({[entered, entered_once, release](WriteTxn&) {
                        if (!entered_once->exchange(true)) entered->set_value();  // invariant (2)
                        release.wait_for(kWait);
                        return ok_status();
                      },
                      nullptr}));
    REQUIRE(entered_fut.wait_for(kWait) == std::future_status::ready);
  }
  ~WriterGate() { open(); }
  WriterGate(const WriterGate&) = delete;
  WriterGate& operator=(const WriterGate&) = delete;
  void open() {
    if (!opened_) release_promise_.set_value();
    opened_ = true;
  }

 private:
  std::promise<void> release_promise_;
  std::shared_future<void> release_;
  bool opened_ = false;
};

// Polls pred every millisecond until it holds (true) or kWait passes (false).
inline bool wait_until(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace orderd::store::testing
