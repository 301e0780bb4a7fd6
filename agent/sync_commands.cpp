// run and push: the sync engine's commands (issues #5 and #6). `run` is the
// agent's service loop: failover lease, cycles, graceful shutdown, config
// reload, sd_notify, health and metrics.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/backlog.h"
#include "agent/cli.h"
#include "agent/command_support.h"
#include "agent/commands.h"
#include "agent/engine.h"
#include "agent/health_server.h"
#include "agent/metrics.h"
#include "agent/service_notify.h"
#include "agent/shutdown.h"
#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "core/log.h"
#include "core/retry.h"
#include "core/status_macros.h"
#include "crm/json.h"
#include "odbc/connection.h"
#include "sync/initial_load.h"
#include "sync/lease.h"
#include "sync/pull.h"
#include "sync/push.h"

namespace zcrmsync::agent {
namespace {

namespace po = boost::program_options;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr int kExitParked = 3;                    // some records were parked in the dead letter
constexpr char kLastCycleState[] = "cycle/last";  // read by `zcrmsync status`
constexpr char kPushCursorState[] = "push/cursor";
constexpr size_t kLagWindow = 1000;  // pending changes read to find each mapping's oldest

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("agent");
  return *logger;
}

// The engine (agent/engine.h) at a stable address: the lease and each
// cycle's puller and pusher hold references into it. On failure prints
// "zcrmsync <command>: <why>" to `err`.
std::unique_ptr<Engine> OpenEngineOrReport(const Context& ctx, const char* command,
                                           std::ostream& err) {
  int code = kExitOk;
  auto e = OpenEngine(ctx, command, err, code);
  if (!e) return nullptr;
  return std::make_unique<Engine>(std::move(*e));
}

// Which side a failure came from, by the payloads odbc/ and crm/ attach.
std::string ErrorSource(const Status& s) {
  if (s.GetPayload("sqlstate")) return "database";
  if (s.GetPayload("http_status") || s.GetPayload("curl_code")) return "zoho";
  return "agent";
}

void PrintPush(const sync::PushStats& s, std::ostream& out) {
  out << "pushed: " << s.changes << " change(s); created " << s.created << ", updated " << s.updated
      << ", deleted " << s.deleted << ", unchanged " << s.unchanged << ", parked " << s.parked
      << ", waiting behind parked " << s.waiting << ", matched " << s.matched
      << ", held for a person " << s.held << ", 412s reconciled " << s.reconciled << "\n";
}

void PrintPull(const sync::PullStats& s, std::ostream& out) {
  out << "pulled: " << s.fetched << " record(s); echoes " << s.echoes << ", written to the ERP "
      << s.erp_updated << ", sent back to Zoho " << s.crm_updated << ", ERP rows deleted "
      << s.erp_deleted << ", conflicts " << s.conflicts << " (held " << s.held << "), parked "
      << s.parked << ", ERP rows created " << s.erp_created << ", matched " << s.matched
      << ", left to the push's reconcile " << s.deferred << ", not linked yet " << s.unlinked << "\n";
}

double UnixSeconds(Clock::TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// How often a standby agent asks for the lease again.
milliseconds StandbyRetry(seconds lease) {
  return std::clamp<milliseconds>(lease / 3, seconds(1), seconds(5));
}

// Takes the lease for a one-shot command (push, run --once): waits while
// another agent holds it, at most until a dead holder's lease would expire.
// Returns an error naming the holder when it does not come free.
Status TakeLeaseForOneShot(sync::Lease& lease) {
  const auto give_up = std::chrono::steady_clock::now() + lease.duration() + seconds(2);
  bool told = false;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool held, lease.Acquire());
    if (held) return Status();
    if (!told) {
      Log().Info("another agent holds the lease; waiting for it to come free",
                 {{"holder", lease.last_seen_holder()}});
      told = true;
    }
    if (std::chrono::steady_clock::now() > give_up || WaitForShutdownOr(seconds(1))) {
      return FailedPreconditionError(
          "another agent holds the lease: " + lease.last_seen_holder() +
          " (stop it first; a dead agent's lease expires after agent.lease_seconds)");
    }
  }
}

