// Shutdown requests: set from a signal handler (SIGTERM, SIGINT) or the
// Windows service control handler; long waits end early when one arrives.
#pragma once

#include <chrono>

namespace zcrmsync::agent {

// Async-signal-safe.
void RequestShutdown();
bool ShutdownRequested();

// Sleeps for `duration` or until a shutdown is requested; returns true if it was.
bool WaitForShutdownOr(std::chrono::milliseconds duration);

}  // namespace zcrmsync::agent
