// Shutdown and reload requests: set from a signal handler (SIGTERM, SIGINT,
// SIGHUP) or the Windows service control handler; long waits end early when
// one arrives. Everything here is async-signal-safe (lock-free atomics only).
#pragma once

#include <chrono>

namespace zcrmsync::agent {

// Asks the agent to stop after the batch in flight. Async-signal-safe.
void RequestShutdown();
bool ShutdownRequested();

// Asks the agent to re-read its config between cycles. Async-signal-safe.
void RequestReload();
// True once per request: clears it.
bool TakeReloadRequest();
bool ReloadRequested();

// Sleeps for `duration` or until a shutdown is requested; returns true if it was.
bool WaitForShutdownOr(std::chrono::milliseconds duration);

// For tests: clears both requests.
void ResetRequestsForTesting();

}  // namespace zcrmsync::agent
