#include "emulator/engine.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/log.h"
#include "emulator/bulk_files.h"
#include "emulator/coql.h"
#include "emulator/json_internal.h"
#include "emulator/metadata.h"
#include "emulator/notifier.h"
#include "emulator/time_util.h"

namespace zcrmsync::emulator {
namespace {

using internal::Add;
using internal::AddBool;
using internal::AddInt;
using internal::AddNull;
using internal::AddStr;
using internal::Alloc;
using internal::Doc;
using internal::Str;
using internal::ToJson;
using internal::Val;

constexpr int64_t kDay = 86400;
constexpr int kMaxRecordsPerWrite = 100;
constexpr int kMaxFields = 50;
constexpr int kMaxPerPage = 200;
constexpr int64_t kDiscretePagingLimit = 2000;
constexpr int64_t kTokenPagingLimit = 100000;
constexpr int kTokensPerWindow = 10;
constexpr int64_t kTokenWindowS = 600;

// The one emulated user (the API user the refresh token belongs to).
constexpr std::string_view kUserId = "5725767000000411001";
constexpr std::string_view kUserName = "Emulator Admin";
constexpr std::string_view kUserEmail = "admin@zcrmsync.example";
constexpr std::string_view kOrgId = "5725767000000009001";
constexpr std::string_view kZgid = "60012345678";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding. The Node SDK leaves '+' unescaped in query strings and
// means a plus, so '+' becomes a space only in urlencoded bodies.
std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

using Params = std::map<std::string, std::string>;

// First value wins; empty keys (the SDK's trailing '&') are skipped.
void ParseUrlEncoded(std::string_view s, bool plus_is_space, Params& out) {
  for (const std::string& pair : Split(s, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), plus_is_space);
    std::string value =
        eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1), plus_is_space);
    if (!key.empty()) out.emplace(std::move(key), std::move(value));
  }
}

std::optional<std::string> Header(const HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

void ParseMultipart(std::string_view body, std::string_view content_type, Params& out) {
  size_t b = Lower(content_type).find("boundary=");
  if (b == std::string::npos) return;
  std::string boundary(content_type.substr(b + 9));
  if (size_t semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;
    size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) break;
    std::string_view headers = body.substr(pos, header_end - pos);
    size_t next = body.find(delim, header_end + 4);
    if (next == std::string_view::npos) break;
    std::string_view value = body.substr(header_end + 4, next - header_end - 4);
    if (value.size() >= 2 && value.substr(value.size() - 2) == "\r\n") {
      value.remove_suffix(2);
    }
    size_t n = headers.find("name=\"");
    if (n != std::string_view::npos) {
      size_t end = headers.find('"', n + 6);
      if (end != std::string_view::npos) {
        out.emplace(std::string(headers.substr(n + 6, end - n - 6)), std::string(value));
      }
    }
    pos = next;
  }
}

HttpResponse JsonResponse(int status, const Val& body) {
  HttpResponse r;
  r.status = status;
  r.body = ToJson(body);
  r.headers.emplace_back("Content-Type", "application/json;charset=UTF-8");
  return r;
}

// Zoho's request-level error body: {code, details, message, status:"error"}.
HttpResponse ApiError(int status, std::string_view code, std::string_view message,
                      const std::function<void(Val&, Alloc&)>& details = nullptr) {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  AddStr(d, "code", code, a);
  Val det(rapidjson::kObjectType);
  if (details) details(det, a);
  Add(d, "details", std::move(det), a);
  AddStr(d, "message", message, a);
  AddStr(d, "status", "error", a);
  return JsonResponse(status, d);
}

HttpResponse NoBody(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

Val MiniUser(Alloc& a, bool with_email) {
  Val u(rapidjson::kObjectType);
  AddStr(u, "name", kUserName, a);
  AddStr(u, "id", kUserId, a);
  if (with_email) AddStr(u, "email", kUserEmail, a);
  return u;
}

bool IsTextType(std::string_view t) {
  return t == "text" || t == "textarea" || t == "email" || t == "phone" || t == "website" ||
         t == "picklist" || t == "multiselectpicklist" || t == "autonumber";
}

std::string JsonType(std::string_view t) {
  if (t == "integer" || t == "double" || t == "currency" || t == "percent") {
    return t == "integer" ? "integer" : "double";
  }
  if (t == "boolean") return "boolean";
  if (t == "lookup" || t == "ownerlookup" || t == "userlookup") return "jsonobject";
  if (t == "multiselectpicklist") return "jsonarray";
  return "string";
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool LooksLikeEmail(std::string_view s) {
  size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  }
  std::string_view domain = s.substr(at + 1);
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

bool LooksLikePhone(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) &&
        std::string_view(" +-().xX/#*").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool LooksLikeUrl(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return s.find('.') != std::string_view::npos;
}

bool AllDigits(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "/crm/v8/Leads/5725767000001000001" -> "/crm/v8/Leads/{id}" for statistics.
std::string PathTemplate(const std::string& path) {
  std::string out;
  for (const std::string& seg : Split(path, '/')) {
    if (!out.empty() || !seg.empty()) out += "/";
    out += seg.size() >= 10 && AllDigits(seg) ? "{id}" : seg;
  }
  return out.empty() ? "/" : out;
}

// rapidjson's default pool starts with a 64 KiB chunk per document: per stored
// record that is gigabytes at 200,000 records, and per temporary document a
// large malloc. Documents that are many or short-lived use small chunks.
using Pool = rapidjson::MemoryPoolAllocator<>;
constexpr size_t kSmallChunk = 1024;

struct Record {
  Record() = default;
  Record(Record&&) = default;
  // The document lets go of its old pool's memory before the pool goes.
  Record& operator=(Record&& o) noexcept {
    id = std::move(o.id);
    fields = std::move(o.fields);
    pool = std::move(o.pool);
    created = o.created;
    modified = o.modified;
    return *this;
  }

  std::string id;
  std::unique_ptr<Pool> pool = std::make_unique<Pool>(kSmallChunk);
  Doc fields{rapidjson::kObjectType, pool.get()};  // api_name -> stored value (no system times)
  int64_t created = 0;
  int64_t modified = 0;
};

struct DeletedRecord {
  std::string id;
  std::string display_name;
  std::string type;  // "recycle" or "permanent"
  int64_t deleted_time = 0;
};

// Ids of the records holding each value of one field, keyed by IndexKey().
// Upsert matching and DUPLICATE_DATA checks look values up here instead of
// scanning every record under the lock.
using FieldIndex = std::unordered_map<std::string, std::set<std::string>>;

struct ModuleStore {
  std::map<std::string, Record> records;  // ids have equal length: map order = id order
  std::vector<DeletedRecord> deleted;
  // api_name -> index; built on a field's first lookup, then kept current by
  // every change to `records` (AddRecord/ChangeRecord/RemoveRecord).
  std::map<std::string, FieldIndex> indexes;
};

std::string NumberKey(const Val& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v.GetDouble());
  return buf;
}

// The key two values share exactly when the old linear scan called them equal:
// text case-insensitively (unique fields have "casesensitive":"0"), lookups by
// their id, numbers by value (1 == 1.0), anything else by its JSON text.
// Empty values (null, "", []) never match, so they get no key.
std::optional<std::string> IndexKey(const Val& v) {
  if (v.IsNull() || (v.IsString() && v.GetStringLength() == 0) || (v.IsArray() && v.Empty())) {
    return std::nullopt;
  }
  if (v.IsString()) return "s" + Lower(std::string_view(v.GetString(), v.GetStringLength()));
  if (v.IsNumber()) return "n" + NumberKey(v);
  if (v.IsObject()) {
    auto id = v.FindMember("id");
    if (id != v.MemberEnd()) {
      if (id->value.IsString()) return "o" + std::string(id->value.GetString());
      if (id->value.IsNumber()) return "p" + NumberKey(id->value);
      return "q" + ToJson(id->value);
    }
  }
  return "j" + ToJson(v);
}

void IndexInto(FieldIndex& index, const std::string& field, const Record& r) {
  auto it = r.fields.FindMember(field.c_str());
  if (it == r.fields.MemberEnd()) return;
  if (auto key = IndexKey(it->value)) index[*key].insert(r.id);
}

void UnindexFrom(FieldIndex& index, const std::string& field, const Record& r) {
  auto it = r.fields.FindMember(field.c_str());
  if (it == r.fields.MemberEnd()) return;
  auto key = IndexKey(it->value);
  if (!key) return;
  auto hit = index.find(*key);
  if (hit == index.end()) return;
  hit->second.erase(r.id);
  if (hit->second.empty()) index.erase(hit);
}

void IndexRecord(ModuleStore& store, const Record& r) {
  for (auto& [field, index] : store.indexes) IndexInto(index, field, r);
}

void UnindexRecord(ModuleStore& store, const Record& r) {
  for (auto& [field, index] : store.indexes) UnindexFrom(index, field, r);
}

// REQUIRES: r.id is not in store.records.
Record& AddRecord(ModuleStore& store, Record r) {
  std::string id = r.id;
  Record& added = store.records.emplace(std::move(id), std::move(r)).first->second;
  IndexRecord(store, added);
  return added;
}

void RemoveRecord(ModuleStore& store, std::map<std::string, Record>::iterator it) {
  UnindexRecord(store, it->second);
  store.records.erase(it);
}

FieldIndex& IndexFor(ModuleStore& store, const std::string& field) {
  auto it = store.indexes.find(field);
  if (it != store.indexes.end()) return it->second;
  FieldIndex& index = store.indexes[field];
  for (const auto& [id, rec] : store.records) IndexInto(index, field, rec);
  return index;
}

struct PageToken {
  std::string signature;
  int64_t offset = 0;
  int64_t expiry = 0;
};

struct Config {
  int concurrency;
  int64_t credits;
  int latency_ms;
  int jitter_ms;
  double fault_500;
  double fault_drop;
  double fault_slow;
  int slow_ms;
  int token_lifetime_s;
  int org_offset_minutes;
  double fault_429;
  double fault_locked;  // share of per-record writes answered RECORD_LOCKED
};

// A watch channel (POST /crm/v8/actions/watch).
struct Channel {
  std::string id;                  // the client's channel_id (a long, kept as text)
  std::set<std::string> events;    // "Leads.create", "Leads.all", ...
  std::string notify_url;
  std::optional<std::string> token;
  int64_t expiry = 0;              // epoch s
  bool return_affected_field_values = false;
  bool notify_on_related_action = true;
  std::string notification_condition;  // JSON as sent; empty: none
};

// A bulk read job; its result is built when the job is created.
struct BulkReadJob {
  std::string id;
  std::string module;
  std::string query_json;  // the query as the job reports it
  int64_t page = 1;
  int64_t created = 0;
  int64_t count = 0;
  bool more = false;
  std::string zip;  // {id}.csv
};

// An uploaded bulk-write file: the rows of its CSV (row 0: the header).
struct UploadedFile {
  std::string name;
  std::vector<std::vector<std::string>> rows;
  int64_t uploaded = 0;
};

struct BulkWriteJob {
  std::string id;
  std::string operation;
  std::string module;
  std::string file_id;
  std::string file_name;
  std::string find_by;
  std::string field_mappings_json;
  std::string callback_url;
  bool ignore_empty = false;
  int64_t created = 0;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t skipped = 0;
  int64_t total = 0;
  std::string zip;  // the input rows plus STATUS, RECORD_ID, ERRORS
};

// One changed record, for notifications.
struct Change {
  std::string id;
  std::vector<std::string> fields;  // fields whose value changed (updates only)
};

// A per-item write outcome.
struct ItemResult {
  ItemResult() = default;
  ItemResult(ItemResult&&) = default;
  ItemResult& operator=(ItemResult&& o) noexcept {  // as Record's
    ok = o.ok;
    body = std::move(o.body);
    pool = std::move(o.pool);
    error_code = std::move(o.error_code);
    return *this;
  }

  bool ok = false;
  std::unique_ptr<Pool> pool = std::make_unique<Pool>(kSmallChunk);
  Doc body{rapidjson::kObjectType, pool.get()};
  std::string error_code;
};

}  // namespace

struct Engine::State {
  Options options;
  Clock* clock = nullptr;
  Metadata meta;
  log::Logger logger{"emulator"};

  mutable std::mutex mu;
  Config config{};
  std::string base_url;
  std::map<std::string, ModuleStore> stores;
  uint64_t next_id = 5725767000001000001ULL;
  std::map<std::string, int64_t> access_tokens;  // token -> expiry (epoch s)
  std::deque<int64_t> token_issues;              // issue times in the rolling window
  std::map<std::string, PageToken> page_tokens;
  std::deque<std::pair<int64_t, int>> credit_ledger;  // (time, credits)
  int64_t credit_ledger_sum = 0;                      // sum of credit_ledger's credits
  std::mt19937_64 rng;        // seeded by Options::seed: jitter and faults
  std::mt19937_64 token_rng{std::random_device{}()};  // tokens differ per run
  uint64_t token_counter = 0;

  std::map<std::string, Channel> channels;  // by channel_id
  std::map<std::string, BulkReadJob> bulk_reads;
  std::map<std::string, UploadedFile> uploads;  // by file_id
  std::map<std::string, BulkWriteJob> bulk_writes;
  std::unique_ptr<Notifier> notifier;
  // Records locked (Zoho's record locking): writes to them answer the
  // per-record error RECORD_LOCKED until the admin config unlocks them.
  std::set<std::string> locked_ids;

  // Statistics.
  std::map<std::string, int64_t> calls;
  int64_t too_many_requests = 0;
  int64_t credits_used_total = 0;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};

  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock->Now().time_since_epoch())
        .count();
  }
  std::string Render(int64_t t) const { return FormatDateTime(t, config.org_offset_minutes); }
  std::string NewId() { return std::to_string(next_id++); }

  // --- entry points (mu held unless noted) ---
  HttpResponse HandleToken(const HttpRequest& req, const Params& query);
  HttpResponse HandleAdmin(const HttpRequest& req, const Params& query);
  HttpResponse HandleCrm(const HttpRequest& req, const Params& query, std::string& stats_key);

  // --- CRM handlers ---
  HttpResponse Modules();
  HttpResponse Fields(const Params& query);
  HttpResponse Users();
  HttpResponse Org();
  HttpResponse ListRecords(const ModuleMeta& m, const HttpRequest& req, const Params& q);
  HttpResponse GetRecord(const ModuleMeta& m, const std::string& id, const Params& q);
  HttpResponse Write(const ModuleMeta& m, const HttpRequest& req, const std::string& kind,
                     const std::string& path_id);
  HttpResponse Delete(const ModuleMeta& m, const std::vector<std::string>& ids);
  HttpResponse Deleted(const ModuleMeta& m, const HttpRequest& req, const Params& q);
  HttpResponse Count(const ModuleMeta& m);
  HttpResponse Coql(const HttpRequest& req, int& credits);
  HttpResponse WatchWrite(const HttpRequest& req);
  HttpResponse WatchList(const Params& q);
  HttpResponse WatchDelete(const Params& q);
  HttpResponse BulkReadCreate(const HttpRequest& req);
  HttpResponse BulkReadGet(const std::string& id, bool result);
  HttpResponse Upload(const HttpRequest& req);
  HttpResponse BulkWriteCreate(const HttpRequest& req, int& credits);
  HttpResponse BulkWriteGet(const std::string& id, bool result);
  void RenderReadJob(const BulkReadJob& job, Val& out, Alloc& a) const;
  void RenderWriteJob(const BulkWriteJob& job, Val& out, Alloc& a) const;
  // A field's value as a bulk CSV cell: lookups by id, lists joined by ';'.
  std::string CsvValue(const Record& r, const std::string& field) const;
  // The first invalid part of a bulk read criteria, if any.
  std::optional<std::string> CheckCriteria(const ModuleMeta& m, const Val& c) const;
  // REQUIRES: CheckCriteria(c) found nothing.
  bool MatchCriteria(const Val& c, const Record& r) const;

  // --- helpers ---
  // Credits charged in the rolling 24 h ending at now (drops older entries).
  int64_t CreditsInWindow(int64_t now);
  void ChargeCredits(int64_t now, int credits);
  void RenderRecord(const ModuleMeta& m, const Record& r, const std::vector<std::string>* fields,
                    Val& out, Alloc& a) const;
  void RenderField(const ModuleMeta& m, const Record& r, const std::string& name, Val& out,
                   Alloc& a) const;
  std::optional<ItemResult> ValidateFields(const ModuleMeta& m, const Val& input, size_t index,
                                           const Record* existing, bool insert, Doc& staged);
  std::optional<ItemResult> CheckUnique(const ModuleMeta& m, const Doc& staged, size_t index,
                                        const std::string& self_id);
  void ApplyStaged(const ModuleMeta& m, Record& r, const Doc& staged, int64_t now);
  std::string DisplayName(const ModuleMeta& m, const Record& r) const;
  // The record with the lowest id whose `field` equals `value` (see
  // IndexKey), skipping except_id; nullptr for none or an empty value.
  const Record* FindByField(const ModuleMeta& m, const std::string& field, const Val& value,
                            const std::string& except_id = "");
  // ApplyStaged on a stored record, keeping the module's indexes current.
  // Returns the fields whose value changed.
  std::vector<std::string> ChangeRecord(const ModuleMeta& m, ModuleStore& store, Record& r,
                                        const Doc& staged, int64_t now);
  // Queues a notification to every live channel watching m's `event`
  // ("create", "edit", "delete") for these changes.
  void Notify(const ModuleMeta& m, std::string_view event, const std::vector<Change>& changes);
  void DropExpiredChannels(int64_t now);
  void RenderChannelEvents(const Channel& c, const std::set<std::string>& events, Val& out,
                           Alloc& a) const;
  std::string RecordsSignature(const std::string& module, const Params& q,
                               const std::string& ims) const;
  Val StateToJson(Alloc& a) const;
  Status StateFromJson(const Val& v);
  std::string Stats() const;
  // True when a write to record `id` is refused as locked: it is in
  // locked_ids, or the fault_locked roll says so (rolled only when on).
  bool WriteLocked(const std::string& id);
};

namespace {

ItemResult ItemError(std::string_view code, std::string_view message,
                     const std::function<void(Val&, Alloc&)>& details) {
  ItemResult r;
  r.ok = false;
  r.error_code = std::string(code);
  Alloc& a = r.body.GetAllocator();
  AddStr(r.body, "code", code, a);
  Val det(rapidjson::kObjectType);
  details(det, a);
  Add(r.body, "details", std::move(det), a);
  AddStr(r.body, "message", message, a);
  AddStr(r.body, "status", "error", a);
  return r;
}

// Zoho's per-record answer to a write of a locked record (HTTP 400 when
// every record of the call failed, else 207 beside the others).
ItemResult RecordLocked(const std::string& id) {
  return ItemError("RECORD_LOCKED", "the record is locked", [&](Val& d, Alloc& a) {
    AddStr(d, "id", id, a);
  });
}

std::string JsonPath(size_t index, std::string_view field) {
  return "$.data[" + std::to_string(index) + "]" + (field.empty() ? "" : ".") +
         std::string(field);
}

ItemResult InvalidData(size_t index, const FieldMeta& f,
                       const std::function<void(Val&, Alloc&)>& extra = nullptr) {
  return ItemError("INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
    if (extra) extra(d, a);
    AddStr(d, "expected_data_type", f.data_type, a);
    AddStr(d, "api_name", f.api_name, a);
    AddStr(d, "json_path", JsonPath(index, f.api_name), a);
  });
}

bool IsEmptyValue(const Val& v) {
  return v.IsNull() || (v.IsString() && v.GetStringLength() == 0) ||
         (v.IsArray() && v.Empty());
}

}  // namespace

// ---------------------------------------------------------------------------
// Validation of one record's fields into `staged` (normalized values).

