// Connection checks that need the driver manager but no database server.
#include "odbc/connection.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::odbc {
namespace {

using ::zcrmsync::testing::StatusIs;

TEST(ConnectionTest, EmptyConnectionStringIsInvalid) {
  EXPECT_THAT(Connection::Open({}), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ConnectionTest, SqliteWithoutDatabaseIsRefusedBeforeTheDriverSeesIt) {
  EXPECT_THAT(Connection::Open({.connection_string = "DRIVER={SQLite3};Database=;"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Connection::Open({.connection_string = "DRIVER={SQLite3};"}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(ConnectionTest, UnknownDriverIsAPermanentErrorWithoutThePassword) {
  auto c = Connection::Open(
      {.connection_string = "DRIVER={No Such Driver 42};SERVER=x;UID=u;PWD=Sup3r-Secret;"});
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), StatusCode::kFailedPrecondition) << c.error();
  EXPECT_NE(c.error().message().find("No Such Driver 42"), std::string::npos) << c.error();
  EXPECT_EQ(c.error().message().find("Sup3r-Secret"), std::string::npos) << c.error();
  EXPECT_NE(c.error().message().find("PWD=***"), std::string::npos) << c.error();
}

}  // namespace
}  // namespace zcrmsync::odbc
