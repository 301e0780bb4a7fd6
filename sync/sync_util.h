// Small shared pieces of the sync engine: UTC time conversions, Zoho's
// Modified_Time, the merge base as JSON, external ids.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/value.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"
#include "odbc/statement.h"
#include "sync/convert.h"

namespace zcrmsync::sync {

Clock::TimePoint ToTimePoint(const Timestamp& utc);
Timestamp FromTimePoint(Clock::TimePoint tp);

// "2026-11-30T10:15:00+05:30" (Zoho's rendering) -> UTC; nullopt if malformed.
std::optional<Timestamp> ParseZohoTime(const std::string& text);
// A time field of a record (e.g. "Modified_Time"), UTC; nullopt when absent
// or malformed.
std::optional<Timestamp> RecordTime(const crm::Record& record, const std::string& field);

// The merge base: a JSON object of Zoho field -> canonical value.
std::map<std::string, std::string> ParseBase(const std::string& json);
std::string BaseToJson(const std::map<std::string, std::string>& base);

// The value of the external id field for an ERP key: the key itself for one
// column, the compact JSON array for several.
std::string ExternalId(const std::vector<std::string>& key);

// One mapped field with its Zoho metadata and where its column is in the
// row read by select_row.sql.
struct ResolvedField {
  const mappings::FieldMapping* mapping;
  const crm::FieldInfo* info;
  size_t column_index;
};

struct ResolvedMapping {
  std::vector<std::string> columns;  // the key columns, then each field's column once
  std::vector<ResolvedField> fields;
};

// The fields of `m` (only those flowing ERP -> CRM when `erp_to_crm_only`)
// with their metadata from `fields` (per module). FAILED_PRECONDITION names
// a module or field Zoho does not have.
Result<ResolvedMapping> ResolveFields(
    const mappings::Mapping& m, const std::map<std::string, std::vector<crm::FieldInfo>>& fields,
    bool erp_to_crm_only);

// The columns the push reads for `m`'s rows: `resolved`'s, plus the
// soft-delete marker column when the mapping has one (a row whose marker is
// set counts as deleted); `soft_index` is where the marker is read.
struct PushColumns {
  std::vector<std::string> columns;
  std::optional<size_t> soft_index;
};
PushColumns ColumnsToPush(const mappings::Mapping& m, const ResolvedMapping& resolved);

// How the ODBC layer should bind a value for a column of this catalogue type
// (change_capture::DescribeTable's spelling, any dialect): the type ToErp
// converts to. Unknown types are text.
ValueType ValueTypeOfColumnType(const std::string& catalog_type);

// A Zoho value as a COQL literal: a quoted, escaped string, a number or a
// boolean. nullopt for null and for values COQL cannot compare (objects,
// arrays), which never match.
std::optional<std::string> CoqlLiteral(const crm::JsonValue& value);

// The external id a CRM record carries ("" when none): a string, or a number
// as its text.
std::string ExternalIdOf(const crm::Record& record, const std::string& field);

// Soft deletes: the value that marks a row deleted in a column of `type`
// (true, 1, or the time `now` for dates and times, as the wall time in
// `erp_time_zone` like every ERP time without a zone; INVALID_ARGUMENT for
// text and other types, or an unknown zone), and whether a value marks it
// (true, non-zero, any date or time; NULL and false do not).
Result<Value> DeletedMarker(ValueType type, Clock::TimePoint now, std::string_view erp_time_zone);
bool IsDeletedMarker(const Value& value);

// The mapping a lookup to Zoho module `module` resolves through: the first
// with a one-column key that syncs it; nullptr when there is none.
const mappings::Mapping* LookupTarget(const mappings::Config& config, const std::string& module);

// The conversion spec of one mapped field (sync/convert.h). A lookup field
// resolves through the links of the mapping whose module it points at: the
// referenced row's ERP key <-> its Zoho id (FAILED_PRECONDITION naming the
// row or record when it is not synced yet). `links` must outlive the spec.
// A lookup to a row not in Zoho yet fails with these payloads: the target
// mapping and the row's key (compact JSON).
inline constexpr std::string_view kLookupPendingMapping = "lookup_pending_mapping";
inline constexpr std::string_view kLookupPendingKey = "lookup_pending_key";
class LinkStore;
FieldSpec SpecFor(const mappings::Config& config, const mappings::Mapping& m,
                  const ResolvedField& f, ValueType erp_type, const std::string& erp_time_zone,
                  LinkStore& links);

// The mapped table of `m` as the SQL kit names it (row statements).
change_capture::CaptureTable RowTable(const mappings::Mapping& m);

// Values for some columns of one ERP row, by its key (one text per column).
struct ErpWrite {
  std::vector<std::string> key;
  std::vector<std::string> columns;
  std::vector<Value> values;
  // The row's values of `columns` when the merge read it; empty: written
  // whatever the row holds now.
  std::vector<Value> seen;
};

// UPDATEs the row of `m` (update_row.sql). The caller holds the transaction
// and, for write-back, echo suppression. Errors name the table. With
// `seen`, the row is locked and read first (lock_row.sql): ABORTED with the
// payload kChangedSinceRead, and nothing written, when it is gone or no
// longer holds `seen` (an ERP edit since the merge read it, which goes to
// Zoho as a change of its own). Other ABORTED errors (a deadlock, a lock
// timeout) come from the database.
inline constexpr std::string_view kChangedSinceRead = "changed_since_read";
Status WriteErpRow(odbc::Connection& db, const change_capture::KitOptions& kit,
                   const mappings::Mapping& m, const ErpWrite& write);

// The same, column by column: with `seen`, writes only the columns that
// still hold what the merge read, and returns the others (every column when
// the row is gone).
Result<std::vector<std::string>> WriteErpRowWhereUnchanged(odbc::Connection& db,
                                                           const change_capture::KitOptions& kit,
                                                           const mappings::Mapping& m,
                                                           const ErpWrite& write);

// The row with `key` (one text per key column), read with a statement
// prepared from select_row.sql; nullopt when there is none. `table` names
// the table in errors.
Result<std::optional<odbc::Row>> ReadErpRow(odbc::Statement& select,
                                            const std::vector<std::string>& key,
                                            const std::string& table);

// "a, b, c" (field and column names in messages and logs).
std::string Join(const std::vector<std::string>& parts);

// The fields a record write sets, its "id" left out.
std::vector<std::string> FieldNames(const crm::Record& record);

// The write options for the mapping's records: its `zoho_triggers` array.
crm::WriteOptions WriteOptionsFor(const mappings::Mapping& m);

// Runs `beside` on a second thread while `here` runs on this one, and
// returns when both are done. When no thread can be started, runs `beside`
// first, then `here`: slower, never wrong. Neither may throw.
void RunConcurrently(const std::function<void()>& beside, const std::function<void()>& here);
// Runs fn(0) .. fn(count - 1) on up to `width` threads (the calling thread
// among them) and returns when all are done. Each index runs once; fn must
// be safe to run concurrently for different indexes.
void ForEachConcurrently(size_t count, size_t width, const std::function<void(size_t)>& fn);

}  // namespace zcrmsync::sync
