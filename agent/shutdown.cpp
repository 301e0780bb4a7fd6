#include "agent/shutdown.h"

#include <atomic>
#include <thread>

namespace zcrmsync::agent {
namespace {
// A lock-free flag is all a signal handler may touch.
std::atomic<bool> g_shutdown{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void RequestShutdown() { g_shutdown.store(true, std::memory_order_relaxed); }

bool ShutdownRequested() { return g_shutdown.load(std::memory_order_relaxed); }

bool WaitForShutdownOr(std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (!ShutdownRequested()) {
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(100)));
  }
  return true;
}

}  // namespace zcrmsync::agent
