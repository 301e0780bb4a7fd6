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
#include "sync/clock_skew.h"
#include "sync/convert.h"
#include "sync/link_store.h"
#include "sync/merge.h"
#include "sync/record_merge.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {
namespace {

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("pull");
  return *logger;
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
  erp_created += o.erp_created;
  matched += o.matched;
  deferred += o.deferred;
  relinked += o.relinked;
  zoho_calls += o.zoho_calls;
  zoho_credits += o.zoho_credits;
  parked += o.parked;
  return *this;
}

Result<PullStats> Puller::RunOnce() {
  PullStats stats;
  for (const mappings::Mapping& m : config_.mappings) {
    if (!mappings::FlowsCrmToErp(m.direction)) continue;
    if (options_.should_stop && options_.should_stop()) break;
    PullCounts counts;
    const crm::ClientStats calls_before = crm_.stats();
    ZCRMSYNC_RETURN_IF_ERROR(PullMapping(m, counts).WithContext("pull mapping " + m.name));
    const crm::ClientStats calls_after = crm_.stats();
    counts.zoho_calls = calls_after.calls - calls_before.calls;
    counts.zoho_credits = calls_after.credits - calls_before.credits;
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
  std::vector<std::string> api_fields = {"Modified_Time", "Created_Time", m.external_id_field};
  for (const ResolvedField& f : mapped) api_fields.push_back(f.mapping->field);
  const change_capture::CaptureTable table = RowTable(m);
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

  // The deleted records are listed on a second thread meanwhile: one
  // round trip less per mapping and cycle.
  Result<std::vector<crm::DeletedRecord>> deleted_since = std::vector<crm::DeletedRecord>();
  Result<std::vector<crm::Record>> listed = std::vector<crm::Record>();
  RunConcurrently([&] { deleted_since = crm_.DeletedSince(m.module, since); },
                  [&] { listed = crm_.ListModifiedSince(m.module, api_fields, since); });
  if (!listed) return listed.error();
  std::vector<crm::Record> records = std::move(*listed);
  // Records `errors retry` asked for are fetched again, changed or not.
  const std::string refetch_prefix = RefetchStatePrefix(m.name);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto refetch, change_capture::ListStates(db_, kit_, refetch_prefix));
  if (!refetch.empty()) {
    std::set<std::string> have;
    for (const crm::Record& r : records) {
      if (auto id = r.find("id"); id != r.end() && id->second.is_string()) have.insert(id->second.as_string());
    }
    std::vector<std::string> ids;
    for (const auto& [name, unused] : refetch) {
      std::string id = name.substr(refetch_prefix.size());
      if (!have.contains(id)) ids.push_back(std::move(id));
    }
    if (!ids.empty()) {
      ZCRMSYNC_ASSIGN_OR_RETURN(auto again, crm_.GetByIds(m.module, ids, api_fields));
      Log().Info("fetched records again for errors retry",
                 {{"mapping", m.name}, {"records", static_cast<int64_t>(again.size())}});
      for (auto& r : again) records.push_back(std::move(r));
    }
  }
  claimed_keys_.clear();
  stats.fetched += static_cast<int64_t>(records.size());
  // Measured after a Zoho reply, so its Date header is fresh.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto skew, MeasureClockSkew(db_, kit_, crm_, SystemClock()));
  if (skew && std::chrono::abs(*skew) > TieTolerance(config_.sync)) {
    Log().Warn("Zoho's clock and the database's differ by more than clock_skew_tolerance_seconds; "
               "latest_wins corrects for it",
               {{"skew_ms", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(*skew).count())}});
  }

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
    const std::optional<Timestamp> modified = RecordTime(r, "Modified_Time");
    if (modified && (!newest || *modified > *newest)) newest = modified;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, id));
    bool adopted = false;
    if (!link) {
      ZCRMSYNC_ASSIGN_OR_RETURN(link, FirstContact(m, resolved, r, id, modified, store, stats,
                                                   held, parks, adopted));
      if (!link) continue;
    }
    auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
    if (!keys || keys->size() != 1) {
      park(*link, DataLossError("malformed link key " + link->erp_key), "");
      continue;
    }
    const std::vector<std::string> key = keys->front();
    ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(select, key, m.table));
    if (!row) continue;  // deleted in the ERP: the push deletes the record

    RecordMergeInput in;
    in.config = &config_;
    in.mapping = &m;
    in.resolved = &resolved;
    in.erp_time_zone = options_.erp_time_zone;
    in.link = &*link;
    in.key = &key;
    in.row = &*row;
    in.crm = &r;
    in.crm_modified = modified;
    in.clock_skew = skew.value_or(Clock::Duration(0));
    in.links = &store;
    ZCRMSYNC_ASSIGN_OR_RETURN(RecordMergeOutcome merged, MergeRecord(in));
    if (merged.kind == RecordMergeOutcome::Kind::kEcho) {
      ++stats.echoes;
      // An adopted link learns its Zoho id even when nothing else changed.
      if (adopted) {
        link->crm_modified_at = modified;
        links.push_back(std::move(*link));
      }
      continue;
    }
    if (merged.kind == RecordMergeOutcome::Kind::kParked) {
      park(*link, merged.error, merged.error_field);
      continue;
    }
    if (merged.needs_erp_time) {
      // Both sides changed a latest_wins field and the ERP edit is not pushed
      // yet: its time is in the change table, not here. The push sends it
      // with If-Unmodified-Since, Zoho answers 412, and the push's reconcile
      // merges the two with the ERP change's own time.
      ++stats.deferred;
      if (adopted) {
        // The push then updates by id, not by upsert, with the record's
        // creation as the last CRM time it saw: Zoho's 412 brings the CRM
        // edit into its reconcile.
        auto created = RecordTime(r, "Created_Time");
        link->crm_modified_at = created ? created : modified;
        links.push_back(std::move(*link));
      }
      continue;
    }
    stats.conflicts += merged.conflicts;
    for (const auto& c : merged.held) {
      ++stats.held;
      Log().Warn("conflict held for a person (manual rule)",
                 {{"mapping", m.name}, {"key", link->erp_key}, {"field", c.field}});
      held.push_back(c);
    }
    if (!merged.erp_columns.empty()) {
      erp_writes.push_back({key, std::move(merged.erp_columns), std::move(merged.erp_values)});
    }
    links.push_back(std::move(merged.link));
    if (merged.crm_update) {
      crm_updates.push_back(std::move(*merged.crm_update));
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
  if (!deleted_since) return deleted_since.error();
  const std::vector<crm::DeletedRecord>& deleted = *deleted_since;
  for (const auto& d : deleted) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, d.id));
    if (!link) continue;
    if (m.deletes.kind == mappings::DeleteKind::kPropagate) {
      auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
      if (keys && keys->size() == 1) erp_deletes.push_back(keys->front());
    } else if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
      auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
      ZCRMSYNC_ASSIGN_OR_RETURN(ValueType type, ColumnType(m, m.deletes.soft_delete_column));
      auto marker = DeletedMarker(type, SystemClock().Now(), options_.erp_time_zone);
      if (!marker) {
        park(*link, marker.error(), m.deletes.soft_delete_column);
      } else if (keys && keys->size() == 1) {
        erp_writes.push_back({keys->front(), {m.deletes.soft_delete_column}, {std::move(*marker)}});
      }
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
    ZCRMSYNC_RETURN_IF_ERROR(WriteErpRow(db_, kit_, m, w));
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
  for (const auto& [name, unused] : refetch) {
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, name));
  }
  for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  return tx.Commit();
}

