// Applies a rendered SQL kit script over ODBC: in one transaction where the
// dialect's DDL is transactional (PostgreSQL, SQLite, SQL Server), statement
// by statement where it is not (MySQL/MariaDB commit DDL implicitly). An error
// names the statement that failed.
#pragma once

#include "change_capture/sql_kit.h"
#include "core/status.h"
#include "odbc/connection.h"

namespace zcrmsync::change_capture {

Status ApplyScript(odbc::Connection& connection, const Script& script);

}  // namespace zcrmsync::change_capture
