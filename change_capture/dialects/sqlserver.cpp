// SQL Server: one set-based trigger over inserted/deleted; the agent's objects
// in their own schema; the key as JSON text built with STRING_ESCAPE.
// Not executed on a SQL Server here: the output is grammar-checked only.
#include <cctype>

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
      ZCRMSYNC_ASSIGN_OR_RETURN(
          std::string parts,
          JoinEach(
              kD, table.key_columns,
              [&](const std::string& q, const std::string& column) {
                auto type = table.column_types.find(column);
                return "N'\"' + STRING_ESCAPE(" +
                       SqlServerKeyText(std::string(alias) + "." + q,
                                        type == table.column_types.end() ? "" : type->second) +
                       ", 'json') + N'\"'";
              },
              " + N',' + "));
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

// CONVERT's default styles lose precision: datetime to the minute
// ("Feb 29 2024  1:45PM"), money to 2 decimals, float to 6 digits. Key text
// must name one row exactly and convert back to it when bound as nvarchar
// (sync binds keys as text: WHERE key = ?):
// - datetime, smalldatetime: style 126, ISO 8601 with a T
//   (2024-02-29T13:45:59.997), which converts back whatever the session's
//   DATEFORMAT; 121's "yyyy-mm-dd hh:mi:ss" is read per DATEFORMAT for
//   these types.
// - datetime2, datetimeoffset, date, time: style 121, every fractional
//   digit (2024-02-29 13:45:59.1234567), the text PostgreSQL and MySQL give
//   such keys; it converts back to these types whatever the DATEFORMAT.
// - money, smallmoney: style 2, four decimals and no thousands separators.
// - float, real: style 3 (SQL Server 2016+), 17 significant digits: every
//   distinct value gets a distinct text that converts back exactly.
// Other types (integers, decimal, character, uniqueidentifier) keep the
// default, which is exact. Reviewed and grammar-checked only, never executed.
std::string SqlServerKeyText(const std::string& expression, std::string_view type) {
  std::string t;
  for (char c : type) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t = t.substr(0, t.find('('));
  const char* style = t == "datetime" || t == "smalldatetime" ? "126"
                      : t == "datetime2" || t == "datetimeoffset" || t == "date" || t == "time"
                          ? "121"
                      : t == "money" || t == "smallmoney" ? "2"
                      : t == "float" || t == "real"       ? "3"
                                                          : nullptr;
  return "CONVERT(nvarchar(4000), " + expression + (style ? std::string(", ") + style : "") + ")";
}

std::unique_ptr<DialectKit> MakeSqlServerKit() { return std::make_unique<SqlServerKit>(); }

}  // namespace zcrmsync::change_capture::internal
