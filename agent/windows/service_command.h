// `zcrmsync service install|uninstall`: registers zcrmsync with the Windows
// service control manager, or removes it (see ServiceHelp() for what install
// sets up). Windows only: agent/windows/main.cpp dispatches the command before
// agent::RunCli, which does not know it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace zcrmsync::agent::windows {

// `args`: the whole command line without the program name. Exit codes as
// RunCli's: 0 done, 1 failed (a line on `err` says why), 2 bad usage.
int RunServiceCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The Windows-only commands, appended to `zcrmsync --help`.
void PrintWindowsCommandsHelp(std::ostream& out);

}  // namespace zcrmsync::agent::windows
