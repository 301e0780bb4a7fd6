#include "agent/windows/service_options.h"

#include <algorithm>

#include "core/log.h"

namespace zcrmsync::agent::windows {
namespace {

// "--opt=value" or "--opt value"; advances `i` past what it consumed.
// nullopt when args[i] is not `opt`.
std::optional<Result<std::string>> TakeValue(const std::vector<std::string>& args, size_t& i,
                                             std::string_view opt) {
  const std::string& a = args[i];
  if (a.size() > opt.size() && a.starts_with(opt) && a[opt.size()] == '=') {
    return Result<std::string>(a.substr(opt.size() + 1));
  }
  if (a != opt) return std::nullopt;
  if (i + 1 >= args.size()) {
    return Result<std::string>(Error(InvalidArgumentError(std::string(opt) + " needs a value")));
  }
  ++i;
  return Result<std::string>(args[i]);
}

bool IsGlobalValueOption(std::string_view a) {
  for (std::string_view opt : {"--config", "--log-level", "--log-format"}) {
    if (a == opt || (a.starts_with(opt) && a.size() > opt.size() && a[opt.size()] == '=')) {
      return true;
    }
  }
  return false;
}

bool ValidServiceName(std::string_view name) {
  // The SCM forbids '/' and '\'; staying with a plain word also keeps the
  // name usable as an Event Log source and in NT SERVICE\<name>.
  return !name.empty() && name.size() <= 80 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

bool IsServiceCommand(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a == "--log-level" || a == "--log-format") {
      ++i;  // skip its value
      continue;
    }
    if (IsGlobalValueOption(a)) continue;
    return a == "service";
  }
  return false;
}

Result<ServiceCommandOptions> ParseServiceCommand(const std::vector<std::string>& args) {
  ServiceCommandOptions o;
  bool seen_service = false;
  bool seen_action = false;
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::optional<Result<std::string>> v;
    if ((v = TakeValue(args, i, "--config"))) {
      if (!*v) return Error(v->error());
      if ((*v)->empty()) return Error(InvalidArgumentError("--config needs a file name"));
      o.config = **v;
    } else if ((v = TakeValue(args, i, "--log-level"))) {
      if (!*v) return Error(v->error());
      if (auto level = log::ParseLevel(**v); !level) return Error(level.error());
      o.log_level = **v;
    } else if ((v = TakeValue(args, i, "--log-format"))) {
      if (!*v) return Error(v->error());
      if (auto format = log::ParseFormat(**v); !format) return Error(format.error());
      o.log_format = **v;
    } else if (a == "-h" || a == "--help") {
      help = true;
    } else if (!seen_service) {
      if (a != "service") {
        return Error(InvalidArgumentError("expected the 'service' command, got '" + a + "'"));
      }
      seen_service = true;
    } else if (!seen_action && !a.starts_with("-")) {
      if (a == "install") {
        o.action = ServiceCommandOptions::Action::kInstall;
      } else if (a == "uninstall") {
        o.action = ServiceCommandOptions::Action::kUninstall;
      } else {
        return Error(InvalidArgumentError("unknown service action '" + a +
                                          "'; allowed: install, uninstall"));
      }
      seen_action = true;
    } else if (seen_action && (v = TakeValue(args, i, "--name"))) {
      if (!*v) return Error(v->error());
      if (!ValidServiceName(**v)) {
        return Error(InvalidArgumentError("invalid service name '" + **v +
                                          "': use 1 to 80 letters, digits, '_', '-' or '.'"));
      }
      o.name = **v;
    } else if (seen_action && o.action == ServiceCommandOptions::Action::kInstall &&
               (v = TakeValue(args, i, "--account"))) {
      if (!*v) return Error(v->error());
      if ((*v)->empty()) return Error(InvalidArgumentError("--account needs an account name"));
      o.account = **v;
    } else {
      std::string where = "zcrmsync service";
      if (seen_action) {
        where += o.action == ServiceCommandOptions::Action::kInstall ? " install" : " uninstall";
      }
      return Error(InvalidArgumentError("unknown argument '" + a + "' for " + where +
                                        " (see zcrmsync service --help)"));
    }
  }
  if (!seen_service) return Error(InvalidArgumentError("expected the 'service' command"));
  if (help) o.action = ServiceCommandOptions::Action::kHelp;
  if (!help && !seen_action) {
    return Error(InvalidArgumentError("zcrmsync service needs an action: install or uninstall"));
  }
  return o;
}

std::string QuoteWindowsArg(std::string_view arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string_view::npos) {
    return std::string(arg);
  }
  std::string out = "\"";
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      out.append(backslashes * 2 + 1, '\\');  // each doubled, then one escapes the quote
    } else {
      out.append(backslashes, '\\');  // backslashes not before a quote are literal
    }
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, '\\');  // doubled before the closing quote
  out += '"';
  return out;
}

std::string ServiceCommandLine(std::string_view exe, const ServiceCommandOptions& options,
                               std::string_view config_path) {
  // argv[0] follows simpler rules (no escapes): always quoted, since
  // "Program Files" has a space and an unquoted path with spaces is a
  // known privilege-escalation hole.
  std::string line = "\"" + std::string(exe) + "\"";
  line += " --windows-service " + QuoteWindowsArg(options.name);
  line += " --config " + QuoteWindowsArg(config_path);
  if (options.log_level) line += " --log-level " + QuoteWindowsArg(*options.log_level);
  if (options.log_format) line += " --log-format " + QuoteWindowsArg(*options.log_format);
  line += " run";
  return line;
}

std::string ServiceHelp() {
  return R"(zcrmsync service install|uninstall [options]      (Windows only)

Registers zcrmsync with the Windows service control manager, or removes it.
The service runs `zcrmsync --config FILE run` and logs to the Windows Event
Log (Application log, source = the service name). Run from an elevated
(Administrator) prompt.

  install     create the service, or update it when it exists: automatic
              (delayed) start, restart on failure (after 10 s, 30 s, 60 s;
              the count resets after a day, and a non-zero exit code counts
              as a failure), its description and Event Log source. It is not
              started: run `sc start NAME` (or Start-Service NAME) after
              `zcrmsync --config FILE check` passes.
  uninstall   stop the service if it runs (waiting up to 30 s), then delete
              it and its Event Log source.

Options:
  --config FILE       the config the service runs with (install; default
                      %ProgramData%\zcrmsync\zcrmsync.json; made absolute)
  --name NAME         the service name (default zcrmsync); one service per
                      config when several databases are synced
  --account ACCOUNT   install: the account it runs as. Default: the virtual
                      account NT SERVICE\NAME (grant it the SQL Server login
                      for Windows authentication). Also: LocalSystem,
                      "NT AUTHORITY\LocalService", "NT AUTHORITY\NetworkService"
  --log-level LEVEL   install: passed on to the service's command line
  --log-format FORMAT install: passed on to the service's command line
  -h, --help          this help

Secrets: ${NAME} references in the config are read from the service's
environment: the REG_MULTI_SZ value Environment under
HKLM\SYSTEM\CurrentControlSet\Services\NAME (readable by local users; prefer
Windows authentication where the database allows it).

Exit codes: 0 done, 1 failed (the reason is printed), 2 bad usage.
)";
}

}  // namespace zcrmsync::agent::windows
