// Planner: a dry run of the next cycle (`zcrmsync plan`). It reads what the
// next cycle would read -- the captured changes after the push cursor, the
// CRM records modified since each pull watermark, the CRM deletes -- and
// says what each would become, without writing anything on either side and
// without moving any cursor. Only reads are sent to Zoho.
//
// Approximate where the real cycle learns more as it goes: an ERP row with
// match_fields is shown as "create or link" (the CRM is not searched), and a
// 412 the push would meet is not foreseen.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::sync {

struct PlannedAction {
  std::string direction;  // "erp_to_crm" or "crm_to_erp"
  std::string action;     // create, update, delete, conflict, ... (see plan.cpp)
  std::string erp_key;    // compact JSON, or "" for a CRM record with no ERP row
  std::string zoho_id;    // "" when none yet
  std::string detail;     // the fields, the rule's outcome, why it waits
};

struct MappingPlan {
  std::vector<PlannedAction> actions;
  std::map<std::string, int64_t> counts;  // action -> how many
  int64_t not_shown = 0;                  // changes past the read limit
};

class Planner {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the planner.
  Planner(odbc::Connection& db, const mappings::Config& config, change_capture::KitOptions kit,
          crm::ZohoClient& crm, std::map<std::string, std::vector<crm::FieldInfo>> fields,
          std::string erp_time_zone, size_t limit = 10'000);

  // Per mapping name.
  Result<std::map<std::string, MappingPlan>> Plan();

 private:
  Status PlanPush(std::map<std::string, MappingPlan>& plans);
  Status PlanPull(const mappings::Mapping& m, MappingPlan& plan);

  odbc::Connection& db_;
  const mappings::Config& config_;
  change_capture::KitOptions kit_;
  crm::ZohoClient& crm_;
  std::map<std::string, std::vector<crm::FieldInfo>> fields_;
  std::string erp_time_zone_;
  size_t limit_;
};

}  // namespace zcrmsync::sync
