#include "sync/pull.h"

#include <algorithm>
#include <cctype>
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

// The resume id of a scan stopped between pages: every record of the
// watermark's second (Zoho ids are positive).
constexpr char kWholeSecond[] = "0";

// Deletions landed per transaction, and refetch requests per page.
constexpr size_t kDeletesPerTransaction = 200;
constexpr size_t kRefetchPerPage = 100;

// The column of `columns` an ERP error message names ("null value in column
// "x"", "Column 'x' cannot be null", "NOT NULL constraint failed: t.x"), or
// "" when none or several do.
std::string ColumnNamedIn(const std::string& error, const std::vector<std::string>& columns) {
  // The database's own words, after the statement text the error repeats.
  const size_t diagnostic = error.find("(native ");
  const std::string message = diagnostic == std::string::npos ? error : error.substr(diagnostic);
  std::string found;
  for (const std::string& c : columns) {
    for (const std::string& form : {"\"" + c + "\"", "'" + c + "'", "`" + c + "`", "." + c}) {
      const size_t at = message.find(form);
      const size_t after = at + form.size();
      const bool word_end =
          at != std::string::npos &&
          (after >= message.size() ||
           !(std::isalnum(static_cast<unsigned char>(message[after])) || message[after] == '_'));
      if (word_end) {
        if (!found.empty() && found != c) return "";
        found = c;
        break;
      }
    }
  }
  return found;
}

}  // namespace

std::string PullWatermarkStateName(const std::string& mapping) {
  return "pull/" + mapping + "/watermark";
}
std::string PullResumeIdStateName(const std::string& mapping) {
  return "pull/" + mapping + "/watermark_id";
}
std::string PullDeletedWatermarkStateName(const std::string& mapping) {
  return "pull/" + mapping + "/deleted_watermark";
}

// One mapping's pull: what every page shares.
struct Puller::Run {
  Run(odbc::Connection& db, const change_capture::KitOptions& kit, const mappings::Mapping& mapping,
      PullCounts& counts)
      : m(mapping), store(db, kit), stats(counts) {}

  const mappings::Mapping& m;
  ResolvedMapping resolved;
  std::vector<std::string> api_fields;
  std::optional<odbc::Statement> select;      // the ERP row by key
  std::optional<odbc::Statement> delete_row;  // prepared on first use
  LinkStore store;
  change_capture::Script begin;  // echo suppression on and off
  change_capture::Script end;
  PullCounts& stats;
  std::optional<Clock::Duration> skew;
  bool skew_measured = false;
  bool resume_saved = false;  // the resume id state entry exists
};

// One CRM record's writes: they land together or not at all.
struct Puller::PageItem {
  std::string zoho_id;
  std::string erp_key;                            // the link's key, e.g. ["42"]
  std::optional<ErpWrite> write;                  // the ERP share, or a soft-delete marker
  std::optional<std::vector<std::string>> erase;  // the key of an ERP row to delete
  std::optional<Link> link;                       // to save (the new base)
  bool unlink = false;                            // drop the link (a Zoho delete)
  std::vector<HeldConflict> held;
  std::optional<crm::Record> crm_update;     // the CRM share
  std::optional<Timestamp> listed_modified;  // Modified_Time as listed
  bool dropped = false;
};

struct Puller::Landing {
  std::vector<ParkedRecord> parks;
  std::vector<HeldConflict> held;             // ambiguous initial matches
  std::vector<std::string> refetch_done;      // refetch state entries handled
  std::vector<std::string> refetch_ask;       // Zoho ids the next pull fetches again
  std::optional<crm::ListPosition> position;  // the scan's position after the page
  std::optional<Clock::TimePoint> deleted_listed_at;
};

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
  stopping_ = false;
  for (const mappings::Mapping& m : config_.mappings) {
    if (!mappings::FlowsCrmToErp(m.direction)) continue;
    if (stopping_ || (options_.should_stop && options_.should_stop())) break;
    PullCounts counts;
    const crm::ClientStats calls_before = crm_.stats();
    const Status pulled = PullMapping(m, counts).WithContext("pull mapping " + m.name);
    const crm::ClientStats calls_after = crm_.stats();
    counts.zoho_calls = calls_after.calls - calls_before.calls;
    counts.zoho_credits = calls_after.credits - calls_before.credits;
    stats += counts;
    stats.by_mapping[m.name] += counts;
    ZCRMSYNC_RETURN_IF_ERROR(pulled);
  }
  return stats;
}

