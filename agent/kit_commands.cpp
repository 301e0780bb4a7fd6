// check, sql, install, uninstall, verify: the DBA's commands on the SQL kit.
#include <map>

#include <boost/program_options.hpp>

#include "agent/cli.h"
#include "agent/command_support.h"
#include "agent/commands.h"
#include "agent/first_sync.h"
#include "agent/type_compat.h"
#include "agent/zoho_session.h"
#include "change_capture/catalog.h"
#include "change_capture/kit_manager.h"
#include "core/log.h"
#include "crm/curl_transport.h"
#include "crm/zoho_auth.h"
#include "crm/zoho_client.h"
#include "mappings/config_loader.h"
#include "odbc/connection.h"

namespace zcrmsync::agent {
namespace {

namespace po = boost::program_options;

struct Database {
  odbc::Connection connection;
  change_capture::KitOptions options;
  std::vector<change_capture::CaptureTable> tables;
};

std::optional<Database> OpenDatabase(const mappings::Config& config, const char* command,
                                     std::ostream& err) {
  auto options = change_capture::KitOptionsFor(config);
  if (!options) {
    err << "zcrmsync " << command << ": " << options.error().message() << "\n";
    return std::nullopt;
  }
  auto conn = odbc::Connection::Open({.connection_string = config.database.connection_string});
  if (!conn) {
    err << "zcrmsync " << command << ": database: " << conn.error() << "\n";
    return std::nullopt;
  }
  return Database{std::move(*conn), *options, change_capture::CaptureTablesFor(config)};
}

// The columns of each mapped table, by mapping name (empty when unreadable).
using TableColumns = std::map<std::string, std::vector<change_capture::TableColumn>>;

// Zoho side of `check`: every module, mapped field and external id field
// exists, and each mapped column's type fits its field. When all agrees, the
// warnings of a first sync that would duplicate records (FirstSyncWarnings).
void CheckZoho(const mappings::Config& config, const TableColumns& columns, Database& db,
               std::vector<std::string>& problems, std::vector<std::string>& warnings) {
  auto session = MakeZohoSession(config, /*max_attempts=*/2);
  if (!session) {
    problems.push_back("zoho: " + session.error().message());
    return;
  }
  crm::ZohoClient& client = *session->client;
  if (auto token = session->auth->GetToken(); !token) {
    problems.push_back("zoho: " + token.error().message());
    return;
  }
  for (const mappings::Mapping& m : config.mappings) {
    const std::string where = "mapping " + m.name + ": Zoho module " + m.module;
    auto fields = client.Fields(m.module);
    if (!fields) {
      problems.push_back(where + ": " + fields.error().message());
      continue;
    }
    auto find = [&](const std::string& api_name) -> const crm::FieldInfo* {
      for (const auto& f : *fields) {
        if (f.api_name == api_name) return &f;
      }
      return nullptr;
    };
    const auto table = columns.find(m.name);
    for (const mappings::FieldMapping& f : m.fields) {
      const crm::FieldInfo* info = find(f.field);
      if (info == nullptr) {
        problems.push_back(where + " has no field " + f.field + " (mapped from column \"" +
                           f.column + "\")");
        continue;
      }
      const mappings::Direction dir = mappings::EffectiveDirection(m, f);
      if (info->read_only && mappings::FlowsErpToCrm(dir)) {
        problems.push_back(where + ": field " + f.field + " is read-only in Zoho, so column \"" +
                           f.column + "\" cannot flow erp_to_crm");
      }
      if (table == columns.end() || !f.values.empty()) continue;  // picklist maps convert values
      for (const auto& c : table->second) {
        if (c.name != f.column) continue;
        if (auto p = TypeProblem(c.type, info->data_type, info->length,
                                 mappings::FlowsErpToCrm(dir), mappings::FlowsCrmToErp(dir))) {
          problems.push_back("mapping " + m.name + ": column \"" + f.column + "\" -> " + f.field +
                             ": " + *p);
        }
      }
    }
    const crm::FieldInfo* ext = find(m.external_id_field);
    if (ext == nullptr) {
      problems.push_back(where + " has no field " + m.external_id_field +
                         " (external_id_field)");
    } else if (!ext->unique) {
      problems.push_back(where + ": external_id_field " + m.external_id_field +
                         " is not unique in Zoho, so upserts could create duplicates");
    }
  }
  if (!problems.empty()) return;
  auto first = FirstSyncWarnings(db.connection, db.options, config, client);
  if (!first) {
    problems.push_back("first sync: " + first.error().message());
  } else {
    warnings = std::move(*first);
  }
}

int PrintProblems(const std::vector<std::string>& problems, const char* ok_message,
                  std::ostream& out, std::ostream& err) {
  for (const auto& p : problems) err << p << "\n";
  if (problems.empty()) {
    out << ok_message << "\n";
    return kExitOk;
  }
  return kExitFailure;
}

}  // namespace

int RunCheck(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE check: validate the config, then check that every mapped table,\n"
      "key and column exists in the database and every mapped field exists in Zoho.\n"
      "Prints one line per problem; exit 0 when all is well, else 1.\n\nOptions");
  opts.add_options()("skip-zoho", "do not contact Zoho (database checks only)");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  int code = kExitOk;
  auto config = LoadConfig(ctx, "check", err, code);
  if (!config) return code;
  std::vector<std::string> problems;
  auto db = OpenDatabase(*config, "check", err);
  if (!db) return kExitFailure;
  auto tables = change_capture::CheckTables(db->connection, db->options, db->tables);
  if (!tables) {
    problems.push_back("database: " + tables.error().message());
  } else {
    problems.insert(problems.end(), tables->begin(), tables->end());
  }
  TableColumns columns;
  for (const auto& t : db->tables) {
    auto c = change_capture::DescribeTable(db->connection, db->options.dialect, t.schema, t.table);
    if (c) columns[t.mapping] = std::move(*c);
  }
  std::vector<std::string> warnings;
  if (!vm.count("skip-zoho")) CheckZoho(*config, columns, *db, problems, warnings);
  for (const auto& w : warnings) err << "warning: " << w << "\n";
  return PrintProblems(problems, "ok: the config, the database and Zoho agree", out, err);
}

