#include "sync/link_store.h"

#include <algorithm>
#include <map>
#include <memory>

#include "change_capture/catalog.h"
#include "core/status_macros.h"
#include "odbc/statement.h"

namespace zcrmsync::sync {
namespace {

Value OptText(const std::optional<std::string>& v) {
  return v ? Value::Text(*v) : Value::Null(ValueType::kText);
}

Value OptTime(const std::optional<Timestamp>& v) {
  return v ? Value::FromTimestamp(*v) : Value::Null(ValueType::kTimestamp);
}

// The link of the current row of a load_link.sql-shaped result.
Result<Link> LinkOfRow(odbc::Statement& stmt, const std::string& mapping) {
  Link link;
  link.mapping = mapping;
  ZCRMSYNC_ASSIGN_OR_RETURN(auto key, stmt.GetText(1));
  ZCRMSYNC_ASSIGN_OR_RETURN(link.zoho_id, stmt.GetText(2));
  ZCRMSYNC_ASSIGN_OR_RETURN(link.external_id, stmt.GetText(3));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto base, stmt.GetText(4));
  ZCRMSYNC_ASSIGN_OR_RETURN(link.erp_changed_at, stmt.GetTimestamp(5));
  ZCRMSYNC_ASSIGN_OR_RETURN(link.crm_modified_at, stmt.GetTimestamp(6));
  link.erp_key = key.value_or("");
  link.base_values = base.value_or("{}");
  return link;
}

Result<std::optional<Link>> ReadLink(odbc::Statement& stmt, const std::string& mapping) {
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  std::optional<Link> out;
  if (row) {
    ZCRMSYNC_ASSIGN_OR_RETURN(out, LinkOfRow(stmt, mapping));
  }
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  return out;
}

// A link's parameters, in the order of save_links.sql.
constexpr size_t kLinkParams = 7;
void AppendLinkParams(const Link& link, std::vector<Value>& out) {
  out.push_back(OptText(link.zoho_id));
  out.push_back(OptText(link.external_id));
  out.push_back(Value::Text(link.base_values));
  out.push_back(OptTime(link.erp_changed_at));
  out.push_back(OptTime(link.crm_modified_at));
  out.push_back(Value::Text(link.mapping));
  out.push_back(Value::Text(link.erp_key));
}

// Keys or links per statement: 7 parameters a link stays well under SQL
// Server's 2,100.
constexpr size_t kBatch = 200;

}  // namespace

struct LinkStore::Statements {
  std::map<std::string, odbc::Statement, std::less<>> prepared;
  std::optional<odbc::Statement> save_one;  // save_links.sql for one link
};

LinkStore::LinkStore(odbc::Connection& connection, change_capture::KitOptions kit)
    : connection_(connection), kit_(std::move(kit)), statements_(std::make_unique<Statements>()) {}

LinkStore::~LinkStore() = default;

Result<odbc::Statement*> LinkStore::Get(std::string_view template_name) {
  auto it = statements_->prepared.find(template_name);
  if (it == statements_->prepared.end()) {
    ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderAgentStatement(kit_, template_name));
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, connection_.Prepare(sql));
    it = statements_->prepared.emplace(std::string(template_name), std::move(stmt)).first;
  }
  return &it->second;
}

Result<odbc::Statement> LinkStore::PrepareBatch(std::string_view template_name, size_t count,
                                                size_t width) {
  // Prepared for each use, never kept: PostgreSQL would otherwise switch to
  // a generic plan after five runs, planned from the links table's old
  // statistics, and scan the whole table for each IN list.
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderAgentBatchStatement(
                                                 kit_, template_name, count, width));
  return connection_.Prepare(sql);
}

Result<std::optional<Link>> LinkStore::Load(const std::string& mapping, const std::string& erp_key) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("load_link.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({Value::Text(mapping), Value::Text(erp_key)}));
  ZCRMSYNC_RETURN_IF_ERROR(
      StatusOf(stmt->Execute()).WithContext("load link " + mapping + " " + erp_key));
  return ReadLink(*stmt, mapping);
}

Result<std::map<std::string, Link>> LinkStore::LoadMany(const std::string& mapping,
                                                       const std::vector<std::string>& erp_keys) {
  std::map<std::string, Link> out;
  for (size_t start = 0; start < erp_keys.size(); start += kBatch) {
    const size_t n = std::min(kBatch, erp_keys.size() - start);
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, PrepareBatch("load_links.sql", n, 1));
    std::vector<Value> params = {Value::Text(mapping)};
    for (size_t i = start; i < start + n; ++i) params.push_back(Value::Text(erp_keys[i]));
    ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll(std::move(params)));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext(
        "load links of " + mapping + " (" + std::to_string(n) + " keys)"));
    for (;;) {
      ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
      if (!row) break;
      ZCRMSYNC_ASSIGN_OR_RETURN(Link link, LinkOfRow(stmt, mapping));
      std::string key = link.erp_key;
      out.emplace(std::move(key), std::move(link));
    }
    ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  }
  return out;
}

