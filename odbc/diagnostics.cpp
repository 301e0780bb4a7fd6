#include "odbc/diagnostics.h"

#include <algorithm>
#include <cctype>

#include "core/secrets.h"
#include "core/text.h"

namespace zcrmsync::odbc {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Messages that mean "the server is gone" when a driver reports them as HY000.
bool LooksLikeLostConnection(const std::string& lower_message) {
  for (std::string_view m :
       {"server closed the connection", "no connection to the server", "could not send",
        "could not receive", "connection to server", "terminating connection", "lost connection",
        "server has gone away", "connection reset", "broken pipe", "communication link failure",
        "the connection has been lost", "connection is closed"}) {
    if (Contains(lower_message, m)) return true;
  }
  return false;
}

bool LooksLikeBadLogin(const std::string& lower_message) {
  return Contains(lower_message, "password authentication failed") ||
         Contains(lower_message, "access denied for user") ||
         Contains(lower_message, "login failed for user");
}

StatusCode ClassifyMySqlNative(int32_t native) {
  switch (native) {
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
      return StatusCode::kAborted;
    case 1045:  // ER_ACCESS_DENIED_ERROR
      return StatusCode::kUnauthenticated;
    case 1040:  // too many connections
    case 2002: case 2003: case 2005: case 2006: case 2013: case 2055:  // client: gone / refused
    case 1927:  // ER_CONNECTION_KILLED
    case 1053:  // ER_SERVER_SHUTDOWN
      return StatusCode::kUnavailable;
    case 1048: case 1062: case 1216: case 1217: case 1451: case 1452: case 1406: case 1264:
    case 1366: case 3819:  // null, duplicate, foreign key, too long, out of range, check
    case 1644:             // ER_SIGNAL_EXCEPTION: a trigger's SIGNAL
      return StatusCode::kInvalidArgument;
    case 1054: case 1064: case 1146: case 1049:  // unknown column / syntax / table / database
      return StatusCode::kFailedPrecondition;
    case 1317:  // ER_QUERY_INTERRUPTED
    case 3024:  // max_statement_time exceeded (MySQL)
    case 1969:  // max_statement_time exceeded (MariaDB)
      return StatusCode::kDeadlineExceeded;
    default:
      return StatusCode::kUnknown;
  }
}

// sqliteodbc puts the SQLite result code in the native code.
StatusCode ClassifySqliteNative(int32_t native) {
  switch (native & 0xFF) {  // primary code; extended codes keep it in the low byte
    case 19: return StatusCode::kInvalidArgument;     // SQLITE_CONSTRAINT
    case 20: return StatusCode::kInvalidArgument;     // SQLITE_MISMATCH
    case 18: return StatusCode::kInvalidArgument;     // SQLITE_TOOBIG
    case 5:                                           // SQLITE_BUSY
    case 6: return StatusCode::kAborted;              // SQLITE_LOCKED
    case 1: return StatusCode::kFailedPrecondition;   // SQLITE_ERROR: syntax, no such table
    case 8: return StatusCode::kPermissionDenied;     // SQLITE_READONLY
    case 23: return StatusCode::kPermissionDenied;    // SQLITE_AUTH
    case 9: return StatusCode::kCancelled;            // SQLITE_INTERRUPT
    case 13: return StatusCode::kResourceExhausted;   // SQLITE_FULL
    case 11: case 26: return StatusCode::kDataLoss;   // SQLITE_CORRUPT, SQLITE_NOTADB
    case 14: return StatusCode::kFailedPrecondition;  // SQLITE_CANTOPEN: bad path
    case 10: return StatusCode::kUnavailable;         // SQLITE_IOERR
    default: return StatusCode::kUnknown;
  }
}

}  // namespace

std::string_view DriverFamilyName(DriverFamily family) {
  switch (family) {
    case DriverFamily::kPostgreSQL: return "postgresql";
    case DriverFamily::kMySQL: return "mysql";
    case DriverFamily::kSQLite: return "sqlite";
    case DriverFamily::kSqlServer: return "sqlserver";
    case DriverFamily::kUnknown: return "unknown";
  }
  return "unknown";
}

DriverFamily DetectDriverFamily(std::string_view dbms_name, std::string_view driver_name) {
  const std::string d = AsciiLower(dbms_name) + " " + AsciiLower(driver_name);
  if (Contains(d, "postgres") || Contains(d, "psqlodbc")) return DriverFamily::kPostgreSQL;
  if (Contains(d, "mariadb") || Contains(d, "mysql") || Contains(d, "maodbc") ||
      Contains(d, "myodbc")) {
    return DriverFamily::kMySQL;
  }
  if (Contains(d, "sqlite")) return DriverFamily::kSQLite;
  if (Contains(d, "sql server") || Contains(d, "msodbcsql") || Contains(d, "tdsodbc") ||
      Contains(d, "sqlncli")) {
    return DriverFamily::kSqlServer;
  }
  return DriverFamily::kUnknown;
}

