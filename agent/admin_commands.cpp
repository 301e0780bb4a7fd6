// errors and status: what the agent is holding back, and how far along it is.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include <boost/program_options.hpp>

#include "agent/backlog.h"
#include "agent/cli.h"
#include "agent/command_support.h"
#include "agent/commands.h"
#include "agent/engine.h"
#include "agent/first_sync.h"
#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "change_capture/kit_manager.h"
#include "crm/json.h"
#include "mappings/config_loader.h"
#include "odbc/connection.h"
#include "odbc/transaction.h"
#include "sync/link_store.h"
#include "sync/plan.h"
#include "sync/resolve.h"

namespace zcrmsync::agent {
namespace {

namespace po = boost::program_options;

struct Db {
  mappings::Config config;
  change_capture::KitOptions kit;
  std::optional<odbc::Connection> connection;
};

// On failure prints why and sets `code` (usage error without --config).
std::optional<Db> OpenDb(const Context& ctx, const char* command, std::ostream& err, int& code) {
  code = kExitFailure;
  auto config = LoadConfig(ctx, command, err, code);
  if (!config) return std::nullopt;
  auto kit = change_capture::KitOptionsFor(*config);
  if (!kit) {
    err << "zcrmsync " << command << ": " << kit.error().message() << "\n";
    return std::nullopt;
  }
  auto conn = odbc::Connection::Open({.connection_string = config->database.connection_string});
  if (!conn) {
    err << "zcrmsync " << command << ": database: " << conn.error() << "\n";
    return std::nullopt;
  }
  Db db{std::move(*config), *kit, {}};
  db.connection.emplace(std::move(*conn));
  return db;
}

}  // namespace

int RunErrors(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE errors list | retry ID... | retry --all: the dead letter.\n"
      "list shows the parked records, oldest first, with the error naming the field.\n"
      "retry closes them; an ERP -> CRM record is queued so the next push sends its row as\n"
      "it is now, and a CRM -> ERP record is fetched again by the next pull and applied as it\n"
      "is now in Zoho.\n\nOptions");
  opts.add_options()("action", po::value<std::string>(), "list or retry")(
      "ids", po::value<std::vector<int64_t>>(), "parked record ids (for retry)")(
      "all", "retry every parked record");
  po::positional_options_description positional;
  positional.add("action", 1).add("ids", -1);
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, &positional, vm, out)) return *code;
  const std::string action = vm.count("action") ? vm["action"].as<std::string>() : "";
  if (action != "list" && action != "retry") {
    err << "zcrmsync errors: say 'list' or 'retry' (zcrmsync --config FILE errors list)\n";
    return kExitUsage;
  }
  if (action == "retry" && !vm.count("ids") && !vm.count("all")) {
    err << "zcrmsync errors retry: give record ids or --all\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto db = OpenDb(ctx, "errors", err, code);
  if (!db) return code;
  sync::LinkStore store(*db->connection, db->kit);
  auto parked = store.ListParked();
  if (!parked) {
    err << "zcrmsync errors: " << parked.error().message() << "\n";
    return kExitFailure;
  }
  if (action == "list") {
    if (parked->empty()) out << "no parked records\n";
    for (const auto& p : *parked) {
      out << p.error_id << "\t" << p.mapping << "\t" << p.erp_key.value_or("-") << "\t"
          << p.direction << "\t" << p.status_code << "\t" << p.field.value_or("-") << "\t"
          << p.message << "\n";
    }
    return kExitOk;
  }
  std::vector<int64_t> ids;
  if (vm.count("ids")) ids = vm["ids"].as<std::vector<int64_t>>();
  int failures = 0, retried = 0;
  auto tx = odbc::Transaction::Begin(*db->connection);
  if (!tx) {
    err << "zcrmsync errors: " << tx.error().message() << "\n";
    return kExitFailure;
  }
  for (const auto& p : *parked) {
    if (!vm.count("all") && std::find(ids.begin(), ids.end(), p.error_id) == ids.end()) continue;
    if (Status s = store.Retry(p); !s.ok()) {
      err << "zcrmsync errors retry " << p.error_id << ": " << s.message() << "\n";
      ++failures;
    } else {
      ++retried;
    }
  }
  for (int64_t id : ids) {
    if (std::none_of(parked->begin(), parked->end(), [&](const auto& p) { return p.error_id == id; })) {
      err << "zcrmsync errors retry " << id << ": no open parked record with this id\n";
      ++failures;
    }
  }
  if (Status s = tx->Commit(); !s.ok()) {
    err << "zcrmsync errors: " << s.message() << "\n";
    return kExitFailure;
  }
  out << "retried " << retried << " record(s)\n";
  return failures > 0 ? kExitFailure : kExitOk;
}

