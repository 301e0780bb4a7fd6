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
// "push/deferred/<mapping>/<erp key>": a record Zoho refused for now.
constexpr char kDeferredPrefix[] = "push/deferred/";
// "push/kept/<mapping>": how many changes of a mapping not in the config
// were kept behind the cursor (unsent, not purged) for when it is back.
constexpr char kKeptPrefix[] = "push/kept/";
// A record refused for now is tried again after 5 minutes, then 10, 20, ...
// After kMaxDeferrals tries it stays parked for a person (errors retry).
constexpr std::chrono::minutes kFirstDeferral{5};
constexpr int kMaxDeferrals = 6;
// A row whose lookup target is not in Zoho yet (its change comes later, as
// in an initial load of a child table before its parent) waits for it this
// long after its change, then is parked.
constexpr std::chrono::hours kLookupWait{1};
// COQL calls in flight at once: Zoho counts COQL among its "complex" APIs,
// with a lower concurrency than plain writes.
constexpr size_t kCoqlConcurrency = 5;

const log::Logger& Log() {
  static const log::Logger* logger = new log::Logger("push");
  return *logger;
}

}  // namespace

// A record Zoho refused for now (RECORD_LOCKED, ...), parked until
// `retry_at`; `changed_at` is its change's own time, kept for latest_wins.
struct Deferral {
  int attempts = 0;
  Timestamp retry_at;
  Timestamp changed_at;
};

namespace {

// The key of a key_json ("[\"1\",\"a\"]" -> {"1", "a"}); empty if malformed.
std::vector<std::string> KeyOf(const std::string& key_json) {
  auto keys = change_capture::ParseKeys("[" + key_json + "]");
  return keys && keys->size() == 1 ? keys->front() : std::vector<std::string>{};
}

std::string DeferralName(const std::string& mapping, const std::string& key_json) {
  return std::string(kDeferredPrefix) + mapping + "/" + key_json;
}

std::string DeferralToText(const Deferral& d) {
  return std::to_string(d.attempts) + "|" + FormatTimestamp(d.retry_at) + "|" +
         FormatTimestamp(d.changed_at);
}

std::optional<Deferral> DeferralFromText(const std::string& text) {
  const size_t a = text.find('|');
  const size_t b = a == std::string::npos ? a : text.find('|', a + 1);
  if (b == std::string::npos) return std::nullopt;
  Deferral d;
  try {
    d.attempts = std::stoi(text.substr(0, a));
  } catch (...) {
    return std::nullopt;
  }
  auto retry_at = ParseTimestamp(text.substr(a + 1, b - a - 1));
  auto changed_at = ParseTimestamp(text.substr(b + 1));
  if (!retry_at || !changed_at) return std::nullopt;
  d.retry_at = *retry_at;
  d.changed_at = *changed_at;
  return d;
}

// (mapping, erp key) of a deferral's state name.
std::optional<std::pair<std::string, std::string>> DeferralKey(const std::string& name) {
  const std::string rest = name.substr(std::string(kDeferredPrefix).size());
  const size_t slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return std::pair{rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace

// One key after coalescing: the last operation wins.
struct PushPending {
  std::string key_json;
  std::vector<std::string> key;
  char op = 'U';
  Timestamp changed_at;
  // A key change of one row (a 'K' change): the new key's pending names the
  // old key (`moved_from`), the old key's names the new one (`moved_to`).
  // The CRM record linked to the old key moves to the new key (its link
  // and external id follow) instead of being deleted and created again.
  std::optional<std::string> moved_from;  // key_json of the old key
  std::optional<std::string> moved_to;    // key_json of the new key
};

// What one key becomes.
struct PushOutgoing {
  const PushPending* pending;
  std::optional<Link> link;
  crm::Record record;                            // for upsert/update
  std::map<std::string, std::string> new_base;   // the base once it lands
  // A key change: the old key whose link this record's link replaces.
  std::optional<std::string> moved_from;
};
using Pending = PushPending;
using Outgoing = PushOutgoing;

struct PushMappingWork {
  const mappings::Mapping* m = nullptr;
  ResolvedMapping resolved;       // its ERP -> CRM fields
  std::vector<Pending> pendings;  // never resized once Outgoing points into it
  std::set<std::string> lookup_targets;  // mappings its lookups resolve through
  std::vector<Outgoing> upserts, updates, deletes;
  // Creates an earlier attempt got into Zoho without landing: reconciled
  // in Land, as a 412 would be (no call of their own).
  std::vector<Outgoing> unlanded;
  // Their calls' bodies, built by Prepare (off the sender's path).
  std::optional<crm::PreparedWrite> upsert_write, update_write;
  // What Send brought back (input order), and the calls it cost.
  std::vector<crm::RecordResult> upsert_results, update_results, delete_results;
  crm::ClientStats sent_calls;
};

struct PushPass {
  std::unique_ptr<LinkStore> store;
  std::string next_cursor;
  std::map<std::string, PushCounts> counts;  // this pass's, per mapping
  std::vector<std::unique_ptr<PushMappingWork>> work;  // looked-up mappings first
  std::set<std::pair<std::string, std::string>> keys;  // (mapping, key_json)
  LinkStore::HeldBack held_back;
  // Landed in Commit, with the cursor.
  std::vector<Link> links_to_save;
  std::vector<std::pair<std::string, std::string>> links_to_delete;
  std::vector<ParkedRecord> to_park;
  std::vector<HeldConflict> to_hold;
  std::vector<std::pair<const mappings::Mapping*, ErpWrite>> erp_writes;  // the 412 reconcile's
  struct Requeue {
    std::string mapping, key_json;
    Timestamp changed_at;  // the change's own time, kept for latest_wins
  };
  std::vector<Requeue> requeue;  // keys to push again
  // Records Zoho refused for now (RECORD_LOCKED and other per-record
  // transient codes): parked, and released again after a backoff.
  std::map<std::pair<std::string, std::string>, Deferral> deferred;  // as read: (mapping, key)
  std::vector<std::pair<std::pair<std::string, std::string>, Deferral>> to_defer;
  std::set<std::pair<std::string, std::string>> landed_keys;  // their deferral ends
  std::map<std::string, int64_t> kept;  // keys of mappings not in the config, per mapping
  // Per looked-up mapping: its row by key (WaitsForLookup).
  std::map<std::string, std::unique_ptr<odbc::Statement>> lookup_selects;
  change_capture::ChangeReader* reader = nullptr;  // the one that read the pass
  // Per mapping: the old keys of its key changes after this pass (read when
  // a row of the pass is gone).
  std::map<std::string, std::set<std::string>> moved_later;
};

namespace {

void Park(PushPass& pass, const std::string& mapping, const Pending& p,
          const std::optional<Link>& link, const Status& s, const std::string& field) {
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
  pass.to_park.push_back(std::move(r));
  ++pass.counts[mapping].parked;
}

// The mappings whose links a lookup field of `resolved` (ERP -> CRM)
// resolves through.
std::set<std::string> LookupTargets(const mappings::Config& config, const ResolvedMapping& resolved) {
  std::set<std::string> out;
  for (const ResolvedField& f : resolved.fields) {
    if (f.info->lookup_module.empty()) continue;
    if (const mappings::Mapping* target = LookupTarget(config, f.info->lookup_module)) {
      out.insert(target->name);
    }
  }
  return out;
}

// A mapping of the pass looks up another mapping of the same pass: the
// mappings must then go one at a time, each linked before the next reads.
bool LooksUpWithin(const PushPass& pass) {
  for (const auto& w : pass.work) {
    for (const auto& other : pass.work) {
      if (other.get() != w.get() && w->lookup_targets.contains(other->m->name)) return true;
    }
  }
  return false;
}

// Some update was refused with 412 (the CRM record changed meanwhile), or
// some create never landed: Land reconciles them, calling Zoho.
bool HasStale(const PushPass& pass) {
  for (const auto& w : pass.work) {
    if (!w->unlanded.empty()) return true;
    for (const auto& r : w->update_results) {
      if (r.status.code() == StatusCode::kAborted) return true;
    }
  }
  return false;
}

void AddCalls(PushCounts& c, const crm::ClientStats& before, const crm::ClientStats& after) {
  c.zoho_calls += after.calls - before.calls;
  c.zoho_credits += after.credits - before.credits;
}

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

Status Pusher::ReleaseDeferred() {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto deferred, change_capture::ListStates(db_, kit_, kDeferredPrefix));
  if (deferred.empty()) return Status();
  const auto now = std::chrono::system_clock::now();
  LinkStore store(db_, kit_);
  std::optional<std::vector<ParkedRecord>> parked;
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
  for (const auto& [name, value] : deferred) {
    auto key = DeferralKey(name);
    auto d = DeferralFromText(value);
    if (!key || !d) {
      Log().Warn("dropped a malformed deferral", {{"state", name}});
      ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, name));
      continue;
    }
    if (ToTimePoint(d->retry_at) > now) continue;
    if (!parked) {
      ZCRMSYNC_ASSIGN_OR_RETURN(parked, store.ListParked());
    }
    for (const ParkedRecord& r : *parked) {
      if (r.mapping != key->first || r.erp_key != key->second || r.direction != "erp_to_crm") continue;
      Log().Info("trying a record Zoho refused for now again",
                 {{"mapping", r.mapping}, {"key", key->second}, {"try", d->attempts + 1}});
      // Queued with its change's own time (latest_wins compares it).
      ZCRMSYNC_RETURN_IF_ERROR(store.Retry(r, d->changed_at));
    }
  }
  return tx.Commit();
}

Status Pusher::HandleKept(change_capture::ChangeReader& reader, const std::string& cursor) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto kept, change_capture::ListStates(db_, kit_, kKeptPrefix));
  for (const auto& [name, value] : kept) {
    const std::string mapping = name.substr(std::string(kKeptPrefix).size());
    if (mappings::FindMapping(config_, mapping) == nullptr) {
      Log().Warn("changes of a mapping that is not in the config are kept in the change table, "
                 "unsent: add the mapping back to send them, or uninstall to drop them",
                 {{"mapping", mapping}, {"kept", value}});
      continue;
    }
    // Back in the config: its kept changes go after the cursor, in order.
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    ZCRMSYNC_ASSIGN_OR_RETURN(int64_t moved, reader.RequeueKept(cursor, mapping));
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, name));
    ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
    Log().Info("a mapping is back in the config: its kept changes are pushed",
               {{"mapping", mapping}, {"change_rows", moved}});
  }
  return Status();
}

