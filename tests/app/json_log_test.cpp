// json_log_test.cpp — `--log-format json`: every line is one JSON object with
// the message escaped and the order id lifted into "order_id".
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

#include "app/json_log.h"

using namespace orderd::app;

namespace {
nlohmann::json format_line(const std::string& text, spdlog::level::level_enum level = spdlog::level::warn) {
  auto f = make_json_formatter();
  spdlog::details::log_msg msg("orderd", level, text);
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  std::string line(buf.data(), buf.size());
  REQUIRE(line.back() == '\n');
  return nlohmann::json::parse(line);  // throws (fails the test) if not one JSON object
}
}  // namespace

TEST_CASE("json log: one object per line, message escaped, order id lifted", "[log]") {
  auto j = format_line("job 7 (po_refund for po_01a202d63a950000) said \"no\"\n\tand \\ more \x01");
  CHECK(j["level"] == "warning");
  CHECK(j["msg"] == "job 7 (po_refund for po_01a202d63a950000) said \"no\"\n\tand \\ more \x01");
  CHECK(j["order_id"] == "po_01a202d63a950000");
  CHECK(j["time"].get<std::string>().back() == 'Z');
}

TEST_CASE("json log: no order_id when none is named", "[log]") {
  auto j = format_line("orderd listening on 127.0.0.1:8080", spdlog::level::info);
  CHECK(j["level"] == "info");
  CHECK_FALSE(j.contains("order_id"));
  CHECK(find_order_id("xrc_0123456789abcdef") == "");       // inside a word
  CHECK(find_order_id("rc_0123456789abcdeZ") == "");        // not 16 hex digits
  CHECK(find_order_id("see rc_0123456789abcdef.") == "rc_0123456789abcdef");
}