Status Puller::PullMapping(const mappings::Mapping& m, PullCounts& stats) {
  Run run(db_, kit_, m, stats);
  ZCRMSYNC_ASSIGN_OR_RETURN(run.resolved, ResolveFields(m, fields_, /*erp_to_crm_only=*/false));
  run.api_fields = {"Modified_Time", "Created_Time", m.external_id_field};
  for (const ResolvedField& f : run.resolved.fields) run.api_fields.push_back(f.mapping->field);
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string select_sql, change_capture::RenderSelectRow(
                                                        kit_, RowTable(m), run.resolved.columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(run.select, db_.Prepare(select_sql));
  ZCRMSYNC_ASSIGN_OR_RETURN(run.begin, change_capture::RenderBeginAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(run.end, change_capture::RenderEndAgentWrites(kit_));

  // Where the scan resumes: after a crash or a stop mid-scan, exactly where
  // it was; after a complete scan, at the watermark minus the overlap.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved,
                            change_capture::LoadState(db_, kit_, PullWatermarkStateName(m.name)));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto resume_id,
                            change_capture::LoadState(db_, kit_, PullResumeIdStateName(m.name)));
  std::optional<Clock::TimePoint> watermark;
  if (saved) {
    if (auto t = ParseTimestamp(*saved)) watermark = ToTimePoint(*t);
  }
  run.resume_saved = resume_id.has_value();
  crm::ListPosition from;
  if (watermark && resume_id && !resume_id->empty()) {
    from = crm::ListPosition{watermark, *resume_id};
  } else if (watermark) {
    from.time = *watermark - options_.overlap;
  }
  // Deletions have their own watermark: the Zoho time they were last listed
  // at. Before it existed, the modified records' watermark served.
  ZCRMSYNC_ASSIGN_OR_RETURN(
      auto deleted_saved,
      change_capture::LoadState(db_, kit_, PullDeletedWatermarkStateName(m.name)));
  std::optional<Clock::TimePoint> deleted_since;
  if (deleted_saved) {
    if (auto t = ParseTimestamp(*deleted_saved)) deleted_since = ToTimePoint(*t) - options_.overlap;
  } else if (watermark) {
    deleted_since = *watermark - options_.overlap;
  }

  // The deleted records are listed on a second thread while the scan runs.
  // Their watermark is Zoho's clock when the listing started: a record
  // deleted after that is listed next time, however long the scan takes.
  Result<std::vector<crm::DeletedRecord>> deleted = std::vector<crm::DeletedRecord>();
  Clock::TimePoint deleted_listed_at{};
  Status scanned;
  RunConcurrently(
      [&] {
        const Clock::TimePoint local = SystemClock().Now();
        const std::optional<Clock::Duration> offset = crm_.ClockOffset();
        deleted = crm_.DeletedSince(m.module, deleted_since);
        // Without an earlier reply, this one's Date header gives the offset.
        deleted_listed_at =
            local + offset.value_or(crm_.ClockOffset().value_or(Clock::Duration(0)));
      },
      [&] { scanned = Scan(run, from); });
  if (stopping_) return Status::Ok();  // the pages pulled are committed
  ZCRMSYNC_RETURN_IF_ERROR(scanned);
  if (!deleted) return deleted.error();
  return ApplyDeletes(run, *deleted, deleted_listed_at);
}

