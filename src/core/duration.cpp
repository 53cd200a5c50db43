#include "core/duration.h"

#include <charconv>
#include <limits>

namespace orderd {

namespace {
Result<uint64_t> parse_number_prefix(std::string_view text, std::string_view* unit) {
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr == text.data()) return Error::invalid("", "expected a number, got '" + std::string(text) + "'");
  *unit = text.substr(static_cast<size_t>(ptr - text.data()));
  return n;
}
}  // namespace

Result<DurationMs> parse_duration(std::string_view text) {
  std::string_view unit;
  auto n = parse_number_prefix(text, &unit);
  if (!n) return n.error();
  int64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return Error::invalid("", "bad duration '" + std::string(text) + "': use a number with ms, s, m, h or d (e.g. 250ms, 10s, 3m)");
  if (*n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / mult))
    return Error::invalid("", "duration '" + std::string(text) + "' is too large");
  return static_cast<DurationMs>(*n) * mult;
}

std::string format_duration(DurationMs d) {
  if (d != 0 && d % 86'400'000 == 0) return std::to_string(d / 86'400'000) + "d";
  if (d != 0 && d % 3'600'000 == 0) return std::to_string(d / 3'600'000) + "h";
  if (d != 0 && d % 60'000 == 0) return std::to_string(d / 60'000) + "m";
  if (d != 0 && d % 1000 == 0) return std::to_string(d / 1000) + "s";
  return std::to_string(d) + "ms";
}

Result<uint64_t> parse_size(std::string_view text) {
  std::string_view unit;
  auto n = parse_number_prefix(text, &unit);
  if (!n) return n.error();
  uint64_t mult = 0;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB") mult = 1ull << 10;
  else if (unit == "MiB" || unit == "M" || unit == "MB") mult = 1ull << 20;
  else if (unit == "GiB" || unit == "G" || unit == "GB") mult = 1ull << 30;
  else return Error::invalid("", "bad size '" + std::string(text) + "': use bytes or KiB, MiB, GiB");
  if (*n > std::numeric_limits<uint64_t>::max() / mult) return Error::invalid("", "size too large");
  return *n * mult;
}

}  // namespace orderd
