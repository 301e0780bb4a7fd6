// push: the ERP -> CRM half of the sync engine, until `run` exists (#5).
#include <map>

#include <boost/program_options.hpp>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/zoho_session.h"
#include "change_capture/kit_manager.h"
#include "mappings/config_loader.h"
#include "odbc/connection.h"
#include "sync/push.h"

namespace zcrmsync::agent {

int RunPush(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  namespace po = boost::program_options;
  po::options_description opts(
      "zcrmsync --config FILE push: send every captured ERP change to Zoho CRM, then stop.\n"
      "Creates are upserts on each mapping's external_id_field, updates carry only the\n"
      "changed fields, deletes follow the mapping's deletes policy; a record with bad data\n"
      "is parked in the dead letter and the rest go on. This is the ERP -> CRM half of\n"
      "'run', which is not built yet (issue #5): nothing is pulled from Zoho.\n"
      "Exit 0 when everything was pushed, 3 when records were parked, 1 on a failure.\n\n"
      "Options");
  opts.add_options()("help,h", "show this help and exit");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    out << opts << "\n";
    return kExitOk;
  }
  if (!ctx.config_path) {
    err << "zcrmsync push: --config FILE is required (zcrmsync --config FILE push)\n";
    return kExitUsage;
  }
  auto config = mappings::LoadConfigFile(*ctx.config_path);
  if (!config) {
    err << "zcrmsync push: " << config.error().message() << "\n";
    return kExitFailure;
  }
  auto kit = change_capture::KitOptionsFor(*config);
  if (!kit) {
    err << "zcrmsync push: " << kit.error().message() << "\n";
    return kExitFailure;
  }
  auto db = odbc::Connection::Open({.connection_string = config->database.connection_string});
  if (!db) {
    err << "zcrmsync push: database: " << db.error() << "\n";
    return kExitFailure;
  }
  auto zoho = MakeZohoSession(*config);
  if (!zoho) {
    err << "zcrmsync push: zoho: " << zoho.error().message() << "\n";
    return kExitFailure;
  }
  std::map<std::string, std::vector<crm::FieldInfo>> fields;
  for (const auto& m : config->mappings) {
    if (fields.contains(m.module)) continue;
    auto f = zoho->client->Fields(m.module);
    if (!f) {
      err << "zcrmsync push: Zoho module " << m.module << ": " << f.error().message() << "\n";
      return kExitFailure;
    }
    fields[m.module] = std::move(*f);
  }
  sync::Pusher pusher(*db, *config, *kit, *zoho->client, std::move(fields),
                      {.erp_time_zone = config->database.time_zone});
  auto stats = pusher.Drain();
  if (!stats) {
    err << "zcrmsync push: " << stats.error().message() << "\n";
    return kExitFailure;
  }
  out << "pushed: " << stats->changes << " change(s); created " << stats->created << ", updated "
      << stats->updated << ", deleted " << stats->deleted << ", unchanged " << stats->unchanged
      << ", parked " << stats->parked << ", waiting behind parked " << stats->waiting << "\n";
  return stats->parked > 0 ? 3 : kExitOk;
}

}  // namespace zcrmsync::agent
