// SQL Server: one set-based trigger over inserted/deleted; the agent's objects
// in their own schema; the key as JSON text built with STRING_ESCAPE.
// Not executed on a SQL Server here: the output is grammar-checked only.
#include "change_capture/dialects/dialect_kit.h"
#include "core/status_macros.h"

namespace zcrmsync::change_capture::internal {
namespace {

constexpr Dialect kD = Dialect::kSqlServer;

std::string NLiteral(std::string_view text) { return "N" + StringLiteral(text); }

class SqlServerKit final : public DialectKit {
 public:
  std::string_view name() const override { return "sqlserver"; }

  Result<sql::Tokens> AgentTokens(const std::string& agent_schema) const override {
    ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, QualifiedAgentTokens(kD, agent_schema));
    // OBJECT_ID and EXEC take names and statements as N'' literals.
    t["schema_literal"] = NLiteral(agent_schema);
    t["create_schema_literal"] = NLiteral("CREATE SCHEMA " + t["schema"]);
    t["drop_schema_literal"] = NLiteral("DROP SCHEMA " + t["schema"]);
    for (const std::string& table : AgentTables()) t[table + "_literal"] = NLiteral(t[table]);
    return t;
  }

  Result<sql::Tokens> CaptureTokens(const std::string& agent_schema,
                                    const CaptureTable& table) const override {
    ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, AgentTokens(agent_schema));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string tbl, QuoteIdentifier(kD, table.table));
    std::string qualifier;  // the trigger lives in the table's schema
    if (table.schema) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(kD, *table.schema));
      qualifier = s + ".";
    }
    t["table"] = qualifier + tbl;
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string trg,
                              QuoteIdentifier(kD, agent_schema + "_" + table.mapping + "_capture"));
    t["trigger"] = qualifier + trg;
    t["mapping"] = NLiteral(table.mapping);
    auto key_json = [&](const char* alias) -> Result<std::string> {
      const std::string pattern =
          std::string("N'\"' + STRING_ESCAPE(CONVERT(nvarchar(4000), ") + alias +
          ".$c), 'json') + N'\"'";
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string parts,
                                JoinColumns(kD, table.key_columns, pattern, " + N',' + "));
      return "N'[' + " + parts + " + N']'";
    };
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_json_inserted"], key_json("i"));
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_json_deleted"], key_json("d"));
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_join"],
                              JoinColumns(kD, table.key_columns, "d.$c = i.$c", " AND "));
    if (table.mapped_columns.empty()) {
      t["mapped_changed"] = "1 = 0";
    } else {
      // EXCEPT compares NULLs as equal, unlike <>. It compares character
      // columns under their collation (mostly *_CI_AS) and ignores trailing
      // spaces, so those compare as bytes plus their length: varbinary
      // ignores trailing 0x00 bytes only, and a binary collation would still
      // pad spaces (and, for varchar, could turn characters outside its code
      // page into '?'). Reviewed and grammar-checked only, never executed.
      auto list = [&](const std::string& alias) {
        return JoinEach(
            kD, table.mapped_columns,
            [&](const std::string& q, const std::string& column) {
              const std::string c = alias + "." + q;
              return table.loose_columns.contains(column)
                         ? "CAST(" + c + " AS varbinary(max)), DATALENGTH(" + c + ")"
                         : c;
            },
            ", ");
      };
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string d, list("d"));
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string i, list("i"));
      t["mapped_changed"] = "EXISTS (SELECT " + d + " EXCEPT SELECT " + i + ")";
    }
    return t;
  }

  std::string JoinForReading(const std::vector<std::string>& statements) const override {
    std::string out;
    for (const std::string& s : statements) out += s + "\nGO\n\n";
    return out;
  }
};

}  // namespace

std::unique_ptr<DialectKit> MakeSqlServerKit() { return std::make_unique<SqlServerKit>(); }

}  // namespace zcrmsync::change_capture::internal
