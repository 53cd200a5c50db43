#include "app/json_log.h"

#include <cctype>
#include <cstdio>

namespace orderd::app {

namespace {
// %* → "msg":"<escaped>"[,"order_id":"<id>"]
class MessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::string out = "\"msg\":\"" + json_escape(text) + "\"";
    if (auto id = find_order_id(text); !id.empty()) out += ",\"order_id\":\"" + id + "\"";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<MessageFlag>(); }
};
}  // namespace

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string find_order_id(std::string_view text) {
  for (size_t i = 0; i + 19 <= text.size(); ++i) {
    if (!(text.substr(i, 3) == "rc_" || text.substr(i, 3) == "po_")) continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_')) continue;
    bool hex = true;
    for (size_t k = i + 3; k < i + 19 && hex; ++k) hex = std::isxdigit(static_cast<unsigned char>(text[k])) != 0;
    if (hex) return std::string(text.substr(i, 19));
  }
  return "";
}

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<MessageFlag>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%*})");
  return f;
}

}  // namespace orderd::app
