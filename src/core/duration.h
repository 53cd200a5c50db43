// duration.h — parsing and printing of durations and sizes used by flags:
// "250ms", "10s", "3m", "1h", "2d" (a bare number is milliseconds? no: a bare
// number is rejected, so "30" is never silently 30 ms or 30 s).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace orderd {

// Errors: kInvalid (field empty; the caller fills in the flag name).
Result<DurationMs> parse_duration(std::string_view text);
std::string format_duration(DurationMs d);

// "64MiB", "10GiB", "1048576" (bytes). Errors: kInvalid.
Result<uint64_t> parse_size(std::string_view text);

}  // namespace orderd
