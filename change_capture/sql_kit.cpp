#include "change_capture/sql_kit.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "change_capture/dialects/dialect_kit.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "sql/render.h"
#include "sql/sql_templates.h"

namespace zcrmsync::change_capture {
namespace {

std::string TrimStatement(std::string_view s) { return std::string(TrimWhitespace(s)); }

std::unique_ptr<internal::DialectKit> KitFor(Dialect d) {
  switch (d) {
    case Dialect::kPostgreSQL: return internal::MakePostgresKit();
    case Dialect::kMySQL: return internal::MakeMySqlKit();
    case Dialect::kSQLite: return internal::MakeSqliteKit();
    case Dialect::kSqlServer: return internal::MakeSqlServerKit();
  }
  return internal::MakePostgresKit();
}

// Splits rendered text at lines holding only GO, and drops the template's
// opening comment block (it documents tokens, not objects).
std::vector<std::string> SplitStatements(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool in_header = true;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    const std::string trimmed = TrimStatement(line);
    if (in_header && (trimmed.rfind("--", 0) == 0 || trimmed.empty())) {
      // still in the template's header
    } else if (trimmed == "GO") {
      in_header = false;
      if (!TrimStatement(current).empty()) out.push_back(TrimStatement(current));
      current.clear();
    } else {
      in_header = false;
      current.append(line);
      current += '\n';
    }
    pos = end + 1;
  }
  if (!TrimStatement(current).empty()) out.push_back(TrimStatement(current));
  return out;
}

Status ValidateTable(const CaptureTable& t) {
  const std::string where = "mapping '" + t.mapping + "'";
  if (t.mapping.empty() || t.mapping.size() > 40 ||
      !std::all_of(t.mapping.begin(), t.mapping.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    return InvalidArgumentError(where +
                                ": the name must be 1-40 letters, digits, '_' or '-' "
                                "(it names the triggers)");
  }
  if (t.table.empty()) return InvalidArgumentError(where + ": no table");
  if (t.key_columns.empty()) return InvalidArgumentError(where + ": no key column");
  std::set<std::string> seen;
  for (const auto& c : t.key_columns) {
    if (!seen.insert(c).second) {
      return InvalidArgumentError(where + ": key column '" + c + "' is listed twice");
    }
  }
  return Status();
}

Result<Script> Render(const KitOptions& options, const std::vector<CaptureTable>& tables,
                      bool install) {
  if (options.agent_schema.empty()) return Error(InvalidArgumentError("empty agent schema"));
  auto kit = KitFor(options.dialect);
  Script script{options.dialect, {}};
  std::set<std::string> names;
  auto add = [&](std::string_view template_name, const sql::Tokens& tokens,
                 const std::string& context) -> Status {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string_view text, sql::FindTemplate(kit->name(), template_name));
    auto rendered = sql::Render(text, tokens, /*require_all_used=*/false);
    if (!rendered) return rendered.error().WithContext(context);
    for (std::string& s : SplitStatements(*rendered)) script.statements.push_back(std::move(s));
    return Status();
  };
  auto agent = kit->AgentTokens(options.agent_schema);
  if (!agent) return Error(agent.error().WithContext("agent schema '" + options.agent_schema + "'"));
  if (install) ZCRMSYNC_RETURN_IF_ERROR(add("agent_schema.sql", *agent, "agent schema"));
  for (const CaptureTable& original : tables) {
    ZCRMSYNC_RETURN_IF_ERROR(ValidateTable(original));
    if (!names.insert(original.mapping).second) {
      return Error(InvalidArgumentError("mapping '" + original.mapping + "' is listed twice"));
    }
    CaptureTable t = original;
    // A key column is captured through the key; listing it again adds nothing.
    std::erase_if(t.mapped_columns, [&](const std::string& c) {
      return std::find(t.key_columns.begin(), t.key_columns.end(), c) != t.key_columns.end();
    });
    std::sort(t.mapped_columns.begin(), t.mapped_columns.end());
    t.mapped_columns.erase(std::unique(t.mapped_columns.begin(), t.mapped_columns.end()),
                           t.mapped_columns.end());
    auto tokens = kit->CaptureTokens(options.agent_schema, t);
    if (!tokens) return Error(tokens.error().WithContext("mapping '" + t.mapping + "'"));
    ZCRMSYNC_RETURN_IF_ERROR(add(install ? "capture_table.sql" : "drop_capture_table.sql",
                                 *tokens, "mapping '" + t.mapping + "'"));
  }
  if (!install) ZCRMSYNC_RETURN_IF_ERROR(add("drop_agent_schema.sql", *agent, "agent schema"));
  return script;
}

}  // namespace

