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

}  // namespace
}  // namespace zcrmsync::sync