StatusCode ClassifyDiagnostic(DriverFamily family, const DiagnosticRecord& r) {
  const std::string& s = r.sqlstate;
  const std::string msg = AsciiLower(r.message);
  if (s.size() != 5) return StatusCode::kUnknown;
  // unixODBC reports a driver it cannot load as a 01000 "warning" on a
  // failed call.
  if (s == "01000" && Contains(msg, "can't open lib")) return StatusCode::kFailedPrecondition;
  if (StartsWith(s, "01")) return StatusCode::kOk;  // a warning

  // Driver-specific codes first: they are more precise than the SQLSTATE.
  if (family == DriverFamily::kMySQL) {
    const StatusCode c = ClassifyMySqlNative(r.native_code);
    if (c != StatusCode::kUnknown) return c;
  }
  if (family == DriverFamily::kSQLite && StartsWith(s, "HY") && s != "HYT00" && s != "HYT01" &&
      s != "HY008") {
    const StatusCode c = ClassifySqliteNative(r.native_code);
    if (c != StatusCode::kUnknown) return c;
  }

  if (StartsWith(s, "08")) {
    // psqlODBC reports a wrong password as 08001 too; retrying it is futile.
    return LooksLikeBadLogin(msg) ? StatusCode::kUnauthenticated : StatusCode::kUnavailable;
  }
  if (StartsWith(s, "28")) return StatusCode::kUnauthenticated;
  if (s == "40001" || s == "40P01") return StatusCode::kAborted;
  if (s == "40003") return StatusCode::kUnavailable;  // completion unknown: link lost
  if (StartsWith(s, "40")) return StatusCode::kAborted;
  if (s == "HYT00" || s == "HYT01") return StatusCode::kDeadlineExceeded;
  // 21: cardinality violation (a guard in the kit's SQL fails a statement
  // with it on MySQL, as a constraint would elsewhere).
  if (StartsWith(s, "23") || StartsWith(s, "22") || StartsWith(s, "21") || s == "44000") {
    return StatusCode::kInvalidArgument;
  }
  // The ERP's own rules refusing a row: a trigger or function raising an
  // error (PostgreSQL RAISE EXCEPTION: P0001, an ASSERT: P0004; MySQL SIGNAL
  // of an unhandled user exception: 45000), a triggered action or data
  // change failing (09, 27). Data errors: the record is parked, never fatal.
  if (s == "P0001" || s == "P0004" || s == "45000" || StartsWith(s, "09") || StartsWith(s, "27")) {
    return StatusCode::kInvalidArgument;
  }
  if (StartsWith(s, "42") || s == "3D000" || s == "3F000" || StartsWith(s, "0A")) {
    return StatusCode::kFailedPrecondition;
  }
  if (s == "25P02") return StatusCode::kAborted;  // PostgreSQL: transaction already failed
  if (StartsWith(s, "25")) return StatusCode::kFailedPrecondition;
  if (s == "55P03") return StatusCode::kAborted;            // lock_not_available (lock_timeout)
  if (s == "57014") return StatusCode::kDeadlineExceeded;   // statement_timeout
  if (StartsWith(s, "57P") || StartsWith(s, "53")) return StatusCode::kUnavailable;
  if (s == "HY008") return StatusCode::kCancelled;
  if (s == "HY001" || s == "HY013") return StatusCode::kResourceExhausted;
  if (StartsWith(s, "IM")) return StatusCode::kFailedPrecondition;  // driver manager: no driver
  if (StartsWith(s, "07")) return StatusCode::kInvalidArgument;     // bad parameter binding
  if (s == "HY000" || s == "S1000") {
    if (LooksLikeLostConnection(msg)) return StatusCode::kUnavailable;
    if (LooksLikeBadLogin(msg)) return StatusCode::kUnauthenticated;
    return StatusCode::kUnknown;
  }
  if (StartsWith(s, "HY") || StartsWith(s, "S1")) return StatusCode::kInternal;
  if (StartsWith(s, "XX") || StartsWith(s, "58")) return StatusCode::kInternal;
  return StatusCode::kUnknown;
}

Status StatusFromDiagnostics(DriverFamily family, std::string_view context,
                             const std::vector<DiagnosticRecord>& records,
                             const std::vector<std::string>& secrets) {
  if (records.empty()) {
    return Status(StatusCode::kUnknown,
                  RedactSecrets(std::string(context) + ": the ODBC call failed with no diagnostic record",
                                secrets));
  }
  const DiagnosticRecord* primary = &records.front();
  for (const DiagnosticRecord& r : records) {
    if (!StartsWith(r.sqlstate, "01")) {
      primary = &r;
      break;
    }
  }
  StatusCode code = ClassifyDiagnostic(family, *primary);
  if (code == StatusCode::kOk) code = StatusCode::kUnknown;  // only warnings, yet it failed

  std::string message(context);
  message += ": ";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) message += "; ";
    message += "[" + records[i].sqlstate + "] (native " + std::to_string(records[i].native_code) +
               ") ";
    std::string text = records[i].message;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    message += text;
  }
  Status status(code, RedactSecrets(message, secrets));
  status.SetPayload("sqlstate", primary->sqlstate);
  status.SetPayload("native_code", std::to_string(primary->native_code));
  status.SetPayload("diagnostics", std::to_string(records.size()));
  return status;
}

}  // namespace zcrmsync::odbc