Result<PushStats> Pusher::Drain() {
  PushStats stats;
  requeued_.clear();
  ZCRMSYNC_RETURN_IF_ERROR(ReleaseDeferred());
  change_capture::ChangeReader reader(db_, kit_);
  ZCRMSYNC_ASSIGN_OR_RETURN(auto saved_cursor, change_capture::LoadState(db_, kit_, kCursorState));
  std::string cursor = saved_cursor.value_or("");
  ZCRMSYNC_RETURN_IF_ERROR(HandleKept(reader, cursor));
  std::optional<std::string> to_purge;  // committed, not purged yet
  // Only changes of the mappings in the config are purged; a removed
  // mapping's are kept for when it is back (or until uninstall).
  std::vector<std::string> mapping_names;
  for (const auto& m : config_.mappings) mapping_names.push_back(m.name);
  auto purge = [&]() -> Status {
    if (!to_purge) return Status();
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(reader.Purge(*to_purge, options_.batch, mapping_names)));
    to_purge.reset();
    return Status();
  };
  // Commits a pass whose mappings have all landed.
  auto finish = [&](PushPass& pass) -> Status {
    ZCRMSYNC_RETURN_IF_ERROR(Commit(pass));
    cursor = pass.next_cursor;
    to_purge = cursor;
    for (const auto& [name, counts] : pass.counts) {
      stats += counts;
      stats.by_mapping[name] += counts;
    }
    return Status();
  };
  auto land = [&](PushPass& pass) -> Status {
    for (auto& w : pass.work) ZCRMSYNC_RETURN_IF_ERROR(Land(pass, *w));
    return finish(pass);
  };
  // The first passes are smaller (1,000 keys, then twice as many each time,
  // up to the batch): calls start sooner, and the pipeline fills up.
  size_t next_size = std::min<size_t>(options_.batch, 1000);
  auto pass_size = [&] {
    const size_t size = next_size;
    next_size = std::min(options_.batch, next_size * 2);
    return size;
  };
  // A pass goes through: prepared (`ready`), sent on the sender thread,
  // then landed (`landing`) while the pass after it is in flight.
  std::unique_ptr<PushPass> ready, landing;
  // A pass prepared ahead but never sent takes back the links it wrote
  // ahead: else the next run would have to ask Zoho about each of them.
  auto unseal = [&](std::unique_ptr<PushPass>& pass) {
    if (!pass) return;
    Status s = Unseal(*pass);
    if (!s.ok()) Log().Warn("could not take back the links written ahead of an unsent pass",
                            {{"error", s.message()}});
    pass.reset();
  };
  for (;;) {
    if (options_.should_stop && options_.should_stop()) {
      unseal(ready);  // (the pass before it lands below)
      break;
    }
    if (!ready) {
      if (landing) {
        ZCRMSYNC_RETURN_IF_ERROR(land(*landing));
        landing.reset();
      }
      ZCRMSYNC_RETURN_IF_ERROR(purge());
      ZCRMSYNC_ASSIGN_OR_RETURN(ready, Read(reader, cursor, pass_size()));
      if (!ready) break;
      if (LooksUpWithin(*ready)) {
        // One mapping at a time, each linked before the next is read.
        for (auto& w : ready->work) {
          ZCRMSYNC_RETURN_IF_ERROR(StatusOf(Prepare(*ready, *w, /*ahead=*/false)));
          ZCRMSYNC_RETURN_IF_ERROR(Seal(*ready, *w));
          ZCRMSYNC_RETURN_IF_ERROR(Send(*w));
          ZCRMSYNC_RETURN_IF_ERROR(Land(*ready, *w));
        }
        ZCRMSYNC_RETURN_IF_ERROR(finish(*ready));
        ready.reset();
        continue;
      }
      for (auto& w : ready->work) {
        ZCRMSYNC_RETURN_IF_ERROR(StatusOf(Prepare(*ready, *w, /*ahead=*/false)));
      }
      for (auto& w : ready->work) ZCRMSYNC_RETURN_IF_ERROR(Seal(*ready, *w));
    }
    // This pass's calls go out on a second thread; meanwhile this thread
    // lands the pass before it, purges, and reads and prepares the next.
    Status sent, landed;
    Result<std::unique_ptr<PushPass>> next = std::unique_ptr<PushPass>();
    using Ms = std::chrono::milliseconds;
    const auto started = std::chrono::steady_clock::now();
    Ms send_ms{0}, beside_ms{0};
    RunConcurrently(
        [&] {
          for (auto& w : ready->work) {
            sent = Send(*w);
            if (!sent.ok()) break;
          }
          send_ms = std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - started);
        },
        [&] {
          if (landing) landed = land(*landing);
          if (landed.ok()) landed = purge();
          if (landed.ok()) next = ReadAhead(reader, *ready, pass_size());
          beside_ms = std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - started);
        });
    // Which side waited for the other: the calls (Zoho-bound) or the
    // landing and reading ahead (database-bound).
    Log().Debug("pass sent", {{"keys", static_cast<int64_t>(ready->keys.size())},
                              {"send_ms", static_cast<int64_t>(send_ms.count())},
                              {"land_and_read_ahead_ms", static_cast<int64_t>(beside_ms.count())},
                              {"read_ahead", next && *next != nullptr}});
    landing.reset();
    ZCRMSYNC_RETURN_IF_ERROR(landed);
    if (!sent.ok()) {
      if (next) unseal(*next);
      return Error(std::move(sent));
    }
    if (!next) return Error(std::move(next.error()));
    landing = std::move(ready);
    ready = std::move(*next);
    // A 412 reconcile calls Zoho itself: it lands before more calls go out,
    // so each mapping's call count stays exact.
    if (!ready || HasStale(*landing)) {
      ZCRMSYNC_RETURN_IF_ERROR(land(*landing));
      landing.reset();
    }
  }
  if (landing) ZCRMSYNC_RETURN_IF_ERROR(land(*landing));
  ZCRMSYNC_RETURN_IF_ERROR(purge());
  return stats;
}

