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
// Not a coroutine itself (GCC 12 mishandles lambda temporaries captured in
// coroutine frames): it returns the awaitable of an async operation. Callers
// should pass a named lambda, not a temporary built inside the co_await.
template <class T, class Fn>
boost::asio::awaitable<Result<T>> async_commit(Writer& writer, Fn fn) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
      [&writer, fn = std::move(fn)](auto handler) mutable {
        using Handler = decltype(handler);
        struct State {
          std::optional<Result<T>> result;
          std::optional<Handler> handler;
        };
        auto state = std::make_shared<State>();
        state->handler.emplace(std::move(handler));
        auto finish = [state](Result<T> r) {
          auto ex = boost::asio::get_associated_executor(*state->handler);
          boost::asio::post(ex, [state, r = std::move(r)]() mutable { (*state->handler)(std::move(r)); });
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
      },
      boost::asio::use_awaitable);
}

}  // namespace orderd::store
