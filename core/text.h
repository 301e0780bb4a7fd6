// Text helpers: UTF-8 <-> UTF-16 conversion (ODBC's wide API speaks UTF-16:
// SQLWCHAR is two bytes on unixODBC and Windows; the rest of zcrmsync speaks
// UTF-8; invalid input is an error, never silently replaced), and the ASCII
// case folding and trimming used for keywords, names and config values.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync {

// INVALID_ARGUMENT names the byte offset of the first invalid sequence.
Result<std::u16string> Utf8ToUtf16(std::string_view utf8);

// OK for valid UTF-8; else INVALID_ARGUMENT as Utf8ToUtf16 (no copy made).
Status CheckUtf8(std::string_view utf8);

// INVALID_ARGUMENT names the unit offset of the first unpaired surrogate.
Result<std::string> Utf16ToUtf8(std::u16string_view utf16);

// ASCII letters lowered; other bytes (UTF-8 included) unchanged.
std::string AsciiLower(std::string_view text);

// Without leading and trailing ASCII whitespace.
std::string_view TrimWhitespace(std::string_view text);

}  // namespace zcrmsync
