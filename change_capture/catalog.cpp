#include "change_capture/catalog.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/status_macros.h"
#include "odbc/statement.h"
#include "sql/sql_templates.h"

namespace zcrmsync::change_capture {
namespace {

Result<std::string> QualifiedName(Dialect d, const std::optional<std::string>& schema,
                                  const std::string& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string t, QuoteIdentifier(d, table));
  if (!schema) return t;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(d, *schema));
  return s + "." + t;
}

Value OptionalText(const std::optional<std::string>& v) {
  return v ? Value::Text(*v) : Value::Null(ValueType::kText);
}

// Binds the (schema, table) the way each dialect's template lists it.
Result<std::vector<Value>> TableParams(Dialect d, const std::optional<std::string>& schema,
                                       const std::string& table) {
  switch (d) {
    case Dialect::kPostgreSQL:
    case Dialect::kSqlServer: {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string q, QualifiedName(d, schema, table));
      return std::vector<Value>{Value::Text(q)};
    }
    case Dialect::kMySQL: return std::vector<Value>{OptionalText(schema), Value::Text(table)};
    case Dialect::kSQLite: return std::vector<Value>{Value::Text(table)};
  }
  return Error(InternalError("unknown dialect"));
}

Result<std::vector<odbc::Row>> Query(odbc::Connection& c, Dialect d, std::string_view template_name,
                                     std::vector<Value> params) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string_view sql, sql::FindTemplate(DialectName(d), template_name));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, c.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll(std::move(params)));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()));
  std::vector<odbc::Row> rows;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool more, stmt.Fetch());
    if (!more) break;
    odbc::Row row;
    for (size_t i = 1; i <= stmt.columns().size(); ++i) {
      ZCRMSYNC_ASSIGN_OR_RETURN(Value v, stmt.GetValue(i, ValueType::kText));
      row.push_back(std::move(v));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Text(const Value& v) { return v.is_null() ? std::string() : v.text_value(); }

// Reads a possibly qualified, quoted name at the start of `s` and returns its
// last part unquoted: "erp"."Customer List" -> Customer List.
std::string LastIdentifier(Dialect d, std::string_view s) {
  const char open = d == Dialect::kMySQL ? '`' : d == Dialect::kSqlServer ? '[' : '"';
  const char close = d == Dialect::kMySQL ? '`' : d == Dialect::kSqlServer ? ']' : '"';
  std::string last;
  size_t i = 0;
  while (i < s.size()) {
    last.clear();
    if (s[i] == open) {
      ++i;
      while (i < s.size()) {
        if (s[i] == close) {
          if (i + 1 < s.size() && s[i + 1] == close) {
            last += close;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        last += s[i++];
      }
    } else {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
        last += s[i++];
      }
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  return last;
}

}  // namespace

std::string NormalizeSql(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

Result<std::vector<TableColumn>> DescribeTable(odbc::Connection& connection, Dialect dialect,
                                               const std::optional<std::string>& schema,
                                               const std::string& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<Value> params, TableParams(dialect, schema, table));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto rows, Query(connection, dialect, "describe_table.sql", std::move(params)));
  std::vector<TableColumn> out;
  for (const auto& r : rows) {
    out.push_back(
        {Text(r[0]), Text(r[1]), Text(r[2]) != "NO", r.size() > 3 && Text(r[3]) == "YES"});
  }
  return out;
}

namespace {

Status DescribeColumns(odbc::Connection& connection, Dialect dialect, CaptureTable& table,
                       bool keys_only) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto columns,
                            DescribeTable(connection, dialect, table.schema, table.table));
  auto wanted = [&](const std::string& name) {
    auto in = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), name) != v.end();
    };
    return in(table.key_columns) || (!keys_only && in(table.mapped_columns));
  };
  for (const TableColumn& c : columns) {
    if (!wanted(c.name)) continue;
    table.column_types[c.name] = c.type;
    if (c.loose && !keys_only) table.loose_columns.insert(c.name);
  }
  return Status();
}

}  // namespace

Status DescribeCaptureColumns(odbc::Connection& connection, Dialect dialect, CaptureTable& table) {
  return DescribeColumns(connection, dialect, table, /*keys_only=*/false)
      .WithContext("describe table " + table.table);
}

