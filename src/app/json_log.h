// json_log.h — `--log-format json`: one JSON object per line,
//   {"time":"…Z","level":"warn","msg":"…","order_id":"rc_…"}
// The message is JSON-escaped; "order_id" is present when the message names
// an order (rc_/po_ followed by 16 hex digits), so logs about an order can be
// selected with one filter.
//
// Thread: make_json_formatter() builds a formatter; spdlog owns it after that.
#pragma once
#include <memory>
#include <spdlog/pattern_formatter.h>
#include <string>
#include <string_view>

namespace orderd::app {

std::unique_ptr<spdlog::formatter> make_json_formatter();
// The first order id in text ("" if none). Pure.
std::string find_order_id(std::string_view text);
// text as a JSON string body (no quotes around it). Pure.
std::string json_escape(std::string_view text);

}  // namespace orderd::app
