#include "agent/windows/service_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zcrmsync::agent::windows {
namespace {

using Action = ServiceCommandOptions::Action;
using ::testing::HasSubstr;

TEST(IsServiceCommandTest, FindsTheCommandAfterGlobalOptions) {
  EXPECT_TRUE(IsServiceCommand({"service", "install"}));
  EXPECT_TRUE(IsServiceCommand({"--config", "a.json", "service", "uninstall"}));
  EXPECT_TRUE(IsServiceCommand({"--config=a.json", "--log-level", "debug", "service"}));
  EXPECT_FALSE(IsServiceCommand({"--config", "service", "run"}));  // "service" is the file
  EXPECT_FALSE(IsServiceCommand({"run"}));
  EXPECT_FALSE(IsServiceCommand({"--help"}));
  EXPECT_FALSE(IsServiceCommand({}));
}

TEST(ParseServiceCommandTest, InstallWithDefaults) {
  auto o = ParseServiceCommand({"service", "install"});
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->action, Action::kInstall);
  EXPECT_EQ(o->name, "zcrmsync");
  EXPECT_FALSE(o->config.has_value());
  EXPECT_FALSE(o->account.has_value());
}

TEST(ParseServiceCommandTest, OptionsBeforeAndAfterTheAction) {
  auto o =
      ParseServiceCommand({"--config", "C:\\erp.json", "--log-level", "debug", "service", "install",
                           "--name=erp2", "--account", "LocalSystem", "--log-format=json"});
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->config, "C:\\erp.json");
  EXPECT_EQ(o->name, "erp2");
  EXPECT_EQ(o->account, "LocalSystem");
  EXPECT_EQ(o->log_level, "debug");
  EXPECT_EQ(o->log_format, "json");
}

TEST(ParseServiceCommandTest, HelpWins) {
  auto o = ParseServiceCommand({"service", "--help"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->action, Action::kHelp);
  o = ParseServiceCommand({"service", "uninstall", "-h"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->action, Action::kHelp);
}

TEST(ParseServiceCommandTest, RefusesWhatItDoesNotKnow) {
  auto o = ParseServiceCommand({"service"});
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(o.error().message(), HasSubstr("install or uninstall"));

  o = ParseServiceCommand({"service", "start"});
  ASSERT_FALSE(o.has_value());
  EXPECT_THAT(o.error().message(), HasSubstr("'start'"));

  o = ParseServiceCommand({"service", "uninstall", "--account", "x"});  // install only
  ASSERT_FALSE(o.has_value());
  EXPECT_THAT(o.error().message(), HasSubstr("'--account'"));

  o = ParseServiceCommand({"service", "install", "--name", "a\\b"});
  ASSERT_FALSE(o.has_value());
  EXPECT_THAT(o.error().message(), HasSubstr("invalid service name"));

  o = ParseServiceCommand({"service", "install", "--config"});
  ASSERT_FALSE(o.has_value());
  EXPECT_THAT(o.error().message(), HasSubstr("--config needs a value"));

  o = ParseServiceCommand({"--log-level", "loud", "service", "install"});
  ASSERT_FALSE(o.has_value());
  EXPECT_THAT(o.error().message(), HasSubstr("loud"));
}

TEST(QuoteWindowsArgTest, FollowsCommandLineToArgvRules) {
  EXPECT_EQ(QuoteWindowsArg("run"), "run");
  EXPECT_EQ(QuoteWindowsArg("C:\\dir\\a.json"), "C:\\dir\\a.json");  // no quote, no escaping
  EXPECT_EQ(QuoteWindowsArg(""), "\"\"");
  EXPECT_EQ(QuoteWindowsArg("C:\\Program Data\\a.json"), "\"C:\\Program Data\\a.json\"");
  // Trailing backslashes are doubled before the closing quote.
  EXPECT_EQ(QuoteWindowsArg("C:\\my dir\\"), "\"C:\\my dir\\\\\"");
  // A quote is escaped, and the backslashes before it doubled.
  EXPECT_EQ(QuoteWindowsArg("a\\\"b c"), "\"a\\\\\\\"b c\"");
}

TEST(ServiceCommandLineTest, QuotesThePathsAndEndsWithRun) {
  ServiceCommandOptions o;
  o.action = Action::kInstall;
  o.log_format = "json";
  EXPECT_EQ(ServiceCommandLine("C:\\Program Files\\zcrmsync\\zcrmsync.exe", o,
                               "C:\\ProgramData\\zcrmsync\\zcrmsync.json"),
            "\"C:\\Program Files\\zcrmsync\\zcrmsync.exe\" --windows-service zcrmsync "
            "--config C:\\ProgramData\\zcrmsync\\zcrmsync.json --log-format json run");
  o.name = "erp2";
  EXPECT_THAT(ServiceCommandLine("C:\\z.exe", o, "D:\\conf dir\\erp2.json"),
              HasSubstr("--windows-service erp2 --config \"D:\\conf dir\\erp2.json\""));
}

TEST(ServiceHelpTest, NamesTheActionsAndOptions) {
  const std::string help = ServiceHelp();
  for (const char* word :
       {"install", "uninstall", "--config", "--name", "--account", "Event Log"}) {
    EXPECT_THAT(help, HasSubstr(word));
  }
}

}  // namespace
}  // namespace zcrmsync::agent::windows
