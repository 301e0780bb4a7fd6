#include "core/status.h"

#include <gtest/gtest.h>

#include "core/result.h"
#include "core/status_macros.h"
#include "tests/support/status_matchers.h"

namespace zcrmsync {
namespace {

using ::zcrmsync::testing::IsOk;
using ::zcrmsync::testing::IsOkAndHolds;
using ::zcrmsync::testing::StatusIs;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, OkCodeDropsMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  EXPECT_EQ(AbortedError("x").code(), StatusCode::kAborted);
  EXPECT_EQ(UnavailableError("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(InvalidArgumentError("bad row").ToString(), "INVALID_ARGUMENT: bad row");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsPayloads) {
  Status s = InvalidArgumentError("Zoho 400 INVALID_DATA Phone");
  s.SetPayload("field", "Phone");
  Status c = s.WithContext("push Account 1042");
  EXPECT_EQ(c.message(), "push Account 1042: Zoho 400 INVALID_DATA Phone");
  EXPECT_EQ(c.GetPayload("field"), "Phone");
  EXPECT_TRUE(Status().WithContext("ctx").ok());
}

TEST(StatusTest, PayloadOverwrite) {
  Status s = UnknownError("x");
  s.SetPayload("sqlstate", "HY000").SetPayload("sqlstate", "23505");
  EXPECT_EQ(s.GetPayload("sqlstate"), "23505");
  EXPECT_EQ(s.payloads().size(), 1u);
  EXPECT_FALSE(s.GetPayload("missing").has_value());
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Error(InvalidArgumentError("odd"));
  return v / 2;
}

Result<int> Quarter(int v) {
  ZCRMSYNC_ASSIGN_OR_RETURN(int h, Half(v));
  ZCRMSYNC_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(Half(v)));
  return Status();
}

Result<int> CheckThenReturn(int v) {
  ZCRMSYNC_RETURN_IF_ERROR(CheckEven(v));
  return v;
}

TEST(StatusMacrosTest, AssignOrReturnPropagates) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Quarter(5), StatusIs(StatusCode::kInvalidArgument));
}

TEST(StatusMacrosTest, ReturnIfErrorWorksForStatusAndResult) {
  EXPECT_THAT(CheckEven(4), IsOk());
  EXPECT_THAT(CheckEven(3), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckThenReturn(4), IsOkAndHolds(4));
  EXPECT_THAT(CheckThenReturn(3), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace zcrmsync
