#include "core/log.h"

#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::log {
namespace {

using ::zcrmsync::testing::StatusIs;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = CurrentOptions();
    SetOutputForTesting(&out_);
  }
  void TearDown() override {
    SetOutputForTesting(nullptr);
    Configure(saved_);
  }
  std::ostringstream out_;
  Options saved_;
};

TEST_F(LogTest, TextLineHasLevelComponentAndFields) {
  Configure({Level::kInfo, Format::kText});
  Logger("odbc").Info("connected", {{"driver", "psqlodbcw.so"}, {"rows", int64_t{3}},
                                    {"dbms", "PostgreSQL 15"}});
  const std::string line = out_.str();
  EXPECT_NE(line.find(" INFO odbc: connected driver=psqlodbcw.so rows=3 dbms=\"PostgreSQL 15\""),
            std::string::npos)
      << line;
  EXPECT_EQ(line.back(), '\n');
}

TEST_F(LogTest, LevelFilters) {
  Configure({Level::kWarn, Format::kText});
  Logger("x").Info("hidden");
  Logger("x").Warn("shown");
  EXPECT_EQ(out_.str().find("hidden"), std::string::npos);
  EXPECT_NE(out_.str().find("shown"), std::string::npos);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
}

TEST_F(LogTest, JsonLinesEscapeAndKeepTypes) {
  Configure({Level::kDebug, Format::kJson});
  Logger("crm").Debug("say \"hi\"\n", {{"n", 5}, {"ok", true}, {"name", "Zoë"}});
  const std::string line = out_.str();
  EXPECT_NE(line.find("\"level\":\"debug\",\"component\":\"crm\",\"msg\":\"say \\\"hi\\\"\\n\","
                      "\"n\":5,\"ok\":true,\"name\":\"Zoë\"}"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
}

TEST_F(LogTest, SecretFieldsAreRedactedInBothFormats) {
  Configure({Level::kInfo, Format::kText});
  Logger("crm").Info("token", {{"refresh_token", "1000.abc"}, {"password", "pw"}});
  Configure({Level::kInfo, Format::kJson});
  Logger("crm").Info("token", {{"client_secret", "shh"}});
  EXPECT_EQ(out_.str().find("1000.abc"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("shh"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("=pw"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("refresh_token=***"), std::string::npos) << out_.str();
}

TEST(LogParseTest, LevelsAndFormats) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_THAT(ParseLevel("loud"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseFormat("xml"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync::log