Status Puller::Scan(Run& run, const crm::ListPosition& from) {
  const mappings::Mapping& m = run.m;
  // Records `errors retry` (or a 412 on a CRM share) asked for are fetched
  // again, changed or not.
  const std::string refetch_prefix = RefetchStatePrefix(m.name);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto refetch, change_capture::ListStates(db_, kit_, refetch_prefix));
  std::vector<std::string> names;
  for (const auto& [name, unused] : refetch) names.push_back(name);
  for (size_t start = 0; start < names.size(); start += kRefetchPerPage) {
    Landing landing;
    std::vector<std::string> ids;
    for (size_t i = start; i < std::min(names.size(), start + kRefetchPerPage); ++i) {
      landing.refetch_done.push_back(names[i]);
      ids.push_back(names[i].substr(refetch_prefix.size()));
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(auto again, crm_.GetByIds(m.module, ids, run.api_fields));
    Log().Info("fetched records again on request",
               {{"mapping", m.name}, {"records", static_cast<int64_t>(again.size())}});
    ZCRMSYNC_RETURN_IF_ERROR(PullPage(run, std::move(again), landing));
  }
  std::optional<Clock::TimePoint> last;
  const Status scanned =
      crm_.ScanModified(m.module, run.api_fields, from, [&](crm::ListPage&& page) -> Status {
        Landing landing;
        last = page.next.time;
        landing.position = std::move(page.next);
        // Until the scan ends, it resumes exactly where it is, without the
        // overlap, so a crash or a stop re-reads at most that second.
        if (landing.position->after_id.empty()) landing.position->after_id = kWholeSecond;
        ZCRMSYNC_RETURN_IF_ERROR(PullPage(run, std::move(page.records), landing));
        if (options_.should_stop && options_.should_stop()) {
          stopping_ = true;
          return CancelledError("pull of " + m.name + " stopped between pages");
        }
        return Status::Ok();
      });
  ZCRMSYNC_RETURN_IF_ERROR(scanned);
  if (run.resume_saved && last) {
    // The scan is complete: the next one starts at its last second minus
    // the overlap (records of the last seconds may become visible late, or
    // be modified later within the second).
    std::vector<PageItem> none;
    Landing landing;
    landing.position = crm::ListPosition{last, ""};
    ZCRMSYNC_RETURN_IF_ERROR(Land(run, none, landing));
  }
  return Status::Ok();
}

Status Puller::PullPage(Run& run, std::vector<crm::Record> records, Landing& landing) {
  claimed_keys_.clear();  // a match landed in an earlier page is in its link
  run.stats.fetched += static_cast<int64_t>(records.size());
  if (!run.skew_measured && !records.empty()) {
    // Measured after a Zoho reply, so its Date header is fresh.
    ZCRMSYNC_ASSIGN_OR_RETURN(run.skew, MeasureClockSkew(db_, kit_, crm_, SystemClock()));
    run.skew_measured = true;
    if (run.skew && std::chrono::abs(*run.skew) > TieTolerance(config_.sync)) {
      Log().Warn(
          "Zoho's clock and the database's differ by more than clock_skew_tolerance_seconds; "
          "latest_wins corrects for it",
          {{"skew_ms",
            static_cast<int64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(*run.skew).count())}});
    }
  }
  std::vector<PageItem> items;
  for (const crm::Record& r : records) ZCRMSYNC_RETURN_IF_ERROR(MergeOne(run, r, items, landing));
  records.clear();
  // The CRM shares go out before the ERP commit; repeating them after a
  // crash writes the same values again.
  ZCRMSYNC_RETURN_IF_ERROR(SendCrmShares(run, items, landing));
  return Land(run, items, landing);
}

