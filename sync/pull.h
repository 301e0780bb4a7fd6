// Puller: CRM -> ERP for linked records. Fetches what changed in Zoho since
// the mapping's watermark (minus an overlap, de-duplicated), skips the echoes
// of our own writes, merges each record field by field with the ERP row and
// the merge base (sync/merge.h), writes the ERP's share back with echo
// suppression on, sends the CRM's share to Zoho, and commits the ERP writes,
// the links (new base) and the watermark in one database transaction. Zoho
// deletes follow the mapping's `deletes` policy.
//
// Fields held under the manual rule go to the conflicts table (once per open
// record and field). Not yet: CRM records with no link (new records and
// initial matching), resolving conflicts, the clock-skew measurement, lookups.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"
#include "sync/link_store.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {

struct PullCounts {
  int64_t fetched = 0;       // records Zoho returned
  int64_t echoes = 0;        // our own writes coming back: skipped
  int64_t unlinked = 0;      // CRM records with no link left for the push to link (see .cpp)
  int64_t erp_created = 0;   // new ERP rows made from new CRM records
  int64_t matched = 0;       // CRM records linked to an existing row on match_fields
  int64_t deferred = 0;      // latest_wins conflicts left to the push's reconcile
  int64_t relinked = 0;      // our records whose link a crash lost, linked again
  int64_t zoho_calls = 0;    // API calls made for this mapping, and their credits
  int64_t zoho_credits = 0;
  int64_t erp_updated = 0;   // ERP rows written back
  int64_t crm_updated = 0;   // records whose merge sent values back to Zoho
  int64_t conflicts = 0;     // fields changed on both sides (resolved or held)
  int64_t held = 0;          // of which held for a person (manual rule)
  int64_t erp_deleted = 0;   // ERP rows deleted (or soft-deleted) after a Zoho delete
  int64_t parked = 0;

  PullCounts& operator+=(const PullCounts& o);
};

// The totals, and the same counts per mapping name.
struct PullStats : PullCounts {
  std::map<std::string, PullCounts> by_mapping;
};

struct PullOptions {
  std::string erp_time_zone = "UTC";
  std::chrono::seconds overlap{5};  // re-read this much before the watermark
  // Asked before each mapping; true ends RunOnce() early (graceful shutdown,
  // a lost lease). Every mapping pulled so far is committed.
  std::function<bool()> should_stop;
};

class Puller {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the puller.
  Puller(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
         crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
         PullOptions options = {});

  // One pull of every mapping whose direction lets CRM changes in.
  Result<PullStats> RunOnce();

 private:
  Status PullMapping(const mappings::Mapping& m, PullCounts& stats);
  // A CRM record with no link: initial matching on match_fields, else a new
  // ERP row (committed with its link at once). Returns the link to merge
  // through (a match), or nullopt when the record was created, skipped, held
  // as an ambiguous match (added to `held`) or parked (added to `parks`).
  // `adopted`: the link is one the push wrote ahead of creating the record
  // (a crash lost the Zoho id), with the base it sent.
  Result<std::optional<Link>> FirstContact(const mappings::Mapping& m,
                                           const ResolvedMapping& resolved, const crm::Record& r,
                                           const std::string& id,
                                           std::optional<Timestamp> modified, LinkStore& store,
                                           PullCounts& stats, std::vector<HeldConflict>& held,
                                           std::vector<ParkedRecord>& parks, bool& adopted);
  Result<ValueType> ColumnType(const mappings::Mapping& m, const std::string& column);

  odbc::Connection& db_;
  const mappings::Config& config_;
  change_capture::KitOptions kit_;
  crm::ZohoClient& crm_;
  std::map<std::string, std::vector<crm::FieldInfo>> fields_;
  PullOptions options_;
  std::map<std::string, std::map<std::string, ValueType>> column_types_;  // per mapping
  std::set<std::string> claimed_keys_;  // ERP keys matched during this mapping's pull
};

}  // namespace zcrmsync::sync
