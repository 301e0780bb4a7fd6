// check / install / verify / uninstall driven by a real config file, on
// PostgreSQL, MariaDB and SQLite: verify must catch a dropped trigger, an
// edited trigger, a dropped column and a retyped column.
#include <gtest/gtest.h>

#include "change_capture/kit_manager.h"
#include "mappings/config_loader.h"
#include "tests/integration/odbc_fixture.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync::testing {
namespace {

using change_capture::Dialect;

bool Mentions(const std::vector<std::string>& problems, const std::string& a, const std::string& b) {
  for (const auto& p : problems) {
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class KitManagerTest : public OdbcFixture {
 protected:
  void SetUp() override {
    OdbcFixture::SetUp();
    if (IsSkipped()) return;
    dialect_name_ = is(kPostgres) ? "postgresql" : is(kMariaDb) ? "mysql" : "sqlite";
    Exec("DROP TABLE IF EXISTS km_customers");
    Exec("CREATE TABLE km_customers (id integer PRIMARY KEY, name varchar(100), email varchar(200), "
         "tier varchar(10), note varchar(50))");
  }
  void TearDown() override {
    if (conn_ && config_) {
      auto options = change_capture::KitOptionsFor(*config_);
      (void)change_capture::Uninstall(conn(), *options, change_capture::CaptureTablesFor(*config_));
      (void)conn_->Execute("DROP TABLE IF EXISTS km_customers");
    }
  }

  // A config with one mapping; `extra_field` adds one more mapped column.
  void LoadConfig(const std::string& extra_field = "") {
    const std::string json = R"({
      // comments and trailing commas are allowed
      "database": {"dialect": ")" + dialect_name_ + R"(", "connection_string": "${CS}", "schema": "zcrmsync_km",},
      "zoho": {"client_id": "id", "client_secret": "s", "refresh_token": "r"},
      "mappings": [{
        "name": "customers", "table": "km_customers", "module": "Accounts",
        "key_columns": ["id"], "external_id_field": "ERP_Id",
        "fields": [
          {"column": "name", "field": "Account_Name"},
          {"column": "email", "field": "Email"},
          {"column": "tier", "field": "Rating", "direction": "crm_to_erp"},)" +
                             extra_field + R"(
        ],
      }],
    })";
    const std::string cs = connection_string_;
    auto config = mappings::ParseConfig(json, "test.jsonc", [cs](const std::string& n) {
      return n == "CS" ? std::optional<std::string>(cs) : std::nullopt;
    });
    ASSERT_TRUE(config.has_value()) << config.error();
    config_ = std::move(*config);
  }

  std::string dialect_name_;
  std::optional<mappings::Config> config_;
};

