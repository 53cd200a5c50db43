// main.cpp — the CLI: parses flags, sets up logging and signals, and hands
// over to the App (serve), the provider simulator, or the offline check.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "app/app.h"
#include "app/check.h"
#include "app/json_log.h"
#include "core/config.h"
#include "provider/provider_sim_server.h"

using namespace orderd;

namespace {

const char* kUsage =
    "usage: orderd [COMMAND] [flags]\n\n"
    "commands:\n"
    "  serve          run the order service (default)\n"
    "  provider-sim   run the simulated provider as its own process\n"
    "  check          check a data directory offline; exit 1 on any violation\n"
    "  version        print the version\n\n"
    "Run `orderd COMMAND --help` for the flags of a command.\n";

void setup_logging(const Config& cfg) {
  auto logger = spdlog::stderr_color_mt("orderd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  if (cfg.log_format == "json")
    spdlog::set_formatter(app::make_json_formatter());
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

// Blocks SIGTERM/SIGINT in every thread (call before starting any) and
// returns a thread that waits for one and calls on_signal.
std::thread signal_thread(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&set, &sig);
    on_signal();
  });
}

int parse_or_exit(FlagSet& fs, const std::vector<std::string>& args, bool* exit_now) {
  auto st = fs.parse(args, environment_map());
  *exit_now = true;
  if (!st) {
    std::fprintf(stderr, "orderd: %s\n", st.error().message.c_str());
    return 2;
  }
  if (fs.help_requested()) {
    std::cout << fs.help();
    return 0;
  }
  *exit_now = false;
  return 0;
}

int serve(const std::vector<std::string>& args) {
  Config cfg;
  FlagSet fs = serve_flags(cfg);
  bool exit_now = false;
  int rc = parse_or_exit(fs, args, &exit_now);
  if (exit_now) return rc;
  setup_logging(cfg);
  std::unique_ptr<app::App> app;
  std::thread sig = signal_thread([&app] {
    if (app) app->request_stop();
    else std::_Exit(0);
  });
  sig.detach();
  auto made = app::App::create(cfg, SystemClock::instance());
  if (!made) {
    spdlog::error("cannot start: {}", made.error().message);
    return 1;
  }
  app = std::move(*made);
  if (auto st = app->start(); !st) {
    spdlog::error("cannot start: {}", st.error().message);
    return 1;
  }
  return app->wait();
}

int provider_sim(const std::vector<std::string>& args) {
  Config cfg;
  FlagSet fs = provider_sim_flags(cfg);
  bool exit_now = false;
  int rc = parse_or_exit(fs, args, &exit_now);
  if (exit_now) return rc;
  setup_logging(cfg);
  return provider::run_provider_sim(cfg);
}

int check(const std::vector<std::string>& args) {
  Config cfg;
  FlagSet fs = check_flags(cfg);
  bool exit_now = false;
  int rc = parse_or_exit(fs, args, &exit_now);
  if (exit_now) return rc;
  auto env = store::Env::open({cfg.data_dir, cfg.map_size, true, false});
  if (!env) {
    std::fprintf(stderr, "orderd check: %s\n", env.error().message.c_str());
    return 2;
  }
  auto rep = app::check_store(**env, SystemClock::instance().now_ms());
  std::printf("checked %llu recharges, %llu purchase orders, %llu SKUs, %llu jobs, %llu dead letters, %llu timers\n",
              static_cast<unsigned long long>(rep.recharges), static_cast<unsigned long long>(rep.orders),
              static_cast<unsigned long long>(rep.skus), static_cast<unsigned long long>(rep.jobs),
              static_cast<unsigned long long>(rep.dead), static_cast<unsigned long long>(rep.timers));
  for (auto& v : rep.violations) std::printf("VIOLATION %s: %s\n", v.kind.c_str(), v.detail.c_str());
  std::printf("%zu violations\n", rep.violations.size());
  return rep.violations.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string cmd = "serve";
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    cmd = args[0];
    args.erase(args.begin());
  }
  try {
    if (cmd == "serve") return serve(args);
    if (cmd == "provider-sim") return provider_sim(args);
    if (cmd == "check") return check(args);
    if (cmd == "version") {
      std::printf("orderd %s\n", ORDERD_VERSION);
      return 0;
    }
    if (cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::fprintf(stderr, "orderd: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orderd: fatal: %s\n", e.what());
    return 1;
  }
}
