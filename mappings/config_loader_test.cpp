#include "mappings/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "tests/support/status_matchers.h"

namespace zcrmsync::mappings {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::StatusIs;

// The sample from issue #4, with comments and trailing commas.
constexpr std::string_view kSample = R"jsonc({
  "database": {
    "dialect": "postgresql",          // postgresql | mysql | sqlite | sqlserver
    "connection_string": "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;DATABASE=erp;UID=sync;PWD=${ERP_DB_PASSWORD}",
    "schema": "zcrmsync"              // where the agent's own objects live
  },
  "zoho": {
    "data_center": "us",              /* us eu in au jp ca sa cn */
    "api_base_url": "http://127.0.0.1:8089",
    "accounts_url": "http://127.0.0.1:8089",
    "client_id": "1000.CLIENT",
    "client_secret": "${ZOHO_CLIENT_SECRET}",
    "refresh_token": "${ZOHO_REFRESH_TOKEN}",
    "max_concurrency": 10,
  },
  "sync": {
    "interval_seconds": 5,
    "conflict_rule": "latest_wins",
    "clock_skew_tolerance_seconds": 2,
    "push_batch_size": 2000,
  },
  "mappings": [
    {
      "name": "customers",
      "table": "public.customers",
      "module": "Accounts",
      "key_columns": ["id"],
      "external_id_field": "ERP_Id",
      "direction": "both",
      "conflict_rule": "latest_wins",
      "deletes": "propagate",
      "match_fields": [{"column": "email", "field": "Email"}],
      "fields": [
        {"column": "name",  "field": "Account_Name"},
        {"column": "email", "field": "Email", "direction": "erp_to_crm"},
        {"column": "credit_limit", "field": "Credit_Limit", "conflict_rule": "erp_wins"},
        {"column": "tier", "field": "Rating", "values": {"A": "Acquired", "B": "Active"}},
      ],
    },
  ],
})jsonc";

constexpr std::string_view kDbPassword = "db-Pa55word!";
constexpr std::string_view kClientSecret = "cs-0123456789abcdef";
constexpr std::string_view kRefreshToken = "1000.rt-fedcba9876543210";

std::optional<std::string> TestEnv(const std::string& name) {
  static const std::map<std::string, std::string> vars = {
      {"ERP_DB_PASSWORD", std::string(kDbPassword)},
      {"ZOHO_CLIENT_SECRET", std::string(kClientSecret)},
      {"ZOHO_REFRESH_TOKEN", std::string(kRefreshToken)},
      {"EMPTY", ""},
  };
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

Result<Config> Parse(std::string_view text) { return ParseConfig(text, "agent.json", TestEnv); }

// A small valid config whose one mapping body is `mapping` and dialect `dialect`.
std::string WithMapping(std::string_view mapping, std::string_view dialect = "postgresql") {
  return std::string(R"({"database": {"dialect": ")") + std::string(dialect) +
         R"(", "connection_string": "DSN=erp;PWD=${ERP_DB_PASSWORD}"},
  "zoho": {"client_id": "id", "client_secret": "${ZOHO_CLIENT_SECRET}",
           "refresh_token": "${ZOHO_REFRESH_TOKEN}"},
  "mappings": [)" +
         std::string(mapping) + "]}";
}

constexpr std::string_view kMinimalMapping =
    R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
        "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})";

// The error message of a failed parse ("" when it succeeded).
std::string ErrorOf(const Result<Config>& r) { return r.has_value() ? "" : r.error().message(); }

void ExpectNoSecrets(const std::string& message) {
  EXPECT_THAT(message, Not(HasSubstr(std::string(kDbPassword))));
  EXPECT_THAT(message, Not(HasSubstr(std::string(kClientSecret))));
  EXPECT_THAT(message, Not(HasSubstr(std::string(kRefreshToken))));
}

