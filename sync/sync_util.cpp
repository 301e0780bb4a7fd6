#include "sync/sync_util.h"

#include <atomic>

#include <algorithm>
#include <chrono>
#include <optional>
#include <system_error>
#include <thread>

#include "change_capture/change_reader.h"
#include "core/log.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "crm/json.h"
#include "sync/link_store.h"

namespace zcrmsync::sync {

std::string ExternalId(const std::vector<std::string>& key) {
  return key.size() == 1 ? key.front() : change_capture::KeyToJson(key);
}

Clock::TimePoint ToTimePoint(const Timestamp& t) {
  const auto days = std::chrono::sys_days(std::chrono::year(t.year) /
                                          std::chrono::month(static_cast<unsigned>(t.month)) /
                                          std::chrono::day(static_cast<unsigned>(t.day)));
  return Clock::TimePoint(days.time_since_epoch()) + std::chrono::hours(t.hour) +
         std::chrono::minutes(t.minute) + std::chrono::seconds(t.second) +
         std::chrono::microseconds(t.microsecond);
}

Timestamp FromTimePoint(Clock::TimePoint tp) {
  const auto days = std::chrono::floor<std::chrono::days>(tp);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{tp - days};
  return Timestamp{int(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                   static_cast<int>(unsigned(ymd.day())), static_cast<int>(hms.hours().count()),
                   static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                   static_cast<int>(hms.subseconds().count())};
}

// "2026-11-30T10:15:00+05:30" (Zoho's Modified_Time) -> UTC.
std::optional<Timestamp> ParseZohoTime(const std::string& text) {
  auto when = crm::ParseZohoTime(text);
  if (!when) return std::nullopt;
  return FromTimePoint(*when);
}

std::optional<Timestamp> RecordTime(const crm::Record& record, const std::string& field) {
  auto it = record.find(field);
  if (it == record.end() || !it->second.is_string()) return std::nullopt;
  return ParseZohoTime(it->second.as_string());
}

// The base: a JSON object of Zoho field -> canonical value.
std::map<std::string, std::string> ParseBase(const std::string& text) {
  std::map<std::string, std::string> out;
  auto json = crm::ParseJson(text.empty() ? "{}" : text);
  if (!json || !json->is_object()) return out;
  for (const auto& [field, v] : json->as_object()) {
    if (v.is_string()) out[field] = v.as_string();
  }
  return out;
}

std::string BaseToJson(const std::map<std::string, std::string>& base) {
  crm::JsonValue::Object o;
  for (const auto& [field, v] : base) o[field] = crm::JsonValue(v);
  return crm::ToJson(crm::JsonValue(std::move(o)));
}

Result<ResolvedMapping> ResolveFields(
    const mappings::Mapping& m, const std::map<std::string, std::vector<crm::FieldInfo>>& fields,
    bool erp_to_crm_only) {
  auto infos = fields.find(m.module);
  if (infos == fields.end()) {
    return Error(FailedPreconditionError("mapping " + m.name +
                                         ": no field metadata for Zoho module " + m.module));
  }
  ResolvedMapping out;
  out.columns = m.key_columns;
  for (const auto& f : m.fields) {
    if (erp_to_crm_only && !mappings::FlowsErpToCrm(mappings::EffectiveDirection(m, f))) continue;
    const crm::FieldInfo* info = nullptr;
    for (const auto& fi : infos->second) {
      if (fi.api_name == f.field) info = &fi;
    }
    if (info == nullptr) {
      return Error(FailedPreconditionError("mapping " + m.name + ": Zoho module " + m.module +
                                           " has no field " + f.field + " (run zcrmsync check)"));
    }
    auto col = std::find(out.columns.begin(), out.columns.end(), f.column);
    const size_t index = static_cast<size_t>(col - out.columns.begin());
    if (col == out.columns.end()) out.columns.push_back(f.column);
    out.fields.push_back({&f, info, index});
  }
  return out;
}

ValueType ValueTypeOfColumnType(const std::string& catalog_type) {
  const std::string t = AsciiLower(catalog_type);
  auto has = [&](const char* part) { return t.find(part) != std::string::npos; };
  if (t == "tinyint(1)" || has("bool") || t == "bit") return ValueType::kBool;
  if ((has("int") && !has("interval") && !has("point")) || has("serial")) return ValueType::kInt64;
  if (has("numeric") || has("decimal") || has("money")) return ValueType::kDecimal;
  if (has("real") || has("double") || has("float")) return ValueType::kDouble;
  if (has("timestamp") || has("datetime")) return ValueType::kTimestamp;
  if (t == "date") return ValueType::kDate;
  if (has("bytea") || has("blob") || has("binary")) return ValueType::kBytes;
  return ValueType::kText;
}

std::optional<std::string> CoqlLiteral(const crm::JsonValue& value) {
  if (value.is_string()) {
    std::string out = "'";
    for (char c : value.as_string()) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    return out + "'";
  }
  if (value.is_bool()) return value.as_bool() ? "true" : "false";
  if ((value.is_int() || value.is_double())) return crm::ToJson(value);
  return std::nullopt;
}

std::string ExternalIdOf(const crm::Record& record, const std::string& field) {
  auto it = record.find(field);
  if (it == record.end() || it->second.is_null()) return "";
  if (it->second.is_string()) return it->second.as_string();
  if ((it->second.is_int() || it->second.is_double())) return crm::ToJson(it->second);
  return "";
}

Result<Value> DeletedMarker(ValueType type, Clock::TimePoint now, std::string_view erp_time_zone) {
  switch (type) {
    case ValueType::kBool: return Value::Bool(true);
    case ValueType::kInt64: return Value::Int64(1);
    case ValueType::kDecimal: return Value::Decimal("1");
    case ValueType::kDouble: return Value::Double(1);
    case ValueType::kTimestamp: {
      ZCRMSYNC_ASSIGN_OR_RETURN(Timestamp local, ErpLocalTime(now, erp_time_zone));
      return Value::FromTimestamp(local);
    }
    case ValueType::kDate: {
      ZCRMSYNC_ASSIGN_OR_RETURN(Timestamp local, ErpLocalTime(now, erp_time_zone));
      return Value::FromDate(Date{local.year, local.month, local.day});
    }
    default:
      return Error(InvalidArgumentError(
          "a soft_delete_column must be a boolean, a number, a date or a timestamp, not " +
          std::string(ValueTypeName(type))));
  }
}

bool IsDeletedMarker(const Value& v) {
  if (v.is_null()) return false;
  switch (v.type()) {
    case ValueType::kBool: return v.bool_value();
    case ValueType::kInt64: return v.int64_value() != 0;
    case ValueType::kDouble: return v.double_value() != 0;
    case ValueType::kDecimal: return v.decimal_value().find_first_not_of("0.-+") != std::string::npos;
    case ValueType::kText: {
      const std::string t = AsciiLower(v.text_value());
      return !t.empty() && t != "0" && t != "false" && t != "n" && t != "no" && t != "f";
    }
    case ValueType::kDate:
    case ValueType::kTimestamp: return true;
    default: return false;
  }
}

const mappings::Mapping* LookupTarget(const mappings::Config& config, const std::string& module) {
  for (const auto& other : config.mappings) {
    if (other.module == module && other.key_columns.size() == 1) return &other;
  }
  return nullptr;
}

FieldSpec SpecFor(const mappings::Config& config, const mappings::Mapping& m,
                  const ResolvedField& f, ValueType erp_type, const std::string& erp_time_zone,
                  LinkStore& links) {
  FieldSpec spec = MakeFieldSpec(m.name, *f.mapping, *f.info, erp_type);
  spec.erp_time_zone = erp_time_zone;
  if (f.info->lookup_module.empty()) return spec;
  const mappings::Mapping* target = LookupTarget(config, f.info->lookup_module);
  const std::string module = f.info->lookup_module;
  if (target == nullptr) {
    auto none = [module](std::string_view) -> Result<std::string> {
      return Error(FailedPreconditionError("no mapping with a one-column key syncs Zoho module " +
                                           module + ", so the lookup cannot be resolved"));
    };
    spec.lookup = {none, none};
    return spec;
  }
  const std::string target_name = target->name;
  LinkStore* store = &links;
  spec.lookup.to_zoho_id = [store, target_name](std::string_view erp_key) -> Result<std::string> {
    const std::string key_json = change_capture::KeyToJson({std::string(erp_key)});
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store->Load(target_name, key_json));
    if (!link || !link->zoho_id) {
      Status s = FailedPreconditionError("row " + key_json + " of mapping " + target_name +
                                         " is not in Zoho yet");
      // The push may wait for it instead of parking (see kLookupPending).
      s.SetPayload(std::string(kLookupPendingMapping), target_name);
      s.SetPayload(std::string(kLookupPendingKey), key_json);
      return Error(std::move(s));
    }
    return *link->zoho_id;
  };
  spec.lookup.to_erp_key = [store, target_name](std::string_view zoho_id) -> Result<std::string> {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto link, store->FindByZohoId(target_name, std::string(zoho_id)));
    if (!link) {
      return Error(FailedPreconditionError("Zoho record " + std::string(zoho_id) + " of mapping " +
                                           target_name + " has no ERP row yet"));
    }
    auto keys = change_capture::ParseKeys("[" + link->erp_key + "]");
    if (!keys || keys->size() != 1 || keys->front().size() != 1) {
      return Error(DataLossError("malformed link key " + link->erp_key));
    }
    return keys->front().front();
  };
  return spec;
}