std::optional<ItemResult> Engine::State::ValidateFields(const ModuleMeta& m, const Val& input,
                                                        size_t index, const Record* existing,
                                                        bool insert, Doc& staged) {
  Alloc& a = staged.GetAllocator();
  for (auto it = input.MemberBegin(); it != input.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const FieldMeta* f = m.FindField(name);
    // Unknown keys (and "id", "$"-prefixed keys, Layout, Tag...) are ignored,
    // as Zoho does for keys it does not know (unconfirmed for every key).
    if (f == nullptr || f->read_only) continue;
    const Val& v = it->value;
    if (v.IsNull()) {
      if (f->system_mandatory) break;  // reported by the mandatory check below
      Add(staged, name, Val(rapidjson::kNullType), a);
      continue;
    }
    const std::string& t = f->data_type;
    if (t == "text" || t == "textarea" || t == "email" || t == "phone" || t == "website") {
      if (!v.IsString()) return InvalidData(index, *f);
      std::string_view s(v.GetString(), v.GetStringLength());
      if (static_cast<int>(Utf8Length(s)) > f->length) {
        return InvalidData(index, *f,
                           [&](Val& d, Alloc& da) {
                             // record.json API_Exception: maximum_length is a string.
                             AddStr(d, "maximum_length", std::to_string(f->length), da);
                           });
      }
      if (!s.empty() && ((t == "email" && !LooksLikeEmail(s)) ||
                         (t == "phone" && !LooksLikePhone(s)) ||
                         (t == "website" && !LooksLikeUrl(s)))) {
        return InvalidData(index, *f);
      }
      Add(staged, name, Val(v, a), a);
    } else if (t == "integer") {
      // Only JSON numbers are accepted (the SDK sends numbers); 9 digits at most.
      if (!v.IsInt64() || std::llabs(v.GetInt64()) > 999'999'999) return InvalidData(index, *f);
      Add(staged, name, Val(v.GetInt64()), a);
    } else if (t == "bigint") {
      // Zoho encodes bigint as a JSON string; a JSON integer is accepted too.
      std::string s;
      if (v.IsString()) {
        s.assign(v.GetString(), v.GetStringLength());
      } else if (v.IsInt64()) {
        s = std::to_string(v.GetInt64());
      } else {
        return InvalidData(index, *f);
      }
      // A long integer is signed (19 digits, -9223372036854775808..9223372036854775807).
      const size_t digits = s.size() - (s.starts_with('-') ? 1 : 0);
      if (!AllDigits(s) || digits > 19) return InvalidData(index, *f);
      AddStr(staged, name, s, a);
    } else if (t == "double" || t == "currency" || t == "percent") {
      if (!v.IsNumber()) return InvalidData(index, *f);
      double d = v.GetDouble();
      if (!std::isfinite(d) || std::fabs(d) >= 1e16) return InvalidData(index, *f);
      Add(staged, name, Val(v, a), a);
    } else if (t == "boolean") {
      if (!v.IsBool()) return InvalidData(index, *f);
      Add(staged, name, Val(v.GetBool()), a);
    } else if (t == "date") {
      if (!v.IsString() || !ParseDateDays(v.GetString()).has_value()) {
        return InvalidData(index, *f);
      }
      Add(staged, name, Val(v, a), a);
    } else if (t == "datetime") {
      if (!v.IsString()) return InvalidData(index, *f);
      auto when = ParseDateTime(v.GetString());
      if (!when.has_value()) return InvalidData(index, *f);
      AddStr(staged, name, Render(*when), a);  // stored as Zoho renders it
    } else if (t == "picklist") {
      if (!v.IsString()) return InvalidData(index, *f);
      std::string s = v.GetString();
      if (!f->pick_list_values.empty() &&
          std::find(f->pick_list_values.begin(), f->pick_list_values.end(), s) ==
              f->pick_list_values.end()) {
        return InvalidData(index, *f, [&](Val& d, Alloc& da) {
          Val values(rapidjson::kArrayType);
          for (const std::string& pv : f->pick_list_values) values.PushBack(Str(pv, da), da);
          Add(d, "supported_values", std::move(values), da);
        });
      }
      Add(staged, name, Val(v, a), a);
    } else if (t == "multiselectpicklist") {
      if (!v.IsArray()) return InvalidData(index, *f);
      for (const Val& item : v.GetArray()) {
        if (!item.IsString() ||
            (!f->pick_list_values.empty() &&
             std::find(f->pick_list_values.begin(), f->pick_list_values.end(),
                       std::string(item.GetString())) == f->pick_list_values.end())) {
          return InvalidData(index, *f);
        }
      }
      Add(staged, name, Val(v, a), a);
    } else if (t == "lookup" || t == "ownerlookup" || t == "userlookup") {
      if (!v.IsObject() || !v.HasMember("id") ||
          !(v["id"].IsString() || v["id"].IsInt64())) {
        return InvalidData(index, *f);
      }
      std::string id = v["id"].IsString() ? v["id"].GetString() : std::to_string(v["id"].GetInt64());
      Val stored(rapidjson::kObjectType);
      if (t == "lookup") {
        const ModuleMeta* target = meta.FindModule(f->lookup_module);
        auto sit = stores.find(f->lookup_module);
        if (target == nullptr || sit == stores.end() || !sit->second.records.contains(id)) {
          return ItemError("INVALID_DATA", "the id given seems to be invalid",
                           [&](Val& d, Alloc& da) {
                             AddStr(d, "api_name", f->api_name, da);
                             AddStr(d, "json_path", JsonPath(index, f->api_name) + ".id", da);
                           });
        }
        AddStr(stored, "name", DisplayName(*target, sit->second.records.at(id)), a);
        AddStr(stored, "id", id, a);
      } else {
        if (id != kUserId) {
          return ItemError("INVALID_DATA", "invalid data", [&](Val& d, Alloc& da) {
            AddStr(d, "expected_data_type", f->data_type, da);
            AddStr(d, "api_name", f->api_name, da);
            AddStr(d, "json_path", JsonPath(index, f->api_name) + ".id", da);
          });
        }
        stored = MiniUser(a, true);
      }
      Add(staged, name, std::move(stored), a);
    } else {
      Add(staged, name, Val(v, a), a);  // other types: kept as sent
    }
  }
  // Mandatory fields: required on insert; on update only when sent as empty.
  for (const FieldMeta& f : m.fields) {
    if (!f.system_mandatory) continue;
    auto in = input.FindMember(f.api_name.c_str());
    bool sent = in != input.MemberEnd();
    bool missing = sent ? IsEmptyValue(in->value) : (insert && existing == nullptr);
    if (missing) {
      return ItemError("MANDATORY_NOT_FOUND", "required field not found",
                       [&](Val& d, Alloc& da) {
                         AddStr(d, "api_name", f.api_name, da);
                         AddStr(d, "json_path", JsonPath(index, f.api_name), da);
                       });
    }
  }
  return std::nullopt;
}

const Record* Engine::State::FindByField(const ModuleMeta& m, const std::string& field,
                                         const Val& value, const std::string& except_id) {
  auto key = IndexKey(value);
  if (!key) return nullptr;
  ModuleStore& store = stores[m.api_name];
  const FieldIndex& index = IndexFor(store, field);
  auto hit = index.find(*key);
  if (hit == index.end()) return nullptr;
  for (const std::string& id : hit->second) {  // lowest id first, as the scan found it
    if (id != except_id) return &store.records.at(id);
  }
  return nullptr;
}

std::optional<ItemResult> Engine::State::CheckUnique(const ModuleMeta& m, const Doc& staged,
                                                     size_t index, const std::string& self_id) {
  for (const FieldMeta& f : m.fields) {
    if (!f.unique) continue;
    auto it = staged.FindMember(f.api_name.c_str());
    if (it == staged.MemberEnd()) continue;
    const Record* dup = FindByField(m, f.api_name, it->value, self_id);
    if (dup != nullptr) {
      return ItemError("DUPLICATE_DATA", "duplicate data", [&](Val& d, Alloc& a) {
        AddStr(d, "api_name", f.api_name, a);
        AddStr(d, "json_path", JsonPath(index, f.api_name), a);
        Val dr(rapidjson::kObjectType);
        Val mod(rapidjson::kObjectType);
        AddStr(mod, "api_name", m.api_name, a);
        AddStr(mod, "id", m.id, a);
        Add(dr, "module", std::move(mod), a);
        AddStr(dr, "id", dup->id, a);
        Add(dr, "Owner", MiniUser(a, false), a);
        Add(d, "duplicate_record", std::move(dr), a);
      });
    }
  }
  return std::nullopt;
}

void Engine::State::ApplyStaged(const ModuleMeta& m, Record& r, const Doc& staged, int64_t now) {
  Alloc& a = r.fields.GetAllocator();
  for (auto it = staged.MemberBegin(); it != staged.MemberEnd(); ++it) {
    auto have = r.fields.FindMember(it->name);
    if (have != r.fields.MemberEnd()) {
      have->value.CopyFrom(it->value, a);
    } else {
      r.fields.AddMember(Val(it->name, a), Val(it->value, a), a);
    }
  }
  if (!r.fields.HasMember("Owner")) Add(r.fields, "Owner", MiniUser(a, true), a);
  // Full_Name is computed by Zoho from First_Name and Last_Name.
  const FieldMeta* full = m.FindField("Full_Name");
  if (full != nullptr && full->read_only) {
    auto part = [&](const char* key) {
      auto it = r.fields.FindMember(key);
      return it != r.fields.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                                : std::string();
    };
    std::string name = Trim(part("First_Name") + " " + part("Last_Name"));
    auto it = r.fields.FindMember("Full_Name");
    if (it != r.fields.MemberEnd()) {
      it->value.SetString(name.c_str(), static_cast<rapidjson::SizeType>(name.size()), a);
    } else {
      AddStr(r.fields, "Full_Name", name, a);
    }
  }
  if (r.created == 0) r.created = now;
  r.modified = now;
}

std::vector<std::string> Engine::State::ChangeRecord(const ModuleMeta& m, ModuleStore& store,
                                                     Record& r, const Doc& staged, int64_t now) {
  std::vector<std::string> changed;
  for (auto it = staged.MemberBegin(); it != staged.MemberEnd(); ++it) {
    auto have = r.fields.FindMember(it->name);
    if (have == r.fields.MemberEnd() ? !it->value.IsNull() : have->value != it->value) {
      changed.emplace_back(it->name.GetString(), it->name.GetStringLength());
    }
  }
  UnindexRecord(store, r);
  ApplyStaged(m, r, staged, now);
  IndexRecord(store, r);
  return changed;
}

std::string Engine::State::DisplayName(const ModuleMeta& m, const Record& r) const {
  auto it = r.fields.FindMember(m.display_field.c_str());
  if (it != r.fields.MemberEnd() && it->value.IsString()) return it->value.GetString();
  return r.id;
}

void Engine::State::RenderField(const ModuleMeta& m, const Record& r, const std::string& name,
                                Val& out, Alloc& a) const {
  (void)m;
  if (name == "id") {
    AddStr(out, "id", r.id, a);
  } else if (name == "Created_Time") {
    AddStr(out, name, Render(r.created), a);
  } else if (name == "Modified_Time") {
    AddStr(out, name, Render(r.modified), a);
  } else if (name == "Created_By" || name == "Modified_By") {
    Add(out, name, MiniUser(a, true), a);
  } else {
    auto it = r.fields.FindMember(name.c_str());
    if (it != r.fields.MemberEnd()) {
      Add(out, name, Val(it->value, a), a);
    } else {
      AddNull(out, name, a);
    }
  }
}

void Engine::State::RenderRecord(const ModuleMeta& m, const Record& r,
                                 const std::vector<std::string>* fields, Val& out,
                                 Alloc& a) const {
  out.SetObject();
  if (fields != nullptr) {
    for (const std::string& f : *fields) {
      if (f != "id") RenderField(m, r, f, out, a);
    }
  } else {
    for (const FieldMeta& f : m.fields) RenderField(m, r, f.api_name, out, a);
  }
  RenderField(m, r, "id", out, a);
}

// ---------------------------------------------------------------------------
// Metadata endpoints.