// The run loop of `zcrmsync run`.
class Agent {
 public:
  Agent(const Context& ctx, std::unique_ptr<Engine> engine, bool once, std::ostream& out,
        std::ostream& err)
      : ctx_(ctx), engine_(std::move(engine)), once_(once), out_(out), err_(err) {
    holder_id_ = sync::MakeHolderId();
    lease_ = MakeLease();
    metrics_.SetHolderId(holder_id_);
    metrics_.SetMappings(MappingNames());
  }

  int Run();

 private:
  struct CycleOutcome {
    CycleReport report;
    int64_t parked = 0;
    Status failure;
    std::optional<sync::PullStats> pulled;
    std::optional<sync::PushStats> pushed;
    int64_t backlog_total = 0;
  };

  std::unique_ptr<sync::Lease> MakeLease() {
    return std::make_unique<sync::Lease>(
        *engine_->db, engine_->kit,
        sync::LeaseOptions{.duration = seconds(engine_->config.agent.lease_seconds),
                           .holder = holder_id_});
  }
  std::vector<std::string> MappingNames() const {
    std::vector<std::string> names;
    for (const auto& m : engine_->config.mappings) names.push_back(m.name);
    return names;
  }

  bool ShouldStop();
  void BeginStopping();
  CycleOutcome RunCycle();
  void MeasureBacklog(CycleOutcome& c);
  void LoadTodayCounters();
  void SaveLastCycle(const CycleOutcome& c);
  // Sleeps up to `duration`, feeding the watchdog and renewing a held lease;
  // returns early on a shutdown or reload request.
  void Wait(milliseconds duration);
  void Reload();
  Status StartHealthServer();
  int Finish(int code);

  const Context& ctx_;
  std::unique_ptr<Engine> engine_;
  const bool once_;
  std::ostream& out_;
  std::ostream& err_;
  std::string holder_id_;
  std::unique_ptr<sync::Lease> lease_;
  Metrics metrics_;
  std::unique_ptr<HealthServer> health_;
  bool stopping_ = false;
  bool lease_lost_ = false;  // set by ShouldStop during a cycle
  bool renew_error_logged_ = false;
  int64_t cycle_number_ = 0;
  crm::ClientStats zoho_counted_;  // of the current engine's client, already reported
  // Zoho use today (UTC), carried across cycles, restarts and failovers
  // through cycle/last.
  std::string today_;
  int64_t calls_today_ = 0;
  int64_t credits_today_ = 0;
};

void Agent::BeginStopping() {
  if (stopping_) return;
  stopping_ = true;
  Log().Info("shutdown requested: finishing the batch in flight");
  NotifyStopping();
  metrics_.SetRole(Role::kStopping, lease_->last_seen_holder());
}

// The engine's should_stop hook, asked before each push batch and each pulled
// mapping: keeps the watchdog fed during long drains, stops on shutdown, and
// stops before the next write once the lease is no longer certain.
bool Agent::ShouldStop() {
  NotifyWatchdog();
  if (ShutdownRequested()) {
    BeginStopping();
    return true;
  }
  if (auto renewed = lease_->Renew(); !renewed) {
    if (!renew_error_logged_) {
      Log().Warn("cannot renew the lease; going on until it would expire",
                 {{"error", renewed.error().message()}});
      renew_error_logged_ = true;
    }
  } else {
    renew_error_logged_ = false;
  }
  if (!lease_->Valid()) {
    lease_lost_ = true;
    return true;
  }
  return false;
}

