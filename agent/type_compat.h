// Whether an ERP column's type can carry a Zoho field's values, for
// `zcrmsync check`. Heuristic by type family: it catches the mistakes a
// DBA makes (a text column on a Zoho date, a decimal on an integer field, a
// column longer than the Zoho field); the sync engine still checks every
// value when it converts it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zcrmsync::agent {

enum class TypeFamily { kInteger, kNumber, kBoolean, kDate, kDateTime, kText, kOther };

// From a catalogue type name: "character varying(100)", "int(11)", "DATETIME(6)"...
TypeFamily FamilyOfColumnType(const std::string& column_type);

// The declared maximum length of a text column ("varchar(100)" -> 100), if any.
std::optional<int64_t> TextLength(const std::string& column_type);

// A description of the problem, or nullopt when the column fits the field.
// `erp_to_crm` / `crm_to_erp`: which ways values flow for this field.
std::optional<std::string> TypeProblem(const std::string& column_type,
                                       const std::string& zoho_data_type, int64_t zoho_length,
                                       bool erp_to_crm, bool crm_to_erp);

}  // namespace zcrmsync::agent
