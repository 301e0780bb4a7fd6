#include "agent/first_sync.h"

#include "change_capture/catalog.h"
#include "change_capture/kit_manager.h"
#include "core/status_macros.h"
#include "odbc/statement.h"

namespace zcrmsync::agent {
namespace {

// 1200 -> "1,200".
std::string Count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

Result<bool> AgentTablesInstalled(odbc::Connection& db, const change_capture::KitOptions& kit) {
  const bool sqlite = kit.dialect == change_capture::Dialect::kSQLite;
  ZCRMSYNC_ASSIGN_OR_RETURN(
      auto columns,
      change_capture::DescribeTable(
          db, kit.dialect, sqlite ? std::nullopt : std::optional<std::string>(kit.agent_schema),
          sqlite ? kit.agent_schema + "_state" : "state"));
  return !columns.empty();
}

Result<bool> FirstSyncStarted(odbc::Connection& db, const change_capture::KitOptions& kit,
                              const mappings::Mapping& m) {
  if (mappings::FlowsErpToCrm(m.direction)) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto done,
                              change_capture::LoadState(db, kit, "load/" + m.name + "/done"));
    if (done.value_or("") == "1") return true;
  }
  if (mappings::FlowsCrmToErp(m.direction)) {
    ZCRMSYNC_ASSIGN_OR_RETURN(auto watermark,
                              change_capture::LoadState(db, kit, "pull/" + m.name + "/watermark"));
    if (watermark) return true;
  }
  return false;
}

Result<int64_t> CountRows(odbc::Connection& db, const change_capture::KitOptions& kit,
                          const change_capture::CaptureTable& table) {
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string sql, change_capture::RenderCountRows(kit, table));
  ZCRMSYNC_ASSIGN_OR_RETURN(odbc::Statement stmt, db.Prepare(sql));
  ZCRMSYNC_RETURN_IF_ERROR(
      StatusOf(stmt.Execute()).WithContext("count the rows of " + table.table));
  ZCRMSYNC_ASSIGN_OR_RETURN(bool row, stmt.Fetch());
  if (!row) return Error(InternalError("count of " + table.table + " returned no row"));
  ZCRMSYNC_ASSIGN_OR_RETURN(auto n, stmt.GetInt64(1));
  ZCRMSYNC_RETURN_IF_ERROR(stmt.CloseCursor());
  return n.value_or(0);
}

}  // namespace

std::optional<std::string> FirstSyncWarning(const mappings::Mapping& m, int64_t erp_rows,
                                            int64_t crm_records) {
  if (!m.match_fields.empty() || erp_rows <= 0 || crm_records <= 0) return std::nullopt;
  std::string creates;
  if (mappings::FlowsErpToCrm(m.direction)) {
    creates = Count(erp_rows) + " CRM record" + (erp_rows == 1 ? "" : "s");
  }
  if (mappings::FlowsCrmToErp(m.direction)) {
    creates += (creates.empty() ? "" : " and ") + Count(crm_records) + " ERP row" +
               (crm_records == 1 ? "" : "s");
  }
  return "mapping " + m.name + ": " + Count(erp_rows) + " ERP row" + (erp_rows == 1 ? "" : "s") +
         " in " + m.table + " and " + Count(crm_records) + " Zoho " + m.module + " record" +
         (crm_records == 1 ? "" : "s") +
         " exist and match_fields is not set: the first sync will create " + creates +
         "; if some are the same, set match_fields so that the first sync links them instead "
         "of duplicating them";
}

Result<std::vector<std::string>> FirstSyncWarnings(odbc::Connection& db,
                                                   const change_capture::KitOptions& kit,
                                                   const mappings::Config& config,
                                                   crm::ZohoClient& crm) {
  std::vector<std::string> out;
  ZCRMSYNC_ASSIGN_OR_RETURN(bool installed, AgentTablesInstalled(db, kit));
  const std::vector<change_capture::CaptureTable> tables = change_capture::CaptureTablesFor(config);
  for (size_t i = 0; i < config.mappings.size(); ++i) {
    const mappings::Mapping& m = config.mappings[i];
    if (!m.match_fields.empty()) continue;
    if (installed) {
      ZCRMSYNC_ASSIGN_OR_RETURN(bool started, FirstSyncStarted(db, kit, m));
      if (started) continue;
    }
    auto rows = CountRows(db, kit, tables[i]);
    if (!rows) return Error(rows.error().WithContext("mapping " + m.name));
    if (*rows == 0) continue;
    auto records = crm.Count(m.module);
    if (!records) return Error(records.error().WithContext("mapping " + m.name));
    if (auto warning = FirstSyncWarning(m, *rows, *records)) out.push_back(std::move(*warning));
  }
  return out;
}

}  // namespace zcrmsync::agent
