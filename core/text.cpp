#include "core/text.h"

#include <cctype>
#include <cstdint>

namespace zcrmsync {

namespace {

// Calls `take` with each code point of `in`; the first invalid sequence is
// an error naming its byte offset.
template <typename Take>
Status DecodeUtf8(std::string_view in, Take take) {
  size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<uint8_t>(in[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1F;
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0F;
      len = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return InvalidArgumentError("invalid UTF-8 at byte " + std::to_string(i));
    }
    if (i + len > in.size()) {
      return InvalidArgumentError("truncated UTF-8 sequence at byte " + std::to_string(i));
    }
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(in[i + k]);
      if ((b & 0xC0) != 0x80) {
        return InvalidArgumentError("invalid UTF-8 at byte " + std::to_string(i + k));
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return InvalidArgumentError("invalid UTF-8 code point at byte " + std::to_string(i));
    }
    take(cp);
    i += len;
  }
  return Status();
}

}  // namespace

Result<std::u16string> Utf8ToUtf16(std::string_view in) {
  std::u16string out;
  out.reserve(in.size());
  Status s = DecodeUtf8(in, [&](uint32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  });
  if (!s.ok()) return Error(std::move(s));
  return out;
}

Status CheckUtf8(std::string_view utf8) {
  return DecodeUtf8(utf8, [](uint32_t) {});
}


Result<std::string> Utf16ToUtf8(std::u16string_view in) {
  std::string out;
  out.reserve(in.size());  // exact for ASCII; grows for the rest
  for (size_t i = 0; i < in.size(); ++i) {
    uint32_t cp = in[i];
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 1 >= in.size() || in[i + 1] < 0xDC00 || in[i + 1] > 0xDFFF) {
        return Error(InvalidArgumentError("unpaired UTF-16 surrogate at unit " + std::to_string(i)));
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (in[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Error(InvalidArgumentError("unpaired UTF-16 surrogate at unit " + std::to_string(i)));
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace zcrmsync
