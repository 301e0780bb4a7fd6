#include "agent/cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/version.h"

namespace zcrmsync::agent {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, Version) {
  for (const char* flag : {"--version", "-V"}) {
    Outcome o = Cli({flag});
    EXPECT_EQ(o.code, kExitOk);
    EXPECT_EQ(o.out, std::string("zcrmsync ") + kVersion + "\n");
  }
}

TEST(CliTest, HelpListsCommandsAndGlobalOptions) {
  Outcome o = Cli({"--help"});
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_NE(o.out.find("ping"), std::string::npos);
  EXPECT_NE(o.out.find("--log-format"), std::string::npos);
  EXPECT_EQ(o.out.find("Not built yet"), std::string::npos);
  for (const char* c : {"check", "sql", "install", "uninstall", "verify", "plan", "status", "--config"}) {
    EXPECT_NE(o.out.find(c), std::string::npos) << c;
  }
}

TEST(CliTest, NoCommandIsAUsageError) {
  Outcome o = Cli({});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("usage:"), std::string::npos);
}

TEST(CliTest, UnknownCommandAndOptionAreUsageErrors) {
  Outcome o = Cli({"frobnicate"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("unknown command 'frobnicate'"), std::string::npos);
  o = Cli({"--frob"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("--frob"), std::string::npos);
  o = Cli({"ping", "--frob"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("frob"), std::string::npos);
}

TEST(CliTest, BadLogLevelIsAUsageError) {
  Outcome o = Cli({"--log-level", "loud", "--version"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("unknown log level 'loud'"), std::string::npos);
}

TEST(CliTest, PingHelpBothWays) {
  for (auto args : {std::vector<std::string>{"ping", "--help"},
                    std::vector<std::string>{"--help", "ping"}}) {
    Outcome o = Cli(args);
    EXPECT_EQ(o.code, kExitOk);
    EXPECT_NE(o.out.find("--connection-string"), std::string::npos) << o.out;
  }
}

TEST(CliTest, PingNeedsAConnectionString) {
  Outcome o = Cli({"ping"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("--connection-string is required"), std::string::npos);
}

TEST(CliTest, PingNamesAMissingEnvironmentVariable) {
  Outcome o = Cli({"ping", "-c", "DRIVER={SQLite3};Database=${ZCRMSYNC_SURELY_UNSET_VAR}"});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_NE(o.err.find("ZCRMSYNC_SURELY_UNSET_VAR is not set"), std::string::npos) << o.err;
}

TEST(CliTest, PingFailureHidesThePassword) {
  Outcome o = Cli({"--log-level", "off", "ping", "-c", "DRIVER={No Such Driver};PWD=Hunter22;"});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_EQ(o.err.find("Hunter22"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("PWD=***"), std::string::npos) << o.err;
}

TEST(CliTest, EveryCommandAnswersHelp) {
  for (const char* c : {"check", "sql", "install", "uninstall", "verify", "run", "push", "status",
                        "errors", "conflicts", "ping"}) {
    Outcome o = Cli({c, "--help"});
    EXPECT_EQ(o.code, kExitOk) << c << ": " << o.err;
    EXPECT_NE(o.out.find("zcrmsync"), std::string::npos) << c;
  }
}

TEST(CliTest, KitCommandsNeedAConfig) {
  for (const char* c : {"check", "install", "uninstall", "verify", "run", "push", "status"}) {
    Outcome o = Cli({c});
    EXPECT_EQ(o.code, kExitUsage) << c;
    EXPECT_NE(o.err.find("--config FILE is required"), std::string::npos) << o.err;
  }
}

TEST(CliTest, MissingConfigFileIsNamed) {
  Outcome o = Cli({"--config", "/nonexistent/zcrmsync.jsonc", "verify"});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_NE(o.err.find("/nonexistent/zcrmsync.jsonc"), std::string::npos) << o.err;
}

// Issue #12 (13, 8): `check` reports what the config loader refuses, before
// it connects to anything: a mapping that Zoho cannot list in one call, and
// two mappings that would take each other's records.
TEST(CliTest, CheckReportsTheFieldLimitAndSharedModules) {
  std::string fields;
  for (int i = 0; i < 48; ++i) {
    fields += std::string(i > 0 ? ", " : "") + R"({"column": "c)" + std::to_string(i) +
              R"(", "field": "F)" + std::to_string(i) + R"("})";
  }
  const std::string path = ::testing::TempDir() + "zcrmsync-cli-check.json";
  std::ofstream(path)
      << R"({"database": {"dialect": "sqlite", "connection_string": "DRIVER={SQLite3};Database=/nonexistent/x.db"},
    "zoho": {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh"},
    "mappings": [
      {"name": "wide", "table": "wide", "module": "Leads", "key_columns": ["id"],
       "external_id_field": "ERP_Id", "fields": [)" +
             fields + R"(]},
      {"name": "customers", "table": "customers", "module": "Accounts", "key_columns": ["id"],
       "external_id_field": "ERP_Id", "fields": [{"column": "name", "field": "Account_Name"}]},
      {"name": "suppliers", "table": "suppliers", "module": "Accounts", "key_columns": ["id"],
       "external_id_field": "Supplier_Id", "fields": [{"column": "name", "field": "Account_Name"}]}]})";
  Outcome o = Cli({"--config", path, "check", "--skip-zoho"});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_NE(o.err.find("mappings[0].fields: the agent would ask Zoho for 51 fields of module "
                       "\"Leads\""),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("mappings[2].module: mappings \"customers\" (mappings[1]) and "
                       "\"suppliers\" both map Zoho module \"Accounts\""),
            std::string::npos)
      << o.err;
  std::remove(path.c_str());
}

TEST(CliTest, SqlNeedsAnAction) {
  Outcome o = Cli({"--config", "x", "sql", "reinstall"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("'install' or 'uninstall'"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace zcrmsync::agent
