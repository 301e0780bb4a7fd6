// The zcrmsync command line: global options, then a command with its own
// options. Every command answers --help. Results go to `out`, errors to `err`,
// logs to stderr through core/log. Exit codes: 0 success, 1 the command
// failed, 2 bad usage (unknown command or option, missing value).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace zcrmsync::agent {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// `args` excludes the program name. Never throws.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace zcrmsync::agent