HttpResponse Engine::State::Modules() {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val mods(rapidjson::kArrayType);
  int seq = 1;
  for (const ModuleMeta& m : meta.modules) {
    Val o(rapidjson::kObjectType);
    AddStr(o, "id", m.id, a);
    AddStr(o, "api_name", m.api_name, a);
    AddStr(o, "module_name", m.api_name, a);
    AddStr(o, "singular_label", m.singular_label, a);
    AddStr(o, "plural_label", m.plural_label, a);
    AddBool(o, "api_supported", true, a);
    AddBool(o, "creatable", true, a);
    AddBool(o, "editable", true, a);
    AddBool(o, "deletable", true, a);
    AddBool(o, "viewable", true, a);
    AddBool(o, "convertable", m.api_name == "Leads", a);
    AddBool(o, "show_as_tab", true, a);
    AddBool(o, "quick_create", true, a);
    AddBool(o, "global_search_supported", true, a);
    AddBool(o, "isBlueprintSupported", false, a);
    AddBool(o, "feeds_required", false, a);
    AddBool(o, "recycle_bin_on_delete", true, a);
    AddStr(o, "generated_type", "default", a);
    AddStr(o, "status", "visible", a);
    AddInt(o, "visibility", 1, a);
    AddInt(o, "sequence_number", seq++, a);
    AddInt(o, "per_page", kMaxPerPage, a);
    AddStr(o, "modified_time", Render(0), a);
    Add(o, "modified_by", MiniUser(a, false), a);  // modules.json: Minified_User, not null
    AddNull(o, "parent_module", a);
    Val prof(rapidjson::kArrayType);
    Val p(rapidjson::kObjectType);
    AddStr(p, "name", "Administrator", a);
    AddStr(p, "id", "5725767000000026011", a);
    prof.PushBack(p, a);
    Add(o, "profiles", std::move(prof), a);
    mods.PushBack(o, a);
  }
  Add(d, "modules", std::move(mods), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::Fields(const Params& query) {
  auto mit = query.find("module");
  if (mit == query.end()) {
    // fields.json MandatoryParamError requires details.param_name.
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param_name", "module", a); });
  }
  const ModuleMeta* m = meta.FindModule(mit->second);
  if (m == nullptr) {
    return ApiError(400, "INVALID_MODULE", "The module name given seems to be invalid",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "module", a); });
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val fields(rapidjson::kArrayType);
  int seq = 1;
  for (const FieldMeta& f : m->fields) {
    Val o(rapidjson::kObjectType);
    bool system = f.api_name == "Created_Time" || f.api_name == "Modified_Time" ||
                  f.api_name == "Created_By" || f.api_name == "Modified_By";
    AddStr(o, "api_name", f.api_name, a);
    AddStr(o, "id", f.id, a);
    AddStr(o, "field_label", f.display_label, a);
    AddStr(o, "display_label", f.display_label, a);
    AddStr(o, "data_type", f.data_type, a);
    AddStr(o, "json_type", JsonType(f.data_type), a);
    AddInt(o, "length", f.length, a);
    AddInt(o, "decimal_place", f.decimal_place, a);
    AddBool(o, "system_mandatory", f.system_mandatory, a);
    AddBool(o, "custom_field", f.custom_field, a);
    AddBool(o, "read_only", f.read_only, a);
    AddBool(o, "field_read_only", f.read_only, a);
    AddBool(o, "visible", true, a);
    AddBool(o, "sortable", true, a);
    AddBool(o, "filterable", true, a);
    AddBool(o, "mass_update", !f.read_only, a);
    AddBool(o, "virtual_field", false, a);
    AddInt(o, "sequence_number", seq++, a);
    AddStr(o, "created_source", f.custom_field ? "crm" : "default", a);
    AddStr(o, "type", "used", a);
    Val op(rapidjson::kObjectType);
    AddBool(op, "web_update", !f.read_only, a);
    AddBool(op, "api_create", !f.read_only, a);
    AddBool(op, "web_create", !f.read_only, a);
    AddBool(op, "api_update", !f.read_only, a);
    AddBool(op, "api_read", true, a);
    AddBool(op, "web_read", true, a);
    Add(o, "operation_type", std::move(op), a);
    // Non-unique fields carry an empty object, unique ones their case rule
    // (shape of Zoho's field metadata samples; unconfirmed for every field).
    Val uniq(rapidjson::kObjectType);
    if (f.unique) AddStr(uniq, "casesensitive", "0", a);
    Add(o, "unique", std::move(uniq), a);
    Val plv(rapidjson::kArrayType);
    int pseq = 1;
    for (const std::string& v : f.pick_list_values) {
      Val p(rapidjson::kObjectType);
      AddStr(p, "display_value", v, a);
      AddStr(p, "actual_value", v, a);
      AddStr(p, "reference_value", v, a);
      AddStr(p, "id", f.id + std::to_string(pseq), a);
      AddInt(p, "sequence_number", pseq++, a);
      AddStr(p, "type", "used", a);
      AddNull(p, "colour_code", a);
      plv.PushBack(p, a);
    }
    Add(o, "pick_list_values", std::move(plv), a);
    Val lookup(rapidjson::kObjectType);
    if (f.data_type == "lookup") {
      const ModuleMeta* target = meta.FindModule(f.lookup_module);
      Val lm(rapidjson::kObjectType);
      AddStr(lm, "api_name", f.lookup_module, a);
      AddStr(lm, "id", target != nullptr ? target->id : "", a);
      Add(lookup, "module", std::move(lm), a);
      AddStr(lookup, "display_label", f.display_label, a);
      AddStr(lookup, "api_name", f.api_name, a);
      AddStr(lookup, "id", f.id, a);
      AddBool(lookup, "revalidate_filter_during_edit", false, a);
      AddNull(lookup, "query_details", a);
    }
    Add(o, "lookup", std::move(lookup), a);
    if (f.data_type == "textarea") {
      Val ta(rapidjson::kObjectType);
      AddStr(ta, "type", f.length > 2000 ? "large" : "small", a);
      Add(o, "textarea", std::move(ta), a);
    }  // other fields: no key (fields.json types textarea as a non-null object)
    AddBool(o, "system_field", system, a);
    fields.PushBack(o, a);
  }
  Add(d, "fields", std::move(fields), a);
  return JsonResponse(200, d);
}

namespace {
std::string TimeZoneName(int offset_minutes) {
  // A representative IANA zone for common offsets; others get Etc/GMT-style.
  switch (offset_minutes) {
    case 330: return "Asia/Kolkata";
    case 0: return "Etc/UTC";
    case 60: return "Europe/Berlin";
    case -300: return "America/New_York";
    case -480: return "America/Los_Angeles";
    default: return "GMT" + FormatOffset(offset_minutes);
  }
}
}  // namespace

HttpResponse Engine::State::Users() {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val u(rapidjson::kObjectType);
  AddStr(u, "id", kUserId, a);
  AddStr(u, "zuid", "80000001", a);
  AddStr(u, "full_name", kUserName, a);
  AddStr(u, "first_name", "Emulator", a);
  AddStr(u, "last_name", "Admin", a);
  AddStr(u, "email", kUserEmail, a);
  AddStr(u, "status", "active", a);
  AddBool(u, "confirm", true, a);
  AddStr(u, "time_zone", TimeZoneName(config.org_offset_minutes), a);
  AddInt(u, "offset", static_cast<int64_t>(config.org_offset_minutes) * 60000, a);
  AddStr(u, "locale", "en_US", a);
  AddStr(u, "country_locale", "en_US", a);
  AddStr(u, "language", "en_US", a);
  AddStr(u, "date_format", "MM/dd/yyyy", a);
  AddStr(u, "time_format", "hh:mm a", a);
  AddStr(u, "name_format__s", "Salutation,First Name,Last Name", a);
  Val role(rapidjson::kObjectType);
  AddStr(role, "name", "CEO", a);
  AddStr(role, "id", "5725767000000026005", a);
  Add(u, "role", std::move(role), a);
  Val profile(rapidjson::kObjectType);
  AddStr(profile, "name", "Administrator", a);
  AddStr(profile, "id", "5725767000000026011", a);
  Add(u, "profile", std::move(profile), a);
  AddStr(u, "created_time", Render(0), a);
  AddStr(u, "Modified_Time", Render(0), a);
  Val users(rapidjson::kArrayType);
  users.PushBack(u, a);
  Add(d, "users", std::move(users), a);
  Val info(rapidjson::kObjectType);
  AddInt(info, "per_page", kMaxPerPage, a);
  AddInt(info, "count", 1, a);
  AddInt(info, "page", 1, a);
  AddBool(info, "more_records", false, a);
  Add(d, "info", std::move(info), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::Org() {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val o(rapidjson::kObjectType);
  AddStr(o, "id", kOrgId, a);
  AddStr(o, "company_name", meta.company_name, a);
  AddStr(o, "alias", "zcrmsync", a);
  AddStr(o, "primary_email", kUserEmail, a);
  AddStr(o, "primary_zuid", "80000001", a);
  AddStr(o, "domain_name", "org60012345678", a);
  AddStr(o, "zgid", kZgid, a);
  AddStr(o, "time_zone", TimeZoneName(config.org_offset_minutes), a);
  AddStr(o, "iso_code", "USD", a);
  AddStr(o, "currency", "US Dollar - USD", a);
  AddStr(o, "currency_symbol", "$", a);
  AddStr(o, "currency_locale", "en_US", a);
  AddStr(o, "country_code", "US", a);
  AddStr(o, "type", "Production", a);  // org.json enum
  AddInt(o, "max_per_page", kMaxPerPage, a);
  AddBool(o, "mc_status", false, a);
  AddBool(o, "gapps_enabled", false, a);
  AddBool(o, "translation_enabled", false, a);
  AddBool(o, "hipaa_compliance_enabled", false, a);
  AddBool(o, "lite_users_enabled", false, a);
  AddStr(o, "created_time", Render(0), a);
  Val lic(rapidjson::kObjectType);
  AddBool(lic, "paid", true, a);
  AddStr(lic, "paid_type", "enterprise", a);
  AddInt(lic, "users_license_purchased", 10, a);
  AddNull(lic, "trial_expiry", a);
  Add(o, "license_details", std::move(lic), a);
  Val orgs(rapidjson::kArrayType);
  orgs.PushBack(o, a);
  Add(d, "org", std::move(orgs), a);
  return JsonResponse(200, d);
}

// ---------------------------------------------------------------------------
// Records: list, get, count.

std::string Engine::State::RecordsSignature(const std::string& module, const Params& q,
                                            const std::string& ims) const {
  auto get = [&](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  return module + "|" + get("fields") + "|" + get("sort_by") + "|" + get("sort_order") + "|" +
         get("per_page") + "|" + get("ids") + "|" + ims;
}

HttpResponse Engine::State::ListRecords(const ModuleMeta& m, const HttpRequest& req,
                                        const Params& q) {
  auto fit = q.find("fields");
  if (fit == q.end() || Trim(fit->second).empty()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "fields", a); });
  }
  std::vector<std::string> fields;
  for (const std::string& f : Split(fit->second, ',')) {
    std::string name = Trim(f);
    if (!name.empty()) fields.push_back(name);
  }
  if (static_cast<int>(fields.size()) > kMaxFields) {
    return ApiError(400, "LIMIT_EXCEEDED", "Max field limit exceeded", [](Val& d, Alloc& a) {
      AddStr(d, "param", "fields", a);
      AddInt(d, "limit", kMaxFields, a);
    });
  }
  for (const std::string& f : fields) {
    if (f != "id" && m.FindField(f) == nullptr) {
      // Zoho's answer to an unknown field name here is unconfirmed; a clear
      // 400 surfaces mapping bugs early.
      return ApiError(400, "INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
        AddStr(d, "param", "fields", a);
        AddStr(d, "api_name", f, a);
      });
    }
  }
  auto int_param = [&](const char* key, int64_t fallback, int64_t lo,
                       int64_t hi) -> std::optional<int64_t> {
    auto it = q.find(key);
    if (it == q.end()) return fallback;
    if (!AllDigits(it->second) || it->second.size() > 9) return std::nullopt;
    int64_t v = std::stoll(it->second);
    if (v < lo || v > hi) return std::nullopt;
    return v;
  };
  auto bad_param = [](const char* key) {
    return ApiError(400, "INVALID_DATA", "invalid data", [key](Val& d, Alloc& a) {
      AddStr(d, "param", key, a);
    });
  };
  std::optional<int64_t> per_page = int_param("per_page", kMaxPerPage, 1, kMaxPerPage);
  if (!per_page) return bad_param("per_page");
  std::optional<int64_t> page = int_param("page", 1, 1, 1'000'000);
  if (!page) return bad_param("page");
  std::string sort_by = q.contains("sort_by") ? q.at("sort_by") : "id";
  if (sort_by != "id" && sort_by != "Created_Time" && sort_by != "Modified_Time") {
    return bad_param("sort_by");
  }
  std::string sort_order = q.contains("sort_order") ? q.at("sort_order") : "desc";
  if (sort_order != "asc" && sort_order != "desc") return bad_param("sort_order");

  std::string ims_text = Header(req, "If-Modified-Since").value_or("");
  std::optional<int64_t> ims;
  if (!ims_text.empty()) {
    auto parsed = ParseDateTime(ims_text);
    if (!parsed.has_value()) return bad_param("If-Modified-Since");
    ims = *parsed;
  }
  const int64_t now = Now();
  int64_t offset = (*page - 1) * *per_page;
  const std::string signature = RecordsSignature(m.api_name, q, ims_text);
  if (auto tit = q.find("page_token"); tit != q.end()) {
    if (q.contains("page")) {
      // Zoho's code for page + page_token together is unconfirmed.
      return ApiError(400, "INVALID_DATA", "invalid data",
                      [](Val& d, Alloc& a) { AddStr(d, "param", "page", a); });
    }
    auto pit = page_tokens.find(tit->second);
    if (pit == page_tokens.end()) return bad_param("page_token");
    if (pit->second.expiry <= now) {
      // Message and details as in Zoho's getRecords example response-400-expiredvalue.
      return ApiError(400, "EXPIRED_VALUE", "Page token expired", [](Val& d, Alloc& a) {
        AddStr(d, "api_name", "page_token", a);
        AddStr(d, "json_path", "$.query.page_token", a);
      });
    }
    if (pit->second.signature != signature) {
      return ApiError(400, "TOKEN_BOUND_DATA_MISMATCH",
                      "The page_token given seems to be invalid or input param is added or "
                      "altered or deleted",
                      [](Val& d, Alloc& a) { AddStr(d, "param_name", "page_token", a); });
    }
    offset = pit->second.offset;
  } else if (*page * *per_page > kDiscretePagingLimit) {
    return ApiError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    [](Val& d, Alloc& a) { AddInt(d, "limit", kDiscretePagingLimit, a); });
  }
  if (offset >= kTokenPagingLimit) {
    return ApiError(400, "PAGINATION_LIMIT_EXCEEDED",
                    "You can only get upto 100000 records using page_token param",
                    [](Val& d, Alloc& a) { AddStr(d, "param_name", "page_token", a); });
  }

  ModuleStore& store = stores[m.api_name];
  if (store.records.empty()) return NoBody(204);
  std::optional<std::set<std::string>> ids;
  if (auto iit = q.find("ids"); iit != q.end()) {
    ids.emplace();
    for (const std::string& id : Split(iit->second, ',')) ids->insert(Trim(id));
  }
  std::vector<const Record*> rows;
  for (const auto& [id, rec] : store.records) {
    if (ids && !ids->contains(id)) continue;
    if (ims && rec.modified <= *ims) continue;
    rows.push_back(&rec);
  }
  if (rows.empty()) return NoBody(ims ? 304 : 204);
  auto key = [&](const Record* r) {
    return sort_by == "Created_Time" ? r->created : sort_by == "Modified_Time" ? r->modified : 0;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Record* x, const Record* y) {
    int64_t kx = key(x);
    int64_t ky = key(y);
    if (kx != ky) return sort_order == "asc" ? kx < ky : kx > ky;
    return sort_order == "asc" ? x->id < y->id : x->id > y->id;
  });
  if (offset >= static_cast<int64_t>(rows.size())) return NoBody(204);
  const int64_t end = std::min<int64_t>(offset + *per_page, static_cast<int64_t>(rows.size()));
  const bool more = end < static_cast<int64_t>(rows.size());

  // Drop expired page tokens now and then.
  for (auto it = page_tokens.begin(); it != page_tokens.end();) {
    it = it->second.expiry <= now ? page_tokens.erase(it) : std::next(it);
  }
  auto mint = [&](int64_t at) {
    std::string token = std::to_string(std::uniform_int_distribution<uint64_t>()(token_rng));
    token = "emu" + std::to_string(++token_counter) + "x" + token;
    page_tokens[token] = PageToken{signature, at, now + kDay};
    return token;
  };

  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  for (int64_t i = offset; i < end; ++i) {
    Val rec;
    RenderRecord(m, *rows[static_cast<size_t>(i)], &fields, rec, a);
    data.PushBack(rec, a);
  }
  Add(d, "data", std::move(data), a);
  Val info(rapidjson::kObjectType);
  AddInt(info, "per_page", *per_page, a);
  if (more) {
    AddStr(info, "next_page_token", mint(end), a);
  } else {
    AddNull(info, "next_page_token", a);
  }
  AddInt(info, "count", end - offset, a);
  AddStr(info, "sort_by", sort_by, a);
  AddInt(info, "page", offset / *per_page + 1, a);
  if (offset > 0) {
    AddStr(info, "previous_page_token", mint(std::max<int64_t>(0, offset - *per_page)), a);
  } else {
    AddNull(info, "previous_page_token", a);
  }
  if (more || offset > 0) {
    AddStr(info, "page_token_expiry", Render(now + kDay), a);
  } else {
    AddNull(info, "page_token_expiry", a);
  }
  AddStr(info, "sort_order", sort_order, a);
  AddBool(info, "email", false, a);
  AddBool(info, "call", false, a);
  AddBool(info, "more_records", more, a);
  Add(d, "info", std::move(info), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::GetRecord(const ModuleMeta& m, const std::string& id,
                                      const Params& q) {
  ModuleStore& store = stores[m.api_name];
  auto it = store.records.find(id);
  if (it == store.records.end()) {
    // Zoho answers an unknown id with 204 No Content (unconfirmed; some
    // versions answer 400 INVALID_DATA).
    return NoBody(204);
  }
  std::vector<std::string> fields;
  if (auto fit = q.find("fields"); fit != q.end()) {
    for (const std::string& f : Split(fit->second, ',')) {
      if (!Trim(f).empty()) fields.push_back(Trim(f));
    }
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  Val rec;
  RenderRecord(m, it->second, fields.empty() ? nullptr : &fields, rec, a);
  data.PushBack(rec, a);
  Add(d, "data", std::move(data), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::Count(const ModuleMeta& m) {
  Doc d(rapidjson::kObjectType);
  // A JSON number, although record.json types count as a string: the official
  // Node SDK 2.0.0 fails on "count":"4" (tests/sdk_compat) and parses 4.
  AddInt(d, "count", static_cast<int64_t>(stores[m.api_name].records.size()), d.GetAllocator());
  return JsonResponse(200, d);
}

// ---------------------------------------------------------------------------
// Writes: insert, update, upsert.

namespace {

Val WriteDetails(const std::string& id, const std::string& created, const std::string& modified,
                 Alloc& a) {
  Val det(rapidjson::kObjectType);
  AddStr(det, "Modified_Time", modified, a);
  Add(det, "Modified_By", MiniUser(a, false), a);
  AddStr(det, "Created_Time", created, a);
  AddStr(det, "id", id, a);
  Add(det, "Created_By", MiniUser(a, false), a);
  return det;
}

// The system unique field Zoho checks first when upserting.
std::string SystemUniqueField(std::string_view module) {
  if (module == "Leads" || module == "Contacts") return "Email";
  if (module == "Accounts") return "Account_Name";
  if (module == "Deals") return "Deal_Name";
  if (module == "Products") return "Product_Name";
  return "Name";
}

}  // namespace

HttpResponse Engine::State::Write(const ModuleMeta& m, const HttpRequest& req,
                                  const std::string& kind, const std::string& path_id) {
  // The Node SDK sends JSON without a Content-Type; the body is read as JSON
  // whatever the header says.
  Doc body;
  body.Parse(req.body.c_str(), req.body.size());
  if (body.HasParseError() || !body.IsObject()) {
    return ApiError(400, "INVALID_DATA", "body", [](Val& d, Alloc& a) {
      AddStr(d, "reason", "the request body is not a JSON object", a);
    });
  }
  auto dit = body.FindMember("data");
  if (dit == body.MemberEnd() || !dit->value.IsArray()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "data", a); });
  }
  const Val& items = dit->value;
  if (items.Empty()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "data", a); });
  }
  if (items.Size() > kMaxRecordsPerWrite) {
    return ApiError(400, "LIMIT_EXCEEDED", "Record count exceeded", [](Val& d, Alloc& a) {
      AddInt(d, "limit", kMaxRecordsPerWrite, a);
    });
  }
  std::vector<std::string> dup_fields;
  if (kind == "upsert") {
    auto dcf = body.FindMember("duplicate_check_fields");
    if (dcf != body.MemberEnd() && dcf->value.IsArray()) {
      for (const Val& f : dcf->value.GetArray()) {
        if (!f.IsString() || m.FindField(f.GetString()) == nullptr) {
          return ApiError(400, "INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
            AddStr(d, "api_name", "duplicate_check_fields", a);
            AddStr(d, "json_path", "$.duplicate_check_fields", a);
          });
        }
        dup_fields.emplace_back(f.GetString());
      }
    } else {
      std::string sys = SystemUniqueField(m.api_name);
      if (m.FindField(sys) != nullptr) dup_fields.push_back(sys);
      for (const FieldMeta& f : m.fields) {
        if (f.unique && f.api_name != sys) dup_fields.push_back(f.api_name);
      }
    }
  }
  std::optional<int64_t> unmodified_since;
  if (auto ius = Header(req, "If-Unmodified-Since"); ius && kind == "update") {
    auto parsed = ParseDateTime(*ius);
    if (!parsed.has_value()) {
      return ApiError(400, "INVALID_DATA", "invalid data", [](Val& d, Alloc& a) {
        AddStr(d, "param", "If-Unmodified-Since", a);
      });
    }
    unmodified_since = *parsed;
  }

  const int64_t now = Now();
  ModuleStore& store = stores[m.api_name];
  std::vector<ItemResult> results;
  std::vector<Change> created;
  std::vector<Change> edited;
  for (size_t i = 0; i < items.Size(); ++i) {
    const Val& item = items[static_cast<rapidjson::SizeType>(i)];
    if (!item.IsObject()) {
      results.push_back(ItemError("INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
        AddStr(d, "expected_data_type", "jsonobject", a);
        AddStr(d, "json_path", JsonPath(i, ""), a);
      }));
      continue;
    }
    Record* target = nullptr;
    std::string action = "insert";
    std::optional<std::string> matched_field;
    if (kind == "update") {
      std::string id = path_id;
      if (id.empty()) {
        auto idit = item.FindMember("id");
        if (idit != item.MemberEnd() && idit->value.IsString()) id = idit->value.GetString();
        if (idit != item.MemberEnd() && idit->value.IsInt64()) {
          id = std::to_string(idit->value.GetInt64());
        }
      }
      if (id.empty()) {
        results.push_back(ItemError("MANDATORY_NOT_FOUND", "required field not found",
                                    [&](Val& d, Alloc& a) {
                                      AddStr(d, "api_name", "id", a);
                                      AddStr(d, "json_path", JsonPath(i, "id"), a);
                                    }));
        continue;
      }
      auto rit = store.records.find(id);
      if (rit == store.records.end()) {
        results.push_back(ItemError("INVALID_DATA", "the id given seems to be invalid",
                                    [&](Val& d, Alloc& a) {
                                      AddStr(d, "api_name", "id", a);
                                      AddStr(d, "json_path", JsonPath(i, "id"), a);
                                    }));
        continue;
      }
      target = &rit->second;
      if (WriteLocked(target->id)) {
        results.push_back(RecordLocked(target->id));
        continue;
      }
      if (unmodified_since && target->modified > *unmodified_since) {
        const std::string current = Render(target->modified);
        // Message and details as in Zoho's updateRecords example response-412-alreadymodified.
        results.push_back(ItemError(
            "ALREADY_MODIFIED", "record updated time has already passed if-unmodified-since time",
            [&](Val& d, Alloc& a) {
              AddStr(d, "Modified_Time", current, a);
              AddStr(d, "Created_Time", Render(target->created), a);
              AddStr(d, "id", target->id, a);
              Add(d, "Modified_By", MiniUser(a, false), a);
              Add(d, "Created_By", MiniUser(a, false), a);
            }));
        continue;
      }
      action = "update";
    } else if (kind == "upsert") {
      for (const std::string& f : dup_fields) {
        auto vit = item.FindMember(f.c_str());
        if (vit == item.MemberEnd() || IsEmptyValue(vit->value)) continue;
        const Record* found = FindByField(m, f, vit->value);
        if (found != nullptr) {
          target = &store.records.at(found->id);
          action = "update";
          matched_field = f;
          break;
        }
      }
      if (target != nullptr && WriteLocked(target->id)) {
        results.push_back(RecordLocked(target->id));
        continue;
      }
    }
    Pool staged_pool(kSmallChunk);
    Doc staged(rapidjson::kObjectType, &staged_pool);
    auto err = ValidateFields(m, item, i, target, action == "insert", staged);
    if (!err) err = CheckUnique(m, staged, i, target != nullptr ? target->id : "");
    if (err) {
      results.push_back(std::move(*err));
      continue;
    }
    if (target == nullptr) {
      Record rec;
      rec.id = NewId();
      ApplyStaged(m, rec, staged, now);
      target = &AddRecord(store, std::move(rec));
      created.push_back(Change{target->id, {}});
    } else {
      edited.push_back(Change{target->id, ChangeRecord(m, store, *target, staged, now)});
    }
    ItemResult ok;
    ok.ok = true;
    Alloc& a = ok.body.GetAllocator();
    AddStr(ok.body, "code", "SUCCESS", a);
    Add(ok.body, "details", WriteDetails(target->id, Render(target->created),
                                         Render(target->modified), a), a);
    AddStr(ok.body, "message", action == "insert" ? "record added" : "record updated", a);
    AddStr(ok.body, "status", "success", a);
    if (kind == "upsert") {
      AddStr(ok.body, "action", action, a);
      if (matched_field) {
        AddStr(ok.body, "duplicate_field", *matched_field, a);
      } else {
        AddNull(ok.body, "duplicate_field", a);
      }
    }
    results.push_back(std::move(ok));
  }
  Notify(m, "create", created);
  Notify(m, "edit", edited);

  size_t ok_count = 0;
  size_t modified_count = 0;
  for (const ItemResult& r : results) {
    if (r.ok) ++ok_count;
    if (r.error_code == "ALREADY_MODIFIED") ++modified_count;
  }
  int status = 207;
  if (ok_count == results.size()) {
    status = kind == "insert" ? 201 : 200;
  } else if (ok_count == 0) {
    status = modified_count == results.size() ? 412 : 400;
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  for (ItemResult& r : results) data.PushBack(Val(r.body, a), a);
  Add(d, "data", std::move(data), a);
  return JsonResponse(status, d);
}

bool Engine::State::WriteLocked(const std::string& id) {
  if (locked_ids.contains(id)) return true;
  if (config.fault_locked <= 0) return false;  // no roll: other seeded sequences stay
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < config.fault_locked;
}