Result<std::optional<Link>> LinkStore::FindByZohoId(const std::string& mapping,
                                                     const std::string& zoho_id) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("find_link_by_zoho_id.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({Value::Text(mapping), Value::Text(zoho_id)}));
  ZCRMSYNC_RETURN_IF_ERROR(
      StatusOf(stmt->Execute()).WithContext("find link " + mapping + " Zoho id " + zoho_id));
  return ReadLink(*stmt, mapping);
}

Status LinkStore::Save(const Link& link) {
  // save_links.sql for one link, kept prepared: the pull saves link by link.
  if (!statements_->save_one) {
    ZCRMSYNC_ASSIGN_OR_RETURN(statements_->save_one, PrepareBatch("save_links.sql", 1, kLinkParams));
  }
  std::vector<Value> values;
  AppendLinkParams(link, values);
  ZCRMSYNC_RETURN_IF_ERROR(statements_->save_one->BindAll(std::move(values)));
  return StatusOf(statements_->save_one->Execute())
      .WithContext("save link " + link.mapping + " " + link.erp_key);
}

Status LinkStore::SaveMany(const std::vector<Link>& links) {
  for (size_t start = 0; start < links.size(); start += kBatch) {
    const size_t n = std::min(kBatch, links.size() - start);
    ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt,
                              PrepareBatch("save_links.sql", n, kLinkParams));
    std::vector<Value> params;
    params.reserve(n * kLinkParams);
    for (size_t i = start; i < start + n; ++i) AppendLinkParams(links[i], params);
    ZCRMSYNC_RETURN_IF_ERROR(stmt.BindAll(std::move(params)));
    ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt.Execute()).WithContext(
        "save " + std::to_string(n) + " links of " + links[start].mapping + " (keys " +
        links[start].erp_key + " to " + links[start + n - 1].erp_key + ")"));
  }
  return Status();
}

Status LinkStore::Delete(const std::string& mapping, const std::string& erp_key) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("delete_link.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({Value::Text(mapping), Value::Text(erp_key)}));
  return StatusOf(stmt->Execute()).WithContext("delete link " + mapping + " " + erp_key);
}

Status LinkStore::Park(const ParkedRecord& r) {
  // A record parked again while its parked row is open: that row counts it.
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * bump, Get("bump_error.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(bump->BindAll(
      {Value::Text(r.status_code), OptText(r.field), Value::Text(r.message), Value::Text(r.mapping),
       Value::Text(r.direction), OptText(r.erp_key), OptText(r.erp_key), OptText(r.zoho_id),
       OptText(r.zoho_id)}));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t bumped, bump->Execute());
  if (bumped > 0) return Status();
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("park_error.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll(
      {Value::Text(r.mapping), OptText(r.erp_key), OptText(r.zoho_id), Value::Text(r.direction),
       Value::Text(r.status_code), OptText(r.field), Value::Text(r.message)}));
  return StatusOf(stmt->Execute()).WithContext("park " + r.mapping + " " + r.erp_key.value_or(""));
}

Status LinkStore::Hold(const HeldConflict& c) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("hold_conflict.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll(
      {Value::Text(c.mapping), Value::Text(c.erp_key), OptText(c.zoho_id), Value::Text(c.field),
       OptText(c.base_value), OptText(c.erp_value), OptText(c.crm_value), Value::Text(c.mapping),
       Value::Text(c.erp_key), Value::Text(c.field)}));
  return StatusOf(stmt->Execute()).WithContext("hold conflict " + c.mapping + " " + c.erp_key);
}

Result<std::vector<HeldConflict>> LinkStore::ListConflicts() {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("list_conflicts.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt->Execute()).WithContext("list conflicts"));
  std::vector<HeldConflict> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt->Fetch());
    if (!row) break;
    HeldConflict c;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto id, stmt->GetInt64(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto mapping, stmt->GetText(2));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto key, stmt->GetText(3));
    ZCRMSYNC_ASSIGN_OR_RETURN(c.zoho_id, stmt->GetText(4));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto field, stmt->GetText(5));
    ZCRMSYNC_ASSIGN_OR_RETURN(c.base_value, stmt->GetText(6));
    ZCRMSYNC_ASSIGN_OR_RETURN(c.erp_value, stmt->GetText(7));
    ZCRMSYNC_ASSIGN_OR_RETURN(c.crm_value, stmt->GetText(8));
    c.conflict_id = id.value_or(0);
    c.mapping = mapping.value_or("");
    c.erp_key = key.value_or("");
    c.field = field.value_or("");
    out.push_back(std::move(c));
  }
  return out;
}

