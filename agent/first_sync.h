// Before a mapping's first sync: without match_fields, the first sync
// creates a CRM record for every ERP row and an ERP row for every CRM record,
// so two sides that already hold the same customers end up with each twice.
// `check` and `plan` warn, with counts (issue #12, defect 14).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "change_capture/sql_kit.h"
#include "core/result.h"
#include "crm/zoho_client.h"
#include "mappings/config.h"
#include "odbc/connection.h"

namespace zcrmsync::agent {

// The warning for mapping `m` (no match_fields, first sync not started) when
// both sides hold rows; nullopt when one side is empty or m has match_fields.
// Names the mapping, the counts, and what each direction of `m` would create.
std::optional<std::string> FirstSyncWarning(const mappings::Mapping& m, int64_t erp_rows,
                                            int64_t crm_records);

// FirstSyncWarning of every mapping without match_fields whose first sync has
// not started: the initial load is not done (ERP -> CRM) and no pull has run
// (CRM -> ERP), as the agent's state records them, or the agent's tables are
// not installed yet. Counts the ERP rows (count_rows.sql) and the module's
// records (GET /{module}/actions/count). Errors: the database's or Zoho's.
Result<std::vector<std::string>> FirstSyncWarnings(odbc::Connection& db,
                                                   const change_capture::KitOptions& kit,
                                                   const mappings::Config& config,
                                                   crm::ZohoClient& crm);

}  // namespace zcrmsync::agent