TEST(ParseConfigTest, SampleParsesWithCommentsAndTrailingCommas) {
  Result<Config> r = Parse(kSample);
  ASSERT_THAT(r, IsOk());
  const Config& c = *r;
  EXPECT_EQ(c.source_path, "agent.json");
  EXPECT_EQ(c.database.dialect, "postgresql");
  EXPECT_EQ(c.database.connection_string,
            "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;DATABASE=erp;UID=sync;PWD=" +
                std::string(kDbPassword));
  EXPECT_EQ(c.database.schema, "zcrmsync");
  EXPECT_EQ(c.zoho.data_center, "us");
  EXPECT_EQ(c.zoho.api_base_url, "http://127.0.0.1:8089");
  EXPECT_EQ(c.zoho.accounts_url, "http://127.0.0.1:8089");
  EXPECT_EQ(c.zoho.client_id, "1000.CLIENT");
  EXPECT_EQ(c.zoho.client_secret, kClientSecret);
  EXPECT_EQ(c.zoho.refresh_token, kRefreshToken);
  EXPECT_EQ(c.zoho.max_concurrency, 10);
  EXPECT_EQ(c.sync.interval_seconds, 5);
  EXPECT_EQ(c.sync.conflict_rule, ConflictRule::kLatestWins);
  EXPECT_EQ(c.sync.clock_skew_tolerance_seconds, 2);
  EXPECT_EQ(c.sync.push_batch_size, 2000);

  ASSERT_EQ(c.mappings.size(), 1u);
  const Mapping& m = c.mappings[0];
  EXPECT_EQ(m.name, "customers");
  EXPECT_EQ(m.table, "public.customers");
  EXPECT_EQ(m.table_schema, "public");
  EXPECT_EQ(m.table_name, "customers");
  EXPECT_EQ(m.module, "Accounts");
  EXPECT_THAT(m.key_columns, ElementsAre("id"));
  EXPECT_EQ(m.external_id_field, "ERP_Id");
  EXPECT_EQ(m.direction, Direction::kBoth);
  EXPECT_EQ(m.conflict_rule, ConflictRule::kLatestWins);
  EXPECT_EQ(m.deletes.kind, DeleteKind::kPropagate);
  ASSERT_EQ(m.match_fields.size(), 1u);
  EXPECT_EQ(m.match_fields[0].column, "email");
  EXPECT_EQ(m.match_fields[0].field, "Email");
  EXPECT_THAT(m.zoho_triggers, ElementsAre("workflow"));  // default
  ASSERT_EQ(m.fields.size(), 4u);
  EXPECT_EQ(m.fields[0].column, "name");
  EXPECT_EQ(m.fields[0].field, "Account_Name");
  EXPECT_EQ(m.fields[0].direction, std::nullopt);
  EXPECT_EQ(EffectiveDirection(m, m.fields[0]), Direction::kBoth);
  EXPECT_EQ(m.fields[1].direction, Direction::kErpToCrm);
  EXPECT_EQ(EffectiveConflictRule(c.sync, m, m.fields[2]), ConflictRule::kErpWins);
  EXPECT_EQ(EffectiveConflictRule(c.sync, m, m.fields[0]), ConflictRule::kLatestWins);
  EXPECT_EQ(m.fields[3].values.at("A"), "Acquired");
  EXPECT_EQ(m.fields[3].values.at("B"), "Active");
  EXPECT_EQ(m.fields[3].reverse_values.at("Acquired"), "A");
  EXPECT_EQ(m.fields[3].reverse_values.at("Active"), "B");
  EXPECT_FALSE(m.fields[3].create_only);
}

TEST(ParseConfigTest, DefaultsForOmittedKeys) {
  Result<Config> r = Parse(WithMapping(kMinimalMapping));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->database.schema, "zcrmsync");
  EXPECT_EQ(r->zoho.data_center, "us");
  EXPECT_EQ(r->zoho.api_base_url, std::nullopt);
  EXPECT_EQ(r->zoho.accounts_url, std::nullopt);
  EXPECT_EQ(r->zoho.max_concurrency, 10);
  EXPECT_EQ(r->sync.interval_seconds, 5);
  EXPECT_EQ(r->sync.conflict_rule, ConflictRule::kLatestWins);
  EXPECT_EQ(r->sync.clock_skew_tolerance_seconds, 2);
  EXPECT_EQ(r->sync.push_batch_size, 4000);
  const Mapping& m = r->mappings[0];
  EXPECT_EQ(m.table_schema, std::nullopt);
  EXPECT_EQ(m.table_name, "t");
  EXPECT_EQ(m.direction, Direction::kBoth);
  EXPECT_EQ(m.conflict_rule, std::nullopt);
  EXPECT_EQ(m.deletes.kind, DeleteKind::kPropagate);
  EXPECT_TRUE(m.match_fields.empty());
  EXPECT_THAT(m.zoho_triggers, ElementsAre("workflow"));
}