change_capture::CaptureTable RowTable(const mappings::Mapping& m) {
  return {m.name, m.table_schema, m.table_name, m.key_columns, {}};
}

namespace {

// The columns of `write` whose value in the row is no longer what the
// merge read (every column when the row is gone); the row stays locked.
Result<std::vector<size_t>> ChangedSinceRead(odbc::Connection& db,
                                             const change_capture::KitOptions& kit,
                                             const mappings::Mapping& m, const ErpWrite& write,
                                             bool* gone) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string lock_sql,
                            change_capture::RenderLockRow(kit, RowTable(m), write.columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement lock, db.Prepare(lock_sql));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto now, ReadErpRow(lock, write.key, m.table));
  std::vector<size_t> changed;
  *gone = !now;
  for (size_t i = 0; i < write.columns.size(); ++i) {
    if (!now || i >= now->size() || i >= write.seen.size() || !((*now)[i] == write.seen[i])) {
      changed.push_back(i);
    }
  }
  return changed;
}

Status Update(odbc::Connection& db, const change_capture::KitOptions& kit,
              const mappings::Mapping& m, const ErpWrite& write) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql,
                            change_capture::RenderUpdateRow(kit, RowTable(m), write.columns));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement update, db.Prepare(sql));
  std::vector<Value> params = write.values;
  for (const auto& k : write.key) params.push_back(Value::Text(k));
  ZCRMSYNC_RETURN_IF_ERROR(update.BindAll(std::move(params)));
  return StatusOf(update.Execute()).WithContext("write back " + m.table);
}

}  // namespace