int RunSql(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE sql install|uninstall: print the full install or removal script\n"
      "for the configured dialect, for a DBA to review (and run). Nothing is executed.\n\nOptions");
  opts.add_options()("action", po::value<std::string>(), "install or uninstall");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, &positional, vm, out)) return *code;
  const std::string action = vm.count("action") ? vm["action"].as<std::string>() : "";
  if (action != "install" && action != "uninstall") {
    err << "zcrmsync sql: say 'install' or 'uninstall' (zcrmsync --config FILE sql install)\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto config = LoadConfig(ctx, "sql", err, code);
  if (!config) return code;
  auto options = change_capture::KitOptionsFor(*config);
  if (!options) {
    err << "zcrmsync sql: " << options.error().message() << "\n";
    return kExitFailure;
  }
  auto tables = change_capture::CaptureTablesFor(*config);
  // The install script depends on the columns' catalogue types (a column
  // compared exactly, SQL Server's key text), so it is rendered from the
  // database as `install` renders it. Without the database, the plain forms
  // are shown, with a warning.
  std::string unread;
  if (action == "install") {
    auto conn = odbc::Connection::Open({.connection_string = config->database.connection_string});
    Status described = conn ? Status() : conn.error();
    for (auto& t : tables) {
      if (!described.ok()) break;
      described = change_capture::DescribeCaptureColumns(*conn, options->dialect, t);
    }
    if (!described.ok()) unread = described.message();
  }
  auto script = action == "install" ? change_capture::RenderInstall(*options, tables)
                                    : change_capture::RenderUninstall(*options, tables);
  if (!script) {
    err << "zcrmsync sql: " << script.error().message() << "\n";
    return kExitFailure;
  }
  if (!unread.empty()) {
    const std::string warning =
        "the database could not be read, so this script does not know the columns' types: "
        "case-insensitive columns (PostgreSQL citext or a nondeterministic collation, SQL "
        "Server character columns) are compared loosely and SQL Server date, money and float "
        "keys lose precision; `zcrmsync install` renders it from the database";
    err << "zcrmsync sql: warning: " << warning << " (" << unread << ")\n";
    out << "-- WARNING: " << warning << ".\n";
  }
  out << script->ToText();
  return kExitOk;
}

namespace {

int RunApply(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err,
             bool install) {
  const char* name = install ? "install" : "uninstall";
  po::options_description opts(
      install ? "zcrmsync --config FILE install: create the agent's objects and the capture\n"
                "triggers (the script 'sql install' prints), in one transaction where the\n"
                "dialect allows. Refused when a mapped table or column is missing.\n\nOptions"
              : "zcrmsync --config FILE uninstall: remove the capture triggers and the agent's\n"
                "objects (the script 'sql uninstall' prints).\n\nOptions");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  int code = kExitOk;
  auto config = LoadConfig(ctx, name, err, code);
  if (!config) return code;
  auto db = OpenDatabase(*config, name, err);
  if (!db) return kExitFailure;
  Status s = install ? change_capture::Install(db->connection, db->options, db->tables)
                     : change_capture::Uninstall(db->connection, db->options, db->tables);
  if (!s.ok()) {
    err << "zcrmsync " << name << ": " << s.message() << "\n";
    return kExitFailure;
  }
  out << "ok: " << (install ? "installed" : "uninstalled") << " the SQL kit for "
      << db->tables.size() << " mapping(s) ("
      << change_capture::DialectName(db->options.dialect) << ")\n";
  return kExitOk;
}

}  // namespace

int RunInstall(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  return RunApply(args, ctx, out, err, /*install=*/true);
}

int RunUninstall(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  return RunApply(args, ctx, out, err, /*install=*/false);
}

int RunVerify(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE verify: compare what is installed with what the config implies:\n"
      "missing agent tables, missing or edited triggers, dropped or retyped mapped columns.\n"
      "Exit 0 when they match; else 1, with one line per difference.\n\nOptions");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  int code = kExitOk;
  auto config = LoadConfig(ctx, "verify", err, code);
  if (!config) return code;
  auto db = OpenDatabase(*config, "verify", err);
  if (!db) return kExitFailure;
  auto problems = change_capture::Verify(db->connection, db->options, db->tables);
  if (!problems) {
    err << "zcrmsync verify: " << problems.error().message() << "\n";
    return kExitFailure;
  }
  return PrintProblems(*problems, "ok: the installed SQL kit matches the config", out, err);
}

}  // namespace zcrmsync::agent
