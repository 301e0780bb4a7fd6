// The field-by-field three-way merge of one linked record (issue #5 §3-4) and
// the echo test of the pull side. Pure functions over canonical value strings
// (CanonicalValue() in sync/convert.h): no I/O, no clock, no config lookups.
// A field conflicts only when both sides changed it since the base to different
// values; every other edit merges, so neither side ever wins a whole row.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mappings/config.h"

namespace zcrmsync::sync {

// One field's canonical value on one side. nullopt: the field is absent from
// that side's data (no news: treated as unchanged since the base); a SQL/JSON
// NULL is the canonical string "null", an ordinary value.
using FieldValue = std::optional<std::string>;

// Field (Zoho API name) -> value. Ordered, so results and tests are stable.
using FieldValues = std::map<std::string, std::string, std::less<>>;
using OptionalFieldValues = std::map<std::string, FieldValue, std::less<>>;

struct MergeField {
  std::string field;  // Zoho API name, unique within one MergeInput
  FieldValue base;    // last synced value; nullopt: never synced (first contact)
  FieldValue erp;     // nullopt: not in the ERP data, i.e. unchanged
  FieldValue crm;     // nullopt: not in the CRM data, i.e. unchanged
  mappings::Direction direction = mappings::Direction::kBoth;         // the effective one
  mappings::ConflictRule rule = mappings::ConflictRule::kLatestWins;  // the effective one
  // FieldMapping::create_only: CRM edits never reach an existing ERP row, so
  // for the merge the CRM -> ERP flow of this field is off.
  bool create_only = false;
};

struct MergeInput {
  std::vector<MergeField> fields;
  // When the ERP row last changed (change table, DB clock) and the CRM
  // record's Modified_Time (CRM clock), both UTC. Only latest_wins reads them;
  // when either is unknown a latest_wins conflict is a tie (goes to the ERP).
  std::optional<Clock::TimePoint> erp_changed_at;
  std::optional<Clock::TimePoint> crm_modified_at;
  // CRM clock minus DB clock, as measured from the HTTP Date header.
  Clock::Duration clock_skew{0};
  // |ERP time - corrected CRM time| <= this is a tie. REQUIRES: >= 0.
  Clock::Duration tie_tolerance = std::chrono::seconds(2);
};

// Who got the field in a conflict.
enum class ConflictOutcome { kErpWon, kCrmWon, kHeld };

// "erp", "crm", "held" (the conflicts table's spelling).
std::string_view ConflictOutcomeName(ConflictOutcome outcome);

struct FieldConflict {
  std::string field;
  FieldValue base;  // nullopt: first contact
  std::string erp;
  std::string crm;
  mappings::ConflictRule rule;  // the rule that applied
  ConflictOutcome outcome;
  bool tie = false;  // latest_wins only: the times were within the tolerance

  friend bool operator==(const FieldConflict&, const FieldConflict&) = default;
};

struct MergeResult {
  FieldValues to_crm;  // only fields whose CRM value changes
  FieldValues to_erp;  // only fields whose ERP value changes
  // The base to store for every input field once both writes are committed.
  // A held field keeps its old base; nullopt stays "never synced".
  OptionalFieldValues new_base;
  // What the CRM holds once to_crm is written: to_crm, else the CRM value,
  // else the base. Keep it with the write's Modified_Time for IsEchoOfOurWrite.
  OptionalFieldValues crm_after;
  // Every field edited on both sides to different values, resolved or held.
  std::vector<FieldConflict> conflicts;

  bool HasHeldConflicts() const;
};

// Merges one record. Per field, with e/c the ERP/CRM values (absent = base):
//   both-way field:
//     neither changed: nothing; one changed: its value goes to the other side;
//     both changed to the same value: nothing written, the base moves;
//     both changed, different values: a conflict settled by the rule:
//       latest_wins: the later of erp_changed_at and crm_modified_at - skew;
//                    within tie_tolerance (or a time unknown) the ERP wins;
//       erp_wins / crm_wins: as named;
//       manual: held (neither side written, base kept), reported for a person.
//   one-way field (erp_to_crm, or both + create_only; crm_to_erp mirrors):
//     the source side is authoritative: whenever the target differs from the
//     source value (e, else the base) the source value is written to it, so a
//     target-side edit is re-asserted over even when the source did not
//     change. Never a conflict; the rule is not consulted.
//   crm_to_erp + create_only: no flow on an existing record; base kept.
//   first contact (no base): a present value counts as changed, so one-sided
//     values are copied across, equal values just set the base, and different
//     values are a conflict settled by the rule as above.
// The push path (no CRM read) leaves every `crm` absent: to_crm is then what
// the ERP changed against the base. Errors: INVALID_ARGUMENT for an empty or
// repeated field name or a negative tie_tolerance.
Result<MergeResult> Merge(const MergeInput& input);

// A MergeField with the field's name, effective direction and rule and
// create_only filled from the config; the caller fills base, erp and crm.
MergeField MergeFieldFor(const mappings::SyncConfig& sync, const mappings::Mapping& mapping,
                         const mappings::FieldMapping& field);

// sync.clock_skew_tolerance_seconds as a duration.
Clock::Duration TieTolerance(const mappings::SyncConfig& sync);

// Our last write of the record to the CRM, as stored with its link.
struct OurCrmWrite {
  Clock::TimePoint modified_time;  // the Modified_Time the write's response returned
  // Every mapped field as the CRM holds it right after our write
  // (MergeResult::crm_after; after a plain push, the new base).
  OptionalFieldValues expected;
};

struct EchoCheck {
  OptionalFieldValues base;               // the link's base, per mapped field
  OptionalFieldValues pulled;             // the pulled record's mapped fields
  Clock::TimePoint modified_time;         // the pulled record's Modified_Time
  std::optional<OurCrmWrite> last_write;  // nullopt: we never wrote it
};

// True when the pulled CRM change is our own write coming back, so the pull
// can skip it: (a) every pulled mapped field equals the base, or (b) its
// Modified_Time is the one our last write returned and every pulled mapped
// field equals what that write left in the CRM. A Zoho workflow set off by our
// write changes some field away from that state, even within the same second
// as our write, so it is never taken for an echo. Pulled fields that are
// absent are not compared; a field missing from `expected` is compared with
// the base.
bool IsEchoOfOurWrite(const EchoCheck& check);

}  // namespace zcrmsync::sync
