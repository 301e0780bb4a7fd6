// Pusher: ERP -> CRM. Reads committed changes after the push cursor in
// commit order, coalesces them per key, reads each row's current values,
// converts them, and sends only the fields that differ from the merge base:
// creates as upserts on the external id field (a retry after a crash never
// duplicates), updates by Zoho id with If-Unmodified-Since (a 412 is merged
// field by field with the CRM's record, see record_merge.h), deletes by id.
// The links, the new base values, parked records and the cursor are then
// committed in one database transaction. A data error parks that record
// (later changes to it wait behind it) and never blocks the others; a
// transient failure stops the pass without moving the cursor.
//
// Drain() pipelines: while one pass's Zoho calls are in flight (on a second
// thread, which touches only the Zoho client), the next pass is read and
// prepared on the calling thread, which alone uses the database. The next
// pass is only prepared ahead when that cannot see stale state: it shares no
// key with the pass in flight, needs no Zoho call of its own, and looks up
// no mapping the pass in flight writes. Otherwise it waits its turn.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "change_capture/change_reader.h"
#include "change_capture/sql_kit.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/value.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"
#include "sync/link_store.h"

namespace zcrmsync::sync {

struct PushPass;     // one batch of changes on its way (push.cpp)
struct PushMappingWork;  // one mapping's share of a pass (push.cpp)
struct PushPending;  // one key of a pass, coalesced (push.cpp)
struct PushOutgoing;  // what one key becomes (push.cpp)

struct PushCounts {
  int64_t changes = 0;    // change entries read (before coalescing)
  int64_t created = 0;    // upserts that created a CRM record
  int64_t updated = 0;    // records updated (upsert matches included)
  int64_t deleted = 0;
  int64_t unchanged = 0;  // nothing differed from the base: no call
  int64_t parked = 0;     // data errors, parked in the dead letter
  int64_t waiting = 0;    // changes held behind a parked record
  int64_t matched = 0;    // rows linked to an existing CRM record on match_fields
  int64_t held = 0;       // ambiguous matches and manual conflicts held for a person
  int64_t reconciled = 0; // merged field by field with the CRM record: 412s (it changed
                          // meanwhile), and creates found in Zoho that never landed
  int64_t zoho_calls = 0;  // API calls made for this mapping, and their credits
  int64_t zoho_credits = 0;

  PushCounts& operator+=(const PushCounts& o);
};

// The totals, and the same counts per mapping name.
struct PushStats : PushCounts {
  std::map<std::string, PushCounts> by_mapping;
};

struct PushOptions {
  // Change rows per pass. 4,000 keys make 40 calls of 100: the 10 call
  // slots stay full for four rounds, so a pass's last, slowest call costs
  // little (1,000 lost about 10 % of the throughput to it, measured).
  size_t batch = 4000;
  std::string erp_time_zone = "UTC";  // for timestamp columns without a zone
  // Asked before each batch; true ends Drain() after the batch in flight
  // (graceful shutdown, a lost lease). Everything committed so far stays.
  std::function<bool()> should_stop;
};

class Pusher {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the pusher.
  // `fields` holds Zoho's field metadata per module of the mappings.
  Pusher(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
         crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
         PushOptions options = {});

  // Pushes every change committed before the call, pass after pass, until
  // none is left. Errors: the database's or Zoho's, after retries.
  Result<PushStats> Drain();

 private:
  // The next `limit` keys after `cursor`, coalesced per key; nullptr when
  // there are none.
  Result<std::unique_ptr<PushPass>> Read(change_capture::ChangeReader& reader,
                                         const std::string& cursor, size_t limit);
  // Reads the rows and links of one mapping's keys, converts them and sorts
  // them into upserts, updates and deletes; writes nothing. `ahead`:
  // another pass's calls are in flight, so no Zoho call is made; false
  // means one was needed (the pass is prepared again in its turn).
  Result<bool> Prepare(PushPass& pass, PushMappingWork& work, bool ahead);
  // The 412 reconcile of `stale` records (and creates that never landed):
  // both sides read as they are now and merged field by field.
  Status Reconcile(PushPass& pass, PushMappingWork& work, const std::vector<PushOutgoing*>& stale);
  // Parks a record Zoho refused for now (RECORD_LOCKED, ...) until a
  // backoff has passed; after a few tries it stays parked for a person.
  Status Defer(PushPass& pass, const mappings::Mapping& m, const PushPending& p,
               const std::optional<Link>& link, const Status& why);
  // A row whose lookup target (the row another mapping looks up) is not in
  // Zoho yet waits for it, queued for the next run, when that row exists
  // and is on its way (not parked, the change not older than an hour);
  // false: it is parked.
  Result<bool> WaitsForLookup(PushPass& pass, const PushPending& p, const Status& why);
  // Queues the records whose deferral has run out for the next push.
  Status ReleaseDeferred();
  // Changes of mappings not in the config were kept behind the cursor: a
  // mapping back in the config has them moved after it; for one still
  // missing, a warning.
  Status HandleKept(change_capture::ChangeReader& reader, const std::string& cursor);
  // Commits the creates' links ahead of their calls (the write-ahead base)
  // and builds the calls' bodies.
  Status Seal(PushPass& pass, PushMappingWork& work);
  // Takes back the links a sealed pass wrote ahead, when it is not sent.
  Status Unseal(PushPass& pass);
  // The Zoho calls of one mapping; no database access (runs on the sender).
  Status Send(PushMappingWork& work);
  // The calls' results (their replies are read here): links, parked
  // records, the 412 reconcile. The
  // mapping's links are committed, so a later mapping can look them up.
  Status Land(PushPass& pass, PushMappingWork& work);
  // The rest of the pass and the cursor, in one transaction.
  Status Commit(PushPass& pass);
  // The pass after `in_flight`, prepared ahead; nullptr when there is none
  // or it cannot be prepared ahead safely.
  Result<std::unique_ptr<PushPass>> ReadAhead(change_capture::ChangeReader& reader,
                                              const PushPass& in_flight, size_t limit);
  // The CRM records carrying these external ids (keyed by them), for a
  // delete or a create whose link was lost or never landed.
  struct CrmRecordRef {
    std::string id;
    std::optional<Timestamp> created;
  };
  Result<std::multimap<std::string, CrmRecordRef>> FindByExternalIds(
      const mappings::Mapping& m, const std::set<std::string>& external_ids);
  // The creates of `work` whose links were written ahead by an attempt that
  // never landed and whose records Zoho holds: moved to `work.unlanded`, for
  // Land to reconcile.
  Status SettleUnlandedCreates(const mappings::Mapping& m, PushMappingWork& work);
  // Initial matching of an unlinked row: the CRM records whose match_fields
  // equal the row's values (in `record`, already converted).
  struct CrmMatch {
    std::optional<std::string> zoho_id;  // exactly one free record
    bool ambiguous = false;              // several, or one linked elsewhere
    std::string candidates;              // JSON array of their ids
  };
  Result<CrmMatch> MatchInCrm(const mappings::Mapping& m, const std::string& key_json,
                              const crm::Record& record);

  odbc::Connection& db_;
  const mappings::Config& config_;
  change_capture::KitOptions kit_;
  crm::ZohoClient& crm_;
  std::map<std::string, std::vector<crm::FieldInfo>> fields_;
  PushOptions options_;
  std::set<std::pair<std::string, std::string>> requeued_;  // (mapping, key) this Drain
};

}  // namespace zcrmsync::sync
