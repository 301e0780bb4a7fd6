#include "agent/windows/service_command.h"

#include <chrono>
#include <thread>

#include "agent/cli.h"
#include "agent/windows/service_options.h"
#include "agent/windows/win32_util.h"

namespace zcrmsync::agent::windows {
namespace {

constexpr wchar_t kEventLogKey[] = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";
// spdlog's win_eventlog_sink writes event id 1000, whose message in
// mscoree.dll is just "%1": the line itself. Present on every Windows.
constexpr wchar_t kEventMessageFile[] = L"%SystemRoot%\\System32\\mscoree.dll";
constexpr std::chrono::seconds kStopTimeout{30};

std::wstring ExePath() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return {};
    if (n < path.size()) {
      path.resize(n);
      return path;
    }
    path.resize(path.size() * 2);
  }
}

std::wstring DefaultConfigPath() {
  wchar_t buffer[MAX_PATH];
  const DWORD n = GetEnvironmentVariableW(L"ProgramData", buffer, MAX_PATH);
  const std::wstring base = (n > 0 && n < MAX_PATH) ? std::wstring(buffer, n) : L"C:\\ProgramData";
  return base + L"\\zcrmsync\\zcrmsync.json";
}

std::wstring AbsolutePath(const std::wstring& path) {
  const DWORD n = GetFullPathNameW(path.c_str(), 0, nullptr, nullptr);
  if (n == 0) return path;
  std::wstring out(n, L'\0');
  const DWORD m = GetFullPathNameW(path.c_str(), n, out.data(), nullptr);
  if (m == 0 || m >= n) return path;
  out.resize(m);
  return out;
}

// Virtual accounts (NT SERVICE\<name>) and the built-in ones need no password.
std::wstring AccountName(const ServiceCommandOptions& o) {
  if (!o.account) return L"NT SERVICE\\" + Widen(o.name);
  return Widen(*o.account);
}

int Fail(std::ostream& err, const std::string& what, DWORD code) {
  err << "zcrmsync service: " << what << ": " << ErrorText(code) << "\n";
  if (code == ERROR_ACCESS_DENIED) {
    err << "zcrmsync service: run it from an elevated (Administrator) prompt\n";
  }
  return kExitFailure;
}

int Warn(std::ostream& err, const std::string& what, DWORD code) {
  err << "zcrmsync service: warning: " << what << ": " << ErrorText(code) << "\n";
  return kExitOk;
}

bool RegisterEventSource(const std::wstring& name, std::ostream& err) {
  const std::wstring key = std::wstring(kEventLogKey) + name;
  HKEY hkey = nullptr;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key.c_str(), 0, nullptr, 0, KEY_SET_VALUE,
                               nullptr, &hkey, nullptr);
  if (rc != ERROR_SUCCESS) {
    Warn(err, "cannot register the Event Log source", static_cast<DWORD>(rc));
    return false;
  }
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  rc = RegSetValueExW(hkey, L"EventMessageFile", 0, REG_EXPAND_SZ,
                      reinterpret_cast<const BYTE*>(kEventMessageFile), sizeof(kEventMessageFile));
  if (rc == ERROR_SUCCESS) {
    rc = RegSetValueExW(hkey, L"TypesSupported", 0, REG_DWORD,
                        reinterpret_cast<const BYTE*>(&types), sizeof(types));
  }
  RegCloseKey(hkey);
  if (rc != ERROR_SUCCESS) {
    Warn(err, "cannot register the Event Log source", static_cast<DWORD>(rc));
    return false;
  }
  return true;
}

void RemoveEventSource(const std::wstring& name, std::ostream& err) {
  const std::wstring key = std::wstring(kEventLogKey) + name;
  const LSTATUS rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, key.c_str());
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
    Warn(err, "cannot remove the Event Log source", static_cast<DWORD>(rc));
  }
}

