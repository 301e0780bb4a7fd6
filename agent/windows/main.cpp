// zcrmsync's entry point on Windows. Started by the service control manager
// (the ImagePath begins with --windows-service NAME), it runs the service
// dispatcher; otherwise it is the console program, where Ctrl+C, Ctrl+Break
// and closing the window ask a running `run` to finish its batch and stop,
// and a second Ctrl+C exits at once (safe: every batch commits atomically).
// `service install|uninstall` is handled here, before the portable CLI.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli.h"
#include "agent/shutdown.h"
#include "agent/windows/service.h"
#include "agent/windows/service_command.h"
#include "agent/windows/service_options.h"
#include "agent/windows/win32_util.h"

// clang-format off
#include <shellapi.h>  // CommandLineToArgvW; needs windows.h (win32_util.h) first
// clang-format on

namespace {

namespace win = zcrmsync::agent::windows;

// Runs on a thread the console creates for it.
BOOL WINAPI OnConsoleControl(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      if (zcrmsync::agent::ShutdownRequested()) std::_Exit(130);
      zcrmsync::agent::RequestShutdown();
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      // Returning ends the process at once, so wait here while main finishes
      // the batch and exits; Windows ends the process after a few seconds.
      zcrmsync::agent::RequestShutdown();
      Sleep(10'000);
      return TRUE;
    default:
      return FALSE;
  }
}

std::vector<std::string> Utf8Arguments() {
  std::vector<std::string> args;
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  if (argv == nullptr) return args;
  for (int i = 1; i < argc; ++i) args.push_back(win::Narrow(argv[i]));
  LocalFree(argv);
  return args;
}

bool IsTopLevelHelp(const std::vector<std::string>& args) {
  return args.empty() || (args.size() == 1 && (args[0] == "-h" || args[0] == "--help"));
}

}  // namespace

int main() {
  std::vector<std::string> args = Utf8Arguments();

  if (args.size() >= 2 && args[0] == win::kServiceMarker) {
    const std::string name = args[1];
    args.erase(args.begin(), args.begin() + 2);
    int exit_code = zcrmsync::agent::kExitFailure;
    std::string error;
    switch (win::RunServiceDispatcher(name, args, exit_code, error)) {
      case win::DispatchResult::kRan:
        return exit_code;
      case win::DispatchResult::kFailed:
        std::cerr << "zcrmsync: " << error << "\n";
        return zcrmsync::agent::kExitFailure;
      case win::DispatchResult::kNotAService:
        std::cerr << "zcrmsync: not started by the service control manager; "
                     "running in this console instead\n";
        break;
    }
  }

  // The CLI writes UTF-8; without this the console shows it as ANSI.
  SetConsoleOutputCP(CP_UTF8);
  SetConsoleCtrlHandler(OnConsoleControl, TRUE);

  if (win::IsServiceCommand(args)) return win::RunServiceCommand(args, std::cout, std::cerr);
  const int rc = zcrmsync::agent::RunCli(args, std::cout, std::cerr);
  if (IsTopLevelHelp(args) && rc == zcrmsync::agent::kExitOk) {
    win::PrintWindowsCommandsHelp(std::cout);
  }
  return rc;
}
