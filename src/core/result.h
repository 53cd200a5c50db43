// result.h — Error and Result<T>: errors are values on every store, queue,
// timer and order path (GUIDE habit 4). Exceptions live only at the edges.
//
// Thread: plain values; safe to move between threads.
#pragma once
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace orderd {

enum class ErrorCode {
  kInvalid,       // bad input; `field` names the offending field (HTTP 400/422)
  kMalformed,     // unparseable input, e.g. broken JSON (HTTP 400)
  kNotFound,      // no such record (HTTP 404)
  kConflict,      // state does not allow the operation (HTTP 409)
  kUnauthorized,  // missing/bad credentials or signature (HTTP 401)
  kFull,          // LMDB map or disk full; retryable (HTTP 503 + Retry-After)
  kBusy,          // engine saturated / bounded queue full; retryable (HTTP 503)
  kUnavailable,   // starting or draining, or a peer refused/unreachable (HTTP 503)
  kTimeout,       // a call got no answer in time: its outcome is unknown
  kTooLarge,      // body over the limit (HTTP 413)
  kIo,            // unexpected storage error (HTTP 500)
  kInternal,      // a bug (HTTP 500)
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // empty unless the error is about one input field

  static Error invalid(std::string field, std::string message) {
    return {ErrorCode::kInvalid, std::move(message), std::move(field)};
  }
  static Error make(ErrorCode code, std::string message) { return {code, std::move(message), {}}; }
  bool retryable() const { return code == ErrorCode::kFull || code == ErrorCode::kBusy || code == ErrorCode::kUnavailable; }
};

const char* to_string(ErrorCode code);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace orderd
