#include "agent/backlog.h"

#include <algorithm>
#include <chrono>

#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "sync/sync_util.h"

namespace zcrmsync::agent {

Result<std::map<std::string, Backlog>> MeasureBacklog(odbc::Connection& db,
                                                      const change_capture::KitOptions& kit,
                                                      const mappings::Config& config,
                                                      size_t window) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto cursor, change_capture::LoadState(db, kit, "push/cursor"));
  change_capture::ChangeReader reader(db, kit);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto counts, reader.CountAfter(cursor.value_or("")));
  int64_t total = 0;
  for (const auto& [name, n] : counts) total += n;
  std::vector<change_capture::Change> pending;
  if (total > 0) {
    ZCRMSYNC_ASSIGN_OR_RETURN(pending, reader.Next(cursor.value_or(""), window));
  }
  const Clock::TimePoint now = SystemClock().Now();
  auto age = [&](const Timestamp& t) {
    return std::max(0.0, std::chrono::duration<double>(now - sync::ToTimePoint(t)).count());
  };
  std::map<std::string, Backlog> out;
  for (const auto& m : config.mappings) {
    Backlog b;
    b.waiting = counts.contains(m.name) ? counts.at(m.name) : 0;
    if (b.waiting == 0) {
      b.lag_seconds = 0;
    } else if (!pending.empty()) {
      b.lag_seconds = age(pending.back().changed_at);
      b.lag_is_lower_bound = true;
      for (const auto& change : pending) {
        if (change.mapping == m.name) {
          b.lag_seconds = age(change.changed_at);
          b.lag_is_lower_bound = false;
          break;
        }
      }
    }
    out[m.name] = b;
  }
  return out;
}

}  // namespace zcrmsync::agent