int RunConflicts(const CommandArgs& args, const Context& ctx, std::ostream& out,
                 std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE conflicts list | resolve ID --take erp|crm: fields held under\n"
      "the manual conflict rule. A held field is written to neither side until settled.\n"
      "list shows each with the last synced value and both sides' values.\n"
      "resolve settles one: the side taken wins with its value as it is NOW (an edit made\n"
      "since the conflict was recorded is kept): --take erp sends the ERP row's value to\n"
      "Zoho, --take crm writes the CRM record's value into the ERP row. Exit 0 when\n"
      "settled, 1 when it could not be (the reason names the table, key and field).\n\n"
      "Options");
  opts.add_options()("action", po::value<std::string>(), "list or resolve")(
      "id", po::value<int64_t>(), "the conflict id (for resolve)")(
      "take", po::value<std::string>(), "erp or crm: the side whose value wins");
  po::positional_options_description positional;
  positional.add("action", 1).add("id", 1);
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, &positional, vm, out)) return *code;
  const std::string action = vm.count("action") ? vm["action"].as<std::string>() : "";
  if (action == "resolve") {
    const std::string take = vm.count("take") ? vm["take"].as<std::string>() : "";
    if (!vm.count("id") || (take != "erp" && take != "crm")) {
      err << "zcrmsync conflicts resolve: give the conflict id and --take erp or --take crm "
             "(zcrmsync --config FILE conflicts resolve 12 --take crm)\n";
      return kExitUsage;
    }
    int code = kExitOk;
    auto e = OpenEngine(ctx, "conflicts", err, code);
    if (!e) return code;
    sync::ConflictResolver resolver(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                                    e->config.database.time_zone);
    const int64_t id = vm["id"].as<int64_t>();
    auto r = resolver.Resolve(id, take == "erp" ? sync::Side::kErp : sync::Side::kCrm);
    if (!r) {
      err << "zcrmsync conflicts resolve " << id << ": " << r.error().message() << "\n";
      return kExitFailure;
    }
    out << "settled conflict " << id << " (" << r->mapping << " " << r->erp_key << " "
        << r->field << "): took the " << take << " value " << r->value << "\n";
    return kExitOk;
  }
  if (action != "list") {
    err << "zcrmsync conflicts: say 'list' or 'resolve' (zcrmsync --config FILE conflicts list)\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto db = OpenDb(ctx, "conflicts", err, code);
  if (!db) return code;
  sync::LinkStore store(*db->connection, db->kit);
  auto conflicts = store.ListConflicts();
  if (!conflicts) {
    err << "zcrmsync conflicts: " << conflicts.error().message() << "\n";
    return kExitFailure;
  }
  if (conflicts->empty()) out << "no conflicts waiting\n";
  for (const auto& c : *conflicts) {
    out << c.conflict_id << "\t" << c.mapping << "\t" << c.erp_key << "\t" << c.field
        << "\tbase " << c.base_value.value_or("(none)") << "\terp " << c.erp_value.value_or("-")
        << "\tcrm " << c.crm_value.value_or("-") << "\n";
  }
  return kExitOk;
}

