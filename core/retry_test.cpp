#include "core/retry.h"

#include <gtest/gtest.h>

namespace zcrmsync::retry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RandomSource Fixed(double v) {
  return [v] { return v; };
}

TEST(RetryTest, TransientCodes) {
  EXPECT_TRUE(IsTransient(StatusCode::kUnavailable));
  EXPECT_TRUE(IsTransient(StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(IsTransient(StatusCode::kAborted));
  EXPECT_TRUE(IsTransient(StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsTransient(StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsTransient(StatusCode::kUnauthenticated));
}

TEST(RetryTest, BackoffDoublesAndCaps) {
  Policy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = seconds(1);
  // random() just under 1 gives the ceiling (minus rounding).
  auto top = Fixed(1.0);
  EXPECT_EQ(Backoff(p, 1, top), milliseconds(100));
  EXPECT_EQ(Backoff(p, 2, top), milliseconds(200));
  EXPECT_EQ(Backoff(p, 3, top), milliseconds(400));
  EXPECT_EQ(Backoff(p, 4, top), milliseconds(800));
  EXPECT_EQ(Backoff(p, 5, top), seconds(1));
  EXPECT_EQ(Backoff(p, 60, top), seconds(1));  // no overflow
  EXPECT_EQ(Backoff(p, 3, Fixed(0.0)), milliseconds(0));
  EXPECT_EQ(Backoff(p, 3, Fixed(0.5)), milliseconds(200));
}

TEST(RetryTest, FullJitterStaysInRange) {
  Policy p;
  auto random = DefaultRandom();
  for (int i = 0; i < 1000; ++i) {
    auto d = Backoff(p, 3, random);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, milliseconds(2000));
  }
}

TEST(RetryTest, TransientErrorsRetryWithBackoff) {
  Policy p;
  for (StatusCode code :
       {StatusCode::kUnavailable, StatusCode::kDeadlineExceeded, StatusCode::kAborted}) {
    Decision d = Decide(p, {code, 1, 0, std::nullopt}, Fixed(1.0));
    EXPECT_EQ(d.action, Action::kRetry) << code;
    EXPECT_EQ(d.delay, milliseconds(500)) << code;
    d = Decide(p, {code, 2, 0, std::nullopt}, Fixed(1.0));
    EXPECT_EQ(d.delay, milliseconds(1000)) << code;
  }
}

TEST(RetryTest, RateLimitUsesRetryAfterThenBackoff) {
  Policy p;
  Decision d = Decide(p, {StatusCode::kResourceExhausted, 1, 0, seconds(7)}, Fixed(0.0));
  EXPECT_EQ(d.action, Action::kRetry);
  EXPECT_EQ(d.delay, seconds(7));
  d = Decide(p, {StatusCode::kResourceExhausted, 1, 0, std::chrono::hours(5)}, Fixed(0.0));
  EXPECT_EQ(d.delay, p.max_retry_after);
  d = Decide(p, {StatusCode::kResourceExhausted, 1, 0, std::nullopt}, Fixed(1.0));
  EXPECT_EQ(d.action, Action::kRetry);
  EXPECT_EQ(d.delay, milliseconds(500));
}

TEST(RetryTest, UnauthenticatedRefreshesOnce) {
  Policy p;
  Decision d = Decide(p, {StatusCode::kUnauthenticated, 1, 0, std::nullopt}, Fixed(0.5));
  EXPECT_EQ(d.action, Action::kRefreshAuth);
  EXPECT_EQ(d.delay.count(), 0);
  d = Decide(p, {StatusCode::kUnauthenticated, 2, 1, std::nullopt}, Fixed(0.5));
  EXPECT_EQ(d.action, Action::kGiveUp);
}

TEST(RetryTest, PermanentErrorsNeverRetry) {
  Policy p;
  for (StatusCode code :
       {StatusCode::kInvalidArgument, StatusCode::kFailedPrecondition,
        StatusCode::kPermissionDenied, StatusCode::kNotFound, StatusCode::kAlreadyExists,
        StatusCode::kCancelled, StatusCode::kInternal, StatusCode::kDataLoss,
        StatusCode::kOutOfRange, StatusCode::kUnknown, StatusCode::kOk}) {
    EXPECT_FALSE(Decide(p, {code, 1, 0, std::nullopt}, Fixed(0.5)).retry()) << code;
  }
}

TEST(RetryTest, GivesUpAfterMaxAttempts) {
  Policy p;
  p.max_attempts = 3;
  EXPECT_TRUE(Decide(p, {StatusCode::kUnavailable, 2, 0, std::nullopt}, Fixed(0.5)).retry());
  EXPECT_FALSE(Decide(p, {StatusCode::kUnavailable, 3, 0, std::nullopt}, Fixed(0.5)).retry());
  EXPECT_FALSE(
      Decide(p, {StatusCode::kResourceExhausted, 3, 0, seconds(1)}, Fixed(0.5)).retry());
}

}  // namespace
}  // namespace zcrmsync::retry
