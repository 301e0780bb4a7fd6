// PostgreSQL: statement-level triggers over transition tables; the agent's
// objects in their own schema; the keys as one json_agg(...) per statement.
#include "change_capture/dialects/dialect_kit.h"
#include "core/status_macros.h"

namespace zcrmsync::change_capture::internal {
namespace {

constexpr Dialect kD = Dialect::kPostgreSQL;

class PostgresKit final : public DialectKit {
 public:
  std::string_view name() const override { return "postgresql"; }

  Result<sql::Tokens> AgentTokens(const std::string& agent_schema) const override {
    return QualifiedAgentTokens(kD, agent_schema);
  }

  Result<sql::Tokens> CaptureTokens(const std::string& agent_schema,
                                    const CaptureTable& table) const override {
    ZCRMSYNC_ASSIGN_OR_RETURN(sql::Tokens t, AgentTokens(agent_schema));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string tbl, QuoteIdentifier(kD, table.table));
    if (table.schema) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string s, QuoteIdentifier(kD, *table.schema));
      tbl = s + "." + tbl;
    }
    t["table"] = tbl;
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string fn, QuoteIdentifier(kD, "capture_" + table.mapping));
    t["function"] = t["schema"] + "." + fn;
    ZCRMSYNC_RETURN_IF_ERROR(AddTriggerTokens(t, kD, agent_schema + "_" + table.mapping,
                                              {"insert", "update", "update_key", "delete"}, ""));
    t["mapping"] = StringLiteral(table.mapping);
    // json_agg turns text into a JSON string and json into an element, so a
    // one-column key needs no json of its own per row (cheaper), and keys_json
    // reads ["1","2"]; a composite key reads [["1","a"],["2","b"]].
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string kn,
                              JoinColumns(kD, table.key_columns, "n.$c::text", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string ko,
                              JoinColumns(kD, table.key_columns, "o.$c::text", ", "));
    const bool one = table.key_columns.size() == 1;
    t["key_new"] = one ? kn : "json_build_array(" + kn + ")";
    t["key_old"] = one ? ko : "json_build_array(" + ko + ")";
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_join"],
                              JoinColumns(kD, table.key_columns, "o.$c = n.$c", " AND "));
    // The row-level key-change trigger: [OLD key, NEW key], and its WHEN.
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string rn,
                              JoinColumns(kD, table.key_columns, "NEW.$c::text", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string ro,
                              JoinColumns(kD, table.key_columns, "OLD.$c::text", ", "));
    t["key_change"] = one ? "json_build_array(" + ro + ", " + rn + ")"
                          : "json_build_array(json_build_array(" + ro + "), json_build_array(" +
                                rn + "))";
    ZCRMSYNC_ASSIGN_OR_RETURN(t["key_columns"], JoinColumns(kD, table.key_columns, "$c", ", "));
    ZCRMSYNC_ASSIGN_OR_RETURN(
        t["key_differs"],
        JoinColumns(kD, table.key_columns, "OLD.$c IS DISTINCT FROM NEW.$c", " OR "));
    if (table.mapped_columns.empty()) {
      t["mapped_changed"] = "false";
    } else {
      // citext and nondeterministic collations call 'abc' and 'ABC ' equal
      // to 'ABC': such columns compare as text in the deterministic "C"
      // collation (byte-wise). Only those: the cast costs on a bulk update.
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string changed,
                                JoinEach(
                                    kD, table.mapped_columns,
                                    [&](const std::string& q, const std::string& column) {
                                      return table.loose_columns.contains(column)
                                                 ? "o." + q +
                                                       "::text COLLATE \"C\" IS DISTINCT FROM n." +
                                                       q + "::text COLLATE \"C\""
                                                 : "o." + q + " IS DISTINCT FROM n." + q;
                                    },
                                    " OR "));
      t["mapped_changed"] = "(" + changed + ")";
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

std::unique_ptr<DialectKit> MakePostgresKit() { return std::make_unique<PostgresKit>(); }

}  // namespace zcrmsync::change_capture::internal
