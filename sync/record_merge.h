// One linked record's three-way merge, shared by the pull and by the push's
// 412 reconcile: the ERP row, the CRM record and the link's base go in; what
// to write to each side and the link to keep come out. Nothing is written
// here. A value that cannot be converted parks the record (data error), it
// never fails the batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/value.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "sync/link_store.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {

struct RecordMergeInput {
  const mappings::Config* config = nullptr;
  const mappings::Mapping* mapping = nullptr;
  const ResolvedMapping* resolved = nullptr;  // every mapped field; `row` has its columns
  std::string erp_time_zone = "UTC";
  const Link* link = nullptr;                  // with a zoho_id
  const std::vector<std::string>* key = nullptr;
  const std::vector<Value>* row = nullptr;
  const crm::Record* crm = nullptr;
  std::optional<Timestamp> crm_modified;       // the record's Modified_Time, UTC
  // When the ERP row changed; nullopt: the link's erp_changed_at.
  std::optional<Timestamp> erp_changed;
  bool check_echo = true;  // skip our own writes coming back (the pull)
  Clock::Duration clock_skew{0};
  LinkStore* links = nullptr;  // resolves lookup fields; REQUIRED  // CRM clock minus database clock (sync/clock_skew.h)
};

struct RecordMergeOutcome {
  enum class Kind { kEcho, kMerged, kParked };
  Kind kind = Kind::kMerged;
  Status error;             // kParked: the data error
  std::string error_field;  // kParked: the field, when known
  // kMerged: the ERP columns to write (with their values), the CRM update
  // (with "id") if any, the link to save, and the conflicts.
  std::vector<std::string> erp_columns;
  std::vector<Value> erp_values;
  std::vector<Value> erp_seen;  // the row's values of erp_columns, as read
  std::optional<crm::Record> crm_update;
  Link link;
  std::vector<HeldConflict> held;
  int64_t conflicts = 0;
  // A latest_wins conflict was settled without the ERP change's own time
  // (an ERP edit not pushed yet): the pull leaves such a record to the push,
  // whose 412 reconcile knows the time.
  bool needs_erp_time = false;
};

Result<RecordMergeOutcome> MergeRecord(const RecordMergeInput& in);

}  // namespace zcrmsync::sync
