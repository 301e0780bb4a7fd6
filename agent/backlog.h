// Where each mapping's push stands: the captured changes waiting after the
// push cursor and the lag (the age of the oldest one). Shared by `run` (for
// /metrics) and `status`. Reads only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::agent {

struct Backlog {
  int64_t waiting = 0;                // captured changes waiting to be pushed
  std::optional<double> lag_seconds;  // age of the oldest waiting change; 0 when none
  bool lag_is_lower_bound = false;    // its oldest change lies beyond the window read
};

// Per mapping of `config`. The lag is exact when a mapping's oldest waiting
// change is among the next `window` changes; past that, the age of the
// window's last change is reported as a lower bound.
Result<std::map<std::string, Backlog>> MeasureBacklog(odbc::Connection& db,
                                                      const change_capture::KitOptions& kit,
                                                      const mappings::Config& config,
                                                      size_t window = 1000);

}  // namespace zcrmsync::agent
