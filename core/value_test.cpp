#include "core/value.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(ValueTest, NullKeepsItsType) {
  Value v = Value::Null(ValueType::kTimestamp);
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), ValueType::kTimestamp);
  EXPECT_EQ(v.DebugString(), "NULL(timestamp)");
  EXPECT_FALSE(v == Value::Null(ValueType::kText));
}

TEST(ValueTest, EqualityComparesTypeAndData) {
  EXPECT_EQ(Value::Int64(5), Value::Int64(5));
  EXPECT_FALSE(Value::Decimal("1.0") == Value::Text("1.0"));
}

TEST(ValueTest, DecimalValidation) {
  EXPECT_TRUE(IsValidDecimal("0"));
  EXPECT_TRUE(IsValidDecimal("-12345678901234567890.123456789"));
  EXPECT_TRUE(IsValidDecimal("+.5"));
  EXPECT_FALSE(IsValidDecimal(""));
  EXPECT_FALSE(IsValidDecimal("-"));
  EXPECT_FALSE(IsValidDecimal("1e5"));
  EXPECT_FALSE(IsValidDecimal("1.2.3"));
  EXPECT_FALSE(IsValidDecimal("12a"));
}

TEST(ValueTest, ParsesDatesAndChecksTheCalendar) {
  EXPECT_THAT(ParseDate("2024-02-29"), IsOkAndHolds(Date{2024, 2, 29}));
  EXPECT_THAT(ParseDate("2023-02-29"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDate("2024-13-01"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDate("24-1-1"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ValueTest, ParsesTimestampsWithFractions) {
  EXPECT_THAT(ParseTimestamp("2024-02-29 13:45:59.123456"),
              IsOkAndHolds(Timestamp{2024, 2, 29, 13, 45, 59, 123456}));
  EXPECT_THAT(ParseTimestamp("2024-02-29T13:45:59.1Z"),
              IsOkAndHolds(Timestamp{2024, 2, 29, 13, 45, 59, 100000}));
  EXPECT_THAT(ParseTimestamp("2024-02-29 13:45:59.1234567"),  // 100 ns digit dropped
              IsOkAndHolds(Timestamp{2024, 2, 29, 13, 45, 59, 123456}));
  EXPECT_THAT(ParseTimestamp("2024-02-29 13:45:59"),
              IsOkAndHolds(Timestamp{2024, 2, 29, 13, 45, 59, 0}));
  EXPECT_THAT(ParseTimestamp("2024-02-29 24:00:00"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTimestamp("2024-02-29 13:45:59."), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTimestamp("2024-02-29 13:45:59+01:00"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ValueTest, FormatsTimestampWithMicroseconds) {
  EXPECT_EQ(FormatTimestamp({2024, 2, 29, 13, 45, 59, 123}), "2024-02-29 13:45:59.000123");
  EXPECT_EQ(FormatDate({7, 1, 2}), "0007-01-02");
}

}  // namespace
}  // namespace zcrmsync
