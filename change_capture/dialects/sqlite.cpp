// SQLite: row-level triggers, one per event; no schemas, so the agent's
// objects carry the configured prefix; a one-column key as CAST(... AS TEXT).
#include "change_capture/dialects/dialect_kit.h"
#include "core/status_macros.h"

namespace zcrmsync::change_capture::internal {
namespace {

constexpr Dialect kD = Dialect::kSQLite;

class SqliteKit final : public DialectKit {
 public:
  std::string_view name() const override { return "sqlite"; }

  Result<sql::Tokens> AgentTokens(const std::string& prefix) const override {
    sql::Tokens t;
    for (const std::string& table : AgentTables()) {
      ZCRMSYNC_ASSIGN_OR_RETURN(t[table], QuoteIdentifier(kD, prefix + "_" + table));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(t["suppress"], QuoteIdentifier(kD, prefix + "_suppress"));
    return t;
  }

  Result<sql::Tokens> CaptureTokens(const std::string& prefix,
                                    const CaptureTable& table) const override {
    if (table.schema) {
      return Error(InvalidArgumentError("SQLite has no schemas; table '" + *table.schema + "." +
                                        table.table + "' must be unqualified"));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, AgentTokens(prefix));
    ZCRMSYNC_ASSIGN_OR_RETURN(t["table"], QuoteIdentifier(kD, table.table));
    ZCRMSYNC_RETURN_IF_ERROR(AddTriggerTokens(t, kD, prefix + "_" + table.mapping,
                                              {"insert", "update", "update_key", "delete"}, ""));
    // UPDATE OF lists, so a trigger is not even started for a statement that
    // cannot concern it: a key change needs a key column in the SET list, a
    // U a mapped one (with no mapped column the U trigger can never fire;
    // the key columns keep its list valid).
    ZCRMSYNC_ASSIGN_OR_RETURN(t["update_key_columns"],
                              JoinColumns(kD, table.key_columns, "$c", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(
        t["update_columns"],
        JoinColumns(kD, table.mapped_columns.empty() ? table.key_columns : table.mapped_columns,
                    "$c", ", "));
    t["mapping"] = StringLiteral(table.mapping);
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string kn,
                              JoinColumns(kD, table.key_columns, "CAST(NEW.$c AS TEXT)", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string ko,
                              JoinColumns(kD, table.key_columns, "CAST(OLD.$c AS TEXT)", ", "));
    // A one-column key is stored as plain text (no JSON function per row);
    // a composite key as a JSON array holding the one key.
    const bool one = table.key_columns.size() == 1;
    t["key_column"] = one ? "key_text" : "keys_json";
    t["key_new"] = one ? kn : "json_array(json_array(" + kn + "))";
    t["key_old"] = one ? ko : "json_array(json_array(" + ko + "))";
    // A key change (K): [old key, new key], each a text or an array of texts.
    t["key_change"] = one ? "json_array(" + ko + ", " + kn + ")"
                          : "json_array(json_array(" + ko + "), json_array(" + kn + "))";
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_same"],
                              JoinColumns(kD, table.key_columns, "OLD.$c IS NEW.$c", " AND "));
    if (table.mapped_columns.empty()) {
      t["mapped_same"] = "1";
    } else {
      // A column declared COLLATE NOCASE or RTRIM would compare 'abc' and
      // 'ABC ' equal to 'ABC'. An explicit COLLATE BINARY on one operand
      // wins over the column's; it costs nothing measurable (100,000-row
      // UPDATE, same time), and SQLite's catalogue does not show a column's
      // collation, so every column gets it.
      ZCRMSYNC_ASSIGN_OR_RETURN(
          t["mapped_same"],
          JoinColumns(kD, table.mapped_columns, "OLD.$c IS NEW.$c COLLATE BINARY", " AND "));
    }
    return t;
  }

  std::string JoinForReading(const std::vector<std::string>& statements) const override {
    std::string out;
    for (const std::string& s : statements) out += s + ";\n\n";
    return out;
  }
};

}  // namespace

std::unique_ptr<DialectKit> MakeSqliteKit() { return std::make_unique<SqliteKit>(); }

}  // namespace zcrmsync::change_capture::internal
