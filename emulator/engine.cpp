#include "emulator/engine.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <variant>
#include <vector>

#include "core/log.h"
#include "emulator/coql.h"
#include "emulator/json_internal.h"
#include "emulator/metadata.h"
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

struct Record {
  std::string id;
  Doc fields{rapidjson::kObjectType};  // api_name -> stored value (system times excluded)
  int64_t created = 0;
  int64_t modified = 0;
};

struct DeletedRecord {
  std::string id;
  std::string display_name;
  std::string type;  // "recycle" or "permanent"
  int64_t deleted_time = 0;
};

struct ModuleStore {
  std::map<std::string, Record> records;  // ids have equal length: map order = id order
  std::vector<DeletedRecord> deleted;
};

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
};

// A per-item write outcome.
struct ItemResult {
  bool ok = false;
  Doc body{rapidjson::kObjectType};
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
  std::mt19937_64 rng;        // seeded by Options::seed: jitter and faults
  std::mt19937_64 token_rng{std::random_device{}()};  // tokens differ per run
  uint64_t token_counter = 0;

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

  // --- helpers ---
  int64_t CreditsInWindow(int64_t now);
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
  const Record* FindByField(const ModuleMeta& m, const std::string& field, const Val& value) const;
  std::string RecordsSignature(const std::string& module, const Params& q,
                               const std::string& ims) const;
  Val StateToJson(Alloc& a) const;
  Status StateFromJson(const Val& v);
  std::string Stats() const;
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
      if (!AllDigits(s) || s.size() > 19) return InvalidData(index, *f);
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
                                         const Val& value) const {
  auto sit = stores.find(m.api_name);
  if (sit == stores.end() || IsEmptyValue(value)) return nullptr;
  for (const auto& [id, rec] : sit->second.records) {
    auto it = rec.fields.FindMember(field.c_str());
    if (it == rec.fields.MemberEnd()) continue;
    const Val& have = it->value;
    if (have.IsString() && value.IsString()) {
      // Unique fields are case-insensitive ("casesensitive":"0").
      if (IEquals(std::string_view(have.GetString(), have.GetStringLength()),
                  std::string_view(value.GetString(), value.GetStringLength()))) {
        return &rec;
      }
    } else if (have.IsObject() && value.IsObject() && have.HasMember("id") &&
               value.HasMember("id")) {
      if (have["id"] == value["id"]) return &rec;
    } else if (have == value) {
      return &rec;
    }
  }
  return nullptr;
}

std::optional<ItemResult> Engine::State::CheckUnique(const ModuleMeta& m, const Doc& staged,
                                                     size_t index, const std::string& self_id) {
  for (const FieldMeta& f : m.fields) {
    if (!f.unique) continue;
    auto it = staged.FindMember(f.api_name.c_str());
    if (it == staged.MemberEnd()) continue;
    const Record* dup = FindByField(m, f.api_name, it->value);
    if (dup != nullptr && dup->id != self_id) {
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
        const Record* found = nullptr;
        if (m.FindField(f)->data_type == "lookup" && vit->value.IsObject()) {
          found = FindByField(m, f, vit->value);
        } else {
          found = FindByField(m, f, vit->value);
        }
        if (found != nullptr) {
          target = &store.records.at(found->id);
          action = "update";
          matched_field = f;
          break;
        }
      }
    }
    Doc staged(rapidjson::kObjectType);
    auto err = ValidateFields(m, item, i, target, action == "insert", staged);
    if (!err) err = CheckUnique(m, staged, i, target != nullptr ? target->id : "");
    if (err) {
      results.push_back(std::move(*err));
      continue;
    }
    if (target == nullptr) {
      Record rec;
      rec.id = NewId();
      std::string new_id = rec.id;
      ApplyStaged(m, rec, staged, now);
      target = &store.records.emplace(new_id, std::move(rec)).first->second;
    } else {
      ApplyStaged(m, *target, staged, now);
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
  for (const std::string& id : ids) {
    Val item(rapidjson::kObjectType);
    auto it = store.records.find(id);
    if (it == store.records.end()) {
      AddStr(item, "code", "INVALID_DATA", a);
      Val det(rapidjson::kObjectType);
      AddStr(det, "id", id, a);
      Add(item, "details", std::move(det), a);
      AddStr(item, "message", "the id given seems to be invalid", a);
      AddStr(item, "status", "error", a);
    } else {
      store.deleted.push_back(DeletedRecord{id, DisplayName(m, it->second), "recycle", now});
      store.records.erase(it);
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
    auto cmp = [&](size_t i) { return Compare(v, b.values[i]); };
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
      int c = Compare(value_of(col, *x), value_of(col, *y));
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
    credit_ledger.pop_front();
  }
  int64_t sum = 0;
  for (const auto& [t, c] : credit_ledger) sum += c;
  return sum;
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
  std::vector<std::string> seg = Split(req.path.substr(std::string("/crm/v8/").size()), '/');
  while (!seg.empty() && seg.back().empty()) seg.pop_back();
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
    credit_ledger.emplace_back(now, coql_credits);
    credits_used_total += coql_credits;
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
  credit_ledger.emplace_back(now, cost);
  credits_used_total += cost;
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
      else if (k == "org_offset_minutes" && v.IsInt() && std::abs(v.GetInt()) <= 14 * 60) {
        next.org_offset_minutes = v.GetInt();
        ok = true;
      }
      if (!ok) return bad("bad or unknown setting: " + k);
    }
    config = next;
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
    page_tokens.clear();
    credit_ledger.clear();
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
                     s->meta.offset_minutes.value_or(options.org_offset_minutes)};
  s->rng.seed(options.seed);
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
    if (!req.path.starts_with("/crm/v8/")) {
      return ApiError(404, "INVALID_URL_PATTERN",
                      "Please check if the URL trying to access is a correct one");
    }
    Config config;
    double roll_500 = 0, roll_drop = 0, roll_slow = 0;
    int jitter = 0;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      config = s.config;
      std::uniform_real_distribution<double> share(0.0, 1.0);
      roll_500 = share(s.rng);
      roll_drop = share(s.rng);
      roll_slow = share(s.rng);
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
    if (now_in_flight > config.concurrency) {
      std::lock_guard<std::mutex> lock(s.mu);
      ++s.too_many_requests;
      ++s.calls[req.method + " " + PathTemplate(req.path)];
      return ApiError(429, "TOO_MANY_REQUESTS", "concurrency limit exceeded");
    }
    int delay_ms = config.latency_ms + jitter + (roll_slow < config.fault_slow ? config.slow_ms : 0);
    if (delay_ms > 0) s.clock->SleepFor(std::chrono::milliseconds(delay_ms));
    if (roll_drop < config.fault_drop) {
      HttpResponse r;
      r.status = 500;
      r.drop_connection = true;
      return r;
    }
    std::lock_guard<std::mutex> lock(s.mu);
    if (roll_500 < config.fault_500) {
      ++s.calls[req.method + " " + PathTemplate(req.path)];
      return ApiError(500, "INTERNAL_ERROR", "Internal Server Error");
    }
    std::string stats_key = PathTemplate(req.path);
    HttpResponse r = s.HandleCrm(req, query, stats_key);
    ++s.calls[req.method + " " + stats_key];
    return r;
  } catch (const std::exception& e) {
    s.logger.Error("request failed", {{"path", req.path}, {"error", e.what()}});
    return ApiError(500, "INTERNAL_ERROR", "Internal Server Error");
  }
}

}  // namespace zcrmsync::emulator