Agent::CycleOutcome Agent::RunCycle() {
  CycleOutcome c;
  Engine& e = *engine_;
  const auto started = std::chrono::steady_clock::now();
  auto hook = [this] { return ShouldStop(); };
  sync::Puller puller(*e.db, e.config, e.kit, *e.zoho.client, e.fields,
                      {.erp_time_zone = e.config.database.time_zone, .should_stop = hook});
  sync::Pusher pusher(*e.db, e.config, e.kit, *e.zoho.client, e.fields,
                      {.batch = static_cast<size_t>(e.config.sync.push_batch_size),
                       .erp_time_zone = e.config.database.time_zone,
                       .should_stop = hook});
  sync::InitialLoader loader(*e.db, e.config, e.kit, /*chunk=*/1000, hook);

  // Rows that existed before install are queued for the push (once); the
  // hook is asked before each chunk, as before each push batch.
  {
    if (auto loaded = loader.QueueAll(); !loaded) {
      c.failure = loaded.error();
    } else if (loaded->queued > 0) {
      Log().Info("initial load queued rows", {{"rows", loaded->queued}});
    }
  }
  if (c.failure.ok() && !stopping_ && !lease_lost_) {
    auto pulled = puller.RunOnce();
    if (!pulled) {
      c.failure = pulled.error();
    } else {
      c.pulled = std::move(*pulled);
      auto pushed = pusher.Drain();
      if (!pushed) {
        c.failure = pushed.error();
      } else {
        c.pushed = std::move(*pushed);
      }
    }
  }

  CycleReport& r = c.report;
  if (c.pulled) {
    c.parked += c.pulled->parked;
    for (const auto& [name, p] : c.pulled->by_mapping) {
      MappingCounts& m = r.counts[name];
      m.pulled += p.fetched - p.echoes;
      m.merged += p.erp_updated + p.erp_deleted + p.erp_created;
      m.conflicts += p.conflicts;
      m.parked += p.parked;
      m.zoho_calls += p.zoho_calls;
      m.zoho_credits += p.zoho_credits;
    }
  }
  if (c.pushed) {
    c.parked += c.pushed->parked;
    for (const auto& [name, p] : c.pushed->by_mapping) {
      MappingCounts& m = r.counts[name];
      m.pushed += p.created + p.updated + p.deleted;
      m.conflicts += p.held;
      m.parked += p.parked;
      m.zoho_calls += p.zoho_calls;
      m.zoho_credits += p.zoho_credits;
    }
  }
  r.ok = c.failure.ok();
  if (!r.ok) {
    r.error = c.failure.message();
    r.error_class = std::string(StatusCodeName(c.failure.code()));
    r.error_source = ErrorSource(c.failure);
    // Zoho refusing a call (rate limit, auth) is not "unreachable".
    r.zoho_ok = !(r.error_source == "zoho" && (c.failure.code() == StatusCode::kUnavailable ||
                                               c.failure.code() == StatusCode::kDeadlineExceeded));
    // Is the database still there? (A database error may be a bad statement.)
    if (r.error_source == "database" || r.error_source == "agent") {
      if (Status ping = e.db->Ping(); !ping.ok()) {
        r.database_ok = false;
        (void)e.db->Reconnect();  // for the next cycle
      }
    }
  }
  if (r.database_ok && lease_->Valid()) MeasureBacklog(c);
  // Everything since the last count, so the engine's opening calls (field
  // metadata) count too.
  const crm::ClientStats zoho_now = e.zoho.client->stats();
  r.zoho_calls = zoho_now.calls - zoho_counted_.calls;
  r.zoho_credits = zoho_now.credits - zoho_counted_.credits;
  zoho_counted_ = zoho_now;
  r.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  r.finished_at_unix = UnixSeconds(SystemClock().Now());
  return c;
}

// Backlog and lag per mapping (agent/backlog.h).
void Agent::MeasureBacklog(CycleOutcome& c) {
  Engine& e = *engine_;
  auto backlog = agent::MeasureBacklog(*e.db, e.kit, e.config, kLagWindow);
  if (!backlog) return;
  for (const auto& [name, b] : *backlog) {
    c.backlog_total += b.waiting;
    c.report.backlog[name] = MappingBacklog{b.waiting, b.lag_seconds};
  }
}

void Agent::LoadTodayCounters() {
  auto saved = change_capture::LoadState(*engine_->db, engine_->kit, kLastCycleState);
  if (!saved || !saved->has_value()) return;
  auto json = crm::ParseJson(**saved);
  if (!json || !json->is_object()) return;
  today_ = json->GetString("day");
  auto number = [&](const char* key) -> int64_t {
    const crm::JsonValue* v = json->Find(key);
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  };
  calls_today_ = number("zoho_calls_today");
  credits_today_ = number("zoho_credits_today");
}