Status Puller::MergeOne(Run& run, const crm::Record& r, std::vector<PageItem>& items,
                        Landing& landing) {
  const mappings::Mapping& m = run.m;
  auto id_it = r.find("id");
  if (id_it == r.end() || !id_it->second.is_string()) return Status::Ok();
  const std::string id = id_it->second.as_string();
  const std::optional<Timestamp> modified = RecordTime(r, "Modified_Time");
  ZCRMSYNC_ASSIGN_OR_RETURN(auto link, run.store.FindByZohoId(m.name, id));
  bool adopted = false;
  if (!link) {
    ZCRMSYNC_ASSIGN_OR_RETURN(link, FirstContact(m, run.resolved, r, id, modified, run.store,
                                                 run.stats, landing.held, landing.parks, adopted));
    if (!link) return Status::Ok();
  }
  auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
  if (!keys || keys->size() != 1) {
    landing.parks.push_back(
        Park(run, link->erp_key, id, DataLossError("malformed link key " + link->erp_key), ""));
    return Status::Ok();
  }
  const std::vector<std::string> key = keys->front();
  ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(*run.select, key, m.table));
  if (!row) return Status::Ok();  // deleted in the ERP: the push deletes the record

  RecordMergeInput in;
  in.config = &config_;
  in.mapping = &m;
  in.resolved = &run.resolved;
  in.erp_time_zone = options_.erp_time_zone;
  in.link = &*link;
  in.key = &key;
  in.row = &*row;
  in.crm = &r;
  in.crm_modified = modified;
  in.clock_skew = run.skew.value_or(Clock::Duration(0));
  in.links = &run.store;
  ZCRMSYNC_ASSIGN_OR_RETURN(RecordMergeOutcome merged, MergeRecord(in));
  PageItem item;
  item.zoho_id = id;
  item.erp_key = link->erp_key;
  if (merged.kind == RecordMergeOutcome::Kind::kEcho) {
    ++run.stats.echoes;
    // An adopted link learns its Zoho id even when nothing else changed.
    if (adopted || merged.crm_update) {
      link->crm_modified_at = modified;
      item.link = std::move(*link);
      item.crm_update = std::move(merged.crm_update);  // its external id only
      item.listed_modified = modified;
      items.push_back(std::move(item));
    }
    return Status::Ok();
  }
  if (merged.kind == RecordMergeOutcome::Kind::kParked) {
    landing.parks.push_back(Park(run, link->erp_key, id, merged.error, merged.error_field));
    return Status::Ok();
  }
  if (merged.needs_erp_time) {
    // Both sides changed a latest_wins field and the ERP edit is not pushed
    // yet: its time is in the change table, not here. The push sends it
    // with If-Unmodified-Since, Zoho answers 412, and the push's reconcile
    // merges the two with the ERP change's own time.
    ++run.stats.deferred;
    if (adopted) {
      // The push then updates by id, not by upsert, with the record's
      // creation as the last CRM time it saw: Zoho's 412 brings the CRM
      // edit into its reconcile.
      auto created = RecordTime(r, "Created_Time");
      link->crm_modified_at = created ? created : modified;
      item.link = std::move(*link);
      items.push_back(std::move(item));
    }
    return Status::Ok();
  }
  run.stats.conflicts += merged.conflicts;
  for (const auto& c : merged.held) {
    ++run.stats.held;
    Log().Warn("conflict held for a person (manual rule)",
               {{"mapping", m.name}, {"key", link->erp_key}, {"field", c.field}});
  }
  item.held = std::move(merged.held);
  if ((!merged.erp_columns.empty() || merged.crm_update) && log::Enabled(log::Level::kDebug)) {
    Log().Debug("merged a CRM record",
                {{"mapping", m.name}, {"key", link->erp_key}, {"zoho_id", id},
                 {"to_erp", Join(merged.erp_columns)},
                 {"to_crm", merged.crm_update ? Join(FieldNames(*merged.crm_update)) : ""}});
  }
  if (!merged.erp_columns.empty()) {
    item.write = ErpWrite{key, std::move(merged.erp_columns), std::move(merged.erp_values),
                          std::move(merged.erp_seen)};
  }
  item.link = std::move(merged.link);
  item.crm_update = std::move(merged.crm_update);
  item.listed_modified = modified;
  items.push_back(std::move(item));
  return Status::Ok();
}

