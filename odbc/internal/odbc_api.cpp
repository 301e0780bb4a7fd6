#include "odbc/internal/odbc_api.h"

#include "core/text.h"

namespace zcrmsync::odbc::internal {

Result<std::vector<SQLWCHAR>> ToWide(std::string_view utf8) {
  auto u16 = Utf8ToUtf16(utf8);
  if (!u16) return Error(u16.error());
  std::vector<SQLWCHAR> out(u16->begin(), u16->end());
  out.push_back(0);
  return out;
}

std::string FromWideLossy(const SQLWCHAR* units, size_t count) {
  // Lengths from drivers are not always in characters (MariaDB Connector/ODBC
  // 3.1 gives bytes for messages; unixODBC's conversion for narrow drivers
  // counts UTF-8 bytes for names): the text ends at the first NUL.
  for (size_t i = 0; i < count; ++i) {
    if (units[i] == 0) {
      count = i;
      break;
    }
  }
  std::u16string s(reinterpret_cast<const char16_t*>(units), count);
  auto utf8 = Utf16ToUtf8(s);
  if (utf8) return *utf8;
  for (char16_t& c : s) {
    if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
  }
  auto repaired = Utf16ToUtf8(s);
  return repaired ? *repaired : std::string("<undecodable driver message>");
}

std::vector<DiagnosticRecord> ReadDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<DiagnosticRecord> out;
  if (handle == SQL_NULL_HANDLE) return out;
  for (SQLSMALLINT i = 1; i < 100; ++i) {
    SQLWCHAR state[6] = {0};
    SQLINTEGER native = 0;
    std::vector<SQLWCHAR> text(1024);
    SQLSMALLINT text_len = 0;
    SQLRETURN rc = SQLGetDiagRecW(handle_type, handle, i, state, &native, text.data(),
                                  static_cast<SQLSMALLINT>(text.size()), &text_len);
    if (rc == SQL_SUCCESS_WITH_INFO && text_len >= static_cast<SQLSMALLINT>(text.size())) {
      text.resize(static_cast<size_t>(text_len) + 1);  // the message was cut: read it whole
      rc = SQLGetDiagRecW(handle_type, handle, i, state, &native, text.data(),
                          static_cast<SQLSMALLINT>(text.size()), &text_len);
    }
    if (rc == SQL_NO_DATA || !SQL_SUCCEEDED(rc)) break;
    DiagnosticRecord r;
    r.sqlstate = FromWideLossy(state, 5);
    r.native_code = native;
    const size_t len = std::min<size_t>(static_cast<size_t>(std::max<SQLSMALLINT>(text_len, 0)),
                                        text.size() - 1);
    r.message = FromWideLossy(text.data(), len);
    out.push_back(std::move(r));
  }
  return out;
}

Status Check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, DriverFamily family,
             std::string_view context, const std::vector<std::string>& secrets) {
  if (SQL_SUCCEEDED(rc)) return Status();
  if (rc == SQL_INVALID_HANDLE) {
    return InternalError(std::string(context) + ": invalid ODBC handle");
  }
  return StatusFromDiagnostics(family, context, ReadDiagnostics(handle_type, handle), secrets);
}

}  // namespace zcrmsync::odbc::internal