Status DescribeKeyColumns(odbc::Connection& connection, Dialect dialect, CaptureTable& table) {
  if (dialect != Dialect::kSqlServer) return Status();
  return DescribeColumns(connection, dialect, table, /*keys_only=*/true)
      .WithContext("describe table " + table.table);
}

Result<std::vector<std::vector<std::string>>> UniqueKeys(odbc::Connection& connection,
                                                         Dialect dialect,
                                                         const std::optional<std::string>& schema,
                                                         const std::string& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<Value> params, TableParams(dialect, schema, table));
  if (dialect == Dialect::kSQLite) params.push_back(Value::Text(table));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto rows, Query(connection, dialect, "unique_keys.sql", std::move(params)));
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& r : rows) keys[Text(r[0])].push_back(Text(r[1]));
  std::vector<std::vector<std::string>> out;
  for (auto& [name, cols] : keys) out.push_back(std::move(cols));
  return out;
}

Result<std::vector<DbObject>> ListCaptureObjects(odbc::Connection& connection,
                                                 const KitOptions& options,
                                                 const CaptureTable& table) {
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::vector<Value> params, TableParams(d, table.schema, table.table));
  if (d == Dialect::kPostgreSQL) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string schema, QuoteIdentifier(d, options.agent_schema));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string fn, QuoteIdentifier(d, "capture_" + table.mapping));
    params.push_back(Value::Text(schema + "." + fn + "()"));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto rows, Query(connection, d, "list_capture_objects.sql", std::move(params)));
  std::vector<DbObject> out;
  for (const auto& r : rows) out.push_back({Text(r[0]), Text(r[1]), Text(r[2])});
  return out;
}

Result<std::vector<DbObject>> ExpectedCaptureObjects(const KitOptions& options,
                                                     const CaptureTable& table) {
  const Dialect d = options.dialect;
  ZCRMSYNC_ASSIGN_OR_RETURN(Script script, RenderCaptureTable(options, table));
  std::vector<DbObject> out;
  constexpr std::string_view kTrigger = "CREATE TRIGGER ";
  constexpr std::string_view kFunction = "CREATE OR REPLACE FUNCTION ";
  for (const std::string& s : script.statements) {
    if (s.rfind(kTrigger, 0) == 0) {
      DbObject o{"trigger", LastIdentifier(d, std::string_view(s).substr(kTrigger.size())), ""};
      if (d == Dialect::kSQLite || d == Dialect::kSqlServer) {
        o.definition = NormalizeSql(s);
      } else if (d == Dialect::kMySQL) {
        const size_t body = s.find("FOR EACH ROW");
        if (body != std::string::npos) o.definition = NormalizeSql(s.substr(body + 12));
      }
      out.push_back(std::move(o));
    } else if (s.rfind(kFunction, 0) == 0) {
      const std::string_view rest = std::string_view(s).substr(kFunction.size());
      DbObject o{"function", LastIdentifier(d, rest.substr(0, rest.find('('))), ""};
      const size_t open = s.find("$zcrmsync$");
      const size_t close = s.rfind("$zcrmsync$");
      if (open != std::string::npos && close > open) {
        o.definition = NormalizeSql(s.substr(open + 10, close - open - 10));
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

Status SaveState(odbc::Connection& connection, const KitOptions& options, const std::string& name,
                 const std::string& value) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(options, "save_state.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll({Value::Text(name), Value::Text(value)}));
  return StatusOf(stmt.Execute()).WithContext("save state " + name);
}

Result<std::optional<std::string>> LoadState(odbc::Connection& connection,
                                             const KitOptions& options, const std::string& name) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(options, "load_state.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll({Value::Text(name)}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("load state " + name));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return std::optional<std::string>();
  return stmt.GetText(1);
}

Result<std::map<std::string, std::string>> ListStates(odbc::Connection& connection,
                                                      const KitOptions& options,
                                                      const std::string& prefix) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(options, "list_states.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll({Value::Text(prefix), Value::Text(prefix)}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("list state " + prefix + "*"));
  std::map<std::string, std::string> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
    if (!row) break;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto name, stmt.GetText(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto value, stmt.GetText(2));
    if (name) out[*name] = value.value_or("");
  }
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  return out;
}

Status DeleteState(odbc::Connection& connection, const KitOptions& options, const std::string& name) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, RenderAgentStatement(options, "delete_state.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll({Value::Text(name)}));
  return StatusOf(stmt.Execute()).WithContext("delete state " + name);
}

}  // namespace zcrmsync::change_capture
