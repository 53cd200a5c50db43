// provider_test_util.h — helpers shared by the [provider] tests: running one
// coroutine to completion on an otherwise idle io_context, and wall time
// since a start point (for latency lower bounds).
// Thread: each helper runs on the calling thread only.
// Invariants:
//   1. run_one() returns only after `call` completed; an exception thrown by
//      the coroutine propagates out of io.run() to the test.
//   2. run_one() never leaves io stopped for the next call (it restarts it).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace orderd::provider::test {

namespace detail {
template <class T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> call, std::optional<T>* out) {
  out->emplace(co_await std::move(call));
}
}  // namespace detail

// Runs one call to completion on io and returns its value.
// REQUIRES: io has no other work (run() returns once `call` is done).
template <class T>
T run_one(boost::asio::io_context& io, boost::asio::awaitable<T> call) {
  std::optional<T> out;
  boost::asio::co_spawn(io, detail::store_into(std::move(call), &out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.restart();
  io.run();
  REQUIRE(out.has_value());
  return std::move(*out);
}

// Seconds of steady-clock time elapsed since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace orderd::provider::test
