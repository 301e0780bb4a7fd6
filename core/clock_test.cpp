#include "core/clock.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace zcrmsync {
namespace {

TEST(ClockTest, FormatUtcHasMicroseconds) {
  const Clock::TimePoint t{std::chrono::seconds(1'709'214'359) + std::chrono::microseconds(123456)};
  EXPECT_EQ(FormatUtc(t), "2024-02-29T13:45:59.123456Z");
}

TEST(ClockTest, SystemClockMovesForward) {
  const auto a = SystemClock().SteadyNow();
  SystemClock().SleepFor(std::chrono::milliseconds(1));
  EXPECT_GT(SystemClock().SteadyNow(), a);
}

TEST(FakeClockTest, SleepAdvancesWithoutWaiting) {
  testing::FakeClock clock;
  const auto start = clock.Now();
  clock.SleepFor(std::chrono::hours(1));
  EXPECT_EQ(clock.Now() - start, std::chrono::hours(1));
  EXPECT_EQ(clock.total_slept(), std::chrono::hours(1));
}

}  // namespace
}  // namespace zcrmsync
