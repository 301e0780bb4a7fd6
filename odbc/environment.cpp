#include "odbc/environment.h"

#include <mutex>

#include "odbc/internal/odbc_api.h"

namespace zcrmsync::odbc {

Result<std::shared_ptr<Environment>> Environment::Shared() {
  static std::mutex mu;
  static std::weak_ptr<Environment> shared;
  std::lock_guard<std::mutex> lock(mu);
  if (auto env = shared.lock()) return env;
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