Result<std::unique_ptr<PushPass>> Pusher::ReadAhead(change_capture::ChangeReader& reader,
                                                    const PushPass& in_flight, size_t limit) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto pass, Read(reader, in_flight.next_cursor, limit));
  if (!pass || LooksUpWithin(*pass)) return std::unique_ptr<PushPass>();
  for (const auto& key : pass->keys) {
    if (in_flight.keys.contains(key)) return std::unique_ptr<PushPass>();
  }
  for (const auto& w : pass->work) {
    for (const auto& other : in_flight.work) {
      if (w->lookup_targets.contains(other->m->name)) return std::unique_ptr<PushPass>();
    }
  }
  for (auto& w : pass->work) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool prepared, Prepare(*pass, *w, /*ahead=*/true));
    if (!prepared) return std::unique_ptr<PushPass>();
  }
  // Only once every mapping could be prepared ahead: a pass read again
  // later must not find its own links written ahead.
  for (auto& w : pass->work) ZCRMSYNC_RETURN_IF_ERROR(Seal(*pass, *w));
  return pass;
}

Result<std::unique_ptr<PushPass>> Pusher::Read(change_capture::ChangeReader& reader,
                                               const std::string& cursor, size_t limit) {
  ZCRMSYNC_ASSIGN_OR_RETURN(auto changes, reader.Next(cursor, limit));
  // A key this Drain queued again goes round in the next one, not at once
  // (else a 412 that keeps coming back would spin here).
  for (size_t i = 0; i < changes.size(); ++i) {
    if (requeued_.contains({changes[i].mapping, changes[i].key_json})) {
      changes.resize(i);
      break;
    }
  }
  if (changes.empty()) return std::unique_ptr<PushPass>();
  // A key change (K) moves a CRM record from one key to another. It goes in
  // a pass where neither of its keys has another change: the pass ends
  // before a K whose keys came earlier, and after a K before the next
  // change of its keys, so a move never mixes with a create, update or
  // delete of the same keys. (The next pass reads them in order.)
  {
    std::set<std::pair<std::string, std::string>> touched, moved;
    size_t cut = changes.size();
    for (size_t i = 0; i < changes.size() && cut == changes.size(); ++i) {
      const auto& c = changes[i];
      std::vector<std::pair<std::string, std::string>> keys = {{c.mapping, c.key_json}};
      if (c.op == 'K') keys.push_back({c.mapping, c.old_key_json});
      for (const auto& k : keys) {
        if (moved.contains(k) || (c.op == 'K' && touched.contains(k))) cut = i;
      }
      if (cut != changes.size()) break;
      for (const auto& k : keys) {
        touched.insert(k);
        if (c.op == 'K') moved.insert(k);
      }
    }
    changes.resize(std::max<size_t>(cut, 1));
  }
  auto pass = std::make_unique<PushPass>();
  pass->reader = &reader;
  for (const auto& c : changes) ++pass->counts[c.mapping].changes;
  pass->next_cursor = changes.back().cursor;

  // Coalesce per (mapping, key), keeping first-seen order.
  std::map<std::string, std::vector<Pending>> by_mapping;
  std::map<std::pair<std::string, std::string>, size_t> where;
  for (auto& c : changes) {
    if (c.op == 'K') {
      // The old key's pending, then the new key's (both fresh: see above).
      auto& list = by_mapping[c.mapping];
      Pending old_key{c.old_key_json, c.old_key, 'D', c.changed_at, std::nullopt, c.key_json};
      Pending new_key{c.key_json, c.key, 'U', c.changed_at, c.old_key_json, std::nullopt};
      where.emplace(std::make_pair(c.mapping, c.old_key_json), list.size());
      list.push_back(std::move(old_key));
      where.emplace(std::make_pair(c.mapping, c.key_json), list.size());
      list.push_back(std::move(new_key));
      pass->keys.insert({c.mapping, c.old_key_json});
      pass->keys.insert({c.mapping, c.key_json});
      continue;
    }
    auto k = std::make_pair(c.mapping, c.key_json);
    auto it = where.find(k);
    if (it == where.end()) {
      auto& list = by_mapping[c.mapping];
      where.emplace(k, list.size());
      list.push_back({c.key_json, c.key, c.op, c.changed_at, std::nullopt, std::nullopt});
      pass->keys.insert(std::move(k));
    } else {
      Pending& p = by_mapping[c.mapping][it->second];
      p.op = c.op;
      p.changed_at = c.changed_at;
    }
  }
  // Records refused for now earlier: their deferral ends when they land.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto deferred, change_capture::ListStates(db_, kit_, kDeferredPrefix));
  for (const auto& [name, value] : deferred) {
    auto key = DeferralKey(name);
    auto d = DeferralFromText(value);
    if (key && d && pass->keys.contains(*key)) pass->deferred[*key] = *d;
  }
  // A store per pass: its statements are prepared again, so PostgreSQL
  // plans them for the links table as it is now, not as it was when empty.
  pass->store = std::make_unique<LinkStore>(db_, kit_);
  // A field held for a person (manual rule) is not pushed until settled.
  ZCRMSYNC_ASSIGN_OR_RETURN(pass->held_back, pass->store->ListHeldBack());

  std::vector<std::unique_ptr<PushMappingWork>> work;
  for (const auto& cm : config_.mappings) {
    auto it = by_mapping.find(cm.name);
    if (it == by_mapping.end()) continue;
    auto w = std::make_unique<PushMappingWork>();
    w->m = &cm;
    w->pendings = std::move(it->second);
    by_mapping.erase(it);
    ZCRMSYNC_ASSIGN_OR_RETURN(w->resolved, ResolveFields(cm, fields_, /*erp_to_crm_only=*/true));
    w->lookup_targets = LookupTargets(config_, w->resolved);
    w->lookup_targets.erase(cm.name);
    work.push_back(std::move(w));
  }
  // Changes of a mapping not in the config (removed from it) are not sent
  // and not purged: kept behind the cursor, counted, and sent when the
  // mapping is back (see HandleKept).
  for (const auto& [name, list] : by_mapping) {
    pass->kept[name] += static_cast<int64_t>(list.size());
  }
  // A mapping that others look up goes before them, so its records are
  // linked by the time they are looked up; otherwise config order. (A
  // cycle of lookups falls back to config order for the rest.)
  while (!work.empty()) {
    auto ready_one = std::find_if(work.begin(), work.end(), [&](const auto& w) {
      return std::none_of(work.begin(), work.end(), [&](const auto& other) {
        return other.get() != w.get() && w->lookup_targets.contains(other->m->name);
      });
    });
    if (ready_one == work.end()) ready_one = work.begin();
    pass->work.push_back(std::move(*ready_one));
    work.erase(ready_one);
  }
  return pass;
}

