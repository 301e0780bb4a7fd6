// The agent's line to the Windows service control manager (SCM). ServiceMain
// attaches the status handle; the control handler and NotifyReady()/
// NotifyStopping() (agent/service_notify.h) report through it. Before Attach()
// (console mode) every call is a no-op. Thread-safe.
#pragma once

#include "agent/windows/win32_util.h"

namespace zcrmsync::agent::windows {

// How long the SCM should wait between reports of a pending state before it
// decides the service hangs. The agent finishes its batch and stops within
// 10 s (issue #6), so stopping gets a margin over that.
inline constexpr DWORD kStartWaitHintMs = 30'000;
inline constexpr DWORD kStopWaitHintMs = 15'000;

void AttachServiceStatus(SERVICE_STATUS_HANDLE handle);
bool ServiceStatusAttached();

// SERVICE_START_PENDING, SERVICE_RUNNING, SERVICE_STOP_PENDING or
// SERVICE_STOPPED. Pending states carry `wait_hint_ms` and a checkpoint that
// grows with every report; SERVICE_STOPPED carries `exit_code` (0, or the
// command's exit code as a service-specific error, so that the recovery
// actions restart the service). Once STOP_PENDING or STOPPED was reported, a
// later SERVICE_RUNNING is ignored: a stop is never undone.
void ReportServiceState(DWORD state, DWORD wait_hint_ms = 0, int exit_code = 0);

// Bumps the checkpoint while a state is pending (shows progress to the SCM);
// a no-op otherwise.
void ReportServiceProgress();

}  // namespace zcrmsync::agent::windows
