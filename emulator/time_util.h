// Date-time helpers for the emulator: ISO 8601 and HTTP-date parsing to epoch
// seconds, and Zoho's rendering "2026-11-30T10:15:00+05:30" (second
// precision, the org's UTC offset).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync::emulator {

// "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM|+HHMM)" or an RFC 7231 HTTP-date
// ("Sun, 06 Nov 1994 08:49:37 GMT"). Without an offset the time is read as
// UTC. Fractions are dropped. INVALID_ARGUMENT when malformed.
Result<int64_t> ParseDateTime(std::string_view text);

// "YYYY-MM-DD" -> days since 1970-01-01. INVALID_ARGUMENT when not a date.
Result<int64_t> ParseDateDays(std::string_view text);

// Epoch seconds rendered at `offset_minutes` east of UTC.
std::string FormatDateTime(int64_t epoch_s, int offset_minutes);

// "+05:30", "-08:00", "+00:00".
std::string FormatOffset(int offset_minutes);

}  // namespace zcrmsync::emulator
