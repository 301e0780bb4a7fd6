#include "emulator/bulk_files.h"

#include <array>

#include <zlib.h>

namespace zcrmsync::emulator {
namespace {

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void Put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, v & 0xFFFF);
  Put16(out, v >> 16);
}
uint32_t Get16(std::string_view s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8;
}
uint32_t Get32(std::string_view s, size_t at) { return Get16(s, at) | Get16(s, at + 2) << 16; }

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentral = 0x06054b50;
constexpr uint32_t kDosDate1980 = (1 << 5) | 1;  // 1980-01-01: ZIP's epoch; no clock needed

}  // namespace

uint32_t Crc32(std::string_view data) {
  const auto& table = CrcTable();
  uint32_t c = 0xFFFFFFFFU;
  for (char ch : data) c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

std::string ZipOneFile(std::string_view name, std::string_view content) {
  const uint32_t crc = Crc32(content);
  const auto size = static_cast<uint32_t>(content.size());
  std::string out;
  out.reserve(content.size() + 2 * name.size() + 100);
  auto common = [&] {  // version needed .. name length, shared by both headers
    Put16(out, 20);    // version needed: 2.0
    Put16(out, 0);     // flags
    Put16(out, 0);     // method: stored
    Put16(out, 0);     // time
    Put16(out, kDosDate1980);
    Put32(out, crc);
    Put32(out, size);  // compressed
    Put32(out, size);  // uncompressed
    Put16(out, static_cast<uint32_t>(name.size()));
    Put16(out, 0);     // extra length
  };
  Put32(out, kLocalHeader);
  common();
  out += name;
  out += content;
  const auto central_at = static_cast<uint32_t>(out.size());
  Put32(out, kCentralHeader);
  Put16(out, 20);  // version made by
  common();
  Put16(out, 0);   // comment length
  Put16(out, 0);   // disk number
  Put16(out, 0);   // internal attributes
  Put32(out, 0);   // external attributes
  Put32(out, 0);   // local header offset
  out += name;
  const auto central_size = static_cast<uint32_t>(out.size()) - central_at;
  Put32(out, kEndOfCentral);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, 1);
  Put16(out, 1);
  Put32(out, central_size);
  Put32(out, central_at);
  Put16(out, 0);
  return out;
}

Result<ZipEntry> UnzipFirstFile(std::string_view zip) {
  // Sizes come from the central directory: a streamed local header (flag
  // bit 3) leaves them zero.
  if (zip.size() < 22) return Error(InvalidArgumentError("not a ZIP archive"));
  size_t eocd = std::string_view::npos;
  for (size_t i = zip.size() - 22 + 1; i-- > 0 && zip.size() - i <= 22 + 65535;) {
    if (Get32(zip, i) == kEndOfCentral) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string_view::npos) return Error(InvalidArgumentError("not a ZIP archive"));
  const size_t entries = Get16(zip, eocd + 10);
  size_t at = Get32(zip, eocd + 16);
  for (size_t e = 0; e < entries; ++e) {
    if (at + 46 > zip.size() || Get32(zip, at) != kCentralHeader) {
      return Error(InvalidArgumentError("damaged ZIP central directory"));
    }
    const uint32_t method = Get16(zip, at + 10);
    const uint32_t crc = Get32(zip, at + 16);
    const size_t packed = Get32(zip, at + 20);
    const size_t size = Get32(zip, at + 24);
    const size_t name_len = Get16(zip, at + 28);
    const size_t extra_len = Get16(zip, at + 30);
    const size_t comment_len = Get16(zip, at + 32);
    const size_t local = Get32(zip, at + 42);
    if (at + 46 + name_len > zip.size()) return Error(InvalidArgumentError("damaged ZIP entry"));
    std::string name(zip.substr(at + 46, name_len));
    at += 46 + name_len + extra_len + comment_len;
    if (!name.empty() && name.back() == '/') continue;  // a folder
    if (local + 30 > zip.size() || Get32(zip, local) != kLocalHeader) {
      return Error(InvalidArgumentError("damaged ZIP local header"));
    }
    const size_t data_at = local + 30 + Get16(zip, local + 26) + Get16(zip, local + 28);
    if (data_at + packed > zip.size()) return Error(InvalidArgumentError("truncated ZIP entry"));
    std::string_view data = zip.substr(data_at, packed);
    ZipEntry out{std::move(name), {}};
    if (method == 0) {
      out.content.assign(data);
    } else if (method == 8) {
      out.content.resize(size);
      z_stream z{};
      if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return Error(InternalError("inflateInit2"));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z.avail_in = static_cast<uInt>(data.size());
      z.next_out = reinterpret_cast<Bytef*>(out.content.data());
      z.avail_out = static_cast<uInt>(size);
      const int rc = inflate(&z, Z_FINISH);
      const size_t produced = z.total_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || produced != size) {
        return Error(InvalidArgumentError("damaged deflate data in ZIP entry " + out.name));
      }
    } else {
      return Error(InvalidArgumentError("ZIP compression method " + std::to_string(method) +
                                        " is not supported (stored or deflate only)"));
    }
    if (Crc32(out.content) != crc) {
      return Error(InvalidArgumentError("CRC mismatch in ZIP entry " + out.name));
    }
    return out;
  }
  return Error(InvalidArgumentError("the ZIP archive holds no file"));
}

void AppendCsvRow(const std::vector<std::string>& fields, std::string& out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
}

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;  // the current row has content
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      field.clear();
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) return Error(InvalidArgumentError("CSV: unterminated quoted field"));
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace zcrmsync::emulator
