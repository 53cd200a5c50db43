// config.h — every setting of `orderd serve`, `provider-sim` and `check`, and
// how it is read: flags > ORDERD_* environment > --config FILE (JSON) > default.
//
// A FlagSet is a table of flags, each with its default, help line and a
// setter that validates the text; `--help` prints the table, so every flag is
// documented by construction.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace orderd {

struct Config {
  // serve
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:8080";
  int workers = 32;                       // concurrent job handlers (provider calls in flight)
  DurationMs unpaid_timeout_ms = 30 * 60'000;
  DurationMs result_timeout_ms = 3 * 60'000;
  DurationMs attempt_timeout_ms = 60'000;
  int max_attempts = 5;
  int webhook_attempts = 200;  // notify_url deliveries before the job is a dead letter (≈ a day and more)
  DurationMs refund_recheck_ms = 30'000;
  DurationMs scan_interval_ms = 10'000;
  std::string provider = "sim";           // "sim" or "http://HOST:PORT"
  DurationMs sim_latency_ms = 50;
  double sim_fail_rate = 0;
  double sim_timeout_rate = 0;
  uint64_t sim_seed = 0;                  // 0 = seeded from the clock
  std::string notify_secret;              // empty = generated once and kept in the data dir
  std::string webhook_secret;             // empty = same as the notify secret
  std::string admin_token;                // empty = admin endpoints open
  uint64_t map_size = 32ull << 30;        // LMDB map size in bytes
  std::string log_level = "info";
  std::string log_format = "text";
  std::string config_file;
  // provider-sim only
  std::string notify_url;
  // HTTP server limits
  int http_threads = 2;
  size_t max_connections = 10'000;
};

struct Flag {
  std::string name;   // without the leading "--"
  std::string value_name;
  std::string help;
  std::string default_text;
  std::function<Status(const std::string&)> set;
};

class FlagSet {
 public:
  FlagSet(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}
  void add(Flag flag) { flags_.push_back(std::move(flag)); }
  // Applies config file (if --config/ORDERD_CONFIG given), then env, then argv.
  // Errors: kInvalid naming the flag, for unknown flags or bad values.
  Status parse(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  std::string help() const;
  bool help_requested() const { return help_requested_; }
  static std::string env_name(const std::string& flag);

 private:
  Status apply(const std::string& name, const std::string& value, const std::string& source);
  std::string command_, summary_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

// The flag tables of each command, bound to `cfg`.
FlagSet serve_flags(Config& cfg);
FlagSet provider_sim_flags(Config& cfg);
FlagSet check_flags(Config& cfg);

std::map<std::string, std::string> environment_map();

}  // namespace orderd
