#include "core/config.h"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/duration.h"

extern char** environ;

namespace orderd {

namespace {

Status bad(const std::string& flag, const std::string& why) { return Error::invalid(flag, "--" + flag + ": " + why); }

Flag duration_flag(const std::string& name, DurationMs* target, const std::string& help) {
  return {name, "DURATION", help, format_duration(*target), [name, target](const std::string& v) -> Status {
            auto d = parse_duration(v);
            if (!d) return bad(name, d.error().message);
            *target = *d;
            return ok_status();
          }};
}

Flag string_flag(const std::string& name, std::string* target, const std::string& help, std::string shown = "") {
  return {name, "TEXT", help, shown.empty() ? *target : shown, [target](const std::string& v) -> Status {
            *target = v;
            return ok_status();
          }};
}

template <class Int>
Flag int_flag(const std::string& name, Int* target, Int min, Int max, const std::string& help) {
  return {name, "N", help, std::to_string(*target), [=](const std::string& v) -> Status {
            Int n{};
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || p != v.data() + v.size()) return bad(name, "expected an integer, got '" + v + "'");
            if (n < min || n > max) return bad(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
            *target = n;
            return ok_status();
          }};
}

Flag rate_flag(const std::string& name, double* target, const std::string& help) {
  std::ostringstream shown;
  shown << *target;
  return {name, "RATE", help, shown.str(), [=](const std::string& v) -> Status {
            try {
              size_t used = 0;
              double d = std::stod(v, &used);
              if (used != v.size() || !(d >= 0 && d <= 1)) return bad(name, "must be a number from 0 to 1");
              *target = d;
              return ok_status();
            } catch (...) {
              return bad(name, "must be a number from 0 to 1");
            }
          }};
}

Flag choice_flag(const std::string& name, std::string* target, std::vector<std::string> choices, const std::string& help) {
  return {name, "WORD", help, *target, [=](const std::string& v) -> Status {
            for (auto& c : choices)
              if (c == v) { *target = v; return ok_status(); }
            std::string all;
            for (auto& c : choices) all += (all.empty() ? "" : "|") + c;
            return bad(name, "must be one of " + all);
          }};
}

void add_sim_flags(FlagSet& fs, Config& c) {
  fs.add(duration_flag("sim-latency", &c.sim_latency_ms, "simulated provider: latency of every call"));
  fs.add(rate_flag("sim-fail-rate", &c.sim_fail_rate, "simulated provider: share of calls answered 503 without doing anything (retryable)"));
  fs.add(rate_flag("sim-timeout-rate", &c.sim_timeout_rate, "simulated provider: share of calls done but answered too late (outcome unknown)"));
  fs.add(int_flag<uint64_t>("sim-seed", &c.sim_seed, 0, UINT64_MAX, "simulated provider: random seed (0 = from the clock)"));
}

void add_log_flags(FlagSet& fs, Config& c) {
  fs.add(choice_flag("log-level", &c.log_level, {"trace", "debug", "info", "warn", "error", "off"}, "log level"));
  fs.add(choice_flag("log-format", &c.log_format, {"text", "json"}, "log format: text, or one JSON object per line"));
}

}  // namespace

std::string FlagSet::env_name(const std::string& flag) {
  std::string e = "ORDERD_";
  for (char ch : flag) e += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return e;
}

Status FlagSet::apply(const std::string& name, const std::string& value, const std::string& source) {
  for (auto& f : flags_) {
    if (f.name != name) continue;
    auto st = f.set(value);
    if (!st && source != "flag") {
      Error e = st.error();
      e.message += " (from " + source + ")";
      return e;
    }
    return st;
  }
  return Error::invalid(name, "unknown flag --" + name + " (see " + command_ + " --help)");
}

Status FlagSet::parse(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  // Pass 1: split argv into name/value pairs.
  std::vector<std::pair<std::string, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") { help_requested_ = true; continue; }
    if (a.rfind("--", 0) != 0) return Error::invalid(a, "unexpected argument '" + a + "' (see " + command_ + " --help)");
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) return Error::invalid(name, "--" + name + " needs a value");
      value = args[++i];
    }
    given.emplace_back(name, value);
  }
  if (help_requested_) return ok_status();
  // The config file, named by flag or environment, is applied first (lowest precedence).
  std::string config_file;
  if (auto it = env.find("ORDERD_CONFIG"); it != env.end()) config_file = it->second;
  for (auto& [n, v] : given)
    if (n == "config") config_file = v;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return Error::invalid("config", "--config: cannot read " + config_file);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error::invalid("config", "--config: " + config_file + " is not a JSON object");
    for (auto& [k, v] : j.items()) {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      auto st = apply(k, text, "config file " + config_file);
      if (!st) return st;
    }
  }
  for (auto& f : flags_) {
    if (f.name == "config") continue;
    if (auto it = env.find(env_name(f.name)); it != env.end()) {
      auto st = apply(f.name, it->second, "environment " + env_name(f.name));
      if (!st) return st;
    }
  }
  for (auto& [n, v] : given) {
    auto st = apply(n, v, "flag");
    if (!st) return st;
  }
  return ok_status();
}

