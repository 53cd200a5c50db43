// bench_util.h — small helpers shared by the benchmark sections: a temp data
// dir removed at the end, time budgets, the result table, the final
// `key=value` line, and memory figures from /proc/self/status.
//
// Thread model: Figures and the printing helpers belong to main's thread; the
// sections' worker threads only return numbers.
// Invariants:
//   (1) Every data dir lives under /tmp and is removed when its TempDir ends.
//   (2) Every section is bounded by a time budget (bench_seconds()).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace orderd::bench {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

inline uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Seconds each measured section runs (ORDERD_BENCH_SECONDS, default 2).
inline double bench_seconds() { return static_cast<double>(env_u64("ORDERD_BENCH_SECONDS", 2)); }

struct TempDir {
  std::string path;
  explicit TempDir(const char* name) {
    std::string tmpl = std::string("/tmp/orderd_bench_") + name + "_XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// The final line: `key=value key=value ...`, in insertion order.
class Figures {
 public:
  void add(const std::string& key, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, value == static_cast<double>(static_cast<int64_t>(value)) ? "%.0f" : "%.3f", value);
    kv_.emplace_back(key, buf);
  }
  void add(const std::string& key, const std::string& value) { kv_.emplace_back(key, value); }
  std::string line() const {
    std::string out;
    for (const auto& [k, v] : kv_) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> kv_;
};

// One row of the printed table.
inline void row(const char* section, const std::string& what, const std::string& figure) {
  std::printf("%-14s %-58s %s\n", section, what.c_str(), figure.c_str());
  std::fflush(stdout);
}

inline std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

struct Memory {
  uint64_t rss_anon_kb = 0;  // the process's own memory (GUIDE: report beside VmRSS)
  uint64_t vm_rss_kb = 0;    // includes LMDB's mapped file pages (page cache)
};

inline Memory read_memory() {
  Memory m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) m.rss_anon_kb = std::strtoull(line.c_str() + 8, nullptr, 10);
    if (line.rfind("VmRSS:", 0) == 0) m.vm_rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return m;
}

// Sections in timer_bench.cpp (need the timer module).
void run_timer_sections(Figures& figures);
// `orderd_bench --timer-ready DIR`: a fresh process opens DIR, starts a
// TimerService, waits for ready() and prints `ready_ms= rss_anon_kb= vm_rss_kb=`.
int timer_ready_child(const std::string& dir);

}  // namespace orderd::bench
