#include "emulator/metadata.h"

#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace zcrmsync::emulator {
namespace {

// Built-in modules. Labels and picklists follow a fresh Zoho CRM org.
constexpr std::string_view kDefaultMetadata = R"json({
 "modules": [
  {"api_name": "Accounts", "singular_label": "Account", "plural_label": "Accounts",
   "display_field": "Account_Name", "fields": [
    {"api_name": "Account_Name", "data_type": "text", "length": 200, "system_mandatory": true},
    {"api_name": "Account_Number", "data_type": "text", "length": 40},
    {"api_name": "Account_Site", "data_type": "text", "length": 80},
    {"api_name": "Parent_Account", "data_type": "lookup", "lookup": "Accounts"},
    {"api_name": "Account_Type", "data_type": "picklist", "pick_list_values": ["-None-",
      "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
      "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"]},
    {"api_name": "Industry", "data_type": "picklist", "pick_list_values": ["-None-",
      "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
      "Government/Military", "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)",
      "Network Equipment Enterprise", "Non-management ISV", "Optical Networking",
      "Service Provider", "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider",
      "Systems Integrator", "Wireless Industry"]},
    {"api_name": "Rating", "data_type": "picklist", "pick_list_values": ["-None-", "Acquired",
      "Active", "Market Failed", "Project Cancelled", "Shut Down"]},
    {"api_name": "Phone", "data_type": "phone", "length": 30},
    {"api_name": "Fax", "data_type": "phone", "length": 30},
    {"api_name": "Website", "data_type": "website", "length": 255},
    {"api_name": "Employees", "data_type": "integer", "length": 9},
    {"api_name": "Annual_Revenue", "data_type": "currency", "length": 16, "decimal_place": 2},
    {"api_name": "Billing_Street", "data_type": "text", "length": 250},
    {"api_name": "Billing_City", "data_type": "text", "length": 30},
    {"api_name": "Billing_State", "data_type": "text", "length": 30},
    {"api_name": "Billing_Code", "data_type": "text", "length": 30},
    {"api_name": "Billing_Country", "data_type": "text", "length": 30},
    {"api_name": "Description", "data_type": "textarea", "length": 32000},
    {"api_name": "ERP_Id", "data_type": "text", "length": 64, "unique": true, "custom_field": true}
  ]},
  {"api_name": "Contacts", "singular_label": "Contact", "plural_label": "Contacts",
   "display_field": "Full_Name", "fields": [
    {"api_name": "Salutation", "data_type": "picklist", "pick_list_values": ["-None-", "Mr.",
      "Mrs.", "Ms.", "Dr.", "Prof."]},
    {"api_name": "First_Name", "data_type": "text", "length": 40},
    {"api_name": "Last_Name", "data_type": "text", "length": 80, "system_mandatory": true},
    {"api_name": "Full_Name", "data_type": "text", "length": 120, "read_only": true},
    {"api_name": "Account_Name", "data_type": "lookup", "lookup": "Accounts"},
    {"api_name": "Email", "data_type": "email", "length": 100},
    {"api_name": "Secondary_Email", "data_type": "email", "length": 100},
    {"api_name": "Phone", "data_type": "phone", "length": 30},
    {"api_name": "Mobile", "data_type": "phone", "length": 30},
    {"api_name": "Title", "data_type": "text", "length": 100},
    {"api_name": "Department", "data_type": "text", "length": 30},
    {"api_name": "Date_of_Birth", "data_type": "date"},
    {"api_name": "Email_Opt_Out", "data_type": "boolean"},
    {"api_name": "Lead_Source", "data_type": "picklist", "pick_list_values": ["-None-",
      "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
      "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar",
      "Trade Show", "Web Download", "Web Research", "Chat"]},
    {"api_name": "Mailing_Street", "data_type": "text", "length": 250},
    {"api_name": "Mailing_City", "data_type": "text", "length": 30},
    {"api_name": "Mailing_State", "data_type": "text", "length": 30},
    {"api_name": "Mailing_Zip", "data_type": "text", "length": 30},
    {"api_name": "Mailing_Country", "data_type": "text", "length": 30},
    {"api_name": "Description", "data_type": "textarea", "length": 32000},
    {"api_name": "ERP_Id", "data_type": "text", "length": 64, "unique": true, "custom_field": true}
  ]},
  {"api_name": "Leads", "singular_label": "Lead", "plural_label": "Leads",
   "display_field": "Full_Name", "fields": [
    {"api_name": "Salutation", "data_type": "picklist", "pick_list_values": ["-None-", "Mr.",
      "Mrs.", "Ms.", "Dr.", "Prof."]},
    {"api_name": "First_Name", "data_type": "text", "length": 40},
    {"api_name": "Last_Name", "data_type": "text", "length": 80, "system_mandatory": true},
    {"api_name": "Full_Name", "data_type": "text", "length": 120, "read_only": true},
    {"api_name": "Company", "data_type": "text", "length": 200, "system_mandatory": true},
    {"api_name": "Designation", "data_type": "text", "length": 100},
    {"api_name": "Email", "data_type": "email", "length": 100},
    {"api_name": "Secondary_Email", "data_type": "email", "length": 100},
    {"api_name": "Phone", "data_type": "phone", "length": 30},
    {"api_name": "Mobile", "data_type": "phone", "length": 30},
    {"api_name": "Website", "data_type": "website", "length": 255},
    {"api_name": "Lead_Status", "data_type": "picklist", "pick_list_values": ["-None-",
      "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
      "Not Contacted", "Pre-Qualified", "Not Qualified"]},
    {"api_name": "Lead_Source", "data_type": "picklist", "pick_list_values": ["-None-",
      "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
      "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar",
      "Trade Show", "Web Download", "Web Research", "Chat"]},
    {"api_name": "Industry", "data_type": "picklist", "pick_list_values": ["-None-",
      "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
      "Government/Military", "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)",
      "Network Equipment Enterprise", "Non-management ISV", "Optical Networking",
      "Service Provider", "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider",
      "Systems Integrator", "Wireless Industry"]},
    {"api_name": "Rating", "data_type": "picklist", "pick_list_values": ["-None-", "Acquired",
      "Active", "Market Failed", "Project Cancelled", "Shut Down"]},
    {"api_name": "No_of_Employees", "data_type": "integer", "length": 9},
    {"api_name": "Annual_Revenue", "data_type": "currency", "length": 16, "decimal_place": 2},
    {"api_name": "Email_Opt_Out", "data_type": "boolean"},
    {"api_name": "Street", "data_type": "text", "length": 250},
    {"api_name": "City", "data_type": "text", "length": 30},
    {"api_name": "State", "data_type": "text", "length": 30},
    {"api_name": "Zip_Code", "data_type": "text", "length": 30},
    {"api_name": "Country", "data_type": "text", "length": 30},
    {"api_name": "Description", "data_type": "textarea", "length": 32000},
    {"api_name": "ERP_Id", "data_type": "text", "length": 64, "unique": true, "custom_field": true}
  ]},
  {"api_name": "Deals", "singular_label": "Deal", "plural_label": "Deals",
   "display_field": "Deal_Name", "fields": [
    {"api_name": "Deal_Name", "data_type": "text", "length": 120, "system_mandatory": true},
    {"api_name": "Account_Name", "data_type": "lookup", "lookup": "Accounts"},
    {"api_name": "Contact_Name", "data_type": "lookup", "lookup": "Contacts"},
    {"api_name": "Amount", "data_type": "currency", "length": 16, "decimal_place": 2},
    {"api_name": "Closing_Date", "data_type": "date", "system_mandatory": true},
    {"api_name": "Stage", "data_type": "picklist", "system_mandatory": true, "pick_list_values": [
      "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
      "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
      "Closed-Lost to Competition"]},
    {"api_name": "Probability", "data_type": "integer", "length": 3},
    {"api_name": "Type", "data_type": "picklist", "pick_list_values": ["-None-",
      "Existing Business", "New Business"]},
    {"api_name": "Next_Step", "data_type": "text", "length": 100},
    {"api_name": "Lead_Source", "data_type": "picklist", "pick_list_values": ["-None-",
      "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
      "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar",
      "Trade Show", "Web Download", "Web Research", "Chat"]},
    {"api_name": "Description", "data_type": "textarea", "length": 32000},
    {"api_name": "ERP_Id", "data_type": "text", "length": 64, "unique": true, "custom_field": true}
  ]},
  {"api_name": "Products", "singular_label": "Product", "plural_label": "Products",
   "display_field": "Product_Name", "fields": [
    {"api_name": "Product_Name", "data_type": "text", "length": 120, "system_mandatory": true},
    {"api_name": "Product_Code", "data_type": "text", "length": 40},
    {"api_name": "Product_Active", "data_type": "boolean"},
    {"api_name": "Product_Category", "data_type": "picklist", "pick_list_values": ["-None-",
      "Hardware", "Software", "CRM Applications"]},
    {"api_name": "Manufacturer", "data_type": "picklist", "pick_list_values": ["-None-",
      "AltvetPet Inc.", "LexPro Labs", "Rangreen Ltd", "Stellar Tech"]},
    {"api_name": "Unit_Price", "data_type": "currency", "length": 16, "decimal_place": 2},
    {"api_name": "Commission_Rate", "data_type": "currency", "length": 16, "decimal_place": 2},
    {"api_name": "Qty_in_Stock", "data_type": "double", "length": 16, "decimal_place": 2},
    {"api_name": "Tax", "data_type": "multiselectpicklist", "pick_list_values": ["Sales Tax",
      "Vat", "Service Tax"]},
    {"api_name": "Sales_Start_Date", "data_type": "date"},
    {"api_name": "Sales_End_Date", "data_type": "date"},
    {"api_name": "Description", "data_type": "textarea", "length": 32000},
    {"api_name": "ERP_Id", "data_type": "text", "length": 64, "unique": true, "custom_field": true}
  ]}
 ]
})json";