TEST(ParseConfigTest, DeletesAndTriggers) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id", "site"],
          "external_id_field": "ERP_Id", "deletes": {"soft_delete_column": "deleted"},
          "zoho_triggers": [], "fields": [{"column": "a", "field": "A"}]},
         {"name": "n", "table": "u", "module": "Contacts", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "deletes": "ignore",
          "zoho_triggers": ["workflow", "approval"], "fields": [{"column": "a", "field": "A"}]})"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->mappings[0].deletes.kind, DeleteKind::kSoftDelete);
  EXPECT_EQ(r->mappings[0].deletes.soft_delete_column, "deleted");
  EXPECT_TRUE(r->mappings[0].zoho_triggers.empty());
  EXPECT_THAT(r->mappings[0].key_columns, ElementsAre("id", "site"));
  EXPECT_EQ(r->mappings[1].deletes.kind, DeleteKind::kIgnore);
  EXPECT_THAT(r->mappings[1].zoho_triggers, ElementsAre("workflow", "approval"));
}

TEST(ParseConfigTest, Utf8BomIsSkipped) {
  EXPECT_THAT(Parse("\xEF\xBB\xBF" + WithMapping(kMinimalMapping)), IsOk());
}

TEST(ParseConfigTest, DollarDollarIsALiteralDollar) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("\"client_id\": \"id\""), 17, R"("client_id": "a$$b")");
  Result<Config> r = Parse(text);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->zoho.client_id, "a$b");
}

// ---- errors ----------------------------------------------------------------

TEST(ParseConfigErrorTest, BadJsonGivesLineAndColumn) {
  Result<Config> r = Parse("{\n  \"database\": {\n    \"dialect\": \"sqlite\"\n    \"x\": 1\n}");
  ASSERT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf(r), HasSubstr("agent.json:4:5: invalid JSON: Missing a comma or '}'"));
}

TEST(ParseConfigErrorTest, TypoedKeyIsUnknownWithSuggestion) {
  std::string text = WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id",
          "fields": [{"column": "a", "field": "A"}, {"column": "b", "field": "B"},
                     {"column": "c", "field": "C", "dirction": "both"}]})");
  Result<Config> r = Parse(text);
  ASSERT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(ErrorOf(r),
            "agent.json: mappings[0].fields[2]: unknown key \"dirction\"; did you mean "
            "\"direction\"?");
}

TEST(ParseConfigErrorTest, UnknownKeyListsAllowedKeys) {
  Result<Config> r = Parse(WithMapping(kMinimalMapping).insert(1, R"("logging": {}, )"));
  EXPECT_THAT(ErrorOf(r), HasSubstr("agent.json: (top level): unknown key \"logging\"; allowed "
                                    "keys: database, zoho, sync, agent, mappings"));
}

TEST(ParseConfigErrorTest, WrongEnumNamesAllowedValues) {
  std::string text = WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id",
          "fields": [{"column": "a", "field": "A"}, {"column": "b", "field": "B"},
                     {"column": "c", "field": "C", "direction": "sideways"}]})");
  EXPECT_EQ(ErrorOf(Parse(text)),
            "agent.json: mappings[0].fields[2].direction: must be one of: both, erp_to_crm, "
            "crm_to_erp; got \"sideways\"");
}

TEST(ParseConfigTest, ProxyAndCaFile) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("\"client_id\": \"id\""), 17,
               R"("client_id": "id", "proxy": "http://proxy.example:3128", "ca_file": "/etc/ca.pem")");
  Result<Config> r = Parse(text);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->zoho.proxy, "http://proxy.example:3128");
  EXPECT_EQ(r->zoho.ca_file, "/etc/ca.pem");
  EXPECT_EQ(r->database.time_zone, "UTC");  // the default
  std::string bad = WithMapping(kMinimalMapping);
  bad.replace(bad.find("\"client_id\": \"id\""), 17, R"("client_id": "id", "proxy": "proxy:3128")");
  EXPECT_THAT(ErrorOf(Parse(bad)), HasSubstr("zoho.proxy"));
}

TEST(ParseConfigErrorTest, WrongType) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("\"client_id\": \"id\""), 17,
               R"("client_id": "id", "max_concurrency": "10")");
  EXPECT_EQ(ErrorOf(Parse(text)),
            "agent.json: zoho.max_concurrency: must be an integer, not a string (Zoho allows 10 "
            "to 25 concurrent calls depending on the edition)");
}

TEST(ParseConfigErrorTest, OutOfRange) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("\"client_id\": \"id\""), 17,
               R"("client_id": "id", "max_concurrency": 26)");
  EXPECT_THAT(ErrorOf(Parse(text)),
              HasSubstr("agent.json: zoho.max_concurrency: must be at most 25"));
}

TEST(ParseConfigErrorTest, MissingRequiredKey) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "table": "t", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"));
  EXPECT_EQ(ErrorOf(r), "agent.json: mappings[0]: required key \"module\" is missing");
}

