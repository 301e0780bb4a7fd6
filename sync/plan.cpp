#include "sync/plan.h"

#include <algorithm>
#include <optional>
#include <set>

#include "change_capture/catalog.h"
#include "change_capture/change_reader.h"
#include "core/status_macros.h"
#include "odbc/statement.h"
#include "sync/convert.h"
#include "sync/link_store.h"
#include "sync/pull.h"
#include "sync/record_merge.h"
#include "sync/sync_util.h"

namespace zcrmsync::sync {
namespace {

void Add(MappingPlan& plan, PlannedAction a) {
  ++plan.counts[a.action];
  plan.actions.push_back(std::move(a));
}

}  // namespace

Planner::Planner(odbc::Connection& db, const mappings::Config& config,
                 change_capture::KitOptions kit, crm::ZohoClient& crm,
                 std::map<std::string, std::vector<crm::FieldInfo>> fields, std::string erp_time_zone,
                 size_t limit)
    : db_(db),
      config_(config),
      kit_(std::move(kit)),
      crm_(crm),
      fields_(std::move(fields)),
      erp_time_zone_(std::move(erp_time_zone)),
      limit_(limit) {}

Result<std::map<std::string, MappingPlan>> Planner::Plan() {
  std::map<std::string, MappingPlan> plans;
  for (const auto& m : config_.mappings) plans[m.name];
  // The cycle's order: the pull first, then the push.
  for (const auto& m : config_.mappings) {
    if (!mappings::FlowsCrmToErp(m.direction)) continue;
    ZCRMSYNC_RETURN_IF_ERROR(PlanPull(m, plans[m.name]).WithContext("plan the pull of " + m.name));
  }
  ZCRMSYNC_RETURN_IF_ERROR(PlanPush(plans).WithContext("plan the push"));
  return plans;
}

Status Planner::PlanPush(std::map<std::string, MappingPlan>& plans) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto cursor, change_capture::LoadState(db_, kit_, "push/cursor"));
  change_capture::ChangeReader reader(db_, kit_);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto changes, reader.Next(cursor.value_or(""), limit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto waiting, reader.CountAfter(cursor.value_or("")));
  // Coalesced per key, as the push does: the last operation wins. A key
  // change (K) names the old key: its record moves to the new key.
  struct Key {
    std::string key_json;
    std::vector<std::string> key;
    std::optional<std::string> moved_from;
  };
  std::map<std::string, std::vector<Key>> keys;
  std::set<std::pair<std::string, std::string>> seen;
  std::map<std::string, int64_t> shown;
  for (const auto& c : changes) {
    ++shown[c.mapping];
    if (c.op == 'K' && seen.insert({c.mapping, c.old_key_json}).second) {
      keys[c.mapping].push_back({c.old_key_json, c.old_key, std::nullopt});
    }
    if (seen.insert({c.mapping, c.key_json}).second) {
      keys[c.mapping].push_back({c.key_json, c.key, c.op == 'K' ? std::optional(c.old_key_json)
                                                                  : std::nullopt});
    }
  }
  for (auto& [name, plan] : plans) {
    if (waiting.contains(name)) plan.not_shown = std::max<int64_t>(0, waiting.at(name) - shown[name]);
  }
  // Rows that existed before install are queued by the next cycle's initial
  // load, then pushed like any change.
  for (const auto& m : config_.mappings) {
    if (!mappings::FlowsErpToCrm(m.direction)) continue;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto done, change_capture::LoadState(db_, kit_, "load/" + m.name + "/done"));
    if (done.value_or("") == "1") continue;
    Add(plans[m.name], {"erp_to_crm", "initial load", "", "",
                        "every row of " + m.table + " not yet queued is queued and pushed "
                        "(creates, or links with match_fields); not listed one by one"});
  }
  LinkStore store(db_, kit_);
  ZCRMSYNC_ASSIGN_OR_RETURN(LinkStore::HeldBack held_back, store.ListHeldBack());
  const auto& parked_keys = held_back.parked_keys;
  const auto& held = held_back.held_fields;

  for (const auto& [name, list] : keys) {
    const mappings::Mapping* m = mappings::FindMapping(config_, name);
    if (m == nullptr) continue;
    MappingPlan& plan = plans[name];
    ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping resolved, ResolveFields(*m, fields_, true));
    const auto [columns, soft_index] = ColumnsToPush(*m, resolved);
    const change_capture::CaptureTable table = RowTable(*m);
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderSelectRow(kit_, table, columns));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(sql));
    for (const auto& [key_json, key, moved_from] : list) {
      PlannedAction a{"erp_to_crm", "", key_json, "", ""};
      if (parked_keys.contains({name, key_json})) {
        a.action = "wait";
        a.detail = "behind a parked record (zcrmsync errors list)";
        Add(plan, std::move(a));
        continue;
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.Load(name, key_json));
      if (moved_from && !link && !parked_keys.contains({name, *moved_from})) {
        ZCRMSYNC_ASSIGN_OR_RETURN(auto old_link, store.Load(name, *moved_from));
        if (old_link && old_link->zoho_id) {
          // The push moves the record: the same updates as for the old key,
          // plus the external id.
          a.action = "move";
          a.zoho_id = *old_link->zoho_id;
          a.detail = "the record of key " + *moved_from +
                     " moves to this key (its id and history stay; its external id follows)";
          Add(plan, std::move(a));
          continue;
        }
      }
      if (link && link->zoho_id) a.zoho_id = *link->zoho_id;
      ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(select, key, m->table));
      if (row && soft_index && IsDeletedMarker((*row)[*soft_index])) row.reset();
      if (link && link->zoho_id) {
        // The old key of a key change whose record moves: no delete, and a
        // row that takes the key again gets a record of its own.
        std::optional<std::string> moves_to;
        for (const auto& other : list) {
          if (other.moved_from != key_json) continue;
          ZCRMSYNC_ASSIGN_OR_RETURN(auto new_link, store.Load(name, other.key_json));
          if (!new_link && !parked_keys.contains({name, other.key_json})) moves_to = other.key_json;
        }
        if (moves_to && !row) continue;  // shown as the new key's move
        if (moves_to) {
          a.action = "create";
          a.zoho_id.clear();
          a.detail = "a new record: this key's record moves to key " + *moves_to;
          Add(plan, std::move(a));
          continue;
        }
      }
      if (!row) {
        if (m->deletes.kind == mappings::DeleteKind::kIgnore) {
          a.action = "nothing";
          a.detail = "row deleted; deletes are ignored";
        } else {
          a.action = "delete";
          if (!link || !link->zoho_id) a.detail = "if Zoho has a record with this external id";
        }
        Add(plan, std::move(a));
        continue;
      }
      const auto base = ParseBase(link ? link->base_values : "");
      std::vector<std::string> changed;
      bool failed = false;
      for (const ResolvedField& f : resolved.fields) {
        FieldSpec spec = SpecFor(config_, *m, f, (*row)[f.column_index].type(), erp_time_zone_, store);
        auto json = ToZoho((*row)[f.column_index], spec);
        if (!json) {
          a.action = "park";
          a.detail = json.error().message();
          failed = true;
          break;
        }
        if (held.contains({name, key_json, f.mapping->field})) continue;
        auto b = base.find(f.mapping->field);
        if (b == base.end() || b->second != CanonicalValue(*json, spec)) changed.push_back(f.mapping->field);
      }
      if (!failed) {
        if (!link || !link->zoho_id) {
          const bool match = !link && !m->match_fields.empty();
          a.action = match ? "create or link" : "create";
          if (link) a.detail = "an earlier attempt did not land; merged with the record if Zoho has it";
          if (match) a.detail = "linked instead when one CRM record has the match_fields values";
        } else if (changed.empty()) {
          a.action = "unchanged";
        } else {
          a.action = "update";
          a.detail = Join(changed);
        }
      }
      Add(plan, std::move(a));
    }
  }
  return Status();
}

