// The skew between Zoho's clock and the database server's, for latest_wins:
// ERP change times come from the database clock, Modified_Time from Zoho's.
// Zoho's is read from the HTTP Date header of its latest reply (whole
// seconds, so about +-0.5 s), the database's with one query.
#pragma once

#include <optional>

#include "change_capture/sql_kit.h"
#include "core/clock.h"
#include "core/result.h"
#include "crm/zoho_client.h"
#include "odbc/connection.h"

namespace zcrmsync::sync {

// CRM clock minus database clock; nullopt until Zoho has answered a call.
Result<std::optional<Clock::Duration>> MeasureClockSkew(odbc::Connection& db,
                                                        const change_capture::KitOptions& kit,
                                                        const crm::ZohoClient& crm, Clock& clock);

}  // namespace zcrmsync::sync
