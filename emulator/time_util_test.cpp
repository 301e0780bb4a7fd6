#include "emulator/time_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace zcrmsync::emulator {
namespace {

using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(TimeUtilTest, ParsesIsoWithOffsetsAndZ) {
  EXPECT_THAT(ParseDateTime("1970-01-01T00:00:00Z"), IsOkAndHolds(0));
  EXPECT_THAT(ParseDateTime("1970-01-01T05:30:00+05:30"), IsOkAndHolds(0));
  EXPECT_THAT(ParseDateTime("2026-11-30T10:15:00.123Z"), IsOkAndHolds(1796033700));
  EXPECT_THAT(ParseDateTime("Sun, 06 Nov 1994 08:49:37 GMT"), IsOkAndHolds(784111777));
  EXPECT_THAT(ParseDateTime("2026-02-30T00:00:00Z"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime("yesterday"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(TimeUtilTest, FormatsInOrgOffset) {
  EXPECT_EQ(FormatDateTime(1796033700, 330), "2026-11-30T15:45:00+05:30");
  EXPECT_EQ(FormatDateTime(0, -480), "1969-12-31T16:00:00-08:00");
  EXPECT_EQ(FormatDateTime(0, 0), "1970-01-01T00:00:00+00:00");
}

}  // namespace
}  // namespace zcrmsync::emulator
