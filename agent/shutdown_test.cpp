#include "agent/shutdown.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace zcrmsync::agent {
namespace {

TEST(ShutdownTest, ReloadRequestIsTakenOnce) {
  ResetRequestsForTesting();
  EXPECT_FALSE(TakeReloadRequest());
  RequestReload();
  EXPECT_TRUE(ReloadRequested());
  EXPECT_TRUE(TakeReloadRequest());
  EXPECT_FALSE(TakeReloadRequest());
  EXPECT_FALSE(ShutdownRequested());
}

TEST(ShutdownTest, WaitEndsEarlyOnShutdown) {
  ResetRequestsForTesting();
  EXPECT_FALSE(WaitForShutdownOr(std::chrono::milliseconds(10)));
  std::thread t([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    RequestShutdown();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForShutdownOr(std::chrono::seconds(30)));
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ResetRequestsForTesting();
}

}  // namespace
}  // namespace zcrmsync::agent
