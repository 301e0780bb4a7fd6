// Service manager notifications: tells systemd (Linux, sd_notify protocol) or the
// Windows service control manager what the agent is doing, so `systemctl start`
// waits for real readiness, `systemctl status` shows a live status line, and a
// hung agent is killed by the watchdog. Linux: agent/posix/service_notify.cpp;
// Windows: agent/windows/.
#pragma once

#include <string_view>

namespace zcrmsync::agent {

// Tells the service manager (systemd; the Windows SCM) about the agent's state. Each is a
// no-op when no service manager is listening; failures are logged once, never fatal.
// Thread-safe.
void NotifyReady();                          // startup finished, the first cycle may begin
void NotifyStatus(std::string_view status);  // one line for `systemctl status`
void NotifyWatchdog();                       // "still alive"; call at least every WatchdogSec/2
void NotifyStopping();                       // graceful shutdown has begun

}  // namespace zcrmsync::agent
