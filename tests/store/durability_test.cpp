// durability_test.cpp — group commit survives kill -9 (SPEC §2, GUIDE habit 9).
//
// A real child process (fork; it starts its threads only after the fork)
// opens the env on a temp dir and runs a Writer under concurrent load. Each
// mutation takes an id and writes two keys: the record (recharges/id) and its
// index entry (rc_status/"pending"\0id). After a mutation's completion runs,
// the child reports its id to the parent over a pipe. The parent SIGKILLs the
// child at a random moment, reopens the same data dir and checks:
//   (1) every acknowledged id is present (lost = 0);
//   (2) every record has its index entry and vice versa, and the record's
//       bytes are whole (no partial mutation, no partial batch);
//   (3) ids are unique and increasing across restarts: acknowledgements come
//       in strictly increasing order over all cycles, and every record new in
//       a cycle is above every record of the cycles before.
// ORDERD_KILL_CYCLES (default 20) and ORDERD_KILL_SEED make longer or
// replayed runs.
//
// Thread model: the parent is single-threaded; the child runs a Writer plus
// kClients submitter threads and never returns (it is killed, or _exits on a
// broken invariant of its own).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <semaphore>
#include <set>
#include <thread>
#include <vector>

#include "store/keys.h"
#include "store_test_util.h"
#include "store/writer.h"

using namespace orderd;
using namespace orderd::store;
using orderd::store::testing::TempDir;

namespace {

constexpr int kClients = 4;
constexpr int kWindowPerClient = 16;  // mutations in flight per client thread
constexpr int kChildFailed = 3;       // child exit code when it cannot run at all


uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// The record's bytes are a function of its id, so a torn or mixed-up value
// is detectable: 8-byte id, then (id % 1000 + 24) filler bytes.
std::string record_value(uint64_t id) {
  std::string v = u64_key(id);
  v.append(id % 1000 + 24, static_cast<char>('a' + id % 26));
  return v;
}

std::string index_key(uint64_t id) { return pair_key("pending", u64_key(id)); }

// ---- the child ----

[[noreturn]] void run_child(const std::string& dir, int ack_fd) {
  EnvOptions opts;
  opts.dir = dir;
  opts.map_size = 1ull << 30;
  auto env = Env::open(opts);
  if (!env) _exit(kChildFailed);
  Writer writer(env.value(), SystemClock::instance());
  const MDB_dbi records = env.value()->table("recharges");
  const MDB_dbi index = env.value()->table("rc_status");

  auto client = [&] {
    std::counting_semaphore<kWindowPerClient> window(kWindowPerClient);
    for (;;) {
      window.acquire();
      auto id = std::make_shared<uint64_t>(0);
      Mutation m;
      m.apply = [id, records, index](WriteTxn& txn) -> Status {
        *id = txn.next_id();
        if (Status st = txn.put(records, u64_key(*id), record_value(*id)); !st) return st;
        return txn.put(index, index_key(*id), "");
      };
      m.done = [id, ack_fd, &window](const Status& st) {
        if (st && write(ack_fd, id.get(), sizeof(uint64_t)) != sizeof(uint64_t)) _exit(kChildFailed);
        window.release();
      };
      if (!writer.submit(std::move(m))) {
        window.release();
        std::this_thread::yield();
      }
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back(client);
  for (auto& c : clients) c.join();  // never: the parent kills us
  _exit(kChildFailed);
}

// ---- the parent ----

// Reads 8-byte ids from fd until `deadline` (or EOF when deadline is null).
void read_acks(int fd, std::string& carry, std::vector<uint64_t>& acks,
               std::optional<std::chrono::steady_clock::time_point> deadline) {
  char buf[8192];
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    int pr = poll(&p, 1, timeout_ms);
    if (pr == 0) return;  // deadline
    if (pr < 0 && errno == EINTR) continue;
    REQUIRE(pr > 0);
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n >= 0);
    if (n == 0) return;  // EOF: the child is gone
    carry.append(buf, static_cast<size_t>(n));
    size_t whole = carry.size() / 8 * 8;
    for (size_t off = 0; off < whole; off += 8) {
      uint64_t id;
      std::memcpy(&id, carry.data() + off, 8);
      acks.push_back(id);
    }
    carry.erase(0, whole);
  }
}

struct Totals {
  uint64_t acknowledged = 0, lost = 0, partial = 0, vanished = 0, out_of_order = 0;
  uint64_t last_acked = 0;     // acknowledgements increase strictly over all cycles
  std::set<uint64_t> present;  // record ids seen after the previous cycle
};

// Reopens the data dir and checks invariants (1)–(3) for one cycle's acks.
void verify_cycle(const std::string& dir, const std::vector<uint64_t>& acks, Totals& totals) {
  EnvOptions opts;
  opts.dir = dir;
  opts.map_size = 1ull << 30;
  auto env = Env::open(opts);
  REQUIRE(env.ok());
  ReadTxn read(*env.value());
  const MDB_dbi records = env.value()->table("recharges");
  const MDB_dbi index = env.value()->table("rc_status");

  std::set<uint64_t> present;
  auto cur = read.cursor(records);
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    if (cur.key().size() != 8) {
      totals.partial++;
      continue;
    }
    uint64_t id = read_u64(cur.key());
    present.insert(id);
    if (cur.value() != record_value(id) || !read.get(index, index_key(id))) totals.partial++;
  }
  if (read.count(index) != present.size()) totals.partial++;  // an index entry without its record

