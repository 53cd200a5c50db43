// app.h — wiring of one `orderd serve` process: the LMDB environment and its
// writer thread, the timer thread, the worker pool, the provider, the order
// services and the HTTP server. main.cpp only parses flags and calls this.
//
// Threads: writer (1), timer service (1), worker io_context (2), HTTP
// io_context (--http threads, default 2), and the caller of wait().
// Lifecycle: create → start → (SIGTERM) request_stop → wait returns 0.
// Draining: stop accepting, answer in-flight requests, stop the worker pool
// (in-flight provider calls are abandoned: their jobs run again after a
// restart, and effects are idempotent), commit everything submitted, exit.
#pragma once
#include <memory>

#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"

namespace orderd::app {

class App {
 public:
  // Opens the data dir and builds everything. Errors: kIo/kInvalid with a
  // message for the operator.
  static Result<std::unique_ptr<App>> create(const Config& cfg, const Clock& clock);
  ~App();
  // Starts the threads and binds the listener. Errors: kIo (address in use…).
  Status start();
  // Thread: any (signal handler thread). Begins the drain.
  void request_stop();
  // Blocks until stopped and drained. Returns the exit code.
  int wait();
  unsigned short port() const;

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::app
