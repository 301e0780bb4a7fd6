// Puller: CRM -> ERP. Scans what changed in Zoho since the mapping's
// watermark (minus an overlap) page by page, paged by key (crm::ZohoClient::
// ScanModified), skips the echoes of our own writes, merges each record field
// by field with the ERP row and the merge base (sync/merge.h), sends the
// CRM's share to Zoho with the record's Modified_Time as If-Unmodified-Since,
// and commits each page's ERP writes (echo suppression on), links (new base)
// and the scan position in one database transaction, so memory stays flat
// and a crash redoes at most the page in flight. A record the ERP refuses
// (a data error: NOT NULL, length, foreign key, unique, check) is parked and
// the rest of its page lands. Zoho deletes, listed with their own watermark,
// follow the mapping's `deletes` policy. New CRM records become ERP rows or
// are matched (FirstContact); fields held under the manual rule go to the
// conflicts table (once per open record and field).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
  int64_t deferred = 0;      // left to the push's reconcile (latest_wins; rows edited meanwhile)
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
  // Re-read this much before each watermark (the modified records' and the
  // deletions'): Zoho's whole seconds, records made visible late, and the
  // clock offset's half-second uncertainty.
  std::chrono::seconds overlap{5};
  // Asked before each mapping and after each page; true ends RunOnce() early
  // (graceful shutdown, a lost lease). Every page pulled so far is committed.
  std::function<bool()> should_stop;
};

// The sync state entries of a mapping's pull: where its scan of modified
// records resumes (the Modified_Time; and while a scan is under way, the
// last id delivered within that second, "0" for none, so that it resumes
// there exactly rather than the overlap before), and the Zoho time
// deletions were last listed at.
std::string PullWatermarkStateName(const std::string& mapping);
std::string PullResumeIdStateName(const std::string& mapping);
std::string PullDeletedWatermarkStateName(const std::string& mapping);

class Puller {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the puller.
  Puller(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
         crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
         PullOptions options = {});

  // One pull of every mapping whose direction lets CRM changes in.
  Result<PullStats> RunOnce();

 private:
  struct Run;       // one mapping's pull
  struct PageItem;  // one record's writes in a page
  struct Landing;   // what a page commits besides its records

  Status PullMapping(const mappings::Mapping& m, PullCounts& stats);
  // The refetch requests, then the scan from `from`.
  Status Scan(Run& run, const crm::ListPosition& from);
  // Merges, sends the CRM shares and lands one page of records.
  Status PullPage(Run& run, std::vector<crm::Record> records, Landing& landing);
  Status MergeOne(Run& run, const crm::Record& r, std::vector<PageItem>& items, Landing& landing);
  // The CRM shares, each with the record's Modified_Time as listed as
  // If-Unmodified-Since. A record Zoho refuses is dropped from `items`
  // (nothing of it lands): with 412 (changed meanwhile) or for now, it is
  // fetched again by the next pull; for good, it is parked.
  Status SendCrmShares(Run& run, std::vector<PageItem>& items, Landing& landing);
  Status ApplyDeletes(Run& run, const std::vector<crm::DeletedRecord>& deleted,
                      Clock::TimePoint listed_at);
  // Commits `items` and `landing` in one transaction; when the ERP refuses
  // a write (INVALID_ARGUMENT), each item in its own transaction instead,
  // parking those refused, then `landing`.
  Status Land(Run& run, std::vector<PageItem>& items, Landing& landing);
  Status LandItem(Run& run, PageItem& item);  // sets item.dropped when it cannot land
  Status LandRest(Run& run, const Landing& landing);
  // `body` inside a transaction with echo suppression on.
  Status InAgentTransaction(const Run& run, const std::function<Status()>& body);
  ParkedRecord Park(Run& run, std::optional<std::string> erp_key,
                    std::optional<std::string> zoho_id, const Status& s, const std::string& field);
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
  std::set<std::string> claimed_keys_;  // ERP keys matched during this page
  bool stopping_ = false;               // should_stop said so during a scan
};

}  // namespace zcrmsync::sync
