#include "agent/windows/service.h"

#include <sstream>

#include "agent/cli.h"
#include "agent/shutdown.h"
#include "agent/windows/service_status.h"
#include "agent/windows/win32_util.h"
#include "core/log.h"

namespace zcrmsync::agent::windows {
namespace {

// ServiceMain has a fixed signature, so what it needs is set before the
// dispatcher starts and read only on its thread.
struct ServiceRun {
  std::wstring name;
  std::vector<std::string> args;
  int exit_code = kExitFailure;
};
ServiceRun* g_run = nullptr;

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("service");
  return *logger;
}

std::string_view ControlName(DWORD control) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
      return "stop";
    case SERVICE_CONTROL_SHUTDOWN:
      return "shutdown";
    case SERVICE_CONTROL_PRESHUTDOWN:
      return "preshutdown";
    default:
      return "other";
  }
}

// Runs on the dispatcher thread (main's). It only reports STOP_PENDING and
// asks `run` to finish its batch; `run` returning ends ServiceMain.
DWORD WINAPI ControlHandler(DWORD control, DWORD /*event_type*/, void* /*event_data*/,
                            void* /*context*/) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
      Log().Info("stop requested; finishing the current batch",
                 {{"control", ControlName(control)}});
      ReportServiceState(SERVICE_STOP_PENDING, kStopWaitHintMs);
      RequestShutdown();
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

// What `run` wrote for a console has no reader in a service: keep it in the log.
void LogCapturedOutput(const std::string& text, log::Level level) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) log::Write(level, "service", line);
  }
}

void WINAPI ServiceMain(DWORD /*argc*/, wchar_t** /*argv*/) {
  ServiceRun& run = *g_run;
  SERVICE_STATUS_HANDLE handle =
      RegisterServiceCtrlHandlerExW(run.name.c_str(), ControlHandler, nullptr);
  if (handle == nullptr) {
    Log().Error("cannot register the service control handler",
                {{"error", ErrorText(GetLastError())}});
    return;  // without a handle the SCM cannot be told anything; it times out
  }
  AttachServiceStatus(handle);
  ReportServiceState(SERVICE_START_PENDING, kStartWaitHintMs);

  if (Status st = log::AddEventLogSink(Narrow(run.name)); !st.ok()) {
    Log().Warn("logging to stderr only", {{"reason", st.message()}});
  }
  Log().Info("service starting", {{"service", Narrow(run.name)}});

  std::ostringstream out;
  std::ostringstream err;
  run.exit_code = RunCli(run.args, out, err);
  LogCapturedOutput(out.str(), log::Level::kInfo);
  LogCapturedOutput(err.str(), log::Level::kError);

  Log().Info("service stopped", {{"exit_code", run.exit_code}});
  ReportServiceState(SERVICE_STOPPED, 0, run.exit_code);
}

}  // namespace

DispatchResult RunServiceDispatcher(const std::string& name, const std::vector<std::string>& args,
                                    int& exit_code, std::string& error) {
  static ServiceRun run;
  run.name = Widen(name);
  run.args = args;
  g_run = &run;

  SERVICE_TABLE_ENTRYW table[] = {
      {run.name.data(), ServiceMain},
      {nullptr, nullptr},
  };
  if (!StartServiceCtrlDispatcherW(table)) {
    const DWORD code = GetLastError();
    if (code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) return DispatchResult::kNotAService;
    error = "cannot start the service dispatcher for '" + name + "': " + ErrorText(code);
    return DispatchResult::kFailed;
  }
  exit_code = run.exit_code;
  return DispatchResult::kRan;
}

}  // namespace zcrmsync::agent::windows