Status Puller::SendCrmShares(Run& run, std::vector<PageItem>& items, Landing& landing) {
  const mappings::Mapping& m = run.m;
  // Each record with the Modified_Time it was listed with as
  // If-Unmodified-Since (the client sends those of one second together).
  std::vector<size_t> sent;
  std::vector<crm::Record> records;
  std::vector<std::optional<Clock::TimePoint>> unmodified_since;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].crm_update) continue;
    sent.push_back(i);
    records.push_back(*items[i].crm_update);
    unmodified_since.push_back(items[i].listed_modified
                                   ? std::optional(ToTimePoint(*items[i].listed_modified))
                                   : std::nullopt);
  }
  if (records.empty()) return Status::Ok();
  ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                            crm_.Update(m.module, records, unmodified_since, WriteOptionsFor(m)));
  for (size_t j = 0; j < sent.size() && j < results.size(); ++j) {
    PageItem& item = items[sent[j]];
    const crm::RecordResult& result = results[j];
    if (result.status.ok()) {
      if (auto t = ParseZohoTime(result.modified_time); t && item.link) {
        item.link->crm_modified_at = *t;
      }
      ++run.stats.crm_updated;
      continue;
    }
    const Status s = result.status.WithContext("update " + m.module + " " + item.erp_key);
    // A call that failed as a whole (a revoked token, a missing scope, an
    // outage past the retries) is no record's fault: the pull stops there.
    if (result.call_failed) return s;
    item.dropped = true;  // nothing of the record lands
    if (result.status.code() == StatusCode::kAborted || retry::IsTransient(result.status.code())) {
      // 412: the record changed in Zoho after it was listed (or Zoho
      // refuses it for now, RECORD_LOCKED). Neither its ERP share nor its
      // new base lands: the next pull fetches it again and merges it with
      // the change (this scan lists it again too when it was edited).
      landing.refetch_ask.push_back(item.zoho_id);
      Log().Info("a record changed in Zoho since it was listed (or is locked); merged again",
                 {{"mapping", m.name},
                  {"key", item.erp_key},
                  {"zoho_id", item.zoho_id},
                  {"error", result.status.message()}});
    } else {
      // Refused for good: its new base would hold values Zoho never took.
      landing.parks.push_back(Park(run, item.erp_key, item.zoho_id, s,
                                   std::string(result.status.GetPayload("field").value_or(""))));
    }
  }
  std::erase_if(items, [](const PageItem& item) { return item.dropped; });
  return Status::Ok();
}

Status Puller::ApplyDeletes(Run& run, const std::vector<crm::DeletedRecord>& deleted,
                            Clock::TimePoint listed_at) {
  const mappings::Mapping& m = run.m;
  for (size_t start = 0; start == 0 || start < deleted.size(); start += kDeletesPerTransaction) {
    const size_t stop = std::min(deleted.size(), start + kDeletesPerTransaction);
    std::vector<PageItem> items;
    Landing landing;
    // The watermark moves with the last of them.
    if (stop == deleted.size()) landing.deleted_listed_at = listed_at;
    for (size_t i = start; i < stop; ++i) {
      const crm::DeletedRecord& d = deleted[i];
      ZCRMSYNC_ASSIGN_OR_RETURN(auto link, run.store.FindByZohoId(m.name, d.id));
      if (!link) continue;
      PageItem item;
      item.zoho_id = d.id;
      item.erp_key = link->erp_key;
      item.unlink = true;
      auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
      const bool one_key = keys && keys->size() == 1;
      if (m.deletes.kind == mappings::DeleteKind::kPropagate) {
        if (one_key) item.erase = keys->front();
      } else if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
        ZCRMSYNC_ASSIGN_OR_RETURN(ValueType type, ColumnType(m, m.deletes.soft_delete_column));
        auto marker = DeletedMarker(type, SystemClock().Now(), options_.erp_time_zone);
        if (!marker) {
          landing.parks.push_back(
              Park(run, link->erp_key, d.id, marker.error(), m.deletes.soft_delete_column));
        } else if (one_key) {
          item.write =
              ErpWrite{keys->front(), {m.deletes.soft_delete_column}, {std::move(*marker)}};
        }
      }
      items.push_back(std::move(item));
    }
    ZCRMSYNC_RETURN_IF_ERROR(Land(run, items, landing));
    if (stop == deleted.size()) break;
  }
  return Status::Ok();
}

