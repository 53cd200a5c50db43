// env_test.cpp — the LMDB environment, RAII transactions, cursors over
// big-endian keys, and the msgpack value encoding (src/store/env.*, keys.h).
//
// Thread model: single-threaded; each test owns a fresh temp data dir.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/keys.h"
#include "store_test_util.h"

using namespace orderd;
using namespace orderd::store;
using orderd::store::testing::TempDir;

namespace {

std::shared_ptr<Env> open_env(const std::string& dir) { return testing::open_env(dir, 64ull << 20); }

}  // namespace

TEST_CASE("env: open creates the dir and every table", "[store]") {
  TempDir tmp("orderd_env_test");
  const std::string dir = tmp.path + "/nested/data";
  auto env = open_env(dir);
  CHECK(std::filesystem::exists(dir + "/data.mdb"));
  for (const char* name : kTables) CHECK_NOTHROW(env->table(name));
  CHECK_THROWS_AS(env->table("no_such_table"), std::logic_error);
  auto [used, map] = env->usage();
  CHECK(used > 0);
  CHECK(map == 64ull << 20);
}

TEST_CASE("env: a committed write is visible, an aborted one is not", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  {
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(jobs, "a", "1").ok());
    CHECK(txn.get(jobs, "a") == std::optional<std::string_view>("1"));  // own writes are visible
    REQUIRE(txn.commit().ok());
  }
  {
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(jobs, "b", "2").ok());
    // destroyed without commit: aborted
  }
  {
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(jobs, "c", "3").ok());
    txn.abort();
    CHECK_FALSE(txn.commit().ok());  // a finished txn cannot commit
  }
  ReadTxn read(*env);
  CHECK(read.get(jobs, "a") == std::optional<std::string_view>("1"));
  CHECK_FALSE(read.get(jobs, "b").has_value());
  CHECK_FALSE(read.get(jobs, "c").has_value());
  CHECK(read.count(jobs) == 1);
}

TEST_CASE("env: a read txn is a snapshot", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  ReadTxn before(*env);
  {
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(jobs, "k", "v").ok());
    REQUIRE(txn.commit().ok());
  }
  CHECK_FALSE(before.get(jobs, "k").has_value());
  ReadTxn after(*env);
  CHECK(after.get(jobs, "k").has_value());
}

TEST_CASE("env: del reports whether the key existed", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  WriteTxn txn(*env, nullptr);
  REQUIRE(txn.put(jobs, "k", "v").ok());
  auto first = txn.del(jobs, "k");
  REQUIRE(first.ok());
  CHECK(first.value() == true);
  auto second = txn.del(jobs, "k");
  REQUIRE(second.ok());
  CHECK(second.value() == false);
  CHECK_FALSE(txn.failed());
  REQUIRE(txn.commit().ok());
}

TEST_CASE("env: a failed put poisons the txn; commit reports it and writes nothing", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  {
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(jobs, "k", "old").ok());
    REQUIRE(txn.commit().ok());
  }
  WriteTxn txn(*env, nullptr);
  REQUIRE(txn.put(jobs, "fresh", "x").ok());
  Status dup = txn.put(jobs, "k", "new", MDB_NOOVERWRITE);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == ErrorCode::kIo);
  CHECK(txn.failed());
  CHECK_FALSE(txn.put(jobs, "later", "y").ok());  // poisoned: further writes refused
  Status st = txn.commit();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("put") != std::string::npos);
  ReadTxn read(*env);
  CHECK(read.get(jobs, "k") == std::optional<std::string_view>("old"));
  CHECK_FALSE(read.get(jobs, "fresh").has_value());
  CHECK_FALSE(read.get(jobs, "later").has_value());
}

TEST_CASE("env: a nested txn commits into its parent or rolls back alone", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  WriteTxn top(*env, nullptr);
  {
    WriteTxn child(*env, top.raw());
    REQUIRE(child.put(jobs, "kept", "1").ok());
    REQUIRE(child.commit().ok());
  }
  {
    WriteTxn child(*env, top.raw());
    REQUIRE(child.put(jobs, "dropped", "2").ok());
    child.abort();
  }
  CHECK(top.get(jobs, "kept").has_value());
  CHECK_FALSE(top.get(jobs, "dropped").has_value());
  REQUIRE(top.commit().ok());
  ReadTxn read(*env);
  CHECK(read.get(jobs, "kept").has_value());
  CHECK_FALSE(read.get(jobs, "dropped").has_value());
}

TEST_CASE("env: next_id without an id source is a logic error", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  WriteTxn txn(*env, nullptr);
  CHECK_THROWS_AS(txn.next_id(), std::logic_error);
  uint64_t n = 41;
  txn.set_id_source([&] { return ++n; });
  CHECK(txn.next_id() == 42);
}

TEST_CASE("keys: u64 keys are big-endian and round-trip", "[store]") {
  CHECK(u64_key(0x0102030405060708ull) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 0xffffffffull, 1'700'000'180'000ull, ~0ull})
    CHECK(read_u64(u64_key(v)) == v);
  std::string two = u64_key(7) + u64_key(9);
  CHECK(read_u64(two, 8) == 9);
  CHECK(pair_key("paid", "rc_1") == std::string("paid\0rc_1", 9));
}

