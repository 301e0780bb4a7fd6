// The agent's memory per synced row, in its own tables: the links (ERP key
// <-> Zoho id <-> external id, the merge base, the last change time on each
// side) and the dead letter (records parked after a data error). Statements
// are prepared once per store. Not thread-safe: one store per connection.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <string_view>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "core/value.h"
#include "odbc/connection.h"

namespace zcrmsync::sync {

struct Link {
  std::string mapping;
  std::string erp_key;                  // the key as compact JSON, e.g. ["42"]
  std::optional<std::string> zoho_id;
  std::optional<std::string> external_id;
  std::string base_values;              // JSON object: Zoho field -> canonical value
  std::optional<Timestamp> erp_changed_at;   // UTC
  std::optional<Timestamp> crm_modified_at;  // UTC

  bool operator==(const Link&) const = default;
};

struct ParkedRecord {
  int64_t error_id = 0;
  std::string mapping;
  std::optional<std::string> erp_key;
  std::optional<std::string> zoho_id;
  std::string direction;    // "erp_to_crm" or "crm_to_erp"
  std::string status_code;  // e.g. "INVALID_ARGUMENT"
  std::optional<std::string> field;
  std::string message;
  int64_t attempts = 1;
};

// The `field` of a conflict that is an ambiguous initial match, not a field:
// its erp_key lists the candidate rows, its crm_value the match values.
inline constexpr std::string_view kMatchConflictField = "(match_fields)";

struct HeldConflict {
  int64_t conflict_id = 0;
  std::string mapping;
  std::string erp_key;
  std::optional<std::string> zoho_id;
  std::string field;
  std::optional<std::string> base_value;  // canonical values
  std::optional<std::string> erp_value;
  std::optional<std::string> crm_value;
};

class LinkStore {
 public:
  // REQUIRES: `connection` outlives the store; the SQL kit is installed.
  LinkStore(odbc::Connection& connection, change_capture::KitOptions kit);
  ~LinkStore();
  LinkStore(const LinkStore&) = delete;
  LinkStore& operator=(const LinkStore&) = delete;

  Result<std::optional<Link>> Load(const std::string& mapping, const std::string& erp_key);
  // The links of many keys of one mapping, a few statements for the lot;
  // a key with no link is absent from the result (keyed by erp_key).
  Result<std::map<std::string, Link>> LoadMany(const std::string& mapping,
                                               const std::vector<std::string>& erp_keys);
  Result<std::optional<Link>> FindByZohoId(const std::string& mapping, const std::string& zoho_id);
  Status Save(const Link& link);
  // Creates or replaces the links of many keys (no key twice), a few
  // statements for the lot. A Zoho id already linked to another key fails
  // it (nothing is saved in a transaction the caller then rolls back).
  Status SaveMany(const std::vector<Link>& links);
  Status Delete(const std::string& mapping, const std::string& erp_key);

  // The dead letter. A record with an open parked row (same mapping,
  // direction, ERP key and Zoho id) is not parked twice: its row counts the
  // attempt and takes the newest error.
  Status Park(const ParkedRecord& record);
  Result<std::vector<ParkedRecord>> ListParked();
  // The manual rule's held fields: recorded once per open (record, field).
  Status Hold(const HeldConflict& conflict);
  Result<std::vector<HeldConflict>> ListConflicts();
  // What the push leaves alone: ERP keys with an open parked record (later
  // changes wait behind it), and fields held for a person.
  struct HeldBack {
    std::set<std::pair<std::string, std::string>> parked_keys;                 // mapping, erp_key
    std::set<std::tuple<std::string, std::string, std::string>> held_fields;  // + field
  };
  Result<HeldBack> ListHeldBack();

  // Closes a held conflict, recording the side taken ("erp" or "crm").
  // NOT_FOUND when no open conflict has that id.
  Status SettleConflict(int64_t conflict_id, std::string_view side);

  // Closes a parked record; an ERP -> CRM one is queued for the push again
  // (its row's current state is sent; at `changed_at` when given), a
  // CRM -> ERP one for the next pull (the record is fetched again by id),
  // and its ERP key for the push too: ERP changes that waited behind it go
  // out. NOT_FOUND when no open record has that id.
  Status Retry(const ParkedRecord& record, std::optional<Timestamp> changed_at = std::nullopt);
  // Queues one ERP key (compact JSON, e.g. ["42"]) for the push, as if its
  // row had changed: at `changed_at` (UTC) when given, so a change queued
  // again keeps its own time for latest_wins, else now.
  Status Enqueue(const std::string& mapping, const std::string& erp_key,
                 std::optional<Timestamp> changed_at = std::nullopt);

 private:
  struct Statements;
  Result<odbc::Statement*> Get(std::string_view template_name);
  // A batch statement for `count` items.
  Result<odbc::Statement> PrepareBatch(std::string_view template_name, size_t count, size_t width);

  odbc::Connection& connection_;
  change_capture::KitOptions kit_;
  std::unique_ptr<Statements> statements_;
};

// The sync state entries naming CRM records the next pull of a mapping
// fetches again ("pull/<mapping>/refetch/<zoho id>").
std::string RefetchStatePrefix(const std::string& mapping);
std::string RefetchStateName(const std::string& mapping, const std::string& zoho_id);

}  // namespace zcrmsync::sync
