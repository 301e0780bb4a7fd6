// gmock matchers for Status and Result<T>, after abseil's status_matchers:
//   EXPECT_THAT(conn.Commit(), IsOk());
//   EXPECT_THAT(stmt.Execute(), StatusIs(StatusCode::kInvalidArgument));
//   EXPECT_THAT(ParseDate("2024-02-29"), IsOkAndHolds(Date{2024, 2, 29}));
#pragma once

#include <gmock/gmock.h>

#include "core/result.h"

namespace zcrmsync::testing {

inline const Status& GetStatusForTest(const Status& s) { return s; }
template <typename T>
Status GetStatusForTest(const Result<T>& r) {
  return r.has_value() ? Status() : r.error();
}

MATCHER(IsOk, "is OK") {
  const Status s = ::zcrmsync::testing::GetStatusForTest(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + std::string(::zcrmsync::StatusCodeName(code))) {
  const Status s = ::zcrmsync::testing::GetStatusForTest(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P(IsOkAndHolds, matcher, "is OK and holds a matching value") {
  if (!arg.has_value()) {
    *result_listener << "status is " << arg.error().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, *arg, result_listener);
}

}  // namespace zcrmsync::testing