Status Puller::Land(Run& run, std::vector<PageItem>& items, Landing& landing) {
  const mappings::Mapping& m = run.m;
  auto count = [&](const PageItem& item) {
    if (item.dropped) {
      ++run.stats.deferred;
    } else if (item.erase || (item.write && item.unlink)) {
      ++run.stats.erp_deleted;
    } else if (item.write) {
      ++run.stats.erp_updated;
    }
  };
  Status together = InAgentTransaction(run, [&]() -> Status {
    for (PageItem& item : items) ZCRMSYNC_RETURN_IF_ERROR(LandItem(run, item));
    return LandRest(run, landing);
  });
  if (together.code() == StatusCode::kInvalidArgument) {
    // A data error (NOT NULL, length, foreign key, unique, check, a trigger
    // raising one): the transaction is gone (psqlODBC rolls back all of it,
    // so savepoints would not help there). Each record lands on its own;
    // those refused are parked and the rest land.
    Log().Warn("the ERP refused a write of this page; its records land one at a time",
               {{"mapping", m.name}, {"error", together.message()}});
    for (PageItem& item : items) {
      item.dropped = false;
      const Status one = InAgentTransaction(run, [&] { return LandItem(run, item); });
      if (one.ok()) {
        count(item);
      } else if (one.code() == StatusCode::kInvalidArgument) {
        std::string field;
        if (item.write) {
          const std::string column = ColumnNamedIn(one.message(), item.write->columns);
          field = column;
          for (const ResolvedField& f : run.resolved.fields) {
            if (f.mapping->column == column) field = f.mapping->field;
          }
        }
        landing.parks.push_back(Park(run, item.erp_key, item.zoho_id, one, field));
      } else {
        return one;
      }
    }
    together = InAgentTransaction(run, [&] { return LandRest(run, landing); });
  } else if (together.ok()) {
    for (const PageItem& item : items) count(item);
  }
  ZCRMSYNC_RETURN_IF_ERROR(together);
  if (landing.position) run.resume_saved = !landing.position->after_id.empty();
  return Status::Ok();
}

Status Puller::LandItem(Run& run, PageItem& item) {
  const mappings::Mapping& m = run.m;
  if (item.write) {
    Status written = WriteErpRow(db_, kit_, m, *item.write);
    if (written.GetPayload(kChangedSinceRead)) {
      // The ERP edited the row since the merge read it: nothing of this
      // record lands. Its ERP change goes to Zoho with If-Unmodified-Since,
      // and the push's reconcile merges it with this CRM edit.
      Log().Info("the ERP row changed since it was read; its record is left to the push",
                 {{"mapping", m.name}, {"key", item.erp_key}, {"zoho_id", item.zoho_id},
                  {"why", written.message()}});
      item.dropped = true;
      return Status::Ok();
    }
    ZCRMSYNC_RETURN_IF_ERROR(
        written.WithContext("key " + item.erp_key + ", Zoho record " + item.zoho_id));
  }
  if (item.erase) {
    if (!run.delete_row) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql,
                                change_capture::RenderDeleteRow(kit_, RowTable(m)));
      ZCRMSYNC_ASSIGN_OR_RETURN(run.delete_row, db_.Prepare(sql));
    }
    std::vector<Value> params;
    for (const auto& k : *item.erase) params.push_back(Value::Text(k));
    ZCRMSYNC_RETURN_IF_ERROR(run.delete_row->BindAll(std::move(params)));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(run.delete_row->Execute())
                                 .WithContext("delete from " + m.table + " key " + item.erp_key +
                                              " (Zoho record " + item.zoho_id + " was deleted)"));
  }
  if (item.link) ZCRMSYNC_RETURN_IF_ERROR(run.store.Save(*item.link));
  if (item.unlink) ZCRMSYNC_RETURN_IF_ERROR(run.store.Delete(m.name, item.erp_key));
  for (const HeldConflict& c : item.held) ZCRMSYNC_RETURN_IF_ERROR(run.store.Hold(c));
  return Status::Ok();
}

