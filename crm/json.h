// JsonValue: a neutral JSON value for Zoho records and replies, so no JSON
// library type appears in crm's public headers. A Record is a JSON object:
// field api_name -> value, as Zoho encodes it (lookups are objects {"id":..},
// multi-select picklists are arrays of strings, ids and bigints are strings).
// ParseJson/ToJson do the text conversion (RapidJSON inside crm/json.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace zcrmsync::crm {

class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue>;
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  JsonValue() = default;  // null
  JsonValue(std::nullptr_t) {}                                    // NOLINT
  JsonValue(bool v) : data_(v) {}                                 // NOLINT
  JsonValue(int v) : data_(int64_t{v}) {}                         // NOLINT
  JsonValue(int64_t v) : data_(v) {}                              // NOLINT
  JsonValue(double v) : data_(v) {}                               // NOLINT
  JsonValue(std::string v) : data_(std::move(v)) {}               // NOLINT
  JsonValue(const char* v) : data_(std::string(v)) {}             // NOLINT
  JsonValue(std::string_view v) : data_(std::string(v)) {}        // NOLINT
  JsonValue(Array v) : data_(std::move(v)) {}                     // NOLINT
  JsonValue(Object v) : data_(std::move(v)) {}                    // NOLINT

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_double() const { return kind() == Kind::kDouble; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Accessors. REQUIRES: the kind matches.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_double() const { return std::get<double>(data_); }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const Array& as_array() const { return std::get<Array>(data_); }
  Array& as_array() { return std::get<Array>(data_); }
  const Object& as_object() const { return std::get<Object>(data_); }
  Object& as_object() { return std::get<Object>(data_); }

  // Member lookup on an object; nullptr when absent or not an object.
  const JsonValue* Find(std::string_view key) const;
  // The member's string, or "" when absent or not a string.
  std::string GetString(std::string_view key) const;

  friend bool operator==(const JsonValue& a, const JsonValue& b) { return a.data_ == b.data_; }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> data_;
};

// One CRM record: api_name -> value. "id" holds the record id (a string).
using Record = JsonValue::Object;

// INVALID_ARGUMENT when `text` is not JSON. Integers that fit int64 stay
// integers; other numbers become doubles.
Result<JsonValue> ParseJson(std::string_view text);

// Compact JSON text.
std::string ToJson(const JsonValue& value);

}  // namespace zcrmsync::crm