  const uint64_t previous_max = totals.present.empty() ? 0 : *totals.present.rbegin();
  for (uint64_t id : totals.present)
    if (!present.count(id)) totals.vanished++;  // a record once durable is gone
  // Every new record is above every old one: the new ones are exactly those above the old max.
  CHECK(present.size() - totals.present.size() ==
        static_cast<size_t>(std::distance(present.upper_bound(previous_max), present.end())));

  for (uint64_t id : acks) {
    if (id <= totals.last_acked) totals.out_of_order++;
    totals.last_acked = std::max(totals.last_acked, id);
    if (!present.count(id)) totals.lost++;
  }
  totals.acknowledged += acks.size();
  totals.present = std::move(present);
}

}  // namespace

TEST_CASE("durability: acknowledged mutations survive SIGKILL at random moments", "[store]") {
  const uint64_t cycles = env_u64("ORDERD_KILL_CYCLES", 20);
  const uint64_t seed = env_u64("ORDERD_KILL_SEED", std::random_device{}());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_ms(5, 200);
  TempDir tmp("orderd_durability_test");
  const std::string dir = tmp.path + "/data";
  Totals totals;
  uint64_t killed_while_running = 0;

  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::fflush(nullptr);  // nothing buffered is duplicated into the child
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      run_child(dir, fds[1]);
    }
    close(fds[1]);
    std::vector<uint64_t> acks;
    std::string carry;
    auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms(rng));
    read_acks(fds[0], carry, acks, kill_at);
    REQUIRE(kill(pid, SIGKILL) == 0);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    INFO("cycle " << cycle << " seed " << seed << " child status " << wstatus);
    REQUIRE(WIFSIGNALED(wstatus));  // the child did not give up by itself
    REQUIRE(WTERMSIG(wstatus) == SIGKILL);
    read_acks(fds[0], carry, acks, std::nullopt);  // acks written before death
    close(fds[0]);
    CHECK(carry.empty());
    if (!acks.empty()) killed_while_running++;
    verify_cycle(dir, acks, totals);
  }
  std::printf("durability: seed=%llu cycles=%llu killed_while_acking=%llu acknowledged=%llu records=%zu lost=%llu "
              "partial=%llu out_of_order=%llu\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(cycles),
              static_cast<unsigned long long>(killed_while_running),
              static_cast<unsigned long long>(totals.acknowledged), totals.present.size(),
              static_cast<unsigned long long>(totals.lost), static_cast<unsigned long long>(totals.partial),
              static_cast<unsigned long long>(totals.out_of_order));
  CHECK(totals.lost == 0);
  CHECK(totals.partial == 0);
  CHECK(totals.vanished == 0);
  CHECK(totals.out_of_order == 0);
  CHECK(totals.acknowledged > 0);
  CHECK(killed_while_running * 2 >= cycles);  // most kills hit a writer under load
}
