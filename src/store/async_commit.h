// async_commit.h — co_await a mutation from a coroutine: the coroutine resumes
// on its own executor after the mutation's batch is durable (or failed).
//
// Thread: any coroutine. Header-only; include only where Asio is already used.
#pragma once
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "store/writer.h"

namespace orderd::store {

// Runs fn(txn) on the writer; the result is fn's value once committed, or the
// commit's error (kFull/kIo), or kBusy if the writer queue is full.
template <class T, class Fn>
boost::asio::awaitable<Result<T>> async_commit(Writer& writer, Fn fn) {
  struct State {
    std::optional<Result<T>> result;
  };
  auto state = std::make_shared<State>();
  auto initiation = [&writer, state, fn = std::move(fn)](auto handler) mutable {
    auto ex = boost::asio::get_associated_executor(handler);
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    auto finish = [state, h, ex](Result<T> r) {
      boost::asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
    };
    Mutation m;
    m.apply = [state, fn = std::move(fn)](WriteTxn& txn) mutable -> Status {
      Result<T> r = fn(txn);
      Status st = r.ok() ? ok_status() : Status(r.error());
      state->result.emplace(std::move(r));
      return st;
    };
    m.done = [state, finish](const Status& st) {
      if (!state->result) finish(st.ok() ? Result<T>(Error::make(ErrorCode::kInternal, "no result")) : Result<T>(st.error()));
      else if (!st.ok() && state->result->ok()) finish(Result<T>(st.error()));
      else finish(std::move(*state->result));
    };
    if (!writer.submit(std::move(m)))
      finish(Result<T>(Error::make(ErrorCode::kBusy, "the engine is saturated; retry shortly")));
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
      std::move(initiation), boost::asio::use_awaitable);
}

}  // namespace orderd::store