std::string Script::ToText() const {
  auto kit = KitFor(dialect);
  return "-- zcrmsync SQL kit for " + std::string(DialectName(dialect)) +
         ". Review it, then run it as one transaction where the dialect allows.\n" +
         (dialect == Dialect::kSqlServer
              ? "-- Not executed on a SQL Server by the zcrmsync project: grammar-checked only.\n"
              : "") +
         "\n" + kit->JoinForReading(statements);
}

Result<Script> RenderCaptureTable(const KitOptions& options, const CaptureTable& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Script all, Render(options, {table}, /*install=*/true));
  ZCRMSYNC_ASSIGN_OR_RETURN(Script agent, Render(options, {}, /*install=*/true));
  all.statements.erase(all.statements.begin(),
                       all.statements.begin() + static_cast<std::ptrdiff_t>(agent.statements.size()));
  return all;
}

Result<Script> RenderInstall(const KitOptions& options, const std::vector<CaptureTable>& tables) {
  return Render(options, tables, /*install=*/true);
}

Result<Script> RenderUninstall(const KitOptions& options, const std::vector<CaptureTable>& tables) {
  return Render(options, tables, /*install=*/false);
}

namespace {

// "?, ?, ?": `n` placeholders.
std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i > 0 ? ", ?" : "?";
  return out;
}

// An agent-level template with the agent's tokens and `extra`.
Result<Script> RenderAgentTemplate(const KitOptions& options, std::string_view template_name,
                                   const sql::Tokens& extra) {
  auto kit = KitFor(options.dialect);
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens tokens, kit->AgentTokens(options.agent_schema));
  for (const auto& [name, value] : extra) tokens[name] = value;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string_view text, sql::FindTemplate(kit->name(), template_name));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string rendered,
                            sql::Render(text, tokens, /*require_all_used=*/false));
  return Script{options.dialect, SplitStatements(rendered)};
}

Result<std::string> OnlyStatement(Script script, std::string_view template_name) {
  if (script.statements.size() != 1) {
    return Error(InternalError(std::string(template_name) + " must hold exactly one statement"));
  }
  return std::move(script.statements.front());
}

}  // namespace

Result<Script> RenderAgentWrites(const KitOptions& options, std::string_view template_name) {
  return RenderAgentTemplate(options, template_name, {});
}

Result<std::string> RenderAgentStatement(const KitOptions& options,
                                         std::string_view template_name) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Script script, RenderAgentTemplate(options, template_name, {}));
  return OnlyStatement(std::move(script), template_name);
}

Result<std::string> RenderAgentBatchStatement(const KitOptions& options,
                                              std::string_view template_name, size_t count,
                                              size_t width) {
  if (count == 0 || width == 0) {
    return Error(InvalidArgumentError(std::string(template_name) + " needs at least one item"));
  }
  const std::string row = "(" + Placeholders(width) + ")";
  std::string rows;
  for (size_t i = 0; i < count; ++i) rows += (i > 0 ? ", " : "") + row;
  ZCRMSYNC_ASSIGN_OR_RETURN(
      Script script, RenderAgentTemplate(options, template_name,
                                         {{"rows", rows}, {"placeholders", Placeholders(count)}}));
  return OnlyStatement(std::move(script), template_name);
}

namespace {

// Tokens for one row of a mapped table: the table, the key predicate, and
// `columns` joined by `pattern` ("$c" is the quoted column) and `sep`.
Result<sql::Tokens> RowTokens(Dialect d, const CaptureTable& table,
                              const std::vector<std::string>& columns, const char* list_token,
                              const std::string& pattern, const std::string& sep) {
  if (columns.empty()) return Error(InvalidArgumentError("no columns for " + table.table));
  sql::Tokens t;
  ZCRMSYNC_ASSIGN_OR_RETURN(t[list_token],
                            internal::JoinColumns(d, columns, pattern, sep));
  ZCRMSYNC_ASSIGN_OR_RETURN(t["table"], QuoteIdentifier(d, table.table));
  if (table.schema) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(d, *table.schema));
    t["table"] = s + "." + t["table"];
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(t["key_predicate"],
                            internal::JoinColumns(d, table.key_columns, "$c = ?", " AND "));
  return t;
}