Result<bool> Pusher::Prepare(PushPass& pass, PushMappingWork& work, bool ahead) {
  LinkStore& store = *pass.store;
  const mappings::Mapping* m = work.m;
  const std::vector<Pending>& pendings = work.pendings;
  PushCounts& mc = pass.counts[m->name];
  const crm::ClientStats calls_before = crm_.stats();
  const auto& parked_keys = pass.held_back.parked_keys;
  const auto& held_fields = pass.held_back.held_fields;
  const std::vector<ResolvedField>& push_fields = work.resolved.fields;
  const auto [columns, soft_index] = ColumnsToPush(*m, work.resolved);
  const change_capture::CaptureTable table = RowTable(*m);
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string select_sql,
                            change_capture::RenderSelectRow(kit_, table, columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement select, db_.Prepare(select_sql));
  auto parked = [&](const std::string& key_json) { return parked_keys.contains({m->name, key_json}); };

  std::set<std::string> claimed;  // CRM ids matched by a row of this batch
  // Every key's row is read, deletes' too: a key deleted and inserted again
  // (in a later pass, or in a later statement of this one) is an update of
  // its record, never a delete and a new record (which would lose the
  // record's notes, activities, related records and owner). The rows of a
  // one-column key are read a chunk at a time; a key the chunk does not
  // bring back is read alone (a deleted row, or a key type whose text this
  // reading does not reproduce).
  std::map<std::string, odbc::Row> prefetched;
  if (m->key_columns.size() == 1) {
    std::vector<const Pending*> wanted;
    for (const Pending& p : pendings) {
      if (!parked(p.key_json)) wanted.push_back(&p);
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
  std::vector<std::string> link_keys;
  for (const Pending& p : pendings) {
    if (!parked(p.key_json)) link_keys.push_back(p.key_json);
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto links, store.LoadMany(m->name, link_keys));
  // Key changes whose record moves: the old key's link has a Zoho id, the
  // new key has no link, and neither waits behind a parked record.
  // Otherwise the old key is handled as a delete and the new one as a row.
  std::set<std::string> moving;  // old keys
  for (const Pending& p : pendings) {
    if (!p.moved_from) continue;
    auto old_link = links.find(*p.moved_from);
    if (!parked(p.key_json) && !parked(*p.moved_from) && old_link != links.end() &&
        old_link->second.zoho_id && !links.contains(p.key_json)) {
      moving.insert(*p.moved_from);
      continue;
    }
    Log().Info("a key change is pushed as a delete and a new row (no record to move)",
               {{"mapping", m->name},
                {"from", *p.moved_from},
                {"to", p.key_json},
                {"why", parked(p.key_json) || parked(*p.moved_from) ? "a key waits behind a parked record"
                        : old_link == links.end()                   ? "the old key has no link"
                        : !old_link->second.zoho_id                 ? "the old key's record never landed"
                                                                    : "the new key is linked already"}});
  }
  // Deletes of rows with no Zoho id to delete by: looked up by external id
  // after the loop, all at once.
  std::vector<std::pair<const Pending*, std::optional<Link>>> unlinked_deletes;
  for (const Pending& p : pendings) {
    if (parked(p.key_json)) {
      ++mc.waiting;
      continue;
    }
    // The old key of a move: its record goes with the new key (below).
    const bool moves_away = p.moved_to && moving.contains(p.key_json);
    std::optional<Link> link;
    std::optional<std::string> moved_from;
    if (p.moved_from && moving.contains(*p.moved_from)) {
      link = links.at(*p.moved_from);
      moved_from = p.moved_from;
    } else if (auto it = links.find(p.key_json); it != links.end() && !moves_away) {
      link = std::move(it->second);
    }
    std::optional<odbc::Row> row;
    if (auto hit = prefetched.find(p.key_json); hit != prefetched.end()) {
      row = std::move(hit->second);
    } else {
      ZCRMSYNC_ASSIGN_OR_RETURN(row, ReadErpRow(select, p.key, m->table));
    }
    const bool row_gone = !row;  // not there at all (soft-deleted is there)
    if (row && soft_index && IsDeletedMarker((*row)[*soft_index])) row.reset();
    if (moves_away) {
      // The old key of a move: its record goes with the new key. A row that
      // holds the old key again (keys that traded places in one statement)
      // gets a record of its own in the next run, once the move has landed
      // and Zoho's external id no longer names this key.
      if (row) {
        pass.requeue.push_back({m->name, p.key_json, p.changed_at});
        ++mc.waiting;
      }
      continue;
    }
    const bool propagate = m->deletes.kind != mappings::DeleteKind::kIgnore;
    if (row_gone) {
      // Gone because a later key change moved the row on (an update and the
      // key change split between passes, or committed after this pass was
      // read): its record goes with that move, never deleted here. A move
      // in this pass only moves the link.
      if (!pass.moved_later.contains(m->name)) {
        ZCRMSYNC_ASSIGN_OR_RETURN(pass.moved_later[m->name],
                                  pass.reader->KeysMovedAfter(pass.next_cursor, m->name));
      }
      if (pass.moved_later.at(m->name).contains(p.key_json)) {
        if (moved_from && link) {
          Link moved = *link;
          moved.erp_key = p.key_json;
          pass.links_to_delete.push_back({m->name, *moved_from});
          pass.links_to_save.push_back(std::move(moved));
        }
        Log().Debug("row gone to a later key change: its record goes with that move",
                    {{"mapping", m->name}, {"key", p.key_json}});
        pass.landed_keys.insert({m->name, p.key_json});
        continue;
      }
    }
    if (!row) {  // deleted (or gone since the change, or soft-deleted)
      if (moved_from) {
        // Moved, then deleted: the record goes (or, not propagated, is
        // unlinked). The old key's link goes with the delete, or moves to
        // the new key when Zoho refuses it (see Land).
        if (propagate) {
          work.deletes.push_back({&p, link, {}, {}, moved_from});
        } else {
          pass.links_to_delete.push_back({m->name, *moved_from});
        }
      } else if (link && link->zoho_id && propagate) {
        work.deletes.push_back({&p, link, {}, {}, std::nullopt});
      } else if (propagate) {
        if (ahead) return false;  // needs a Zoho call of its own
        // Never linked, or a crash lost the link after the record reached
        // Zoho: looked up by external id (below) so the delete is not lost.
        unlinked_deletes.push_back({&p, link});
      } else if (link) {
        pass.links_to_delete.push_back({m->name, p.key_json});
      }
      continue;
    }
    Outgoing out{&p, link, {}, ParseBase(link ? link->base_values : ""), moved_from};
    const auto old_base = out.new_base;
    bool failed = false;
    for (const ResolvedField& pf : push_fields) {
      const Value& v = (*row)[pf.column_index];
      FieldSpec spec = SpecFor(config_, *m, pf, v.type(), options_.erp_time_zone, store);
      auto json = ToZoho(v, spec);
      if (!json) {
        ZCRMSYNC_ASSIGN_OR_RETURN(bool waits, WaitsForLookup(pass, p, json.error()));
        if (waits) {
          pass.requeue.push_back({m->name, p.key_json, p.changed_at});
          ++mc.waiting;
        } else {
          Park(pass, m->name, p, link, json.error(), pf.mapping->field);
        }
        failed = true;
        break;
      }
      if (held_fields.contains({m->name, p.key_json, pf.mapping->field})) continue;
      auto base_it = old_base.find(pf.mapping->field);
      std::string canonical =
          CanonicalAgainstBase(v, *json, spec, base_it != old_base.end() ? &base_it->second : nullptr);
      if (!link || !link->zoho_id || base_it == old_base.end() || base_it->second != canonical) {
        out.record[pf.mapping->field] = std::move(*json);
      }
      out.new_base[pf.mapping->field] = canonical;
    }
    if (failed) continue;
    if (moved_from) {
      // The record keeps its id, notes and history; its external id follows
      // the row's new key.
      out.record[m->external_id_field] = crm::JsonValue(ExternalId(p.key));
      out.record["id"] = crm::JsonValue(*link->zoho_id);
      work.updates.push_back(std::move(out));
    } else if (!link || !link->zoho_id) {
      out.record[m->external_id_field] = crm::JsonValue(ExternalId(p.key));
      if (!link && !m->match_fields.empty()) {
        if (ahead) return false;  // initial matching asks Zoho
        ZCRMSYNC_ASSIGN_OR_RETURN(auto match, MatchInCrm(*m, p.key_json, out.record));
        if (match.zoho_id && !claimed.insert(*match.zoho_id).second) {
          match.ambiguous = true;  // another row of this batch matched it first
          match.candidates = "[\"" + *match.zoho_id + "\"]";
        }
        if (match.ambiguous) {
          pass.to_hold.push_back({0, m->name, p.key_json, std::nullopt,
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
          work.updates.push_back(std::move(out));
          continue;
        }
      }
      work.upserts.push_back(std::move(out));
    } else {
      // A record moved to this key whose external id Zoho has not taken yet
      // (the move was refused for a while): it is set now.
      if (link->external_id && *link->external_id != ExternalId(p.key)) {
        out.record[m->external_id_field] = crm::JsonValue(ExternalId(p.key));
      }
      if (out.record.empty()) {
        ++mc.unchanged;
        pass.landed_keys.insert({m->name, p.key_json});
      } else {
        out.record["id"] = crm::JsonValue(*link->zoho_id);
        work.updates.push_back(std::move(out));
      }
    }
  }
  if (!unlinked_deletes.empty()) {
    std::set<std::string> external_ids;
    for (const auto& [p, link] : unlinked_deletes) external_ids.insert(ExternalId(p->key));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto found, FindByExternalIds(*m, external_ids));
    for (const auto& [p, link] : unlinked_deletes) {
      auto [first, last] = found.equal_range(ExternalId(p->key));
      for (auto f = first; f != last; ++f) {
        // A record another key's link owns is never deleted for this one
        // (a record moved to a new key whose external id Zoho has not taken
        // yet still carries the old key's).
        ZCRMSYNC_ASSIGN_OR_RETURN(auto owner, store.FindByZohoId(m->name, f->second.id));
        if (owner && owner->erp_key != p->key_json) {
          Log().Info("not deleting a record linked to another key",
                     {{"mapping", m->name}, {"key", p->key_json}, {"zoho_id", f->second.id},
                      {"linked_to", owner->erp_key}});
          continue;
        }
        Link orphan;
        orphan.mapping = m->name;
        orphan.erp_key = p->key_json;
        orphan.zoho_id = f->second.id;
        work.deletes.push_back({p, orphan, {}, {}, std::nullopt});
      }
      // A link written ahead of a create that never landed goes too.
      if (link) pass.links_to_delete.push_back({m->name, p->key_json});
    }
  }
  // A create whose link an earlier attempt wrote ahead and never landed (a
  // crash, a failed call): Zoho may hold the record already, and a CRM edit
  // made since (within the same second, so If-Unmodified-Since would not
  // tell). Found by its external id, it is not sent but reconciled in Land
  // as a 412 is: both sides merged against the base written ahead. (After a
  // crash the pull adopts most of them first.)
  if (std::any_of(work.upserts.begin(), work.upserts.end(), [](const Outgoing& o) { return o.link.has_value(); })) {
    if (ahead) return false;  // asks Zoho
    ZCRMSYNC_RETURN_IF_ERROR(SettleUnlandedCreates(*m, work));
  }
  // Ahead, no call was made here, and the sender's are counted by Send.
  if (!ahead) AddCalls(mc, calls_before, crm_.stats());
  return true;
}

Result<bool> Pusher::WaitsForLookup(PushPass& pass, const Pending& p, const Status& why) {
  const auto target_name = why.GetPayload(kLookupPendingMapping);
  const auto target_key = why.GetPayload(kLookupPendingKey);
  if (!target_name || !target_key) return false;
  const mappings::Mapping* target = mappings::FindMapping(config_, *target_name);
  if (target == nullptr || !mappings::FlowsErpToCrm(target->direction)) return false;
  // A row whose create is parked, or a change too old, waits no longer: a
  // person looks at it (errors list names the row looked up).
  if (pass.held_back.parked_keys.contains({*target_name, *target_key})) return false;
  if (std::chrono::system_clock::now() - ToTimePoint(p.changed_at) > kLookupWait) return false;
  auto keys = change_capture::ParseKeys("[" + *target_key + "]");
  if (!keys || keys->size() != 1) return false;
  auto& select = pass.lookup_selects[*target_name];
  if (!select) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderSelectRow(
                                                   kit_, RowTable(*target), target->key_columns));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, db_.Prepare(sql));
    select = std::make_unique<odbc::Statement>(std::move(stmt));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(*select, keys->front(), target->table));
  // The row looked up exists and is on its way to Zoho (its change, or the
  // initial load, is behind this one): this one waits for the next run.
  return row.has_value();
}