Status Puller::LandRest(Run& run, const Landing& landing) {
  const mappings::Mapping& m = run.m;
  for (const ParkedRecord& p : landing.parks) ZCRMSYNC_RETURN_IF_ERROR(run.store.Park(p));
  for (const HeldConflict& c : landing.held) ZCRMSYNC_RETURN_IF_ERROR(run.store.Hold(c));
  for (const std::string& name : landing.refetch_done) {
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, name));
  }
  for (const std::string& id : landing.refetch_ask) {
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, RefetchStateName(m.name, id),
                                                       "changed in Zoho during a pull"));
  }
  if (landing.position && landing.position->time) {
    ZCRMSYNC_RETURN_IF_ERROR(
        change_capture::SaveState(db_, kit_, PullWatermarkStateName(m.name),
                                  FormatTimestamp(FromTimePoint(*landing.position->time))));
    if (!landing.position->after_id.empty()) {
      ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, PullResumeIdStateName(m.name),
                                                         landing.position->after_id));
    } else if (run.resume_saved) {
      ZCRMSYNC_RETURN_IF_ERROR(
          change_capture::DeleteState(db_, kit_, PullResumeIdStateName(m.name)));
    }
  }
  if (landing.deleted_listed_at) {
    ZCRMSYNC_RETURN_IF_ERROR(
        change_capture::SaveState(db_, kit_, PullDeletedWatermarkStateName(m.name),
                                  FormatTimestamp(FromTimePoint(*landing.deleted_listed_at))));
  }
  return Status::Ok();
}

Status Puller::InAgentTransaction(const Run& run, const std::function<Status()>& body) {
  const Status done = [&]() -> Status {
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    for (const auto& s : run.begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    ZCRMSYNC_RETURN_IF_ERROR(body());
    for (const auto& s : run.end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
    return tx.Commit();
  }();
  if (!done.ok()) {
    // Rolled back; echo suppression that outlives a transaction (MySQL's
    // session variable) is turned off all the same.
    for (const auto& s : run.end.statements) (void)db_.Execute(s);
  }
  return done;
}

ParkedRecord Puller::Park(Run& run, std::optional<std::string> erp_key,
                          std::optional<std::string> zoho_id, const Status& s,
                          const std::string& field) {
  ParkedRecord r;
  r.mapping = run.m.name;
  r.erp_key = std::move(erp_key);
  r.zoho_id = std::move(zoho_id);
  r.direction = "crm_to_erp";
  r.status_code = std::string(StatusCodeName(s.code()));
  if (!field.empty()) r.field = field;
  r.message = s.message();
  Log().Warn("parked a record", {{"mapping", run.m.name},
                                 {"key", r.erp_key.value_or("")},
                                 {"zoho_id", r.zoho_id.value_or("")},
                                 {"field", field},
                                 {"error", s.message()}});
  ++run.stats.parked;
  return r;
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
  change_capture::CaptureTable table = RowTable(m);
  // Key text as the capture trigger renders it (SQL Server: by type).
  ZCRMSYNC_RETURN_IF_ERROR(change_capture::DescribeKeyColumns(db_, kit_.dialect, table));
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
    // Until Zoho has the row's key as its external id (just below), the
    // next pull fetches the record again: a crash or a failed call in
    // between would leave it without one for good.
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, RefetchStateName(m.name, id),
                                                       "external id of a new row"));
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
    Log().Warn("could not set the external id on the new CRM record; the next pull retries",
               {{"mapping", m.name}, {"zoho_id", id}, {"error", results[0].status.message()}});
    return std::optional<Link>();
  }
  ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, RefetchStateName(m.name, id)));
  return std::optional<Link>();
}

}  // namespace zcrmsync::sync
