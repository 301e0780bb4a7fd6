#include "sync/pull.h"

#include <algorithm>
#include <optional>

#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "core/log.h"
#include "core/retry.h"
#include "core/status_macros.h"
#include "odbc/statement.h"
#include "odbc/transaction.h"
#include "sync/convert.h"
#include "sync/link_store.h"
#include "sync/merge.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {
namespace {

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("pull");
  return *logger;
}


struct ErpWrite {
  std::vector<std::string> key;
  std::vector<std::string> columns;
  std::vector<Value> values;
};

OptionalFieldValues AsOptional(const std::map<std::string, std::string>& m) {
  OptionalFieldValues out;
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

Puller::Puller(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
               crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
               PullOptions options)
    : db_(db),
      config_(config),
      kit_(std::move(kit)),
      crm_(crm),
      fields_(std::move(fields)),
      options_(std::move(options)) {}

PullCounts& PullCounts::operator+=(const PullCounts& o) {
  fetched += o.fetched;
  echoes += o.echoes;
  unlinked += o.unlinked;
  erp_updated += o.erp_updated;
  crm_updated += o.crm_updated;
  conflicts += o.conflicts;
  held += o.held;
  erp_deleted += o.erp_deleted;
  parked += o.parked;
  return *this;
}

Result<PullStats> Puller::RunOnce() {
  PullStats stats;
  for (const mappings::Mapping& m : config_.mappings) {
    if (!mappings::FlowsCrmToErp(m.direction)) continue;
    if (options_.should_stop && options_.should_stop()) break;
    PullCounts counts;
    ZCRMSYNC_RETURN_IF_ERROR(PullMapping(m, counts).WithContext("pull mapping " + m.name));
    stats += counts;
    stats.by_mapping[m.name] += counts;
  }
  return stats;
}

Status Puller::PullMapping(const mappings::Mapping& m, PullCounts& stats) {
  ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping resolved,
                            ResolveFields(m, fields_, /*erp_to_crm_only=*/false));
  const std::vector<std::string>& columns = resolved.columns;
  const std::vector<ResolvedField>& mapped = resolved.fields;
  std::vector<std::string> api_fields = {"Modified_Time", m.external_id_field};
  for (const ResolvedField& f : mapped) api_fields.push_back(f.mapping->field);
  const change_capture::CaptureTable table{m.name, m.table_schema, m.table_name, m.key_columns, {}};
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string select_sql, change_capture::RenderSelectRow(kit_, table, columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(select_sql));

  const std::string watermark_name = "pull/" + m.name + "/watermark";
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved, change_capture::LoadState(db_, kit_, watermark_name));
  std::optional<Timestamp> watermark;
  if (saved) {
    if (auto t = ParseTimestamp(*saved)) watermark = *t;
  }
  std::optional<Clock::TimePoint> since;
  if (watermark) since = ToTimePoint(*watermark) - options_.overlap;

  ZCRMSYNC_ASSIGN_OR_RETURN(auto records, crm_.ListModifiedSince(m.module, api_fields, since));
  stats.fetched += static_cast<int64_t>(records.size());

  LinkStore store(db_, kit_);
  std::vector<Link> links;
  std::vector<std::pair<std::string, std::string>> unlink;
  std::vector<ErpWrite> erp_writes;
  std::vector<std::vector<std::string>> erp_deletes;
  std::vector<ParkedRecord> parks;
  std::vector<HeldConflict> held;
  std::vector<crm::Record> crm_updates;
  std::vector<size_t> crm_update_link;  // index into links
  std::optional<Timestamp> newest = watermark;
  auto park = [&](const Link& link, const Status& s, const std::string& field) {
    ParkedRecord r;
    r.mapping = m.name;
    r.erp_key = link.erp_key;
    r.zoho_id = link.zoho_id;
    r.direction = "crm_to_erp";
    r.status_code = std::string(StatusCodeName(s.code()));
    if (!field.empty()) r.field = field;
    r.message = s.message();
    Log().Warn("parked a record", {{"mapping", m.name}, {"key", link.erp_key}, {"error", s.message()}});
    parks.push_back(std::move(r));
    ++stats.parked;
  };

  for (const crm::Record& r : records) {
    auto id_it = r.find("id");
    if (id_it == r.end() || !id_it->second.is_string()) continue;
    const std::string id = id_it->second.as_string();
    std::optional<Timestamp> modified;
    if (auto mt = r.find("Modified_Time"); mt != r.end() && mt->second.is_string()) {
      modified = ParseZohoTime(mt->second.as_string());
    }
    if (modified && (!newest || *modified > *newest)) newest = modified;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, id));
    if (!link) {
      ++stats.unlinked;  // a new CRM record or one to match: not handled yet
      continue;
    }
    auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
    if (!keys || keys->size() != 1) {
      park(*link, DataLossError("malformed link key " + link->erp_key), "");
      continue;
    }
    const std::vector<std::string> key = keys->front();
    std::vector<Value> key_values;
    for (const auto& k : key) key_values.push_back(Value::Text(k));
    ZCRMSYNC_RETURN_IF_ERROR(select.BindAll(key_values));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(select.Execute()).WithContext("read " + m.table));
    ZCRMSYNC_ASSIGN_OR_RETURN(bool found, select.Fetch());
    std::optional<odbc::Row> row;
    if (found) {
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Row rr, select.GetRow());
      row = std::move(rr);
    }
    ZCRMSYNC_RETURN_IF_ERROR(select.CloseCursor());
    if (!row) continue;  // deleted in the ERP: the push deletes the record

    const auto base = ParseBase(link->base_values);
    MergeInput in;
    in.tie_tolerance = TieTolerance(config_.sync);
    if (link->erp_changed_at) in.erp_changed_at = ToTimePoint(*link->erp_changed_at);
    if (modified) in.crm_modified_at = ToTimePoint(*modified);
    OptionalFieldValues pulled;
    std::map<std::string, FieldSpec> specs;
    for (const ResolvedField& mf : mapped) {
      FieldSpec spec = MakeFieldSpec(m.name, *mf.mapping, *mf.info, (*row)[mf.column_index].type());
      spec.erp_time_zone = options_.erp_time_zone;
      MergeField field = MergeFieldFor(config_.sync, m, *mf.mapping);
      if (auto b = base.find(mf.mapping->field); b != base.end()) field.base = b->second;
      if (auto erp = ToZoho((*row)[mf.column_index], spec)) field.erp = CanonicalValue(*erp, spec);
      if (auto c = r.find(mf.mapping->field); c != r.end()) field.crm = CanonicalValue(c->second, spec);
      pulled[mf.mapping->field] = field.crm;
      in.fields.push_back(std::move(field));
      specs.emplace(mf.mapping->field, std::move(spec));
    }
    EchoCheck echo{AsOptional(base), pulled, in.crm_modified_at.value_or(Clock::TimePoint{}), {}};
    if (link->crm_modified_at) {
      echo.last_write = OurCrmWrite{ToTimePoint(*link->crm_modified_at), AsOptional(base)};
    }
    if (in.crm_modified_at && IsEchoOfOurWrite(echo)) {
      ++stats.echoes;
      continue;
    }
    auto merged = Merge(in);
    if (!merged) {
      park(*link, merged.error(), "");
      continue;
    }
    stats.conflicts += static_cast<int64_t>(merged->conflicts.size());
    for (const auto& c : merged->conflicts) {
      if (c.outcome == ConflictOutcome::kHeld) {
        ++stats.held;
        Log().Warn("conflict held for a person (manual rule)",
                   {{"mapping", m.name}, {"key", link->erp_key}, {"field", c.field}});
        held.push_back({0, m.name, link->erp_key, link->zoho_id, c.field, c.base, c.erp, c.crm});
      }
    }
    ErpWrite write{key, {}, {}};
    bool failed = false;
    for (const auto& [field, canonical] : merged->to_erp) {
      const FieldSpec& spec = specs.at(field);
      auto json = crm::ParseJson(canonical);
      auto value = json ? ToErp(*json, spec) : Result<Value>(Error(json.error()));
      if (!value) {
        park(*link, value.error(), field);
        failed = true;
        break;
      }
      write.columns.push_back(spec.column);
      write.values.push_back(std::move(*value));
    }
    if (failed) continue;
    if (!write.columns.empty()) erp_writes.push_back(std::move(write));
    Link updated = *link;
    std::map<std::string, std::string> new_base;
    for (const auto& [field, v] : merged->new_base) {
      if (v) new_base[field] = *v;
    }
    updated.base_values = BaseToJson(new_base);
    if (modified) updated.crm_modified_at = modified;
    links.push_back(std::move(updated));
    if (!merged->to_crm.empty()) {
      crm::Record rec;
      rec["id"] = crm::JsonValue(id);
      for (const auto& [field, canonical] : merged->to_crm) {
        if (auto json = crm::ParseJson(canonical)) rec[field] = std::move(*json);
      }
      crm_updates.push_back(std::move(rec));
      crm_update_link.push_back(links.size() - 1);
    }
  }

  // The merge's CRM share goes out before the ERP commit; repeating it after
  // a crash writes the same values again.
  if (!crm_updates.empty()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                              crm_.Update(m.module, crm_updates, std::nullopt, WriteOptionsFor(m)));
    for (size_t i = 0; i < results.size() && i < crm_update_link.size(); ++i) {
      Link& link = links[crm_update_link[i]];
      if (results[i].status.ok()) {
        if (auto t = ParseZohoTime(results[i].modified_time)) link.crm_modified_at = *t;
        ++stats.crm_updated;
      } else if (retry::IsTransient(results[i].status.code())) {
        return results[i].status.WithContext("update " + m.module + " " + link.erp_key);
      } else {
        park(link, results[i].status, "");
      }
    }
  }

  // Zoho deletes.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto deleted, crm_.DeletedSince(m.module, since));
  for (const auto& d : deleted) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, d.id));
    if (!link) continue;
    if (m.deletes.kind == mappings::DeleteKind::kPropagate) {
      auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
      if (keys && keys->size() == 1) erp_deletes.push_back(keys->front());
    } else if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
      Log().Warn("soft delete from a Zoho delete is not built yet; the row is kept",
                 {{"mapping", m.name}, {"key", link->erp_key}});
    }
    unlink.push_back({m.name, link->erp_key});
  }

  // ERP writes, links, parked records and the watermark land together, as
  // the agent's own transaction (the capture triggers skip it).
  ZCRMSYNC_ASSIGN_OR_RETURN(auto begin, change_capture::RenderBeginAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto end, change_capture::RenderEndAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
  for (const auto& s : begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  for (const ErpWrite& w : erp_writes) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderUpdateRow(kit_, table, w.columns));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement update, db_.Prepare(sql));
    std::vector<Value> params = w.values;
    for (const auto& k : w.key) params.push_back(Value::Text(k));
    ZCRMSYNC_RETURN_IF_ERROR(update.BindAll(std::move(params)));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(update.Execute()).WithContext("write back " + m.table));
    ++stats.erp_updated;
  }
  if (!erp_deletes.empty()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderDeleteRow(kit_, table));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement del, db_.Prepare(sql));
    for (const auto& key : erp_deletes) {
      std::vector<Value> params;
      for (const auto& k : key) params.push_back(Value::Text(k));
      ZCRMSYNC_RETURN_IF_ERROR(del.BindAll(std::move(params)));
      ZCRMSYNC_RETURN_IF_ERROR(StatusOf(del.Execute()).WithContext("delete from " + m.table));
      ++stats.erp_deleted;
    }
  }
  for (const Link& l : links) ZCRMSYNC_RETURN_IF_ERROR(store.Save(l));
  for (const auto& [mapping, key] : unlink) ZCRMSYNC_RETURN_IF_ERROR(store.Delete(mapping, key));
  for (const ParkedRecord& p : parks) ZCRMSYNC_RETURN_IF_ERROR(store.Park(p));
  for (const HeldConflict& c : held) ZCRMSYNC_RETURN_IF_ERROR(store.Hold(c));
  if (newest) {
    ZCRMSYNC_RETURN_IF_ERROR(
        change_capture::SaveState(db_, kit_, watermark_name, FormatTimestamp(*newest)));
  }
  for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  return tx.Commit();
}

}  // namespace zcrmsync::sync
