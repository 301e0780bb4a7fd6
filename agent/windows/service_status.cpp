#include "agent/windows/service_status.h"

#include <mutex>

namespace zcrmsync::agent::windows {
namespace {

struct StatusState {
  std::mutex mu;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
};

StatusState& State() {
  static StatusState* s = new StatusState();  // never destroyed: used until exit
  return *s;
}

bool IsPending(DWORD state) {
  return state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING ||
         state == SERVICE_CONTINUE_PENDING || state == SERVICE_PAUSE_PENDING;
}

}  // namespace

void AttachServiceStatus(SERVICE_STATUS_HANDLE handle) {
  StatusState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.handle = handle;
  s.status = {};
  s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.status.dwCurrentState = SERVICE_START_PENDING;
}

bool ServiceStatusAttached() {
  StatusState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.handle != nullptr;
}

void ReportServiceState(DWORD state, DWORD wait_hint_ms, int exit_code) {
  StatusState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.handle == nullptr) return;
  const DWORD current = s.status.dwCurrentState;
  if (state == SERVICE_RUNNING && (current == SERVICE_STOP_PENDING || current == SERVICE_STOPPED)) {
    return;
  }
  if (current == SERVICE_STOPPED) return;  // the SCM may already have ended us

  SERVICE_STATUS& st = s.status;
  st.dwCurrentState = state;
  // Stop is accepted while starting too: `run` may wait long for an
  // unreachable database before it is ready, and `sc stop` must still work.
  // Once stopping, the SCM answers further controls itself.
  st.dwControlsAccepted =
      (state == SERVICE_RUNNING || state == SERVICE_START_PENDING)
          ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN
          : 0;
  st.dwWaitHint = IsPending(state) ? wait_hint_ms : 0;
  st.dwCheckPoint = IsPending(state) ? st.dwCheckPoint + 1 : 0;
  if (state == SERVICE_STOPPED && exit_code != 0) {
    st.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    st.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  } else {
    st.dwWin32ExitCode = NO_ERROR;
    st.dwServiceSpecificExitCode = 0;
  }
  SetServiceStatus(s.handle, &st);
}

void ReportServiceProgress() {
  StatusState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.handle == nullptr || !IsPending(s.status.dwCurrentState)) return;
  ++s.status.dwCheckPoint;
  SetServiceStatus(s.handle, &s.status);
}

}  // namespace zcrmsync::agent::windows