Status Pusher::Seal(PushPass& pass, PushMappingWork& work) {
  LinkStore& store = *pass.store;
  const mappings::Mapping* m = work.m;
  // The write-ahead base: each create's link is committed before the call,
  // with no Zoho id yet and the values about to be sent. If a crash comes
  // between Zoho taking the record and the pass landing, the pull finds the
  // record by its external id and merges against that base, so a CRM edit
  // made in the window is a change, not a conflict the ERP may win.
  if (!work.upserts.empty()) {
    std::vector<Link> ahead_links;
    ahead_links.reserve(work.upserts.size());
    for (Outgoing& o : work.upserts) {
      Link l;
      l.mapping = m->name;
      l.erp_key = o.pending->key_json;
      l.external_id = ExternalId(o.pending->key);
      l.base_values = BaseToJson(o.new_base);
      l.erp_changed_at = o.pending->changed_at;
      ahead_links.push_back(l);
      o.link = std::move(l);
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    ZCRMSYNC_RETURN_IF_ERROR(store.SaveMany(ahead_links));
    ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
  }
  // The calls' bodies are built here, so the sender only sends. The records
  // are moved: nothing reads them once they are built.
  if (!work.upserts.empty()) {
    std::vector<crm::Record> records;
    records.reserve(work.upserts.size());
    for (auto& o : work.upserts) records.push_back(std::move(o.record));
    ZCRMSYNC_ASSIGN_OR_RETURN(work.upsert_write,
                              crm_.PrepareUpsert(m->module, std::move(records),
                                                 {m->external_id_field}, WriteOptionsFor(*m)));
  }
  if (!work.updates.empty()) {
    // Each record is checked against the CRM time we last saw for it: Zoho
    // takes one If-Unmodified-Since per call, so the client groups records
    // of the same second into calls. (One time per call, the oldest, made
    // Zoho refuse every record changed since: N records synced in N
    // different seconds cost N 412 rounds.)
    std::vector<std::optional<Clock::TimePoint>> since;
    std::vector<crm::Record> records;
    records.reserve(work.updates.size());
    since.reserve(work.updates.size());
    for (auto& o : work.updates) {
      records.push_back(std::move(o.record));
      since.push_back(o.link && o.link->crm_modified_at
                          ? std::optional(ToTimePoint(*o.link->crm_modified_at))
                          : std::nullopt);
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(work.update_write, crm_.PrepareUpdate(m->module, std::move(records),
                                                                    since, WriteOptionsFor(*m)));
  }
  return Status();
}

Status Pusher::Unseal(PushPass& pass) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
  for (const auto& w : pass.work) {
    for (const Outgoing& o : w->upserts) {
      ZCRMSYNC_RETURN_IF_ERROR(pass.store->Delete(w->m->name, o.pending->key_json));
    }
  }
  return tx.Commit();
}

Result<std::multimap<std::string, Pusher::CrmRecordRef>> Pusher::FindByExternalIds(
    const mappings::Mapping& m, const std::set<std::string>& external_ids) {
  // COQL takes 50 values in an `in`; at most two records per value are
  // asked for (one is expected). The queries go out a few at a time (after
  // a crash there can be a whole pass or two of them).
  std::vector<std::string> queries;
  for (auto it = external_ids.begin(); it != external_ids.end();) {
    std::string values;
    size_t count = 0;
    for (; count < 50 && it != external_ids.end(); ++it) {
      auto literal = CoqlLiteral(crm::JsonValue(*it));
      if (!literal) continue;
      values += (values.empty() ? "" : ", ") + *literal;
      ++count;
    }
    if (values.empty()) continue;
    queries.push_back("select id, Created_Time, " + m.external_id_field + " from " + m.module +
                      " where " + m.external_id_field + " in (" + values + ") limit " +
                      std::to_string(2 * count));
  }
  std::vector<Result<crm::CoqlResult>> answers(queries.size(), Error(InternalError("not asked")));
  ForEachConcurrently(queries.size(), kCoqlConcurrency,
                      [&](size_t i) { answers[i] = crm_.Coql(queries[i]); });
  std::multimap<std::string, CrmRecordRef> found;
  for (auto& answer : answers) {
    if (!answer) return Error(std::move(answer.error()));
    for (const auto& row : answer->rows) {
      auto id = row.find("id");
      if (id == row.end() || !id->second.is_string()) continue;
      found.emplace(ExternalIdOf(row, m.external_id_field),
                    CrmRecordRef{id->second.as_string(), RecordTime(row, "Created_Time")});
    }
  }
  return found;
}

Status Pusher::SettleUnlandedCreates(const mappings::Mapping& m, PushMappingWork& work) {
  std::set<std::string> unlanded;  // their external ids
  for (const Outgoing& o : work.upserts) {
    if (o.link) unlanded.insert(ExternalId(o.pending->key));
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto found, FindByExternalIds(m, unlanded));
  std::vector<Outgoing> upserts;
  for (Outgoing& o : work.upserts) {
    auto f = o.link ? found.find(ExternalId(o.pending->key)) : found.end();
    if (f == found.end()) {
      upserts.push_back(std::move(o));
      continue;
    }
    Log().Info("a create that never landed is in Zoho already: merged with it",
               {{"mapping", m.name}, {"key", o.pending->key_json}, {"zoho_id", f->second.id}});
    o.link->zoho_id = f->second.id;
    o.link->crm_modified_at = f->second.created;
    work.unlanded.push_back(std::move(o));
  }
  work.upserts = std::move(upserts);
  return Status();
}

Status Pusher::Send(PushMappingWork& work) {
  const mappings::Mapping* m = work.m;
  const crm::ClientStats before = crm_.stats();
  if (work.upsert_write) crm_.Send(*work.upsert_write);
  if (work.update_write) crm_.Send(*work.update_write);
  if (!work.deletes.empty()) {
    std::vector<std::string> ids;
    for (const auto& o : work.deletes) ids.push_back(*o.link->zoho_id);
    ZCRMSYNC_ASSIGN_OR_RETURN(work.delete_results, crm_.Delete(m->module, ids));
  }
  const crm::ClientStats after = crm_.stats();
  work.sent_calls.calls = after.calls - before.calls;
  work.sent_calls.credits = after.credits - before.credits;
  return Status();
}

Status Pusher::Land(PushPass& pass, PushMappingWork& work) {
  LinkStore& store = *pass.store;
  const mappings::Mapping* m = work.m;
  PushCounts& mc = pass.counts[m->name];
  mc.zoho_calls += work.sent_calls.calls;
  mc.zoho_credits += work.sent_calls.credits;
  std::vector<Link> links_to_save;
  std::vector<std::string> moved_away;  // old keys whose links moved to new keys
  auto land = [&](Outgoing& o, const crm::RecordResult& r, bool created) {
    Link link = o.link.value_or(Link{});
    link.mapping = m->name;
    link.erp_key = o.pending->key_json;
    if (!r.id.empty()) link.zoho_id = r.id;
    link.external_id = ExternalId(o.pending->key);
    link.base_values = BaseToJson(o.new_base);
    link.erp_changed_at = o.pending->changed_at;
    if (auto t = ParseZohoTime(r.modified_time)) link.crm_modified_at = *t;
    if (o.moved_from) moved_away.push_back(*o.moved_from);
    // Per record, on the push's hot path: built only when asked for.
    if (log::Enabled(log::Level::kDebug)) {
      if (o.moved_from) {
        Log().Debug("moved a CRM record to a new key",
                    {{"mapping", m->name}, {"from", *o.moved_from}, {"key", o.pending->key_json},
                     {"zoho_id", link.zoho_id.value_or("")}});
      } else if (created) {
        Log().Debug("created a CRM record",
                    {{"mapping", m->name}, {"key", o.pending->key_json}, {"zoho_id", r.id}});
      } else {
        Log().Debug("updated a CRM record",
                    {{"mapping", m->name}, {"key", o.pending->key_json},
                     {"zoho_id", link.zoho_id.value_or("")}, {"fields", Join(FieldNames(o.record))}});
      }
    }
    links_to_save.push_back(std::move(link));
    pass.landed_keys.insert({m->name, o.pending->key_json});
    ++(created ? mc.created : mc.updated);
  };
  // The replies are read here, off the sender's path.
  if (work.upsert_write) {
    work.upsert_results = crm_.Finish(std::move(*work.upsert_write));
    work.upsert_write.reset();
  }
  if (work.update_write) {
    work.update_results = crm_.Finish(std::move(*work.update_write));
    work.update_write.reset();
  }
  // One record's outcome that is not a success or a 412: a failed call
  // stops the pass (the cursor stays; a revoked token, a missing scope or
  // an outage is the whole agent's problem, not each record's); a record
  // Zoho refuses for now (RECORD_LOCKED) waits out a backoff; any other
  // error parks the record.
  // A move (or the delete of a moved row) Zoho refused: the link moves to
  // the new key anyway, keeping the base and the external id Zoho still
  // holds, so the retry finds the same record (without the link a retry
  // would create another record, or never delete this one).
  auto move_link_anyway = [&](const Link& link, const std::string& key_json,
                              const std::string& moved_from) {
    Link moved = link;
    moved.mapping = m->name;
    moved.erp_key = key_json;
    if (!moved.external_id) moved.external_id = ExternalId(KeyOf(moved_from));
    moved_away.push_back(moved_from);
    links_to_save.push_back(std::move(moved));
  };
  auto refused = [&](const Pending& p, const std::optional<Link>& link, const crm::RecordResult& r,
                     const std::string& what) -> Status {
    Status s = r.status.WithContext(what + " " + m->module + " " + p.key_json);
    if (r.call_failed) return s;
    if (retry::IsTransient(r.status.code())) return Defer(pass, *m, p, link, s);
    Park(pass, m->name, p, link, s, "");
    return Status();
  };
  std::vector<Outgoing*> stale;  // 412: the CRM record changed since we last saw it
  auto handle = [&](std::vector<Outgoing>& outs, const std::vector<crm::RecordResult>& results,
                    bool upsert) -> Status {
    for (size_t i = 0; i < outs.size() && i < results.size(); ++i) {
      const crm::RecordResult& r = results[i];
      if (r.status.ok()) {
        land(outs[i], r, upsert && r.action != "update");
      } else if (r.status.code() == StatusCode::kAborted && !upsert && !r.call_failed) {
        stale.push_back(&outs[i]);
      } else {
        ZCRMSYNC_RETURN_IF_ERROR(refused(*outs[i].pending, outs[i].link, r, "push"));
        if (outs[i].moved_from && !r.call_failed) {
          move_link_anyway(*outs[i].link, outs[i].pending->key_json, *outs[i].moved_from);
        }
      }
    }
    return Status();
  };
  ZCRMSYNC_RETURN_IF_ERROR(handle(work.upserts, work.upsert_results, /*upsert=*/true));
  ZCRMSYNC_RETURN_IF_ERROR(handle(work.updates, work.update_results, /*upsert=*/false));
  for (Outgoing& o : work.unlanded) stale.push_back(&o);
  if (!stale.empty()) ZCRMSYNC_RETURN_IF_ERROR(Reconcile(pass, work, stale));
  for (size_t i = 0; i < work.deletes.size() && i < work.delete_results.size(); ++i) {
    const crm::RecordResult& r = work.delete_results[i];
    const Pending& p = *work.deletes[i].pending;
    const std::optional<std::string>& moved_from = work.deletes[i].moved_from;
    if (r.status.ok() || (r.status.code() == StatusCode::kNotFound && !r.call_failed)) {
      if (moved_from) pass.links_to_delete.push_back({m->name, *moved_from});
      pass.links_to_delete.push_back({m->name, p.key_json});
      pass.landed_keys.insert({m->name, p.key_json});
      ++mc.deleted;
      Log().Info("deleted a CRM record: its row is gone",
                 {{"mapping", m->name}, {"key", p.key_json}, {"zoho_id", r.id},
                  {"change", std::string(1, p.op)}, {"changed_at", FormatTimestamp(p.changed_at)}});
    } else {
      ZCRMSYNC_RETURN_IF_ERROR(refused(p, work.deletes[i].link, r, "delete"));
      if (moved_from && work.deletes[i].link) {
        move_link_anyway(*work.deletes[i].link, p.key_json, *moved_from);
      }
    }
  }
  // The records this mapping created or updated are linked now, before the
  // next mapping looks them up. (Safe ahead of the cursor: after a crash
  // the batch is read again and finds them unchanged. A moved record's old
  // link goes first: a Zoho id is linked to one key at a time.)
  if (!links_to_save.empty()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
    for (const std::string& old_key : moved_away) {
      ZCRMSYNC_RETURN_IF_ERROR(store.Delete(m->name, old_key));
    }
    ZCRMSYNC_RETURN_IF_ERROR(store.SaveMany(links_to_save));
    ZCRMSYNC_RETURN_IF_ERROR(tx.Commit());
  }
  return Status();
}

Status Pusher::Defer(PushPass& pass, const mappings::Mapping& m, const Pending& p,
                     const std::optional<Link>& link, const Status& why) {
  const auto key = std::make_pair(m.name, p.key_json);
  Deferral d;
  if (auto it = pass.deferred.find(key); it != pass.deferred.end()) d = it->second;
  d.attempts += 1;
  // The change's own time, kept over every try (latest_wins compares it).
  if (d.attempts == 1) d.changed_at = p.changed_at;
  const auto wait = kFirstDeferral * (1 << std::min(d.attempts - 1, 20));
  d.retry_at = FromTimePoint(std::chrono::time_point_cast<Clock::Duration>(
      std::chrono::system_clock::now() + wait));
  Status s = why;
  if (d.attempts <= kMaxDeferrals) {
    s = Status(why.code(), why.message() + "; tried again automatically after " +
                               FormatTimestamp(d.retry_at) + " UTC (try " +
                               std::to_string(d.attempts) + " of " + std::to_string(kMaxDeferrals) +
                               ")");
    pass.to_defer.push_back({key, d});
  } else {
    s = Status(why.code(), why.message() + "; still refused after " +
                               std::to_string(kMaxDeferrals) +
                               " automatic tries: left for a person (zcrmsync errors retry)");
  }
  Park(pass, m.name, p, link, s, "");
  return Status();
}

Status Pusher::Reconcile(PushPass& pass, PushMappingWork& work, const std::vector<Outgoing*>& stale) {
  LinkStore& store = *pass.store;
  const mappings::Mapping* m = work.m;
  PushCounts& mc = pass.counts[m->name];
  // (Never while another pass's calls are in flight: Drain sees to it.)
  const crm::ClientStats calls_before = crm_.stats();
  // The 412 reconcile: read both sides as they are now and merge them
  // field by field (the ERP side with its change's own time), as the
  // pull would. Late CRM edits are merged, never overwritten.
  ZCRMSYNC_ASSIGN_OR_RETURN(ResolvedMapping all, ResolveFields(*m, fields_, false));
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string full_sql,
                            change_capture::RenderSelectRow(kit_, RowTable(*m), all.columns));
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
  std::vector<std::optional<Clock::TimePoint>> again_since;
  std::vector<std::tuple<Link, const Pending*, std::optional<std::string>>> again_links;
  for (Outgoing* o : stale) {
    const Pending& p = *o->pending;
    auto rec = now.find(*o->link->zoho_id);
    if (rec == now.end()) {
      // Not found: deleted in the CRM meanwhile (the pull applies that per
      // the deletes rule), or not readable now. The change is not dropped:
      // it goes round again with its own time.
      pass.requeue.push_back({m->name, p.key_json, p.changed_at});
      continue;
    }
    ZCRMSYNC_ASSIGN_OR_RETURN(auto row, ReadErpRow(full, p.key, m->table));
    if (!row) continue;  // deleted in the ERP meanwhile: its own change follows
    const std::optional<Timestamp> modified = RecordTime(rec->second, "Modified_Time");
    RecordMergeInput in;
    in.config = &config_;
    in.mapping = m;
    in.resolved = &all;
    in.erp_time_zone = options_.erp_time_zone;
    // A record re-linked after a crash has no base. If the ERP row has
    // not changed since the record was created from it, the row is the
    // base: then only the CRM's later edits count as changes.
    Link link = *o->link;
    // A moved record's link is the old key's until it lands: it lands under
    // the new key.
    link.erp_key = p.key_json;
    link.external_id = ExternalId(p.key);
    if (ParseBase(link.base_values).empty()) {
      const std::optional<Timestamp> created = RecordTime(rec->second, "Created_Time");
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
      Park(pass, m->name, p, o->link, merged.error, merged.error_field);
      continue;
    }
    ++mc.reconciled;
    for (auto& c : merged.held) {
      ++mc.held;
      pass.to_hold.push_back(std::move(c));
    }
    if (!merged.erp_columns.empty()) {
      pass.erp_writes.push_back(
          {m, ErpWrite{p.key, std::move(merged.erp_columns), std::move(merged.erp_values),
                       std::move(merged.erp_seen)}});
    }
    // A moved record's external id still names the old key in Zoho.
    if (o->moved_from && ExternalIdOf(rec->second, m->external_id_field) != ExternalId(p.key)) {
      if (!merged.crm_update) merged.crm_update = crm::Record{{"id", crm::JsonValue(*o->link->zoho_id)}};
      (*merged.crm_update)[m->external_id_field] = crm::JsonValue(ExternalId(p.key));
    }
    if (merged.crm_update) {
      again_since.push_back(modified ? std::optional(ToTimePoint(*modified)) : std::nullopt);
      again.push_back(std::move(*merged.crm_update));
      again_links.push_back({std::move(merged.link), &p, o->moved_from});
    } else {
      if (o->moved_from) pass.links_to_delete.push_back({m->name, *o->moved_from});
      pass.links_to_save.push_back(std::move(merged.link));
      pass.landed_keys.insert({m->name, p.key_json});
    }
  }
  if (!again.empty()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto results,
                              crm_.Update(m->module, again, again_since, WriteOptionsFor(*m)));
    for (size_t i = 0; i < again.size() && i < results.size(); ++i) {
      const crm::RecordResult& r = results[i];
      auto& [l, pending, moved_from] = again_links[i];
      const Pending& p = *pending;
      if (r.status.ok()) {
        if (auto t = ParseZohoTime(r.modified_time)) l.crm_modified_at = *t;
        if (moved_from) pass.links_to_delete.push_back({m->name, *moved_from});
        pass.links_to_save.push_back(std::move(l));
        pass.landed_keys.insert({m->name, p.key_json});
        ++mc.updated;
      } else if (r.status.code() == StatusCode::kAborted && !r.call_failed) {
        // Edited again in the last moment: the row goes round once more.
        pass.requeue.push_back({m->name, p.key_json, p.changed_at});
      } else {
        std::optional<Link> link(l);
        Status s = r.status.WithContext("push " + m->module + " " + p.key_json);
        if (r.call_failed) return s;
        if (retry::IsTransient(r.status.code())) {
          ZCRMSYNC_RETURN_IF_ERROR(Defer(pass, *m, p, link, s));
        } else {
          Park(pass, m->name, p, link, s, "");
        }
        if (moved_from) {
          // A move refused: the link moves anyway, with the external id
          // Zoho still holds (see Land).
          l.external_id = ExternalId(KeyOf(*moved_from));
          pass.links_to_delete.push_back({m->name, *moved_from});
          pass.links_to_save.push_back(std::move(l));
        }
      }
    }
  }
  AddCalls(mc, calls_before, crm_.stats());
  return Status();
}