std::string LabelFromApiName(std::string_view api_name) {
  std::string label(api_name);
  for (char& c : label) {
    if (c == '_') c = ' ';
  }
  return label;
}

std::string GetString(const rapidjson::Value& obj, const char* key, std::string fallback = "") {
  auto it = obj.FindMember(key);
  if (it != obj.MemberEnd() && it->value.IsString()) return it->value.GetString();
  return fallback;
}

bool GetBool(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

int GetInt(const rapidjson::Value& obj, const char* key, int fallback) {
  auto it = obj.FindMember(key);
  if (it != obj.MemberEnd() && it->value.IsInt()) return it->value.GetInt();
  return fallback;
}

void AddSystemFields(ModuleMeta& module) {
  auto add = [&](const char* name, const char* type, bool read_only) {
    if (module.FindField(name) != nullptr) return;
    FieldMeta f;
    f.api_name = name;
    f.data_type = type;
    f.read_only = read_only;
    module.fields.push_back(std::move(f));
  };
  add("Owner", "ownerlookup", false);
  add("Created_By", "userlookup", true);
  add("Modified_By", "userlookup", true);
  add("Created_Time", "datetime", true);
  add("Modified_Time", "datetime", true);
}

}  // namespace

const FieldMeta* ModuleMeta::FindField(std::string_view name) const {
  for (const FieldMeta& f : fields) {
    if (f.api_name == name) return &f;
  }
  return nullptr;
}

