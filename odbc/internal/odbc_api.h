// Private to odbc/: the ODBC C headers and small helpers over them. No header
// outside odbc/ may include this file (no third-party type in a public header).
#pragma once

// Windows' sql.h needs the Win32 base types (DWORD, HWND, INT64) declared first.
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif
#include <sql.h>
#include <sqlext.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "odbc/diagnostics.h"

namespace zcrmsync::odbc::internal {

// The wide API is UTF-16 on unixODBC and Windows. iODBC's 4-byte SQLWCHAR is
// not supported (nanodbc #95).
static_assert(sizeof(SQLWCHAR) == 2, "zcrmsync needs a 2-byte SQLWCHAR (unixODBC or Windows)");
static_assert(sizeof(SQLWCHAR) == sizeof(char16_t));

// UTF-8 -> NUL-terminated UTF-16 buffer for W calls.
Result<std::vector<SQLWCHAR>> ToWide(std::string_view utf8);
// UTF-16 units -> UTF-8, ending at the first NUL within `count`; invalid
// input is replaced by U+FFFD rather than lost, because driver messages must
// always be readable.
std::string FromWideLossy(const SQLWCHAR* units, size_t count);

// Every diagnostic record on a handle (SQLGetDiagRecW until SQL_NO_DATA).
std::vector<DiagnosticRecord> ReadDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle);

// OK when rc succeeded (warnings are fine), otherwise the translated Status.
Status Check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, DriverFamily family,
             std::string_view context, const std::vector<std::string>& secrets);

}  // namespace zcrmsync::odbc::internal