Status WriteErpRow(odbc::Connection& db, const change_capture::KitOptions& kit,
                   const mappings::Mapping& m, const ErpWrite& write) {
  if (!write.seen.empty()) {
    bool gone = false;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto changed, ChangedSinceRead(db, kit, m, write, &gone));
    if (!changed.empty()) {
      Status s = AbortedError(
          "not written back to " + m.table + " key " + change_capture::KeyToJson(write.key) + ": " +
          (gone ? std::string("the row is gone") : "column " + write.columns[changed.front()] + " changed") +
          " since the merge read it");
      s.SetPayload(std::string(kChangedSinceRead), "1");
      return s;
    }
  }
  return Update(db, kit, m, write);
}

Result<std::vector<std::string>> WriteErpRowWhereUnchanged(odbc::Connection& db,
                                                           const change_capture::KitOptions& kit,
                                                           const mappings::Mapping& m,
                                                           const ErpWrite& write) {
  if (write.seen.empty()) {
    ZCRMSYNC_RETURN_IF_ERROR(Update(db, kit, m, write));
    return std::vector<std::string>{};
  }
  bool gone = false;
  ZCRMSYNC_ASSIGN_OR_RETURN(auto changed, ChangedSinceRead(db, kit, m, write, &gone));
  std::vector<std::string> skipped;
  ErpWrite rest{write.key, {}, {}, {}};
  for (size_t i = 0, c = 0; i < write.columns.size(); ++i) {
    if (c < changed.size() && changed[c] == i) {
      skipped.push_back(write.columns[i]);
      ++c;
    } else {
      rest.columns.push_back(write.columns[i]);
      rest.values.push_back(write.values[i]);
    }
  }
  if (!rest.columns.empty()) ZCRMSYNC_RETURN_IF_ERROR(Update(db, kit, m, rest));
  return skipped;
}

Result<std::optional<odbc::Row>> ReadErpRow(odbc::Statement& select,
                                            const std::vector<std::string>& key,
                                            const std::string& table) {
  std::vector<Value> values;
  for (const auto& k : key) values.push_back(Value::Text(k));
  ZCRMSYNC_RETURN_IF_ERROR(select.BindAll(std::move(values)));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(select.Execute()).WithContext("read " + table));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool found, select.Fetch());
  std::optional<odbc::Row> row;
  if (found) {
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Row r, select.GetRow());
    row = std::move(r);
  }
  ZCRMSYNC_RETURN_IF_ERROR(select.CloseCursor());
  return row;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::vector<std::string> FieldNames(const crm::Record& record) {
  std::vector<std::string> out;
  for (const auto& [field, value] : record) {
    if (field != "id") out.push_back(field);
  }
  return out;
}

crm::WriteOptions WriteOptionsFor(const mappings::Mapping& m) {
  return {.trigger = m.zoho_triggers};
}

PushColumns ColumnsToPush(const mappings::Mapping& m, const ResolvedMapping& resolved) {
  PushColumns out{resolved.columns, std::nullopt};
  if (m.deletes.kind == mappings::DeleteKind::kSoftDelete) {
    auto at = std::find(out.columns.begin(), out.columns.end(), m.deletes.soft_delete_column);
    out.soft_index = static_cast<size_t>(at - out.columns.begin());
    if (at == out.columns.end()) out.columns.push_back(m.deletes.soft_delete_column);
  }
  return out;
}

void RunConcurrently(const std::function<void()>& beside, const std::function<void()>& here) {
  std::optional<std::jthread> thread;
  try {
    thread.emplace(beside);
  } catch (const std::system_error& e) {
    log::Logger("sync").Warn("no thread for concurrent work; running it in turn",
                             {{"error", std::string(e.what())}});
    beside();
  }
  here();
}  // the thread joins here

void ForEachConcurrently(size_t count, size_t width, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) fn(i);
  };
  std::vector<std::jthread> threads;
  for (size_t t = 1; t < std::min(width, count); ++t) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer threads: the others take more turns
    }
  }
  worker();
}  // the threads join here

}  // namespace zcrmsync::sync
