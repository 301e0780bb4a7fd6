// zcrmsync as a Windows service. The SCM starts the ImagePath written by
// `zcrmsync service install`:
//   "C:\Program Files\zcrmsync\zcrmsync.exe" --windows-service zcrmsync --config
//   "C:\...\zcrmsync.json" run
// main() sees the marker, strips it with the name, and runs the service
// dispatcher; ServiceMain then runs the same CLI command a console user runs
// (`run`), logging to the Event Log, and reports its exit code to the SCM.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zcrmsync::agent::windows {

// First argument of a service's command line, followed by the service name.
inline constexpr std::string_view kServiceMarker = "--windows-service";

enum class DispatchResult {
  kRan,          // the service ran and stopped; `exit_code` is set
  kNotAService,  // not started by the SCM (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
  kFailed,       // the dispatcher failed otherwise; `error` says why
};

// Blocks until the service `name` stopped. `args` are the CLI arguments
// (without the marker and the name), passed to agent::RunCli.
DispatchResult RunServiceDispatcher(const std::string& name, const std::vector<std::string>& args,
                                    int& exit_code, std::string& error);

}  // namespace zcrmsync::agent::windows