TEST_P(KitManagerTest, CheckInstallVerifyCatchDriftUninstall) {
  LoadConfig(R"({"column": "no_such_column", "field": "Phone"},)");
  auto options = change_capture::KitOptionsFor(*config_);
  ASSERT_TRUE(options.has_value());
  auto tables = change_capture::CaptureTablesFor(*config_);
  // tier flows only CRM -> ERP, so its changes are not captured.
  EXPECT_EQ(tables[0].mapped_columns, (std::vector<std::string>{"name", "email", "no_such_column"}));
  auto problems = change_capture::CheckTables(conn(), *options, tables);
  ASSERT_TRUE(problems.has_value()) << problems.error();
  EXPECT_TRUE(Mentions(*problems, "mapping customers", "\"no_such_column\"")) << Join(*problems);
  auto refused = change_capture::Install(conn(), *options, tables);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused;

  LoadConfig();
  tables = change_capture::CaptureTablesFor(*config_);
  EXPECT_THAT(change_capture::CheckTables(conn(), *options, tables), IsOkAndHolds(::testing::IsEmpty()));
  // Before install, verify lists the missing agent tables and triggers.
  auto before = change_capture::Verify(conn(), *options, tables);
  ASSERT_TRUE(before.has_value()) << before.error();
  EXPECT_TRUE(Mentions(*before, "agent table", "missing")) << Join(*before);
  ASSERT_THAT(change_capture::Install(conn(), *options, tables), IsOk());
  auto clean = change_capture::Verify(conn(), *options, tables);
  ASSERT_TRUE(clean.has_value()) << clean.error();
  EXPECT_TRUE(clean->empty()) << Join(*clean);

  // A dropped trigger.
  Exec(is(kPostgres) ? "DROP TRIGGER zcrmsync_km_customers_update ON km_customers"
                     : "DROP TRIGGER zcrmsync_km_customers_update");
  auto dropped = change_capture::Verify(conn(), *options, tables);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_TRUE(Mentions(*dropped, "zcrmsync_km_customers_update", "missing")) << Join(*dropped);
  ASSERT_THAT(change_capture::Install(conn(), *options, tables), IsOk());  // repairs
  EXPECT_THAT(change_capture::Verify(conn(), *options, tables), IsOkAndHolds(::testing::IsEmpty()));

  // An edited trigger (or, on PostgreSQL, capture function).
  if (is(kPostgres)) {
    Exec("CREATE OR REPLACE FUNCTION zcrmsync_km.capture_customers() RETURNS trigger "
         "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$");
  } else {
    Exec("DROP TRIGGER zcrmsync_km_customers_delete");
    Exec(is(kMariaDb) ? "CREATE TRIGGER zcrmsync_km_customers_delete AFTER DELETE ON km_customers "
                        "FOR EACH ROW SET @x = 1"
                      : "CREATE TRIGGER zcrmsync_km_customers_delete AFTER DELETE ON km_customers "
                        "BEGIN SELECT 1; END");
  }
  auto edited = change_capture::Verify(conn(), *options, tables);
  ASSERT_TRUE(edited.has_value());
  EXPECT_TRUE(Mentions(*edited, "differs", is(kPostgres) ? "capture_customers"
                                                         : "zcrmsync_km_customers_delete"))
      << Join(*edited);
  ASSERT_THAT(change_capture::Install(conn(), *options, tables), IsOk());
  EXPECT_THAT(change_capture::Verify(conn(), *options, tables), IsOkAndHolds(::testing::IsEmpty()));

  // A retyped and a dropped column (SQLite cannot retype, nor drop a column a
  // trigger uses).
  if (!is(kSqlite)) {
    Exec(is(kPostgres) ? "ALTER TABLE km_customers ALTER COLUMN name TYPE text"
                       : "ALTER TABLE km_customers MODIFY COLUMN name text");
    Exec("ALTER TABLE km_customers DROP COLUMN email");
    auto drift = change_capture::Verify(conn(), *options, tables);
    ASSERT_TRUE(drift.has_value());
    EXPECT_TRUE(Mentions(*drift, "\"name\"", "changed type")) << Join(*drift);
    EXPECT_TRUE(Mentions(*drift, "\"email\"", "dropped")) << Join(*drift);
  }
  ASSERT_THAT(change_capture::Uninstall(conn(), *options, tables), IsOk());
}

TEST_P(KitManagerTest, CheckWantsANotNullPrimaryOrUniqueKey) {
  Exec("DROP TABLE IF EXISTS km_nokey");
  Exec("DROP TABLE IF EXISTS km_comp");
  Exec("CREATE TABLE km_nokey (code varchar(10), name varchar(100))");
  Exec("CREATE TABLE km_comp (a integer NOT NULL, b integer NOT NULL, name varchar(10), "
       "UNIQUE (a, b))");
  const change_capture::KitOptions options{
      is(kPostgres) ? Dialect::kPostgreSQL : is(kMariaDb) ? Dialect::kMySQL : Dialect::kSQLite,
      "zcrmsync_km"};
  auto problems = change_capture::CheckTables(
      conn(), options,
      {{"nokey", std::nullopt, "km_nokey", {"code"}, {"name"}},
       {"comp_ok", std::nullopt, "km_comp", {"b", "a"}, {"name"}},
       {"comp_half", std::nullopt, "km_comp", {"a"}, {"name"}}});
  ASSERT_TRUE(problems.has_value()) << problems.error();
  EXPECT_TRUE(Mentions(*problems, "mapping nokey", "\"code\" of table km_nokey allows NULL"))
      << Join(*problems);
  EXPECT_TRUE(Mentions(*problems, "mapping nokey", "not the primary key or a unique key"))
      << Join(*problems);
  EXPECT_TRUE(Mentions(*problems, "mapping comp_half", "key columns (a) are not")) << Join(*problems);
  EXPECT_FALSE(Mentions(*problems, "mapping comp_ok", "")) << Join(*problems);
  EXPECT_EQ(problems->size(), 3u) << Join(*problems);
  Exec("DROP TABLE km_nokey");
  Exec("DROP TABLE km_comp");
}

INSTANTIATE_TEST_SUITE_P(Databases, KitManagerTest, ::testing::Values(kPostgres, kMariaDb, kSqlite),
                         DatabaseName);

}  // namespace
}  // namespace zcrmsync::testing
