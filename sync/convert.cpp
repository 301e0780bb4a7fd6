#include "sync/convert.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

#include "core/status.h"
#include "core/status_macros.h"

namespace zcrmsync::sync {
namespace {

using std::chrono::microseconds;
using LocalUs = date::local_time<microseconds>;
using SysUs = date::sys_time<microseconds>;

// ---------------------------------------------------------------------------
// Field kinds.

enum class Kind {
  kText,
  kInteger,
  kBigint,
  kDecimal,
  kBoolean,
  kDate,
  kDateTime,
  kPicklist,
  kMultiSelect,
  kLookup,
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<Kind> KindOf(const FieldSpec& spec) {
  const std::string t = Lower(spec.data_type);
  if (t == "text" || t == "textarea" || t == "email" || t == "phone" || t == "website" ||
      t == "autonumber") {
    return Kind::kText;
  }
  if (t == "integer") return Kind::kInteger;
  if (t == "bigint") return Kind::kBigint;
  if (t == "double" || t == "currency" || t == "percent" || t == "decimal") return Kind::kDecimal;
  if (t == "boolean") return Kind::kBoolean;
  if (t == "date") return Kind::kDate;
  if (t == "datetime") return Kind::kDateTime;
  if (t == "picklist") return Kind::kPicklist;
  if (t == "multiselectpicklist") return Kind::kMultiSelect;
  if (t == "lookup" || t == "ownerlookup" || t == "userlookup") return Kind::kLookup;
  // Read-only computed fields (formula, rollup_summary, ...) by their JSON type.
  const std::string j = Lower(spec.json_type);
  if (j == "string") return Kind::kText;
  if (j == "integer") return Kind::kInteger;
  if (j == "double") return Kind::kDecimal;
  if (j == "boolean") return Kind::kBoolean;
  return std::nullopt;
}

bool ErpTypeFits(Kind kind, ValueType t) {
  switch (kind) {
    case Kind::kText: return t != ValueType::kBytes;
    case Kind::kInteger:
    case Kind::kBigint:
    case Kind::kDecimal:
      return t == ValueType::kInt64 || t == ValueType::kDecimal || t == ValueType::kDouble ||
             t == ValueType::kText;
    case Kind::kBoolean:
      return t == ValueType::kBool || t == ValueType::kInt64 || t == ValueType::kDecimal ||
             t == ValueType::kText;
    case Kind::kDate:
    case Kind::kDateTime:
      return t == ValueType::kDate || t == ValueType::kTimestamp || t == ValueType::kText;
    case Kind::kPicklist:
    case Kind::kLookup:
      return t == ValueType::kText || t == ValueType::kInt64 || t == ValueType::kDecimal;
    case Kind::kMultiSelect: return t == ValueType::kText;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Messages.

// "mapping m: column c -> F" (ERP -> Zoho) or "mapping m: field F -> column c".
std::string Where(const FieldSpec& spec, bool to_zoho) {
  return to_zoho ? "mapping " + spec.mapping + ": column " + spec.column + " -> " + spec.field
                 : "mapping " + spec.mapping + ": field " + spec.field + " -> column " +
                       spec.column;
}

Status Bad(const FieldSpec& spec, bool to_zoho, std::string_view message) {
  return InvalidArgumentError(Where(spec, to_zoho) + ": " + std::string(message));
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// A text for a message: JSON-quoted, cut after 60 bytes (at a UTF-8 boundary).
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out;
  if (s.size() <= kMax) {
    AppendJsonString(out, s);
    return out;
  }
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  AppendJsonString(out, s.substr(0, cut));
  out.insert(out.size() - 1, "...");
  out += " (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string Shorten(std::string s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax) return s;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

std::string ListValues(const std::map<std::string, std::string>& map, bool keys) {
  constexpr size_t kMaxShown = 20;
  std::vector<std::string> shown;
  for (const auto& [k, v] : map) shown.push_back(keys ? k : v);
  std::sort(shown.begin(), shown.end());
  std::string out;
  for (size_t i = 0; i < shown.size() && i < kMaxShown; ++i) {
    if (i > 0) out += ", ";
    out += Quote(shown[i]);
  }
  if (shown.size() > kMaxShown) out += ", ... (" + std::to_string(shown.size()) + " in all)";
  return out;
}

// ---------------------------------------------------------------------------
// Text.

std::string_view TrimAscii(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// The number of code points, or the byte offset of the first invalid sequence.
struct Utf8Check {
  bool ok = true;
  size_t length = 0;     // code points, when ok
  size_t bad_byte = 0;   // when !ok
};

Utf8Check CheckUtf8(std::string_view s) {
  Utf8Check r;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      n = 1;
      cp = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07;
    } else {
      return {false, 0, i};
    }
    if (i + n > s.size()) return {false, 0, i};
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return {false, 0, i};
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return {false, 0, i};
    }
    i += n;
    ++r.length;
  }
  return r;
}

// ---------------------------------------------------------------------------
// Exact decimals.

struct Dec {
  bool negative = false;
  std::string int_digits;   // no leading zeros; "" for a zero integer part
  std::string frac_digits;  // no trailing zeros
  bool is_zero() const { return int_digits.empty() && frac_digits.empty(); }
};

// [+-]digits[.digits] (at least one digit, no exponent), as IsValidDecimal.
std::optional<Dec> ParseDec(std::string_view s) {
  if (!IsValidDecimal(s)) return std::nullopt;
  Dec d;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') d.negative = s[i++] == '-';
  const size_t dot = s.find('.', i);
  std::string_view int_part = s.substr(i, dot == std::string_view::npos ? s.npos : dot - i);
  std::string_view frac_part = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  while (!int_part.empty() && int_part.front() == '0') int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  d.int_digits = int_part;
  d.frac_digits = frac_part;
  if (d.is_zero()) d.negative = false;
  return d;
}

std::string DecText(const Dec& d) {
  if (d.is_zero()) return "0";
  std::string out = d.negative ? "-" : "";
  out += d.int_digits.empty() ? "0" : d.int_digits;
  if (!d.frac_digits.empty()) out += "." + d.frac_digits;
  return out;
}

// The shortest fixed-notation text that reads back as `v`. REQUIRES: finite.
std::string DoubleText(double v) {
  std::array<char, 400> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  return std::string(buf.data(), r.ptr);
}

std::optional<int64_t> DecToInt64(const Dec& d) {
  if (!d.frac_digits.empty() || d.int_digits.size() > 19) return std::nullopt;
  if (d.int_digits.empty()) return 0;
  uint64_t magnitude = 0;
  const auto r = std::from_chars(d.int_digits.data(), d.int_digits.data() + d.int_digits.size(),
                                 magnitude);
  if (r.ec != std::errc()) return std::nullopt;
  constexpr uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
  if (!d.negative) {
    if (magnitude > kMaxPositive) return std::nullopt;
    return static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMaxPositive + 1) return std::nullopt;
  if (magnitude == kMaxPositive + 1) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(magnitude);
}

std::optional<double> DecToDouble(const Dec& d) {
  const std::string text = DecText(d);
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A JSON number's text ("1.5", "100.0", "1e-9", "-1.25E+3") as the canonical
// decimal text; "" when it is not a number.
std::string JsonNumberText(std::string_view text) {
  const size_t e = text.find_first_of("eE");
  std::optional<Dec> d = ParseDec(text.substr(0, e));
  if (!d) return "";
  if (e == std::string_view::npos) return DecText(*d);
  std::string_view exp_text = text.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  const auto r = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  if (r.ec != std::errc() || r.ptr != exp_text.data() + exp_text.size() || exponent > 400 ||
      exponent < -400) {
    return "";
  }
  // All digits with the point after int_digits, then moved by `exponent`.
  std::string digits = d->int_digits + d->frac_digits;
  int point = static_cast<int>(d->int_digits.size()) + exponent;
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<int>(digits.size())) digits.append(static_cast<size_t>(point) - digits.size(), '0');
  std::string plain = (d->negative ? "-" : "") + digits.substr(0, static_cast<size_t>(point)) +
                      "." + digits.substr(static_cast<size_t>(point));
  if (plain.back() == '.') plain.pop_back();
  if (plain == "." || plain == "-.") return "0";
  std::optional<Dec> out = ParseDec(plain);
  return out ? DecText(*out) : "";
}

// A JSON number (or, with `strings`, a decimal string) as a Dec.
std::optional<Dec> JsonToDec(const crm::JsonValue& v, bool strings) {
  if (v.is_int()) return ParseDec(std::to_string(v.as_int()));
  if (v.is_double()) {
    if (!std::isfinite(v.as_double())) return std::nullopt;
    return ParseDec(DoubleText(v.as_double()));
  }
  if (strings && v.is_string()) return ParseDec(TrimAscii(v.as_string()));
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Booleans.

std::optional<bool> ParseBoolText(std::string_view s) {
  const std::string t = Lower(TrimAscii(s));
  if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "1" || t == "on") return true;
  if (t == "false" || t == "f" || t == "no" || t == "n" || t == "0" || t == "off") return false;
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Time zones and date-times.

struct Zone {
  const date::time_zone* tz = nullptr;  // null: a fixed offset
  std::chrono::minutes fixed{0};
};

// "+05:30", "-0800", "+05" -> minutes east of UTC.
std::optional<std::chrono::minutes> ParseOffset(std::string_view s) {
  if (s == "Z" || s == "z") return std::chrono::minutes(0);
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const bool negative = s[0] == '-';
  std::string_view rest = s.substr(1);
  auto two = [](std::string_view p) -> std::optional<int> {
    if (p.size() != 2 || !std::isdigit(static_cast<unsigned char>(p[0])) ||
        !std::isdigit(static_cast<unsigned char>(p[1]))) {
      return std::nullopt;
    }
    return (p[0] - '0') * 10 + (p[1] - '0');
  };
  std::optional<int> hh = two(rest.substr(0, 2));
  std::optional<int> mm = 0;
  if (rest.size() == 5 && rest[2] == ':') {
    mm = two(rest.substr(3));
  } else if (rest.size() == 4) {
    mm = two(rest.substr(2));
  } else if (rest.size() != 2) {
    return std::nullopt;
  }
  if (!hh || !mm || *hh > 18 || *mm > 59) return std::nullopt;
  const int total = *hh * 60 + *mm;
  return std::chrono::minutes(negative ? -total : total);
}

Result<Zone> FindZone(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC") return Zone{};
  if (auto offset = ParseOffset(name)) return Zone{nullptr, *offset};
  if (!name.empty()) {
    try {
      return Zone{date::locate_zone(std::string(name)), std::chrono::minutes(0)};
    } catch (const std::exception&) {
      // Unknown name (or no tz database): reported below.
    }
  }
  return Error(InvalidArgumentError("unknown time zone " + Quote(name) +
                                    " (use an IANA name such as Europe/Berlin, UTC, "
                                    "or an offset such as +05:30)"));
}

// Local time in `zone` -> UTC. Skipped local times (spring forward) use the
// offset before the change; repeated ones (fall back) the earlier instant.
// In both cases that is local_info::first.
SysUs LocalToSys(const Zone& zone, LocalUs local) {
  if (zone.tz == nullptr) return SysUs(local.time_since_epoch() - zone.fixed);
  const date::local_info info = zone.tz->get_info(date::floor<std::chrono::seconds>(local));
  return SysUs(local.time_since_epoch() - info.first.offset);
}

std::chrono::seconds OffsetAt(const Zone& zone, SysUs when) {
  if (zone.tz == nullptr) return zone.fixed;
  return zone.tz->get_info(date::floor<std::chrono::seconds>(when)).offset;
}

LocalUs SysToLocal(const Zone& zone, SysUs when) {
  return LocalUs(when.time_since_epoch() + OffsetAt(zone, when));
}

template <typename TimePoint>
TimePoint FromTimestamp(const Timestamp& t) {
  const date::year_month_day ymd{date::year(t.year), date::month(static_cast<unsigned>(t.month)),
                                 date::day(static_cast<unsigned>(t.day))};
  const auto days = date::sys_days(ymd).time_since_epoch();
  return TimePoint(days + std::chrono::hours(t.hour) + std::chrono::minutes(t.minute) +
                   std::chrono::seconds(t.second) + microseconds(t.microsecond));
}

Timestamp ToTimestamp(microseconds since_epoch) {
  const auto days = date::floor<date::days>(since_epoch);
  const date::year_month_day ymd{date::sys_days(days)};
  const date::hh_mm_ss<microseconds> tod(since_epoch - days);
  Timestamp t;
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(tod.hours().count());
  t.minute = static_cast<int>(tod.minutes().count());
  t.second = static_cast<int>(tod.seconds().count());
  t.microsecond = static_cast<int>(tod.subseconds().count());
  return t;
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width) - s.size(), '0');
  return v < 0 ? "-" + s : s;
}

// "YYYY-MM-DDTHH:MM:SS".
std::string IsoSeconds(const Timestamp& t) {
  return Pad(t.year, 4) + "-" + Pad(t.month, 2) + "-" + Pad(t.day, 2) + "T" + Pad(t.hour, 2) +
         ":" + Pad(t.minute, 2) + ":" + Pad(t.second, 2);
}

// ".ffffff" without trailing zeros, or "" for whole seconds.
std::string Fraction(int microsecond) {
  if (microsecond == 0) return "";
  std::string f = "." + Pad(microsecond, 6);
  while (f.back() == '0') f.pop_back();
  return f;
}

std::string OffsetText(std::chrono::seconds offset) {
  const auto total = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(offset).count());
  const int magnitude = total < 0 ? -total : total;
  return std::string(total < 0 ? "-" : "+") + Pad(magnitude / 60, 2) + ":" + Pad(magnitude % 60, 2);
}

// Zoho's form in `zone`, whole seconds (any fraction is dropped).
std::string RenderZoho(const Zone& zone, SysUs when) {
  const SysUs whole = date::floor<std::chrono::seconds>(when);
  const std::chrono::seconds offset = OffsetAt(zone, whole);
  return IsoSeconds(ToTimestamp(whole.time_since_epoch() + offset)) + OffsetText(offset);
}

// "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+hh:mm|+hhmm|+hh]".
struct ParsedDateTime {
  Timestamp local;
  std::optional<std::chrono::minutes> offset;
};

std::optional<ParsedDateTime> ParseDateTimeText(std::string_view s) {
  if (s.size() < 19) return std::nullopt;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  auto local = ParseTimestamp(s.substr(0, i));
  if (!local.has_value()) return std::nullopt;
  ParsedDateTime p{*local, std::nullopt};
  if (i < s.size()) {
    p.offset = ParseOffset(s.substr(i));
    if (!p.offset) return std::nullopt;
  }
  return p;
}

// The instant of a date-time text; without an offset it is local time in
// `zone_name`.
Result<SysUs> DateTimeInstant(const ParsedDateTime& p, std::string_view zone_name) {
  if (p.offset) return SysUs(FromTimestamp<SysUs>(p.local).time_since_epoch() - *p.offset);
  ZCRMSYNC_ASSIGN_OR_RETURN(const Zone zone, FindZone(zone_name));
  return LocalToSys(zone, FromTimestamp<LocalUs>(p.local));
}

// ---------------------------------------------------------------------------
// ERP values as text, and text into ERP values.

std::string TimestampText(const Timestamp& t) {
  std::string s = IsoSeconds(t);
  s[10] = ' ';
  return s + Fraction(t.microsecond);
}

std::string ShowValue(const Value& v) {
  switch (v.type()) {
    case ValueType::kText: return Quote(v.text_value());
    case ValueType::kDecimal: return Shorten(v.decimal_value());
    case ValueType::kDouble: return std::isfinite(v.double_value()) ? DoubleText(v.double_value())
                                                                     : v.DebugString();
    case ValueType::kTimestamp: return TimestampText(v.timestamp_value());
    default: return v.DebugString();
  }
}

// The ERP value as plain text (for text-like, picklist and lookup fields).
Result<std::string> ErpAsText(const Value& v, const FieldSpec& spec) {
  switch (v.type()) {
    case ValueType::kText: return v.text_value();
    case ValueType::kInt64: return std::to_string(v.int64_value());
    case ValueType::kDecimal: return v.decimal_value();
    case ValueType::kDouble:
      if (!std::isfinite(v.double_value())) {
        return Error(Bad(spec, true, v.DebugString() + " is not a finite number"));
      }
      return DoubleText(v.double_value());
    case ValueType::kBool: return std::string(v.bool_value() ? "true" : "false");
    case ValueType::kDate: return FormatDate(v.date_value());
    case ValueType::kTimestamp: return TimestampText(v.timestamp_value());
    case ValueType::kBytes: break;
  }
  return Error(Bad(spec, true, "a binary column cannot be sent to Zoho"));
}

std::string TypeMismatch(const FieldSpec& spec, bool to_zoho) {
  const std::string col = std::string(ValueTypeName(spec.erp_type));
  return to_zoho ? "a " + col + " column cannot be sent to a Zoho " + spec.data_type + " field"
                 : "a Zoho " + spec.data_type + " field cannot be written to a " + col + " column";
}

Result<Value> IntToErp(int64_t v, const FieldSpec& spec) {
  switch (spec.erp_type) {
    case ValueType::kInt64: return Value::Int64(v);
    case ValueType::kDecimal: return Value::Decimal(std::to_string(v));
    case ValueType::kDouble: return Value::Double(static_cast<double>(v));
    case ValueType::kText: return Value::Text(std::to_string(v));
    case ValueType::kBool:
      if (v == 0 || v == 1) return Value::Bool(v == 1);
      return Error(Bad(spec, false, std::to_string(v) + " is not a boolean (0 or 1)"));
    default: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

Result<Value> DecToErp(const Dec& d, const std::string& shown, const FieldSpec& spec) {
  switch (spec.erp_type) {
    case ValueType::kDecimal: return Value::Decimal(DecText(d));
    case ValueType::kText: return Value::Text(DecText(d));
    case ValueType::kDouble: {
      auto v = DecToDouble(d);
      if (!v) return Error(Bad(spec, false, shown + " does not fit a double"));
      return Value::Double(*v);
    }
    case ValueType::kInt64: {
      if (!d.frac_digits.empty()) {
        return Error(Bad(spec, false,
                         shown + " has " + std::to_string(d.frac_digits.size()) +
                             " decimal places, the column holds whole numbers"));
      }
      auto v = DecToInt64(d);
      if (!v) return Error(Bad(spec, false, shown + " does not fit a 64-bit integer"));
      return Value::Int64(*v);
    }
    default: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

// Text from Zoho (a text field, a picklist value, a lookup key) into the
// column's type.
Result<Value> TextToErp(const std::string& text, const FieldSpec& spec) {
  switch (spec.erp_type) {
    case ValueType::kText: return Value::Text(text);
    case ValueType::kInt64:
    case ValueType::kDecimal:
    case ValueType::kDouble: {
      auto d = ParseDec(TrimAscii(text));
      if (!d) return Error(Bad(spec, false, Quote(text) + " is not a number"));
      return DecToErp(*d, Quote(text), spec);
    }
    case ValueType::kBool: {
      auto b = ParseBoolText(text);
      if (!b) return Error(Bad(spec, false, Quote(text) + " is not a boolean"));
      return Value::Bool(*b);
    }
    case ValueType::kDate: {
      auto d = ParseDate(TrimAscii(text));
      if (!d) return Error(Bad(spec, false, Quote(text) + " is not a date (YYYY-MM-DD)"));
      return Value::FromDate(*d);
    }
    case ValueType::kTimestamp: {
      auto t = ParseTimestamp(TrimAscii(text));
      if (!t) {
        return Error(Bad(spec, false, Quote(text) + " is not a timestamp (YYYY-MM-DD HH:MM:SS)"));
      }
      return Value::FromTimestamp(*t);
    }
    case ValueType::kBytes: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

// Maps `value` through `map` (values or reverse_values). Empty map: unchanged.
Result<std::string> MapValue(const std::string& value, const std::map<std::string, std::string>& map,
                             const FieldSpec& spec, bool to_zoho) {
  if (map.empty()) return value;
  if (auto it = map.find(value); it != map.end()) return it->second;
  if (!spec.strict_values) return value;
  return Error(Bad(spec, to_zoho,
                   Quote(value) + " is not a mapped " + (to_zoho ? "ERP" : "Zoho") +
                       " value; allowed: " + ListValues(map, /*keys=*/true)));
}

bool IsZohoId(std::string_view s) {
  return !s.empty() && s.size() <= 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---------------------------------------------------------------------------
// ERP -> Zoho, per kind.

Result<crm::JsonValue> TextToZoho(const Value& v, const FieldSpec& spec) {
  ZCRMSYNC_ASSIGN_OR_RETURN(const std::string text, ErpAsText(v, spec));
  const std::string_view trimmed = TrimAscii(text);
  const Utf8Check check = CheckUtf8(trimmed);
  if (!check.ok) {
    return Error(Bad(spec, true,
                     "the text is not valid UTF-8 (byte " + std::to_string(check.bad_byte) +
                         " of the trimmed value)"));
  }
  if (trimmed.empty()) return crm::JsonValue();
  if (spec.length > 0 && static_cast<int64_t>(check.length) > spec.length) {
    return Error(Bad(spec, true,
                     Quote(trimmed) + " is " + std::to_string(check.length) +
                         " characters, Zoho allows " + std::to_string(spec.length)));
  }
  return crm::JsonValue(std::string(trimmed));
}

// The ERP value as an integer, for integer and bigint fields.
Result<int64_t> ErpAsInt64(const Value& v, const FieldSpec& spec) {
  const std::string shown = ShowValue(v);
  std::optional<Dec> d;
  switch (v.type()) {
    case ValueType::kInt64: return v.int64_value();
    case ValueType::kDecimal: d = ParseDec(TrimAscii(v.decimal_value())); break;
    case ValueType::kText: d = ParseDec(TrimAscii(v.text_value())); break;
    case ValueType::kDouble:
      if (std::isfinite(v.double_value())) d = ParseDec(DoubleText(v.double_value()));
      break;
    default: return Error(Bad(spec, true, TypeMismatch(spec, true)));
  }
  if (!d) return Error(Bad(spec, true, shown + " is not a number"));
  if (!d->frac_digits.empty()) return Error(Bad(spec, true, shown + " is not a whole number"));
  auto i = DecToInt64(*d);
  if (!i) return Error(Bad(spec, true, shown + " does not fit a 64-bit integer"));
  return *i;
}

Result<crm::JsonValue> IntegerToZoho(const Value& v, const FieldSpec& spec) {
  ZCRMSYNC_ASSIGN_OR_RETURN(const int64_t i, ErpAsInt64(v, spec));
  constexpr int64_t kMax = 999'999'999;  // Zoho integer fields: up to 9 digits
  if (i > kMax || i < -kMax) {
    return Error(Bad(spec, true,
                     std::to_string(i) + " has more than 9 digits, Zoho integer fields allow 9"));
  }
  return crm::JsonValue(i);
}

Result<crm::JsonValue> BigintToZoho(const Value& v, const FieldSpec& spec) {
  ZCRMSYNC_ASSIGN_OR_RETURN(const int64_t i, ErpAsInt64(v, spec));
  return crm::JsonValue(std::to_string(i));
}

Result<crm::JsonValue> DecimalToZoho(const Value& v, const FieldSpec& spec) {
  const std::string shown = ShowValue(v);
  std::optional<Dec> d;
  switch (v.type()) {
    case ValueType::kDecimal: d = ParseDec(TrimAscii(v.decimal_value())); break;
    case ValueType::kText: d = ParseDec(TrimAscii(v.text_value())); break;
    case ValueType::kInt64: d = ParseDec(std::to_string(v.int64_value())); break;
    case ValueType::kDouble:
      if (std::isfinite(v.double_value())) d = ParseDec(DoubleText(v.double_value()));
      break;
    default: return Error(Bad(spec, true, TypeMismatch(spec, true)));
  }
  if (!d) return Error(Bad(spec, true, shown + " is not a decimal number"));
  if (spec.decimal_place && static_cast<int>(d->frac_digits.size()) > *spec.decimal_place) {
    return Error(Bad(spec, true,
                     shown + " has " + std::to_string(d->frac_digits.size()) +
                         " decimal places, Zoho allows " + std::to_string(*spec.decimal_place)));
  }
  constexpr size_t kMaxIntegerDigits = 16;  // Zoho: 16 integer digits
  if (d->int_digits.size() > kMaxIntegerDigits) {
    return Error(Bad(spec, true,
                     shown + " has " + std::to_string(d->int_digits.size()) +
                         " integer digits, Zoho allows " + std::to_string(kMaxIntegerDigits)));
  }
  if (spec.decimal_encoding == DecimalEncoding::kString) return crm::JsonValue(DecText(*d));
  if (d->frac_digits.empty()) {
    if (auto i = DecToInt64(*d)) return crm::JsonValue(*i);
  }
  auto dbl = DecToDouble(*d);
  if (!dbl) return Error(Bad(spec, true, shown + " is not a finite number"));
  crm::JsonValue number(*dbl);
  // Exact only when the double's written text is the decimal's own text:
  // always for 15 significant digits (DBL_DIG), mostly for 16 and 17
  // (12345678901234.56 is exact). A value that would reach Zoho changed is
  // refused, never rounded.
  if (std::string written = crm::ToJson(number); JsonNumberText(written) != DecText(*d)) {
    return Error(Bad(spec, true,
                     shown + " cannot be written exactly as a JSON number (it would be sent as " +
                         written + "), so it is not sent"));
  }
  return number;
}

Result<crm::JsonValue> BooleanToZoho(const Value& v, const FieldSpec& spec) {
  switch (v.type()) {
    case ValueType::kBool: return crm::JsonValue(v.bool_value());
    case ValueType::kInt64:
    case ValueType::kDecimal: {
      const std::optional<Dec> d = v.type() == ValueType::kInt64
                                       ? ParseDec(std::to_string(v.int64_value()))
                                       : ParseDec(TrimAscii(v.decimal_value()));
      if (d && d->frac_digits.empty() && !d->negative &&
          (d->int_digits.empty() || d->int_digits == "1")) {
        return crm::JsonValue(!d->int_digits.empty());
      }
      return Error(Bad(spec, true, ShowValue(v) + " is not a boolean (0 or 1)"));
    }
    case ValueType::kText: {
      const std::string text(TrimAscii(v.text_value()));
      if (!spec.values.empty()) {
        auto it = spec.values.find(text);
        if (it != spec.values.end()) {
          const std::string mapped = Lower(it->second);
          if (mapped == "true" || mapped == "false") return crm::JsonValue(mapped == "true");
          return Error(Bad(spec, true,
                           Quote(text) + " maps to " + Quote(it->second) +
                               ", not to \"true\" or \"false\""));
        }
        if (spec.strict_values) {
          return Error(Bad(spec, true,
                           Quote(text) + " is not a mapped ERP value; allowed: " +
                               ListValues(spec.values, /*keys=*/true)));
        }
      }
      auto b = ParseBoolText(text);
      if (!b) {
        return Error(Bad(spec, true,
                         Quote(v.text_value()) +
                             " is not a boolean (true/false, t/f, yes/no, y/n, 1/0, on/off)"));
      }
      return crm::JsonValue(*b);
    }
    default: break;
  }
  return Error(Bad(spec, true, TypeMismatch(spec, true)));
}

Result<crm::JsonValue> DateToZoho(const Value& v, const FieldSpec& spec) {
  Date d;
  switch (v.type()) {
    case ValueType::kDate: d = v.date_value(); break;
    case ValueType::kTimestamp: {
      const Timestamp& t = v.timestamp_value();
      d = Date{t.year, t.month, t.day};
      break;
    }
    case ValueType::kText: {
      auto parsed = ParseDate(TrimAscii(v.text_value()));
      if (!parsed) {
        return Error(Bad(spec, true, Quote(v.text_value()) + " is not a date (YYYY-MM-DD)"));
      }
      d = *parsed;
      break;
    }
    default: return Error(Bad(spec, true, TypeMismatch(spec, true)));
  }
  if (!ValidateDate(d).ok()) return Error(Bad(spec, true, ShowValue(v) + " is not a valid date"));
  return crm::JsonValue(FormatDate(d));
}

Result<crm::JsonValue> DateTimeToZoho(const Value& v, const FieldSpec& spec) {
  auto erp_zone = FindZone(spec.erp_time_zone);
  if (!erp_zone) return Error(Bad(spec, true, erp_zone.error().message()));
  auto zoho_zone = FindZone(spec.zoho_time_zone);
  if (!zoho_zone) return Error(Bad(spec, true, zoho_zone.error().message()));
  SysUs when;
  switch (v.type()) {
    case ValueType::kTimestamp:
      if (!ValidateTimestamp(v.timestamp_value()).ok()) {
        return Error(Bad(spec, true, ShowValue(v) + " is not a valid timestamp"));
      }
      when = LocalToSys(*erp_zone, FromTimestamp<LocalUs>(v.timestamp_value()));
      break;
    case ValueType::kDate: {
      const Date& d = v.date_value();
      if (!ValidateDate(d).ok()) return Error(Bad(spec, true, ShowValue(v) + " is not a valid date"));
      when = LocalToSys(*erp_zone, FromTimestamp<LocalUs>(Timestamp{d.year, d.month, d.day}));
      break;
    }
    case ValueType::kText: {
      auto parsed = ParseDateTimeText(TrimAscii(v.text_value()));
      if (!parsed) {
        return Error(Bad(spec, true,
                         Quote(v.text_value()) +
                             " is not a date-time (YYYY-MM-DD HH:MM:SS, optional offset)"));
      }
      ZCRMSYNC_ASSIGN_OR_RETURN(when, DateTimeInstant(*parsed, spec.erp_time_zone));
      break;
    }
    default: return Error(Bad(spec, true, TypeMismatch(spec, true)));
  }
  return crm::JsonValue(RenderZoho(*zoho_zone, when));
}

}  // namespace

std::optional<crm::JsonValue> AmbiguousAlternative(const Value& erp, const FieldSpec& spec) {
  auto kind = KindOf(spec);
  if (!kind || *kind != Kind::kDateTime || erp.is_null() || erp.type() != ValueType::kTimestamp) {
    return std::nullopt;
  }
  auto erp_zone = FindZone(spec.erp_time_zone);
  auto zoho_zone = FindZone(spec.zoho_time_zone);
  if (!erp_zone || !zoho_zone || erp_zone->tz == nullptr) return std::nullopt;
  const LocalUs local = FromTimestamp<LocalUs>(erp.timestamp_value());
  const date::local_info info = erp_zone->tz->get_info(date::floor<std::chrono::seconds>(local));
  if (info.result != date::local_info::ambiguous) return std::nullopt;
  return crm::JsonValue(RenderZoho(*zoho_zone, SysUs(local.time_since_epoch() - info.second.offset)));
}

std::string CanonicalAgainstBase(const Value& erp, const crm::JsonValue& zoho, const FieldSpec& spec,
                                 const std::string* base) {
  std::string canonical = CanonicalValue(zoho, spec);
  if (base != nullptr && canonical != *base) {
    auto alt = AmbiguousAlternative(erp, spec);
    if (alt && CanonicalValue(*alt, spec) == *base) return *base;
  }
  return canonical;
}

namespace {

Result<crm::JsonValue> PicklistToZoho(const Value& v, const FieldSpec& spec) {
  ZCRMSYNC_ASSIGN_OR_RETURN(const std::string raw, ErpAsText(v, spec));
  const std::string text(TrimAscii(raw));
  if (text.empty() && !spec.values.contains(text)) return crm::JsonValue();
  ZCRMSYNC_ASSIGN_OR_RETURN(std::string mapped, MapValue(text, spec.values, spec, true));
  return crm::JsonValue(std::move(mapped));
}

Result<crm::JsonValue> MultiSelectToZoho(const Value& v, const FieldSpec& spec) {
  if (v.type() != ValueType::kText) return Error(Bad(spec, true, TypeMismatch(spec, true)));
  crm::JsonValue::Array items;
  std::string_view rest = v.text_value();
  while (true) {
    const size_t semi = rest.find(';');
    const std::string item(TrimAscii(rest.substr(0, semi)));
    if (!item.empty()) {
      ZCRMSYNC_ASSIGN_OR_RETURN(std::string mapped, MapValue(item, spec.values, spec, true));
      items.emplace_back(std::move(mapped));
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return crm::JsonValue(std::move(items));
}

Result<crm::JsonValue> LookupToZoho(const Value& v, const FieldSpec& spec) {
  ZCRMSYNC_ASSIGN_OR_RETURN(const std::string raw, ErpAsText(v, spec));
  const std::string key(TrimAscii(raw));
  if (key.empty()) return crm::JsonValue();
  if (!spec.lookup.to_zoho_id) return Error(Bad(spec, true, "no lookup resolver is set"));
  auto id = spec.lookup.to_zoho_id(key);
  if (!id) return Error(id.error().WithContext(Where(spec, true) + ": lookup " + Quote(key)));
  if (!IsZohoId(*id)) {
    return Error(Bad(spec, true, "lookup " + Quote(key) + " resolved to a bad Zoho id " + Quote(*id)));
  }
  return crm::JsonValue(crm::JsonValue::Object{{"id", crm::JsonValue(*id)}});
}

// ---------------------------------------------------------------------------
// Zoho -> ERP, per kind.

std::string ShowJson(const crm::JsonValue& v) { return Shorten(CanonicalValue(v)); }

std::string JsonKindName(const crm::JsonValue& v) {
  switch (v.kind()) {
    case crm::JsonValue::Kind::kNull: return "null";
    case crm::JsonValue::Kind::kBool: return "a boolean";
    case crm::JsonValue::Kind::kInt:
    case crm::JsonValue::Kind::kDouble: return "a number";
    case crm::JsonValue::Kind::kString: return "a string";
    case crm::JsonValue::Kind::kArray: return "an array";
    case crm::JsonValue::Kind::kObject: return "an object";
  }
  return "?";
}

Status WrongJson(const crm::JsonValue& v, const FieldSpec& spec, std::string_view expected) {
  return Bad(spec, false,
             ShowJson(v) + " is " + JsonKindName(v) + ", expected " + std::string(expected));
}

Result<Value> TextToErpFromJson(const crm::JsonValue& v, const FieldSpec& spec) {
  if (v.is_string()) return TextToErp(v.as_string(), spec);
  if (v.is_int() || v.is_double() || v.is_bool()) return TextToErp(CanonicalValue(v), spec);
  return Error(WrongJson(v, spec, "a string"));
}

Result<Value> IntegerToErp(const crm::JsonValue& v, const FieldSpec& spec, bool bigint) {
  if (v.is_int()) return IntToErp(v.as_int(), spec);
  std::optional<Dec> d = JsonToDec(v, /*strings=*/bigint);
  if (!d) return Error(WrongJson(v, spec, bigint ? "a string of digits" : "an integer"));
  auto i = DecToInt64(*d);
  if (!i) return Error(Bad(spec, false, ShowJson(v) + " is not a 64-bit integer"));
  return IntToErp(*i, spec);
}

Result<Value> DecimalToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  std::optional<Dec> d = JsonToDec(v, /*strings=*/true);
  if (!d) return Error(WrongJson(v, spec, "a decimal number"));
  return DecToErp(*d, ShowJson(v), spec);
}

Result<Value> BooleanToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  if (!v.is_bool()) return Error(WrongJson(v, spec, "true or false"));
  const bool b = v.as_bool();
  switch (spec.erp_type) {
    case ValueType::kBool: return Value::Bool(b);
    case ValueType::kInt64: return Value::Int64(b ? 1 : 0);
    case ValueType::kDecimal: return Value::Decimal(b ? "1" : "0");
    case ValueType::kText: {
      const std::string word = b ? "true" : "false";
      if (spec.reverse_values.empty()) return Value::Text(word);
      for (const auto& [zoho, erp] : spec.reverse_values) {
        if (Lower(zoho) == word) return Value::Text(erp);
      }
      if (!spec.strict_values) return Value::Text(word);
      return Error(Bad(spec, false,
                       word + " is not a mapped Zoho value; allowed: " +
                           ListValues(spec.reverse_values, /*keys=*/true)));
    }
    default: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

Result<Value> DateToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  if (!v.is_string()) return Error(WrongJson(v, spec, "a date string"));
  auto d = ParseDate(v.as_string());
  if (!d) return Error(Bad(spec, false, Quote(v.as_string()) + " is not a date (YYYY-MM-DD)"));
  switch (spec.erp_type) {
    case ValueType::kDate: return Value::FromDate(*d);
    case ValueType::kTimestamp: return Value::FromTimestamp(Timestamp{d->year, d->month, d->day});
    case ValueType::kText: return Value::Text(FormatDate(*d));
    default: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

Result<Value> DateTimeToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  if (!v.is_string()) return Error(WrongJson(v, spec, "a date-time string"));
  auto parsed = ParseDateTimeText(v.as_string());
  if (!parsed) {
    return Error(Bad(spec, false,
                     Quote(v.as_string()) + " is not a date-time (YYYY-MM-DDTHH:MM:SS+hh:mm)"));
  }
  if (spec.erp_type == ValueType::kText) return Value::Text(v.as_string());
  auto erp_zone = FindZone(spec.erp_time_zone);
  if (!erp_zone) return Error(Bad(spec, false, erp_zone.error().message()));
  auto when = DateTimeInstant(*parsed, spec.zoho_time_zone);
  if (!when) return Error(Bad(spec, false, when.error().message()));
  const Timestamp local = ToTimestamp(SysToLocal(*erp_zone, *when).time_since_epoch());
  if (!ValidateTimestamp(local).ok()) {
    return Error(Bad(spec, false, Quote(v.as_string()) + " is out of range in " +
                                      spec.erp_time_zone));
  }
  switch (spec.erp_type) {
    case ValueType::kTimestamp: return Value::FromTimestamp(local);
    case ValueType::kDate: return Value::FromDate(Date{local.year, local.month, local.day});
    default: break;
  }
  return Error(Bad(spec, false, TypeMismatch(spec, false)));
}

Result<Value> PicklistToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  if (!v.is_string()) return Error(WrongJson(v, spec, "a string"));
  ZCRMSYNC_ASSIGN_OR_RETURN(const std::string erp,
                            MapValue(v.as_string(), spec.reverse_values, spec, false));
  return TextToErp(erp, spec);
}

Result<Value> MultiSelectToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  if (!v.is_array()) return Error(WrongJson(v, spec, "an array of strings"));
  std::string joined;
  bool first = true;
  for (const crm::JsonValue& item : v.as_array()) {
    if (!item.is_string()) return Error(WrongJson(item, spec, "a string in the array"));
    ZCRMSYNC_ASSIGN_OR_RETURN(const std::string erp,
                              MapValue(item.as_string(), spec.reverse_values, spec, false));
    if (erp.find(';') != std::string::npos) {
      return Error(Bad(spec, false,
                       Quote(erp) + " contains ';', which separates the values in the column"));
    }
    if (!first) joined += ';';
    joined += erp;
    first = false;
  }
  return TextToErp(joined, spec);
}

// The id of a lookup value: {"id": "..."} (Zoho reads add "name"), or a bare id.
std::optional<std::string> LookupId(const crm::JsonValue& v) {
  const crm::JsonValue* id = v.is_object() ? v.Find("id") : &v;
  if (id == nullptr) return std::nullopt;
  if (id->is_string() && IsZohoId(id->as_string())) return id->as_string();
  if (id->is_int() && id->as_int() >= 0) return std::to_string(id->as_int());
  return std::nullopt;
}

Result<Value> LookupToErp(const crm::JsonValue& v, const FieldSpec& spec) {
  auto id = LookupId(v);
  if (!id) return Error(WrongJson(v, spec, "a lookup {\"id\": \"<digits>\"}"));
  if (!spec.lookup.to_erp_key) return Error(Bad(spec, false, "no lookup resolver is set"));
  auto key = spec.lookup.to_erp_key(*id);
  if (!key) return Error(key.error().WithContext(Where(spec, false) + ": lookup id " + *id));
  return TextToErp(*key, spec);
}

// ---------------------------------------------------------------------------
// Canonical text.

void AppendCanonical(std::string& out, const crm::JsonValue& v) {
  switch (v.kind()) {
    case crm::JsonValue::Kind::kNull: out += "null"; return;
    case crm::JsonValue::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case crm::JsonValue::Kind::kInt: out += std::to_string(v.as_int()); return;
    case crm::JsonValue::Kind::kDouble: {
      const double d = v.as_double();
      if (std::isnan(d)) {
        out += "\"NaN\"";
      } else if (std::isinf(d)) {
        out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      } else {
        out += DecText(*ParseDec(DoubleText(d)));
      }
      return;
    }
    case crm::JsonValue::Kind::kString: AppendJsonString(out, v.as_string()); return;
    case crm::JsonValue::Kind::kArray: {
      out += '[';
      bool first = true;
      for (const crm::JsonValue& item : v.as_array()) {
        if (!first) out += ',';
        AppendCanonical(out, item);
        first = false;
      }
      out += ']';
      return;
    }
    case crm::JsonValue::Kind::kObject: {
      if (const crm::JsonValue* id = v.Find("id"); id != nullptr) {
        out += "{\"id\":";
        if (id->is_int()) {
          AppendJsonString(out, std::to_string(id->as_int()));
        } else {
          AppendCanonical(out, *id);
        }
        out += '}';
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.as_object()) {
        if (!first) out += ',';
        AppendJsonString(out, key);
        out += ':';
        AppendCanonical(out, member);
        first = false;
      }
      out += '}';
      return;
    }
  }
}

std::optional<std::string> TypedCanonical(const crm::JsonValue& v, const FieldSpec& spec) {
  if (v.is_null()) return "null";
  const std::optional<Kind> kind = KindOf(spec);
  if (!kind) return std::nullopt;
  switch (*kind) {
    case Kind::kDecimal: {
      auto d = JsonToDec(v, /*strings=*/true);
      if (!d) return std::nullopt;
      return DecText(*d);
    }
    case Kind::kInteger:
    case Kind::kBigint: {
      auto d = JsonToDec(v, /*strings=*/true);
      if (!d || !d->frac_digits.empty()) return std::nullopt;
      if (*kind == Kind::kInteger) return DecText(*d);
      std::string out;
      AppendJsonString(out, DecText(*d));
      return out;
    }
    case Kind::kDateTime: {
      if (!v.is_string()) return std::nullopt;
      auto parsed = ParseDateTimeText(v.as_string());
      if (!parsed) return std::nullopt;
      auto when = DateTimeInstant(*parsed, spec.zoho_time_zone);
      if (!when) return std::nullopt;
      const Timestamp utc = ToTimestamp(when->time_since_epoch());
      std::string out;
      AppendJsonString(out, IsoSeconds(utc) + Fraction(utc.microsecond) + "Z");
      return out;
    }
    case Kind::kLookup: {
      auto id = LookupId(v);
      if (!id) return std::nullopt;
      std::string out = "{\"id\":";
      AppendJsonString(out, *id);
      return out + "}";
    }
    default: return std::nullopt;
  }
}

}  // namespace

FieldSpec MakeFieldSpec(std::string_view mapping_name, const mappings::FieldMapping& field,
                        const crm::FieldInfo& info, ValueType erp_type) {
  FieldSpec spec;
  spec.mapping = std::string(mapping_name);
  spec.column = field.column;
  spec.field = field.field;
  spec.erp_type = erp_type;
  spec.data_type = info.data_type;
  spec.json_type = info.json_type;
  spec.length = info.length;
  spec.values = field.values;
  spec.reverse_values = field.reverse_values;
  return spec;
}

Status ValidateFieldSpec(const FieldSpec& spec) {
  const std::optional<Kind> kind = KindOf(spec);
  if (!kind) {
    return Bad(spec, true,
               "Zoho data type " + Quote(spec.data_type) + " (json_type " + Quote(spec.json_type) +
                   ") is not supported");
  }
  if (!ErpTypeFits(*kind, spec.erp_type)) return Bad(spec, true, TypeMismatch(spec, true));
  if (spec.length < 0) return Bad(spec, true, "length must not be negative");
  if (spec.decimal_place && (*spec.decimal_place < 0 || *spec.decimal_place > 9)) {
    return Bad(spec, true, "decimal_place must be 0..9");
  }
  if (*kind == Kind::kDateTime) {
    if (auto z = FindZone(spec.erp_time_zone); !z) {
      return Bad(spec, true, "erp_time_zone: " + z.error().message());
    }
    if (auto z = FindZone(spec.zoho_time_zone); !z) {
      return Bad(spec, true, "zoho_time_zone: " + z.error().message());
    }
  }
  if (*kind == Kind::kLookup && (!spec.lookup.to_zoho_id || !spec.lookup.to_erp_key)) {
    return Bad(spec, true, "a lookup field needs a lookup resolver");
  }
  return Status();
}

Result<crm::JsonValue> ToZoho(const Value& erp, const FieldSpec& spec) {
  if (erp.is_null()) return crm::JsonValue();
  const std::optional<Kind> kind = KindOf(spec);
  if (!kind) {
    return Error(Bad(spec, true, "Zoho data type " + Quote(spec.data_type) + " is not supported"));
  }
  if (erp.type() == ValueType::kBytes) return Error(Bad(spec, true, TypeMismatch(spec, true)));
  switch (*kind) {
    case Kind::kText: return TextToZoho(erp, spec);
    case Kind::kInteger: return IntegerToZoho(erp, spec);
    case Kind::kBigint: return BigintToZoho(erp, spec);
    case Kind::kDecimal: return DecimalToZoho(erp, spec);
    case Kind::kBoolean: return BooleanToZoho(erp, spec);
    case Kind::kDate: return DateToZoho(erp, spec);
    case Kind::kDateTime: return DateTimeToZoho(erp, spec);
    case Kind::kPicklist: return PicklistToZoho(erp, spec);
    case Kind::kMultiSelect: return MultiSelectToZoho(erp, spec);
    case Kind::kLookup: return LookupToZoho(erp, spec);
  }
  return Error(Bad(spec, true, "unreachable"));
}

Result<Value> ToErp(const crm::JsonValue& zoho, const FieldSpec& spec) {
  const std::optional<Kind> kind = KindOf(spec);
  if (!kind) {
    return Error(Bad(spec, false, "Zoho data type " + Quote(spec.data_type) + " is not supported"));
  }
  if (!ErpTypeFits(*kind, spec.erp_type)) return Error(Bad(spec, false, TypeMismatch(spec, false)));
  if (zoho.is_null()) return Value::Null(spec.erp_type);
  switch (*kind) {
    case Kind::kText: return TextToErpFromJson(zoho, spec);
    case Kind::kInteger: return IntegerToErp(zoho, spec, /*bigint=*/false);
    case Kind::kBigint: return IntegerToErp(zoho, spec, /*bigint=*/true);
    case Kind::kDecimal: return DecimalToErp(zoho, spec);
    case Kind::kBoolean: return BooleanToErp(zoho, spec);
    case Kind::kDate: return DateToErp(zoho, spec);
    case Kind::kDateTime: return DateTimeToErp(zoho, spec);
    case Kind::kPicklist: return PicklistToErp(zoho, spec);
    case Kind::kMultiSelect: return MultiSelectToErp(zoho, spec);
    case Kind::kLookup: return LookupToErp(zoho, spec);
  }
  return Error(Bad(spec, false, "unreachable"));
}

std::string CanonicalValue(const crm::JsonValue& zoho) {
  std::string out;
  AppendCanonical(out, zoho);
  return out;
}

std::string CanonicalValue(const crm::JsonValue& zoho, const FieldSpec& spec) {
  if (auto typed = TypedCanonical(zoho, spec)) return *std::move(typed);
  return CanonicalValue(zoho);
}

Result<Timestamp> ErpLocalTime(Clock::TimePoint when, std::string_view erp_time_zone) {
  ZCRMSYNC_ASSIGN_OR_RETURN(Zone zone, FindZone(erp_time_zone));
  return ToTimestamp(SysToLocal(zone, SysUs(when.time_since_epoch())).time_since_epoch());
}

}  // namespace zcrmsync::sync
