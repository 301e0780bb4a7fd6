// ODBC diagnostics and their translation into Status. This is the one place
// where SQLSTATEs and native error codes become StatusCodes:
//   08xxx connection lost/refused -> UNAVAILABLE       40001/40P01 -> ABORTED
//   HYT00/HYT01 timeout -> DEADLINE_EXCEEDED           23xxx, 22xxx -> INVALID_ARGUMENT
//   42xxx syntax / missing object -> FAILED_PRECONDITION   28xxx -> UNAUTHENTICATED
// Drivers disagree (SQLite reports a constraint as HY000 native 19), so the
// driver family takes part in the decision. Every record is kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace zcrmsync::odbc {

enum class DriverFamily { kUnknown, kPostgreSQL, kMySQL, kSQLite, kSqlServer };

std::string_view DriverFamilyName(DriverFamily family);

// From SQLGetInfo's SQL_DBMS_NAME and SQL_DRIVER_NAME.
DriverFamily DetectDriverFamily(std::string_view dbms_name, std::string_view driver_name);

struct DiagnosticRecord {
  std::string sqlstate;     // five characters, e.g. "23505"
  int32_t native_code = 0;  // the driver's or server's own code
  std::string message;      // UTF-8, as the driver wrote it
};

// The StatusCode one record stands for. Pure; thread-safe.
StatusCode ClassifyDiagnostic(DriverFamily family, const DiagnosticRecord& record);

// A Status for a failed ODBC call. The code comes from the first record that is
// not a warning (01xxx); the message is
//   "<context>: [23505] (native 1) ERROR: duplicate key ...; [01000] ..."
// with every record, and every secret in `secrets` replaced by ***.
// Payloads: "sqlstate", "native_code", "diagnostics" (the record count).
// With no records at all the code is UNKNOWN and the message says so.
Status StatusFromDiagnostics(DriverFamily family, std::string_view context,
                             const std::vector<DiagnosticRecord>& records,
                             const std::vector<std::string>& secrets);

}  // namespace zcrmsync::odbc
