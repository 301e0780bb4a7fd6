#include "sync/merge.h"

#include <chrono>
#include <set>
#include <utility>

namespace zcrmsync::sync {
namespace {

using mappings::ConflictRule;

// A present value that differs from the base; with no base any present value.
bool Changed(const FieldValue& side, const FieldValue& base) {
  return side.has_value() && side != base;
}

// What the side holds: its value, else (absent = unchanged) the base.
const FieldValue& Held(const FieldValue& side, const FieldValue& base) {
  return side.has_value() ? side : base;
}

struct Decision {
  ConflictOutcome outcome;
  bool tie = false;
};

Decision Decide(ConflictRule rule, const MergeInput& input) {
  switch (rule) {
    case ConflictRule::kErpWins:
      return {ConflictOutcome::kErpWon};
    case ConflictRule::kCrmWins:
      return {ConflictOutcome::kCrmWon};
    case ConflictRule::kManual:
      return {ConflictOutcome::kHeld};
    case ConflictRule::kLatestWins:
      break;
  }
  // Without both times nobody is provably later: treat it as a tie.
  if (!input.erp_changed_at || !input.crm_modified_at) return {ConflictOutcome::kErpWon, true};
  // Bring the CRM time onto the DB clock before comparing.
  const Clock::TimePoint crm_on_db_clock = *input.crm_modified_at - input.clock_skew;
  const Clock::Duration erp_lead = *input.erp_changed_at - crm_on_db_clock;
  if (std::chrono::abs(erp_lead) <= input.tie_tolerance) return {ConflictOutcome::kErpWon, true};
  return {erp_lead > Clock::Duration::zero() ? ConflictOutcome::kErpWon : ConflictOutcome::kCrmWon};
}

Status Validate(const MergeInput& input) {
  if (input.tie_tolerance < Clock::Duration::zero()) {
    return InvalidArgumentError("merge: negative tie tolerance");
  }
  std::set<std::string_view> seen;
  for (const MergeField& f : input.fields) {
    if (f.field.empty()) return InvalidArgumentError("merge: a field has no name");
    if (!seen.insert(f.field).second) {
      return InvalidArgumentError("merge: field " + f.field + " given twice");
    }
  }
  return Status::Ok();
}

// True when every present pulled field equals its reference: `expected` if it
// names the field, else the base (absent from both: differs).
bool PulledMatches(const OptionalFieldValues& pulled, const OptionalFieldValues& base,
                   const OptionalFieldValues* expected) {
  for (const auto& [name, value] : pulled) {
    if (!value.has_value()) continue;
    const FieldValue* reference = nullptr;
    if (expected != nullptr) {
      if (auto it = expected->find(name); it != expected->end()) reference = &it->second;
    }
    if (reference == nullptr) {
      if (auto it = base.find(name); it != base.end()) reference = &it->second;
    }
    if (reference == nullptr || *reference != value) return false;
  }
  return true;
}

}  // namespace

std::string_view ConflictOutcomeName(ConflictOutcome outcome) {
  switch (outcome) {
    case ConflictOutcome::kErpWon:
      return "erp";
    case ConflictOutcome::kCrmWon:
      return "crm";
    case ConflictOutcome::kHeld:
      return "held";
  }
  return "unknown";
}

bool MergeResult::HasHeldConflicts() const {
  for (const FieldConflict& c : conflicts) {
    if (c.outcome == ConflictOutcome::kHeld) return true;
  }
  return false;
}

Result<MergeResult> Merge(const MergeInput& input) {
  if (Status s = Validate(input); !s.ok()) return Error(std::move(s));

  MergeResult result;
  for (const MergeField& f : input.fields) {
    const FieldValue& erp = Held(f.erp, f.base);
    const FieldValue& crm = Held(f.crm, f.base);
    const bool flows_to_crm = mappings::FlowsErpToCrm(f.direction);
    const bool flows_to_erp = mappings::FlowsCrmToErp(f.direction) && !f.create_only;
    FieldValue base = f.base;
    FieldValue crm_after = crm;

    // Writes `value` to the side that does not hold it yet; both then hold it.
    auto settle_on = [&](const FieldValue& value) {
      if (!value.has_value()) return;
      if (flows_to_crm && crm != value) result.to_crm[f.field] = *value;
      if (flows_to_erp && erp != value) result.to_erp[f.field] = *value;
      base = value;
      crm_after = value;
    };

    if (flows_to_crm && flows_to_erp) {
      const bool erp_changed = Changed(f.erp, f.base);
      const bool crm_changed = Changed(f.crm, f.base);
      if (erp_changed && crm_changed && erp != crm) {
        const Decision d = Decide(f.rule, input);
        result.conflicts.push_back(
            FieldConflict{f.field, f.base, *erp, *crm, f.rule, d.outcome, d.tie});
        if (d.outcome == ConflictOutcome::kErpWon) settle_on(erp);
        if (d.outcome == ConflictOutcome::kCrmWon) settle_on(crm);
        // kHeld: nothing written, the base stays, so the next merge sees the
        // same conflict until a person settles it.
      } else if (erp_changed) {
        settle_on(erp);  // includes both changed to the same value: no write
      } else if (crm_changed) {
        settle_on(crm);
      }
    } else if (flows_to_crm) {
      settle_on(erp);  // the ERP is authoritative: re-assert it over CRM edits
    } else if (flows_to_erp) {
      settle_on(crm);
    }
    // Neither flow (crm_to_erp + create_only): an existing row is left alone.

    result.new_base[f.field] = std::move(base);
    result.crm_after[f.field] = std::move(crm_after);
  }
  return result;
}

MergeField MergeFieldFor(const mappings::SyncConfig& sync, const mappings::Mapping& mapping,
                         const mappings::FieldMapping& field) {
  MergeField f;
  f.field = field.field;
  f.direction = mappings::EffectiveDirection(mapping, field);
  f.rule = mappings::EffectiveConflictRule(sync, mapping, field);
  f.create_only = field.create_only;
  return f;
}

Clock::Duration TieTolerance(const mappings::SyncConfig& sync) {
  return std::chrono::seconds(sync.clock_skew_tolerance_seconds);
}

bool IsEchoOfOurWrite(const EchoCheck& check) {
  if (PulledMatches(check.pulled, check.base, nullptr)) return true;
  return check.last_write.has_value() && check.modified_time == check.last_write->modified_time &&
         PulledMatches(check.pulled, check.base, &check.last_write->expected);
}

}  // namespace zcrmsync::sync
