// The portable half of `zcrmsync service install|uninstall`: parsing its
// arguments and composing the service's command line (ImagePath). No Win32
// here, so it is unit-tested on Linux too; service_command.cpp does the rest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace zcrmsync::agent::windows {

inline constexpr std::string_view kDefaultServiceName = "zcrmsync";

struct ServiceCommandOptions {
  enum class Action { kHelp, kInstall, kUninstall };
  Action action = Action::kHelp;
  std::string name{kDefaultServiceName};
  std::optional<std::string> config;   // unset: %ProgramData%\zcrmsync\zcrmsync.json
  std::optional<std::string> account;  // unset: the virtual account NT SERVICE\<name>
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
};

// True when the first word after zcrmsync's global options (--config FILE,
// --log-level L, --log-format F) is "service".
bool IsServiceCommand(const std::vector<std::string>& args);

// `args` is the whole command line without the program name, e.g.
// {"--config", "C:\\zcrmsync.json", "service", "install", "--name", "erp2"}.
// The global options may also follow the action. kInvalidArgument names the
// bad or unknown option.
Result<ServiceCommandOptions> ParseServiceCommand(const std::vector<std::string>& args);

// One argument quoted so that CommandLineToArgvW (and the C runtime) give it
// back unchanged: as is when it needs no quotes, else in quotes with
// backslashes doubled before a quote or the closing quote.
std::string QuoteWindowsArg(std::string_view arg);

// The ImagePath the SCM starts:
//   "<exe>" --windows-service <name> --config "<config>" [--log-level L] [--log-format F] run
std::string ServiceCommandLine(std::string_view exe, const ServiceCommandOptions& options,
                               std::string_view config_path);

// `zcrmsync service --help`.
std::string ServiceHelp();

}  // namespace zcrmsync::agent::windows
