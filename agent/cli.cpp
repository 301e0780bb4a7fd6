#include "agent/cli.h"

#include <chrono>
#include <sstream>

#include <boost/program_options.hpp>

#include "agent/commands.h"
#include "core/env.h"
#include "core/log.h"
#include "core/version.h"
#include "odbc/connection.h"

namespace zcrmsync::agent {
namespace {

namespace po = boost::program_options;

constexpr const char kUsage[] = "usage: zcrmsync [global options] <command> [command options]";

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err);
};

po::options_description GlobalOptions() {
  po::options_description global("Global options");
  global.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "print the version and exit")
      ("config", po::value<std::string>(), "the config file (JSON with comments; see mappings/CONFIG.md)")
      ("log-level", po::value<std::string>()->default_value("info"),
       "trace, debug, info, warn, error or off")
      ("log-format", po::value<std::string>()->default_value("text"),
       "text (key=value) or json (one JSON object per line)");
  return global;
}

}  // namespace

int RunPing(const CommandArgs& args, const Context& /*ctx*/, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync ping: connect to a database over ODBC and run a test query\n\n"
      "usage: zcrmsync ping --connection-string 'DRIVER={...};...;PWD=${ERP_DB_PASSWORD}'\n\n"
      "${NAME} in the connection string is replaced by the environment variable NAME,\n"
      "so the password need not appear on the command line. The password is never\n"
      "printed.\n\nOptions");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("connection-string,c", po::value<std::string>(), "ODBC connection string (DSN-less or DSN=...)")
      ("login-timeout", po::value<int>()->default_value(15), "seconds to wait for the login");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    out << opts << "\n";
    return kExitOk;
  }
  if (!vm.count("connection-string")) {
    err << "zcrmsync ping: --connection-string is required (see zcrmsync ping --help)\n";
    return kExitUsage;
  }
  auto cs = ExpandEnv(vm["connection-string"].as<std::string>());
  if (!cs) {
    err << "zcrmsync ping: connection string: " << cs.error().message() << "\n";
    return kExitFailure;
  }
  const auto start = std::chrono::steady_clock::now();
  auto conn = odbc::Connection::Open(
      {.connection_string = *cs,
       .login_timeout = std::chrono::seconds(vm["login-timeout"].as<int>())});
  if (!conn) {
    err << "zcrmsync ping: " << conn.error() << "\n";
    return kExitFailure;
  }
  if (Status s = conn->Ping(); !s.ok()) {
    err << "zcrmsync ping: " << s << "\n";
    return kExitFailure;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  const odbc::DriverInfo& d = conn->driver();
  out << "ok: " << d.dbms_name << " " << d.dbms_version << " via " << d.driver_name << " "
      << d.driver_version << " (dialect " << odbc::DriverFamilyName(d.family) << ") in " << ms
      << " ms\n";
  return kExitOk;
}

namespace {

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"check", "validate the config against the database and Zoho", RunCheck},
      {"sql", "print the install or uninstall script for review (sql install|uninstall)", RunSql},
      {"install", "install the agent's objects and the capture triggers", RunInstall},
      {"uninstall", "remove the capture triggers and the agent's objects", RunUninstall},
      {"verify", "compare what is installed with what the config implies", RunVerify},
      {"run", "the sync agent: pull, merge, write back, push (run --once: one cycle)", RunSync},
      {"push", "send captured ERP changes to Zoho (the ERP -> CRM half of run)", RunPush},
      {"plan", "a dry run of the next cycle: what each side would get; writes nothing", RunPlan},
      {"status", "per mapping: changes waiting, parked records, initial load, pull watermark", RunStatus},
      {"errors", "the dead letter: errors list | errors retry ID... | errors retry --all", RunErrors},
      {"conflicts", "fields held under the manual rule: conflicts list | resolve ID --take erp|crm", RunConflicts},
      {"ping", "connect to a database over ODBC and run a test query", RunPing},
  };
  return commands;
}

void PrintHelp(std::ostream& out) {
  out << "zcrmsync " << kVersion
      << ": two-way sync between an ERP database (over ODBC) and Zoho CRM\n\n"
      << kUsage << "\n\n"
      << GlobalOptions() << "\nCommands:\n";
  for (const Command& c : Commands()) {
    out << "  " << c.name << std::string(11 - std::string_view(c.name).size(), ' ') << c.summary
        << "\n";
  }
  out << "\nRun 'zcrmsync <command> --help' for a command's options.\n";
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description global = GlobalOptions();
  po::options_description all;
  all.add(global);
  all.add_options()("command", po::value<std::string>())(
      "args", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  po::parsed_options parsed = po::command_line_parser(args)
                                  .options(all)
                                  .positional(positional)
                                  .allow_unregistered()
                                  .run();
  po::variables_map vm;
  po::store(parsed, vm);
  po::notify(vm);

  auto level = log::ParseLevel(vm["log-level"].as<std::string>());
  auto format = log::ParseFormat(vm["log-format"].as<std::string>());
  if (!level || !format) {
    err << "zcrmsync: " << (!level ? level.error() : format.error()).message() << "\n";
    return kExitUsage;
  }
  log::Configure({*level, *format});

  if (vm.count("version")) {
    out << "zcrmsync " << kVersion << "\n";
    return kExitOk;
  }
  if (!vm.count("command")) {
    if (vm.count("help")) {
      PrintHelp(out);
      return kExitOk;
    }
    // Options that no command claims are errors, not silently ignored.
    std::vector<std::string> stray = po::collect_unrecognized(parsed.options, po::exclude_positional);
    if (!stray.empty()) {
      err << "zcrmsync: unknown option '" << stray.front() << "'\n" << kUsage << "\n";
      return kExitUsage;
    }
    PrintHelp(err);
    return kExitUsage;
  }
  const std::string name = vm["command"].as<std::string>();
  std::vector<std::string> rest = po::collect_unrecognized(parsed.options, po::include_positional);
  rest.erase(rest.begin());  // the command itself
  if (vm.count("help")) rest.push_back("--help");
  Context ctx;
  if (vm.count("config")) ctx.config_path = vm["config"].as<std::string>();
  for (const Command& c : Commands()) {
    if (name == c.name) return c.run(rest, ctx, out, err);
  }
  err << "zcrmsync: unknown command '" << name << "'\n" << kUsage
      << "\nRun 'zcrmsync --help' for the list of commands.\n";
  return kExitUsage;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return Run(args, out, err);
  } catch (const po::error& e) {
    err << "zcrmsync: " << e.what() << "\n" << kUsage << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    err << "zcrmsync: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace zcrmsync::agent
