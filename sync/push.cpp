#include "sync/push.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

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
#include "sync/record_merge.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {
namespace {

constexpr char kCursorState[] = "push/cursor";

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("push");
  return *logger;
}

// One key after coalescing: the last operation wins.
struct Pending {
  std::string key_json;
  std::vector<std::string> key;
  char op = 'U';
  Timestamp changed_at;
};


// What one key becomes.
struct Outgoing {
  const Pending* pending;
  std::optional<Link> link;
  crm::Record record;                            // for upsert/update
  std::map<std::string, std::string> new_base;   // the base once it lands
};

}  // namespace

Pusher::Pusher(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
               crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
               PushOptions options)
    : db_(db),
      config_(config),
      kit_(std::move(kit)),
      crm_(crm),
      fields_(std::move(fields)),
      options_(std::move(options)) {}

Result<Pusher::CrmMatch> Pusher::MatchInCrm(const mappings::Mapping& m,
                                            const std::string& key_json,
                                            const crm::Record& record) {
  // COQL nests criteria two at a time: ((A and B) and C).
  std::string where;
  for (const auto& mf : m.match_fields) {
    auto v = record.find(mf.field);
    if (v == record.end()) return CrmMatch{};  // the field does not flow ERP -> CRM
    auto literal = CoqlLiteral(v->second);
    if (!literal) return CrmMatch{};  // null never matches
    const std::string clause = mf.field + " = " + *literal;
    where = where.empty() ? clause : "(" + where + " and " + clause + ")";
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto found, crm_.Coql("select id, " + m.external_id_field + " from " +
                                                  m.module + " where " + where + " limit 2"));
  CrmMatch out;
  std::string ids;
  for (const auto& row : found.rows) {
    auto id = row.find("id");
    if (id == row.end() || !id->second.is_string()) continue;
    ids += (ids.empty() ? "" : ",") + crm::ToJson(id->second);
  }
  if (found.rows.empty()) return out;
  const std::string theirs = ExternalIdOf(found.rows[0], m.external_id_field);
  // Two candidates, or one that already belongs to another row: a person decides.
  if (found.rows.size() > 1 || !theirs.empty()) {
    out.ambiguous = true;
    out.candidates = "[" + ids + "]";
    Log().Warn("ambiguous match held for a person",
               {{"mapping", m.name}, {"key", key_json}, {"zoho_ids", out.candidates}});
    return out;
  }
  out.zoho_id = found.rows[0].at("id").as_string();
  return out;
}

PushCounts& PushCounts::operator+=(const PushCounts& o) {
  changes += o.changes;
  created += o.created;
  updated += o.updated;
  deleted += o.deleted;
  unchanged += o.unchanged;
  parked += o.parked;
  waiting += o.waiting;
  matched += o.matched;
  held += o.held;
  reconciled += o.reconciled;
  zoho_calls += o.zoho_calls;
  zoho_credits += o.zoho_credits;
  return *this;
}

Result<PushStats> Pusher::Drain() {
  PushStats stats;
  for (;;) {
    if (options_.should_stop && options_.should_stop()) return stats;
    ZCRMSYNC_ASSIGN_OR_RETURN(bool more, PushOnce(stats));
    if (!more) return stats;
  }
}