void Agent::SaveLastCycle(const CycleOutcome& c) {
  const CycleReport& r = c.report;
  const std::string finished = FormatUtc(SystemClock().Now());
  const std::string day = finished.substr(0, 10);
  if (day != today_) {
    today_ = day;
    calls_today_ = 0;
    credits_today_ = 0;
  }
  calls_today_ += r.zoho_calls;
  credits_today_ += r.zoho_credits;
  crm::JsonValue::Object mappings;
  for (const auto& m : engine_->config.mappings) {
    MappingCounts n;
    if (auto it = r.counts.find(m.name); it != r.counts.end()) n = it->second;
    mappings[m.name] = crm::JsonValue::Object{{"pushed", n.pushed},
                                              {"pulled", n.pulled},
                                              {"merged", n.merged},
                                              {"conflicts", n.conflicts},
                                              {"parked", n.parked}};
  }
  crm::JsonValue::Object o{
      {"finished_at", finished},
      {"duration_ms", static_cast<int64_t>(r.duration_seconds * 1000)},
      {"ok", r.ok},
      {"error", r.ok ? std::string() : r.error},
      {"zoho_calls_today", calls_today_},
      {"zoho_credits_today", credits_today_},
      {"day", day},
      {"mappings", std::move(mappings)},
  };
  if (!lease_->Valid()) return;  // only the holder writes
  Status s = change_capture::SaveState(*engine_->db, engine_->kit, kLastCycleState,
                                       crm::ToJson(crm::JsonValue(std::move(o))));
  if (!s.ok()) Log().Debug("could not save the cycle summary", {{"error", s.message()}});
}

void Agent::Wait(milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  auto next_ping = std::chrono::steady_clock::now();
  while (!ShutdownRequested() && !ReloadRequested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) return;
    if (now >= next_ping) {
      NotifyWatchdog();
      next_ping = now + seconds(1);
    }
    // A holder keeps its lease fresh through long intervals.
    if (lease_->Valid()) (void)lease_->Renew(milliseconds(lease_->duration()) / 3);
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(end - now, milliseconds(100)));
  }
}

Status Agent::StartHealthServer() {
  const auto& listen = engine_->config.agent.http_listen;
  if (!listen) {
    health_.reset();
    return Status();
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto server, HealthServer::Start(*listen, metrics_));
  health_ = std::move(server);
  return Status();
}

// Re-reads the config. Everything is applied, by re-opening the engine (database
// connection, Zoho session, field metadata) with the new config; when the new
// config is invalid or cannot be opened, the running one is kept.
void Agent::Reload() {
  Log().Info("SIGHUP: reloading the config", {{"file", *ctx_.config_path}});
  // An invalid file, or one whose database or Zoho cannot be opened.
  std::ostringstream why;
  auto engine = OpenEngineOrReport(ctx_, "run", why);
  if (!engine) {
    std::string error = why.str();
    if (error.starts_with("zcrmsync run: ")) error.erase(0, 14);
    while (!error.empty() && error.back() == '\n') error.pop_back();
    Log().Error("config reload refused; the running config is kept", {{"error", error}});
    NotifyStatus("config reload refused (see the log); running on the previous config");
    return;
  }
  const std::optional<std::string> old_listen = engine_->config.agent.http_listen;
  const mappings::DatabaseConfig& now = engine_->config.database;
  const mappings::DatabaseConfig& next = engine->config.database;
  const bool same_database = next.connection_string == now.connection_string &&
                             next.dialect == now.dialect && next.schema == now.schema;
  // Another database means another lease: give this one up first.
  if (!same_database && lease_->Valid()) {
    if (Status s = lease_->Release(); !s.ok()) {
      Log().Warn("could not release the lease", {{"error", s.message()}});
    }
  }
  engine_ = std::move(engine);
  zoho_counted_ = {};
  lease_ = MakeLease();  // same holder id: on the same database our row is simply renewed
  metrics_.SetMappings(MappingNames());
  if (engine_->config.agent.http_listen != old_listen) {
    health_.reset();
    if (Status s = StartHealthServer(); !s.ok()) {
      Log().Error("config reload: the health endpoint is off", {{"error", s.message()}});
    }
  }
  Log().Info("config reloaded: database, Zoho, mappings, sync and agent settings applied");
}

int Agent::Finish(int code) {
  if (ShutdownRequested()) BeginStopping();
  if (lease_->Valid()) {
    if (Status s = lease_->Release(); !s.ok()) {
      Log().Warn("could not release the lease; it expires by itself", {{"error", s.message()}});
    }
  }
  health_.reset();
  return code;
}

