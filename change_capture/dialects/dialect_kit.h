// Private to change_capture/: what differs per dialect when rendering the SQL
// kit. The SQL text is in sql/<dialect>/; this is only the behaviour: how
// names are quoted and qualified, how a key becomes JSON text, how "a mapped
// column changed" is written, and how a script is shown to a person.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "sql/render.h"

namespace zcrmsync::change_capture::internal {

inline const std::vector<std::string>& AgentTables() {
  static const std::vector<std::string> names = {"schema_version", "changes", "links",
                                                 "state",          "errors",  "conflicts"};
  return names;
}

class DialectKit {
 public:
  virtual ~DialectKit() = default;
  virtual std::string_view name() const = 0;  // the sql/<dialect>/ folder
  // Tokens for agent_schema.sql and drop_agent_schema.sql.
  virtual Result<sql::Tokens> AgentTokens(const std::string& agent_schema) const = 0;
  // Tokens for capture_table.sql and drop_capture_table.sql.
  virtual Result<sql::Tokens> CaptureTokens(const std::string& agent_schema,
                                            const CaptureTable& table) const = 0;
  // The statements as one text a person (and the dialect's CLI) can run.
  virtual std::string JoinForReading(const std::vector<std::string>& statements) const = 0;
};

std::unique_ptr<DialectKit> MakePostgresKit();
std::unique_ptr<DialectKit> MakeMySqlKit();
std::unique_ptr<DialectKit> MakeSqliteKit();
std::unique_ptr<DialectKit> MakeSqlServerKit();

// Shared helpers.
// 'text' with quotes doubled (and, for MySQL, backslashes doubled).
std::string StringLiteral(std::string_view text, bool double_backslashes = false);
// {"schema": quoted schema, "<table>": schema.table} for every agent table.
Result<sql::Tokens> QualifiedAgentTokens(Dialect dialect, const std::string& agent_schema);

// Adds "trigger_<event>" = qualifier + quoted "<name_prefix>_<event>" per event.
Status AddTriggerTokens(sql::Tokens& tokens, Dialect dialect, const std::string& name_prefix,
                        std::initializer_list<const char*> events, const std::string& qualifier);

// Joins "prefix<col>suffix" pieces with `sep`, each column quoted.
Result<std::string> JoinColumns(Dialect dialect, const std::vector<std::string>& columns,
                                const std::string& pattern, const std::string& sep);

// Joins `piece(quoted, column)` of every column with `sep`.
Result<std::string> JoinEach(
    Dialect dialect, const std::vector<std::string>& columns,
    const std::function<std::string(const std::string& quoted, const std::string& column)>& piece,
    const std::string& sep);

// SQL Server: `expression` (a key column of catalogue type `type`, "" when
// unknown) as nvarchar text that converts back to the same value:
// CONVERT(nvarchar(4000), expression[, style]).
std::string SqlServerKeyText(const std::string& expression, std::string_view type);

}  // namespace zcrmsync::change_capture::internal