Status Planner::PlanPull(const mappings::Mapping& m, MappingPlan& plan) {
  ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping resolved, ResolveFields(m, fields_, false));
  std::vector<std::string> api_fields = {"Modified_Time", m.external_id_field};
  for (const ResolvedField& f : resolved.fields) api_fields.push_back(f.mapping->field);
  const change_capture::CaptureTable table = RowTable(m);
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderSelectRow(kit_, table, resolved.columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(sql));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved,
                            change_capture::LoadState(db_, kit_, PullWatermarkStateName(m.name)));
  ZCRMSYNC_ASSIGN_OR_RETURN(
      auto deleted_saved,
      change_capture::LoadState(db_, kit_, PullDeletedWatermarkStateName(m.name)));
  std::optional<Clock::TimePoint> since;
  if (saved) {
    if (auto t = ParseTimestamp(*saved)) since = ToTimePoint(*t) - std::chrono::seconds(5);
  }
  // Deletions have their own watermark (the pull's); before it, this one.
  std::optional<Clock::TimePoint> deleted_since = since;
  if (deleted_saved) {
    if (auto t = ParseTimestamp(*deleted_saved))
      deleted_since = ToTimePoint(*t) - std::chrono::seconds(5);
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto records, crm_.ListModifiedSince(m.module, api_fields, since));
  LinkStore store(db_, kit_);
  for (const crm::Record& r : records) {
    auto id_it = r.find("id");
    if (id_it == r.end() || !id_it->second.is_string()) continue;
    PlannedAction a{"crm_to_erp", "", "", id_it->second.as_string(), ""};
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, a.zoho_id));
    if (!link) {
      const std::string external = ExternalIdOf(r, m.external_id_field);
      if (!external.empty()) {
        a.action = "link";
        a.detail = "carries external id " + external;
      } else if (!m.match_fields.empty()) {
        a.action = "create or link";
        a.detail = "an ERP row is created unless exactly one matches the match_fields values";
      } else {
        a.action = "create";
        a.detail = "a new row in " + m.table;
      }
      Add(plan, std::move(a));
      continue;
    }
    a.erp_key = link->erp_key;
    auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
    if (!keys || keys->size() != 1) continue;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(select, keys->front(), m.table));
    if (!row) continue;  // deleted in the ERP: the push deletes the record
    const std::optional<Timestamp> modified = RecordTime(r, "Modified_Time");
    RecordMergeInput in;
    in.config = &config_;
    in.mapping = &m;
    in.resolved = &resolved;
    in.erp_time_zone = erp_time_zone_;
    in.link = &*link;
    in.key = &keys->front();
    in.row = &*row;
    in.crm = &r;
    in.crm_modified = modified;
    in.links = &store;
    ZCRMSYNC_ASSIGN_OR_RETURN(RecordMergeOutcome merged, MergeRecord(in));
    if (merged.kind == RecordMergeOutcome::Kind::kEcho) continue;
    if (merged.kind == RecordMergeOutcome::Kind::kParked) {
      a.action = "park";
      a.detail = merged.error.message();
    } else if (merged.needs_erp_time) {
      a.action = "conflict";
      a.detail = "latest_wins, settled by the push's reconcile with the ERP change's time";
    } else if (!merged.held.empty()) {
      std::vector<std::string> fields;
      for (const auto& h : merged.held) fields.push_back(h.field);
      a.action = "conflict";
      a.detail = "held for a person (manual rule): " + Join(fields);
    } else if (merged.erp_columns.empty() && !merged.crm_update) {
      continue;  // nothing to write
    } else {
      a.action = "update";
      std::vector<std::string> parts;
      if (!merged.erp_columns.empty()) parts.push_back("ERP columns " + Join(merged.erp_columns));
      if (merged.crm_update) {
        std::vector<std::string> fields;
        for (const auto& [f, v] : *merged.crm_update) {
          if (f != "id") fields.push_back(f);
        }
        parts.push_back("CRM fields " + Join(fields));
      }
      if (merged.conflicts > 0) parts.push_back(std::to_string(merged.conflicts) + " conflict(s) settled by rule");
      a.detail = Join(parts);
    }
    Add(plan, std::move(a));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto deleted, crm_.DeletedSince(m.module, deleted_since));
  for (const auto& d : deleted) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store.FindByZohoId(m.name, d.id));
    if (!link) continue;
    PlannedAction a{"crm_to_erp", "delete", link->erp_key, d.id, ""};
    if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
      a.detail = "soft: sets " + m.deletes.soft_delete_column;
    } else if (m.deletes.kind == mappings::DeleteKind::kIgnore) {
      a.action = "nothing";
      a.detail = "deleted in Zoho; deletes are ignored (the link is dropped)";
    }
    Add(plan, std::move(a));
  }
  return Status();
}

}  // namespace zcrmsync::sync