TEST_CASE("env: cursor order of big-endian keys is numeric order", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi due = env->table("timers_due");
  // Values chosen so that little-endian or decimal text would sort differently.
  std::vector<uint64_t> values = {0, 1, 2, 9, 10, 255, 256, 257, 65535, 65536, 1ull << 32, (1ull << 40) + 3,
                                  1'700'000'000'000ull, 1'700'000'180'000ull, ~0ull - 1, ~0ull};
  std::vector<uint64_t> shuffled = values;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  {
    WriteTxn txn(*env, nullptr);
    for (uint64_t v : shuffled) REQUIRE(txn.put(due, u64_key(v) + u64_key(v ^ 0xff), std::to_string(v)).ok());
    REQUIRE(txn.commit().ok());
  }
  ReadTxn read(*env);
  std::vector<uint64_t> seen;
  auto cur = read.cursor(due);
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    REQUIRE(cur.key().size() == 16);
    seen.push_back(read_u64(cur.key()));
    CHECK(cur.value() == std::to_string(seen.back()));
  }
  CHECK(seen == values);

  // seek finds the first key >= the probe (a due-time prefix).
  REQUIRE(cur.seek(u64_key(257)));
  CHECK(read_u64(cur.key()) == 257);
  REQUIRE(cur.seek(u64_key(258)));
  CHECK(read_u64(cur.key()) == 65535);
  REQUIRE(cur.prev());
  CHECK(read_u64(cur.key()) == 257);
  REQUIRE(cur.last());
  CHECK(read_u64(cur.key()) == ~0ull);
  CHECK_FALSE(cur.next());
  CHECK_FALSE(cur.valid());
}

TEST_CASE("env: cursor del removes the current item", "[store]") {
  TempDir tmp("orderd_env_test");
  auto env = open_env(tmp.path);
  const MDB_dbi jobs = env->table("jobs");
  WriteTxn txn(*env, nullptr);
  for (uint64_t i = 0; i < 10; ++i) REQUIRE(txn.put(jobs, u64_key(i), "v").ok());
  {
    auto cur = txn.cursor(jobs);
    for (bool ok = cur.first(); ok; ok = cur.next())
      if (read_u64(cur.key()) % 2 == 0) REQUIRE(cur.del() == 0);
  }
  CHECK(txn.count(jobs) == 5);
  CHECK_FALSE(txn.get(jobs, u64_key(4)).has_value());
  CHECK(txn.get(jobs, u64_key(5)).has_value());
}

TEST_CASE("env: msgpack encode/decode round-trips JSON values", "[store]") {
  Json order = {{"id", "rc_00018f2a3b4c0001"},
                {"amount", 1999},
                {"big", 9'007'199'254'740'993ull},
                {"negative", -42},
                {"ratio", 0.25},
                {"paid", true},
                {"note", nullptr},
                {"tags", Json::array({"a", "b"})},
                {"nested", {{"k", "v"}}},
                {"utf8", "充值"}};
  std::string bytes = encode(order);
  CHECK(bytes.size() < order.dump().size());  // binary, not JSON text
  auto back = decode(bytes);
  REQUIRE(back.has_value());
  CHECK(*back == order);
  CHECK((*back)["big"].get<uint64_t>() == 9'007'199'254'740'993ull);
}

TEST_CASE("env: decode of garbage or truncated bytes returns nullopt", "[store]") {
  std::string bytes = encode(Json{{"key", "value"}, {"n", 12345}});
  CHECK_FALSE(decode(bytes.substr(0, bytes.size() - 3)).has_value());
  CHECK_FALSE(decode(std::string("\xc1", 1)).has_value());  // never-used msgpack byte
  CHECK_FALSE(decode(bytes + "x").has_value());             // trailing bytes (strict)
}

TEST_CASE("env: get_json reads what put_json wrote; data survives a reopen", "[store]") {
  TempDir tmp("orderd_env_test");
  Json value = {{"status", "paid"}, {"amount", 500}};
  {
    auto env = open_env(tmp.path);
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put_json(env->table("recharges"), "rc_1", value).ok());
    REQUIRE(txn.commit().ok());
  }
  auto env = open_env(tmp.path);
  ReadTxn read(*env);
  CHECK(read.get_json(env->table("recharges"), "rc_1") == std::optional<Json>(value));
  CHECK_FALSE(read.get_json(env->table("recharges"), "rc_2").has_value());
}

TEST_CASE("env: a read-only env reads but cannot write", "[store]") {
  TempDir tmp("orderd_env_test");
  {
    auto env = open_env(tmp.path);
    WriteTxn txn(*env, nullptr);
    REQUIRE(txn.put(env->table("meta"), "k", "v").ok());
    REQUIRE(txn.commit().ok());
  }
  EnvOptions opts;
  opts.dir = tmp.path;
  opts.map_size = 64ull << 20;
  opts.read_only = true;
  auto env = Env::open(opts);
  REQUIRE(env.ok());
  ReadTxn read(*env.value());
  CHECK(read.get(env.value()->table("meta"), "k") == std::optional<std::string_view>("v"));
  WriteTxn txn(*env.value(), nullptr);
  CHECK(txn.failed());
  CHECK_FALSE(txn.commit().ok());
}

TEST_CASE("env: opening a path that is a file fails with kIo", "[store]") {
  TempDir tmp("orderd_env_test");
  const std::string file = tmp.path + "/plain";
  FILE* f = fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  fclose(f);
  EnvOptions opts;
  opts.dir = file;
  auto env = Env::open(opts);
  REQUIRE_FALSE(env.ok());
  CHECK(env.error().code == ErrorCode::kIo);
}
