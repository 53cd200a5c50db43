// waiters.cpp — see waiters.h for the epoch protocol and invariants.
//
// Each waiter's completion is a steady_timer wait on the caller's executor.
// The timer is armed inside the async_initiate initiation while mu_ is held,
// so wake() (which also holds mu_) can never cancel a timer whose wait has
// not started yet: that ordering is what makes a cancel never get lost.
// The map holds weak_ptrs: a waiter lives as long as its pending timer
// handler, so an io_context destroyed with waits pending frees them.
#include "http/waiters.h"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <string_view>

namespace orderd::http {

namespace asio = boost::asio;

struct Waiters::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  bool woken = false;  // guarded by Waiters::mu_
};

Waiters::~Waiters() = default;

uint64_t Waiters::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

size_t Waiters::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

namespace {
uint64_t key_hash(const std::string& key) { return std::hash<std::string_view>{}(key); }
}  // namespace

bool Waiters::woken_since_locked(const std::string& key, uint64_t seen_epoch) const {
  if (epoch_ - seen_epoch > kMaxRemembered) return true;   // may have been forgotten: wake conservatively
  const uint64_t h = key_hash(key);
  for (uint64_t e = seen_epoch + 1; e <= epoch_; ++e)
    if (ring_[e % kMaxRemembered] == h) return true;  // invariant 2: a collision only wakes early
  return false;
}

void Waiters::remove_locked(const std::string& key, const Waiter* waiter) {
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(),
                          [&](const std::weak_ptr<Waiter>& w) { return w.lock().get() == waiter; });
  if (pos != list.end()) {
    list.erase(pos);
    --count_;
  }
  if (list.empty()) waiting_.erase(it);
}

asio::awaitable<bool> Waiters::wait(std::string key, DurationMs timeout) {
  co_return co_await wait(std::move(key), epoch(), timeout);
}

asio::awaitable<bool> Waiters::wait(std::string key, uint64_t seen_epoch, DurationMs timeout) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(std::chrono::milliseconds(std::max<DurationMs>(timeout, 0)));
  auto initiation = [this, &key, seen_epoch, waiter](auto handler) {
    std::unique_lock lock(mu_);
    if (woken_since_locked(key, seen_epoch)) {
      lock.unlock();
      auto ex = asio::get_associated_executor(handler, waiter->timer.get_executor());
      asio::post(ex, [h = std::move(handler)]() mutable { h(true); });
      return;
    }
    waiting_[key].push_back(waiter);
    ++count_;
    waiter->timer.async_wait([this, key, waiter, h = std::move(handler)](const boost::system::error_code&) mutable {
      bool woken;
      {
        std::lock_guard inner(mu_);
        woken = waiter->woken;
        if (!woken) remove_locked(key, waiter.get());  // timed out: wake() did not take it
      }
      h(woken);
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(initiation,
                                                                                      asio::use_awaitable);
}

void Waiters::wake(const std::string& key) {
  std::vector<std::shared_ptr<Waiter>> to_cancel;  // keeps each timer alive while cancelled
  {
    std::lock_guard lock(mu_);
    ++epoch_;
    ring_[epoch_ % kMaxRemembered] = key_hash(key);  // invariant 1
    if (waiting_.empty()) return;
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    for (auto& weak : it->second) {
      if (auto waiter = weak.lock()) {
        waiter->woken = true;
        to_cancel.push_back(std::move(waiter));
      }
    }
    count_ -= it->second.size();
    waiting_.erase(it);
    // Cancel under the lock: each timer's wait was started under this mutex,
    // and its handler reads `woken` under it, so completion sees true.
    for (auto& waiter : to_cancel) waiter->timer.cancel();
  }
}

}  // namespace orderd::http
