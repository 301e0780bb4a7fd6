// The DBA's commands on the SQL kit, driven by the config: check the
// database side of the mappings, install, uninstall, and verify what is
// installed against what the config implies. Problems come back one line
// each, naming the mapping, table and column.
#pragma once

#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::change_capture {

// The kit options and capture tables a config implies. A mapping captures
// its key columns, every column that flows ERP -> CRM, and its soft-delete
// column. INVALID_ARGUMENT for an unknown dialect.
Result<KitOptions> KitOptionsFor(const mappings::Config& config);
std::vector<CaptureTable> CaptureTablesFor(const mappings::Config& config);

// Every mapped table exists and has every key and mapped column.
Result<std::vector<std::string>> CheckTables(odbc::Connection& connection, const KitOptions& options,
                                             const std::vector<CaptureTable>& tables);

// Checks the tables (FAILED_PRECONDITION listing the problems), applies the
// install script (rendered with the columns' catalogue types, see
// DescribeCaptureColumns), and records the captured columns' types for Verify.
Status Install(odbc::Connection& connection, const KitOptions& options,
               const std::vector<CaptureTable>& tables);

Status Uninstall(odbc::Connection& connection, const KitOptions& options,
                 const std::vector<CaptureTable>& tables);

// Drift between the database and the config: a missing agent table, a
// missing or changed trigger or function, a dropped column, a column whose
// type changed since install. Empty when they match.
Result<std::vector<std::string>> Verify(odbc::Connection& connection, const KitOptions& options,
                                        const std::vector<CaptureTable>& tables);

}  // namespace zcrmsync::change_capture
