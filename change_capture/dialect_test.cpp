#include "change_capture/dialect.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::change_capture {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(DialectTest, ParsesConfigNames) {
  for (Dialect d : {Dialect::kPostgreSQL, Dialect::kMySQL, Dialect::kSQLite, Dialect::kSqlServer}) {
    EXPECT_THAT(ParseDialect(DialectName(d)), IsOkAndHolds(d));
  }
  auto bad = ParseDialect("oracle");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("allowed: postgresql, mysql, sqlite, sqlserver"),
            std::string::npos);
}

TEST(DialectTest, QuotesAwkwardNames) {
  EXPECT_THAT(QuoteIdentifier(Dialect::kPostgreSQL, "order"), IsOkAndHolds(std::string("\"order\"")));
  EXPECT_THAT(QuoteIdentifier(Dialect::kPostgreSQL, "My \"Col\""),
              IsOkAndHolds(std::string("\"My \"\"Col\"\"\"")));
  EXPECT_THAT(QuoteIdentifier(Dialect::kSQLite, "group by"), IsOkAndHolds(std::string("\"group by\"")));
  EXPECT_THAT(QuoteIdentifier(Dialect::kMySQL, "we`ird"), IsOkAndHolds(std::string("`we``ird`")));
  EXPECT_THAT(QuoteIdentifier(Dialect::kSqlServer, "user]name"),
              IsOkAndHolds(std::string("[user]]name]")));
  EXPECT_THAT(QuoteIdentifier(Dialect::kSqlServer, "Ümlaut"), IsOkAndHolds(std::string("[Ümlaut]")));
}

TEST(DialectTest, RejectsEmptyNulAndOverlongNames) {
  EXPECT_THAT(QuoteIdentifier(Dialect::kMySQL, ""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(QuoteIdentifier(Dialect::kSQLite, std::string_view("a\0b", 3)),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(QuoteIdentifier(Dialect::kPostgreSQL, std::string(64, 'x')),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(QuoteIdentifier(Dialect::kPostgreSQL, std::string(63, 'x')), testing::IsOk());
  EXPECT_THAT(QuoteIdentifier(Dialect::kMySQL, std::string(65, 'x')),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync::change_capture
