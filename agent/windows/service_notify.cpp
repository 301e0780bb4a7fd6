// agent/service_notify.h on Windows: the SCM has no status line and no
// watchdog, so READY and STOPPING become state changes and the watchdog ping
// shows progress while a state is pending. No-ops outside a service.
#include "agent/service_notify.h"

#include "agent/windows/service_status.h"

namespace zcrmsync::agent {

void NotifyReady() { windows::ReportServiceState(SERVICE_RUNNING); }

void NotifyStatus(std::string_view /*status*/) {
  // The SCM keeps no free-text status; the log (Event Log) has the details.
}

void NotifyWatchdog() { windows::ReportServiceProgress(); }

void NotifyStopping() {
  windows::ReportServiceState(SERVICE_STOP_PENDING, windows::kStopWaitHintMs);
}

}  // namespace zcrmsync::agent