TEST(ParseConfigErrorTest, ReportsSeveralSchemaProblems) {
  std::string text = WithMapping(
      R"({"name": "m", "table": "t", "modle": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "deletes": "soft",
          "fields": [{"column": "a", "field": "A", "direction": 3}]})");
  text.replace(text.find("\"dialect\": \"postgresql\""), 23, R"("dialect": "oracle")");
  const std::string error = ErrorOf(Parse(text));
  EXPECT_THAT(error, HasSubstr("agent.json: database.dialect: must be one of: postgresql, mysql, "
                               "sqlite, sqlserver; got \"oracle\""));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0]: unknown key \"modle\"; did you mean "
                               "\"module\"?"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0]: required key \"module\" is missing"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].deletes: must be one of: propagate, "
                               "ignore; got \"soft\""));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].fields[0].direction: must be a string "
                               "(one of: both, erp_to_crm, crm_to_erp), not an integer"));
}

TEST(ParseConfigErrorTest, SoftDeleteObjectWithTypo) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "deletes": {"soft_delete": "deleted"},
          "fields": [{"column": "a", "field": "A"}]})"));
  EXPECT_THAT(ErrorOf(r), HasSubstr("agent.json: mappings[0].deletes: unknown key "
                                    "\"soft_delete\"; did you mean \"soft_delete_column\"?"));
}

TEST(ParseConfigErrorTest, DeletesOfWrongType) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "deletes": true,
          "fields": [{"column": "a", "field": "A"}]})"));
  EXPECT_EQ(ErrorOf(r),
            "agent.json: mappings[0].deletes: must be \"propagate\", \"ignore\", or an object "
            "with \"soft_delete_column\"; got true");
}

TEST(ParseConfigErrorTest, EmptyStringAndEmptyList) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "table": "", "module": "Leads", "key_columns": [],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"));
  const std::string error = ErrorOf(r);
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].table: must not be empty"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].key_columns: must not be empty"));
}

TEST(ParseConfigErrorTest, DuplicateJsonKey) {
  Result<Config> r = Parse(WithMapping(
      R"({"name": "m", "name": "n", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"));
  EXPECT_THAT(ErrorOf(r),
              HasSubstr("agent.json: mappings[0]: key \"name\" appears more than once"));
}

TEST(ParseConfigErrorTest, MissingEnvVarNamesVariableAndPath) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("${ZOHO_REFRESH_TOKEN}"), 21, "${ZOHO_RT}");
  Result<Config> r = Parse(text);
  ASSERT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorOf(r), HasSubstr("agent.json: zoho.refresh_token: environment variable "
                                    "ZOHO_RT is not set"));
}

TEST(ParseConfigErrorTest, EnvVarExpandingToEmptyRequiredValue) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("${ZOHO_REFRESH_TOKEN}"), 21, "${EMPTY}");
  EXPECT_EQ(ErrorOf(Parse(text)), "agent.json: zoho.refresh_token: must not be empty");
}

TEST(ParseConfigErrorTest, AllMissingEnvVarsAreReported) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("${ZOHO_REFRESH_TOKEN}"), 21, "${NO_RT}");
  text.replace(text.find("${ZOHO_CLIENT_SECRET}"), 21, "${NO_CS}");
  const std::string error = ErrorOf(Parse(text));
  EXPECT_THAT(error, HasSubstr("zoho.client_secret: environment variable NO_CS is not set"));
  EXPECT_THAT(error, HasSubstr("zoho.refresh_token: environment variable NO_RT is not set"));
}

TEST(ParseConfigErrorTest, DuplicateMappingNameAndTable) {
  std::string two = std::string(kMinimalMapping) + ", " + std::string(kMinimalMapping);
  const std::string error = ErrorOf(Parse(WithMapping(two)));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[1].name: mapping name \"m\" is already used "
                               "by mappings[0]"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[1].table: table \"t\" is already mapped by "
                               "mappings[0]"));
}

// A mapping named `name` of table `table` on module Accounts.
std::string AccountsMapping(std::string_view name, std::string_view direction,
                            std::string_view external_id, std::string_view extra = "") {
  return std::string(R"({"name": ")") + std::string(name) + R"(", "table": ")" + std::string(name) +
         R"(", "module": "Accounts", "key_columns": ["id"],
        "external_id_field": ")" +
         std::string(external_id) + R"(", "direction": ")" + std::string(direction) +
         R"(", "fields": [{"column": "name", "field": "Account_Name"}])" + std::string(extra) + "}";
}

