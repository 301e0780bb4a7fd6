#include "sync/resolve.h"

#include <optional>

#include "change_capture/change_reader.h"
#include "core/log.h"
#include "core/status_macros.h"
#include "odbc/statement.h"
#include "odbc/transaction.h"
#include "sync/convert.h"
#include "sync/link_store.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {

ConflictResolver::ConflictResolver(odbc::Connection& db, const mappings::Config& config,
                                   change_capture::KitOptions kit, crm::ZohoClient& crm,
                                   std::map<std::string, std::vector<crm::FieldInfo>> fields,
                                   std::string erp_time_zone)
    : db_(db),
      config_(config),
      kit_(std::move(kit)),
      crm_(crm),
      fields_(std::move(fields)),
      erp_time_zone_(std::move(erp_time_zone)) {}

Result<Resolution> ConflictResolver::Resolve(int64_t conflict_id, Side side) {
  LinkStore store(db_, kit_);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto open, store.ListConflicts());
  const HeldConflict* c = nullptr;
  for (const auto& o : open) {
    if (o.conflict_id == conflict_id) c = &o;
  }
  if (c == nullptr) {
    return Error(NotFoundError("no open conflict has id " + std::to_string(conflict_id) +
                               " (zcrmsync conflicts list shows the open ones)"));
  }
  const std::string what = "conflict " + std::to_string(conflict_id) + " (mapping " + c->mapping +
                           ", key " + c->erp_key + ", field " + c->field + ")";
  if (c->field == kMatchConflictField) {
    // Nothing to copy: the person fixed the data so one candidate is left
    // (or none). A held ERP row is queued for the push, which matches it
    // again; a CRM record is matched again on its next change in Zoho.
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    if (!c->zoho_id) ZCRMSYNC_RETURN_IF_ERROR(store.Enqueue(c->mapping, c->erp_key));
    ZCRMSYNC_RETURN_IF_ERROR(store.SettleConflict(conflict_id, side == Side::kErp ? "erp" : "crm"));
    ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
    return Resolution{c->mapping, c->erp_key, c->field, ""};
  }
  const mappings::Mapping* m = mappings::FindMapping(config_, c->mapping);
  if (m == nullptr) return Error(FailedPreconditionError(what + ": the mapping is no longer in the config"));
  ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping resolved, ResolveFields(*m, fields_, false));
  const ResolvedField* rf = nullptr;
  for (const auto& f : resolved.fields) {
    if (f.mapping->field == c->field) rf = &f;
  }
  if (rf == nullptr) return Error(FailedPreconditionError(what + ": the field is no longer mapped"));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.Load(m->name, c->erp_key));
  if (!link || !link->zoho_id) {
    return Error(FailedPreconditionError(what + ": the record is no longer linked"));
  }
  auto keys = change_capture::ParseKeys("[" + c->erp_key + "]");
  if (!keys || keys->size() != 1) return Error(DataLossError(what + ": malformed key"));
  const std::vector<std::string>& key = keys->front();

  // The ERP side, now.
  const change_capture::CaptureTable table = RowTable(*m);
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string select_sql,
                            change_capture::RenderSelectRow(kit_, table, resolved.columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(select_sql));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto found, ReadErpRow(select, key, m->table));
  if (!found) return Error(FailedPreconditionError(what + ": the ERP row is gone"));
  const odbc::Row& row = *found;
  FieldSpec spec = SpecFor(config_, *m, *rf, row[rf->column_index].type(), erp_time_zone_, store);

  Resolution out{m->name, c->erp_key, c->field, {}};
  Link updated = *link;
  std::optional<Value> erp_write;
  if (side == Side::kErp) {
    auto converted = ToZoho(row[rf->column_index], spec);
    if (!converted) return Error(converted.error().WithContext(what));
    crm::JsonValue json = std::move(*converted);
    out.value = CanonicalValue(json, spec);
    crm::Record rec;
    rec["id"] = crm::JsonValue(*link->zoho_id);
    rec[c->field] = std::move(json);
    ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                              crm_.Update(m->module, {rec}, std::nullopt, WriteOptionsFor(*m)));
    if (results.empty()) return Error(InternalError(what + ": Zoho returned no result"));
    ZCRMSYNC_RETURN_IF_ERROR(results[0].status.WithContext(what + ": update " + m->module));
    if (auto t = ParseZohoTime(results[0].modified_time)) updated.crm_modified_at = *t;
  } else {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto records,
                              crm_.GetByIds(m->module, {*link->zoho_id}, {c->field, "Modified_Time"}));
    if (records.empty()) {
      return Error(FailedPreconditionError(what + ": Zoho record " + *link->zoho_id + " is gone"));
    }
    auto it = records[0].find(c->field);
    const crm::JsonValue json = it == records[0].end() ? crm::JsonValue() : it->second;
    out.value = CanonicalValue(json, spec);
    auto v = ToErp(json, spec);
    if (!v) return Error(v.error().WithContext(what));
    erp_write = std::move(*v);
    if (auto t = RecordTime(records[0], "Modified_Time")) updated.crm_modified_at = *t;
  }
  auto base = ParseBase(link->base_values);
  base[c->field] = out.value;
  updated.base_values = BaseToJson(base);

  // The ERP write (if any), the new base and the settled conflict land together.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto begin, change_capture::RenderBeginAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto end, change_capture::RenderEndAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
  for (const auto& s : begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  if (erp_write) {
    Status written = WriteErpRow(db_, kit_, *m, ErpWrite{key, {rf->mapping->column}, {*erp_write}});
    if (!written.ok()) return Error(written.WithContext(what));
  }
  ZCRMSYNC_RETURN_IF_ERROR(store.Save(updated));
  ZCRMSYNC_RETURN_IF_ERROR(store.SettleConflict(conflict_id, side == Side::kErp ? "erp" : "crm"));
  for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
  log::Logger("resolve").Info("conflict settled",
                              {{"conflict", conflict_id},
                               {"mapping", m->name},
                               {"key", c->erp_key},
                               {"field", c->field},
                               {"taken", side == Side::kErp ? "erp" : "crm"}});
  return out;
}

}  // namespace zcrmsync::sync