std::string FlagSet::help() const {
  std::ostringstream out;
  out << "usage: orderd " << command_ << " [flags]\n\n" << summary_ << "\n\nflags (precedence: flag > environment > --config file > default):\n";
  for (auto& f : flags_) {
    std::string left = "  --" + f.name + " " + f.value_name;
    out << left << std::string(left.size() < 30 ? 30 - left.size() : 1, ' ') << f.help;
    if (!f.default_text.empty()) out << " (default " << f.default_text << ")";
    out << "  [" << env_name(f.name) << "]\n";
  }
  out << "  --help                      this text\n";
  return out.str();
}

FlagSet serve_flags(Config& c) {
  FlagSet fs("serve", "Runs the order service: HTTP API, durable queue, timers, workers, status page.");
  fs.add(string_flag("data", &c.data_dir, "data directory (one LMDB environment)"));
  fs.add(string_flag("listen", &c.listen, "HTTP listen address HOST:PORT"));
  fs.add(int_flag<int>("workers", &c.workers, 1, 4096, "job handlers running at once (provider calls in flight)"));
  fs.add(duration_flag("unpaid-timeout", &c.unpaid_timeout_ms, "purchase orders not paid by then are closed"));
  fs.add(duration_flag("result-timeout", &c.result_timeout_ms, "a recharge must reach a result within this time of creation"));
  fs.add(duration_flag("attempt-timeout", &c.attempt_timeout_ms, "longest single provider attempt"));
  fs.add(int_flag<int>("max-attempts", &c.max_attempts, 1, 1000, "recharge attempts before the order fails"));
  fs.add(int_flag<int>("webhook-attempts", &c.webhook_attempts, 1, 100000,
                       "notify_url deliveries (back-off capped at 10 min) before the job becomes a dead letter"));
  fs.add(duration_flag("refund-recheck", &c.refund_recheck_ms, "delay between checks of a refund waiting for fulfilment steps"));
  fs.add(duration_flag("scan-interval", &c.scan_interval_ms, "period of the reconciler that re-queues stuck refunds"));
  fs.add(string_flag("provider", &c.provider, "provider: sim (in-process simulator) or http://HOST:PORT"));
  add_sim_flags(fs, c);
  fs.add(string_flag("notify-secret", &c.notify_secret, "HMAC secret of payment notifications (unset: generated once, kept in the data dir)", "generated"));
  fs.add(string_flag("webhook-secret", &c.webhook_secret, "HMAC secret for signing notify_url callbacks (unset: the notify secret)", "notify secret"));
  fs.add(string_flag("admin-token", &c.admin_token, "bearer token required by admin endpoints (unset: open)", "none"));
  fs.add({"map-size", "SIZE", "LMDB map size (address space reserved, not disk)", "32GiB", [&c](const std::string& v) -> Status {
            auto s = parse_size(v);
            if (!s || *s < (1u << 20)) return bad("map-size", "expected a size of at least 1MiB such as 64MiB or 32GiB");
            c.map_size = *s;
            return ok_status();
          }});
  add_log_flags(fs, c);
  fs.add(string_flag("config", &c.config_file, "JSON file of settings, keys are flag names without --", "none"));
  return fs;
}

FlagSet provider_sim_flags(Config& c) {
  c.listen = "127.0.0.1:9090";
  FlagSet fs("provider-sim", "Runs the simulated payment/recharge provider as its own process behind the HTTP provider contract.");
  fs.add(string_flag("listen", &c.listen, "HTTP listen address HOST:PORT"));
  add_sim_flags(fs, c);
  fs.add(string_flag("notify-url", &c.notify_url, "where POST /pay sends the signed payment notification", "none"));
  fs.add(string_flag("notify-secret", &c.notify_secret, "HMAC secret that signs payment notifications", "none"));
  add_log_flags(fs, c);
  fs.add(string_flag("config", &c.config_file, "JSON file of settings", "none"));
  return fs;
}

FlagSet check_flags(Config& c) {
  FlagSet fs("check", "Checks a data directory offline: queue and timer integrity, stock invariant, funds identity. Exit 1 on any violation.");
  fs.add(string_flag("data", &c.data_dir, "data directory to check"));
  fs.add({"map-size", "SIZE", "LMDB map size", "32GiB", [&c](const std::string& v) -> Status {
            auto s = parse_size(v);
            if (!s) return bad("map-size", s.error().message);
            c.map_size = *s;
            return ok_status();
          }});
  return fs;
}

std::map<std::string, std::string> environment_map() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("ORDERD_", 0) == 0) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace orderd