// Issue #12 (8): two mappings on one module overwrote each other's rows and
// records. Allowed only for ERP -> CRM mappings with their own external id
// field and no match_fields.
TEST(ParseConfigErrorTest, TwoMappingsOnOneModuleThatLetCrmChangesIn) {
  for (const char* direction : {"both", "crm_to_erp"}) {
    const std::string error =
        ErrorOf(Parse(WithMapping(AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
                                  AccountsMapping("suppliers", direction, "Supplier_Id"))));
    EXPECT_THAT(error, HasSubstr("agent.json: mappings[1].module: mappings \"customers\" "
                                 "(mappings[0]) and \"suppliers\" both map Zoho module "
                                 "\"Accounts\": mapping \"suppliers\" has direction \"" +
                                 std::string(direction) +
                                 "\", so its pull would take "
                                 "\"customers\"'s records for its own"))
        << direction;
    EXPECT_THAT(error, HasSubstr("only when each is erp_to_crm"));
  }
  // The mapping's direction counts, not its fields': a "both" mapping pulls
  // the module (new records, deletes) even when every field is erp_to_crm.
  const std::string fields_one_way = ErrorOf(Parse(WithMapping(
      AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
      R"({"name": "suppliers", "table": "suppliers", "module": "Accounts", "key_columns": ["id"],
          "external_id_field": "Supplier_Id",
          "fields": [{"column": "name", "field": "Account_Name", "direction": "erp_to_crm"}]})")));
  EXPECT_THAT(fields_one_way, HasSubstr("mapping \"suppliers\" has direction \"both\""));
  // The module's API name in another case is the same module.
  std::string lower = AccountsMapping("suppliers", "both", "Supplier_Id");
  lower.replace(lower.find("\"Accounts\""), 10, "\"accounts\"");
  EXPECT_THAT(ErrorOf(Parse(WithMapping(AccountsMapping("customers", "erp_to_crm", "ERP_Id") +
                                        ", " + lower))),
              HasSubstr("mappings[1].module"));
}

TEST(ParseConfigErrorTest, TwoErpToCrmMappingsOnOneModuleNeedTheirOwnExternalIdField) {
  const std::string error =
      ErrorOf(Parse(WithMapping(AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
                                AccountsMapping("suppliers", "erp_to_crm", "ERP_Id"))));
  EXPECT_THAT(error, HasSubstr("mappings[1].module: mappings \"customers\" (mappings[0]) and "
                               "\"suppliers\" both map Zoho module \"Accounts\": both write "
                               "their ERP keys to external_id_field \"ERP_Id\""));
  const std::string matching = ErrorOf(Parse(WithMapping(
      AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
      AccountsMapping("suppliers", "erp_to_crm", "Supplier_Id",
                      R"(, "match_fields": [{"column": "name", "field": "Account_Name"}])"))));
  EXPECT_THAT(matching, HasSubstr("mapping \"suppliers\" has match_fields"));
  // Allowed: ERP -> CRM only, each with its own external id field.
  Result<Config> ok =
      Parse(WithMapping(AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
                        AccountsMapping("suppliers", "erp_to_crm", "Supplier_Id")));
  EXPECT_THAT(ok, IsOk());
  // One pair is reported once; a third mapping is checked against both.
  const std::string three =
      ErrorOf(Parse(WithMapping(AccountsMapping("customers", "erp_to_crm", "ERP_Id") + ", " +
                                AccountsMapping("suppliers", "erp_to_crm", "Supplier_Id") + ", " +
                                AccountsMapping("partners", "both", "Partner_Id"))));
  EXPECT_THAT(three, HasSubstr("\"customers\" (mappings[0]) and \"partners\""));
  EXPECT_THAT(three, HasSubstr("\"suppliers\" (mappings[1]) and \"partners\""));
  EXPECT_THAT(three, Not(HasSubstr("\"customers\" (mappings[0]) and \"suppliers\"")));
}

// Issue #12 (13): Zoho lists at most 50 fields a call; the pull asks for
// Modified_Time, Created_Time, the external id field and every mapped field.
std::string MappingWithFields(size_t n, std::string_view first_field = "") {
  std::string fields;
  for (size_t i = 0; i < n; ++i) {
    const std::string field =
        i == 0 && !first_field.empty() ? std::string(first_field) : "F" + std::to_string(i);
    fields += std::string(i > 0 ? ", " : "") + R"({"column": "c)" + std::to_string(i) +
              R"(", "field": ")" + field + R"("})";
  }
  return R"({"name": "wide", "table": "wide", "module": "Leads", "key_columns": ["id"],
             "external_id_field": "ERP_Id", "fields": [)" +
         fields + "]}";
}