// Description, delayed start, recovery and preshutdown time. A failure here
// leaves a working service, so it is reported and install goes on.
int ConfigureService(SC_HANDLE service, const std::wstring& description, std::ostream& err) {
  int rc = kExitOk;
  SERVICE_DESCRIPTIONW desc{};
  std::wstring desc_text = description;
  desc.lpDescription = desc_text.data();
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &desc)) {
    rc = Fail(err, "cannot set the service description", GetLastError());
  }

  // Delayed: at boot the database server next to it gets time to come up.
  SERVICE_DELAYED_AUTO_START_INFO delayed{};
  delayed.fDelayedAutostart = TRUE;
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed)) {
    rc = Fail(err, "cannot set delayed automatic start", GetLastError());
  }

  SC_ACTION actions[] = {
      {SC_ACTION_RESTART, 10'000},
      {SC_ACTION_RESTART, 30'000},
      {SC_ACTION_RESTART, 60'000},
  };
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = 24 * 60 * 60;  // seconds without failure before the count restarts
  failure.cActions = static_cast<DWORD>(std::size(actions));
  failure.lpsaActions = actions;
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failure)) {
    rc = Fail(err, "cannot set the recovery actions", GetLastError());
  }
  // Without this flag only a crash counts; `run` exiting non-zero (lost
  // database, bad config) must restart the service too.
  SERVICE_FAILURE_ACTIONS_FLAG flag{};
  flag.fFailureActionsOnNonCrashFailures = TRUE;
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag)) {
    rc = Fail(err, "cannot make non-zero exits count as failures", GetLastError());
  }

  // At system shutdown, time to finish the batch (the agent needs under 10 s).
  SERVICE_PRESHUTDOWN_INFO preshutdown{};
  preshutdown.dwPreshutdownTimeout = 20'000;
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, &preshutdown)) {
    rc = Fail(err, "cannot set the preshutdown timeout", GetLastError());
  }
  return rc;
}

int Install(const ServiceCommandOptions& o, std::ostream& out, std::ostream& err) {
  const std::wstring exe = ExePath();
  if (exe.empty()) return Fail(err, "cannot find the path of zcrmsync.exe", GetLastError());
  // The service starts in System32, so a relative path would mean another file.
  const std::wstring config = AbsolutePath(o.config ? Widen(*o.config) : DefaultConfigPath());
  const DWORD attrs = GetFileAttributesW(config.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES || (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    err << "zcrmsync service: the config file " << Narrow(config)
        << " does not exist; write it (and check it with `zcrmsync --config FILE check`) "
           "first, or name it with --config FILE\n";
    return kExitFailure;
  }

  const std::wstring name = Widen(o.name);
  const std::wstring display = L"zcrmsync (" + name + L"): ERP <-> Zoho CRM sync";
  const std::wstring description =
      L"Keeps an ERP database and Zoho CRM in two-way sync. Config: " + config;
  const std::wstring command = Widen(ServiceCommandLine(Narrow(exe), o, Narrow(config)));
  const std::wstring account = AccountName(o);

  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE));
  if (!scm) return Fail(err, "cannot open the service control manager", GetLastError());

  const DWORD access = SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG | SERVICE_START;
  ScHandle service(CreateServiceW(scm.get(), name.c_str(), display.c_str(), access,
                                  SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                  SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr, nullptr,
                                  account.c_str(), nullptr));
  bool updated = false;
  if (!service) {
    const DWORD code = GetLastError();
    if (code != ERROR_SERVICE_EXISTS) {
      return Fail(err, "cannot create the service '" + o.name + "'", code);
    }
    // Installing again repairs and updates: same name, new path or options.
    service.reset(OpenServiceW(scm.get(), name.c_str(), access));
    if (!service) return Fail(err, "cannot open the service '" + o.name + "'", GetLastError());
    if (!ChangeServiceConfigW(service.get(), SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                              SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr, nullptr,
                              account.c_str(), nullptr, display.c_str())) {
      return Fail(err, "cannot update the service '" + o.name + "'", GetLastError());
    }
    updated = true;
  }
  int rc = ConfigureService(service.get(), description, err);
  if (!RegisterEventSource(name, err)) rc = kExitFailure;

  out << (updated ? "updated" : "installed") << " the service '" << o.name << "'\n"
      << "  command: " << Narrow(command) << "\n"
      << "  account: " << Narrow(account) << "\n"
      << "  start:   automatic (delayed); restarts on failure\n"
      << "Start it with: sc start " << o.name << "\n";
  return rc;
}

