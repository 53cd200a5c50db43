// env.h — the LMDB environment and RAII transactions.
//
// Owns: the MDB_env and the table handles (opened once at start, see keys.h).
// Thread model: the Env is shared by all threads. ReadTxn may be created on any
// thread (MDB_NOTLS), but must stay within one synchronous step: never carry
// one across a co_await. WriteTxn exists only on the writer thread (writer.h).
// Invariants:
//   (1) No string_view returned by a txn outlives that txn.
//   (2) A WriteTxn whose put/del failed is poisoned: failed() stays true and
//       the writer aborts it instead of committing.
#pragma once
#include <lmdb.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace orderd::store {

using Json = nlohmann::json;
class Writer;

struct EnvOptions {
  std::string dir;
  uint64_t map_size = 32ull << 30;
  bool read_only = false;
  bool no_sync = false;  // benchmarks of the raw write path only; never for serve
};

class Env {
 public:
  // Errors: kIo with LMDB's message (missing dir is created).
  static Result<std::shared_ptr<Env>> open(const EnvOptions& opts);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* raw() const { return env_; }
  // REQUIRES: name is one of kTables.
  MDB_dbi table(std::string_view name) const;
  // Bytes used by the map (last page number × page size) and the map size.
  std::pair<uint64_t, uint64_t> usage() const;
  const std::string& dir() const { return dir_; }

 private:
  Env() = default;
  MDB_env* env_ = nullptr;
  std::map<std::string, MDB_dbi, std::less<>> tables_;
  std::string dir_;
};

Error lmdb_error(int rc, std::string_view what);
// True when the filesystem holding `dir` has less than 64 MiB available
// (a commit's EIO there is a full disk, not a broken one).
bool low_on_space(const std::string& dir);

// Forward iteration helper over a table. Thread: the txn's thread.
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  bool seek(std::string_view key);  // first key >= key
  bool first();
  bool last();
  bool next();
  bool prev();
  bool valid() const { return valid_; }
  std::string_view key() const { return {static_cast<const char*>(k_.mv_data), k_.mv_size}; }
  std::string_view value() const { return {static_cast<const char*>(v_.mv_data), v_.mv_size}; }
  // Deletes the current item (write txns only).
  int del();

 private:
  bool step(MDB_cursor_op op);
  MDB_cursor* c_ = nullptr;
  MDB_val k_{}, v_{};
  bool valid_ = false;
};

class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  virtual ~Txn() = default;
  MDB_txn* raw() const { return txn_; }
  const Env& env() const { return *env_; }
  MDB_dbi table(std::string_view name) const { return env_->table(name); }
  // View valid until the txn ends (invariant 1).
  std::optional<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
  std::optional<Json> get_json(MDB_dbi dbi, std::string_view key) const;
  Cursor cursor(MDB_dbi dbi) const { return Cursor(txn_, dbi); }
  uint64_t count(MDB_dbi dbi) const;

 protected:
  Txn(const Env* env) : env_(env) {}
  const Env* env_;
  MDB_txn* txn_ = nullptr;
};

// A read-only snapshot. Thread: the creating thread, one synchronous step.
class ReadTxn final : public Txn {
 public:
  // Errors are rare (reader table full); they throw std::runtime_error,
  // caught at the edges, because no caller can do better than fail the request.
  explicit ReadTxn(const Env& env);
  ~ReadTxn() override;
};

// A write transaction. Created only by the Writer (one per mutation, nested in
// the batch's transaction) and by tests/tools that own the environment.
class WriteTxn final : public Txn {
 public:
  // parent == nullptr: a top-level write txn.
  WriteTxn(const Env& env, MDB_txn* parent);
  ~WriteTxn() override;  // aborts unless committed

  [[nodiscard]] Status put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  [[nodiscard]] Status put_json(MDB_dbi dbi, std::string_view key, const Json& value);
  // Returns true if the key existed.
  [[nodiscard]] Result<bool> del(MDB_dbi dbi, std::string_view key);
  // Runs after the whole batch is durable (on the writer thread: keep it cheap,
  // post real work elsewhere). Dropped if this mutation or the batch aborts.
  void after_commit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  // A fresh id, unique and increasing across restarts (see Writer).
  uint64_t next_id();

  bool failed() const { return failed_.has_value(); }
  const Error& failure() const { return *failed_; }
  // Errors: kFull (MDB_MAP_FULL), kIo.
  [[nodiscard]] Status commit();
  void abort();
  std::vector<std::function<void()>> take_after_commit() { return std::move(after_commit_); }
  void set_id_source(std::function<uint64_t()> f) { id_source_ = std::move(f); }

 private:
  friend class Writer;
  struct Borrowed {};
  // A view sharing `owner`'s MDB_txn (the Writer's flat batch mode): writes go
  // straight into the owner; the view never commits or aborts that txn.
  WriteTxn(Borrowed, const WriteTxn& owner);

  Status fail(int rc, std::string_view what);
  std::optional<Error> failed_;
  bool done_ = false;
  bool borrowed_ = false;  // true: txn_ belongs to another WriteTxn
  std::vector<std::function<void()>> after_commit_;
  std::function<uint64_t()> id_source_;
};

// msgpack <-> JSON for stored values.
// An integer field of a stored JSON row. Throws std::invalid_argument when it
// is not an integer: get<int64_t>() on a float would be undefined behaviour
// for NaN or out-of-range values (found by fuzzing damaged legacy rows).
template <class T>
T json_int(const Json& v) {
  if (!v.is_number_integer()) throw std::invalid_argument("not an integer");
  return v.get<T>();
}

// The same for an optional integer field: `fallback` when `j` has no `key`.
template <class T>
T json_int_or(const Json& j, const char* key, T fallback) {
  if (!j.is_object()) throw std::invalid_argument("not an object");
  auto it = j.find(key);
  return it == j.end() ? fallback : json_int<T>(*it);
}

std::string encode(const Json& j);
std::optional<Json> decode(std::string_view bytes);

}  // namespace orderd::store