int RunStatus(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE status [--json]: where the sync stands, from the database\n"
      "alone (no Zoho call). Per mapping: the ERP changes waiting to be pushed and the lag\n"
      "(the age of the oldest), records parked in the dead letter, conflicts held for a\n"
      "person, the initial load, the pull watermark (the newest Zoho Modified_Time seen),\n"
      "and the last cycle's counts (pushed, pulled, merged, conflicts, parked). Then the\n"
      "last cycle's time, duration and outcome, and the Zoho calls and credits used today\n"
      "(UTC), as saved by the agent that holds the lease.\n\nOptions");
  opts.add_options()("json", "print one JSON object");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  int code = kExitOk;
  auto db = OpenDb(ctx, "status", err, code);
  if (!db) return code;
  odbc::Connection& c = *db->connection;
  auto fail = [&](const Status& s) {
    err << "zcrmsync status: " << s.message() << "\n";
    return kExitFailure;
  };
  auto backlog = MeasureBacklog(c, db->kit, db->config);
  if (!backlog) return fail(backlog.error());
  sync::LinkStore store(c, db->kit);
  auto parked = store.ListParked();
  if (!parked) return fail(parked.error());
  auto conflicts = store.ListConflicts();
  if (!conflicts) return fail(conflicts.error());
  auto last_text = change_capture::LoadState(c, db->kit, "cycle/last");
  if (!last_text) return fail(last_text.error());
  std::optional<crm::JsonValue> last;
  if (last_text->has_value()) {
    if (auto j = crm::ParseJson(**last_text); j && j->is_object()) last = std::move(*j);
  }
  auto last_counts = [&](const std::string& mapping) -> const crm::JsonValue* {
    if (!last) return nullptr;
    const crm::JsonValue* ms = last->Find("mappings");
    return ms == nullptr ? nullptr : ms->Find(mapping);
  };
  auto count = [](const crm::JsonValue* o, const char* key) -> int64_t {
    const crm::JsonValue* v = o == nullptr ? nullptr : o->Find(key);
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  };
  const bool json = vm.count("json") > 0;
  crm::JsonValue::Object all;
  crm::JsonValue::Object mappings_out;
  for (const auto& m : db->config.mappings) {
    int64_t parked_count = 0, held_count = 0;
    for (const auto& p : *parked) parked_count += p.mapping == m.name ? 1 : 0;
    for (const auto& h : *conflicts) held_count += h.mapping == m.name ? 1 : 0;
    auto load = change_capture::LoadState(c, db->kit, "load/" + m.name + "/done");
    auto watermark = change_capture::LoadState(c, db->kit, "pull/" + m.name + "/watermark");
    if (!load) return fail(load.error());
    if (!watermark) return fail(watermark.error());
    const Backlog& b = backlog->at(m.name);
    const bool loaded = load->value_or("") == "1";
    const crm::JsonValue* lc = last_counts(m.name);
    if (json) {
      crm::JsonValue::Object o;
      o["backlog"] = crm::JsonValue(b.waiting);
      o["lag_seconds"] = b.lag_seconds ? crm::JsonValue(*b.lag_seconds) : crm::JsonValue();
      o["lag_is_lower_bound"] = crm::JsonValue(b.lag_is_lower_bound);
      o["parked"] = crm::JsonValue(parked_count);
      o["conflicts_held"] = crm::JsonValue(held_count);
      o["initial_load_done"] = crm::JsonValue(loaded);
      o["pull_watermark_utc"] = watermark->has_value() ? crm::JsonValue(**watermark) : crm::JsonValue();
      o["last_cycle"] = lc != nullptr ? *lc : crm::JsonValue();
      mappings_out[m.name] = crm::JsonValue(std::move(o));
    } else {
      char lag[64] = "";
      if (b.lag_seconds) {
        std::snprintf(lag, sizeof lag, ", lag %s%.1f s", b.lag_is_lower_bound ? ">= " : "",
                      *b.lag_seconds);
      }
      out << m.name << ": " << b.waiting << " change(s) waiting to be pushed" << lag << ", "
          << parked_count << " parked, " << held_count << " conflict(s) held, initial load "
          << (loaded ? "done" : "not finished") << ", pulled up to "
          << (watermark->has_value() ? **watermark + " UTC" : std::string("nothing yet")) << "\n";
      if (lc != nullptr) {
        out << "  last cycle: pushed " << count(lc, "pushed") << ", pulled " << count(lc, "pulled")
            << ", merged " << count(lc, "merged") << ", conflicts " << count(lc, "conflicts")
            << ", parked " << count(lc, "parked") << "\n";
      }
    }
  }
  if (json) {
    all["mappings"] = crm::JsonValue(std::move(mappings_out));
    all["last_cycle"] = last ? *last : crm::JsonValue();
    out << crm::ToJson(crm::JsonValue(std::move(all))) << "\n";
    return kExitOk;
  }
  if (!last) {
    out << "no cycle recorded yet (zcrmsync run saves one after each cycle)\n";
  } else {
    const crm::JsonValue* ok = last->Find("ok");
    const bool good = ok != nullptr && ok->is_bool() && ok->as_bool();
    out << "last cycle: finished " << last->GetString("finished_at") << " in "
        << count(&*last, "duration_ms") << " ms, " << (good ? "ok" : "FAILED: " + last->GetString("error"))
        << "\nZoho today (" << last->GetString("day") << " UTC): " << count(&*last, "zoho_calls_today")
        << " calls, " << count(&*last, "zoho_credits_today") << " credits\n";
  }
  return kExitOk;
}

