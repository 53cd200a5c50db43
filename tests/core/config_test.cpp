// Config precedence (flag > environment > config file > default) and parsing.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "core/backoff.h"
#include "core/config.h"
#include "core/duration.h"

using namespace orderd;

TEST_CASE("durations parse with units and reject the rest", "[core][config]") {
  CHECK(*parse_duration("250ms") == 250);
  CHECK(*parse_duration("10s") == 10'000);
  CHECK(*parse_duration("3m") == 180'000);
  CHECK(*parse_duration("1h") == 3'600'000);
  CHECK(*parse_duration("2d") == 172'800'000);
  for (const char* bad : {"", "30", "1.5s", "-1s", "s", "10 s", "10sec", "99999999999999999999ms"})
    CHECK_FALSE(parse_duration(bad).ok());
  CHECK(format_duration(180'000) == "3m");
  CHECK(format_duration(250) == "250ms");
}

TEST_CASE("sizes parse", "[core][config]") {
  CHECK(*parse_size("64MiB") == 64ull << 20);
  CHECK(*parse_size("1GiB") == 1ull << 30);
  CHECK(*parse_size("4096") == 4096);
  CHECK_FALSE(parse_size("lots").ok());
}

TEST_CASE("precedence: flag > environment > config file > default", "[core][config]") {
  char path[] = "/tmp/orderd-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << R"({"result-timeout": "5m", "attempt-timeout": "20s", "workers": 7, "listen": "127.0.0.1:1"})";

  Config cfg;
  FlagSet fs = serve_flags(cfg);
  std::map<std::string, std::string> env = {{"ORDERD_ATTEMPT_TIMEOUT", "30s"}, {"ORDERD_LISTEN", "127.0.0.1:2"}};
  auto st = fs.parse({"--config", path, "--listen=127.0.0.1:3"}, env);
  REQUIRE(st.ok());
  CHECK(cfg.result_timeout_ms == 300'000);  // file only
  CHECK(cfg.attempt_timeout_ms == 30'000);  // env beats file
  CHECK(cfg.workers == 7);                  // file, a JSON number
  CHECK(cfg.listen == "127.0.0.1:3");       // flag beats env and file
  CHECK(cfg.unpaid_timeout_ms == 30 * 60'000);  // default
  std::remove(path);
}

TEST_CASE("bad values name the flag", "[core][config]") {
  Config cfg;
  FlagSet fs = serve_flags(cfg);
  auto st = fs.parse({"--result-timeout", "soon"}, {});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().field == "result-timeout");
  CHECK(st.error().message.find("--result-timeout") != std::string::npos);

  Config c2;
  FlagSet f2 = serve_flags(c2);
  auto unknown = f2.parse({"--no-such-flag", "1"}, {});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("no-such-flag") != std::string::npos);

  Config c3;
  FlagSet f3 = serve_flags(c3);
  auto env_bad = f3.parse({}, {{"ORDERD_SIM_FAIL_RATE", "2"}});
  REQUIRE_FALSE(env_bad.ok());
  CHECK(env_bad.error().message.find("ORDERD_SIM_FAIL_RATE") != std::string::npos);
}

TEST_CASE("--help documents every flag of SPEC §7 with its environment variable", "[core][config]") {
  Config cfg;
  FlagSet fs = serve_flags(cfg);
  std::string help = fs.help();
  for (const char* flag : {"--data", "--listen", "--workers", "--unpaid-timeout", "--result-timeout", "--attempt-timeout",
                           "--max-attempts", "--refund-recheck", "--scan-interval", "--provider", "--sim-latency",
                           "--sim-fail-rate", "--sim-timeout-rate", "--sim-seed", "--notify-secret", "--webhook-secret",
                           "--admin-token", "--map-size", "--log-level", "--log-format", "--config"})
    CHECK(help.find(flag) != std::string::npos);
  CHECK(help.find("ORDERD_RESULT_TIMEOUT") != std::string::npos);
  CHECK(help.find("(default 3m)") != std::string::npos);
}

TEST_CASE("back-off starts near one second, doubles, is capped and jittered", "[core]") {
  for (uint64_t rnd : {0ull, 399ull, 123456789ull}) {
    DurationMs d1 = backoff_delay(1, 1000, 60'000, rnd);
    DurationMs d2 = backoff_delay(2, 1000, 60'000, rnd);
    CHECK(d1 >= 800);
    CHECK(d1 < 1200);
    CHECK(d2 == 2 * d1);
    CHECK(backoff_delay(30, 1000, 60'000, rnd) < 72'000);
    CHECK(backoff_delay(30, 1000, 60'000, rnd) >= 48'000);
  }
  CHECK(backoff_delay(1, 1000, 60'000, 0) != backoff_delay(1, 1000, 60'000, 200));
}
