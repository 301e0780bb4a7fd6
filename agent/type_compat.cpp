#include "agent/type_compat.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

namespace zcrmsync::agent {
namespace {

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

const char* FamilyName(TypeFamily f) {
  switch (f) {
    case TypeFamily::kInteger: return "an integer";
    case TypeFamily::kNumber: return "a decimal number";
    case TypeFamily::kBoolean: return "a boolean";
    case TypeFamily::kDate: return "a date";
    case TypeFamily::kDateTime: return "a date and time";
    case TypeFamily::kText: return "text";
    case TypeFamily::kOther: return "an unusual type";
  }
  return "?";
}

}  // namespace

TypeFamily FamilyOfColumnType(const std::string& column_type) {
  const std::string t = AsciiLower(column_type);
  if (t == "tinyint(1)" || Has(t, "bool") || t == "bit") return TypeFamily::kBoolean;
  if (Has(t, "int") && !Has(t, "interval") && !Has(t, "point")) return TypeFamily::kInteger;
  if (Has(t, "serial")) return TypeFamily::kInteger;
  if (Has(t, "numeric") || Has(t, "decimal") || Has(t, "real") || Has(t, "double") ||
      Has(t, "float") || Has(t, "money")) {
    return TypeFamily::kNumber;
  }
  if (Has(t, "timestamp") || Has(t, "datetime")) return TypeFamily::kDateTime;
  if (t == "date") return TypeFamily::kDate;
  if (Has(t, "char") || Has(t, "text") || Has(t, "clob") || Has(t, "string") || Has(t, "uuid") ||
      Has(t, "json") || Has(t, "enum") || t.empty()) {
    return TypeFamily::kText;  // SQLite columns without a type hold anything
  }
  return TypeFamily::kOther;
}

std::optional<int64_t> TextLength(const std::string& column_type) {
  const std::string t = AsciiLower(column_type);
  if (!Has(t, "char")) return std::nullopt;
  const size_t open = t.find('(');
  if (open == std::string::npos) return std::nullopt;
  int64_t n = 0;
  for (size_t i = open + 1; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
    n = n * 10 + (t[i] - '0');
  }
  return n > 0 ? std::optional<int64_t>(n) : std::nullopt;
}

std::optional<std::string> TypeProblem(const std::string& column_type,
                                       const std::string& zoho_data_type, int64_t zoho_length,
                                       bool erp_to_crm, bool crm_to_erp) {
  const TypeFamily col = FamilyOfColumnType(column_type);
  const std::string z = AsciiLower(zoho_data_type);
  auto mismatch = [&](const char* zoho_kind) {
    return "column type " + column_type + " is " + FamilyName(col) + " but the Zoho field is " +
           zoho_kind + " (" + zoho_data_type + ")";
  };
  if (z == "integer" || z == "bigint" || z == "autonumber") {
    if (col == TypeFamily::kInteger) return std::nullopt;
    if (col == TypeFamily::kNumber && erp_to_crm) {
      return mismatch("an integer") + ": decimals would be rejected by Zoho";
    }
    if (col == TypeFamily::kNumber || (col == TypeFamily::kText && !erp_to_crm)) return std::nullopt;
    return mismatch("an integer");
  }
  if (z == "double" || z == "decimal" || z == "currency" || z == "percent") {
    if (col == TypeFamily::kNumber) return std::nullopt;
    if (col == TypeFamily::kInteger && crm_to_erp) {
      return mismatch("a decimal number") + ": decimals from Zoho would not fit";
    }
    if (col == TypeFamily::kInteger || (col == TypeFamily::kText && !erp_to_crm)) return std::nullopt;
    return mismatch("a decimal number");
  }
  if (z == "boolean") {
    if (col == TypeFamily::kBoolean || col == TypeFamily::kInteger) return std::nullopt;
    return mismatch("a boolean");
  }
  if (z == "date") {
    if (col == TypeFamily::kDate) return std::nullopt;
    if (col == TypeFamily::kDateTime && erp_to_crm) {
      return mismatch("a date") + ": the time of day would be lost";
    }
    if (col == TypeFamily::kDateTime) return std::nullopt;
    return mismatch("a date");
  }
  if (z == "datetime") {
    if (col == TypeFamily::kDateTime) return std::nullopt;
    if (col == TypeFamily::kDate && crm_to_erp) {
      return mismatch("a date and time") + ": the time of day would be lost";
    }
    if (col == TypeFamily::kDate) return std::nullopt;
    return mismatch("a date and time");
  }
  // Text-like fields (text, textarea, email, phone, website, picklist, ...).
  if (col == TypeFamily::kOther) return mismatch("text");
  if (zoho_length > 0 && erp_to_crm) {
    if (auto n = TextLength(column_type); n && *n > zoho_length) {
      return "column type " + column_type + " allows " + std::to_string(*n) +
             " characters but the Zoho field takes at most " + std::to_string(zoho_length) +
             ": longer values would be rejected";
    }
  }
  return std::nullopt;
}

}  // namespace zcrmsync::agent