// Asks the service to stop and waits for it, so that DeleteService removes it
// at once instead of marking it for deletion.
int StopAndWait(SC_HANDLE service, const std::string& name, std::ostream& out, std::ostream& err) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  auto query = [&] {
    return QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status),
                                sizeof(status), &needed) != 0;
  };
  if (!query()) return Fail(err, "cannot query the service '" + name + "'", GetLastError());
  if (status.dwCurrentState == SERVICE_STOPPED) return kExitOk;
  if (status.dwCurrentState != SERVICE_STOP_PENDING) {
    SERVICE_STATUS ignored{};
    if (!ControlService(service, SERVICE_CONTROL_STOP, &ignored)) {
      const DWORD code = GetLastError();
      if (code != ERROR_SERVICE_NOT_ACTIVE) {
        return Fail(err, "cannot stop the service '" + name + "'", code);
      }
      return kExitOk;
    }
    out << "stopping the service '" << name << "'...\n";
  }
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!query()) return Fail(err, "cannot query the service '" + name + "'", GetLastError());
    if (status.dwCurrentState == SERVICE_STOPPED) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  err << "zcrmsync service: the service '" << name << "' did not stop within "
      << kStopTimeout.count() << " s; it is deleted once it stops\n";
  return kExitFailure;
}

int Uninstall(const ServiceCommandOptions& o, std::ostream& out, std::ostream& err) {
  const std::wstring name = Widen(o.name);
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm) return Fail(err, "cannot open the service control manager", GetLastError());
  ScHandle service(
      OpenServiceW(scm.get(), name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (!service) {
    const DWORD code = GetLastError();
    if (code == ERROR_SERVICE_DOES_NOT_EXIST) {
      RemoveEventSource(name, err);
      out << "the service '" << o.name << "' is not installed; nothing to do\n";
      return kExitOk;
    }
    return Fail(err, "cannot open the service '" + o.name + "'", code);
  }
  int rc = StopAndWait(service.get(), o.name, out, err);
  if (!DeleteService(service.get())) {
    const DWORD code = GetLastError();
    if (code != ERROR_SERVICE_MARKED_FOR_DELETE) {
      return Fail(err, "cannot delete the service '" + o.name + "'", code);
    }
  }
  RemoveEventSource(name, err);
  out << "uninstalled the service '" << o.name << "'\n";
  return rc;
}

}  // namespace

int RunServiceCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto options = ParseServiceCommand(args);
  if (!options) {
    err << "zcrmsync service: " << options.error().message() << "\n";
    return kExitUsage;
  }
  switch (options->action) {
    case ServiceCommandOptions::Action::kHelp:
      out << ServiceHelp();
      return kExitOk;
    case ServiceCommandOptions::Action::kInstall:
      return Install(*options, out, err);
    case ServiceCommandOptions::Action::kUninstall:
      return Uninstall(*options, out, err);
  }
  return kExitUsage;
}

void PrintWindowsCommandsHelp(std::ostream& out) {
  out << "\nWindows only:\n"
         "  zcrmsync service install|uninstall [--config FILE] [--name NAME]\n"
         "                        register zcrmsync as a Windows service, or remove it\n"
         "                        (see zcrmsync service --help)\n";
}

}  // namespace zcrmsync::agent::windows
