// run and push: the sync engine's commands (issue #5).
#include <map>
#include <optional>

#include <boost/program_options.hpp>

#include "agent/cli.h"
#include "agent/command_support.h"
#include "agent/commands.h"
#include "agent/shutdown.h"
#include "agent/zoho_session.h"
#include "change_capture/kit_manager.h"
#include "core/log.h"
#include "core/retry.h"
#include "mappings/config_loader.h"
#include "odbc/connection.h"
#include "sync/initial_load.h"
#include "sync/pull.h"
#include "sync/push.h"

namespace zcrmsync::agent {
namespace {

namespace po = boost::program_options;

constexpr int kExitParked = 3;  // some records were parked in the dead letter

// Everything a sync command needs, opened from the config.
struct Engine {
  mappings::Config config;
  change_capture::KitOptions kit;
  std::optional<odbc::Connection> db;
  ZohoSession zoho;
  std::map<std::string, std::vector<crm::FieldInfo>> fields;
};

std::optional<Engine> OpenEngine(const Context& ctx, const char* command, std::ostream& err) {
  auto fail = [&](const std::string& what, const Status& s) {
    err << "zcrmsync " << command << ": " << what << s.message() << "\n";
    return std::nullopt;
  };
  int code = kExitOk;
  auto config = LoadConfig(ctx, command, err, code);
  if (!config) return std::nullopt;
  Engine e;
  e.config = std::move(*config);
  auto kit = change_capture::KitOptionsFor(e.config);
  if (!kit) return fail("", kit.error());
  e.kit = *kit;
  auto db = odbc::Connection::Open({.connection_string = e.config.database.connection_string});
  if (!db) return fail("database: ", db.error());
  e.db.emplace(std::move(*db));
  auto zoho = MakeZohoSession(e.config);
  if (!zoho) return fail("zoho: ", zoho.error());
  e.zoho = std::move(*zoho);
  for (const auto& m : e.config.mappings) {
    if (e.fields.contains(m.module)) continue;
    auto f = e.zoho.client->Fields(m.module);
    if (!f) return fail("Zoho module " + m.module + ": ", f.error());
    e.fields[m.module] = std::move(*f);
  }
  return e;
}

void PrintPush(const sync::PushStats& s, std::ostream& out) {
  out << "pushed: " << s.changes << " change(s); created " << s.created << ", updated " << s.updated
      << ", deleted " << s.deleted << ", unchanged " << s.unchanged << ", parked " << s.parked
      << ", waiting behind parked " << s.waiting << "\n";
}

void PrintPull(const sync::PullStats& s, std::ostream& out) {
  out << "pulled: " << s.fetched << " record(s); echoes " << s.echoes << ", written to the ERP "
      << s.erp_updated << ", sent back to Zoho " << s.crm_updated << ", ERP rows deleted "
      << s.erp_deleted << ", conflicts " << s.conflicts << " (held " << s.held << "), parked "
      << s.parked << ", not linked yet " << s.unlinked << "\n";
}

}  // namespace

int RunPush(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE push: send every captured ERP change to Zoho CRM, then stop.\n"
      "Creates are upserts on each mapping's external_id_field, updates carry only the\n"
      "changed fields, deletes follow the mapping's deletes policy; a record with bad data\n"
      "is parked in the dead letter and the rest go on. This is the ERP -> CRM half of\n"
      "'run'; nothing is pulled from Zoho.\n"
      "Exit 0 when everything was pushed, 3 when records were parked, 1 on a failure.\n\n"
      "Options");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  if (!ctx.config_path) {
    err << "zcrmsync push: --config FILE is required (zcrmsync --config FILE push)\n";
    return kExitUsage;
  }
  auto e = OpenEngine(ctx, "push", err);
  if (!e) return kExitFailure;
  sync::Pusher pusher(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                      {.erp_time_zone = e->config.database.time_zone});
  auto stats = pusher.Drain();
  if (!stats) {
    err << "zcrmsync push: " << stats.error().message() << "\n";
    return kExitFailure;
  }
  PrintPush(*stats, out);
  return stats->parked > 0 ? kExitParked : kExitOk;
}

int RunSync(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE run [--once]: the sync agent. Each cycle pulls what changed\n"
      "in Zoho since the watermark (echoes of our own writes skipped), merges it field by\n"
      "field with the ERP rows and writes the ERP's share back, then pushes the captured\n"
      "ERP changes. Without --once it repeats every sync.interval_seconds until SIGTERM or\n"
      "SIGINT; a transient failure (database or Zoho unreachable, rate limit) is logged and\n"
      "retried next cycle.\n"
      "With --once: exit 0 when everything synced, 3 when records were parked in the dead\n"
      "letter, 1 on a fatal error (bad config, unreachable database, failed authentication).\n"
      "Rows that existed before install are loaded once, in key order, resumably.\n"
      "Not yet: CRM records with no ERP row, status, plan, conflicts and errors commands\n"
      "(issue #5).\n\nOptions");
  opts.add_options()("once", "run one cycle in each direction, then exit");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  if (!ctx.config_path) {
    err << "zcrmsync run: --config FILE is required (zcrmsync --config FILE run)\n";
    return kExitUsage;
  }
  const bool once = vm.count("once") > 0;
  auto e = OpenEngine(ctx, "run", err);
  if (!e) return kExitFailure;
  sync::Puller puller(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                      {.erp_time_zone = e->config.database.time_zone});
  sync::Pusher pusher(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                      {.erp_time_zone = e->config.database.time_zone});
  sync::InitialLoader loader(*e->db, e->config, e->kit);
  const log::Logger logger("agent");
  for (;;) {
    int64_t parked = 0;
    Status failure;
    // Rows that existed before install are queued for the push (once).
    if (auto loaded = loader.QueueAll(); !loaded) {
      failure = loaded.error();
    } else if (loaded->queued > 0) {
      logger.Info("initial load queued rows", {{"rows", loaded->queued}});
    }
    auto pulled = failure.ok() ? puller.RunOnce() : Result<sync::PullStats>(Error(failure));
    if (!pulled) {
      failure = pulled.error();
    } else {
      parked += pulled->parked;
      auto pushed = pusher.Drain();
      if (!pushed) {
        failure = pushed.error();
      } else {
        parked += pushed->parked;
        if (once) {
          PrintPull(*pulled, out);
          PrintPush(*pushed, out);
        }
        logger.Info("cycle done", {{"pulled", pulled->fetched}, {"erp_written", pulled->erp_updated},
                                   {"pushed", pushed->changes}, {"parked", parked}});
      }
    }
    if (!failure.ok()) {
      if (once || !retry::IsTransient(failure.code())) {
        err << "zcrmsync run: " << failure.message() << "\n";
        return kExitFailure;
      }
      logger.Warn("cycle failed; retrying next cycle", {{"error", failure.message()}});
      // A lost database link is re-opened for the next cycle.
      if (failure.code() == StatusCode::kUnavailable) (void)e->db->Reconnect();
    }
    if (once) return parked > 0 ? kExitParked : kExitOk;
    if (WaitForShutdownOr(std::chrono::seconds(e->config.sync.interval_seconds))) {
      logger.Info("shutdown requested: stopping after the cycle");
      return kExitOk;
    }
  }
}

}  // namespace zcrmsync::agent
