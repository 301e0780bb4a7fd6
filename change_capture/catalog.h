// What is in the database: a table's columns, the capture objects installed
// on it, and the agent's state rows. The SQL is in sql/<dialect>/
// (describe_table.sql, list_capture_objects.sql, save_state.sql,
// load_state.sql); values are bound parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "odbc/connection.h"

namespace zcrmsync::change_capture {

struct TableColumn {
  std::string name;
  std::string type;  // as the catalogue spells it, e.g. "character varying(100)"
  bool nullable = true;
  // '=' may hold between different texts, so a case-only or trailing-space
  // edit would look like no change: PostgreSQL citext (or an array or domain
  // of it) and nondeterministic collations; every SQL Server character type
  // (trailing spaces are padded, collations mostly case-insensitive). Always
  // false on MySQL and SQLite, whose capture compares every column exactly.
  bool loose = false;
};

// The columns in order; empty when the table does not exist.
Result<std::vector<TableColumn>> DescribeTable(odbc::Connection& connection, Dialect dialect,
                                               const std::optional<std::string>& schema,
                                               const std::string& table);

// Fills table.column_types and table.loose_columns for its key and mapped
// columns from the catalogue (see CaptureTable). A table that does not exist
// is left as is: CheckTables reports it.
Status DescribeCaptureColumns(odbc::Connection& connection, Dialect dialect, CaptureTable& table);

// The same for the key columns' types only, where the dialect renders key
// text by type (SQL Server); a no-op, without a query, elsewhere.
Status DescribeKeyColumns(odbc::Connection& connection, Dialect dialect, CaptureTable& table);

// Every primary or unique key of the table, as column sets.
Result<std::vector<std::vector<std::string>>> UniqueKeys(odbc::Connection& connection,
                                                         Dialect dialect,
                                                         const std::optional<std::string>& schema,
                                                         const std::string& table);

// A trigger or function: its name (unquoted) and the part of its definition
// that zcrmsync compares (see ExpectedCaptureObjects).
struct DbObject {
  std::string kind;  // "trigger" or "function"
  std::string name;
  std::string definition;
};

// What is installed on the mapped table (and its PostgreSQL capture function).
Result<std::vector<DbObject>> ListCaptureObjects(odbc::Connection& connection,
                                                 const KitOptions& options,
                                                 const CaptureTable& table);

// What the config implies, from the rendered install script. Definitions are
// compared whitespace-insensitively; PostgreSQL triggers by name only (their
// logic is in the function, which is compared).
Result<std::vector<DbObject>> ExpectedCaptureObjects(const KitOptions& options,
                                                     const CaptureTable& table);

// Whitespace runs collapsed to one space, ends trimmed.
std::string NormalizeSql(std::string_view sql);

Status SaveState(odbc::Connection& connection, const KitOptions& options, const std::string& name,
                 const std::string& value);
Result<std::optional<std::string>> LoadState(odbc::Connection& connection,
                                             const KitOptions& options, const std::string& name);
// The entries whose names start with `prefix` (name -> value), and removing one.
Result<std::map<std::string, std::string>> ListStates(odbc::Connection& connection,
                                                      const KitOptions& options,
                                                      const std::string& prefix);
Status DeleteState(odbc::Connection& connection, const KitOptions& options, const std::string& name);

}  // namespace zcrmsync::change_capture
