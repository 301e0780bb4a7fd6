// ConflictResolver: settles a field held under the manual rule
// (`zcrmsync conflicts resolve ID --take erp|crm`). The side taken wins with
// its CURRENT value, so an edit made since the conflict was recorded is not
// undone: --take erp sends the ERP row's value to Zoho, --take crm writes the
// CRM record's value into the ERP row (echo-suppressed). The link's base for
// that field becomes the winning value and the conflict is closed in one
// database transaction. The Zoho write goes first: repeating it after a crash
// writes the same value again.
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

enum class Side { kErp, kCrm };

struct Resolution {
  std::string mapping;
  std::string erp_key;
  std::string field;
  std::string value;  // the winning value, canonical (sync/convert.h)
};

class ConflictResolver {
 public:
  // REQUIRES: the SQL kit is installed; everything outlives the resolver.
  ConflictResolver(odbc::Connection& db, const mappings::Config& config,
                   change_capture::KitOptions kit, crm::ZohoClient& crm,
                   std::map<std::string, std::vector<crm::FieldInfo>> fields,
                   std::string erp_time_zone);

  // NOT_FOUND: no open conflict has that id. FAILED_PRECONDITION: the mapping,
  // field, link, ERP row or CRM record is gone. INVALID_ARGUMENT: the winning
  // value does not convert to the other side's type.
  Result<Resolution> Resolve(int64_t conflict_id, Side side);

 private:
  odbc::Connection& db_;
  const mappings::Config& config_;
  change_capture::KitOptions kit_;
  crm::ZohoClient& crm_;
  std::map<std::string, std::vector<crm::FieldInfo>> fields_;
  std::string erp_time_zone_;
};

}  // namespace zcrmsync::sync
