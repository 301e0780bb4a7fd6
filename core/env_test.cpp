#include "core/env.h"

#include <map>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

EnvLookup Fake(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ExpandEnvTest, ReplacesVariables) {
  auto env = Fake({{"ERP_DB_PASSWORD", "s3cret"}, {"HOST", "db1"}});
  EXPECT_THAT(ExpandEnv("SERVER=${HOST};PWD=${ERP_DB_PASSWORD};", env),
              IsOkAndHolds(std::string("SERVER=db1;PWD=s3cret;")));
  EXPECT_THAT(ExpandEnv("no vars", env), IsOkAndHolds(std::string("no vars")));
  EXPECT_THAT(ExpandEnv("cost $5 and $$ and $", env),
              IsOkAndHolds(std::string("cost $5 and $ and $")));
}

TEST(ExpandEnvTest, MissingVariableIsNamed) {
  auto r = ExpandEnv("PWD=${ERP_DB_PASSWORD}", Fake({}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("ERP_DB_PASSWORD"), std::string::npos);
}

TEST(ExpandEnvTest, MalformedReferences) {
  EXPECT_THAT(ExpandEnv("${UNCLOSED", Fake({})), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ExpandEnv("${}", Fake({})), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ExpandEnv("${1X}", Fake({})), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ExpandEnv("${A-B}", Fake({})), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync
