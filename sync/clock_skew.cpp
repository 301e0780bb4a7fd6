#include "sync/clock_skew.h"

#include "core/status_macros.h"
#include "core/value.h"
#include "odbc/statement.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {

Result<std::optional<Clock::Duration>> MeasureClockSkew(odbc::Connection& db,
                                                        const change_capture::KitOptions& kit,
                                                        const crm::ZohoClient& crm, Clock& clock) {
  const std::optional<Clock::Duration> crm_offset = crm.ClockOffset();
  if (!crm_offset) return std::optional<Clock::Duration>();
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderAgentStatement(kit, "db_clock.sql"));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, db.Prepare(sql));
  const Clock::TimePoint before = clock.Now();
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext("read the database clock"));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return Error(InternalError("the database clock query returned no row"));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto text, stmt.GetText(1));
  const Clock::TimePoint after = clock.Now();
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  auto db_now = ParseTimestamp(text.value_or(""));
  if (!db_now) {
    return Error(InternalError("cannot read the database clock from '" + text.value_or("NULL") + "'"));
  }
  const Clock::TimePoint local = before + (after - before) / 2;
  const Clock::Duration db_offset = ToTimePoint(*db_now) - local;
  return std::optional<Clock::Duration>(*crm_offset - db_offset);
}

}  // namespace zcrmsync::sync
