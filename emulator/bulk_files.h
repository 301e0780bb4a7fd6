// The file formats of Zoho's bulk APIs, as the emulator needs them: a ZIP
// holding one CSV (bulk read results, bulk write uploads and results) and
// RFC 4180 CSV. Written ZIPs are "stored" (no compression); read ZIPs may be
// stored or deflated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace zcrmsync::emulator {

// CRC-32 (IEEE 802.3, as ZIP uses it).
uint32_t Crc32(std::string_view data);

// A ZIP archive with one stored entry `name` holding `content`.
std::string ZipOneFile(std::string_view name, std::string_view content);

struct ZipEntry {
  std::string name;
  std::string content;
};
// The first file entry of a ZIP (stored or deflated). INVALID_ARGUMENT when
// `zip` is not a ZIP, or the entry is damaged (CRC) or uses another method.
Result<ZipEntry> UnzipFirstFile(std::string_view zip);

// Appends one CSV row (fields quoted when they need it) and "\r\n".
void AppendCsvRow(const std::vector<std::string>& fields, std::string& out);
// Parses CSV text into rows of fields (quoted fields may hold commas, quotes
// and line breaks). INVALID_ARGUMENT on an unterminated quote.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

}  // namespace zcrmsync::emulator
