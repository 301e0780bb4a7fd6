#include "change_capture/dialects/dialect_kit.h"

#include "core/status_macros.h"

namespace zcrmsync::change_capture::internal {

std::string StringLiteral(std::string_view text, bool double_backslashes) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
    if (double_backslashes && c == '\\') out += '\\';
  }
  out += '\'';
  return out;
}

Result<sql::Tokens> QualifiedAgentTokens(Dialect dialect, const std::string& agent_schema) {
  sql::Tokens t;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string schema, QuoteIdentifier(dialect, agent_schema));
  t["schema"] = schema;
  for (const std::string& table : AgentTables()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string q, QuoteIdentifier(dialect, table));
    t[table] = schema + "." + q;
  }
  return t;
}

Status AddTriggerTokens(sql::Tokens& tokens, Dialect dialect, const std::string& name_prefix,
                        std::initializer_list<const char*> events, const std::string& qualifier) {
  for (const char* ev : events) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string name, QuoteIdentifier(dialect, name_prefix + "_" + ev));
    tokens[std::string("trigger_") + ev] = qualifier + name;
  }
  return Status();
}

// `pattern` holds "$c" where the quoted column goes, e.g. "o.$c IS DISTINCT FROM n.$c".
Result<std::string> JoinColumns(Dialect dialect, const std::vector<std::string>& columns,
                                const std::string& pattern, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    auto q = QuoteIdentifier(dialect, columns[i]);
    if (!q) return Error(q.error().WithContext("column"));
    std::string piece = pattern;
    for (size_t pos = piece.find("$c"); pos != std::string::npos; pos = piece.find("$c", pos)) {
      piece.replace(pos, 2, *q);
      pos += q->size();
    }
    if (i > 0) out += sep;
    out += piece;
  }
  return out;
}

Result<std::string> JoinEach(
    Dialect dialect, const std::vector<std::string>& columns,
    const std::function<std::string(const std::string& quoted, const std::string& column)>& piece,
    const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    auto q = QuoteIdentifier(dialect, columns[i]);
    if (!q) return Error(q.error().WithContext("column"));
    if (i > 0) out += sep;
    out += piece(*q, columns[i]);
  }
  return out;
}

}  // namespace zcrmsync::change_capture::internal
