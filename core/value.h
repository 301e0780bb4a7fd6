// Value: one typed, possibly NULL, database or CRM value. NULL keeps its type,
// so a NULL can be bound with the right SQL type. Decimals are exact and
// carried as their decimal text ("-1234.50"); text is UTF-8; timestamps carry
// microseconds and no time zone (the caller decides what zone they mean).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace zcrmsync {

enum class ValueType { kBool, kInt64, kDouble, kDecimal, kText, kBytes, kDate, kTimestamp };

std::string_view ValueTypeName(ValueType type);

struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  auto operator<=>(const Date&) const = default;
};

struct Timestamp {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int microsecond = 0;  // 0..999999
  auto operator<=>(const Timestamp&) const = default;
};

using Bytes = std::vector<uint8_t>;

class Value {
 public:
  static Value Null(ValueType type) { return Value(type, std::monostate{}); }
  static Value Bool(bool v) { return Value(ValueType::kBool, v); }
  static Value Int64(int64_t v) { return Value(ValueType::kInt64, v); }
  static Value Double(double v) { return Value(ValueType::kDouble, v); }
  // REQUIRES: IsValidDecimal(v); binding checks it again and fails cleanly.
  static Value Decimal(std::string v) { return Value(ValueType::kDecimal, std::move(v)); }
  static Value Text(std::string utf8) { return Value(ValueType::kText, std::move(utf8)); }
  static Value Binary(Bytes v) { return Value(ValueType::kBytes, std::move(v)); }
  static Value FromDate(zcrmsync::Date v) { return Value(ValueType::kDate, v); }
  static Value FromTimestamp(zcrmsync::Timestamp v) { return Value(ValueType::kTimestamp, v); }

  ValueType type() const { return type_; }
  bool is_null() const { return std::holds_alternative<std::monostate>(data_); }

  // Accessors. REQUIRES: !is_null() and type() matches.
  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int64_value() const { return std::get<int64_t>(data_); }
  double double_value() const { return std::get<double>(data_); }
  const std::string& decimal_value() const { return std::get<std::string>(data_); }
  const std::string& text_value() const { return std::get<std::string>(data_); }
  const Bytes& bytes_value() const { return std::get<Bytes>(data_); }
  const zcrmsync::Date& date_value() const { return std::get<zcrmsync::Date>(data_); }
  const zcrmsync::Timestamp& timestamp_value() const { return std::get<zcrmsync::Timestamp>(data_); }

  // For messages and test output: NULL(text), 42, "abc" (long values shortened).
  std::string DebugString() const;

  friend bool operator==(const Value& a, const Value& b) {
    return a.type_ == b.type_ && a.data_ == b.data_;
  }

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes,
                            zcrmsync::Date, zcrmsync::Timestamp>;
  Value(ValueType type, Data data) : type_(type), data_(std::move(data)) {}

  ValueType type_;
  Data data_;
};

// [+-]digits[.digits]; at least one digit; no exponent.
bool IsValidDecimal(std::string_view text);

// "YYYY-MM-DD", checked against the calendar.
Result<Date> ParseDate(std::string_view text);
// "YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z]"; fraction digits past 6 are dropped.
Result<Timestamp> ParseTimestamp(std::string_view text);
std::string FormatDate(const Date& d);
// "YYYY-MM-DD HH:MM:SS.ffffff".
std::string FormatTimestamp(const Timestamp& t);
// INVALID_ARGUMENT when a field is out of range (month 13, Feb 30, hour 24...).
Status ValidateDate(const Date& d);
Status ValidateTimestamp(const Timestamp& t);

}  // namespace zcrmsync