Status Pusher::Commit(PushPass& pass) {
  LinkStore& store = *pass.store;
  // The rest of the links, parked records and the cursor land together.
  ZCRMSYNC_ASSIGN_OR_RETURN(auto begin, change_capture::RenderBeginAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto end, change_capture::RenderEndAgentWrites(kit_));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Transaction tx, odbc::Transaction::Begin(db_));
  // The reconcile's ERP share is the agent's own write: not captured.
  if (!pass.erp_writes.empty()) {
    for (const auto& s : begin.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  }
  for (const auto& [wm, w] : pass.erp_writes) {
    // A column the ERP edited since the reconcile read the row keeps the
    // ERP's edit, which goes to Zoho as a change of its own (the link's base
    // holds the merged value, so the edit is pushed).
    ZCRMSYNC_ASSIGN_OR_RETURN(auto skipped, WriteErpRowWhereUnchanged(db_, kit_, *wm, w));
    if (!skipped.empty()) {
      Log().Info("the ERP edited a row since the reconcile read it; its edit is kept",
                 {{"mapping", wm->name}, {"key", change_capture::KeyToJson(w.key)},
                  {"columns", Join(skipped)}});
    }
  }
  if (!pass.erp_writes.empty()) {
    for (const auto& s : end.statements) ZCRMSYNC_RETURN_IF_ERROR(StatusOf(db_.Execute(s)));
  }
  for (const auto& r : pass.requeue) {
    ZCRMSYNC_RETURN_IF_ERROR(store.Enqueue(r.mapping, r.key_json, r.changed_at));
    requeued_.insert({r.mapping, r.key_json});
  }
  // Deletes first: a moved record's old link goes before its new one is
  // saved (a Zoho id is linked to one key at a time).
  for (const auto& [mapping, key] : pass.links_to_delete) {
    ZCRMSYNC_RETURN_IF_ERROR(store.Delete(mapping, key));
  }
  for (const Link& l : pass.links_to_save) ZCRMSYNC_RETURN_IF_ERROR(store.Save(l));
  for (const ParkedRecord& r : pass.to_park) ZCRMSYNC_RETURN_IF_ERROR(store.Park(r));
  for (const HeldConflict& c : pass.to_hold) ZCRMSYNC_RETURN_IF_ERROR(store.Hold(c));
  for (const auto& [key, d] : pass.to_defer) {
    ZCRMSYNC_RETURN_IF_ERROR(
        change_capture::SaveState(db_, kit_, DeferralName(key.first, key.second), DeferralToText(d)));
  }
  for (const auto& key : pass.landed_keys) {
    if (pass.deferred.contains(key)) {
      ZCRMSYNC_RETURN_IF_ERROR(change_capture::DeleteState(db_, kit_, DeferralName(key.first, key.second)));
    }
  }
  for (const auto& [mapping, n] : pass.kept) {
    const std::string name = kKeptPrefix + mapping;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto before, change_capture::LoadState(db_, kit_, name));
    int64_t total = n;
    if (before) {
      try {
        total += std::stoll(*before);
      } catch (...) {
      }
    }
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, name, std::to_string(total)));
    Log().Warn("changes of a mapping that is not in the config are kept in the change table, "
               "unsent: add the mapping back to send them, or uninstall to drop them",
               {{"mapping", mapping}, {"kept", total}});
  }
  ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(db_, kit_, kCursorState, pass.next_cursor));
  return tx.Commit();
}

}  // namespace zcrmsync::sync
