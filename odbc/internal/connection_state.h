// Private to odbc/: state shared by a Connection and the Statements made from
// it. Statements hold it weakly with the generation they were made in, so a
// statement outliving its connection, or a reconnect, never frees a handle
// twice (SQLDisconnect already frees a connection's statements).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "odbc/connection.h"
#include "odbc/environment.h"
#include "odbc/internal/odbc_api.h"

namespace zcrmsync::odbc::internal {

struct ConnectionState {
  std::shared_ptr<Environment> env;
  SQLHDBC dbc = SQL_NULL_HDBC;
  bool connected = false;
  uint64_t generation = 0;  // bumped by every (re)connect
  ConnectOptions options;
  std::vector<std::string> secrets;  // password values, scrubbed from every message
  std::string redacted_connection_string;
  DriverInfo driver;
  bool autocommit = true;
  std::vector<std::string> warnings;
  // Live statement handles of the current generation. They are freed before
  // SQLDisconnect, which some drivers (sqliteodbc) refuse while any is open.
  std::unordered_set<SQLHSTMT> statements;

  Status Check(SQLRETURN rc, SQLSMALLINT type, SQLHANDLE h, std::string_view context) const {
    return internal::Check(rc, type, h, driver.family, context, secrets);
  }
};

}  // namespace zcrmsync::odbc::internal