HttpResponse Engine::State::Delete(const ModuleMeta& m, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "ids", a); });
  }
  if (ids.size() > static_cast<size_t>(kMaxRecordsPerWrite)) {
    return ApiError(400, "LIMIT_EXCEEDED", "Record count exceeded", [](Val& d, Alloc& a) {
      AddInt(d, "limit", kMaxRecordsPerWrite, a);
    });
  }
  ModuleStore& store = stores[m.api_name];
  const int64_t now = Now();
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  size_t ok_count = 0;
  std::vector<Change> removed;
  for (const std::string& id : ids) {
    Val item(rapidjson::kObjectType);
    auto it = store.records.find(id);
    if (it != store.records.end() && WriteLocked(id)) {
      ItemResult locked = RecordLocked(id);
      item.CopyFrom(locked.body, a);
    } else if (it == store.records.end()) {
      AddStr(item, "code", "INVALID_DATA", a);
      Val det(rapidjson::kObjectType);
      AddStr(det, "id", id, a);
      Add(item, "details", std::move(det), a);
      AddStr(item, "message", "the id given seems to be invalid", a);
      AddStr(item, "status", "error", a);
    } else {
      store.deleted.push_back(DeletedRecord{id, DisplayName(m, it->second), "recycle", now});
      RemoveRecord(store, it);
      removed.push_back(Change{id, {}});
      ++ok_count;
      AddStr(item, "code", "SUCCESS", a);
      Val det(rapidjson::kObjectType);
      AddStr(det, "id", id, a);
      Add(item, "details", std::move(det), a);
      AddStr(item, "message", "record deleted", a);
      AddStr(item, "status", "success", a);
    }
    data.PushBack(item, a);
  }
  Add(d, "data", std::move(data), a);
  Notify(m, "delete", removed);
  int status = ok_count == ids.size() ? 200 : ok_count == 0 ? 400 : 207;
  return JsonResponse(status, d);
}

HttpResponse Engine::State::Deleted(const ModuleMeta& m, const HttpRequest& req,
                                    const Params& q) {
  std::string type = q.contains("type") ? q.at("type") : "all";
  if (type != "all" && type != "recycle" && type != "permanent") {
    return ApiError(400, "INVALID_DATA", "invalid data",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "type", a); });
  }
  int64_t per_page = kMaxPerPage;
  int64_t page = 1;
  if (auto it = q.find("per_page"); it != q.end()) {
    if (!AllDigits(it->second) || it->second.size() > 4 || std::stoll(it->second) < 1 ||
        std::stoll(it->second) > kMaxPerPage) {
      return ApiError(400, "INVALID_DATA", "invalid data",
                      [](Val& d, Alloc& a) { AddStr(d, "param", "per_page", a); });
    }
    per_page = std::stoll(it->second);
  }
  if (auto it = q.find("page"); it != q.end()) {
    if (!AllDigits(it->second) || it->second.size() > 6 || std::stoll(it->second) < 1) {
      return ApiError(400, "INVALID_DATA", "invalid data",
                      [](Val& d, Alloc& a) { AddStr(d, "param", "page", a); });
    }
    page = std::stoll(it->second);
  }
  std::optional<int64_t> ims;
  if (auto h = Header(req, "If-Modified-Since"); h && !h->empty()) {
    auto parsed = ParseDateTime(*h);
    if (!parsed.has_value()) {
      return ApiError(400, "INVALID_DATA", "invalid data", [](Val& d, Alloc& a) {
        AddStr(d, "param", "If-Modified-Since", a);
      });
    }
    ims = *parsed;
  }
  std::vector<const DeletedRecord*> rows;
  const ModuleStore& store = stores[m.api_name];
  for (auto it = store.deleted.rbegin(); it != store.deleted.rend(); ++it) {
    if (type != "all" && it->type != type) continue;
    if (ims && it->deleted_time <= *ims) continue;
    rows.push_back(&*it);
  }
  const int64_t offset = (page - 1) * per_page;
  if (offset >= static_cast<int64_t>(rows.size())) return NoBody(204);
  const int64_t end = std::min<int64_t>(offset + per_page, static_cast<int64_t>(rows.size()));
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  for (int64_t i = offset; i < end; ++i) {
    const DeletedRecord& r = *rows[static_cast<size_t>(i)];
    Val o(rapidjson::kObjectType);
    Add(o, "deleted_by", MiniUser(a, false), a);
    AddStr(o, "id", r.id, a);
    if (r.type == "permanent") {
      AddNull(o, "display_name", a);
    } else {
      AddStr(o, "display_name", r.display_name, a);
    }
    AddStr(o, "type", r.type, a);
    if (r.type == "permanent") {
      AddNull(o, "created_by", a);
    } else {
      Add(o, "created_by", MiniUser(a, false), a);
    }
    AddStr(o, "deleted_time", Render(r.deleted_time), a);
    data.PushBack(o, a);
  }
  Add(d, "data", std::move(data), a);
  Val info(rapidjson::kObjectType);
  AddInt(info, "per_page", per_page, a);
  AddInt(info, "count", end - offset, a);
  AddInt(info, "page", page, a);
  AddBool(info, "more_records", end < static_cast<int64_t>(rows.size()), a);
  Add(d, "info", std::move(info), a);
  return JsonResponse(200, d);
}

// ---------------------------------------------------------------------------
// Notifications (watch channels): /crm/v8/actions/watch and the POSTs to
// each channel's notify_url.

namespace {

constexpr int64_t kDefaultChannelLifeS = 3600;
// docs/reference §5: at most 1 week in v8 (1 day in v2-v3); a later
// channel_expiry falls back to the 1 h default.
constexpr int64_t kMaxChannelLifeS = 7 * kDay;
constexpr size_t kMaxWatchItems = 50;
constexpr size_t kMaxTokenLength = 50;

// "Leads.create" -> {"Leads", "create"}; empty module when malformed.
std::pair<std::string, std::string> SplitEvent(const std::string& event) {
  size_t dot = event.rfind('.');
  if (dot == std::string::npos || dot == 0) return {"", ""};
  return {event.substr(0, dot), event.substr(dot + 1)};
}

HttpResponse WatchReply(int all_ok_status, size_t ok_count, std::vector<ItemResult>& items) {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val watch(rapidjson::kArrayType);
  for (ItemResult& r : items) watch.PushBack(Val(r.body, a), a);
  Add(d, "watch", std::move(watch), a);
  // 207 for a mix (docs/reference §5); notifications.json gives per-item
  // errors (WrappedErrorResponse) status 202.
  int status = ok_count == items.size() ? all_ok_status : ok_count == 0 ? 202 : 207;
  return JsonResponse(status, d);
}

ItemResult WatchSuccess(std::string_view message) {
  ItemResult r;
  r.ok = true;
  Alloc& a = r.body.GetAllocator();
  AddStr(r.body, "code", "SUCCESS", a);
  Add(r.body, "details", Val(rapidjson::kObjectType), a);
  AddStr(r.body, "message", message, a);
  AddStr(r.body, "status", "success", a);
  return r;
}

ItemResult WatchFieldError(std::string_view code, std::string_view message, size_t index,
                           std::string_view field, std::string_view path_suffix = "",
                           std::string_view expected_type = "") {
  return ItemError(code, message, [&](Val& d, Alloc& a) {
    if (!expected_type.empty()) AddStr(d, "expected_data_type", expected_type, a);
    AddStr(d, "api_name", field, a);
    AddStr(d, "json_path",
           "$.watch[" + std::to_string(index) + "]." + std::string(field) +
               std::string(path_suffix),
           a);
  });
}

ItemResult NotSubscribed(const std::string& channel_id) {
  return ItemError("NOT_SUBSCRIBED", "Not subscribed for actions-watch of the given module",
                   [&](Val& d, Alloc& a) { AddStr(d, "channel_id", channel_id, a); });
}

// The query parameters of a notify_url, echoed as query_params.
Val QueryParamsOf(const std::string& url, Alloc& a) {
  Val out(rapidjson::kObjectType);
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  Params params;
  ParseUrlEncoded(std::string_view(url).substr(q + 1), /*plus_is_space=*/true, params);
  for (const auto& [k, v] : params) AddStr(out, k, v, a);
  return out;
}

}  // namespace

void Engine::State::DropExpiredChannels(int64_t now) {
  for (auto it = channels.begin(); it != channels.end();) {
    it = it->second.expiry <= now ? channels.erase(it) : std::next(it);
  }
}

void Engine::State::RenderChannelEvents(const Channel& c, const std::set<std::string>& events,
                                        Val& out, Alloc& a) const {
  out.SetArray();
  std::set<std::string> modules;
  for (const std::string& e : events) modules.insert(SplitEvent(e).first);
  for (const std::string& module : modules) {
    const ModuleMeta* m = meta.FindModule(module);
    Val ev(rapidjson::kObjectType);
    AddStr(ev, "channel_expiry", Render(c.expiry), a);
    AddStr(ev, "resource_uri", base_url + "/crm/v8/" + module, a);
    AddStr(ev, "resource_id", m != nullptr ? m->id : "", a);
    AddStr(ev, "resource_name", module, a);
    AddStr(ev, "channel_id", c.id, a);
    if (!c.notification_condition.empty()) {
      Doc cond;
      cond.Parse(c.notification_condition.c_str());
      Add(ev, "notification_condition", Val(cond, a), a);
    }
    out.PushBack(ev, a);
  }
}

void Engine::State::Notify(const ModuleMeta& m, std::string_view event,
                           const std::vector<Change>& changes) {
  if (changes.empty() || channels.empty()) return;
  const int64_t now = Now();
  DropExpiredChannels(now);
  const std::string operation =
      event == "create" ? "insert" : event == "edit" ? "update" : "delete";
  const int64_t server_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock->Now().time_since_epoch())
          .count();
  for (const auto& [id, c] : channels) {
    if (!c.events.contains(m.api_name + ".all") &&
        !c.events.contains(m.api_name + "." + std::string(event))) {
      continue;
    }
    // Shape of the callback body: docs/reference §5.
    Doc d(rapidjson::kObjectType);
    Alloc& a = d.GetAllocator();
    AddInt(d, "server_time", server_time_ms, a);
    Add(d, "query_params", QueryParamsOf(c.notify_url, a), a);
    AddStr(d, "module", m.api_name, a);
    AddStr(d, "resource_uri", base_url + "/crm/v8/" + m.api_name, a);
    Val ids(rapidjson::kArrayType);
    for (const Change& ch : changes) ids.PushBack(Str(ch.id, a), a);
    Add(d, "ids", std::move(ids), a);
    Val affected(rapidjson::kArrayType);
    Val values(rapidjson::kArrayType);
    if (operation == "update") {
      const ModuleStore& store = stores[m.api_name];
      for (const Change& ch : changes) {
        Val fields(rapidjson::kArrayType);
        for (const std::string& f : ch.fields) fields.PushBack(Str(f, a), a);
        Val one(rapidjson::kObjectType);
        Add(one, ch.id, std::move(fields), a);
        affected.PushBack(one, a);
        auto rit = store.records.find(ch.id);
        if (c.return_affected_field_values && rit != store.records.end()) {
          Val v(rapidjson::kObjectType);
          for (const std::string& f : ch.fields) RenderField(m, rit->second, f, v, a);
          Val rec(rapidjson::kObjectType);
          AddStr(rec, "record_id", ch.id, a);
          Add(rec, "values", std::move(v), a);
          values.PushBack(rec, a);
        }
      }
    }
    Add(d, "affected_fields", std::move(affected), a);
    if (c.return_affected_field_values && operation == "update") {
      Add(d, "affected_values", std::move(values), a);
    }
    AddStr(d, "operation", operation, a);
    AddStr(d, "channel_id", c.id, a);
    if (c.token) {
      AddStr(d, "token", *c.token, a);
    } else {
      AddNull(d, "token", a);
    }
    notifier->Enqueue(Notification{c.notify_url, ToJson(d)});
  }
}

HttpResponse Engine::State::WatchWrite(const HttpRequest& req) {
  const std::string& method = req.method;
  Doc body;
  body.Parse(req.body.c_str(), req.body.size());
  auto wit = !body.HasParseError() && body.IsObject() ? body.FindMember("watch")
                                                      : body.MemberEnd();
  if (body.HasParseError() || !body.IsObject() || wit == body.MemberEnd() ||
      !wit->value.IsArray() || wit->value.Empty()) {
    // common.json MandatoryParamError: details need param_name and param.
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) {
                      AddStr(d, "param_name", "watch", a);
                      AddStr(d, "param", "watch", a);
                    });
  }
  const Val& items = wit->value;
  if (items.Size() > kMaxWatchItems) {
    return ApiError(400, "LIMIT_EXCEEDED", "Limit exceeded", [](Val& d, Alloc& a) {
      AddInt(d, "limit", static_cast<int64_t>(kMaxWatchItems), a);
    });
  }
  const int64_t now = Now();
  DropExpiredChannels(now);
  std::vector<ItemResult> results;
  size_t ok_count = 0;
  for (size_t i = 0; i < items.Size(); ++i) {
    const Val& item = items[static_cast<rapidjson::SizeType>(i)];
    auto fail = [&](ItemResult r) { results.push_back(std::move(r)); };
    if (!item.IsObject()) {
      fail(WatchFieldError("INVALID_DATA", "invalid data", i, "", "", "jsonobject"));
      continue;
    }
    auto member = [&](const char* key) -> const Val* {
      auto it = item.FindMember(key);
      return it == item.MemberEnd() ? nullptr : &it->value;
    };
    // channel_id: a long; the SDK sends it as a string.
    const Val* cid = member("channel_id");
    if (cid == nullptr || cid->IsNull()) {
      fail(WatchFieldError("MANDATORY_NOT_FOUND", "required field not found", i, "channel_id"));
      continue;
    }
    std::string channel_id;
    if (cid->IsInt64() && cid->GetInt64() > 0) channel_id = std::to_string(cid->GetInt64());
    if (cid->IsString() && AllDigits(cid->GetString()) && cid->GetString()[0] != '-' &&
        cid->GetStringLength() <= 18) {
      channel_id = cid->GetString();
    }
    if (channel_id.empty()) {
      fail(WatchFieldError("INVALID_DATA", "invalid data", i, "channel_id", "", "long"));
      continue;
    }
    auto existing = channels.find(channel_id);
    const bool patch = method == "PATCH";
    if (patch && existing == channels.end()) {
      fail(NotSubscribed(channel_id));
      continue;
    }
    const Val* del = member("_delete_events");
    const bool delete_events = patch && del != nullptr && del->IsBool() && del->GetBool();
    // events: "Module.create|edit|delete|all".
    std::set<std::string> events;
    const Val* ev = member("events");
    if (ev == nullptr || ev->IsNull()) {
      if (!patch) {
        fail(WatchFieldError("MANDATORY_NOT_FOUND", "required field not found", i, "events"));
        continue;
      }
    } else if (!ev->IsArray() || ev->Empty()) {
      fail(WatchFieldError("INVALID_DATA", "invalid data", i, "events", "", "jsonarray"));
      continue;
    } else {
      std::optional<ItemResult> bad;
      for (rapidjson::SizeType j = 0; j < ev->Size() && !bad; ++j) {
        const Val& e = (*ev)[j];
        auto [module, action] = e.IsString() ? SplitEvent(e.GetString())
                                             : std::pair<std::string, std::string>{};
        if (meta.FindModule(module) == nullptr ||
            (action != "create" && action != "edit" && action != "delete" && action != "all")) {
          bad = WatchFieldError("INVALID_DATA", "invalid data", i, "events",
                                "[" + std::to_string(j) + "]");
        } else {
          events.insert(module + "." + action);
        }
      }
      if (bad) {
        fail(std::move(*bad));
        continue;
      }
    }
    const Val* url = member("notify_url");
    std::optional<std::string> notify_url;
    if (url != nullptr && !url->IsNull()) {
      std::string u = url->IsString() ? url->GetString() : "";
      if (!(u.starts_with("http://") || u.starts_with("https://")) || u.size() <= 8) {
        fail(WatchFieldError("INVALID_DATA", "invalid data", i, "notify_url"));
        continue;
      }
      notify_url = u;
    } else if (!patch && !delete_events) {
      fail(WatchFieldError("MANDATORY_NOT_FOUND", "required field not found", i, "notify_url"));
      continue;
    }
    const Val* tok = member("token");
    std::optional<std::string> token;
    if (tok != nullptr && !tok->IsNull()) {
      if (!tok->IsString() || tok->GetStringLength() > kMaxTokenLength) {
        fail(WatchFieldError("INVALID_DATA", "invalid data", i, "token"));
        continue;
      }
      token = tok->GetString();
    }
    const Val* exp = member("channel_expiry");
    std::optional<int64_t> expiry;
    if (exp != nullptr && !exp->IsNull()) {
      auto when = exp->IsString() ? ParseDateTime(exp->GetString()) : Result<int64_t>(0);
      if (!exp->IsString() || !when.has_value() || *when <= now) {
        fail(WatchFieldError("INVALID_DATA", "invalid data", i, "channel_expiry", "",
                             "datetime"));
        continue;
      }
      expiry = *when > now + kMaxChannelLifeS ? now + kDefaultChannelLifeS : *when;
    }
    auto flag = [&](const char* key) -> std::optional<bool> {
      const Val* v = member(key);
      if (v == nullptr || !v->IsBool()) return std::nullopt;
      return v->GetBool();
    };
    const Val* cond = member("notification_condition");

    ItemResult ok;
    std::set<std::string> reported;  // events listed in details
    if (delete_events) {
      Channel& c = existing->second;
      for (const std::string& e : events) c.events.erase(e);
      reported = events;
      ok = WatchSuccess("Successfully un-subscribed from actions-watch");
      Val evs;
      RenderChannelEvents(c, reported, evs, ok.body.GetAllocator());
      ok.body["details"].AddMember("events", evs, ok.body.GetAllocator());
      if (c.events.empty()) channels.erase(existing);
    } else {
      // POST adds to an existing channel; PUT replaces it (omitted fields
      // dropped, docs/reference §5); PATCH changes only what is given.
      const bool replace = method == "PUT" || existing == channels.end();
      Channel fresh;
      Channel& c = replace ? fresh : existing->second;
      c.id = channel_id;
      if (method == "PATCH" && !events.empty()) c.events = events;
      if (method != "PATCH") c.events.insert(events.begin(), events.end());
      if (notify_url) c.notify_url = *notify_url;
      if (token || replace) c.token = token;
      if (expiry || !patch) c.expiry = expiry.value_or(now + kDefaultChannelLifeS);
      if (auto f = flag("return_affected_field_values")) c.return_affected_field_values = *f;
      if (auto f = flag("notify_on_related_action")) c.notify_on_related_action = *f;
      if (cond != nullptr && cond->IsArray()) c.notification_condition = ToJson(*cond);
      if (replace) channels[channel_id] = std::move(fresh);
      const Channel& stored = channels.at(channel_id);
      ok = WatchSuccess(method == "POST" ? "Successfully subscribed for actions-watch of the given module"
                                         : "Successfully updated the subscribe details");
      Val evs;
      RenderChannelEvents(stored, stored.events, evs, ok.body.GetAllocator());
      ok.body["details"].AddMember("events", evs, ok.body.GetAllocator());
    }
    ++ok_count;
    results.push_back(std::move(ok));
  }
  return WatchReply(method == "POST" ? 201 : 200, ok_count, results);
}