TEST(ParseConfigErrorTest, MoreFieldsThanZohoListsInOneCall) {
  EXPECT_THAT(Parse(WithMapping(MappingWithFields(47))), IsOk());
  const std::string error = ErrorOf(Parse(WithMapping(MappingWithFields(48))));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].fields: the agent would ask Zoho for 51 "
                               "fields of module \"Leads\" (Modified_Time, Created_Time, the "
                               "external_id_field and the 48 mapped fields), but Zoho returns "
                               "at most 50 fields per list call, so every sync cycle would "
                               "fail; map at most 47 fields in one mapping"));
  // A mapped Created_Time is asked for once: 48 fields then make 50.
  EXPECT_THAT(Parse(WithMapping(MappingWithFields(48, "Created_Time"))), IsOk());
  EXPECT_THAT(ErrorOf(Parse(WithMapping(MappingWithFields(49, "Created_Time")))),
              HasSubstr("map at most 48 fields"));
}

TEST(ParseConfigErrorTest, DuplicateColumnFieldAndKey) {
  const std::string error = ErrorOf(Parse(WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id", "id"],
          "external_id_field": "ERP_Id",
          "fields": [{"column": "a", "field": "A"}, {"column": "a", "field": "B"},
                     {"column": "c", "field": "A"}]})")));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].key_columns[1]: key column \"id\" is "
                               "listed twice"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].fields[1].column: column \"a\" is already "
                               "mapped by mappings[0].fields[0]"));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].fields[2].field: Zoho field \"A\" is "
                               "already mapped by mappings[0].fields[0]"));
}

TEST(ParseConfigErrorTest, ValuesMustBeOneToOne) {
  const std::string error = ErrorOf(Parse(WithMapping(
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id",
          "fields": [{"column": "tier", "field": "Rating",
                      "values": {"A": "Acquired", "B": "Active", "C": "Acquired"}}]})")));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].fields[0].values: ERP values \"A\", "
                               "\"C\" all map to \"Acquired\"; the map must be one-to-one"));
}

TEST(ParseConfigErrorTest, ValuesMustBeStrings) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id",
          "fields": [{"column": "tier", "field": "Rating", "values": {"A": 1}}]})"))),
              HasSubstr("mappings[0].fields[0].values.A: must be a string, not an integer"));
}

TEST(ParseConfigErrorTest, DottedSqliteTable) {
  const std::string error = ErrorOf(Parse(WithMapping(
      R"({"name": "m", "table": "main.customers", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})",
      "sqlite")));
  EXPECT_THAT(error, HasSubstr("agent.json: mappings[0].table: sqlite has no schemas, so write "
                               "the plain table name"));
}

TEST(ParseConfigErrorTest, TooManyDots) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "db.public.t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"))),
              HasSubstr("mappings[0].table: must be \"table\" or \"schema.table\" (at most one "
                        "dot); got \"db.public.t\""));
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": ".t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"))),
              HasSubstr("mappings[0].table: the schema and the table name around the dot must "
                        "not be empty"));
}

TEST(ParseConfigErrorTest, KeyColumnFedByTheCrm) {
  const std::string mapping =
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["code"],
          "external_id_field": "ERP_Id", "fields": [{"column": "code", "field": "Code"}]})";
  EXPECT_THAT(ErrorOf(Parse(WithMapping(mapping))),
              HasSubstr("agent.json: mappings[0].fields[0]: key column \"code\" flows both, which "
                        "would let the CRM change the ERP key"));
  std::string erp_only = mapping;
  erp_only.replace(erp_only.find("\"Code\"}"), 7, R"("Code", "direction": "erp_to_crm"})");
  EXPECT_THAT(Parse(WithMapping(erp_only)), IsOk());
  std::string create_only = mapping;
  create_only.replace(create_only.find("\"Code\"}"), 7, R"("Code", "create_only": true})");
  EXPECT_THAT(Parse(WithMapping(create_only)), IsOk());
}

TEST(ParseConfigErrorTest, CreateOnlyNeedsCrmToErp) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "direction": "erp_to_crm",
          "fields": [{"column": "a", "field": "A", "create_only": true}]})"))),
              HasSubstr("mappings[0].fields[0].create_only: only applies to fields that flow "
                        "from the CRM to the ERP"));
}

TEST(ParseConfigErrorTest, FieldCannotWidenMappingDirection) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "direction": "erp_to_crm",
          "fields": [{"column": "a", "field": "A", "direction": "both"}]})"))),
              HasSubstr("mappings[0].fields[0].direction: is \"both\" but the mapping's "
                        "direction is \"erp_to_crm\""));
}