Result<LinkStore::HeldBack> LinkStore::ListHeldBack() {
  HeldBack out;
  ZCRMSYNC_ASSIGN_OR_RETURN(auto parked, ListParked());
  for (const auto& p : parked) {
    if (p.erp_key) out.parked_keys.insert({p.mapping, *p.erp_key});
  }
  ZCRMSYNC_ASSIGN_OR_RETURN(auto conflicts, ListConflicts());
  for (const auto& c : conflicts) out.held_fields.insert({c.mapping, c.erp_key, c.field});
  return out;
}

Status LinkStore::SettleConflict(int64_t conflict_id, std::string_view side) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("resolve_conflict.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({Value::Text(std::string(side)), Value::Int64(conflict_id)}));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, stmt->Execute());
  if (rows == 0) {
    return NotFoundError("no open conflict has id " + std::to_string(conflict_id));
  }
  return Status();
}

Status LinkStore::Retry(const ParkedRecord& record, std::optional<Timestamp> changed_at) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * resolve, Get("resolve_error.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(resolve->BindAll({Value::Int64(record.error_id)}));
  ZCRMSYNC_ASSIGN_OR_RETURN(int64_t rows, resolve->Execute());
  if (rows == 0) {
    return NotFoundError("no open parked record " + std::to_string(record.error_id));
  }
  if (record.direction == "erp_to_crm" && record.erp_key) {
    return Enqueue(record.mapping, *record.erp_key, changed_at);
  }
  if (record.direction == "crm_to_erp" && record.zoho_id) {
    // The pull fetches the record again, changed in Zoho or not.
    ZCRMSYNC_RETURN_IF_ERROR(change_capture::SaveState(
        connection_, kit_, RefetchStateName(record.mapping, *record.zoho_id),
        "errors retry " + std::to_string(record.error_id)));
  }
  // ERP changes to the row waited behind the parked record (the push skips
  // them): its row goes to the push as it is now, or they would be lost.
  if (record.erp_key) return Enqueue(record.mapping, *record.erp_key, changed_at);
  return Status();
}

std::string RefetchStatePrefix(const std::string& mapping) { return "pull/" + mapping + "/refetch/"; }

std::string RefetchStateName(const std::string& mapping, const std::string& zoho_id) {
  return RefetchStatePrefix(mapping) + zoho_id;
}

Status LinkStore::Enqueue(const std::string& mapping, const std::string& erp_key,
                          std::optional<Timestamp> changed_at) {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * enqueue, Get("enqueue_keys.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(enqueue->BindAll(
      {Value::Text(mapping), Value::Text("[" + erp_key + "]"), OptTime(changed_at)}));
  return StatusOf(enqueue->Execute()).WithContext("queue " + mapping + " " + erp_key + " for the push");
}

Result<std::vector<ParkedRecord>> LinkStore::ListParked() {
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement * stmt, Get("list_errors.sql"));
  ZCRMSYNC_RETURN_IF_ERROR(stmt->BindAll({}));
  ZCRMSYNC_RETURN_IF_ERROR(StatusOf(stmt->Execute()).WithContext("list parked records"));
  std::vector<ParkedRecord> out;
  for (;;) {
    ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt->Fetch());
    if (!row) break;
    ParkedRecord r;
    ZCRMSYNC_ASSIGN_OR_RETURN(auto id, stmt->GetInt64(1));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto mapping, stmt->GetText(2));
    ZCRMSYNC_ASSIGN_OR_RETURN(r.erp_key, stmt->GetText(3));
    ZCRMSYNC_ASSIGN_OR_RETURN(r.zoho_id, stmt->GetText(4));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto direction, stmt->GetText(5));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto code, stmt->GetText(6));
    ZCRMSYNC_ASSIGN_OR_RETURN(r.field, stmt->GetText(7));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto message, stmt->GetText(8));
    ZCRMSYNC_ASSIGN_OR_RETURN(auto attempts, stmt->GetInt64(9));
    r.error_id = id.value_or(0);
    r.mapping = mapping.value_or("");
    r.direction = direction.value_or("");
    r.status_code = code.value_or("");
    r.message = message.value_or("");
    r.attempts = attempts.value_or(1);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace zcrmsync::sync
