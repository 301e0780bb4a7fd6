#include "core/value.h"

#include <cctype>
#include <chrono>

#include <fmt/format.h>

namespace zcrmsync {
namespace {

bool ParseFixedInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kBool: return "bool";
    case ValueType::kInt64: return "int64";
    case ValueType::kDouble: return "double";
    case ValueType::kDecimal: return "decimal";
    case ValueType::kText: return "text";
    case ValueType::kBytes: return "bytes";
    case ValueType::kDate: return "date";
    case ValueType::kTimestamp: return "timestamp";
  }
  return "unknown";
}

std::string Value::DebugString() const {
  if (is_null()) return fmt::format("NULL({})", ValueTypeName(type_));
  auto shorten = [](const std::string& s) {
    return s.size() > 64 ? s.substr(0, 61) + "..." + fmt::format("({} bytes)", s.size()) : s;
  };
  switch (type_) {
    case ValueType::kBool: return bool_value() ? "true" : "false";
    case ValueType::kInt64: return std::to_string(int64_value());
    case ValueType::kDouble: return fmt::format("{}", double_value());
    case ValueType::kDecimal: return decimal_value();
    case ValueType::kText: return "\"" + shorten(text_value()) + "\"";
    case ValueType::kBytes: return fmt::format("bytes({})", bytes_value().size());
    case ValueType::kDate: return FormatDate(date_value());
    case ValueType::kTimestamp: return FormatTimestamp(timestamp_value());
  }
  return "?";
}

bool IsValidDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  return digits > 0 && i == s.size();
}

Status ValidateDate(const Date& d) {
  const std::chrono::year_month_day ymd{std::chrono::year(d.year),
                                        std::chrono::month(static_cast<unsigned>(d.month)),
                                        std::chrono::day(static_cast<unsigned>(d.day))};
  if (d.year < 1 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 || !ymd.ok()) {
    return InvalidArgumentError(
        fmt::format("invalid date {:04}-{:02}-{:02}", d.year, d.month, d.day));
  }
  return Status();
}

Status ValidateTimestamp(const Timestamp& t) {
  Status s = ValidateDate(Date{t.year, t.month, t.day});
  if (!s.ok()) return s;
  if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 ||
      t.second > 59 || t.microsecond < 0 || t.microsecond > 999999) {
    return InvalidArgumentError("invalid timestamp " + FormatTimestamp(t));
  }
  return Status();
}

Result<Date> ParseDate(std::string_view s) {
  Date d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !ParseFixedInt(s, 0, 4, d.year) ||
      !ParseFixedInt(s, 5, 2, d.month) || !ParseFixedInt(s, 8, 2, d.day)) {
    return Error(InvalidArgumentError("not a date (want YYYY-MM-DD): '" + std::string(s) + "'"));
  }
  Status st = ValidateDate(d);
  if (!st.ok()) return Error(st);
  return d;
}

Result<Timestamp> ParseTimestamp(std::string_view s) {
  auto bad = [&] {
    return Error(InvalidArgumentError(
        "not a timestamp (want YYYY-MM-DD HH:MM:SS[.ffffff]): '" + std::string(s) + "'"));
  };
  Timestamp t;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
      s[13] != ':' || s[16] != ':' || !ParseFixedInt(s, 0, 4, t.year) ||
      !ParseFixedInt(s, 5, 2, t.month) || !ParseFixedInt(s, 8, 2, t.day) ||
      !ParseFixedInt(s, 11, 2, t.hour) || !ParseFixedInt(s, 14, 2, t.minute) ||
      !ParseFixedInt(s, 17, 2, t.second)) {
    return bad();
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100000;
    size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (scale > 0) t.microsecond += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++n;
    }
    if (n == 0) return bad();
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i != s.size()) return bad();
  Status st = ValidateTimestamp(t);
  if (!st.ok()) return Error(st);
  return t;
}

std::string FormatDate(const Date& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::string FormatTimestamp(const Timestamp& t) {
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", t.year, t.month, t.day, t.hour,
                     t.minute, t.second, t.microsecond);
}

}  // namespace zcrmsync