const ModuleMeta* Metadata::FindModule(std::string_view name) const {
  for (const ModuleMeta& m : modules) {
    if (m.api_name == name) return &m;
  }
  return nullptr;
}

std::string_view DefaultMetadataJson() { return kDefaultMetadata; }

Result<Metadata> ParseMetadata(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error(InvalidArgumentError(std::string("metadata: ") +
                                      rapidjson::GetParseError_En(doc.GetParseError()) +
                                      " at offset " + std::to_string(doc.GetErrorOffset())));
  }
  if (!doc.IsObject() || !doc.HasMember("modules") || !doc["modules"].IsArray()) {
    return Error(InvalidArgumentError("metadata: a top-level \"modules\" array is required"));
  }
  Metadata meta;
  if (doc.HasMember("org") && doc["org"].IsObject()) {
    const rapidjson::Value& org = doc["org"];
    meta.company_name = GetString(org, "company_name", meta.company_name);
    if (org.HasMember("offset_minutes") && org["offset_minutes"].IsInt()) {
      meta.offset_minutes = org["offset_minutes"].GetInt();
    }
  }
  // Zoho ids are 19-digit numbers; module and field ids share one counter.
  uint64_t next_id = 5725767000000002001ULL;
  for (const rapidjson::Value& m : doc["modules"].GetArray()) {
    if (!m.IsObject()) return Error(InvalidArgumentError("metadata: module is not an object"));
    ModuleMeta module;
    module.api_name = GetString(m, "api_name");
    if (module.api_name.empty()) {
      return Error(InvalidArgumentError("metadata: module without api_name"));
    }
    module.singular_label = GetString(m, "singular_label", module.api_name);
    module.plural_label = GetString(m, "plural_label", module.api_name);
    module.display_field = GetString(m, "display_field");
    module.id = std::to_string(next_id++);
    if (m.HasMember("fields") && m["fields"].IsArray()) {
      for (const rapidjson::Value& f : m["fields"].GetArray()) {
        if (!f.IsObject()) return Error(InvalidArgumentError("metadata: field is not an object"));
        FieldMeta field;
        field.api_name = GetString(f, "api_name");
        field.data_type = GetString(f, "data_type", "text");
        if (field.api_name.empty()) {
          return Error(InvalidArgumentError("metadata: field without api_name in " +
                                            module.api_name));
        }
        field.display_label = GetString(f, "display_label", LabelFromApiName(field.api_name));
        int default_length = field.data_type == "textarea" ? 2000 : 255;
        if (field.data_type == "phone") default_length = 30;
        if (field.data_type == "integer") default_length = 9;
        if (field.data_type == "bigint") default_length = 19;
        if (field.data_type == "double" || field.data_type == "currency" ||
            field.data_type == "percent") {
          default_length = 16;
        }
        field.length = GetInt(f, "length", default_length);
        field.decimal_place = GetInt(f, "decimal_place",
                                     field.data_type == "currency" ? 2 : 0);
        field.system_mandatory = GetBool(f, "system_mandatory");
        field.unique = GetBool(f, "unique");
        field.custom_field = GetBool(f, "custom_field");
        field.read_only = GetBool(f, "read_only");
        field.lookup_module = GetString(f, "lookup");
        if (f.HasMember("pick_list_values") && f["pick_list_values"].IsArray()) {
          for (const rapidjson::Value& v : f["pick_list_values"].GetArray()) {
            if (v.IsString()) field.pick_list_values.emplace_back(v.GetString());
            if (v.IsObject()) field.pick_list_values.push_back(GetString(v, "actual_value"));
          }
        }
        field.id = std::to_string(next_id++);
        module.fields.push_back(std::move(field));
      }
    }
    AddSystemFields(module);
    for (FieldMeta& field : module.fields) {
      if (field.id.empty()) field.id = std::to_string(next_id++);
      if (field.display_label.empty()) field.display_label = LabelFromApiName(field.api_name);
    }
    if (module.display_field.empty() || module.FindField(module.display_field) == nullptr) {
      module.display_field = module.fields.empty() ? "id" : module.fields.front().api_name;
    }
    meta.modules.push_back(std::move(module));
  }
  for (const ModuleMeta& module : meta.modules) {
    for (const FieldMeta& field : module.fields) {
      if (field.data_type == "lookup" && meta.FindModule(field.lookup_module) == nullptr) {
        return Error(InvalidArgumentError("metadata: " + module.api_name + "." + field.api_name +
                                          " looks up unknown module '" + field.lookup_module +
                                          "'"));
      }
    }
  }
  return meta;
}

Result<Metadata> LoadMetadataFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(NotFoundError("cannot read metadata file " + path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto meta = ParseMetadata(buffer.str());
  if (!meta.has_value()) return Error(meta.error().WithContext(path));
  return meta;
}

}  // namespace zcrmsync::emulator