int Agent::Run() {
  if (Status s = StartHealthServer(); !s.ok()) {
    err_ << "zcrmsync run: " << s.message() << "\n";
    return kExitFailure;
  }
  if (once_) {
    if (Status s = TakeLeaseForOneShot(*lease_); !s.ok()) {
      err_ << "zcrmsync run: " << s.message() << "\n";
      return kExitFailure;
    }
  }
  bool ready_sent = false;
  bool standing_by = false;
  bool active = false;
  std::string db_error_logged;
  for (;;) {
    if (ShutdownRequested()) return Finish(kExitOk);
    if (TakeReloadRequest()) Reload();
    lease_lost_ = false;

    auto held = lease_->Renew(milliseconds(0));
    if (!held) {
      // A lost database is retried; anything else (the agent's tables are
      // missing, no permission) needs a person.
      if (once_ || !retry::IsTransient(held.error().code())) {
        err_ << "zcrmsync run: " << held.error().message() << "\n";
        return Finish(kExitFailure);
      }
      if (db_error_logged != held.error().message()) {
        Log().Warn("cannot reach the database for the lease; retrying",
                   {{"error", held.error().message()}});
        db_error_logged = held.error().message();
      }
      metrics_.SetDatabaseReachable(false, held.error().message());
      NotifyStatus("database unreachable; retrying");
      (void)engine_->db->Reconnect();
      Wait(StandbyRetry(lease_->duration()));
      continue;
    }
    db_error_logged.clear();
    metrics_.SetDatabaseReachable(true);
    if (!*held) {
      if (once_) {
        err_ << "zcrmsync run: lost the lease to " << lease_->last_seen_holder() << "\n";
        return Finish(kExitFailure);
      }
      if (!standing_by) {
        Log().Info("another agent holds the lease: " + lease_->last_seen_holder() + "; standing by",
                   {{"holder", lease_->last_seen_holder()}});
        standing_by = true;
      }
      active = false;
      metrics_.SetRole(Role::kStandby, lease_->last_seen_holder());
      NotifyStatus("standby: another agent holds the lease: " + lease_->last_seen_holder());
      if (!ready_sent) {
        // READY on standby too: it is a started, healthy service, and systemd
        // (Type=notify) would otherwise fail the start after TimeoutStartSec.
        NotifyReady();
        ready_sent = true;
      }
      Wait(StandbyRetry(lease_->duration()));
      continue;
    }
    if (!active) {
      Log().Info("holding the lease: this agent syncs", {{"holder", holder_id_}});
      LoadTodayCounters();
      active = true;
      standing_by = false;
    }
    metrics_.SetRole(Role::kActive, holder_id_);
    if (!ready_sent) {
      NotifyReady();
      ready_sent = true;
    }

    ++cycle_number_;
    CycleOutcome c = RunCycle();
    metrics_.RecordCycle(c.report);
    SaveLastCycle(c);
    NotifyWatchdog();
    if (lease_lost_ && !stopping_) {
      Log().Warn("lost the lease: stopped before the next write; standing by",
                 {{"holder", lease_->last_seen_holder()}});
      active = false;
      if (once_) {
        err_ << "zcrmsync run: lost the lease to " << lease_->last_seen_holder() << "\n";
        return Finish(kExitFailure);
      }
      continue;
    }
    const CycleReport& r = c.report;
    int64_t pulled = 0;
    int64_t pushed = 0;
    for (const auto& [name, n] : r.counts) {
      pulled += n.pulled;
      pushed += n.pushed;
    }
    if (c.failure.ok()) {
      if (once_ && c.pulled && c.pushed) {
        PrintPull(*c.pulled, out_);
        PrintPush(*c.pushed, out_);
      }
      Log().Info("cycle done", {{"cycle", cycle_number_},
                                {"pulled", c.pulled ? c.pulled->fetched : 0},
                                {"erp_written", c.pulled ? c.pulled->erp_updated : 0},
                                {"pushed", c.pushed ? c.pushed->changes : 0},
                                {"parked", c.parked},
                                {"backlog", c.backlog_total}});
      NotifyStatus("cycle " + std::to_string(cycle_number_) + " ok: pulled " +
                   std::to_string(pulled) + ", pushed " + std::to_string(pushed) + ", backlog " +
                   std::to_string(c.backlog_total));
    } else {
      NotifyStatus("cycle " + std::to_string(cycle_number_) + " failed: " + r.error_class +
                   " from the " + r.error_source + "; retrying");
      if (once_ || !retry::IsTransient(c.failure.code())) {
        err_ << "zcrmsync run: " << c.failure.message() << "\n";
        return Finish(kExitFailure);
      }
      Log().Warn("cycle failed; retrying next cycle", {{"error", c.failure.message()}});
    }
    if (once_) return Finish(c.parked > 0 ? kExitParked : kExitOk);
    if (ShutdownRequested()) {
      Log().Info("shutdown requested: stopping after the cycle");
      return Finish(kExitOk);
    }
    Wait(seconds(engine_->config.sync.interval_seconds));
  }
}

}  // namespace