int RunPlan(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE plan [--all] [--json]: a dry run of the next cycle. Lists,\n"
      "per mapping, what the pull would do with the CRM records changed since its\n"
      "watermark (create an ERP row, link, update either side, delete, a conflict and how\n"
      "its rule settles it) and what the push would do with the captured ERP changes\n"
      "(create, update with the fields, delete, wait behind a parked record, park).\n"
      "Writes nothing on either side and moves no cursor; only reads go to Zoho.\n"
      "Approximate where the cycle learns more as it goes: match_fields searches are not\n"
      "made, and a 412 the push would meet is not foreseen.\n\nOptions");
  opts.add_options()("all", "list every action (default: the first 50 per mapping)")(
      "json", "print one JSON object");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  int code = kExitOk;
  auto e = OpenEngine(ctx, "plan", err, code);
  if (!e) return code;
  sync::Planner planner(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                        e->config.database.time_zone);
  auto plans = planner.Plan();
  if (!plans) {
    err << "zcrmsync plan: " << plans.error().message() << "\n";
    return kExitFailure;
  }
  auto warnings = FirstSyncWarnings(*e->db, e->kit, e->config, *e->zoho.client);
  if (!warnings) {
    err << "zcrmsync plan: " << warnings.error().message() << "\n";
    return kExitFailure;
  }
  for (const auto& w : *warnings) err << "warning: " << w << "\n";
  if (vm.count("json")) {
    crm::JsonValue::Object all;
    for (const auto& [name, p] : *plans) {
      crm::JsonValue::Object o;
      crm::JsonValue::Object counts;
      for (const auto& [action, n] : p.counts) counts[action] = crm::JsonValue(n);
      crm::JsonValue::Array actions;
      for (const auto& a : p.actions) {
        actions.emplace_back(crm::JsonValue::Object{{"direction", crm::JsonValue(a.direction)},
                                                    {"action", crm::JsonValue(a.action)},
                                                    {"erp_key", crm::JsonValue(a.erp_key)},
                                                    {"zoho_id", crm::JsonValue(a.zoho_id)},
                                                    {"detail", crm::JsonValue(a.detail)}});
      }
      o["counts"] = crm::JsonValue(std::move(counts));
      o["actions"] = crm::JsonValue(std::move(actions));
      o["changes_not_read"] = crm::JsonValue(p.not_shown);
      all[name] = crm::JsonValue(std::move(o));
    }
    out << crm::ToJson(crm::JsonValue(std::move(all))) << "\n";
    return kExitOk;
  }
  const size_t shown = vm.count("all") ? SIZE_MAX : 50;
  for (const auto& [name, p] : *plans) {
    out << name << ":";
    if (p.actions.empty()) out << " nothing to do";
    for (const auto& [action, n] : p.counts) out << " " << action << " " << n << ";";
    out << "\n";
    for (size_t i = 0; i < p.actions.size() && i < shown; ++i) {
      const auto& a = p.actions[i];
      out << "  " << (a.direction == "erp_to_crm" ? "ERP->CRM " : "CRM->ERP ") << a.action
          << (a.erp_key.empty() ? "" : " key " + a.erp_key)
          << (a.zoho_id.empty() ? "" : " zoho " + a.zoho_id)
          << (a.detail.empty() ? "" : ": " + a.detail) << "\n";
    }
    if (p.actions.size() > shown) out << "  ... " << p.actions.size() - shown << " more (--all)\n";
    if (p.not_shown > 0) out << "  and " << p.not_shown << " captured change(s) beyond the first read\n";
  }
  return kExitOk;
}

}  // namespace zcrmsync::agent
