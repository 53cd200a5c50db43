// off_loop.h — run a long synchronous read (a scan over all rows) on another
// executor and resume the calling handler on its own loop with the value.
//
// Why: each HTTP thread runs one loop for many connections (server.h), so a
// handler that reads for 50 ms on its loop holds every connection of that
// loop for 50 ms. Thread: any coroutine; fn runs on `ex`.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace orderd::http {

template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> call_as_coroutine(Fn fn) {
  co_return fn();
}

// Runs fn() on `ex` (inline if `ex` is empty) and returns its value; an
// exception from fn() is rethrown in the caller. Pass a named lambda, not a
// temporary built inside the co_await (GCC 12 and coroutine frames).
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> off_loop(boost::asio::any_io_executor ex, Fn fn) {
  if (!ex) co_return fn();
  co_return co_await boost::asio::co_spawn(ex, call_as_coroutine(std::move(fn)), boost::asio::use_awaitable);
}

}  // namespace orderd::http
