// Dialect: the SQL flavour of the ERP database, as named in the config
// ("postgresql", "mysql", "sqlite", "sqlserver"), and the per-dialect rules
// that are behaviour rather than SQL text, starting with identifier quoting.
// Identifiers from the config are always quoted, never pasted raw.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "core/result.h"

namespace zcrmsync::change_capture {

enum class Dialect { kPostgreSQL, kMySQL, kSQLite, kSqlServer };

// INVALID_ARGUMENT names the allowed values.
Result<Dialect> ParseDialect(std::string_view name);
std::string_view DialectName(Dialect dialect);
std::ostream& operator<<(std::ostream& os, Dialect dialect);

// Quotes one identifier: "a""b" (PostgreSQL, SQLite), `a``b` (MySQL),
// [a]]b] (SQL Server). INVALID_ARGUMENT for an empty name, a NUL character,
// or a name longer than the dialect allows (PostgreSQL 63 bytes, MySQL 64
// characters, SQL Server 128 characters).
Result<std::string> QuoteIdentifier(Dialect dialect, std::string_view name);

}  // namespace zcrmsync::change_capture
