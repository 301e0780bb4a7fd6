// The DBA's SQL kit: renders the install and uninstall scripts (the agent's
// own objects, then capture triggers per mapped table) for one dialect from
// the templates in sql/<dialect>/. Output is deterministic, idempotent to
// apply, and every identifier from the config is quoted by the dialect.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "change_capture/dialect.h"
#include "core/result.h"
#include "core/value.h"

namespace zcrmsync::change_capture {

// One mapped table, as the capture triggers need it.
struct CaptureTable {
  std::string mapping;                       // [A-Za-z0-9_]+, names the triggers
  std::optional<std::string> schema;         // the table's schema (MySQL: database)
  std::string table;
  std::vector<std::string> key_columns;      // the primary or a unique key
  std::vector<std::string> mapped_columns;   // other captured columns
  // What the catalogue says of them (DescribeCaptureColumns, catalog.h),
  // where the database was at hand; without it the plain forms render. The
  // capture compares a loose column (TableColumn::loose) exactly: as text in
  // the "C" collation on PostgreSQL, as bytes and length on SQL Server. SQL
  // Server turns datetime, money and float keys into text with exact styles
  // by type. Other columns keep the plain, cheapest comparison.
  std::map<std::string, std::string> column_types;  // column -> catalogue type
  std::set<std::string> loose_columns;
};

struct KitOptions {
  Dialect dialect = Dialect::kPostgreSQL;
  std::string agent_schema = "zcrmsync";     // SQLite: the table-name prefix
};

// A script: statements to run one by one over ODBC, and the same text
// joined for a person (psql / mysql / sqlite3 / sqlcmd can run it as is).
struct Script {
  Dialect dialect;
  std::vector<std::string> statements;
  std::string ToText() const;
};

// INVALID_ARGUMENT names the mapping and what is wrong (bad mapping name, no
// key column, a column listed twice, an identifier the dialect cannot hold).
Result<Script> RenderInstall(const KitOptions& options, const std::vector<CaptureTable>& tables);
Result<Script> RenderUninstall(const KitOptions& options, const std::vector<CaptureTable>& tables);

// Only the capture statements of one table (capture_table.sql).
Result<Script> RenderCaptureTable(const KitOptions& options, const CaptureTable& table);

// The statements that start and end echo suppression for the agent's own
// write transactions (sql/<dialect>/begin_agent_writes.sql and
// end_agent_writes.sql). REQUIRES for PostgreSQL and SQLite: autocommit off.
Result<Script> RenderBeginAgentWrites(const KitOptions& options);
Result<Script> RenderEndAgentWrites(const KitOptions& options);

// One statement from an agent-level template (read_changes.sql,
// purge_changes.sql, oldest_open_transaction.sql), rendered for `options`.
Result<std::string> RenderAgentStatement(const KitOptions& options, std::string_view template_name);
// The same for a statement over `count` items (load_links.sql,
// save_links.sql): ${placeholders} becomes `count` placeholders and
// ${rows} `count` rows of `width` placeholders. INVALID_ARGUMENT for 0.
Result<std::string> RenderAgentBatchStatement(const KitOptions& options,
                                              std::string_view template_name, size_t count,
                                              size_t width);

// SELECT of `columns` from the table of `table`, one row by its key: the
// parameters are the key values in key-column order (select_row.sql).
Result<std::string> RenderSelectRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns);

// The same SELECT, locking the row until the transaction ends (lock_row.sql;
// SQLite's agent transaction holds the write lock already).
Result<std::string> RenderLockRow(const KitOptions& options, const CaptureTable& table,
                                  const std::vector<std::string>& columns);

// UPDATE of `columns` in the table of `table`, one row by its key: the
// parameters are the new values, then the key values (update_row.sql).
Result<std::string> RenderUpdateRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns);

// DELETE of one row of the table of `table` by its key (delete_row.sql).
Result<std::string> RenderDeleteRow(const KitOptions& options, const CaptureTable& table);

// SELECT of `columns` from the table of `table` for `count` rows at once by a
// one-column key (select_rows.sql): the parameters are the keys.
// INVALID_ARGUMENT for a composite key or a count of 0.
Result<std::string> RenderSelectRows(const KitOptions& options, const CaptureTable& table,
                                     const std::vector<std::string>& columns, size_t count);

// INSERT of `columns` into the table of `table`, returning the new row's key
// columns as text (insert_row.sql). The parameters (the values) go to the
// first statement; the last one returns the key (one statement in most
// dialects). The key may come from the values or from the database.
Result<Script> RenderInsertRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns);

// SELECT COUNT(*) of the table of `table` (count_rows.sql); no parameters.
Result<std::string> RenderCountRows(const KitOptions& options, const CaptureTable& table);

// The keys (as text) of at most two rows whose `match_columns` equal the
// parameters, in that order (match_rows.sql). SQL Server renders key text by
// the key columns' table.column_types (DescribeKeyColumns), as the capture
// trigger does; the same holds for RenderInsertRow.
Result<std::string> RenderMatchRows(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& match_columns);

// The next `limit` keys after a key (none: from the start), in key order
// (select_keys_after.sql). `params` receives the parameters to bind, in
// order, for `after` and `limit`; keys are bound as text. `key_types` (the
// catalogue's type of each key column) makes PostgreSQL compare in the
// column's type, not as text, and SQL Server render the key text by type
// (as the capture trigger does; else table.column_types).
Result<std::string> RenderSelectKeysAfter(const KitOptions& options, const CaptureTable& table,
                                          const std::optional<std::vector<std::string>>& after,
                                          int64_t limit, std::vector<Value>& params,
                                          const std::vector<std::string>& key_types = {});

// The names of the agent's own tables for `options` (quoted, qualified), in
// the order: schema_version, changes, links, state, errors, conflicts.
Result<std::vector<std::string>> AgentTableNames(const KitOptions& options);

}  // namespace zcrmsync::change_capture