TEST(ParseConfigErrorTest, ExternalIdFieldIsNotAMappedField) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "id", "field": "ERP_Id",
          "direction": "erp_to_crm"}]})"))),
              HasSubstr("mappings[0].fields[0].field: Zoho field \"ERP_Id\" is the mapping's "
                        "external_id_field"));
}

TEST(ParseConfigErrorTest, MatchFieldsMustBeMapped) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "match_fields": [{"column": "email", "field": "Email"}],
          "fields": [{"column": "a", "field": "A"}]})"))),
              HasSubstr("agent.json: mappings[0].match_fields[0]: column \"email\" and Zoho field "
                        "\"Email\" must also be mapped to each other in \"fields\""));
}

TEST(ParseConfigErrorTest, SoftDeleteColumnIsNotAKey) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "deletes": {"soft_delete_column": "id"},
          "fields": [{"column": "a", "field": "A"}]})"))),
              HasSubstr("mappings[0].deletes.soft_delete_column: \"id\" is a key column"));
}

TEST(ParseConfigErrorTest, NulInIdentifier) {
  EXPECT_THAT(ErrorOf(Parse(WithMapping(
                  R"({"name": "m", "table": "t\u0000x", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})"))),
              HasSubstr("mappings[0].table: must not contain a NUL character"));
}

TEST(ParseConfigErrorTest, AllSemanticProblemsOnePerLine) {
  std::string two =
      R"({"name": "m", "table": "t", "module": "Leads", "key_columns": ["id", "id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]},
         {"name": "m", "table": "t", "module": "Contacts", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})";
  const std::string error = ErrorOf(Parse(WithMapping(two)));
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 2) << error;
}

// ---- secrets ---------------------------------------------------------------

TEST(ParseConfigSecretsTest, SecretValuesAreNeverEchoed) {
  // A secret of the wrong kind of value, literal secrets next to other errors,
  // and a malformed ${...} inside a secret.
  std::string text = WithMapping(
      R"({"name": "m", "table": "a.b.c", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})");
  std::string literal = text;
  literal.replace(literal.find("${ZOHO_CLIENT_SECRET}"), 21, kClientSecret);
  std::string error = ErrorOf(Parse(literal));
  EXPECT_THAT(error, HasSubstr("mappings[0].table"));
  ExpectNoSecrets(error);

  std::string bad_ref = WithMapping(kMinimalMapping);
  bad_ref.replace(bad_ref.find("${ZOHO_CLIENT_SECRET}"), 21, "s3cr3t${not-a-name}");
  error = ErrorOf(Parse(bad_ref));
  EXPECT_THAT(error, HasSubstr("zoho.client_secret: invalid ${...} reference (not shown"));
  EXPECT_THAT(error, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(error, Not(HasSubstr("not-a-name")));

  // A secret that lands in a key whose value is echoed (a pattern error).
  std::string echoed = WithMapping(kMinimalMapping);
  echoed.replace(echoed.find("\"client_id\": \"id\""), 17,
                 R"("client_id": "id", "api_base_url": "${ZOHO_CLIENT_SECRET}")");
  error = ErrorOf(Parse(echoed));
  EXPECT_THAT(error, HasSubstr("zoho.api_base_url: must match"));
  ExpectNoSecrets(error);

  // A password in the connection string that shows up elsewhere.
  std::string pwd = WithMapping(
      R"({"name": "m", "table": "${ERP_DB_PASSWORD}.x.y", "module": "Leads", "key_columns": ["id"],
          "external_id_field": "ERP_Id", "fields": [{"column": "a", "field": "A"}]})");
  error = ErrorOf(Parse(pwd));
  EXPECT_THAT(error, HasSubstr("mappings[0].table"));
  ExpectNoSecrets(error);
}

TEST(ParseConfigSecretsTest, WrongTypeOfSecretDoesNotEchoIt) {
  std::string text = WithMapping(kMinimalMapping);
  text.replace(text.find("\"${ZOHO_CLIENT_SECRET}\""), 23, "[\"cs-0123456789abcdef\"]");
  const std::string error = ErrorOf(Parse(text));
  EXPECT_EQ(error, "agent.json: zoho.client_secret: must be a string, not an array");
}

// ---- files -----------------------------------------------------------------

class LoadConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("zcrmsync_config_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(LoadConfigFileTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = (dir_ / "nope.json").string();
  Result<Config> r = LoadConfigFile(path, TestEnv);
  ASSERT_THAT(r, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(r.error().message(), HasSubstr(path));
}

TEST_F(LoadConfigFileTest, LoadsAFileAndNamesItInErrors) {
  const std::string path = (dir_ / "agent.json").string();
  { std::ofstream(path) << kSample; }
  Result<Config> r = LoadConfigFile(path, TestEnv);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source_path, path);
  { std::ofstream(path) << "{\"database\": 1}"; }
  r = LoadConfigFile(path, TestEnv);
  ASSERT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(r.error().message(), HasSubstr(path + ": database: must be an object"));
}