Result<ValueType> Puller::ColumnType(const mappings::Mapping& m, const std::string& column) {
  auto& types = column_types_[m.name];
  if (types.empty()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(
        auto columns, change_capture::DescribeTable(db_, kit_.dialect, m.table_schema, m.table_name));
    for (const auto& c : columns) types[c.name] = ValueTypeOfColumnType(c.type);
  }
  auto it = types.find(column);
  if (it == types.end()) {
    return Error(FailedPreconditionError("table " + m.table + " has no column " + column +
                                         " (run zcrmsync check)"));
  }
  return it->second;
}

Result<std::optional<Link>> Puller::FirstContact(
    const mappings::Mapping& m, const ResolvedMapping& resolved, const crm::Record& r,
    const std::string& id, std::optional<Timestamp> modified, LinkStore& store, PullCounts& stats,
    std::vector<HeldConflict>& held, std::vector<ParkedRecord>& parks, bool& adopted) {
  const change_capture::CaptureTable table = RowTable(m);
  // A record that carries an external id is one of ours whose link a crash
  // lost before the push committed. The push wrote its link ahead of the
  // call, with no Zoho id and the values it was about to send: that link is
  // adopted and the record merged against those values, so only what
  // changed since counts. A row with no link at all (written before the
  // write-ahead base, or by hand) is linked with no base: a field that
  // differs is a conflict under the rules. A row deleted meanwhile is
  // deleted in Zoho by the push, never re-created.
  if (const std::string external = ExternalIdOf(r, m.external_id_field); !external.empty()) {
    std::vector<std::string> key;
    if (m.key_columns.size() == 1) {
      key = {external};
    } else if (auto keys = change_capture::ParseKeys("[" + external + "]"); keys && keys->size() == 1) {
      key = keys->front();
    }
    if (key.size() != m.key_columns.size()) {
      ++stats.unlinked;
      return std::optional<Link>();
    }
    const std::string key_json = change_capture::KeyToJson(key);
    ZCRMSYNC_ASSIGN_OR_RETURN(auto existing, store.Load(m.name, key_json));
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderSelectRow(kit_, table, m.key_columns));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(sql));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto found, ReadErpRow(select, key, m.table));
    if (!found || (existing && existing->zoho_id) || claimed_keys_.contains(key_json)) {
      ++stats.unlinked;
      return std::optional<Link>();
    }
    claimed_keys_.insert(key_json);
    Link link;
    if (existing) {
      link = std::move(*existing);
      adopted = true;
    } else {
      link.mapping = m.name;
      link.erp_key = key_json;
      link.external_id = external;
      link.base_values = "{}";
    }
    link.zoho_id = id;
    ++stats.relinked;
    Log().Info("re-linked a CRM record by its external id",
               {{"mapping", m.name}, {"zoho_id", id}, {"key", key_json},
                {"base", adopted ? "written ahead by the push" : "none"}});
    return std::optional<Link>(std::move(link));
  }
  auto park = [&](const Status& s, const std::string& field) {
    ParkedRecord p;
    p.mapping = m.name;
    p.zoho_id = id;
    p.direction = "crm_to_erp";
    p.status_code = std::string(StatusCodeName(s.code()));
    if (!field.empty()) p.field = field;
    p.message = s.message();
    Log().Warn("parked a new CRM record", {{"mapping", m.name}, {"zoho_id", id}, {"error", s.message()}});
    parks.push_back(std::move(p));
    ++stats.parked;
    return std::optional<Link>();
  };
  auto spec_for = [&](const ResolvedField& f) -> Result<FieldSpec> {
    ZCRMSYNC_ASSIGN_OR_RETURN(ValueType type, ColumnType(m, f.mapping->column));
    return SpecFor(config_, m, f, type, options_.erp_time_zone, store);
  };

  // Initial matching: link to the one row whose match columns hold the
  // record's values. Null values never match; more than one row is a
  // conflict for a person, never a guess.
  if (!m.match_fields.empty()) {
    std::vector<std::string> columns;
    std::vector<Value> values;
    std::string shown;
    for (const auto& mf : m.match_fields) {
      auto rf = std::find_if(resolved.fields.begin(), resolved.fields.end(),
                             [&](const ResolvedField& f) { return f.mapping->field == mf.field; });
      auto c = r.find(mf.field);
      if (rf == resolved.fields.end() || c == r.end() || c->second.is_null()) break;
      ZCRMSYNC_ASSIGN_OR_RETURN(FieldSpec spec, spec_for(*rf));
      auto v = ToErp(c->second, spec);
      if (!v || v->is_null()) break;
      columns.push_back(mf.column);
      values.push_back(std::move(*v));
      shown += (shown.empty() ? "" : ", ") + mf.field + "=" + CanonicalValue(c->second);
    }
    if (columns.size() == m.match_fields.size()) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderMatchRows(kit_, table, columns));
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement match, db_.Prepare(sql));
      ZCRMSYNC_RETURN_IF_ERROR(match.BindAll(std::move(values)));
      ZCRMSYNC_RETURN_IF_ERROR(StatusOf(match.Execute()).WithContext("match in " + m.table));
      std::vector<std::vector<std::string>> keys;
      for (;;) {
        ZCRMSYNC_ASSIGN_OR_RETURN(bool more, match.Fetch());
        if (!more) break;
        std::vector<std::string> key;
        for (size_t i = 1; i <= m.key_columns.size(); ++i) {
          ZCRMSYNC_ASSIGN_OR_RETURN(auto k, match.GetText(i));
          key.push_back(k.value_or(""));
        }
        keys.push_back(std::move(key));
      }
      ZCRMSYNC_RETURN_IF_ERROR(match.CloseCursor());
      std::optional<Link> other;
      if (keys.size() == 1) {
        ZCRMSYNC_ASSIGN_OR_RETURN(other, store.Load(m.name, change_capture::KeyToJson(keys[0])));
      }
      if (keys.size() > 1 || (other && other->zoho_id && *other->zoho_id != id) ||
          (keys.size() == 1 && claimed_keys_.contains(change_capture::KeyToJson(keys[0])))) {
        std::string candidates;
        for (const auto& k : keys) candidates += (candidates.empty() ? "" : ",") + change_capture::KeyToJson(k);
        const std::string why = keys.size() > 1 ? "more than one row matches"
                                : other && other->zoho_id
                                    ? "the matching row is linked to Zoho record " + *other->zoho_id
                                    : "another record of this pull matched the row first";
        Log().Warn("ambiguous match held for a person",
                   {{"mapping", m.name}, {"zoho_id", id}, {"match", shown}, {"rows", candidates},
                    {"reason", why}});
        held.push_back({0, m.name, candidates, id, std::string(kMatchConflictField), std::nullopt,
                        "[" + candidates + "]", "{" + shown + "}"});
        ++stats.conflicts;
        ++stats.held;
        return std::optional<Link>();
      }
      if (keys.size() == 1) {
        claimed_keys_.insert(change_capture::KeyToJson(keys[0]));
        ++stats.matched;
        Link link;
        link.mapping = m.name;
        link.erp_key = change_capture::KeyToJson(keys[0]);
        link.zoho_id = id;
        link.external_id = ExternalId(keys[0]);
        link.base_values = "{}";  // first contact: the merge compares both sides field by field
        Log().Info("linked a CRM record to an existing row on match_fields",
                   {{"mapping", m.name}, {"zoho_id", id}, {"key", link.erp_key}});
        return std::optional<Link>(std::move(link));
      }
    }
  }

  // A new ERP row from the fields that flow CRM -> ERP (create_only ones
  // included); the key comes from such a field or from the database.
  std::vector<std::string> columns;
  std::vector<Value> values;
  std::map<std::string, std::string> base;
  for (const ResolvedField& f : resolved.fields) {
    if (!mappings::FlowsCrmToErp(mappings::EffectiveDirection(m, *f.mapping))) continue;
    auto c = r.find(f.mapping->field);
    if (c == r.end()) continue;  // not sent: the column's default applies
    ZCRMSYNC_ASSIGN_OR_RETURN(FieldSpec spec, spec_for(f));
    auto v = ToErp(c->second, spec);
    if (!v) return park(v.error(), f.mapping->field);
    columns.push_back(f.mapping->column);
    values.push_back(std::move(*v));
    base[f.mapping->field] = CanonicalValue(c->second, spec);
  }
  if (columns.empty()) {
    return park(FailedPreconditionError("mapping " + m.name + ": no field flows CRM -> ERP, so Zoho record " +
                                        id + " cannot create a row in " + m.table),
                "");
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(change_capture::Script insert_sql,
                            change_capture::RenderInsertRow(kit_, table, columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto begin, change_capture::RenderBeginAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto end, change_capture::RenderEndAgentWrites(kit_));
  // The row and its link commit together; a row the database refuses (a
  // NOT NULL column without a value, a duplicate key) is parked.
  std::vector<std::string> key;
  Status inserted = [&]() -> Status {
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    for (const auto& s : begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    std::optional<odbc::Statement> insert;
    for (size_t i = 0; i < insert_sql.statements.size(); ++i) {
      ZCRMSYNC_ASSIGN_OR_RETURN(insert, db_.Prepare(insert_sql.statements[i]));
      ZCRMSYNC_RETURN_IF_ERROR(insert->BindAll(i == 0 ? values : std::vector<Value>{}));
      ZCRMSYNC_RETURN_IF_ERROR(StatusOf(insert->Execute()));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, insert->Fetch());
    if (!row) return InternalError("the insert returned no key");
    for (size_t i = 1; i <= m.key_columns.size(); ++i) {
      ZCRMSYNC_ASSIGN_OR_RETURN(auto k, insert->GetText(i));
      key.push_back(k.value_or(""));
    }
    ZCRMSYNC_RETURN_IF_ERROR(insert->CloseCursor());
    Link link;
    link.mapping = m.name;
    link.erp_key = change_capture::KeyToJson(key);
    link.zoho_id = id;
    link.external_id = ExternalId(key);
    link.base_values = BaseToJson(base);
    link.crm_modified_at = modified;
    ZCRMSYNC_RETURN_IF_ERROR(store.Save(link));
    for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    return tx.Commit();
  }();
  if (!inserted.ok()) {
    std::string message = "create a row in " + m.table + " for Zoho record " + id + ": " +
                          inserted.message();
    if (kit_.dialect == change_capture::Dialect::kMySQL) {
      message += " (INSERT ... RETURNING needs MariaDB 10.5+; MySQL 8 lacks it)";
    }
    const Status s(inserted.code(), message);
    if (retry::IsTransient(inserted.code())) return Error(s);
    return park(s, "");
  }
  ++stats.erp_created;
  Log().Info("created an ERP row from a new CRM record",
             {{"mapping", m.name}, {"zoho_id", id}, {"key", change_capture::KeyToJson(key)}});
  // Zoho learns the row's key: later pushes and crash retries match on it.
  crm::Record rec;
  rec["id"] = crm::JsonValue(id);
  rec[m.external_id_field] = crm::JsonValue(ExternalId(key));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto results, crm_.Update(m.module, {rec}, std::nullopt, WriteOptionsFor(m)));
  if (!results.empty() && !results[0].status.ok()) {
    if (retry::IsTransient(results[0].status.code())) return Error(results[0].status);
    Log().Warn("could not set the external id on the new CRM record; the next merge retries",
               {{"mapping", m.name}, {"zoho_id", id}, {"error", results[0].status.message()}});
  }
  return std::optional<Link>();
}

}  // namespace zcrmsync::sync
