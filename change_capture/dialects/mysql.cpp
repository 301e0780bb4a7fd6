// MySQL / MariaDB: row-level triggers, one per event; the agent's objects in
// a database of their own; a one-column key as CAST(... AS CHAR) text.
#include "change_capture/dialects/dialect_kit.h"
#include "core/status_macros.h"

namespace zcrmsync::change_capture::internal {
namespace {

constexpr Dialect kD = Dialect::kMySQL;

class MySqlKit final : public DialectKit {
 public:
  std::string_view name() const override { return "mysql"; }

  Result<sql::Tokens> AgentTokens(const std::string& agent_schema) const override {
    return QualifiedAgentTokens(kD, agent_schema);
  }

  Result<sql::Tokens> CaptureTokens(const std::string& agent_schema,
                                    const CaptureTable& table) const override {
    ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, AgentTokens(agent_schema));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string tbl, QuoteIdentifier(kD, table.table));
    std::string qualifier;  // triggers live in the table's database
    if (table.schema) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(kD, *table.schema));
      qualifier = s + ".";
    }
    t["table"] = qualifier + tbl;
    ZCRMSYNC_RETURN_IF_ERROR(AddTriggerTokens(t, kD, agent_schema + "_" + table.mapping,
                                              {"insert", "update", "delete"}, qualifier));
    t["mapping"] = StringLiteral(table.mapping, /*double_backslashes=*/true);
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string kn,
                              JoinColumns(kD, table.key_columns, "CAST(NEW.$c AS CHAR)", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string ko,
                              JoinColumns(kD, table.key_columns, "CAST(OLD.$c AS CHAR)", ", "));
    // A one-column key is stored as plain text (no JSON function per row);
    // a composite key as a JSON array holding the one key.
    const bool one = table.key_columns.size() == 1;
    t["key_column"] = one ? "key_text" : "keys_json";
    t["key_new"] = one ? kn : "JSON_ARRAY(JSON_ARRAY(" + kn + "))";
    t["key_old"] = one ? ko : "JSON_ARRAY(JSON_ARRAY(" + ko + "))";
    // A key change (K): [old key, new key], each a text or an array of texts.
    t["key_change"] = one ? "JSON_ARRAY(" + ko + ", " + kn + ")"
                          : "JSON_ARRAY(JSON_ARRAY(" + ko + "), JSON_ARRAY(" + kn + "))";
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_same"],
                              JoinColumns(kD, table.key_columns, "OLD.$c <=> NEW.$c", " AND "));
    if (table.mapped_columns.empty()) {
      t["mapped_same"] = "TRUE";
    } else {
      // As bytes: under a case-insensitive collation 'abc' <=> 'ABC'.
      ZCRMSYNC_ASSIGN_OR_RETURN(
          t["mapped_same"],
          JoinColumns(kD, table.mapped_columns, "CAST(OLD.$c AS BINARY) <=> CAST(NEW.$c AS BINARY)",
                      " AND "));
    }
    return t;
  }

  // For the mysql client: trigger bodies hold ';', so the delimiter changes.
  std::string JoinForReading(const std::vector<std::string>& statements) const override {
    std::string out = "DELIMITER $$\n\n";
    for (const std::string& s : statements) out += s + " $$\n\n";
    out += "DELIMITER ;\n";
    return out;
  }
};

}  // namespace

std::unique_ptr<DialectKit> MakeMySqlKit() { return std::make_unique<MySqlKit>(); }

}  // namespace zcrmsync::change_capture::internal