int RunPush(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE push: send every captured ERP change to Zoho CRM, then stop.\n"
      "Creates are upserts on each mapping's external_id_field, updates carry only the\n"
      "changed fields, deletes follow the mapping's deletes policy; a record with bad data\n"
      "is parked in the dead letter and the rest go on. This is the ERP -> CRM half of\n"
      "'run'; nothing is pulled from Zoho. Like 'run', it first takes the failover lease,\n"
      "waiting up to agent.lease_seconds while another agent holds it.\n"
      "Exit 0 when everything was pushed, 3 when records were parked, 1 on a failure.\n\n"
      "Options");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  if (!ctx.config_path) {
    err << "zcrmsync push: --config FILE is required (zcrmsync --config FILE push)\n";
    return kExitUsage;
  }
  auto e = OpenEngineOrReport(ctx, "push", err);
  if (!e) return kExitFailure;
  sync::Lease lease(*e->db, e->kit, {.duration = seconds(e->config.agent.lease_seconds)});
  if (Status s = TakeLeaseForOneShot(lease); !s.ok()) {
    err << "zcrmsync push: " << s.message() << "\n";
    return kExitFailure;
  }
  sync::Pusher pusher(*e->db, e->config, e->kit, *e->zoho.client, e->fields,
                      {.batch = static_cast<size_t>(e->config.sync.push_batch_size),
                       .erp_time_zone = e->config.database.time_zone, .should_stop = [&] {
                         // A failed renewal leaves the lease valid until its deadline.
                         (void)lease.Renew();
                         return ShutdownRequested() || !lease.Valid();
                       }});
  auto stats = pusher.Drain();
  (void)lease.Release();
  if (!stats) {
    err << "zcrmsync push: " << stats.error().message() << "\n";
    return kExitFailure;
  }
  PrintPush(*stats, out);
  return stats->parked > 0 ? kExitParked : kExitOk;
}

int RunSync(const CommandArgs& args, const Context& ctx, std::ostream& out, std::ostream& err) {
  po::options_description opts(
      "zcrmsync --config FILE run [--once]: the sync agent.\n"
      "Each cycle pulls what changed in Zoho since the watermark (echoes of our own writes\n"
      "skipped), merges it field by field with the ERP rows and writes the ERP's share\n"
      "back, then pushes the captured ERP changes. Rows that existed before install are\n"
      "loaded once, in key order, resumably. Without --once it repeats every\n"
      "sync.interval_seconds; a transient failure (database or Zoho unreachable, rate\n"
      "limit) is logged and retried next cycle.\n"
      "Failover: only the agent holding the lease (a row in the agent's state table,\n"
      "renewed every cycle) syncs; other agents on the same database stand by and take\n"
      "over within agent.lease_seconds when the holder dies.\n"
      "Stopping: SIGTERM or SIGINT finishes the batch in flight, saves the checkpoint,\n"
      "gives up the lease and exits 0 (within seconds); a second signal exits at once,\n"
      "which is safe (the next run resends the cut-off batch without duplicates).\n"
      "SIGHUP re-reads the config between cycles; an invalid one is logged and the\n"
      "running one kept.\n"
      "With agent.http_listen set, GET /health and GET /metrics (Prometheus) are served.\n"
      "Under systemd (Type=notify) it reports READY, STATUS and WATCHDOG.\n"
      "With --once: one cycle in each direction (waiting for the lease if another agent\n"
      "holds it); exit 0 when everything synced, 3 when records were parked in the dead\n"
      "letter, 1 on a fatal error (bad config, unreachable database, failed\n"
      "authentication).\n\nOptions");
  opts.add_options()("once", "run one cycle in each direction, then exit");
  po::variables_map vm;
  if (auto code = ParseCommand(args, opts, nullptr, vm, out)) return *code;
  if (!ctx.config_path) {
    err << "zcrmsync run: --config FILE is required (zcrmsync --config FILE run)\n";
    return kExitUsage;
  }
  auto e = OpenEngineOrReport(ctx, "run", err);
  if (!e) return kExitFailure;
  Agent agent(ctx, std::move(e), vm.count("once") > 0, out, err);
  return agent.Run();
}

}  // namespace zcrmsync::agent
