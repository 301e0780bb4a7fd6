// InitialLoader: the rows that existed before install. It walks each
// ERP -> CRM mapping's table in key order (keyset paging) and queues the keys
// in the change table, so the ordinary push creates or updates their CRM
// records (upserts on the external id: nothing is duplicated). Each chunk
// and the load cursor commit together, so a crash resumes where it stopped;
// live changes keep flowing meanwhile through the triggers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::sync {

struct LoadProgress {
  int64_t queued = 0;                 // keys queued by this call
  std::map<std::string, bool> done;   // per mapping: the whole table is queued
};

class InitialLoader {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the loader.
  // `should_stop` is asked before each chunk (the service feeds its watchdog
  // and renews its lease there); true ends QueueAll() after the chunks
  // committed so far, and the next call resumes.
  InitialLoader(odbc::Connection& db, const mappings::Config& config,
                change_capture::KitOptions kit, int64_t chunk = 1000,
                std::function<bool()> should_stop = {});

  // Queues every key not queued yet, chunk by chunk; a finished mapping is
  // skipped at once.
  Result<LoadProgress> QueueAll();

 private:
  odbc::Connection& db_;
  const mappings::Config& config_;
  change_capture::KitOptions kit_;
  int64_t chunk_;
  std::function<bool()> should_stop_;
};

}  // namespace zcrmsync::sync
