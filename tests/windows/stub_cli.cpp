// NOT the product: a stand-in for agent::RunCli (agent/cli.cpp), which needs
// Boost.Program_options, libcurl and the sync engine, none of which Debian
// builds for mingw-w64. It lets the cross build link agent/windows/ into
// zcrmsync-service-check.exe. Its `run` acts like the real one towards the
// service manager (fails with 1 when --config names no readable file; else
// ready, watchdog pings, stopping on a shutdown request), so the service shim
// can be exercised (tests/windows/cross_compile.sh runs it under Wine); every
// other command fails with exit code 2.
#include <chrono>
#include <fstream>
#include <string_view>

#include "agent/cli.h"
#include "agent/service_notify.h"
#include "agent/shutdown.h"
#include "core/log.h"

namespace zcrmsync::agent {

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string_view command;
  std::string config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--config" || a == "--log-level" || a == "--log-format") {
      if (a == "--config" && i + 1 < args.size()) config = args[i + 1];
      ++i;
      continue;
    }
    command = a;
    break;
  }
  if (command == "--version" || command == "-V") {
    out << "zcrmsync-service-check: the agent/windows link check with a stub CLI, not zcrmsync\n";
    return kExitOk;
  }
  if (command == "run") {
    const log::Logger logger("stub-run");
    // Like the real `run`, fail before ready when the config is unreadable.
    if (!config.empty() && !std::ifstream(config)) {
      err << "zcrmsync: cannot read the config file " << config << "\n";
      return kExitFailure;
    }
    NotifyReady();
    logger.Info("stub run: waiting for a stop request (this is not the sync agent)");
    while (!WaitForShutdownOr(std::chrono::seconds(1))) NotifyWatchdog();
    NotifyStopping();
    logger.Info("stub run: stopping");
    return kExitOk;
  }
  err << "zcrmsync-service-check: the agent/windows link check has a stub CLI; command '" << command
      << "' is not built here (only run, --version)\n";
  return kExitUsage;
}

}  // namespace zcrmsync::agent
