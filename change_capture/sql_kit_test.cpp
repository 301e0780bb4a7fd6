#include "change_capture/sql_kit.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::change_capture {
namespace {

using ::zcrmsync::testing::StatusIs;

// Awkward on purpose: spaces, a quote, reserved words, mixed case and a
// composite key.
std::vector<CaptureTable> SampleTables(Dialect d) {
  const bool schemas = d != Dialect::kSQLite;
  std::optional<std::string> schema =
      schemas ? std::optional<std::string>(d == Dialect::kSqlServer ? "dbo" : "erp") : std::nullopt;
  std::vector<CaptureTable> tables = {
      {"customers", schema, "Customer List", {"id"}, {"name", "email", "order", "id"}},
      {"order_lines",
       schema,
       "order lines",
       {"order", "line no"},
       {"qty", "Unit \"Price\"", "user"}},
  };
  // What DescribeCaptureColumns finds (issue #12, 7 and 16i): loose columns
  // compare exactly (PostgreSQL, SQL Server); SQL Server renders datetime,
  // float and money keys with exact styles. MySQL and SQLite ignore both.
  tables[0].column_types = {{"id", "datetime"}, {"email", "citext"}};
  tables[0].loose_columns = {"email"};
  tables[1].column_types = {{"order", "float"}, {"line no", "money"}, {"user", "nvarchar"}};
  tables[1].loose_columns = {"user"};
  return tables;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class GoldenTest : public ::testing::TestWithParam<Dialect> {};

// Rendered scripts must match tests/data/golden/<dialect>/. After a deliberate
// change, regenerate with ZCRMSYNC_UPDATE_GOLDEN=1 and review the diff.
TEST_P(GoldenTest, InstallAndUninstallMatchGoldenFiles) {
  const Dialect d = GetParam();
  KitOptions options{d, "zcrmsync"};
  auto install = RenderInstall(options, SampleTables(d));
  ASSERT_TRUE(install.has_value()) << install.error();
  auto uninstall = RenderUninstall(options, SampleTables(d));
  ASSERT_TRUE(uninstall.has_value()) << uninstall.error();
  const std::string dir = std::string(ZCRMSYNC_GOLDEN_DIR) + "/" + std::string(DialectName(d));
  for (const auto& [name, script] : {std::pair{"install.sql", &*install},
                                     std::pair{"uninstall.sql", &*uninstall}}) {
    const std::string path = dir + "/" + name;
    if (std::getenv("ZCRMSYNC_UPDATE_GOLDEN") != nullptr) {
      std::ofstream(path, std::ios::binary) << script->ToText();
    }
    EXPECT_EQ(script->ToText(), ReadFile(path)) << path;
  }
  // The agent's runtime statements, in one golden file per dialect.
  Script runtime{d, {}};
  for (auto render : {RenderBeginAgentWrites, RenderEndAgentWrites}) {
    auto part = render(options);
    ASSERT_TRUE(part.has_value()) << part.error();
    for (auto& s : part->statements) runtime.statements.push_back(s);
  }
  for (const char* name : {"read_changes.sql", "oldest_open_transaction.sql", "change_id_step.sql",
                           "requeue_kept_changes.sql", "drop_kept_changes.sql", "bump_error.sql",
                           "save_state.sql", "load_state.sql", "describe_table.sql",
                           "list_capture_objects.sql", "unique_keys.sql", "load_link.sql",
                           "find_link_by_zoho_id.sql",
                           "delete_link.sql", "park_error.sql", "list_errors.sql",
                           "resolve_error.sql", "count_changes.sql", "hold_conflict.sql",
                           "list_conflicts.sql", "resolve_conflict.sql", "db_clock.sql",
                           "list_states.sql", "delete_state.sql", "select_key_moves.sql"}) {
    auto s = RenderAgentStatement(options, name);
    ASSERT_TRUE(s.has_value()) << s.error();
    runtime.statements.push_back(*s);
  }
  for (auto batch : {RenderAgentBatchStatement(options, "purge_changes.sql", 2, 1),
                     RenderAgentBatchStatement(options, "load_links.sql", 3, 1),
                     RenderAgentBatchStatement(options, "save_links.sql", 2, 7)}) {
    ASSERT_TRUE(batch.has_value()) << batch.error();
    runtime.statements.push_back(*batch);
  }
  const std::vector<CaptureTable> sample = SampleTables(d);
  const CaptureTable& lines = sample[1];  // composite key, awkward names
  for (auto row : {RenderSelectRow(options, lines, {"order", "line no", "qty"}),
                   RenderLockRow(options, lines, {"qty", "Unit \"Price\""}),
                   RenderUpdateRow(options, lines, {"qty", "Unit \"Price\""}),
                   RenderDeleteRow(options, lines),
                   RenderMatchRows(options, lines, {"qty", "Unit \"Price\""})}) {
    ASSERT_TRUE(row.has_value()) << row.error();
    runtime.statements.push_back(*row);
  }
  const CaptureTable& customers = sample[0];
  auto rows = RenderSelectRows(options, customers, {customers.key_columns[0]}, 3);
  ASSERT_TRUE(rows.has_value()) << rows.error();
  runtime.statements.push_back(*rows);
  EXPECT_THAT(RenderSelectRows(options, lines, {"qty"}, 3), StatusIs(StatusCode::kInvalidArgument));
  auto insert = RenderInsertRow(options, lines, {"order", "qty", "Unit \"Price\""});
  ASSERT_TRUE(insert.has_value()) << insert.error();
  for (auto& st : insert->statements) runtime.statements.push_back(st);
  std::vector<Value> params;
  for (auto row :
       {RenderSelectKeysAfter(options, lines, std::nullopt, 100, params),
        RenderSelectKeysAfter(options, lines, std::vector<std::string>{"1", "x"}, 100, params,
                              {"integer", "character varying(10)"}),
        RenderAgentStatement(options, "enqueue_keys.sql"), RenderCountRows(options, lines)}) {
    ASSERT_TRUE(row.has_value()) << row.error();
    runtime.statements.push_back(*row);
  }
  const std::string runtime_path = dir + "/agent_statements.sql";
  if (std::getenv("ZCRMSYNC_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(runtime_path, std::ios::binary) << runtime.ToText();
  }
  EXPECT_EQ(runtime.ToText(), ReadFile(runtime_path)) << runtime_path;
  // Deterministic: the same input renders the same text.
  EXPECT_EQ(RenderInstall(options, SampleTables(d))->ToText(), install->ToText());
}

INSTANTIATE_TEST_SUITE_P(Dialects, GoldenTest,
                         ::testing::Values(Dialect::kPostgreSQL, Dialect::kMySQL, Dialect::kSQLite,
                                           Dialect::kSqlServer),
                         [](const auto& p) { return std::string(DialectName(p.param)); });

// Issue #12 (16i): SQL Server's default CONVERT styles lose precision
// (datetime to the minute, money to 2 decimals, float to 6 digits), so key
// text uses exact styles by type, the same in the trigger and in every
// statement that reads keys. Grammar-checked only, never executed.
TEST(SqlKitTest, SqlServerKeyTextUsesExactStylesByType) {
  const KitOptions options{Dialect::kSqlServer, "zcrmsync"};
  CaptureTable t{"m", std::string("dbo"), "t", {"k"}, {"a"}};
  auto text_of = [&](const std::string& type) {
    std::vector<Value> params;
    auto sql = RenderSelectKeysAfter(options, t, std::nullopt, 10, params, {type});
    EXPECT_TRUE(sql.has_value());
    return sql.value_or("");
  };
  using ::testing::HasSubstr;
  EXPECT_THAT(text_of("datetime"), HasSubstr("CONVERT(nvarchar(4000), [k], 126) AS"));
  EXPECT_THAT(text_of("smalldatetime"), HasSubstr("CONVERT(nvarchar(4000), [k], 126) AS"));
  EXPECT_THAT(text_of("datetime2"), HasSubstr("CONVERT(nvarchar(4000), [k], 121) AS"));
  EXPECT_THAT(text_of("DateTimeOffset"), HasSubstr("CONVERT(nvarchar(4000), [k], 121) AS"));
  EXPECT_THAT(text_of("date"), HasSubstr("CONVERT(nvarchar(4000), [k], 121) AS"));
  EXPECT_THAT(text_of("time"), HasSubstr("CONVERT(nvarchar(4000), [k], 121) AS"));
  EXPECT_THAT(text_of("money"), HasSubstr("CONVERT(nvarchar(4000), [k], 2) AS"));
  EXPECT_THAT(text_of("smallmoney"), HasSubstr("CONVERT(nvarchar(4000), [k], 2) AS"));
  EXPECT_THAT(text_of("float"), HasSubstr("CONVERT(nvarchar(4000), [k], 3) AS"));
  EXPECT_THAT(text_of("real"), HasSubstr("CONVERT(nvarchar(4000), [k], 3) AS"));
  EXPECT_THAT(text_of("int"), HasSubstr("CONVERT(nvarchar(4000), [k]) AS"));
  EXPECT_THAT(text_of(""), HasSubstr("CONVERT(nvarchar(4000), [k]) AS"));
  // The trigger, insert_row and match_rows render the same text from the
  // table's column_types.
  t.column_types = {{"k", "datetime"}};
  auto install = RenderCaptureTable(options, t);
  ASSERT_TRUE(install.has_value()) << install.error();
  EXPECT_THAT(install->ToText(), HasSubstr("STRING_ESCAPE(CONVERT(nvarchar(4000), i.[k], 126)"));
  EXPECT_THAT(install->ToText(), HasSubstr("STRING_ESCAPE(CONVERT(nvarchar(4000), d.[k], 126)"));
  auto insert = RenderInsertRow(options, t, {"a"});
  ASSERT_TRUE(insert.has_value()) << insert.error();
  EXPECT_THAT(insert->statements.front(), HasSubstr("CONVERT(nvarchar(4000), inserted.[k], 126)"));
  auto match = RenderMatchRows(options, t, {"a"});
  ASSERT_TRUE(match.has_value()) << match.error();
  EXPECT_THAT(*match, HasSubstr("CONVERT(nvarchar(4000), [k], 126) AS"));
}

// Issue #12 (7): a case-only or trailing-space edit must count as a change.
// Only loose columns get the exact comparison on PostgreSQL and SQL Server
// (the common path stays as cheap); SQLite compares every column BINARY.
TEST(SqlKitTest, LooseColumnsCompareExactly) {
  using ::testing::HasSubstr;
  using ::testing::Not;
  CaptureTable t{"m", std::string("s"), "t", {"id"}, {"plain", "ci"}};
  t.loose_columns = {"ci"};
  auto pg = RenderCaptureTable({Dialect::kPostgreSQL, "zcrmsync"}, t);
  ASSERT_TRUE(pg.has_value()) << pg.error();
  EXPECT_THAT(pg->ToText(), HasSubstr("(o.\"ci\"::text COLLATE \"C\" IS DISTINCT FROM "
                                      "n.\"ci\"::text COLLATE \"C\" OR o.\"plain\" IS "
                                      "DISTINCT FROM n.\"plain\")"));
  auto ms = RenderCaptureTable({Dialect::kSqlServer, "zcrmsync"}, t);
  ASSERT_TRUE(ms.has_value()) << ms.error();
  EXPECT_THAT(ms->ToText(),
              HasSubstr("EXISTS (SELECT CAST(d.[ci] AS varbinary(max)), DATALENGTH(d.[ci]), "
                        "d.[plain] EXCEPT SELECT CAST(i.[ci] AS varbinary(max)), "
                        "DATALENGTH(i.[ci]), i.[plain])"));
  t.schema.reset();
  auto sqlite = RenderCaptureTable({Dialect::kSQLite, "zcrmsync"}, t);
  ASSERT_TRUE(sqlite.has_value()) << sqlite.error();
  EXPECT_THAT(sqlite->ToText(), HasSubstr("NOT (OLD.\"ci\" IS NEW.\"ci\" COLLATE BINARY AND "
                                          "OLD.\"plain\" IS NEW.\"plain\" COLLATE BINARY)"));
  // Without loose columns the PostgreSQL and SQL Server forms are as before.
  t.schema = "s";
  t.loose_columns.clear();
  EXPECT_THAT(RenderCaptureTable({Dialect::kPostgreSQL, "zcrmsync"}, t)->ToText(),
              Not(HasSubstr("COLLATE")));
  EXPECT_THAT(RenderCaptureTable({Dialect::kSqlServer, "zcrmsync"}, t)->ToText(),
              Not(HasSubstr("varbinary")));
}

TEST(SqlKitTest, NoSqlTextIsLeftUnrendered) {
  for (Dialect d : {Dialect::kPostgreSQL, Dialect::kMySQL, Dialect::kSQLite, Dialect::kSqlServer}) {
    auto install = RenderInstall({d, "zcrmsync"}, SampleTables(d));
    ASSERT_TRUE(install.has_value()) << install.error();
    for (const std::string& s : install->statements) {
      EXPECT_EQ(s.find("${"), std::string::npos) << s;
      EXPECT_NE(s.rfind("GO", 0), 0u) << s;
    }
  }
}

TEST(SqlKitTest, RejectsBadMappings) {
  KitOptions pg{Dialect::kPostgreSQL, "zcrmsync"};
  EXPECT_THAT(RenderInstall(pg, {{"bad name", std::nullopt, "t", {"id"}, {}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderInstall(pg, {{"m", std::nullopt, "t", {}, {"a"}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderInstall(pg, {{"m", std::nullopt, "t", {"id", "id"}, {}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderInstall(pg, {{"m", std::nullopt, "t", {"id"}, {}},
                                 {"m", std::nullopt, "u", {"id"}, {}}}),
              StatusIs(StatusCode::kInvalidArgument));
  auto sqlite = RenderInstall({Dialect::kSQLite, "zcrmsync"},
                              {{"m", std::string("main"), "t", {"id"}, {}}});
  ASSERT_FALSE(sqlite.has_value());
  EXPECT_NE(sqlite.error().message().find("mapping 'm'"), std::string::npos) << sqlite.error();
  EXPECT_THAT(RenderInstall(pg, {{"m", std::nullopt, std::string(64, 't'), {"id"}, {}}}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SqlKitTest, AgentTableNamesAreQuotedPerDialect) {
  EXPECT_EQ(AgentTableNames({Dialect::kPostgreSQL, "zcrmsync"})->at(1), "\"zcrmsync\".\"changes\"");
  EXPECT_EQ(AgentTableNames({Dialect::kMySQL, "zc"})->at(1), "`zc`.`changes`");
  EXPECT_EQ(AgentTableNames({Dialect::kSQLite, "zc"})->at(1), "\"zc_changes\"");
  EXPECT_EQ(AgentTableNames({Dialect::kSqlServer, "zc"})->at(1), "[zc].[changes]");
}

TEST(SqlKitTest, BatchStatementsRepeatTheirPlaceholders) {
  const KitOptions mysql{Dialect::kMySQL, "zc"};
  auto load = RenderAgentBatchStatement(mysql, "load_links.sql", 3, 1);
  ASSERT_TRUE(load.has_value()) << load.error();
  EXPECT_NE(load->find("erp_key IN (?, ?, ?)"), std::string::npos) << *load;
  EXPECT_NE(load->find("`zc`.`links`"), std::string::npos) << *load;
  auto insert = RenderAgentBatchStatement(mysql, "save_links.sql", 2, 3);
  ASSERT_TRUE(insert.has_value()) << insert.error();
  EXPECT_NE(insert->find("VALUES (?, ?, ?), (?, ?, ?)"), std::string::npos) << *insert;
  EXPECT_FALSE(RenderAgentBatchStatement(mysql, "load_links.sql", 0, 1).has_value());
}

}  // namespace
}  // namespace zcrmsync::change_capture