Result<std::string> RenderRowStatement(const KitOptions& options, std::string_view template_name,
                                       const sql::Tokens& tokens) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string_view text,
                            sql::FindTemplate(KitFor(options.dialect)->name(), template_name));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string rendered, sql::Render(text, tokens));
  auto statements = SplitStatements(rendered);
  if (statements.size() != 1) {
    return Error(InternalError(std::string(template_name) + " must hold one statement"));
  }
  return statements.front();
}

}  // namespace

Result<std::string> RenderSelectRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns) {
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t,
                            RowTokens(options.dialect, table, columns, "columns", "$c", ", "));
  return RenderRowStatement(options, "select_row.sql", t);
}

Result<std::string> RenderLockRow(const KitOptions& options, const CaptureTable& table,
                                  const std::vector<std::string>& columns) {
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t,
                            RowTokens(options.dialect, table, columns, "columns", "$c", ", "));
  return RenderRowStatement(options, "lock_row.sql", t);
}

Result<std::string> RenderUpdateRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns) {
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t,
                            RowTokens(options.dialect, table, columns, "assignments", "$c = ?", ", "));
  return RenderRowStatement(options, "update_row.sql", t);
}

Result<std::string> RenderDeleteRow(const KitOptions& options, const CaptureTable& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, RowTokens(options.dialect, table, table.key_columns,
                                                     "unused_columns", "$c", ", "));
  t.erase("unused_columns");
  return RenderRowStatement(options, "delete_row.sql", t);
}

namespace {

// Key column `i` as text, the way the capture triggers render a key;
// `prefix` qualifies the column (SQL Server's "inserted."). SQL Server's
// text depends on the column's type: `key_types[i]`, else the table's
// column_types.
Result<std::string> KeyText(Dialect d, const CaptureTable& table, size_t i,
                            const std::string& prefix,
                            const std::vector<std::string>& key_types = {}) {
  const std::string& column = table.key_columns[i];
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string q, QuoteIdentifier(d, column));
  switch (d) {
    case Dialect::kPostgreSQL:
      return q + "::text";
    case Dialect::kMySQL:
      return "CAST(" + q + " AS CHAR)";
    case Dialect::kSQLite:
      return "CAST(" + q + " AS TEXT)";
    case Dialect::kSqlServer: {
      std::string type;
      if (i < key_types.size()) {
        type = key_types[i];
      } else if (auto it = table.column_types.find(column); it != table.column_types.end()) {
        type = it->second;
      }
      return internal::SqlServerKeyText(prefix + q, type);
    }
  }
  return Error(InternalError("unknown dialect"));
}

// Each key column as text (KeyText), aliased zcrmsync_key_N.
Result<std::string> KeyTexts(Dialect d, const CaptureTable& table, const std::string& prefix,
                             const std::vector<std::string>& key_types = {}) {
  std::string out;
  for (size_t i = 0; i < table.key_columns.size(); ++i) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string text, KeyText(d, table, i, prefix, key_types));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string alias,
                              QuoteIdentifier(d, "zcrmsync_key_" + std::to_string(i + 1)));
    out += (i > 0 ? ", " : "") + text + " AS " + alias;
  }
  return out;
}

}  // namespace

Result<std::string> RenderSelectRows(const KitOptions& options, const CaptureTable& table,
                                     const std::vector<std::string>& columns, size_t count) {
  if (table.key_columns.size() != 1 || count == 0) {
    return Error(InvalidArgumentError("select_rows.sql needs a one-column key and at least one key"));
  }
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, RowTokens(d, table, columns, "columns", "$c", ", "));
  t.erase("key_predicate");
  ZCRMSYNC_ASSIGN_OR_RETURN(t["key_column"], QuoteIdentifier(d, table.key_columns[0]));
  t["placeholders"] = Placeholders(count);
  return RenderRowStatement(options, "select_rows.sql", t);
}

