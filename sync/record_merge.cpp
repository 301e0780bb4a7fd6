#include "sync/record_merge.h"

#include <map>

#include "core/status_macros.h"
#include "crm/json.h"
#include "sync/convert.h"
#include "sync/merge.h"

namespace zcrmsync::sync {
namespace {

OptionalFieldValues AsOptional(const std::map<std::string, std::string>& m) {
  OptionalFieldValues out;
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

Result<RecordMergeOutcome> MergeRecord(const RecordMergeInput& in) {
  const mappings::Mapping& m = *in.mapping;
  const Link& link = *in.link;
  const crm::Record& r = *in.crm;
  RecordMergeOutcome out;
  auto park = [&](const Status& s, const std::string& field) {
    out.kind = RecordMergeOutcome::Kind::kParked;
    out.error = s;
    out.error_field = field;
    return out;
  };

  const auto base = ParseBase(link.base_values);
  MergeInput merge;
  merge.tie_tolerance = TieTolerance(in.config->sync);
  merge.clock_skew = in.clock_skew;
  if (in.erp_changed) {
    merge.erp_changed_at = ToTimePoint(*in.erp_changed);
  } else if (link.erp_changed_at) {
    merge.erp_changed_at = ToTimePoint(*link.erp_changed_at);
  }
  if (in.crm_modified) merge.crm_modified_at = ToTimePoint(*in.crm_modified);
  OptionalFieldValues pulled;
  std::map<std::string, FieldSpec> specs;
  std::map<std::string, const Value*> read;  // field -> the row's value
  for (const ResolvedField& mf : in.resolved->fields) {
    const Value& erp_value = (*in.row)[mf.column_index];
    read[mf.mapping->field] = &erp_value;
    FieldSpec spec = SpecFor(*in.config, m, mf, erp_value.type(), in.erp_time_zone, *in.links);
    MergeField field = MergeFieldFor(in.config->sync, m, *mf.mapping);
    if (auto b = base.find(mf.mapping->field); b != base.end()) field.base = b->second;
    if (auto erp = ToZoho(erp_value, spec)) {
      field.erp = CanonicalAgainstBase(erp_value, *erp, spec, field.base ? &*field.base : nullptr);
    }
    if (auto c = r.find(mf.mapping->field); c != r.end()) field.crm = CanonicalValue(c->second, spec);
    pulled[mf.mapping->field] = field.crm;
    merge.fields.push_back(std::move(field));
    specs.emplace(mf.mapping->field, std::move(spec));
  }
  if (in.check_echo) {
    EchoCheck echo{AsOptional(base), pulled, merge.crm_modified_at.value_or(Clock::TimePoint{}), {}};
    if (link.crm_modified_at) {
      echo.last_write = OurCrmWrite{ToTimePoint(*link.crm_modified_at), AsOptional(base)};
    }
    if (merge.crm_modified_at && IsEchoOfOurWrite(echo)) {
      out.kind = RecordMergeOutcome::Kind::kEcho;
      // An echo that lacks the row's key as its external id (the update
      // that gives it to a new CRM record's row was lost to a crash or a
      // failed call) still gets it.
      const std::string external = link.external_id.value_or(ExternalId(*in.key));
      if (ExternalIdOf(r, m.external_id_field) != external) {
        out.link = link;
        out.crm_update = crm::Record{{"id", crm::JsonValue(*link.zoho_id)},
                                     {m.external_id_field, crm::JsonValue(external)}};
      }
      return out;
    }
  }
  auto merged = Merge(merge);
  if (!merged) return park(merged.error(), "");
  out.conflicts = static_cast<int64_t>(merged->conflicts.size());
  for (const auto& c : merged->conflicts) {
    if (c.outcome == ConflictOutcome::kHeld) {
      out.held.push_back({0, m.name, link.erp_key, link.zoho_id, c.field, c.base, c.erp, c.crm});
    }
    // (First contact has no base and no ERP change time to find: a tie.)
    if (c.rule == mappings::ConflictRule::kLatestWins && c.base && !in.erp_changed) {
      out.needs_erp_time = true;
    }
  }
  for (const auto& [field, canonical] : merged->to_erp) {
    const FieldSpec& spec = specs.at(field);
    auto json = crm::ParseJson(canonical);
    auto value = json ? ToErp(*json, spec) : Result<Value>(Error(json.error()));
    if (!value) return park(value.error(), field);
    out.erp_columns.push_back(spec.column);
    out.erp_values.push_back(std::move(*value));
    out.erp_seen.push_back(*read.at(field));
  }
  out.link = link;
  std::map<std::string, std::string> new_base;
  for (const auto& [field, v] : merged->new_base) {
    if (v) new_base[field] = *v;
  }
  out.link.base_values = BaseToJson(new_base);
  if (in.crm_modified) out.link.crm_modified_at = in.crm_modified;
  if (in.erp_changed) out.link.erp_changed_at = in.erp_changed;
  // A record linked by matching (or whose external id was lost) learns the
  // row's key, so later upserts and crash retries match on it.
  const std::string external = link.external_id.value_or(ExternalId(*in.key));
  const bool fix_external = ExternalIdOf(r, m.external_id_field) != external;
  if (!merged->to_crm.empty() || fix_external) {
    crm::Record rec;
    rec["id"] = crm::JsonValue(*link.zoho_id);
    if (fix_external) rec[m.external_id_field] = crm::JsonValue(external);
    for (const auto& [field, canonical] : merged->to_crm) {
      if (auto json = crm::ParseJson(canonical)) rec[field] = std::move(*json);
    }
    out.crm_update = std::move(rec);
  }
  return out;
}

}  // namespace zcrmsync::sync