Result<bool> Pusher::PushOnce(PushStats& stats) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved_cursor, change_capture::LoadState(db_, kit_, kCursorState));
  const std::string cursor = saved_cursor.value_or("");
  change_capture::ChangeReader reader(db_, kit_);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto changes, reader.Next(cursor, options_.batch));
  if (changes.empty()) return false;
  // This pass's counts per mapping; added to the totals at its end.
  std::map<std::string, PushCounts> pass;
  for (const auto& c : changes) ++pass[c.mapping].changes;
  const std::string next_cursor = changes.back().cursor;

  // Coalesce per (mapping, key), keeping first-seen order.
  std::map<std::string, std::vector<Pending>> by_mapping;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, size_t>> where;
  for (const auto& c : changes) {
    auto k = std::make_pair(c.mapping, c.key_json);
    auto it = where.find(k);
    if (it == where.end()) {
      auto& list = by_mapping[c.mapping];
      where[k] = {c.mapping, list.size()};
      list.push_back({c.key_json, c.key, c.op, c.changed_at});
    } else {
      Pending& p = by_mapping[it->second.first][it->second.second];
      p.op = c.op;
      p.changed_at = c.changed_at;
    }
  }

  LinkStore store(db_, kit_);
  // A field held for a person (manual rule) is not pushed until settled.
  ZCRMSYNC_ASSIGN_OR_RETURN(LinkStore::HeldBack held_back, store.ListHeldBack());
  const auto& parked_keys = held_back.parked_keys;
  const auto& held_fields = held_back.held_fields;

  std::vector<Link> links_to_save;
  std::vector<std::pair<std::string, std::string>> links_to_delete;
  std::vector<ParkedRecord> to_park;
  std::vector<HeldConflict> to_hold;
  std::vector<std::pair<const mappings::Mapping*, ErpWrite>> erp_writes;  // the 412 reconcile's
  std::vector<std::pair<std::string, std::string>> requeue;      // (mapping, key) to push again
  auto park = [&](const std::string& mapping, const Pending& p, const std::optional<Link>& link,
                  const Status& s, const std::string& field) {
    ParkedRecord r;
    r.mapping = mapping;
    r.erp_key = p.key_json;
    if (link) r.zoho_id = link->zoho_id;
    r.direction = "erp_to_crm";
    r.status_code = std::string(StatusCodeName(s.code()));
    auto payload_field = s.GetPayload("field");
    if (payload_field || !field.empty()) r.field = payload_field.value_or(field);
    r.message = s.message();
    Log().Warn("parked a record", {{"mapping", mapping}, {"key", p.key_json}, {"error", s.message()}});
    to_park.push_back(std::move(r));
    ++pass[mapping].parked;
  };

  // In config order, so a mapping that others look up (listed first) is
  // pushed first and its records are linked by the time they are looked up.
  std::vector<std::string> order;
  for (const auto& cm : config_.mappings) {
    if (by_mapping.contains(cm.name)) order.push_back(cm.name);
  }
  for (const auto& [name, unused] : by_mapping) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  for (const std::string& mapping_name : order) {
    std::vector<Pending>& pendings = by_mapping[mapping_name];
    PushCounts& mc = pass[mapping_name];
    const crm::ClientStats calls_before = crm_.stats();
    const mappings::Mapping* m = mappings::FindMapping(config_, mapping_name);
    if (m == nullptr) {
      Log().Warn("changes for a mapping not in the config are skipped", {{"mapping", mapping_name}});
      continue;
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping resolved,
                              ResolveFields(*m, fields_, /*erp_to_crm_only=*/true));
    std::vector<std::string> columns = resolved.columns;
    const std::vector<ResolvedField>& push_fields = resolved.fields;
    // A soft-deleted row (its marker column set) counts as deleted.
    std::optional<size_t> soft_index;
    if (m->deletes.kind == mappings::DeleteKind::kSoftDelete) {
      auto at = std::find(columns.begin(), columns.end(), m->deletes.soft_delete_column);
      soft_index = static_cast<size_t>(at - columns.begin());
      if (at == columns.end()) columns.push_back(m->deletes.soft_delete_column);
    }
    const change_capture::CaptureTable table = RowTable(*m);
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string select_sql,
                              change_capture::RenderSelectRow(kit_, table, columns));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(select_sql));

    std::vector<Outgoing> upserts, updates;
    std::set<std::string> claimed;  // CRM ids matched by a row of this batch
    std::vector<Outgoing> deletes;
    // The rows of a one-column key are read a chunk at a time; a key the
    // chunk does not bring back is read alone (a deleted row, or a key type
    // whose text this reading does not reproduce).
    std::map<std::string, odbc::Row> prefetched;
    if (m->key_columns.size() == 1) {
      std::vector<const Pending*> wanted;
      for (const Pending& p : pendings) {
        if (p.op != 'D' && !parked_keys.contains({m->name, p.key_json})) wanted.push_back(&p);
      }
      constexpr size_t kChunk = 200;
      for (size_t start = 0; start < wanted.size(); start += kChunk) {
        const size_t n = std::min(kChunk, wanted.size() - start);
        ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql,
                                  change_capture::RenderSelectRows(kit_, table, columns, n));
        ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement rows, db_.Prepare(sql));
        std::vector<Value> keys;
        for (size_t i = start; i < start + n; ++i) keys.push_back(Value::Text(wanted[i]->key.front()));
        ZCRMSYNC_RETURN_IF_ERROR(rows.BindAll(std::move(keys)));
        ZCRMSYNC_RETURN_IF_ERROR(StatusOf(rows.Execute()).WithContext("read " + m->table));
        for (;;) {
          ZCRMSYNC_ASSIGN_OR_RETURN(bool more, rows.Fetch());
          if (!more) break;
          ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Row r, rows.GetRow());
          const Value& k = r[0];
          std::optional<std::string> text;
          if (!k.is_null() && k.type() == ValueType::kInt64) text = std::to_string(k.int64_value());
          if (!k.is_null() && k.type() == ValueType::kText) text = k.text_value();
          if (text) prefetched.emplace(change_capture::KeyToJson({*text}), std::move(r));
        }
        ZCRMSYNC_RETURN_IF_ERROR(rows.CloseCursor());
      }
    }
    for (const Pending& p : pendings) {
      if (parked_keys.contains({m->name, p.key_json})) {
        ++mc.waiting;
        continue;
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.Load(m->name, p.key_json));
      std::optional<odbc::Row> row;
      if (p.op != 'D') {
        if (auto hit = prefetched.find(p.key_json); hit != prefetched.end()) {
          row = std::move(hit->second);
        } else {
          ZCRMSYNC_ASSIGN_OR_RETURN(row, ReadErpRow(select, p.key, m->table));
        }
      }
      if (row && soft_index && IsDeletedMarker((*row)[*soft_index])) row.reset();
      const bool propagate = m->deletes.kind != mappings::DeleteKind::kIgnore;
      if (!row) {  // deleted (or gone since the change, or soft-deleted)
        if (link && link->zoho_id && propagate) {
          deletes.push_back({&p, link, {}, {}});
        } else if (!link && propagate) {
          // Never linked, or a crash lost the link after the record reached
          // Zoho: look for it by external id so the delete is not lost.
          ZCRMSYNC_ASSIGN_OR_RETURN(
              auto found, crm_.Coql("select id from " + m->module + " where " + m->external_id_field +
                                    " = " + *CoqlLiteral(crm::JsonValue(ExternalId(p.key))) +
                                    " limit 2"));
          for (const auto& rec : found.rows) {
            auto id = rec.find("id");
            if (id == rec.end() || !id->second.is_string()) continue;
            Link orphan;
            orphan.mapping = m->name;
            orphan.erp_key = p.key_json;
            orphan.zoho_id = id->second.as_string();
            deletes.push_back({&p, orphan, {}, {}});
          }
        } else if (link) {
          links_to_delete.push_back({m->name, p.key_json});
        }
        continue;
      }
      Outgoing out{&p, link, {}, ParseBase(link ? link->base_values : "")};
      const auto old_base = out.new_base;
      bool failed = false;
      for (const ResolvedField& pf : push_fields) {
        const Value& v = (*row)[pf.column_index];
        FieldSpec spec = SpecFor(config_, *m, pf, v.type(), options_.erp_time_zone, store);
        auto json = ToZoho(v, spec);
        if (!json) {
          park(m->name, p, link, json.error(), pf.mapping->field);
          failed = true;
          break;
        }
        std::string canonical = CanonicalValue(*json, spec);
        if (held_fields.contains({m->name, p.key_json, pf.mapping->field})) continue;
        auto base_it = old_base.find(pf.mapping->field);
        if (base_it != old_base.end() && base_it->second != canonical) {
          // An ambiguous wall time that is the base under its other reading.
          auto alt = AmbiguousAlternative(v, spec);
          if (alt && CanonicalValue(*alt, spec) == base_it->second) canonical = base_it->second;
        }
        if (!link || !link->zoho_id || base_it == old_base.end() || base_it->second != canonical) {
          out.record[pf.mapping->field] = std::move(*json);
        }
        out.new_base[pf.mapping->field] = canonical;
      }
      if (failed) continue;
      if (!link || !link->zoho_id) {
        out.record[m->external_id_field] = crm::JsonValue(ExternalId(p.key));
        if (!link && !m->match_fields.empty()) {
          ZCRMSYNC_ASSIGN_OR_RETURN(auto match, MatchInCrm(*m, p.key_json, out.record));
          if (match.zoho_id && !claimed.insert(*match.zoho_id).second) {
            match.ambiguous = true;  // another row of this batch matched it first
            match.candidates = "[\"" + *match.zoho_id + "\"]";
          }
          if (match.ambiguous) {
            to_hold.push_back({0, m->name, p.key_json, std::nullopt,
                               std::string(kMatchConflictField), std::nullopt,
                               "[" + p.key_json + "]", match.candidates});
            ++mc.held;
            continue;
          }
          if (match.zoho_id) {
            // Linked instead of created: the row's values go to that record.
            Link stub;
            stub.zoho_id = match.zoho_id;
            out.link = std::move(stub);
            out.record["id"] = crm::JsonValue(*match.zoho_id);
            ++mc.matched;
            updates.push_back(std::move(out));
            continue;
          }
        }
        upserts.push_back(std::move(out));
      } else if (out.record.empty()) {
        ++mc.unchanged;
      } else {
        out.record["id"] = crm::JsonValue(*link->zoho_id);
        updates.push_back(std::move(out));
      }
    }

    // Send, then record what landed.
    auto land = [&](Outgoing& o, const crm::RecordResult& r, bool created) {
      Link link = o.link.value_or(Link{});
      link.mapping = m->name;
      link.erp_key = o.pending->key_json;
      if (!r.id.empty()) link.zoho_id = r.id;
      link.external_id = ExternalId(o.pending->key);
      link.base_values = BaseToJson(o.new_base);
      link.erp_changed_at = o.pending->changed_at;
      if (auto t = ParseZohoTime(r.modified_time)) link.crm_modified_at = *t;
      links_to_save.push_back(std::move(link));
      ++(created ? mc.created : mc.updated);
    };
    std::vector<Outgoing*> stale;  // 412: the CRM record changed since we last saw it
    auto handle = [&](std::vector<Outgoing>& outs, const std::vector<crm::RecordResult>& results,
                      bool upsert) -> Status {
      for (size_t i = 0; i < outs.size() && i < results.size(); ++i) {
        const crm::RecordResult& r = results[i];
        if (r.status.ok()) {
          land(outs[i], r, upsert && r.action != "update");
        } else if (r.status.code() == StatusCode::kAborted && !upsert) {
          stale.push_back(&outs[i]);
        } else if (retry::IsTransient(r.status.code())) {
          return r.status.WithContext("push " + m->module + " " + outs[i].pending->key_json);
        } else {
          park(m->name, *outs[i].pending, outs[i].link,
               r.status.WithContext("push " + m->module + " " + outs[i].pending->key_json), "");
        }
      }
      return Status();
    };
    if (!upserts.empty()) {
      std::vector<crm::Record> records;
      for (const auto& o : upserts) records.push_back(o.record);
      ZCRMSYNC_ASSIGN_OR_RETURN(
          auto results, crm_.Upsert(m->module, records, {m->external_id_field}, WriteOptionsFor(*m)));
      ZCRMSYNC_RETURN_IF_ERROR(handle(upserts, results, /*upsert=*/true));
    }
    if (!updates.empty()) {
      // One If-Unmodified-Since per call: the oldest CRM time we saw. A record
      // changed in between is always caught; a few may be checked needlessly.
      std::optional<Clock::TimePoint> since;
      std::vector<crm::Record> records;
      for (const auto& o : updates) {
        records.push_back(o.record);
        if (o.link && o.link->crm_modified_at) {
          const auto t = ToTimePoint(*o.link->crm_modified_at);
          if (!since || t < *since) since = t;
        }
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                                crm_.Update(m->module, records, since, WriteOptionsFor(*m)));
      ZCRMSYNC_RETURN_IF_ERROR(handle(updates, results, /*upsert=*/false));
    }
    if (!stale.empty()) {
      // The 412 reconcile: read both sides as they are now and merge them
      // field by field (the ERP side with its change's own time), as the
      // pull would. Late CRM edits are merged, never overwritten.
      ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping all, ResolveFields(*m, fields_, false));
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string full_sql,
                                change_capture::RenderSelectRow(kit_, table, all.columns));
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement full, db_.Prepare(full_sql));
      std::vector<std::string> api_fields = {"Modified_Time", "Created_Time", m->external_id_field};
      for (const ResolvedField& f : all.fields) api_fields.push_back(f.mapping->field);
      std::vector<std::string> ids;
      for (const Outgoing* o : stale) ids.push_back(*o->link->zoho_id);
      std::map<std::string, crm::Record> now;
      ZCRMSYNC_ASSIGN_OR_RETURN(auto got, crm_.GetByIds(m->module, ids, api_fields));  // pages itself
      for (auto& rec : got) {
        if (auto id = rec.find("id"); id != rec.end() && id->second.is_string()) {
          now[id->second.as_string()] = std::move(rec);
        }
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(auto skew, MeasureClockSkew(db_, kit_, crm_, SystemClock()));
      std::vector<crm::Record> again;
      std::vector<std::pair<Link, const Pending*>> again_links;
      std::optional<Clock::TimePoint> again_since;
      for (Outgoing* o : stale) {
        const Pending& p = *o->pending;
        auto rec = now.find(*o->link->zoho_id);
        if (rec == now.end()) continue;  // deleted in the CRM meanwhile: the pull handles it
        ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(full, p.key, m->table));
        if (!row) continue;  // deleted in the ERP meanwhile: its own change follows
        std::optional<Timestamp> modified;
        if (auto mt = rec->second.find("Modified_Time"); mt != rec->second.end() && mt->second.is_string()) {
          modified = ParseZohoTime(mt->second.as_string());
        }
        RecordMergeInput in;
        in.config = &config_;
        in.mapping = m;
        in.resolved = &all;
        in.erp_time_zone = options_.erp_time_zone;
        // A record re-linked after a crash has no base. If the ERP row has
        // not changed since the record was created from it, the row is the
        // base: then only the CRM's later edits count as changes.
        Link link = *o->link;
        if (ParseBase(link.base_values).empty()) {
          std::optional<Timestamp> created;
          if (auto ct = rec->second.find("Created_Time"); ct != rec->second.end() && ct->second.is_string()) {
            created = ParseZohoTime(ct->second.as_string());
          }
          if (created && ToTimePoint(p.changed_at) + skew.value_or(Clock::Duration(0)) <=
                             ToTimePoint(*created)) {
            std::map<std::string, std::string> base;
            for (const ResolvedField& f : all.fields) {
              FieldSpec spec = SpecFor(config_, *m, f, (*row)[f.column_index].type(),
                                       options_.erp_time_zone, store);
              if (auto json = ToZoho((*row)[f.column_index], spec)) {
                base[f.mapping->field] = CanonicalValue(*json, spec);
              }
            }
            link.base_values = BaseToJson(base);
          }
        }
        in.link = &link;
        in.key = &p.key;
        in.row = &*row;
        in.crm = &rec->second;
        in.crm_modified = modified;
        in.erp_changed = p.changed_at;
        in.check_echo = false;
        in.clock_skew = skew.value_or(Clock::Duration(0));
        in.links = &store;
        ZCRMSYNC_ASSIGN_OR_RETURN(RecordMergeOutcome merged, MergeRecord(in));
        if (merged.kind == RecordMergeOutcome::Kind::kParked) {
          park(m->name, p, o->link, merged.error, merged.error_field);
          continue;
        }
        ++mc.reconciled;
        for (auto& c : merged.held) {
          ++mc.held;
          to_hold.push_back(std::move(c));
        }
        if (!merged.erp_columns.empty()) {
          erp_writes.push_back(
              {m, ErpWrite{p.key, std::move(merged.erp_columns), std::move(merged.erp_values)}});
        }
        if (merged.crm_update) {
          if (modified) {
            const auto t = ToTimePoint(*modified);
            if (!again_since || t < *again_since) again_since = t;
          }
          again.push_back(std::move(*merged.crm_update));
          again_links.push_back({std::move(merged.link), &p});
        } else {
          links_to_save.push_back(std::move(merged.link));
        }
      }
      if (!again.empty()) {
        ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                                  crm_.Update(m->module, again, again_since, WriteOptionsFor(*m)));
        for (size_t i = 0; i < again.size() && i < results.size(); ++i) {
          const Status& st = results[i].status;
          Link& l = again_links[i].first;
          const Pending& p = *again_links[i].second;
          if (st.ok()) {
            if (auto t = ParseZohoTime(results[i].modified_time)) l.crm_modified_at = *t;
            links_to_save.push_back(std::move(l));
            ++mc.updated;
          } else if (st.code() == StatusCode::kAborted) {
            // Edited again in the last moment: the row goes round once more.
            requeue.push_back({m->name, p.key_json});
          } else if (retry::IsTransient(st.code())) {
            return Error(st.WithContext("push " + m->module + " " + p.key_json));
          } else {
            park(m->name, p, std::optional<Link>(l),
                 st.WithContext("push " + m->module + " " + p.key_json), "");
          }
        }
      }
    }
    if (!deletes.empty()) {
      std::vector<std::string> ids;
      for (const auto& o : deletes) ids.push_back(*o.link->zoho_id);
      ZCRMSYNC_ASSIGN_OR_RETURN(auto results, crm_.Delete(m->module, ids));
      for (size_t i = 0; i < deletes.size() && i < results.size(); ++i) {
        const Status& s = results[i].status;
        if (s.ok() || s.code() == StatusCode::kNotFound) {
          links_to_delete.push_back({m->name, deletes[i].pending->key_json});
          ++mc.deleted;
        } else if (retry::IsTransient(s.code())) {
          return Error(s.WithContext("delete " + m->module + " " + deletes[i].pending->key_json));
        } else {
          park(m->name, *deletes[i].pending, deletes[i].link, s, "");
        }
      }
    }
    // The records this mapping created or updated are linked now, before the
    // next mapping looks them up. (Safe ahead of the cursor: after a crash
    // the batch is read again and finds them unchanged.)
    if (!links_to_save.empty()) {
      ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
      for (const Link& l : links_to_save) ZCRMSYNC_RETURN_IF_ERROR(store.Save(l));
      ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
      links_to_save.clear();
    }
    const crm::ClientStats calls_after = crm_.stats();
    mc.zoho_calls += calls_after.calls - calls_before.calls;
    mc.zoho_credits += calls_after.credits - calls_before.credits;
  }
  for (const auto& [name, counts] : pass) {
    stats += counts;
    stats.by_mapping[name] += counts;
  }

  // The rest of the links, parked records and the cursor land together.
  {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto begin, change_capture::RenderBeginAgentWrites(kit_));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto end, change_capture::RenderEndAgentWrites(kit_));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    // The reconcile's ERP share is the agent's own write: not captured.
    if (!erp_writes.empty()) {
      for (const auto& s : begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    }
    for (const auto& [wm, w] : erp_writes) ZCRMSYNC_RETURN_IF_ERROR(WriteErpRow(db_, kit_, *wm, w));
    if (!erp_writes.empty()) {
      for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    }
    for (const auto& [mapping, key] : requeue) ZCRMSYNC_RETURN_IF_ERROR(store.Enqueue(mapping, key));
    for (const Link& l : links_to_save) ZCRMSYNC_RETURN_IF_ERROR(store.Save(l));
    for (const auto& [mapping, key] : links_to_delete) ZCRMSYNC_RETURN_IF_ERROR(store.Delete(mapping, key));
    for (const ParkedRecord& r : to_park) ZCRMSYNC_RETURN_IF_ERROR(store.Park(r));
    for (const HeldConflict& c : to_hold) ZCRMSYNC_RETURN_IF_ERROR(store.Hold(c));
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, kCursorState, next_cursor));
    ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
  }
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(reader.Purge(next_cursor, options_.batch)));
  return true;
}

}  // namespace zcrmsync::sync