Result<Script> RenderInsertRow(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& columns) {
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, RowTokens(d, table, columns, "columns", "$c", ", "));
  t.erase("key_predicate");
  t["placeholders"] = Placeholders(columns.size());
  ZCRMSYNC_ASSIGN_OR_RETURN(t["key_texts"],
                            KeyTexts(d, table, d == Dialect::kSqlServer ? "inserted." : ""));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string_view text,
                            sql::FindTemplate(KitFor(d)->name(), "insert_row.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string rendered, sql::Render(text, t));
  return Script{d, SplitStatements(rendered)};
}

Result<std::string> RenderCountRows(const KitOptions& options, const CaptureTable& table) {
  sql::Tokens t;
  ZCRMSYNC_ASSIGN_OR_RETURN(t["table"], QuoteIdentifier(options.dialect, table.table));
  if (table.schema) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(options.dialect, *table.schema));
    t["table"] = s + "." + t["table"];
  }
  return RenderRowStatement(options, "count_rows.sql", t);
}

Result<std::string> RenderMatchRows(const KitOptions& options, const CaptureTable& table,
                                    const std::vector<std::string>& match_columns) {
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, RowTokens(d, table, match_columns, "match_predicate",
                                                     "$c = ?", " AND "));
  t.erase("key_predicate");
  ZCRMSYNC_ASSIGN_OR_RETURN(t["key_texts"], KeyTexts(d, table, ""));
  return RenderRowStatement(options, "match_rows.sql", t);
}

Result<std::string> RenderSelectKeysAfter(const KitOptions& options, const CaptureTable& table,
                                          const std::optional<std::vector<std::string>>& after,
                                          int64_t limit, std::vector<Value>& params,
                                          const std::vector<std::string>& key_types) {
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, RowTokens(d, table, table.key_columns, "key_columns",
                                                     "$c", ", "));
  t.erase("key_predicate");
  // The same text the capture triggers make of a key, so both name a row
  // alike. Aliased: PostgreSQL resolves ORDER BY names against the select
  // list first, and would sort by the text.
  ZCRMSYNC_ASSIGN_OR_RETURN(t["key_texts"], KeyTexts(d, table, "", key_types));
  params.clear();
  if (d == Dialect::kSqlServer) params.push_back(Value::Int64(limit));
  if (!after) {
    t["after_predicate"] = "1 = 1";
  } else {
    if (after->size() != table.key_columns.size()) {
      return Error(InvalidArgumentError("load cursor has " + std::to_string(after->size()) +
                                        " key values, the table's key has " +
                                        std::to_string(table.key_columns.size())));
    }
    // (k1 > ?) OR (k1 = ? AND k2 > ?) OR ...: portable keyset paging, also
    // where row values cannot be compared (SQL Server).
    std::string predicate;
    for (size_t i = 0; i < table.key_columns.size(); ++i) {
      std::string clause;
      for (size_t j = 0; j <= i; ++j) {
        ZCRMSYNC_ASSIGN_OR_RETURN(std::string q, QuoteIdentifier(d, table.key_columns[j]));
        // PostgreSQL would compare a text parameter as text ('2' > '10').
        const std::string param = d == Dialect::kPostgreSQL && j < key_types.size()
                                      ? "CAST(? AS " + key_types[j] + ")"
                                      : "?";
        clause += (j > 0 ? " AND " : "") + q + (j == i ? " > " : " = ") + param;
        params.push_back(Value::Text((*after)[j]));
      }
      predicate += (i > 0 ? " OR " : "") + std::string("(") + clause + ")";
    }
    t["after_predicate"] = "(" + predicate + ")";
  }
  if (d != Dialect::kSqlServer) params.push_back(Value::Int64(limit));
  return RenderRowStatement(options, "select_keys_after.sql", t);
}

Result<Script> RenderBeginAgentWrites(const KitOptions& options) {
  return RenderAgentWrites(options, "begin_agent_writes.sql");
}

Result<Script> RenderEndAgentWrites(const KitOptions& options) {
  return RenderAgentWrites(options, "end_agent_writes.sql");
}

Result<std::vector<std::string>> AgentTableNames(const KitOptions& options) {
  ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens tokens, KitFor(options.dialect)->AgentTokens(options.agent_schema));
  std::vector<std::string> out;
  for (const std::string& t : internal::AgentTables()) out.push_back(tokens.at(t));
  return out;
}

}  // namespace zcrmsync::change_capture
