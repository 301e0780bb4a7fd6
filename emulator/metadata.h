// Metadata: the modules and fields the emulator knows, read from a JSON file
// or the built-in default (Accounts, Contacts, Leads, Deals, Products with
// their standard fields plus a unique custom text field ERP_Id on each).
//
// File format (a simplified form of Zoho's /settings/fields answer):
//   {"org": {"company_name": "...", "offset_minutes": 330},   (optional)
//    "modules": [{"api_name": "Leads", "singular_label": "Lead",
//                 "plural_label": "Leads", "display_field": "Last_Name",
//                 "fields": [{"api_name": "Email", "data_type": "email",
//                             "length": 100, "system_mandatory": false,
//                             "unique": false, "custom_field": false,
//                             "read_only": false, "decimal_place": 2,
//                             "pick_list_values": ["A", "B"],
//                             "lookup": "Accounts"}]}]}
// System fields (Owner, Created_Time, Modified_Time, Created_By,
// Modified_By) are added to every module when missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace zcrmsync::emulator {

struct FieldMeta {
  std::string api_name;
  std::string display_label;
  std::string data_type;  // text, textarea, email, phone, website, integer, bigint,
                          // double, currency, percent, boolean, date, datetime,
                          // picklist, multiselectpicklist, lookup, ownerlookup,
                          // userlookup
  int length = 255;
  int decimal_place = 0;
  bool system_mandatory = false;
  bool unique = false;
  bool custom_field = false;
  bool read_only = false;
  std::vector<std::string> pick_list_values;
  std::string lookup_module;  // for lookup
  std::string id;             // 19-digit field id, assigned when loaded
};

struct ModuleMeta {
  std::string api_name;
  std::string singular_label;
  std::string plural_label;
  std::string display_field;  // the field that names a record (lookup "name")
  std::string id;
  std::vector<FieldMeta> fields;

  const FieldMeta* FindField(std::string_view api_name) const;
};

struct Metadata {
  std::string company_name = "zcrmsync Emulated Org";
  std::optional<int> offset_minutes;
  std::vector<ModuleMeta> modules;

  const ModuleMeta* FindModule(std::string_view api_name) const;
};

// The built-in default as JSON text (the format above).
std::string_view DefaultMetadataJson();

// INVALID_ARGUMENT with the reason when `json` is malformed.
Result<Metadata> ParseMetadata(std::string_view json);

// Reads and parses a file; NOT_FOUND when it cannot be read.
Result<Metadata> LoadMetadataFile(const std::string& path);

}  // namespace zcrmsync::emulator
