#include "odbc/environment.h"

#include <clocale>
#include <cstring>
#include <mutex>

#include "odbc/internal/odbc_api.h"

namespace zcrmsync::odbc {

Result<std::shared_ptr<Environment>> Environment::Shared() {
  static std::mutex mu;
  static std::weak_ptr<Environment> shared;
  std::lock_guard<std::mutex> lock(mu);
  if (auto env = shared.lock()) return env;
#ifndef _WIN32
  // unixODBC turns W calls into A calls for drivers without a wide API
  // (Debian's sqliteodbc) through the "char" charset of LC_CTYPE. In the C
  // locale that drops every non-ASCII character of the SQL text, so a
  // non-UTF-8 LC_CTYPE is switched to C.UTF-8 (only LC_CTYPE; numbers and
  // messages are untouched).
  static std::once_flag locale_once;
  std::call_once(locale_once, [] {
    const char* current = std::setlocale(LC_CTYPE, nullptr);
    const bool utf8 = current != nullptr && (std::strstr(current, "UTF-8") != nullptr ||
                                             std::strstr(current, "utf8") != nullptr);
    if (!utf8) std::setlocale(LC_CTYPE, "C.UTF-8");
  });
#endif
  SQLHENV henv = SQL_NULL_HENV;
  SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &henv);
  if (!SQL_SUCCEEDED(rc)) {
    return Error(UnavailableError("cannot allocate the ODBC environment (is unixODBC installed?)"));
  }
  rc = SQLSetEnvAttr(henv, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  if (!SQL_SUCCEEDED(rc)) {
    Status s = internal::Check(rc, SQL_HANDLE_ENV, henv, DriverFamily::kUnknown,
                               "set ODBC version 3", {});
    SQLFreeHandle(SQL_HANDLE_ENV, henv);
    return Error(s);
  }
  std::shared_ptr<Environment> env(new Environment(henv));
  shared = env;
  return env;
}

Environment::~Environment() {
  if (handle_ != nullptr) SQLFreeHandle(SQL_HANDLE_ENV, handle_);
}

}  // namespace zcrmsync::odbc