HttpResponse Engine::State::WatchList(const Params& q) {
  DropExpiredChannels(Now());
  auto number = [&](const char* key, int64_t fallback, int64_t hi) -> std::optional<int64_t> {
    auto it = q.find(key);
    if (it == q.end()) return fallback;
    if (!AllDigits(it->second) || it->second.size() > 6) return std::nullopt;
    int64_t v = std::stoll(it->second);
    if (v < 1 || v > hi) return std::nullopt;
    return v;
  };
  std::optional<int64_t> per_page = number("per_page", kMaxPerPage, kMaxPerPage);
  std::optional<int64_t> page = number("page", 1, 1'000'000);
  if (!per_page || !page) {
    return ApiError(400, "INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
      AddStr(d, "api_name", !per_page ? "per_page" : "page", a);
      AddStr(d, "json_path", !per_page ? "$.query.per_page" : "$.query.page", a);
    });
  }
  const std::string want_channel = q.contains("channel_id") ? q.at("channel_id") : "";
  const std::string want_module = q.contains("module") ? q.at("module") : "";
  if (!want_module.empty() && meta.FindModule(want_module) == nullptr) {
    return ApiError(400, "INVALID_DATA", "invalid data", [](Val& d, Alloc& a) {
      AddStr(d, "api_name", "module", a);
      AddStr(d, "json_path", "$.query.module", a);
    });
  }
  // One entry per channel and module, as Zoho lists them.
  std::vector<std::pair<const Channel*, std::string>> rows;
  for (const auto& [id, c] : channels) {
    if (!want_channel.empty() && id != want_channel) continue;
    std::set<std::string> modules;
    for (const std::string& e : c.events) modules.insert(SplitEvent(e).first);
    for (const std::string& module : modules) {
      if (want_module.empty() || module == want_module) rows.emplace_back(&c, module);
    }
  }
  const int64_t offset = (*page - 1) * *per_page;
  if (offset >= static_cast<int64_t>(rows.size())) return NoBody(204);
  const int64_t end = std::min<int64_t>(offset + *per_page, static_cast<int64_t>(rows.size()));
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val watch(rapidjson::kArrayType);
  for (int64_t i = offset; i < end; ++i) {
    const auto& [c, module] = rows[static_cast<size_t>(i)];
    const ModuleMeta* m = meta.FindModule(module);
    Val o(rapidjson::kObjectType);
    AddStr(o, "channel_id", c->id, a);
    Val evs(rapidjson::kArrayType);
    for (const std::string& e : c->events) {
      if (SplitEvent(e).first == module) evs.PushBack(Str(e, a), a);
    }
    Add(o, "events", std::move(evs), a);
    AddStr(o, "notify_url", c->notify_url, a);
    if (c->token) {
      AddStr(o, "token", *c->token, a);
    } else {
      AddNull(o, "token", a);
    }
    AddStr(o, "channel_expiry", Render(c->expiry), a);
    AddStr(o, "resource_uri", base_url + "/crm/v8/" + module, a);
    AddStr(o, "resource_id", m != nullptr ? m->id : "", a);
    AddStr(o, "resource_name", module, a);
    AddBool(o, "notify_on_related_action", c->notify_on_related_action, a);
    AddBool(o, "return_affected_field_values", c->return_affected_field_values, a);
    AddNull(o, "fields", a);
    if (!c->notification_condition.empty()) {
      Doc cond;
      cond.Parse(c->notification_condition.c_str());
      Add(o, "notification_condition", Val(cond, a), a);
    }
    watch.PushBack(o, a);
  }
  Add(d, "watch", std::move(watch), a);
  Val info(rapidjson::kObjectType);
  AddInt(info, "per_page", *per_page, a);
  AddInt(info, "page", *page, a);
  AddInt(info, "count", end - offset, a);
  AddBool(info, "more_records", end < static_cast<int64_t>(rows.size()), a);
  Add(d, "info", std::move(info), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::WatchDelete(const Params& q) {
  DropExpiredChannels(Now());
  std::vector<std::string> ids;
  if (auto it = q.find("channel_ids"); it != q.end()) {
    for (const std::string& id : Split(it->second, ',')) {
      if (!Trim(id).empty()) ids.push_back(Trim(id));
    }
  }
  if (ids.empty()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) {
                      AddStr(d, "param_name", "channel_ids", a);
                      AddStr(d, "param", "channel_ids", a);
                    });
  }
  std::vector<ItemResult> results;
  size_t ok_count = 0;
  for (const std::string& id : ids) {
    auto it = channels.find(id);
    if (it == channels.end()) {
      results.push_back(NotSubscribed(id));
      continue;
    }
    ItemResult ok = WatchSuccess("Successfully removed the subscribe details");
    Val evs;
    RenderChannelEvents(it->second, it->second.events, evs, ok.body.GetAllocator());
    ok.body["details"].AddMember("events", evs, ok.body.GetAllocator());
    channels.erase(it);
    ++ok_count;
    results.push_back(std::move(ok));
  }
  return WatchReply(200, ok_count, results);
}

// ---------------------------------------------------------------------------
// Bulk Read (/crm/bulk/v8/read) and Bulk Write (/crm/v8/upload,
// /crm/bulk/v8/write). A job does its work when it is created, under the
// lock, so its first poll already shows COMPLETED (Zoho passes through
// ADDED and IN PROGRESS; clients poll either way).

namespace {

constexpr int64_t kBulkReadPerPage = 200'000;      // docs/reference §4
constexpr size_t kBulkWriteMaxRecords = 25'000;    // per file, docs/reference §4
constexpr size_t kBulkWriteMaxBytes = 25u << 20;   // 25 MB upload, else 413
constexpr int kBulkWriteCredits = 500;             // docs/reference §6 (unconfirmed)

HttpResponse BulkError(int status, std::string_view code, std::string_view message,
                       const std::function<void(Val&, Alloc&)>& details = nullptr) {
  return ApiError(status, code, message, details);
}

HttpResponse ZipResponse(const std::string& zip) {
  HttpResponse r;
  r.status = 200;
  r.body = zip;
  r.headers.emplace_back("Content-Type", "application/zip");
  return r;
}

std::string LowerAscii(std::string_view s) { return Lower(s); }

// "MM/dd/yyyy" (Zoho's default CSV date format) -> "yyyy-MM-dd"; others kept.
std::string CsvDate(const std::string& s) {
  if (s.size() == 10 && s[2] == '/' && s[5] == '/') {
    return s.substr(6, 4) + "-" + s.substr(0, 2) + "-" + s.substr(3, 2);
  }
  return s;
}

}  // namespace

std::string Engine::State::CsvValue(const Record& r, const std::string& field) const {
  if (field == "id") return r.id;
  if (field == "Created_Time") return Render(r.created);
  if (field == "Modified_Time") return Render(r.modified);
  if (field == "Created_By" || field == "Modified_By") return std::string(kUserId);
  auto it = r.fields.FindMember(field.c_str());
  if (it == r.fields.MemberEnd()) return "";
  const Val& v = it->value;
  if (v.IsNull()) return "";
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsObject()) {
    auto id = v.FindMember("id");
    return id != v.MemberEnd() && id->value.IsString() ? id->value.GetString() : "";
  }
  if (v.IsArray()) {
    std::string joined;
    for (const Val& e : v.GetArray()) {
      if (!e.IsString()) continue;
      if (!joined.empty()) joined += ";";
      joined += e.GetString();
    }
    return joined;
  }
  return ToJson(v);  // numbers
}

std::optional<std::string> Engine::State::CheckCriteria(const ModuleMeta& m, const Val& c) const {
  if (!c.IsObject()) return "criteria";
  auto group = c.FindMember("group");
  if (group != c.MemberEnd()) {
    auto op = c.FindMember("group_operator");
    if (op == c.MemberEnd() || !op->value.IsString() ||
        (LowerAscii(op->value.GetString()) != "and" && LowerAscii(op->value.GetString()) != "or") ||
        !group->value.IsArray() || group->value.Empty()) {
      return "group_operator";
    }
    for (const Val& g : group->value.GetArray()) {
      if (auto bad = CheckCriteria(m, g)) return bad;
    }
    return std::nullopt;
  }
  auto f = c.FindMember("field");
  auto cmp = c.FindMember("comparator");
  if (f == c.MemberEnd() || !f->value.IsObject() || !f->value.HasMember("api_name") ||
      !f->value["api_name"].IsString()) {
    return "field";
  }
  std::string name = f->value["api_name"].GetString();
  if (name != "id" && m.FindField(name) == nullptr) return name;
  static const std::set<std::string> kComparators = {
      "equal",      "not_equal",    "in",         "not_in",        "contains",
      "not_contains", "starts_with", "ends_with", "greater_than",  "greater_equal",
      "less_than",  "less_equal",   "between",    "not_between"};
  if (cmp == c.MemberEnd() || !cmp->value.IsString() ||
      !kComparators.contains(cmp->value.GetString())) {
    return "comparator";
  }
  if (!c.HasMember("value")) return "value";
  return std::nullopt;
}

