#include "sync/sync_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace zcrmsync::sync {
namespace {

TEST(ForEachConcurrentlyTest, RunsEachIndexOnceAndNoMoreThanTheWidthAtATime) {
  constexpr size_t kCount = 23;
  std::vector<std::atomic<int>> runs(kCount);
  std::atomic<int> in_flight{0}, most{0};
  ForEachConcurrently(kCount, 4, [&](size_t i) {
    const int now = ++in_flight;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ++runs[i];
    --in_flight;
  });
  for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  EXPECT_LE(most.load(), 4);
  EXPECT_GE(most.load(), 2);  // it did run side by side
}

TEST(ForEachConcurrentlyTest, NothingToDoAndAWidthOfOne) {
  int calls = 0;
  ForEachConcurrently(0, 4, [&](size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
  std::vector<size_t> order;
  ForEachConcurrently(3, 1, [&](size_t i) { order.push_back(i); });  // this thread alone
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2}));
}

// Issue #12, defect 16g: a soft-delete time is the ERP's wall time, like
// every ERP time without a zone.
TEST(DeletedMarkerTest, TimesAreTheErpsLocalTime) {
  // 2026-01-01T00:00:00Z
  const Clock::TimePoint now{std::chrono::seconds(1'767'225'600)};
  auto kolkata = DeletedMarker(ValueType::kTimestamp, now, "Asia/Kolkata");
  ASSERT_TRUE(kolkata.has_value()) << kolkata.error();
  EXPECT_EQ(kolkata->timestamp_value(), (Timestamp{2026, 1, 1, 5, 30, 0, 0}));
  auto new_york = DeletedMarker(ValueType::kDate, now, "America/New_York");
  ASSERT_TRUE(new_york.has_value()) << new_york.error();
  EXPECT_EQ(new_york->date_value(), (Date{2025, 12, 31}));
  auto utc = DeletedMarker(ValueType::kTimestamp, now, "UTC");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(utc->timestamp_value(), (Timestamp{2026, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(DeletedMarker(ValueType::kTimestamp, now, "Mars/Olympus").error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(DeletedMarker(ValueType::kBool, now, "UTC")->bool_value());
}

}  // namespace
}  // namespace zcrmsync::sync
