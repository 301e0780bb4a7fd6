#include "sync/lease.h"

#include <cstdio>
#include <cstdlib>
#include <random>

#if defined(_WIN32)
#include <process.h>  // _getpid; the host name comes from COMPUTERNAME
#else
#include <unistd.h>
#endif

#include "change_capture/catalog.h"
#include "core/status_macros.h"
#include "odbc/statement.h"

namespace zcrmsync::sync {
namespace {

std::string HostName() {
#if defined(_WIN32)
  const char* name = std::getenv("COMPUTERNAME");
  return name != nullptr && *name != '\0' ? name : "unknown-host";
#else
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "unknown-host";
  return buf;
#endif
}

long ProcessId() {
#if defined(_WIN32)
  return static_cast<long>(_getpid());
#else
  return static_cast<long>(::getpid());
#endif
}

// Another agent wrote the lease row at the same moment: a unique-key
// violation (it inserted the missing row first) or a deadlock (MySQL's
// insert-or-update locks). The row then tells who won.
bool IsContention(const Status& s) {
  auto sqlstate = s.GetPayload("sqlstate");
  return s.code() == StatusCode::kAborted || (sqlstate && sqlstate->starts_with("23"));
}

}  // namespace

std::string MakeHolderId() {
  std::random_device rd;
  char random[16];
  std::snprintf(random, sizeof(random), "%08x", static_cast<unsigned>(rd()));
  return HostName() + ":" + std::to_string(ProcessId()) + ":" + random;
}

Lease::Lease(odbc::Connection& db, change_capture::KitOptions kit, LeaseOptions options,
             Clock& clock)
    : db_(&db), kit_(std::move(kit)), options_(std::move(options)), clock_(clock) {
  if (options_.holder.empty()) options_.holder = MakeHolderId();
  if (options_.duration < std::chrono::seconds(3)) options_.duration = std::chrono::seconds(3);
}

std::chrono::steady_clock::duration Lease::Margin() const {
  // A third of the lease: the longest write batch may take after the last
  // check before the database could hand the lease to another agent.
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.duration) / 3;
}

Result<bool> Lease::Acquire() {
  const auto sent_at = clock_.SteadyNow();
  last_attempt_ = sent_at;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql,
                            change_capture::RenderAgentStatement(kit_, "acquire_lease.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, db_->Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll({Value::Text(options_.name), Value::Text(options_.holder),
                                         Value::Int64(options_.duration.count())}));
  auto run = stmt.Execute();
  if (!run && !IsContention(run.error())) {
    return Error(run.error().WithContext("acquire lease"));
  }
  // The statement changed the row only if we may hold it; the row tells.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto value, change_capture::LoadState(*db_, kit_, options_.name));
  seen_holder_ = value.value_or("");
  held_ = seen_holder_ == options_.holder;
  // A statement that lost a race renewed nothing: the old deadline stands.
  if (held_ && run) deadline_ = sent_at + options_.duration - Margin();
  return Valid();
}

Result<bool> Lease::Renew(std::chrono::milliseconds min_interval) {
  if (Valid() && clock_.SteadyNow() - last_attempt_ < min_interval) return true;
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(Acquire()));
  return Valid();
}

bool Lease::Valid() { return held_ && clock_.SteadyNow() < deadline_; }

Status Lease::Release() {
  held_ = false;
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql,
                            change_capture::RenderAgentStatement(kit_, "release_lease.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, db_->Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(
      stmt.BindAll({Value::Text(options_.name), Value::Text(options_.holder)}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("release lease"));
  seen_holder_.clear();
  return Status();
}

}  // namespace zcrmsync::sync
