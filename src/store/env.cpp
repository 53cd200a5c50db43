#include "store/env.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <stdexcept>

#include "store/keys.h"

namespace orderd::store {

bool low_on_space(const std::string& dir) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) return false;
  constexpr unsigned long long kMargin = 64ull << 20;  // more than any batch writes
  return static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < kMargin;
}

Error lmdb_error(int rc, std::string_view what) {
  ErrorCode code = ErrorCode::kIo;
  if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == MDB_TXN_FULL) code = ErrorCode::kFull;
  if (rc == MDB_READERS_FULL) code = ErrorCode::kBusy;
  return Error::make(code, std::string(what) + ": " + mdb_strerror(rc));
}

Result<std::shared_ptr<Env>> Env::open(const EnvOptions& opts) {
  std::error_code ec;
  if (!opts.read_only) std::filesystem::create_directories(opts.dir, ec);
  if (ec) return Error::make(ErrorCode::kIo, "cannot create data dir " + opts.dir + ": " + ec.message());
  std::shared_ptr<Env> env(new Env());
  env->dir_ = opts.dir;
  int rc = mdb_env_create(&env->env_);
  if (rc) return lmdb_error(rc, "mdb_env_create");
  mdb_env_set_maxdbs(env->env_, 32);
  mdb_env_set_maxreaders(env->env_, 1024);
  rc = mdb_env_set_mapsize(env->env_, opts.map_size);
  if (rc) return lmdb_error(rc, "mdb_env_set_mapsize");
  unsigned flags = MDB_NOTLS;
  if (opts.read_only) flags |= MDB_RDONLY;
  if (opts.no_sync) flags |= MDB_NOSYNC;
  rc = mdb_env_open(env->env_, opts.dir.c_str(), flags, 0640);
  if (rc) return lmdb_error(rc, "cannot open LMDB in " + opts.dir);
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env->env_, nullptr, opts.read_only ? MDB_RDONLY : 0, &txn);
  if (rc) return lmdb_error(rc, "mdb_txn_begin");
  for (const char* name : kTables) {
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn, name, opts.read_only ? 0 : MDB_CREATE, &dbi);
    if (rc == MDB_NOTFOUND && opts.read_only) continue;  // older data dir: table absent, reads see it empty
    if (rc) {
      mdb_txn_abort(txn);
      return lmdb_error(rc, std::string("mdb_dbi_open ") + name);
    }
    env->tables_.emplace(name, dbi);
  }
  // Commit even when read-only: aborting the txn that opened the handles would
  // close them again (LMDB mdb_dbi_open), leaving every later read on a stale dbi.
  rc = mdb_txn_commit(txn);
  if (rc) return lmdb_error(rc, "creating tables");
  return env;
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
}

MDB_dbi Env::table(std::string_view name) const {
  auto it = tables_.find(name);
  if (it == tables_.end()) throw std::logic_error("unknown table " + std::string(name));
  return it->second;
}

std::pair<uint64_t, uint64_t> Env::usage() const {
  MDB_envinfo info{};
  MDB_stat st{};
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &st);
  return {static_cast<uint64_t>(info.me_last_pgno + 1) * st.ms_psize, static_cast<uint64_t>(info.me_mapsize)};
}

// ---- Cursor ----

Cursor::Cursor(MDB_txn* txn, MDB_dbi dbi) {
  int rc = mdb_cursor_open(txn, dbi, &c_);
  if (rc) throw std::runtime_error(std::string("mdb_cursor_open: ") + mdb_strerror(rc));
}
Cursor::~Cursor() {
  if (c_) mdb_cursor_close(c_);
}
bool Cursor::step(MDB_cursor_op op) {
  valid_ = mdb_cursor_get(c_, &k_, &v_, op) == 0;
  return valid_;
}
bool Cursor::seek(std::string_view key) {
  k_ = {key.size(), const_cast<char*>(key.data())};
  return step(MDB_SET_RANGE);
}
bool Cursor::first() { return step(MDB_FIRST); }
bool Cursor::last() { return step(MDB_LAST); }
bool Cursor::next() { return step(MDB_NEXT); }
bool Cursor::prev() { return step(MDB_PREV); }
int Cursor::del() { return mdb_cursor_del(c_, 0); }

// ---- Txn ----

std::optional<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc) return std::nullopt;
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

std::optional<Json> Txn::get_json(MDB_dbi dbi, std::string_view key) const {
  auto v = get(dbi, key);
  if (!v) return std::nullopt;
  return decode(*v);
}

uint64_t Txn::count(MDB_dbi dbi) const {
  MDB_stat st{};
  mdb_stat(txn_, dbi, &st);
  return st.ms_entries;
}

ReadTxn::ReadTxn(const Env& env) : Txn(&env) {
  int rc = mdb_txn_begin(env.raw(), nullptr, MDB_RDONLY, &txn_);
  if (rc) throw std::runtime_error(std::string("read txn: ") + mdb_strerror(rc));
}
ReadTxn::~ReadTxn() {
  if (txn_) mdb_txn_abort(txn_);
}

WriteTxn::WriteTxn(const Env& env, MDB_txn* parent) : Txn(&env) {
  int rc = mdb_txn_begin(env.raw(), parent, 0, &txn_);
  if (rc) {
    txn_ = nullptr;
    failed_ = lmdb_error(rc, "write txn");
  }
}
WriteTxn::WriteTxn(Borrowed, const WriteTxn& owner) : Txn(owner.env_), borrowed_(true) { txn_ = owner.txn_; }
WriteTxn::~WriteTxn() { abort(); }

Status WriteTxn::fail(int rc, std::string_view what) {
  if (!failed_) failed_ = lmdb_error(rc, what);
  return *failed_;
}

Status WriteTxn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  if (failed_) return *failed_;
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
  int rc = mdb_put(txn_, dbi, &k, &v, flags);
  if (rc) return fail(rc, "put");
  return ok_status();
}

Status WriteTxn::put_json(MDB_dbi dbi, std::string_view key, const Json& value) {
  return put(dbi, key, encode(value));
}

Result<bool> WriteTxn::del(MDB_dbi dbi, std::string_view key) {
  if (failed_) return *failed_;
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc) return fail(rc, "del").error();
  return true;
}

uint64_t WriteTxn::next_id() {
  if (!id_source_) throw std::logic_error("WriteTxn without an id source");
  return id_source_();
}

Status WriteTxn::commit() {
  if (failed_) {
    abort();
    return *failed_;
  }
  if (done_ || !txn_) return Error::make(ErrorCode::kInternal, "commit of a finished txn");
  if (borrowed_) return Error::make(ErrorCode::kInternal, "a mutation's txn is committed by the writer, not by it");
  done_ = true;
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  // LMDB reports a short write (a filesystem that filled up mid-write, e.g.
  // tmpfs) as EIO: with little space left on the data dir's filesystem, it
  // is a full disk (retryable, 503), not a broken one.
  if (rc == EIO && low_on_space(env_->dir())) rc = ENOSPC;
  if (rc) return fail(rc, "commit");
  return ok_status();
}

void WriteTxn::abort() {
  if (!done_ && txn_ && !borrowed_) mdb_txn_abort(txn_);
  done_ = true;
  txn_ = nullptr;
  after_commit_.clear();
}

}  // namespace orderd::store
