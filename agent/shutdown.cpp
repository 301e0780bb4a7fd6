#include "agent/shutdown.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace zcrmsync::agent {
namespace {
// Lock-free flags are all a signal handler may touch.
std::atomic<bool> g_shutdown{false};
std::atomic<bool> g_reload{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void RequestShutdown() { g_shutdown.store(true, std::memory_order_relaxed); }

bool ShutdownRequested() { return g_shutdown.load(std::memory_order_relaxed); }

void RequestReload() { g_reload.store(true, std::memory_order_relaxed); }

bool TakeReloadRequest() { return g_reload.exchange(false, std::memory_order_relaxed); }

bool ReloadRequested() { return g_reload.load(std::memory_order_relaxed); }

bool WaitForShutdownOr(std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (!ShutdownRequested()) {
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
  return true;
}

void ResetRequestsForTesting() {
  g_shutdown.store(false, std::memory_order_relaxed);
  g_reload.store(false, std::memory_order_relaxed);
}

}  // namespace zcrmsync::agent