bool Engine::State::MatchCriteria(const Val& c, const Record& r) const {
  auto group = c.FindMember("group");
  if (group != c.MemberEnd()) {
    const bool all = LowerAscii(c["group_operator"].GetString()) == "and";
    for (const Val& g : group->value.GetArray()) {
      if (MatchCriteria(g, r) != all) return !all;
    }
    return all;
  }
  const std::string have = LowerAscii(CsvValue(r, c["field"]["api_name"].GetString()));
  const std::string cmp = c["comparator"].GetString();
  auto text = [](const Val& v) {
    if (v.IsString()) {
      std::string s = Lower(v.GetString());
      return s == "${empty}" ? std::string() : s;
    }
    if (v.IsBool()) return std::string(v.GetBool() ? "true" : "false");
    if (v.IsNull()) return std::string();
    return ToJson(v);
  };
  std::vector<std::string> values;
  const Val& value = c["value"];
  if (value.IsArray()) {
    for (const Val& v : value.GetArray()) values.push_back(text(v));
  } else {
    values.push_back(text(value));
  }
  // Numbers compare as numbers, everything else as (lower-cased) text.
  auto order = [&](const std::string& want) {
    char* e1 = nullptr;
    char* e2 = nullptr;
    double a = std::strtod(have.c_str(), &e1);
    double b = std::strtod(want.c_str(), &e2);
    if (!have.empty() && !want.empty() && *e1 == '\0' && *e2 == '\0') {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return have < want ? -1 : have > want ? 1 : 0;
  };
  const std::string& v0 = values[0];
  if (cmp == "equal") return have == v0;
  if (cmp == "not_equal") return have != v0;
  if (cmp == "in" || cmp == "not_in") {
    bool found = std::find(values.begin(), values.end(), have) != values.end();
    return cmp == "in" ? found : !found;
  }
  if (cmp == "contains") return have.find(v0) != std::string::npos;
  if (cmp == "not_contains") return have.find(v0) == std::string::npos;
  if (cmp == "starts_with") return have.starts_with(v0);
  if (cmp == "ends_with") return have.ends_with(v0);
  if (cmp == "greater_than") return order(v0) > 0;
  if (cmp == "greater_equal") return order(v0) >= 0;
  if (cmp == "less_than") return order(v0) < 0;
  if (cmp == "less_equal") return order(v0) <= 0;
  if (values.size() < 2) return false;
  const bool inside = order(values[0]) >= 0 && order(values[1]) <= 0;
  return cmp == "between" ? inside : !inside;
}

void Engine::State::RenderReadJob(const BulkReadJob& job, Val& out, Alloc& a) const {
  out.SetObject();
  AddStr(out, "id", job.id, a);
  AddStr(out, "operation", "read", a);
  AddStr(out, "state", "COMPLETED", a);
  Doc query;
  query.Parse(job.query_json.c_str());
  Add(out, "query", Val(query, a), a);
  Add(out, "created_by", MiniUser(a, false), a);
  AddStr(out, "created_time", Render(job.created), a);
  Val result(rapidjson::kObjectType);
  AddInt(result, "page", job.page, a);
  AddInt(result, "per_page", kBulkReadPerPage, a);
  AddInt(result, "count", job.count, a);
  AddStr(result, "download_url", "/crm/bulk/v8/read/" + job.id + "/result", a);
  AddBool(result, "more_records", job.more, a);
  AddNull(result, "next_page_token", a);  // more pages: ask for `page` + 1
  Add(out, "result", std::move(result), a);
  AddStr(out, "file_type", "csv", a);
}

HttpResponse Engine::State::BulkReadCreate(const HttpRequest& req) {
  // docs/reference §4: this call needs Content-Type: application/json.
  if (!Lower(Header(req, "Content-Type").value_or("")).starts_with("application/json")) {
    return BulkError(415, "MEDIA_TYPE_NOT_SUPPORTED", "The media type is not supported");
  }
  Doc body;
  body.Parse(req.body.c_str(), req.body.size());
  if (body.HasParseError() || !body.IsObject()) {
    return BulkError(400, "REQUEST_BODY_NOT_READABLE", "the request body is not a JSON object");
  }
  auto q = body.FindMember("query");
  if (q == body.MemberEnd() || !q->value.IsObject()) {
    return BulkError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                     [](Val& d, Alloc& a) {
                       AddStr(d, "param_name", "query", a);
                       AddStr(d, "param", "query", a);
                     });
  }
  const Val& query = q->value;
  auto mod = query.FindMember("module");
  const ModuleMeta* m = nullptr;
  if (mod != query.MemberEnd() && mod->value.IsObject() && mod->value.HasMember("api_name") &&
      mod->value["api_name"].IsString()) {
    m = meta.FindModule(mod->value["api_name"].GetString());
  }
  if (m == nullptr) {
    return BulkError(400, "MODULE_NOT_AVAILABLE", "the module is not available for bulk read",
                     [](Val& d, Alloc& a) { AddStr(d, "resource", "module", a); });
  }
  std::vector<std::string> fields;
  if (auto f = query.FindMember("fields"); f != query.MemberEnd() && f->value.IsArray()) {
    for (const Val& name : f->value.GetArray()) {
      if (!name.IsString() || (std::string_view(name.GetString()) != "id" &&
                               m->FindField(name.GetString()) == nullptr)) {
        return BulkError(400, "FIELD_NOT_AVAILABLE", "the field is not available",
                         [&](Val& d, Alloc& a) {
                           AddStr(d, "api_name", name.IsString() ? name.GetString() : "", a);
                           AddStr(d, "module", m->api_name, a);
                         });
      }
      if (std::string_view(name.GetString()) != "id") fields.emplace_back(name.GetString());
    }
  }
  if (fields.empty()) {
    for (const FieldMeta& f : m->fields) fields.push_back(f.api_name);
  }
  int64_t page = 1;
  if (auto p = query.FindMember("page"); p != query.MemberEnd() && !p->value.IsNull()) {
    if (!p->value.IsInt64() || p->value.GetInt64() < 1) {
      return BulkError(400, "INVALID_REQUEST", "page must be a positive number",
                       [](Val& d, Alloc& a) { AddStr(d, "resource", "page", a); });
    }
    page = p->value.GetInt64();
  }
  const Val* criteria = nullptr;
  if (auto c = query.FindMember("criteria"); c != query.MemberEnd() && !c->value.IsNull()) {
    if (auto bad = CheckCriteria(*m, c->value)) {
      return BulkError(400, "INVALID_CRITERIA", "the criteria given is invalid",
                       [&](Val& d, Alloc& a) { AddStr(d, "resource", *bad, a); });
    }
    criteria = &c->value;
  }
  std::string callback_url;
  if (auto cb = body.FindMember("callback"); cb != body.MemberEnd() && cb->value.IsObject()) {
    auto u = cb->value.FindMember("url");
    if (u != cb->value.MemberEnd() && u->value.IsString()) callback_url = u->value.GetString();
  }

  BulkReadJob job;
  job.id = NewId();
  job.module = m->api_name;
  job.page = page;
  job.created = Now();
  {
    Doc echo(rapidjson::kObjectType);
    Alloc& a = echo.GetAllocator();
    Val md(rapidjson::kObjectType);
    AddStr(md, "api_name", m->api_name, a);
    AddStr(md, "id", m->id, a);
    Add(echo, "module", std::move(md), a);
    Val fs(rapidjson::kArrayType);
    for (const std::string& f : fields) fs.PushBack(Str(f, a), a);
    Add(echo, "fields", std::move(fs), a);
    AddInt(echo, "page", page, a);
    if (criteria != nullptr) Add(echo, "criteria", Val(*criteria, a), a);
    job.query_json = ToJson(echo);
  }
  // The CSV: an id column, then the fields asked for, in record id order.
  std::string csv;
  std::vector<std::string> header{"id"};
  header.insert(header.end(), fields.begin(), fields.end());
  AppendCsvRow(header, csv);
  const int64_t first = (page - 1) * kBulkReadPerPage;
  int64_t matched = 0;
  std::vector<std::string> row;
  for (const auto& [id, rec] : stores[m->api_name].records) {
    if (criteria != nullptr && !MatchCriteria(*criteria, rec)) continue;
    const int64_t n = matched++;
    if (n < first) continue;
    if (n >= first + kBulkReadPerPage) {
      job.more = true;
      break;
    }
    row.clear();
    row.push_back(id);
    for (const std::string& f : fields) row.push_back(CsvValue(rec, f));
    AppendCsvRow(row, csv);
    ++job.count;
  }
  job.zip = ZipOneFile(job.id + ".csv", csv);
  if (!callback_url.empty()) {
    Doc cb(rapidjson::kObjectType);
    RenderReadJob(job, cb, cb.GetAllocator());
    notifier->Enqueue(Notification{callback_url, ToJson(cb)});
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val item(rapidjson::kObjectType);
  AddStr(item, "status", "success", a);
  AddStr(item, "code", "ADDED_SUCCESSFULLY", a);
  AddStr(item, "message", "Added successfully.", a);
  Val det(rapidjson::kObjectType);
  AddStr(det, "id", job.id, a);
  AddStr(det, "operation", "read", a);
  AddStr(det, "state", "ADDED", a);
  Add(det, "created_by", MiniUser(a, false), a);
  AddStr(det, "created_time", Render(job.created), a);
  Add(item, "details", std::move(det), a);
  Val data(rapidjson::kArrayType);
  data.PushBack(item, a);
  Add(d, "data", std::move(data), a);
  Add(d, "info", Val(rapidjson::kObjectType), a);
  const std::string id = job.id;
  bulk_reads.emplace(id, std::move(job));
  return JsonResponse(201, d);
}

HttpResponse Engine::State::BulkReadGet(const std::string& id, bool result) {
  auto it = bulk_reads.find(id);
  if (it == bulk_reads.end()) {
    return BulkError(result ? 400 : 404, "RESOURCE_NOT_FOUND", "the job id given is invalid",
                     [](Val& d, Alloc& a) { AddStr(d, "resource", "job_id", a); });
  }
  if (result) return ZipResponse(it->second.zip);
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val job;
  RenderReadJob(it->second, job, a);
  Val data(rapidjson::kArrayType);
  data.PushBack(job, a);
  Add(d, "data", std::move(data), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::Upload(const HttpRequest& req) {
  // docs/reference §4: headers feature: bulk-write and X-CRM-ORG: <zgid>.
  if (Header(req, "feature").value_or("") != "bulk-write" ||
      Header(req, "X-CRM-ORG").value_or("") != kZgid) {
    // bulk_write.json API_Exception: Zoho's own answer to this case.
    Doc d(rapidjson::kObjectType);
    Alloc& a = d.GetAllocator();
    AddInt(d, "ERROR_CODE", 400, a);
    AddStr(d, "ERROR_MESSAGE", "Bad Request", a);
    AddStr(d, "x-error", "check if headers [feature, X-CRM-ORG] are present and valid", a);
    return JsonResponse(400, d);
  }
  std::string file;
  bool found = false;
  for (const auto& [k, v] : req.form) {
    if (k == "file") {
      file = v;
      found = true;
    }
  }
  if (!found) {
    Params form;
    ParseMultipart(req.body, Header(req, "Content-Type").value_or(""), form);
    if (auto it = form.find("file"); it != form.end()) {
      file = it->second;
      found = true;
    }
  }
  if (!found) {
    return BulkError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                     [](Val& d, Alloc& a) {
                       AddStr(d, "param_name", "file", a);
                       AddStr(d, "param", "file", a);
                     });
  }
  if (file.size() > kBulkWriteMaxBytes) {
    return BulkError(413, "FILE_TOO_LARGE", "File size too large to process");
  }
  auto entry = UnzipFirstFile(file);
  if (!entry.has_value()) {
    // Message as bulk_write.json lists it; the reason goes in details.
    return BulkError(400, "INVALID_FILE_FORMAT", "invalid file format. only zip format is supported",
                     [&](Val& d, Alloc& a) { AddStr(d, "reason", entry.error().message(), a); });
  }
  auto rows = ParseCsv(entry->content);
  if (!rows.has_value() || rows->empty()) {
    return BulkError(400, "INVALID_FILE_FORMAT", "the ZIP must hold one CSV with a header row",
                     [](Val& d, Alloc& a) { AddStr(d, "resource", "file", a); });
  }
  if (rows->size() - 1 > kBulkWriteMaxRecords) {
    return BulkError(400, "LIMIT_EXCEEDED", "a file may hold at most 25000 records",
                     [](Val& d, Alloc& a) {
                       AddInt(d, "limit", static_cast<int64_t>(kBulkWriteMaxRecords), a);
                     });
  }
  const std::string file_id = NewId();
  const int64_t now = Now();
  uploads[file_id] = UploadedFile{entry->name, std::move(*rows), now};
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  AddStr(d, "status", "success", a);
  AddStr(d, "code", "FILE_UPLOAD_SUCCESS", a);
  AddStr(d, "message", "file uploaded.", a);
  Val det(rapidjson::kObjectType);
  AddStr(det, "file_id", file_id, a);
  AddStr(det, "created_time", Render(now), a);
  Add(d, "details", std::move(det), a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::BulkWriteCreate(const HttpRequest& req, int& credits) {
  Doc body;
  body.Parse(req.body.c_str(), req.body.size());
  if (body.HasParseError() || !body.IsObject()) {
    return BulkError(400, "INVALID_DATA", "the request body is not a JSON object");
  }
  auto str = [](const Val& o, const char* key) -> std::string {
    auto it = o.FindMember(key);
    return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  auto mandatory = [](const std::string& api_name, const std::string& path) {
    return BulkError(400, "MANDATORY_NOT_FOUND", "required field not found", [&](Val& d, Alloc& a) {
      AddStr(d, "api_name", api_name, a);
      AddStr(d, "json_path", path, a);
    });
  };
  auto invalid = [](const std::string& api_name, const std::string& path) {
    return BulkError(400, "INVALID_DATA", "invalid data", [&](Val& d, Alloc& a) {
      AddStr(d, "api_name", api_name, a);
      AddStr(d, "json_path", path, a);
    });
  };
  const std::string operation = str(body, "operation");
  if (operation.empty()) return mandatory("operation", "$.operation");
  if (operation != "insert" && operation != "update" && operation != "upsert") {
    return invalid("operation", "$.operation");
  }
  auto res = body.FindMember("resource");
  if (res == body.MemberEnd() || !res->value.IsArray() || res->value.Empty()) {
    return mandatory("resource", "$.resource");
  }
  if (res->value.Size() > 1) return invalid("resource", "$.resource[1]");  // one file per job here
  const Val& r = res->value[0];
  if (!r.IsObject()) return invalid("resource", "$.resource[0]");
  const ModuleMeta* m = nullptr;
  if (auto mod = r.FindMember("module"); mod != r.MemberEnd() && mod->value.IsObject()) {
    m = meta.FindModule(str(mod->value, "api_name"));
  }
  if (m == nullptr) return invalid("module", "$.resource[0].module");
  std::string file_id = str(r, "file_id");
  if (file_id.empty() && r.HasMember("file_id") && r["file_id"].IsInt64()) {
    file_id = std::to_string(r["file_id"].GetInt64());
  }
  auto up = uploads.find(file_id);
  if (up == uploads.end()) {
    return BulkError(400, "INVALID_FILE_ID", "improper file id", [](Val& d, Alloc& a) {
      AddStr(d, "api_name", "file_id", a);
      AddStr(d, "json_path", "$.resource[0].file_id", a);
    });
  }
  const std::string find_by = str(r, "find_by");
  if (operation != "insert" && find_by.empty()) return mandatory("find_by", "$.resource[0].find_by");
  if (!find_by.empty() && find_by != "id" && m->FindField(find_by) == nullptr) {
    return invalid("find_by", "$.resource[0].find_by");
  }
  bool ignore_empty = false;
  if (auto ie = body.FindMember("ignore_empty"); ie != body.MemberEnd() && ie->value.IsBool()) {
    ignore_empty = ie->value.GetBool();
  }
  const std::vector<std::vector<std::string>>& rows = up->second.rows;
  const std::vector<std::string>& header = rows[0];
  // Column -> field: field_mappings, else the header names that are fields.
  struct Mapping {
    const FieldMeta* field = nullptr;  // null: "id"
    std::string api_name;
    int index = -1;
    std::optional<std::string> default_value;
  };
  std::vector<Mapping> mappings;
  if (auto fm = r.FindMember("field_mappings"); fm != r.MemberEnd() && fm->value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < fm->value.Size(); ++i) {
      const Val& x = fm->value[i];
      const std::string path = "$.resource[0].field_mappings[" + std::to_string(i) + "]";
      Mapping mp;
      mp.api_name = x.IsObject() ? str(x, "api_name") : "";
      mp.field = m->FindField(mp.api_name);
      if (mp.field == nullptr && mp.api_name != "id") return invalid("api_name", path + ".api_name");
      if (auto ix = x.FindMember("index"); ix != x.MemberEnd() && ix->value.IsInt()) {
        mp.index = ix->value.GetInt();
        if (mp.index < 0 || mp.index >= static_cast<int>(header.size())) {
          return invalid("index", path + ".index");
        }
      }
      if (auto dv = x.FindMember("default_value"); dv != x.MemberEnd() && dv->value.IsObject()) {
        auto v = dv->value.FindMember("value");
        if (v != dv->value.MemberEnd()) {
          mp.default_value = v->value.IsString() ? v->value.GetString() : ToJson(v->value);
        }
      }
      if (mp.index < 0 && !mp.default_value) return mandatory("index", path + ".index");
      mappings.push_back(std::move(mp));
    }
  } else {
    for (size_t i = 0; i < header.size(); ++i) {
      const FieldMeta* f = m->FindField(Trim(header[i]));
      if (f != nullptr || Trim(header[i]) == "id") {
        mappings.push_back(Mapping{f, Trim(header[i]), static_cast<int>(i), std::nullopt});
      }
    }
  }
  credits = kBulkWriteCredits;

  BulkWriteJob job;
  job.id = NewId();
  job.operation = operation;
  job.module = m->api_name;
  job.file_id = file_id;
  job.file_name = up->second.name;
  job.find_by = find_by;
  job.ignore_empty = ignore_empty;
  job.created = Now();
  const int64_t now = job.created;
  ModuleStore& store = stores[m->api_name];
  std::string out_csv;
  std::vector<std::string> out_header = header;
  out_header.insert(out_header.end(), {"STATUS", "RECORD_ID", "ERRORS"});
  AppendCsvRow(out_header, out_csv);
  std::vector<Change> created, edited;  // for watch channels, as a REST write
  for (size_t ri = 1; ri < rows.size(); ++ri) {
    const std::vector<std::string>& row = rows[ri];
    Pool pool(kSmallChunk);
    Doc item(rapidjson::kObjectType, &pool);
    Alloc& a = item.GetAllocator();
    std::string row_id;
    for (const Mapping& mp : mappings) {
      std::string s = mp.index >= 0 && mp.index < static_cast<int>(row.size())
                          ? row[static_cast<size_t>(mp.index)]
                          : std::string();
      if (s.empty() && mp.default_value) s = *mp.default_value;
      if (mp.field == nullptr) {
        row_id = s;
        continue;
      }
      if (s.empty()) {
        if (!ignore_empty) AddNull(item, mp.api_name, a);
        continue;
      }
      // CSV text -> the JSON the records API takes for this field type.
      const std::string& t = mp.field->data_type;
      char* end = nullptr;
      if (t == "integer") {
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (*end == '\0') {
          AddInt(item, mp.api_name, v, a);
        } else {
          AddStr(item, mp.api_name, s, a);  // rejected by validation
        }
      } else if (t == "double" || t == "currency" || t == "percent") {
        double v = std::strtod(s.c_str(), &end);
        if (*end == '\0') {
          item.AddMember(Str(mp.api_name, a), Val(v), a);
        } else {
          AddStr(item, mp.api_name, s, a);
        }
      } else if (t == "boolean" && (LowerAscii(s) == "true" || LowerAscii(s) == "false")) {
        AddBool(item, mp.api_name, LowerAscii(s) == "true", a);
      } else if (t == "lookup" || t == "ownerlookup" || t == "userlookup") {
        Val lk(rapidjson::kObjectType);
        AddStr(lk, "id", s, a);
        Add(item, mp.api_name, std::move(lk), a);
      } else if (t == "multiselectpicklist") {
        Val arr(rapidjson::kArrayType);
        for (const std::string& p : Split(s, ';')) arr.PushBack(Str(Trim(p), a), a);
        Add(item, mp.api_name, std::move(arr), a);
      } else if (t == "date") {
        AddStr(item, mp.api_name, CsvDate(s), a);
      } else {
        AddStr(item, mp.api_name, s, a);
      }
    }
    // Find the record to change (update/upsert) by find_by.
    Record* target = nullptr;
    std::string error;
    if (operation != "insert") {
      if (find_by == "id") {
        auto it = store.records.find(row_id);
        if (it != store.records.end()) target = &it->second;
      } else if (auto v = item.FindMember(find_by.c_str()); v != item.MemberEnd()) {
        const Record* found = FindByField(*m, find_by, v->value);
        if (found != nullptr) target = &store.records.at(found->id);
      }
      if (target == nullptr && operation == "update") error = "NOT_FOUND-" + find_by;
    }
    std::string status = "SKIPPED";
    std::string record_id;
    if (error.empty()) {
      Pool staged_pool(kSmallChunk);
      Doc staged(rapidjson::kObjectType, &staged_pool);
      auto err = ValidateFields(*m, item, ri - 1, target, target == nullptr, staged);
      if (!err) err = CheckUnique(*m, staged, ri - 1, target != nullptr ? target->id : "");
      if (err) {
        const Val& det = err->body["details"];
        error = err->error_code;
        if (det.HasMember("api_name") && det["api_name"].IsString()) {
          error += std::string("-") + det["api_name"].GetString();
        }
      } else if (target == nullptr) {
        Record rec;
        rec.id = NewId();
        ApplyStaged(*m, rec, staged, now);
        record_id = AddRecord(store, std::move(rec)).id;
        created.push_back(Change{record_id, {}});
        status = "ADDED";
        ++job.added;
      } else {
        edited.push_back(Change{target->id, ChangeRecord(*m, store, *target, staged, now)});
        record_id = target->id;
        status = "UPDATED";
        ++job.updated;
      }
    }
    if (status == "SKIPPED") ++job.skipped;
    std::vector<std::string> out = row;
    out.resize(header.size());
    out.insert(out.end(), {status, record_id, error});
    AppendCsvRow(out, out_csv);
  }
  Notify(*m, "create", created);
  Notify(*m, "edit", edited);
  job.total = static_cast<int64_t>(rows.size()) - 1;
  job.zip = ZipOneFile(job.id + ".csv", out_csv);
  job.field_mappings_json = "[]";
  {
    Doc fm(rapidjson::kArrayType);
    Alloc& a = fm.GetAllocator();
    for (const Mapping& mp : mappings) {
      Val o(rapidjson::kObjectType);
      AddStr(o, "api_name", mp.api_name, a);
      if (mp.index >= 0) AddInt(o, "index", mp.index, a);
      fm.PushBack(o, a);
    }
    job.field_mappings_json = ToJson(fm);
  }
  if (auto cb = body.FindMember("callback"); cb != body.MemberEnd() && cb->value.IsObject()) {
    job.callback_url = str(cb->value, "url");
  }
  const std::string id = job.id;
  BulkWriteJob& stored = bulk_writes.emplace(id, std::move(job)).first->second;
  if (!stored.callback_url.empty()) {
    Doc cbd(rapidjson::kObjectType);
    RenderWriteJob(stored, cbd, cbd.GetAllocator());
    notifier->Enqueue(Notification{stored.callback_url, ToJson(cbd)});
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  AddStr(d, "status", "success", a);
  AddStr(d, "code", "SUCCESS", a);
  AddStr(d, "message", "success", a);
  Val det(rapidjson::kObjectType);
  AddStr(det, "id", id, a);
  Add(det, "created_by", MiniUser(a, false), a);
  AddStr(det, "created_time", Render(stored.created), a);
  Add(d, "details", std::move(det), a);
  return JsonResponse(201, d);
}

void Engine::State::RenderWriteJob(const BulkWriteJob& job, Val& out, Alloc& a) const {
  out.SetObject();
  AddStr(out, "status", "COMPLETED", a);
  AddStr(out, "character_encoding", "UTF-8", a);
  Val res(rapidjson::kObjectType);
  AddStr(res, "status", "COMPLETED", a);
  AddStr(res, "type", "data", a);
  Val md(rapidjson::kObjectType);
  const ModuleMeta* m = meta.FindModule(job.module);
  AddStr(md, "api_name", job.module, a);
  AddStr(md, "id", m != nullptr ? m->id : "", a);
  Add(res, "module", std::move(md), a);
  AddStr(res, "file_id", job.file_id, a);
  Val names(rapidjson::kArrayType);
  names.PushBack(Str(job.file_name, a), a);
  Add(res, "file_names", std::move(names), a);
  AddBool(res, "ignore_empty", job.ignore_empty, a);
  if (job.find_by.empty()) {
    AddNull(res, "find_by", a);
  } else {
    AddStr(res, "find_by", job.find_by, a);
  }
  Doc fm;
  fm.Parse(job.field_mappings_json.c_str());
  Add(res, "field_mappings", Val(fm, a), a);
  Val file(rapidjson::kObjectType);
  AddStr(file, "status", "COMPLETED", a);
  AddStr(file, "name", job.file_name, a);
  AddInt(file, "added_count", job.added, a);
  AddInt(file, "skipped_count", job.skipped, a);
  AddInt(file, "updated_count", job.updated, a);
  AddInt(file, "total_count", job.total, a);
  Add(res, "file", std::move(file), a);
  Val resources(rapidjson::kArrayType);
  resources.PushBack(res, a);
  Add(out, "resource", std::move(resources), a);
  AddStr(out, "id", job.id, a);
  Val result(rapidjson::kObjectType);
  AddStr(result, "download_url", base_url + "/crm/bulk/v8/write/" + job.id + "/result", a);
  Add(out, "result", std::move(result), a);
  Add(out, "created_by", MiniUser(a, false), a);
  AddStr(out, "operation", job.operation, a);
  AddStr(out, "created_time", Render(job.created), a);
  if (!job.callback_url.empty()) {
    Val cb(rapidjson::kObjectType);
    AddStr(cb, "url", job.callback_url, a);
    AddStr(cb, "method", "post", a);
    Add(out, "callback", std::move(cb), a);
  }
}

HttpResponse Engine::State::BulkWriteGet(const std::string& id, bool result) {
  auto it = bulk_writes.find(id);
  if (it == bulk_writes.end()) {
    return BulkError(400, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.",
                     [](Val& d, Alloc& a) { AddStr(d, "resource", "job_id", a); });
  }
  if (result) return ZipResponse(it->second.zip);
  Doc d(rapidjson::kObjectType);
  RenderWriteJob(it->second, d, d.GetAllocator());
  return JsonResponse(200, d);
}

// ---------------------------------------------------------------------------
// COQL.

namespace {

// A value as COQL compares it: null, number (also datetimes as epoch
// seconds), text (lower-cased: comparisons are case-insensitive), bool.
using CoqlValue = std::variant<std::monostate, double, std::string, bool>;

struct CoqlColumn {
  const FieldMeta* field = nullptr;   // null for "id"
  const ModuleMeta* module = nullptr; // module the field belongs to
  std::string lookup_sub;             // "X.sub": the sub-field of lookup X
  const FieldMeta* sub_field = nullptr;
  const ModuleMeta* sub_module = nullptr;
  std::string type;                   // effective data type compared
};

HttpResponse CoqlErrorResponse(const CoqlError& e) {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  AddStr(d, "code", e.code, a);
  Val det(rapidjson::kObjectType);
  for (const CoqlDetail& x : e.details) {
    if (x.is_number) {
      AddInt(det, x.key, x.number, a);
    } else {
      AddStr(det, x.key, x.text, a);
    }
  }
  Add(d, "details", std::move(det), a);
  AddStr(d, "message", e.message, a);
  AddStr(d, "status", "error", a);
  return JsonResponse(400, d);
}

CoqlError InvalidColumn(const std::string& name) {
  return CoqlError{"INVALID_QUERY", "column given seems to be invalid",
                   {{"column_name", name, 0, false}}};
}

CoqlError InvalidValue(const std::string& column, const std::string& type) {
  return CoqlError{"INVALID_QUERY",
                   "value given seems to be invalid for the column",
                   {{"column_name", column, 0, false}, {"expected_data_type", type, 0, false}}};
}

bool LikeMatch(std::string_view text, std::string_view pattern) {
  // '%' matches any run, '_' one character; both lower-cased already.
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || pattern[p] == text[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

int Compare(const CoqlValue& x, const CoqlValue& y) {
  if (x.index() != y.index()) return x.index() < y.index() ? -1 : 1;
  if (std::holds_alternative<double>(x)) {
    double a = std::get<double>(x), b = std::get<double>(y);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (std::holds_alternative<std::string>(x)) {
    int c = std::get<std::string>(x).compare(std::get<std::string>(y));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (std::holds_alternative<bool>(x)) {
    return static_cast<int>(std::get<bool>(x)) - static_cast<int>(std::get<bool>(y));
  }
  return 0;
}

// Record ids are numbers to Zoho (bigint): "10" is above "9".
int CompareIds(const CoqlValue& x, const CoqlValue& y) {
  if (std::holds_alternative<std::string>(x) && std::holds_alternative<std::string>(y)) {
    std::string_view a = std::get<std::string>(x);
    std::string_view b = std::get<std::string>(y);
    a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
    b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return Compare(x, y);
}

}  // namespace

HttpResponse Engine::State::Coql(const HttpRequest& req, int& credits) {
  Doc body;
  body.Parse(req.body.c_str(), req.body.size());
  if (body.HasParseError() || !body.IsObject() || !body.HasMember("select_query") ||
      !body["select_query"].IsString()) {
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    [](Val& d, Alloc& a) { AddStr(d, "param", "select_query", a); });
  }
  auto parsed = ParseCoql(body["select_query"].GetString());
  if (!parsed.has_value()) return CoqlErrorResponse(parsed.error());
  CoqlQuery& query = *parsed;
  credits = query.limit <= 200 ? 1 : query.limit <= 1000 ? 2 : 3;
  const ModuleMeta* m = meta.FindModule(query.module);
  if (m == nullptr) {
    // OAS Query_Exception carries details.module/reason; Zoho's code here may
    // be INVALID_MODULE instead (unconfirmed).
    return CoqlErrorResponse(CoqlError{"INVALID_QUERY", "invalid query formed",
                                       {{"module", query.module, 0, false},
                                        {"reason", "invalid module given", 0, false}}});
  }
  // Resolves "Field", "id", "Lookup.Field", "Lookup.id".
  auto resolve = [&](const std::string& name) -> std::expected<CoqlColumn, CoqlError> {
    CoqlColumn c;
    c.module = m;
    size_t dot = name.find('.');
    std::string head = name.substr(0, dot);
    if (head == "id" && dot == std::string::npos) {
      c.type = "id";
      return c;
    }
    c.field = m->FindField(head);
    if (c.field == nullptr) return std::unexpected(InvalidColumn(name));
    c.type = c.field->data_type;
    if (dot == std::string::npos) {
      if (c.type == "lookup" || c.type == "ownerlookup" || c.type == "userlookup") c.type = "id";
      return c;
    }
    std::string sub = name.substr(dot + 1);
    c.lookup_sub = sub;
    if (c.field->data_type == "lookup") {
      c.sub_module = meta.FindModule(c.field->lookup_module);
      if (sub == "id") {
        c.type = "id";
        return c;
      }
      c.sub_field = c.sub_module != nullptr ? c.sub_module->FindField(sub) : nullptr;
      if (c.sub_field == nullptr || c.sub_field->data_type == "lookup") {
        return std::unexpected(InvalidColumn(name));
      }
      c.type = c.sub_field->data_type;
      return c;
    }
    if (c.field->data_type == "ownerlookup" || c.field->data_type == "userlookup") {
      if (sub == "id") {
        c.type = "id";
      } else if (sub == "name" || sub == "email" || sub == "full_name") {
        c.type = "text";
      } else {
        return std::unexpected(InvalidColumn(name));
      }
      return c;
    }
    return std::unexpected(InvalidColumn(name));
  };
  auto value_of = [&](const CoqlColumn& c, const Record& r) -> CoqlValue {
    const Record* rec = &r;
    const FieldMeta* f = c.field;
    if (c.field == nullptr) return rec->id;
    auto raw = [&](const Record& x, const std::string& key) -> const Val* {
      auto it = x.fields.FindMember(key.c_str());
      return it == x.fields.MemberEnd() ? nullptr : &it->value;
    };
    const Val* v = nullptr;
    if (f->api_name == "Created_Time") return static_cast<double>(rec->created);
    if (f->api_name == "Modified_Time") return static_cast<double>(rec->modified);
    if (f->api_name == "Created_By" || f->api_name == "Modified_By") {
      if (c.lookup_sub.empty() || c.lookup_sub == "id") return std::string(kUserId);
      return Lower(c.lookup_sub == "email" ? kUserEmail : kUserName);
    }
    v = raw(*rec, f->api_name);
    if (v == nullptr || v->IsNull()) return std::monostate{};
    if (f->data_type == "lookup" || f->data_type == "ownerlookup" ||
        f->data_type == "userlookup") {
      if (!v->IsObject() || !v->HasMember("id")) return std::monostate{};
      std::string id = (*v)["id"].GetString();
      if (c.lookup_sub.empty() || c.lookup_sub == "id") return id;
      if (c.sub_field == nullptr) {  // user sub-field
        auto it = v->FindMember(c.lookup_sub == "full_name" ? "name" : c.lookup_sub.c_str());
        return it != v->MemberEnd() && it->value.IsString() ? CoqlValue(Lower(it->value.GetString()))
                                                            : CoqlValue(std::monostate{});
      }
      auto sit = stores.find(c.sub_module->api_name);
      if (sit == stores.end() || !sit->second.records.contains(id)) return std::monostate{};
      rec = &sit->second.records.at(id);
      f = c.sub_field;
      if (f->api_name == "Created_Time") return static_cast<double>(rec->created);
      if (f->api_name == "Modified_Time") return static_cast<double>(rec->modified);
      v = raw(*rec, f->api_name);
      if (v == nullptr || v->IsNull()) return std::monostate{};
    }
    const std::string& t = f->data_type;
    if (v->IsNumber()) return v->GetDouble();
    if (v->IsBool()) return v->GetBool();
    if (t == "datetime" && v->IsString()) {
      auto when = ParseDateTime(v->GetString());
      return when.has_value() ? CoqlValue(static_cast<double>(*when)) : CoqlValue(std::monostate{});
    }
    if (t == "bigint" && v->IsString()) return std::strtod(v->GetString(), nullptr);
    if (v->IsString()) return Lower(v->GetString());
    if (v->IsArray()) {
      std::string joined;
      for (const Val& e : v->GetArray()) {
        if (!e.IsString()) continue;
        if (!joined.empty()) joined += ";";
        joined += e.GetString();
      }
      return Lower(joined);
    }
    return std::monostate{};
  };
  auto literal_of = [&](const CoqlColumn& c, const std::string& column,
                        const CoqlLiteral& lit) -> std::expected<CoqlValue, CoqlError> {
    using K = CoqlLiteral::Kind;
    if (lit.kind == K::kNull) return CoqlValue(std::monostate{});
    const std::string& t = c.type;
    if (t == "integer" || t == "bigint" || t == "double" || t == "currency" || t == "percent") {
      if (lit.kind == K::kNumber || (lit.kind == K::kString && !lit.text.empty())) {
        char* end = nullptr;
        double d = std::strtod(lit.text.c_str(), &end);
        if (end != nullptr && *end == '\0') return CoqlValue(d);
      }
      return std::unexpected(InvalidValue(column, t));
    }
    if (t == "boolean") {
      if (lit.text == "true" || lit.text == "false") return CoqlValue(lit.text == "true");
      return std::unexpected(InvalidValue(column, t));
    }
    if (t == "datetime") {
      auto when = ParseDateTime(lit.text);
      if (lit.kind != K::kString || !when.has_value()) {
        return std::unexpected(InvalidValue(column, t));
      }
      return CoqlValue(static_cast<double>(*when));
    }
    if (t == "date") {
      if (lit.kind != K::kString || !ParseDateDays(lit.text).has_value()) {
        return std::unexpected(InvalidValue(column, t));
      }
      return CoqlValue(lit.text);
    }
    if (t == "id") {
      if (lit.kind == K::kBool || !AllDigits(lit.text)) {
        return std::unexpected(InvalidValue(column, "bigint"));
      }
      return CoqlValue(lit.text);
    }
    if (lit.kind == K::kBool) return std::unexpected(InvalidValue(column, t));
    return CoqlValue(Lower(lit.text));
  };

  // Bind the WHERE tree: columns and literals are checked before any row.
  struct Bound {
    CoqlColumn column;
    std::vector<CoqlValue> values;
  };
  std::map<const CoqlCondition*, Bound> bound;
  std::function<std::optional<CoqlError>(const CoqlCondition*)> bind =
      [&](const CoqlCondition* c) -> std::optional<CoqlError> {
    if (c == nullptr) return std::nullopt;
    if (c->kind != CoqlCondition::Kind::kCompare) {
      if (auto e = bind(c->left.get())) return e;
      return bind(c->right.get());
    }
    auto col = resolve(c->field);
    if (!col.has_value()) return col.error();
    if (col->field != nullptr && col->field->data_type == "textarea" && col->lookup_sub.empty()) {
      return CoqlError{"INVALID_QUERY", "data type not supported",
                       {{"column_name", c->field, 0, false},
                        {"data_type", "textarea", 0, false}}};
    }
    if ((c->op == CoqlOp::kLike || c->op == CoqlOp::kNotLike) && !IsTextType(col->type)) {
      return CoqlError{"INVALID_QUERY", "invalid operator found",
                       {{"column_name", c->field, 0, false},
                        {"operator", "like", 0, false}}};
    }
    Bound b{*col, {}};
    for (const CoqlLiteral& lit : c->values) {
      auto v = literal_of(*col, c->field, lit);
      if (!v.has_value()) return v.error();
      b.values.push_back(std::move(*v));
    }
    bound.emplace(c, std::move(b));
    return std::nullopt;
  };
  if (auto e = bind(query.where.get())) return CoqlErrorResponse(*e);

  std::function<bool(const CoqlCondition*, const Record&)> matches =
      [&](const CoqlCondition* c, const Record& r) -> bool {
    if (c == nullptr) return true;
    if (c->kind == CoqlCondition::Kind::kAnd) return matches(c->left.get(), r) && matches(c->right.get(), r);
    if (c->kind == CoqlCondition::Kind::kOr) return matches(c->left.get(), r) || matches(c->right.get(), r);
    const Bound& b = bound.at(c);
    CoqlValue v = value_of(b.column, r);
    const bool is_null = std::holds_alternative<std::monostate>(v);
    switch (c->op) {
      case CoqlOp::kIsNull: return is_null;
      case CoqlOp::kIsNotNull: return !is_null;
      default: break;
    }
    if (is_null) return false;  // SQL semantics: comparisons with null fail
    auto cmp = [&](size_t i) {
      return b.column.type == "id" ? CompareIds(v, b.values[i]) : Compare(v, b.values[i]);
    };
    switch (c->op) {
      case CoqlOp::kEq: return cmp(0) == 0;
      case CoqlOp::kNe: return cmp(0) != 0;
      case CoqlOp::kLt: return cmp(0) < 0;
      case CoqlOp::kGt: return cmp(0) > 0;
      case CoqlOp::kLe: return cmp(0) <= 0;
      case CoqlOp::kGe: return cmp(0) >= 0;
      case CoqlOp::kBetween: return cmp(0) >= 0 && cmp(1) <= 0;
      case CoqlOp::kNotBetween: return cmp(0) < 0 || cmp(1) > 0;
      case CoqlOp::kIn:
      case CoqlOp::kNotIn: {
        bool found = false;
        for (size_t i = 0; i < b.values.size(); ++i) found = found || cmp(i) == 0;
        return c->op == CoqlOp::kIn ? found : !found;
      }
      case CoqlOp::kLike:
      case CoqlOp::kNotLike: {
        bool hit = std::holds_alternative<std::string>(v) &&
                   std::holds_alternative<std::string>(b.values[0]) &&
                   LikeMatch(std::get<std::string>(v), std::get<std::string>(b.values[0]));
        return c->op == CoqlOp::kLike ? hit : !hit;
      }
      default: return false;
    }
  };

  std::vector<CoqlColumn> select_cols;
  for (const std::string& f : query.fields) {
    auto col = resolve(f);
    if (!col.has_value()) return CoqlErrorResponse(col.error());
    select_cols.push_back(*col);
  }
  std::vector<std::pair<CoqlColumn, bool>> order;
  for (const CoqlOrder& o : query.order_by) {
    auto col = resolve(o.field);
    if (!col.has_value()) return CoqlErrorResponse(col.error());
    order.emplace_back(*col, o.ascending);
  }

  std::vector<const Record*> rows;
  for (const auto& [id, rec] : stores[m->api_name].records) {
    if (matches(query.where.get(), rec)) rows.push_back(&rec);
  }
  // Without ORDER BY rows come in id order (unconfirmed: Zoho's order is unspecified).
  std::stable_sort(rows.begin(), rows.end(), [&](const Record* x, const Record* y) {
    for (const auto& [col, asc] : order) {
      const CoqlValue vx = value_of(col, *x);
      const CoqlValue vy = value_of(col, *y);
      const int c = col.type == "id" ? CompareIds(vx, vy) : Compare(vx, vy);
      if (c != 0) return asc ? c < 0 : c > 0;
    }
    return false;
  });
  const int64_t total = static_cast<int64_t>(rows.size());
  if (query.offset >= total) return NoBody(204);
  const int64_t end = std::min(total, query.offset + query.limit);

  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val data(rapidjson::kArrayType);
  for (int64_t i = query.offset; i < end; ++i) {
    const Record& r = *rows[static_cast<size_t>(i)];
    Val o(rapidjson::kObjectType);
    for (size_t k = 0; k < select_cols.size(); ++k) {
      const CoqlColumn& c = select_cols[k];
      const std::string& name = query.fields[k];
      if (c.field == nullptr) continue;  // id is added last
      if (c.lookup_sub.empty()) {
        if (c.field->data_type == "lookup" || c.field->data_type == "ownerlookup" ||
            c.field->data_type == "userlookup") {
          // COQL answers lookups with the id only.
          CoqlValue v = value_of(c, r);
          if (std::holds_alternative<std::string>(v)) {
            Val lk(rapidjson::kObjectType);
            AddStr(lk, "id", std::get<std::string>(v), a);
            Add(o, name, std::move(lk), a);
          } else {
            AddNull(o, name, a);
          }
        } else {
          RenderField(*m, r, name, o, a);
        }
        continue;
      }
      // Dotted column: the referenced record's value, under the dotted key.
      CoqlValue v = value_of(c, r);
      if (std::holds_alternative<std::monostate>(v)) {
        AddNull(o, name, a);
      } else if (c.sub_field != nullptr) {
        const Val* lk = nullptr;
        auto it = r.fields.FindMember(c.field->api_name.c_str());
        if (it != r.fields.MemberEnd()) lk = &it->value;
        const Record& target =
            stores[c.sub_module->api_name].records.at((*lk)["id"].GetString());
        Val tmp(rapidjson::kObjectType);
        RenderField(*c.sub_module, target, c.sub_field->api_name, tmp, a);
        Add(o, name, Val(tmp[c.sub_field->api_name.c_str()], a), a);
      } else if (c.lookup_sub == "id") {
        AddStr(o, name, std::get<std::string>(v), a);
      } else {
        auto it = r.fields.FindMember(c.field->api_name.c_str());
        const Val& u = it->value;
        auto sub = u.FindMember(c.lookup_sub == "full_name" ? "name" : c.lookup_sub.c_str());
        if (sub != u.MemberEnd()) {
          Add(o, name, Val(sub->value, a), a);
        } else if (c.field->api_name == "Created_By" || c.field->api_name == "Modified_By") {
          AddStr(o, name, c.lookup_sub == "email" ? kUserEmail : kUserName, a);
        } else {
          AddNull(o, name, a);
        }
      }
    }
    AddStr(o, "id", r.id, a);
    data.PushBack(o, a);
  }
  Add(d, "data", std::move(data), a);
  Val info(rapidjson::kObjectType);
  AddInt(info, "count", end - query.offset, a);
  AddBool(info, "more_records", end < total, a);
  Add(d, "info", std::move(info), a);
  return JsonResponse(200, d);
}

// ---------------------------------------------------------------------------
// Routing, auth, limits.

int64_t Engine::State::CreditsInWindow(int64_t now) {
  while (!credit_ledger.empty() && credit_ledger.front().first <= now - kDay) {
    credit_ledger_sum -= credit_ledger.front().second;
    credit_ledger.pop_front();
  }
  return credit_ledger_sum;
}

void Engine::State::ChargeCredits(int64_t now, int credits) {
  credit_ledger.emplace_back(now, credits);
  credit_ledger_sum += credits;
  credits_used_total += credits;
}

HttpResponse Engine::State::HandleToken(const HttpRequest& req, const Params& query) {
  Params form = query;
  for (const auto& [k, v] : req.form) form.emplace(k, v);
  std::string content_type = Lower(Header(req, "Content-Type").value_or(""));
  if (content_type.starts_with("multipart/form-data")) {
    ParseMultipart(req.body, Header(req, "Content-Type").value_or(""), form);
  } else if (!req.body.empty()) {
    ParseUrlEncoded(req.body, /*plus_is_space=*/true, form);
  }
  auto get = [&](const char* k) {
    auto it = form.find(k);
    return it == form.end() ? std::string() : it->second;
  };
  // Zoho Accounts answers OAuth errors with HTTP 200 and {"error": ...}
  // (reported by client libraries; unconfirmed).
  auto oauth_error = [](std::string_view error) {
    Doc d(rapidjson::kObjectType);
    AddStr(d, "error", error, d.GetAllocator());
    return JsonResponse(200, d);
  };
  if (get("grant_type") != "refresh_token") return oauth_error("unsupported_grant_type");
  if (get("client_id") != options.client_id || get("client_secret") != options.client_secret) {
    return oauth_error("invalid_client");
  }
  if (get("refresh_token") != options.refresh_token) return oauth_error("invalid_code");
  const int64_t now = Now();
  while (!token_issues.empty() && token_issues.front() <= now - kTokenWindowS) {
    token_issues.pop_front();
  }
  if (static_cast<int>(token_issues.size()) >= kTokensPerWindow) {
    // Zoho's HTTP status for this is unconfirmed; 400 as Accounts uses for
    // rejected requests.
    Doc d(rapidjson::kObjectType);
    Alloc& a = d.GetAllocator();
    AddStr(d, "error_description",
           "You have made too many requests continuously. Please try again after some time.", a);
    AddStr(d, "error", "Access Denied", a);
    AddStr(d, "status", "failure", a);
    return JsonResponse(400, d);
  }
  token_issues.push_back(now);
  char hex[40];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx",
                static_cast<unsigned long long>(token_rng()),
                static_cast<unsigned long long>(token_rng()));
  std::string token = "1000." + std::string(hex) + "." + std::to_string(++token_counter);
  access_tokens[token] = now + config.token_lifetime_s;
  for (auto it = access_tokens.begin(); it != access_tokens.end();) {
    it = it->second <= now ? access_tokens.erase(it) : std::next(it);
  }
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  AddStr(d, "access_token", token, a);
  AddStr(d, "scope", "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.coql.READ ZohoCRM.users.READ ZohoCRM.org.READ", a);
  AddStr(d, "api_domain", base_url, a);
  AddStr(d, "token_type", "Bearer", a);
  AddInt(d, "expires_in", config.token_lifetime_s, a);
  return JsonResponse(200, d);
}

HttpResponse Engine::State::HandleCrm(const HttpRequest& req, const Params& query,
                                      std::string& stats_key) {
  // Auth first, as Zoho does.
  std::string auth = Header(req, "Authorization").value_or("");
  const std::string prefix = "Zoho-oauthtoken ";
  auto tit = auth.starts_with(prefix) ? access_tokens.find(auth.substr(prefix.size()))
                                      : access_tokens.end();
  const int64_t now = Now();
  if (tit == access_tokens.end() || tit->second <= now) {
    return ApiError(401, "INVALID_TOKEN", "invalid oauth token");
  }
  // "/crm/bulk/v8/read/1" -> {"bulk", "read", "1"}; "/crm/v8/Leads" -> {"Leads"}.
  const bool bulk_path = req.path.starts_with("/crm/bulk/v8/");
  std::vector<std::string> seg =
      Split(req.path.substr(std::string(bulk_path ? "/crm/bulk/v8/" : "/crm/v8/").size()), '/');
  while (!seg.empty() && seg.back().empty()) seg.pop_back();
  if (bulk_path) seg.insert(seg.begin(), "bulk");
  const std::string& method = req.method;
  auto not_found = [] {
    return ApiError(404, "INVALID_URL_PATTERN",
                    "Please check if the URL trying to access is a correct one");
  };
  // Zoho answers a wrong method with 400 (crm-oas examples response-400-invalidrequestmethod).
  auto bad_method = [] {
    return ApiError(400, "INVALID_REQUEST_METHOD",
                    "The http request method type is not a valid one");
  };
  if (seg.empty()) return not_found();

  int cost = 1;
  std::function<HttpResponse()> run;
  if (seg.size() == 2 && seg[0] == "settings" && seg[1] == "modules") {
    stats_key = "/crm/v8/settings/modules";
    if (method != "GET") return bad_method();
    run = [&] { return Modules(); };
  } else if (seg.size() == 2 && seg[0] == "settings" && seg[1] == "fields") {
    stats_key = "/crm/v8/settings/fields";
    if (method != "GET") return bad_method();
    run = [&] { return Fields(query); };
  } else if (seg.size() == 1 && seg[0] == "users") {
    stats_key = "/crm/v8/users";
    if (method != "GET") return bad_method();
    run = [&] { return Users(); };
  } else if (seg.size() == 1 && seg[0] == "org") {
    stats_key = "/crm/v8/org";
    if (method != "GET") return bad_method();
    run = [&] { return Org(); };
  } else if (bulk_path) {
    const bool read = seg.size() >= 2 && seg[1] == "read";
    const bool write = seg.size() >= 2 && seg[1] == "write";
    if (!read && !write) return not_found();
    const std::string base = std::string("/crm/bulk/v8/") + (read ? "read" : "write");
    if (seg.size() == 2) {
      stats_key = base;
      if (method != "POST") return bad_method();
      if (read) {
        run = [&] { return BulkReadCreate(req); };
      } else {
        // A bulk write job costs its credits only once it is accepted.
        int write_credits = 0;
        if (CreditsInWindow(now) + kBulkWriteCredits > config.credits) {
          ++too_many_requests;
          return ApiError(429, "TOO_MANY_REQUESTS", "you have exceeded the API credits limit");
        }
        HttpResponse r = BulkWriteCreate(req, write_credits);
        ChargeCredits(now, std::max(1, write_credits));
        return r;
      }
    } else if ((seg.size() == 3 || (seg.size() == 4 && seg[3] == "result")) && AllDigits(seg[2])) {
      const bool result = seg.size() == 4;
      stats_key = base + (result ? "/{id}/result" : "/{id}");
      if (method != "GET") return bad_method();
      std::string id = seg[2];
      run = [&, id, result, read] { return read ? BulkReadGet(id, result) : BulkWriteGet(id, result); };
    } else {
      return not_found();
    }
  } else if (seg.size() == 1 && seg[0] == "upload") {
    stats_key = "/crm/v8/upload";
    if (method != "POST") return bad_method();
    run = [&] { return Upload(req); };
  } else if (seg.size() == 2 && seg[0] == "actions" && seg[1] == "watch") {
    stats_key = "/crm/v8/actions/watch";
    if (method == "GET") {
      run = [&] { return WatchList(query); };
    } else if (method == "DELETE") {
      run = [&] { return WatchDelete(query); };
    } else if (method == "POST" || method == "PUT" || method == "PATCH") {
      run = [&] { return WatchWrite(req); };
    } else {
      return bad_method();
    }
  } else if (seg.size() == 1 && seg[0] == "coql") {
    stats_key = "/crm/v8/coql";
    if (method != "POST") return bad_method();
    // COQL's cost depends on LIMIT; it is charged after parsing (below).
    int coql_credits = 1;
    if (CreditsInWindow(now) + 1 > config.credits) {
      ++too_many_requests;
      return ApiError(429, "TOO_MANY_REQUESTS", "you have exceeded the API credits limit");
    }
    HttpResponse r = Coql(req, coql_credits);
    ChargeCredits(now, coql_credits);
    return r;
  } else {
    const ModuleMeta* m = meta.FindModule(seg[0]);
    stats_key = "/crm/v8/" + seg[0];
    if (m == nullptr) {
      stats_key = "/crm/v8/{unknown_module}";
      return ApiError(400, "INVALID_MODULE", "The module name given seems to be invalid",
                      [](Val& d, Alloc& a) { AddInt(d, "resource_path_index", 0, a); });
    }
    auto count_for = [](size_t n) { return std::max<int>(1, static_cast<int>((n + 9) / 10)); };
    auto body_items = [&] {
      Doc b;
      b.Parse(req.body.c_str(), req.body.size());
      if (!b.HasParseError() && b.IsObject() && b.HasMember("data") && b["data"].IsArray()) {
        return static_cast<size_t>(b["data"].Size());
      }
      return size_t{1};
    };
    if (seg.size() == 1) {
      if (method == "GET") {
        run = [&, m] { return ListRecords(*m, req, query); };
      } else if (method == "POST") {
        cost = count_for(body_items());
        run = [&, m] { return Write(*m, req, "insert", ""); };
      } else if (method == "PUT") {
        cost = count_for(body_items());
        run = [&, m] { return Write(*m, req, "update", ""); };
      } else if (method == "DELETE") {
        std::vector<std::string> ids;
        if (auto it = query.find("ids"); it != query.end()) {
          for (const std::string& id : Split(it->second, ',')) {
            if (!Trim(id).empty()) ids.push_back(Trim(id));
          }
        }
        run = [&, m, ids] { return Delete(*m, ids); };
      } else {
        return bad_method();
      }
    } else if (seg.size() == 2 && seg[1] == "upsert") {
      stats_key += "/upsert";
      if (method != "POST") return bad_method();
      cost = count_for(body_items());
      run = [&, m] { return Write(*m, req, "upsert", ""); };
    } else if (seg.size() == 2 && seg[1] == "deleted") {
      stats_key += "/deleted";
      if (method != "GET") return bad_method();
      cost = 2;
      run = [&, m] { return Deleted(*m, req, query); };
    } else if (seg.size() == 3 && seg[1] == "actions" && seg[2] == "count") {
      stats_key += "/actions/count";
      if (method != "GET") return bad_method();
      run = [&, m] { return Count(*m); };
    } else if (seg.size() == 2 && AllDigits(seg[1])) {
      stats_key += "/{id}";
      std::string id = seg[1];
      if (method == "GET") {
        run = [&, m, id] { return GetRecord(*m, id, query); };
      } else if (method == "PUT") {
        run = [&, m, id] { return Write(*m, req, "update", id); };
      } else if (method == "DELETE") {
        run = [&, m, id] { return Delete(*m, {id}); };
      } else {
        return bad_method();
      }
    } else {
      return not_found();
    }
  }
  if (CreditsInWindow(now) + cost > config.credits) {
    ++too_many_requests;
    return ApiError(429, "TOO_MANY_REQUESTS", "you have exceeded the API credits limit");
  }
  ChargeCredits(now, cost);
  return run();
}

std::string Engine::State::Stats() const {
  Doc d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  Val calls_obj(rapidjson::kObjectType);
  for (const auto& [k, v] : calls) AddInt(calls_obj, k, v, a);
  Add(d, "calls", std::move(calls_obj), a);
  int64_t window = 0;
  const int64_t now = Now();
  for (const auto& [t, c] : credit_ledger) {
    if (t > now - kDay) window += c;
  }
  AddInt(d, "credits_used", window, a);
  AddInt(d, "credits_used_total", credits_used_total, a);
  AddInt(d, "credits_budget", config.credits, a);
  AddInt(d, "too_many_requests", too_many_requests, a);
  AddInt(d, "max_concurrency", max_in_flight.load(), a);
  Val recs(rapidjson::kObjectType);
  for (const ModuleMeta& m : meta.modules) {
    auto it = stores.find(m.api_name);
    AddInt(recs, m.api_name, it == stores.end() ? 0 : static_cast<int64_t>(it->second.records.size()), a);
  }
  Add(d, "records", std::move(recs), a);
  const Notifier::Counts n = notifier->counts();
  Val notes(rapidjson::kObjectType);
  AddInt(notes, "channels", static_cast<int64_t>(channels.size()), a);
  AddInt(notes, "queued", n.queued, a);
  AddInt(notes, "sent", n.sent, a);
  AddInt(notes, "failed", n.failed, a);
  AddInt(notes, "dropped", n.dropped, a);
  Add(d, "notifications", std::move(notes), a);
  return ToJson(d);
}

Val Engine::State::StateToJson(Alloc& a) const {
  Val root(rapidjson::kObjectType);
  AddInt(root, "version", 1, a);
  AddStr(root, "next_id", std::to_string(next_id), a);
  Val mods(rapidjson::kObjectType);
  for (const auto& [name, store] : stores) {
    Val mo(rapidjson::kObjectType);
    Val recs(rapidjson::kArrayType);
    for (const auto& [id, r] : store.records) {
      Val ro(rapidjson::kObjectType);
      AddStr(ro, "id", id, a);
      AddInt(ro, "created", r.created, a);
      AddInt(ro, "modified", r.modified, a);
      Add(ro, "fields", Val(r.fields, a), a);
      recs.PushBack(ro, a);
    }
    Add(mo, "records", std::move(recs), a);
    Val del(rapidjson::kArrayType);
    for (const DeletedRecord& x : store.deleted) {
      Val o(rapidjson::kObjectType);
      AddStr(o, "id", x.id, a);
      AddStr(o, "display_name", x.display_name, a);
      AddStr(o, "type", x.type, a);
      AddInt(o, "deleted_time", x.deleted_time, a);
      del.PushBack(o, a);
    }
    Add(mo, "deleted", std::move(del), a);
    Add(mods, name, std::move(mo), a);
  }
  Add(root, "modules", std::move(mods), a);
  return root;
}

Status Engine::State::StateFromJson(const Val& root) {
  if (!root.IsObject() || !root.HasMember("modules") || !root["modules"].IsObject()) {
    return InvalidArgumentError("state: a \"modules\" object is required");
  }
  std::map<std::string, ModuleStore> loaded;
  uint64_t max_id = next_id;
  for (auto mit = root["modules"].MemberBegin(); mit != root["modules"].MemberEnd(); ++mit) {
    std::string name = mit->name.GetString();
    if (meta.FindModule(name) == nullptr) {
      return InvalidArgumentError("state: unknown module " + name);
    }
    ModuleStore& store = loaded[name];
    const Val& mo = mit->value;
    if (mo.HasMember("records") && mo["records"].IsArray()) {
      for (const Val& ro : mo["records"].GetArray()) {
        if (!ro.IsObject() || !ro.HasMember("id") || !ro["id"].IsString() ||
            !AllDigits(ro["id"].GetString()) || !ro.HasMember("fields") ||
            !ro["fields"].IsObject()) {
          return InvalidArgumentError("state: malformed record in " + name);
        }
        Record r;
        r.id = ro["id"].GetString();
        r.created = ro.HasMember("created") && ro["created"].IsInt64() ? ro["created"].GetInt64() : 0;
        r.modified =
            ro.HasMember("modified") && ro["modified"].IsInt64() ? ro["modified"].GetInt64() : 0;
        r.fields.CopyFrom(ro["fields"], r.fields.GetAllocator());
        max_id = std::max<uint64_t>(max_id, std::stoull(r.id) + 1);
        std::string id = r.id;
        store.records.emplace(id, std::move(r));
      }
    }
    if (mo.HasMember("deleted") && mo["deleted"].IsArray()) {
      for (const Val& o : mo["deleted"].GetArray()) {
        if (!o.IsObject() || !o.HasMember("id") || !o["id"].IsString()) continue;
        DeletedRecord x;
        x.id = o["id"].GetString();
        x.display_name = o.HasMember("display_name") && o["display_name"].IsString()
                             ? o["display_name"].GetString() : "";
        x.type = o.HasMember("type") && o["type"].IsString() ? o["type"].GetString() : "recycle";
        x.deleted_time =
            o.HasMember("deleted_time") && o["deleted_time"].IsInt64() ? o["deleted_time"].GetInt64() : 0;
        store.deleted.push_back(std::move(x));
      }
    }
  }
  if (root.HasMember("next_id") && root["next_id"].IsString() &&
      AllDigits(root["next_id"].GetString())) {
    max_id = std::max<uint64_t>(max_id, std::stoull(root["next_id"].GetString()));
  }
  stores = std::move(loaded);
  next_id = max_id;
  page_tokens.clear();
  return Status::Ok();
}

HttpResponse Engine::State::HandleAdmin(const HttpRequest& req, const Params& query) {
  (void)query;
  const std::string what = req.path.substr(std::string("/__admin/").size());
  auto config_json = [&] {
    Doc d(rapidjson::kObjectType);
    Alloc& a = d.GetAllocator();
    AddInt(d, "concurrency", config.concurrency, a);
    AddInt(d, "credits", config.credits, a);
    AddInt(d, "latency_ms", config.latency_ms, a);
    AddInt(d, "jitter_ms", config.jitter_ms, a);
    d.AddMember("fault_500", config.fault_500, a);
    d.AddMember("fault_drop", config.fault_drop, a);
    d.AddMember("fault_slow", config.fault_slow, a);
    d.AddMember("fault_429", config.fault_429, a);
    d.AddMember("fault_locked", config.fault_locked, a);
    Val locked(rapidjson::kArrayType);
    for (const std::string& id : locked_ids) locked.PushBack(Val(id.c_str(), a), a);
    d.AddMember("locked_ids", locked, a);
    AddInt(d, "slow_ms", config.slow_ms, a);
    AddInt(d, "token_lifetime_s", config.token_lifetime_s, a);
    AddInt(d, "org_offset_minutes", config.org_offset_minutes, a);
    return JsonResponse(200, d);
  };
  auto bad = [](std::string_view why) {
    return ApiError(400, "INVALID_DATA", why);
  };
  if (what == "stats" && req.method == "GET") {
    HttpResponse r;
    r.body = Stats();
    r.headers.emplace_back("Content-Type", "application/json;charset=UTF-8");
    return r;
  }
  if (what == "config" && req.method == "GET") return config_json();
  if (what == "config" && (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
    Doc d;
    d.Parse(req.body.c_str(), req.body.size());
    if (d.HasParseError() || !d.IsObject()) return bad("body must be a JSON object");
    Config next = config;
    std::optional<std::set<std::string>> next_locked;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
      std::string k = it->name.GetString();
      const Val& v = it->value;
      auto as_int = [&](auto& field) {
        if (!v.IsInt64() || v.GetInt64() < 0) return false;
        field = static_cast<std::remove_reference_t<decltype(field)>>(v.GetInt64());
        return true;
      };
      auto as_share = [&](double& field) {
        if (!v.IsNumber() || v.GetDouble() < 0 || v.GetDouble() > 1) return false;
        field = v.GetDouble();
        return true;
      };
      bool ok = false;
      if (k == "concurrency") ok = as_int(next.concurrency);
      else if (k == "credits") ok = as_int(next.credits);
      else if (k == "latency_ms") ok = as_int(next.latency_ms);
      else if (k == "jitter_ms") ok = as_int(next.jitter_ms);
      else if (k == "slow_ms") ok = as_int(next.slow_ms);
      else if (k == "token_lifetime_s") ok = as_int(next.token_lifetime_s);
      else if (k == "fault_500") ok = as_share(next.fault_500);
      else if (k == "fault_drop") ok = as_share(next.fault_drop);
      else if (k == "fault_slow") ok = as_share(next.fault_slow);
      else if (k == "fault_429") ok = as_share(next.fault_429);
      else if (k == "fault_locked") ok = as_share(next.fault_locked);
      else if (k == "locked_ids" && v.IsArray()) {
        next_locked.emplace();
        ok = true;
        for (const Val& id : v.GetArray()) {
          if (!id.IsString() || !AllDigits(id.GetString())) ok = false;
          else next_locked->insert(id.GetString());
        }
      }
      else if (k == "org_offset_minutes" && v.IsInt() && std::abs(v.GetInt()) <= 14 * 60) {
        next.org_offset_minutes = v.GetInt();
        ok = true;
      }
      if (!ok) return bad("bad or unknown setting: " + k);
    }
    config = next;
    if (next_locked) locked_ids = std::move(*next_locked);
    return config_json();
  }
  if (what == "state" && req.method == "GET") {
    Doc d(rapidjson::kObjectType);
    Val v = StateToJson(d.GetAllocator());
    return JsonResponse(200, v);
  }
  if (what == "state" && (req.method == "POST" || req.method == "PUT")) {
    Doc d;
    d.Parse(req.body.c_str(), req.body.size());
    if (d.HasParseError()) return bad("state is not JSON");
    Status s = StateFromJson(d);
    if (!s.ok()) return bad(s.message());
    return JsonResponse(200, Val(rapidjson::kObjectType));
  }
  if (what == "reset" && req.method == "POST") {
    stores.clear();
    channels.clear();
    bulk_reads.clear();
    uploads.clear();
    bulk_writes.clear();
    page_tokens.clear();
    locked_ids.clear();
    credit_ledger.clear();
    credit_ledger_sum = 0;
    calls.clear();
    too_many_requests = 0;
    credits_used_total = 0;
    max_in_flight = 0;
    return JsonResponse(200, Val(rapidjson::kObjectType));
  }
  if (what == "expire_tokens" && req.method == "POST") {
    access_tokens.clear();
    token_issues.clear();
    return JsonResponse(200, Val(rapidjson::kObjectType));
  }
  return ApiError(404, "INVALID_URL_PATTERN", "unknown admin endpoint");
}

// ---------------------------------------------------------------------------
// Engine.

Engine::Engine(std::unique_ptr<State> state) : s_(std::move(state)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const Options& options) {
  auto s = std::make_unique<State>();
  s->options = options;
  s->clock = options.clock != nullptr ? options.clock : &SystemClock();
  Result<Metadata> meta = !options.metadata_json.empty() ? ParseMetadata(options.metadata_json)
                          : !options.metadata_file.empty() ? LoadMetadataFile(options.metadata_file)
                                                           : ParseMetadata(DefaultMetadataJson());
  if (!meta.has_value()) return Error(meta.error());
  s->meta = std::move(*meta);
  s->config = Config{options.concurrency, options.credits, options.latency_ms,
                     options.jitter_ms,   options.fault_500, options.fault_drop,
                     options.fault_slow,  options.slow_ms,   options.token_lifetime_s,
                     s->meta.offset_minutes.value_or(options.org_offset_minutes),
                     options.fault_429, options.fault_locked};
  s->rng.seed(options.seed);
  s->notifier = std::make_unique<Notifier>(options.notification_queue, options.notification_sink);
  s->base_url = "http://127.0.0.1:" + std::to_string(options.port);
  return std::unique_ptr<Engine>(new Engine(std::move(s)));
}

void Engine::SetBaseUrl(std::string base_url) {
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->base_url = std::move(base_url);
}

std::string Engine::base_url() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->base_url;
}

std::string Engine::ExportState() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  Doc d(rapidjson::kObjectType);
  Val v = s_->StateToJson(d.GetAllocator());
  return ToJson(v);
}

Status Engine::ImportState(const std::string& json) {
  Doc d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError()) return InvalidArgumentError("state is not valid JSON");
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->StateFromJson(d);
}

std::string Engine::StatsJson() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->Stats();
}

std::string Engine::IssueToken() {
  std::lock_guard<std::mutex> lock(s_->mu);
  std::string token = "1000.test." + std::to_string(++s_->token_counter);
  s_->access_tokens[token] = s_->Now() + s_->config.token_lifetime_s;
  return token;
}

bool Engine::WaitForNotifications(std::chrono::milliseconds timeout) {
  return s_->notifier->WaitIdle(timeout);
}

HttpResponse Engine::Handle(const HttpRequest& req) {
  State& s = *s_;
  Params query;
  ParseUrlEncoded(req.query, /*plus_is_space=*/false, query);
  try {
    if (req.path == "/oauth/v2/token") {
      std::lock_guard<std::mutex> lock(s.mu);
      ++s.calls[req.method + " /oauth/v2/token"];
      if (req.method != "POST") {
        return ApiError(400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one");
      }
      return s.HandleToken(req, query);
    }
    if (req.path.starts_with("/__admin/")) {
      std::lock_guard<std::mutex> lock(s.mu);
      if (!s.options.admin) return ApiError(404, "INVALID_URL_PATTERN", "admin endpoints are off");
      return s.HandleAdmin(req, query);
    }
    if (!req.path.starts_with("/crm/v8/") && !req.path.starts_with("/crm/bulk/v8/")) {
      return ApiError(404, "INVALID_URL_PATTERN",
                      "Please check if the URL trying to access is a correct one");
    }
    Config config;
    double roll_500 = 0, roll_drop = 0, roll_slow = 0, roll_429 = 0;
    int jitter = 0;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      config = s.config;
      std::uniform_real_distribution<double> share(0.0, 1.0);
      roll_500 = share(s.rng);
      roll_drop = share(s.rng);
      roll_slow = share(s.rng);
      // Rolled only when on, so the other faults' seeded sequences stay as they were.
      roll_429 = config.fault_429 > 0 ? share(s.rng) : 1.0;
      if (config.jitter_ms > 0) {
        jitter = std::uniform_int_distribution<int>(0, config.jitter_ms)(s.rng);
      }
    }
    // Calls in flight: counted from arrival to answer, latency included.
    const int now_in_flight = ++s.in_flight;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{s.in_flight};
    int seen = s.max_in_flight.load();
    while (now_in_flight > seen && !s.max_in_flight.compare_exchange_weak(seen, now_in_flight)) {
    }
    // A rate-limit storm answers at once, as Zoho does, before any work.
    if (now_in_flight > config.concurrency || roll_429 < config.fault_429) {
      std::lock_guard<std::mutex> lock(s.mu);
      ++s.too_many_requests;
      ++s.calls[req.method + " " + PathTemplate(req.path)];
      return ApiError(429, "TOO_MANY_REQUESTS",
                      now_in_flight > config.concurrency ? "concurrency limit exceeded"
                                                         : "you have exceeded the API rate limit");
    }
    // The latency is the call's response time, as a client of Zoho sees it:
    // the answer leaves at arrival + delay (or when the work is done, if
    // later), so the emulator's own work under its lock does not add to it.
    const int delay_ms =
        config.latency_ms + jitter + (roll_slow < config.fault_slow ? config.slow_ms : 0);
    const auto deadline = s.clock->SteadyNow() + std::chrono::milliseconds(delay_ms);
    auto wait_for_deadline = [&] {
      auto left = std::chrono::duration_cast<Clock::Duration>(deadline - s.clock->SteadyNow());
      if (left.count() > 0) s.clock->SleepFor(left);
    };
    if (roll_drop < config.fault_drop) {
      wait_for_deadline();
      HttpResponse r;
      r.status = 500;
      r.drop_connection = true;
      return r;
    }
    HttpResponse r;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (roll_500 < config.fault_500) {
        ++s.calls[req.method + " " + PathTemplate(req.path)];
        r = ApiError(500, "INTERNAL_ERROR", "Internal Server Error");
      } else {
        std::string stats_key = PathTemplate(req.path);
        r = s.HandleCrm(req, query, stats_key);
        ++s.calls[req.method + " " + stats_key];
      }
    }
    wait_for_deadline();
    return r;
  } catch (const std::exception& e) {
    s.logger.Error("request failed", {{"path", req.path}, {"error", e.what()}});
    return ApiError(500, "INTERNAL_ERROR", "Internal Server Error");
  }
}

}  // namespace zcrmsync::emulator