TEST_F(LoadConfigFileTest, DirectoryIsAnError) {
  EXPECT_THAT(LoadConfigFile(dir_.string(), TestEnv), StatusIs(StatusCode::kInvalidArgument));
}

// ---- the schema and the documentation ----------------------------------------

TEST(ConfigSchemaTest, EmbeddedSchemaIsTheSourceFile) {
  std::ifstream in(std::string(ZCRMSYNC_MAPPINGS_SOURCE_DIR) + "/config.schema.json",
                   std::ios::binary);
  ASSERT_TRUE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(ConfigJsonSchema(), text);
}

// The complete example in CONFIG.md (the ```jsonc block) must load.
TEST(ConfigSchemaTest, DocumentedExampleParses) {
  std::ifstream in(std::string(ZCRMSYNC_MAPPINGS_SOURCE_DIR) + "/CONFIG.md", std::ios::binary);
  ASSERT_TRUE(in);
  std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = md.find("```jsonc\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = md.find("\n```", begin + 9);
  ASSERT_NE(end, std::string::npos);
  Result<Config> r = ParseConfig(md.substr(begin + 9, end - begin - 9), "CONFIG.md", TestEnv);
  ASSERT_THAT(r, IsOk());
  EXPECT_GE(r->mappings.size(), 2u);
}

// Every key the schema knows is documented in CONFIG.md as `key`.
TEST(ConfigSchemaTest, EveryKeyIsDocumented) {
  std::ifstream in(std::string(ZCRMSYNC_MAPPINGS_SOURCE_DIR) + "/CONFIG.md", std::ios::binary);
  ASSERT_TRUE(in);
  std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string_view schema = ConfigJsonSchema();
  // Keys are the names directly inside a "properties": {...} object; a cheap scan
  // for `"name": {` lines is enough for this schema's layout.
  size_t pos = 0;
  int checked = 0;
  while ((pos = schema.find("\"properties\"", pos)) != std::string_view::npos) {
    pos += 12;
    int depth = 0;
    size_t i = schema.find('{', pos);
    for (; i < schema.size(); ++i) {
      if (schema[i] == '{') {
        ++depth;
      } else if (schema[i] == '}') {
        if (--depth == 0) break;
      } else if (schema[i] == '"' && depth == 1) {
        const size_t close = schema.find('"', i + 1);
        const std::string key(schema.substr(i + 1, close - i - 1));
        EXPECT_THAT(md, HasSubstr("`" + key + "`")) << "undocumented key " << key;
        ++checked;
        // Skip the value.
        i = close;
      } else if (schema[i] == '"') {
        i = schema.find('"', i + 1);
      }
    }
  }
  EXPECT_GE(checked, 37);
}

// The agent section (issue #6): defaults, values, and clear errors.
TEST(ParseConfigTest, AgentSection) {
  auto with_agent = [](std::string_view agent) {
    std::string text = WithMapping(kMinimalMapping);
    return text.substr(0, text.size() - 1) + R"(, "agent": )" + std::string(agent) + "}";
  };
  Result<Config> r = Parse(WithMapping(kMinimalMapping));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->agent.http_listen, std::nullopt);
  EXPECT_EQ(r->agent.lease_seconds, 30);
  r = Parse(with_agent(R"({"http_listen": "127.0.0.1:9187", "lease_seconds": 5})"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->agent.http_listen, "127.0.0.1:9187");
  EXPECT_EQ(r->agent.lease_seconds, 5);
  EXPECT_THAT(Parse(with_agent(R"({"http_listen": "[::1]:0"})")), IsOk());
  EXPECT_THAT(ErrorOf(Parse(with_agent(R"({"http_listen": "9187"})"))),
              AllOf(HasSubstr("agent.http_listen"), HasSubstr("127.0.0.1:9187")));
  EXPECT_THAT(ErrorOf(Parse(with_agent(R"({"http_listen": "localhost:70000"})"))),
              HasSubstr("agent.http_listen: port 70000 is out of range"));
  EXPECT_THAT(ErrorOf(Parse(with_agent(R"({"lease_seconds": 1})"))),
              HasSubstr("agent.lease_seconds"));
  EXPECT_THAT(ErrorOf(Parse(with_agent(R"({"lease_secs": 10})"))), HasSubstr("lease_secs"));
}

}  // namespace
}  // namespace zcrmsync::mappings
